"""Cluster-robust inference on meta-analytic fits: ``result.robust(adjust="CR2"|"CR1", cluster=...)``.

CR2 with Satterthwaite df is clubSandwich's ``coef_test(vcov="CR2")``; CR1 is metafor's ``robust()`` default
(``adjust=TRUE``: ``C/(C - p)`` small-sample factor, ``C - p`` df).

Examples
--------
>>> import retrostats as rs
>>> d = rs.meta.multilevel._example()
>>> rb = rs.meta_analysis_mv(d, cluster="trial").robust("CR2")
>>> round(float(rb.coefficients.loc["intercept", "df"]), 4)
2.9368
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from .._display import ResultDisplay, Summary, fmt_num, fmt_p
from ..exceptions import DataError
from ..kernels._lazy_stats import stats
from ..kernels.rma_mv import make_blocks
from ..kernels.robust import cr1, cr2
from ..provenance import Provenance, make_provenance
from ..validators import check_option

__all__ = ["robust", "RobustResult", "attach_cluster"]


def attach_cluster(res: Any, data: pd.DataFrame | None, cluster: Any, keep: np.ndarray) -> Any:
    """``res`` with the integer codes of ``meta_analysis(cluster=)`` for the pooled rows (hook of meta_analysis)."""
    if cluster is None:
        return res
    if isinstance(cluster, str):
        if data is None or cluster not in data.columns:
            raise DataError(f"cluster={cluster!r} must name a column of data=.")
        cluster = data[cluster]
    ser = pd.Series(list(cluster))
    if len(ser) != len(keep):
        raise DataError(f"cluster has {len(ser)} values but there are {len(keep)} rows.")
    ser = ser[keep]
    if ser.isna().any():
        raise DataError(f"cluster is missing for row {int(ser.index[ser.isna().to_numpy()][0])}.")
    return dataclasses.replace(res, cluster=np.unique(ser.astype(str).to_numpy(), return_inverse=True)[1])


@dataclass(frozen=True, eq=False)
class RobustResult(ResultDisplay):
    """Cluster-robust coefficients.

    Attributes
    ----------
    coefficients : DataFrame
        ``estimate, se, df, statistic, p_value, ci_low, ci_high`` per coefficient.
    estimate, se, df, statistic, p_value, ci_low, ci_high : float
        The first coefficient (the average effect of an intercept-only model).
    vcov : ndarray
    adjust : str
    n_clusters : int
    """

    coefficients: pd.DataFrame
    vcov: np.ndarray
    adjust: str
    n_clusters: int
    confidence_level: float
    provenance: Provenance | None = dataclasses.field(default=None, repr=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        if name in ("estimate", "se", "df", "statistic", "p_value", "ci_low", "ci_high"):
            return float(self.coefficients.iloc[0][name])
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(
            f"RobustResult has no attribute {name!r}: it holds the cluster-robust coefficients (coefficients, "
            "vcov, adjust, n_clusters, to_frame() and the first coefficient's estimate, se, df, statistic, "
            "p_value, ci_low, ci_high, summary()); predict() and the other verbs belong to the fitted model."
        )

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table with the adjustment and cluster count."""
        out = self.coefficients.reset_index()
        out["adjust"], out["n_clusters"] = self.adjust, self.n_clusters
        return out

    def summary(self) -> Summary:
        """Printable summary: the cluster-robust coefficient table."""
        table = self.coefficients.copy()
        for c in table.columns:
            table[c] = [fmt_p(x) if c == "p_value" else fmt_num(x) for x in table[c]]
        header = [("adjustment", self.adjust), ("clusters", str(self.n_clusters)),
                  ("confidence level", f"{self.confidence_level:g}")]
        notes = [f"call: {self.provenance.call}"] if self.provenance is not None else []
        return Summary("Cluster-robust inference", header, [("Coefficients", table)], notes)

    def __repr__(self) -> str:
        return (
            f"RobustResult(adjust={self.adjust!r}, clusters={self.n_clusters}, estimate={fmt_num(self.estimate)}, "
            f"se={fmt_num(self.se)}, df={fmt_num(self.df, 2)}, p={fmt_p(self.p_value)})"
        )


