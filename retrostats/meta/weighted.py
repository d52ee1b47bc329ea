"""User weights in :func:`retrostats.meta_analysis` (metafor ``rma(weights=)``).

tau² is estimated as without weights; the coefficients are the weighted least-squares estimates with the
user's weights ``a`` and the sandwich variance ``(X'AX)^-1 X'A M A X (X'AX)^-1`` with ``M = diag(v + tau2)``
(times metafor's Knapp-Hartung factor from the inverse-variance fit under ``test="knha"``). Q, I² and H² stay
inverse-variance statistics, as in metafor. Verbs that refit the model (leave-one-out, influence, bias
tests, permutation, robust, likelihoods) are refused on such a fit rather than silently ignoring the weights.

Examples
--------
>>> import retrostats as rs
>>> res = rs.meta_analysis(yi=[-0.5, -0.2, -0.9, -0.4], vi=[0.04, 0.05, 0.09, 0.03], weights=[30, 25, 12, 40])
>>> round(res.estimate, 4), [round(float(w), 2) for w in res.weights]
(-0.4374, [28.04, 23.36, 11.21, 37.38])
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ..exceptions import DataError
from ..kernels._lazy_stats import stats
from ..provenance import checksum
from ..validators import as_float_array
from .result import MetaAnalysisResult

__all__ = ["user_weighted_fit", "WeightedMetaAnalysisResult", "check_weights"]


def check_weights(weights: Any, data: Any, n: int, labels: list[str]) -> np.ndarray:
    """Validated weights (a column name of ``data`` or values), one per row, ``>= 0`` and not all zero."""
    raw = data[weights] if isinstance(weights, str) and data is not None else weights
    a = as_float_array("weights", raw, labels=labels, nonnegative=True)
    if len(a) != n:
        raise DataError(f"weights has {len(a)} values but there are {n} studies.")
    return a


def user_weighted_fit(
    fit: dict, y: np.ndarray, v: np.ndarray, X: np.ndarray, a: np.ndarray, test: str, level: float
) -> dict:
    """The kernel's fit dict with the coefficients, their tests, QM and the prediction interval re-done with
    user weights ``a`` (metafor ``rma.uni`` with ``weights=``).
    """
    if not np.any(a > 0):
        raise DataError("weights are all zero; give the studies positive weights.")
    tau2 = float(fit["tau2"])
    m = v + tau2
    XA = X * a[:, None]
    B = np.linalg.inv(X.T @ XA)
    beta = B @ (XA.T @ y)
    vb = B @ (XA.T @ (XA * m[:, None])) @ B * float(fit["s2w"])
    se = np.sqrt(np.diag(vb))
    z = beta / se
    k, p = X.shape
    ddf = float(fit["ddf"])
    alpha = 1 - level
    if test == "knha" and k > 1:
        pval, crit = 2 * stats.t.sf(np.abs(z), ddf), stats.t.isf(alpha / 2, ddf)
    else:
        pval, crit = 2 * stats.norm.sf(np.abs(z)), stats.norm.isf(alpha / 2)
    out = dict(fit)
    out.update(
        beta=beta,
        vb=vb,
        se=se,
        zval=z,
        pval=pval,
        ci_lb=beta - crit * se,
        ci_ub=beta + crit * se,
        weights=a,
        resid=y - X @ beta,
        pred=beta[0],
    )
    half = crit * math.sqrt(se[0] ** 2 + tau2)
    out.update(pi_lb=beta[0] - half, pi_ub=beta[0] + half)
    if p > 1:
        b1 = beta[1:]
        qm = float(b1 @ np.linalg.pinv(vb[1:, 1:]) @ b1)
        if test == "knha":
            qm /= p - 1
            out.update(qm=qm, qm_p=float(stats.f.sf(qm, p - 1, ddf)))
        else:
            out.update(qm=qm, qm_p=float(stats.chi2.sf(qm, p - 1)))
    return out


_REFUSED = (
    "heterogeneity_ci",
    "egger_test",
    "rank_test",
    "trim_and_fill",
    "leave_one_out",
    "influence",
    "cumulative",
    "permutation_test",
    "robust",
    "likelihood_ratio_test",
    "tau2_profile_ci",
)


@dataclasses.dataclass(frozen=True, eq=False)
class WeightedMetaAnalysisResult(MetaAnalysisResult):
    """A :class:`MetaAnalysisResult` fitted with user ``weights`` (kept in ``user_weights``).

    ``predict`` and ``wald_test`` use the weighted coefficients and their sandwich variance; verbs that
    refit the model or need its likelihood raise ``ValueError``.
    """

    user_weights: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))

    def __getattribute__(self, name: str) -> Any:
        if name in _REFUSED or name in ("loglik", "aic", "bic", "aicc", "se_tau2"):
            raise ValueError(
                f"{name} is not available for a meta-analysis with user weights (metafor's weighted fits "
                "change what it means); refit without weights= for it."
            )
        return super().__getattribute__(name)

    def summary(self):
        """The usual summary, stating the user weights (without the inverse-variance Knapp-Hartung note)."""
        from .summary import build_summary

        s = build_summary(self)
        notes = [n for n in s.notes if not n.startswith("The Knapp-Hartung scale factor")]
        notes.append(
            "Coefficients use user-supplied weights (weighted least squares with a sandwich variance; "
            "tau², Q and I² are the inverse-variance ones), as metafor's rma(weights=)."
        )
        return dataclasses.replace(s, notes=notes)


def weighted_result(res: MetaAnalysisResult, a: np.ndarray) -> WeightedMetaAnalysisResult:
    """Re-type a result built from a user-weighted fit (hook of :func:`retrostats.meta_analysis`)."""
    vals = {f.name: getattr(res, f.name) for f in dataclasses.fields(MetaAnalysisResult)}
    vals["r2"] = math.nan  # metafor's R² of weighted fits is not reproduced
    pv = res.provenance
    if pv is not None:  # the weights are part of the call and of the checksum
        vals["provenance"] = dataclasses.replace(
            pv, call=pv.call[:-1] + ", weights=<user>)", checksum=checksum(res.yi, res.vi, res.X, a)
        )
    return WeightedMetaAnalysisResult(**vals, user_weights=a)
