"""The MMRM result: tables, Type 3 tests and conditional predictions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._display import ResultDisplay, Summary, fmt_num, fmt_p
from ..exceptions import DataError
from ..kernels import _dist
from ..provenance import Provenance
from ._limits import blas_single_thread as _limits

__all__ = ["MmrmResult"]


@dataclass(frozen=True)
class MmrmResult(ResultDisplay):
    """An MMRM fit.

    Attributes
    ----------
    contrasts : DataFrame
        One row per visit x contrast: ``visit, contrast`` (``"retro - control"``), ``estimate, se, df``,
        ``statistic, ci_low, ci_high, p_value`` (adjusted within each visit if ``adjust``). Empty when the
        model has no arm term.
    lsmeans : DataFrame
        ``visit, arm, estimate, se, df, ci_low, ci_high``: least-squares means (factor covariates averaged with
        ``lsmeans_weights``, numeric covariates at their mean over the analysed rows).
    adjusted_means : DataFrame
        The same table as ``lsmeans`` (earlier name).
    coefficients : DataFrame
        Indexed by term: ``estimate, se, df, statistic, p_value, ci_low, ci_high``.
    covariance_matrix, correlation_matrix : DataFrame or dict
        The estimated within-subject covariance across visits and its correlation; with ``group=`` a dict
        keyed by group level.
    covariance_parameters : DataFrame
        Natural (SAS) covariance parameters ``group, parameter, estimate``.
    covariance, reference, adjust, method, df_method, vcov : str
    loglik, aic : float
        (RE)ML log-likelihood and AIC (covariance and fixed-effect parameters counted, as nlme).
    n_subjects, n_obs, n_iter : int
    converged : bool
    confidence_level : float
    provenance : Provenance
    """

    contrasts: pd.DataFrame
    lsmeans: pd.DataFrame
    coefficients: pd.DataFrame
    covariance_matrix: Any
    correlation_matrix: Any
    covariance_parameters: pd.DataFrame
    covariance: str
    reference: str
    adjust: str
    method: str
    df_method: str
    vcov: str
    loglik: float
    aic: float
    n_subjects: int
    n_obs: int
    n_iter: int
    converged: bool
    confidence_level: float
    provenance: Provenance = field(repr=False)
    _state: dict = field(repr=False, default_factory=dict)

    @property
    def adjusted_means(self) -> pd.DataFrame:
        """Alias of :attr:`lsmeans`."""
        return self.lsmeans

    def to_frame(self) -> pd.DataFrame:
        """The contrasts at full precision (a copy)."""
        return self.contrasts.copy()

    def estimate(self, contrasts: Any, labels: list[str] | None = None) -> pd.DataFrame:
        """Custom linear combinations of the fixed effects, with the fit's covariance and df method.

        Parameters
        ----------
        contrasts : dict, list of dicts or array
            ``{term: weight}`` (terms as in :attr:`coefficients`), several of them, or an array ``(q, p)``.
        labels : list of str, optional

        Returns
        -------
        DataFrame
            ``contrast, estimate, se, df, statistic, p_value, ci_low, ci_high`` (unadjusted).
        """
        st = self._state
        names = list(self.coefficients.index)
        rows = [contrasts] if isinstance(contrasts, dict) else contrasts
        if isinstance(rows, np.ndarray):
            L = np.atleast_2d(rows).astype(float)
        else:
            L = np.zeros((len(rows), len(names)))
            for i, r in enumerate(rows):
                unknown = set(r) - set(names)
                if unknown:
                    raise ValueError(f"unknown term(s) {sorted(unknown)}; terms are {names}.")
                for k, w in r.items():
                    L[i, names.index(k)] = w
        if L.shape[1] != len(names):
            raise ValueError(f"contrasts need {len(names)} columns (one per coefficient); got {L.shape[1]}.")
        v, dfs = st["inference"].contrast(L)
        est, se = L @ st["model"].beta, np.sqrt(v)
        t = est / se
        crit = _dist.t_ppf(0.5 + self.confidence_level / 2, dfs)
        lab = labels or [" + ".join(f"{w:g}*{k}" for k, w in r.items()) if isinstance(r, dict) else f"L{i + 1}"
                         for i, r in enumerate(rows if not isinstance(rows, np.ndarray) else L)]
        return pd.DataFrame({"contrast": lab, "estimate": est, "se": se, "df": dfs, "statistic": t,
                             "p_value": 2 * _dist.t_sf(np.abs(t), dfs), "ci_low": est - crit * se,
                             "ci_high": est + crit * se})

    def type3(self) -> pd.DataFrame:
        """SAS Type 3 F tests of every term: ``term, num_df, den_df, statistic, p_value``.

        Each hypothesis is the term's effects under sum-to-zero coding of the factors (reference-level
        contrasts averaged over the other factors; numeric covariates at 0, as SAS); the denominator df follow
        ``df_method`` (Satterthwaite as SAS's Fai-Cornelius, or Kenward-Roger's scaled F).
        """
        st = self._state
        rows = []
        with _limits():
            hyps = st["design"].type3(st["data"])
        for term, L in hyps:
            F, q, den, p = st["inference"].ftest(L)
            rows.append({"term": term, "num_df": q, "den_df": den, "statistic": F, "p_value": p})
        return pd.DataFrame(rows, columns=["term", "num_df", "den_df", "statistic", "p_value"])

    def predict(self, data: pd.DataFrame) -> pd.Series:
        """Conditional means of the outcome for the rows of ``data`` (aligned to its index).

        A row whose outcome is observed returns the outcome; a row without one returns
        ``x' beta + Sigma[u, o] Sigma[o, o]^-1 (y_o - X_o beta)``, conditioning on the same participant's
        observed rows in ``data`` (the mean ``x' beta`` when there are none).
        """
        st = self._state
        design, model = st["design"], st["model"]
        cols = {st["visit"], st["subject"]} | {v for t in design.terms for v in t}
        if st["group"] is not None:
            cols.add(st["group"])
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise DataError(f"predict: data lacks column(s) {sorted(missing)} used by the model.")
        X = design.matrix(data)
        mu = X @ model.beta
        y = pd.to_numeric(data[st["outcome"]], errors="coerce").to_numpy(float) if st["outcome"] in data \
            else np.full(len(data), np.nan)
        vis = data[st["visit"]]
        key = vis.astype(str) if st["visit_text"] else pd.to_numeric(vis).astype(float)
        vidx = key.map(st["visit_map"]).to_numpy()
        if pd.isna(vidx).any():
            raise DataError(f"predict: visit {vis[pd.isna(vidx)].iloc[0]!r} was not in the fitted data.")
        vidx = vidx.astype(int)
        gidx = (np.zeros(len(data), int) if st["group"] is None
                else data[st["group"]].astype(str).map(st["group_map"]).to_numpy())
        out = np.where(np.isnan(y), mu, y)
        subj = data[st["subject"]].astype(str).to_numpy()
        for s in pd.unique(subj):  # participants of the new data; one small solve each
            rows = np.flatnonzero(subj == s)
            o, u = rows[~np.isnan(y[rows])], rows[np.isnan(y[rows])]
            if not len(o) or not len(u):
                continue
            S = model.sigma[int(gidx[rows[0]])]
            Suo = S[np.ix_(vidx[u], vidx[o])]
            Soo = S[np.ix_(vidx[o], vidx[o])]
            out[u] = mu[u] + Suo @ np.linalg.solve(Soo, y[o] - mu[o])
        return pd.Series(out, index=data.index, name="prediction")

    def summary(self) -> Summary:
        """Display object: contrasts and LS means by visit."""
        c = self.contrasts.copy()
        for col in ("estimate", "se", "ci_low", "ci_high", "statistic"):
            c[col] = c[col].map(fmt_num)
        c["df"] = c["df"].map(lambda x: fmt_num(x, 1))
        c["p_value"] = c["p_value"].map(fmt_p)
        m = self.lsmeans.copy()
        for col in ("estimate", "se", "ci_low", "ci_high"):
            m[col] = m[col].map(fmt_num)
        m["df"] = m["df"].map(lambda x: fmt_num(x, 1))
        header = [("covariance", self.covariance), ("subjects", str(self.n_subjects)),
                  ("observations", str(self.n_obs)), (f"{self.method} log-likelihood", fmt_num(self.loglik)),
                  ("confidence level", f"{self.confidence_level:g}"), ("p-value adjustment", self.adjust)]
        notes = [f"Fixed effects {self._state.get('formula', '')}; {self.method}; {self.df_method} degrees of "
                 f"freedom; {self.vcov} covariance of the estimates; all available data (missing at random)."]
        return Summary("Mixed model for repeated measures", header,
                       [("Contrasts", c.set_index(["visit", "contrast"])),
                        ("LS means", m.set_index(["visit", "arm"]))], notes)
