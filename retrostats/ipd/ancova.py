"""ANCOVA of an outcome on arm and baseline: adjusted means and all arm contrasts (R lm + emmeans)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._display import ResultDisplay, Summary, fmt_num, fmt_p
from ..exceptions import DataError, DataWarning
from ..kernels import _dist
from ..kernels.ols import ols
from ..provenance import Provenance, make_provenance
from ..validators import check_columns, check_confidence_level, check_option
from ._common import arm_order, choose_reference, contrast_pairs, contrast_table, means_table, numeric_column
from ._guards import check_arm_labels, check_residual_variance, drop_incomplete_rows

__all__ = ["ancova", "AncovaResult", "ancova_design"]


@dataclass(frozen=True)
class AncovaResult(ResultDisplay):
    """An ANCOVA fit.

    Attributes
    ----------
    contrasts : DataFrame
        ``contrast`` (``"retro - control"``), ``estimate, se, df, statistic, ci_low, ci_high, p_value``
        (CIs and p-values adjusted for multiplicity when ``adjust`` is not ``"none"``).
    adjusted_means : DataFrame
        ``arm, estimate, se, df, ci_low, ci_high``: each arm's mean at the mean baseline (and covariates).
    standardized : DataFrame
        ``contrast, estimate, se, df, ci_low, ci_high``: contrasts divided by the residual SD, SE by the delta
        method with the SD's uncertainty (emmeans ``eff_size(sigma = sigma(fit), edf = df.residual(fit))``).
    coefficients : DataFrame
        ``term, estimate, se``.
    sigma : float
        Residual SD.
    df_resid, n : int
    reference, adjust, vcov_type : str
    confidence_level : float
    provenance : Provenance
    """

    contrasts: pd.DataFrame
    adjusted_means: pd.DataFrame
    standardized: pd.DataFrame
    coefficients: pd.DataFrame
    sigma: float
    df_resid: int
    n: int
    reference: str
    adjust: str
    vcov_type: str
    confidence_level: float
    provenance: Provenance = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The contrasts at full precision (a copy)."""
        return self.contrasts.copy()

    def summary(self) -> Summary:
        """Display object: contrasts, adjusted means, standardized contrasts."""
        c = self.contrasts.copy()
        for col in ("estimate", "se", "statistic", "ci_low", "ci_high"):
            c[col] = c[col].map(fmt_num)
        c["p_value"] = c["p_value"].map(fmt_p)
        m = self.adjusted_means.copy()
        s = self.standardized.copy()
        for t in (m, s):
            for col in ("estimate", "se", "ci_low", "ci_high"):
                t[col] = t[col].map(fmt_num)
        header = [("participants", str(self.n)), ("residual SD", fmt_num(self.sigma)),
                  ("residual df", str(self.df_resid)), ("standard errors", self.vcov_type),
                  ("p-value adjustment", self.adjust), ("confidence level", f"{self.confidence_level:g}")]
        return Summary("ANCOVA (outcome ~ arm + baseline + covariates)", header,
                       [("Contrasts", c.set_index("contrast")), ("Adjusted means", m.set_index("arm")),
                        ("Standardized contrasts (difference / residual SD)", s.set_index("contrast"))],
                       ["Adjusted means are at the mean baseline; categorical covariates are averaged over "
                        "their levels with equal weights (emmeans' reference grid)."])