def _cluster_codes(res: Any, cluster: Any, data: pd.DataFrame | None = None) -> tuple[np.ndarray, bool]:
    if isinstance(cluster, str) and data is not None:
        if cluster not in data.columns:
            raise DataError(f"data has no column {cluster!r} for cluster.")
        cluster = data[cluster]
    if cluster is None:
        own = getattr(res, "cluster", None)
        if own is None or len(own) == 0:
            raise ValueError("robust() needs cluster= (an array with one value per study) for this fit.")
        return np.asarray(own), True
    if isinstance(cluster, str):
        raise ValueError(f"cluster={cluster!r} names a column only with data= (the rows as fitted); or pass values.")
    ser = pd.Series(list(cluster))
    if len(ser) != res.k:
        raise DataError(f"cluster has {len(ser)} values but the fit has {res.k} effects (after dropped rows).")
    if ser.isna().any():
        raise DataError(f"cluster is missing for row {int(np.flatnonzero(ser.isna().to_numpy())[0])}.")
    return np.unique(ser.astype(str).to_numpy(), return_inverse=True)[1], False


def robust(res: Any, *, adjust: str = "CR2", cluster: Any = None, data: pd.DataFrame | None = None) -> RobustResult:
    """Cluster-robust coefficient tests for a :class:`MetaAnalysisResult` or :class:`MultilevelResult`.

    Parameters
    ----------
    res : result of :func:`retrostats.meta_analysis` or :func:`retrostats.meta_analysis_mv`
    adjust : {"CR2", "CR1"}
        CR2 (bias-reduced linearization, Satterthwaite df; clubSandwich ``coef_test``) or CR1 (metafor
        ``robust(adjust=TRUE)``, ``C - p`` df).
    cluster : str or array-like, optional
        Cluster of each pooled effect (a column of ``data``); default the fit's own cluster (``meta_analysis(
        cluster=)`` or the multilevel fit's). Must nest the model's clusters.
    data : DataFrame, optional
        The rows as fitted, when ``cluster`` names a column.

    Returns
    -------
    RobustResult

    Raises
    ------
    DataError
        Cluster length mismatch, missing values, model clusters split across robust clusters (non-nested),
        or fewer clusters than coefficients + 1.

    Notes
    -----
    The working weights are the inverse fitted marginal variances (``1/(vi + tau2)`` or ``M^-1``), as both
    packages use by default. Validated against clubSandwich 0.5.8 (CR2 SEs 1e-6, Satterthwaite df 1e-6) and
    metafor 3.8.1 ``robust()`` (``tests/reference/r/meta_breadth.R``).

    Examples
    --------
    >>> import retrostats as rs
    >>> fit = rs.meta_analysis(yi=[0.1, 0.3, 0.2, 0.5, 0.4, 0.6], vi=[0.02] * 6)
    >>> round(robust(fit, adjust="CR1", cluster=[1, 1, 2, 2, 3, 3]).df, 1)
    2.0
    """
    check_option("adjust", adjust, ["CR2", "CR1"])
    codes, own = _cluster_codes(res, cluster, data)
    n_cl = len(np.unique(codes))
    p = res.X.shape[1]
    if n_cl <= p:
        raise DataError(f"{n_cl} clusters cannot give robust inference for {p} coefficient(s); need more clusters.")
    beta = res.coefficients["estimate"].to_numpy()
    resid = res.yi - res.X @ beta
    if hasattr(res, "blocks") and res.blocks:
        model_cl = res.cluster
        if not own:
            nested = pd.DataFrame({"m": model_cl, "r": codes}).groupby("m")["r"].nunique()
            if (nested > 1).any():
                raise DataError(
                    "the model's clusters are split across robust clusters (non-nested); "
                    "each model cluster must lie within one robust cluster."
                )
        Mb, rows = res.marginal_blocks()
        mask = rows >= 0
        ci, ii, jj = np.nonzero(mask[:, :, None] & mask[:, None, :])
        Phi_full = sparse.coo_matrix((Mb[ci, ii, jj], (rows[ci, ii], rows[ci, jj])), shape=(res.k, res.k))
    else:
        Phi_full = res.vi + res.tau2
    b = make_blocks(Phi_full, res.X, resid, codes, np.arange(res.k))
    Phi = b["V"]
    W = np.linalg.inv(Phi)
    if adjust == "CR2":
        out = cr2(Phi, W, b["X"], b["y"])
        df = out["df"]
    else:
        out = cr1(W, b["X"], b["y"])
        df = np.full(p, out["df"])
    se = np.sqrt(np.diag(out["vcov"]))
    t = beta / se
    crit = stats.t.isf((1 - res.confidence_level) / 2, df)
    coef = pd.DataFrame(
        {
            "estimate": beta,
            "se": se,
            "df": df,
            "statistic": t,
            "p_value": 2 * stats.t.sf(np.abs(t), df),
            "ci_low": beta - crit * se,
            "ci_high": beta + crit * se,
        },
        index=res.coefficients.index,
    )
    prov = make_provenance("robust", {"adjust": adjust, "fit": res.provenance.checksum}, res.yi, res.X, codes)
    return RobustResult(coef, out["vcov"], adjust, n_cl, res.confidence_level, prov)