def ancova_design(df: pd.DataFrame, arm: str, baseline: str, covariates: Sequence[str], arms: list[str],
                  lsmeans_weights: str = "equal"):
    """Design matrix (reference arm first) and the reference-grid rows of the adjusted means (factor
    covariates averaged with equal weights or proportionally to their frequencies).
    """
    fit_arms = arms[-1:] + arms[:-1]
    n = len(df)
    cols, names, grid_tail = [np.ones(n)], ["(Intercept)"], []
    a = df[arm].astype(str).to_numpy()
    for lev in fit_arms[1:]:
        cols.append((a == lev).astype(float))
        names.append(f"arm{lev}")
    cols.append(df[baseline].to_numpy(float))
    names.append(baseline)
    grid_tail.append(float(df[baseline].mean()))
    for cv in covariates:
        s = df[cv]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            cols.append(s.to_numpy(float))
            names.append(cv)
            grid_tail.append(float(s.mean()))
        else:
            levels = sorted(map(str, pd.unique(s)))
            freq = s.astype(str).value_counts(normalize=True)
            for lev in levels[1:]:
                cols.append((s.astype(str).to_numpy() == lev).astype(float))
                names.append(f"{cv}{lev}")
                grid_tail.append(1.0 / len(levels) if lsmeans_weights == "equal" else float(freq[lev]))
    X = np.column_stack(cols)
    A = len(arms)
    grid = np.zeros((A, X.shape[1]))
    grid[:, 0] = 1.0
    for i, lev in enumerate(arms):
        j = fit_arms.index(lev)
        if j > 0:
            grid[i, j] = 1.0
    grid[:, A:] = grid_tail
    return X, grid, names


def ancova(data: pd.DataFrame, *, outcome: str, baseline: str, arm: str, reference: str | None = None,
           covariates: Sequence[str] = (), adjust: str = "none", vcov: str = "classical",
           confidence_level: float = 0.95, subject: str | None = None,
           lsmeans_weights: str = "equal") -> AncovaResult:
    """ANCOVA of ``outcome`` on ``arm`` and ``baseline`` (plus covariates): adjusted means and arm contrasts.

    Parameters
    ----------
    data : DataFrame
        One row per participant.
    outcome, baseline, arm : str
        Column names.
    reference : str, optional
        Reference arm (default: the first level of a Categorical arm column, else ``"control"`` if present,
        else the last arm). Contrasts are every arm minus the reference, then the remaining pairs
        (``"retro - forward"``).
    covariates : sequence of str
        Extra adjustment columns; numeric ones enter linearly, others as categorical (treatment coded).
    adjust : str
        Multiplicity adjustment across the contrasts: ``none, tukey, holm, bonferroni, sidak``, as emmeans
        (with ``holm`` the CIs are Bonferroni's, as emmeans does).
    vcov : str
        ``"classical"`` or ``"HC3"`` (heteroscedasticity-consistent, ``sandwich::vcovHC(type = "HC3")``).
    confidence_level : float
    subject : str, optional
        Participant column, used to name participants in messages.
    lsmeans_weights : {"equal", "proportional"}
        How adjusted means average the levels of categorical covariates: equally (emmeans' default, SAS
        LSMEANS) or in proportion to their frequencies (emmeans ``weights = "proportional"``, SAS ``OM``).

    Returns
    -------
    AncovaResult

    Raises
    ------
    DataError
        Text in a numeric column, fewer than two arms, no residual degrees of freedom, a design that is not
        estimable, an outcome that is constant or predicted almost exactly (residual variance below 1e-10 of
        the outcome's: e.g. the baseline column passed as the outcome).

    Warns
    -----
    DataWarning
        Rows dropped for a missing arm, outcome, baseline or covariate, each named.

    Notes
    -----
    ``outcome = b0 + sum_a b_a [arm = a] + g baseline + covariates + e``, OLS. Adjusted means are emmeans'
    (baseline and numeric covariates at their means). Participants with a missing outcome or baseline are
    excluded with a :class:`~retrostats.DataWarning` (see :func:`retrostats.ipd.ancova_mi` for multiple
    imputation). Validated against R ``lm`` + ``emmeans`` 1.8.4 (``pairs``, ``eff_size``, ``vcov. =
    sandwich::vcovHC(type = "HC3")``) to 1e-10 relative (the Tukey p-values to the accuracy of ``ptukey``).

    References
    ----------
    Vickers AJ, Altman DG (2001) Analysing controlled trials with baseline and follow up measurements.
    BMJ 323:1123-1124. doi:10.1136/bmj.323.7321.1123

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=15, seed=2)
    >>> wk6 = d[d["week"] == 6]
    >>> fit = rs.ancova(wk6, outcome="value", baseline="baseline", arm="arm")
    >>> list(fit.contrasts["contrast"])
    ['retro - control', 'forward - control', 'retro - forward']
    """
    covariates = list(covariates) if not isinstance(covariates, str) else [covariates]
    check_columns(data, [outcome, baseline, arm, *covariates, subject], what="data")
    check_option("vcov", vcov, ["classical", "HC3"])
    cl = check_confidence_level(confidence_level)
    df = drop_incomplete_rows(data, {"arm": arm}, subject=subject)
    check_arm_labels(df[arm], arm)
    ids = df[subject].astype(str) if subject else pd.Series([f"row {i}" for i in df.index], index=df.index)
    for col, what in ((outcome, "outcome"), (baseline, "baseline")):
        df[col] = numeric_column(df, col, ids, what=what)
    if subject is not None and df[subject].duplicated().any():
        who = df.loc[df[subject].duplicated(), subject].iloc[0]
        raise DataError(f"participant {who!r} has more than one "
                        f"row; ancova needs one row per participant (select one visit first).")
    miss = df[[outcome, baseline, *covariates]].isna().any(axis=1)
    if miss.any():
        who = list(ids[miss])
        warnings.warn(f"{len(who)} participant(s) with a missing outcome, baseline or covariate are excluded "
                      f"(complete cases): {who[:10]}{' ...' if len(who) > 10 else ''}. See ancova_mi() for "
                      "multiple imputation.", DataWarning, stacklevel=2)
        df = df.loc[~miss]
    arms = arm_order(df[arm].astype(str))
    if len(arms) < 2:
        raise DataError(f"column {arm!r} has {len(arms)} arm(s) with data ({arms}); at least two are needed.")
    if reference is None and isinstance(df[arm].dtype, pd.CategoricalDtype):
        reference = str([c for c in df[arm].cat.categories if (df[arm] == c).any()][0])
    ref = choose_reference(arms, reference)
    arms = [a for a in arms if a != ref] + [ref]
    X, grid, names = ancova_design(df, arm, baseline, covariates, arms,
                                   check_option("lsmeans_weights", lsmeans_weights, ["equal", "proportional"]))
    y = df[outcome].to_numpy(float)
    if X.shape[0] <= X.shape[1]:
        raise DataError(f"{X.shape[0]} participants for {X.shape[1]} coefficients: no residual degrees of "
                        "freedom. Use fewer covariates.")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise DataError("the ANCOVA design is rank deficient: a covariate is constant or collinear with arm "
                        f"or baseline (terms {names}).")
    check_residual_variance(y, X, outcome=outcome, terms=f"arm, baseline {baseline!r} and the covariates")
    fit = ols(y, X, vcov_type=vcov)
    V, b, dfr = fit["vcov"], fit["beta"], float(fit["df"])
    m_est, m_se = grid @ b, np.sqrt(np.einsum("ij,jk,ik->i", grid, V, grid))
    means = means_table(m_est, m_se, np.full(len(arms), dfr), arms, cl)
    pairs = contrast_pairs(arms, ref)
    labels = [f"{a} - {c}" for a, c in pairs]
    L = np.array([grid[arms.index(a)] - grid[arms.index(c)] for a, c in pairs])
    est, se = L @ b, np.sqrt(np.einsum("ij,jk,ik->i", L, V, L))
    con = contrast_table(est, se, np.full(len(pairs), dfr), labels, confidence_level=cl, adjust=adjust,
                         n_means=len(arms))
    sig = fit["sigma"]
    d = est / sig
    d_se = np.sqrt((se / sig) ** 2 + d ** 2 / (2 * dfr))
    crit = _dist.t_ppf(0.5 + cl / 2, dfr)
    std = pd.DataFrame({"contrast": labels, "estimate": d, "se": d_se, "df": dfr, "ci_low": d - crit * d_se,
                        "ci_high": d + crit * d_se})
    coef = pd.DataFrame({"term": names, "estimate": b, "se": np.sqrt(np.diag(V))})
    prov = make_provenance("ancova", {"outcome": outcome, "baseline": baseline, "arm": arm, "reference": ref,
                                      "covariates": covariates, "adjust": adjust, "vcov": vcov,
                                      "confidence_level": cl}, y, X)
    return AncovaResult(con, means, std, coef, sig, int(dfr), int(len(y)), ref, adjust, vcov, cl, prov)
