"""Mixed model for repeated measures (MMRM): GLS by REML or ML with a structured covariance across visits."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..exceptions import DataError, DataWarning
from ..kernels import _dist
from ..kernels import gls as _gls
from ..kernels.gls_infer import DF_METHODS, GlsInference
from ..provenance import make_provenance
from ..validators import check_columns, check_confidence_level, check_option
from ._common import (
    arm_order,
    check_one_arm,
    choose_reference,
    contrast_pairs,
    contrast_table,
    drop_missing_baseline,
    means_table,
    numeric_column,
)
from ._guards import (
    check_arm_labels,
    check_converged,
    check_residual_variance,
    drop_baseline_visit,
    drop_incomplete_rows,
)
from ._limits import blas_single_thread as _limits
from .mmrm_design import Design, factor_levels, parse_formula
from .mmrm_result import MmrmResult

__all__ = ["mmrm", "MmrmResult", "COVARIANCES"]

#: accepted names of the covariance structures -> kernel code
COVARIANCES = {"unstructured": "us", "us": "us", "toeplitz": "toep", "toep": "toep",
               "toeplitz-heterogeneous": "toeph", "toeph": "toeph", "ante-dependence": "ante", "ante": "ante",
               "adh": "ante", "cs": "cs", "compound_symmetry": "cs", "csh": "csh", "ar1": "ar1", "ar1h": "ar1h",
               "spatial-exponential": "spexp", "sp_exp": "spexp"}


def _is_factor(s: pd.Series) -> bool:
    return (isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s)
            or not pd.api.types.is_numeric_dtype(s))


def _drop_incomplete(df: pd.DataFrame, cols: list[str], subject: str) -> pd.DataFrame:
    miss = df[cols].isna().any(axis=1)
    if miss.any():
        rows = [f"{df.loc[i, subject]}" for i in df.index[miss][:10]]
        warnings.warn(f"{int(miss.sum())} row(s) with a missing covariate are excluded (participants "
                      f"{rows}{' ...' if miss.sum() > 10 else ''}); columns {cols}.", DataWarning, stacklevel=3)
        return df.loc[~miss]
    return df


def _groups_and_weights(df_: pd.DataFrame, subject: str, group: str | None, weights: str | None) -> tuple:
    """Covariance-group codes and levels (``None`` without ``group``) and the positive weights (or ``None``)."""
    g_idx, g_levels = None, None
    if group is not None:
        g_levels = factor_levels(df_[group].astype(str))
        g_idx = df_[group].astype(str).map({g: i for i, g in enumerate(g_levels)}).to_numpy(int)
        if (df_.groupby(subject)[group].nunique() > 1).any():
            raise DataError(f"group column {group!r} varies within a participant; it must be constant.")
    w = None
    if weights is not None:
        w = numeric_column(df_, weights, df_[subject].astype(str), what="weights")
        if (w <= 0).any():
            raise DataError(f"weights column {weights!r} must be positive.")
    return g_idx, g_levels, w


def mmrm(data: pd.DataFrame, *, outcome: str, arm: str, visit: str, subject: str, baseline: str | None = None,
         reference: str | None = None, covariance: str = "unstructured", covariates: Sequence[str] = (),
         formula: str | None = None, method: str = "REML", df: str = "satterthwaite", vcov: str = "model",
         group: str | None = None, weights: str | None = None, lsmeans_weights: str = "equal",
         adjust: str = "none", confidence_level: float = 0.95) -> MmrmResult:
    """Fit a mixed model for repeated measures and compare arms at every visit.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per participant x post-baseline visit. Rows with a missing outcome are dropped
        (all available data are used, valid under missing at random).
    outcome, arm, visit, subject : str
        Column names. ``visit`` is numeric (weeks) or labels; numeric visits are ordered by value, labels by
        their numbers (``"week 4"`` before ``"week 12"``), an ordered Categorical by its categories.
    baseline : str, optional
        Column with each participant's baseline value (constant within participant). Participants without
        one are excluded with a :class:`~retrostats.DataWarning`.
    reference : str, optional
        Reference arm. Default: the first level of a Categorical arm column, else ``"control"`` if present,
        else the last arm in display order.
    covariance : str
        ``unstructured`` (``us``), ``toeplitz``, ``toeplitz-heterogeneous``, ``ante-dependence`` (SAS ANTE(1)),
        ``cs``, ``csh``, ``ar1``, ``ar1h`` (over visit positions) or ``spatial-exponential`` (over the numeric
        visit values).
    covariates : sequence of str
        Columns added as main effects to the default mean model (text/Categorical columns are factors,
        coded against their first level; numeric columns are linear).
    formula : str, optional
        Right-hand side replacing the default mean model, with ``+``, ``*`` and ``:`` between column names,
        e.g. ``"arm * visit + baseline * visit + sex"``; ``"1"`` fits the mean only.
    method : {"REML", "ML"}
    df : str
        ``satterthwaite``, ``kenward-roger`` (also adjusts the covariance of the estimates, as SAS),
        ``kenward-roger-linear`` (second derivatives of the covariance set to zero), ``residual``
        (``N - p``) or ``between-within`` (SAS DDFM=BW).
    vcov : {"model", "empirical"}
        Model-based or empirical (sandwich, CR0, as SAS EMPIRICAL) covariance of the fixed effects;
        ``empirical`` takes ``df="residual"`` or ``"between-within"``.
    group : str, optional
        Column whose levels get separate covariance parameters (constant within participant).
    weights : str, optional
        Column of positive observation weights: the residual covariance is ``W^-1/2 Sigma W^-1/2`` (SAS
        WEIGHT).
    lsmeans_weights : {"equal", "proportional"}
        How LS means average the levels of factor covariates.
    adjust : str
        Multiplicity adjustment within each visit: ``none, tukey, holm, bonferroni, sidak`` (as emmeans).
    confidence_level : float

    Returns
    -------
    MmrmResult

    Raises
    ------
    DataError
        Text in the outcome, a participant in two arms, duplicated visits, a single visit, an arm with no data
        at a visit, fewer than two arms, a rank-deficient design, an outcome that is constant or predicted
        almost exactly.
    ConvergenceError
        The REML/ML fit did not converge (no unreliable numbers are returned).

    Warns
    -----
    DataWarning
        Rows dropped for a missing arm, visit, participant, baseline or covariate, and rows of the
        baseline visit (labelled ``"baseline"`` or with the outcome equal to ``baseline`` on every row), each
        named.

    Notes
    -----
    The default model is ``outcome ~ visit + arm + arm:visit (+ baseline + baseline:visit)`` plus
    ``covariates``, errors correlated within participant with the chosen structure, fitted by REML. Factors
    are treatment-coded against their first level (the arm against ``reference``); LS means and contrasts are
    those of emmeans/SAS LSMEANS; Type 3 tests are SAS's. Satterthwaite and Kenward-Roger df use the observed
    information of the natural (SAS) covariance parameters, so Kenward-Roger matches SAS PROC MIXED (for
    ``us``, ``toeplitz`` and ``cs`` it equals its linear version, as in SAS).
    Validated against SAS PROC MIXED listings published with R package mmrm (fev_data: every structure,
    by group, ML and REML, Satterthwaite and Kenward-Roger) and R ``nlme::gls`` + ``emmeans``.

    References
    ----------
    Mallinckrodt CH et al. (2008) Recommendations for the primary analysis of continuous endpoints in
    longitudinal clinical trials. Drug Inf J 42:303-319. doi:10.1177/009286150804200402
    Kenward MG, Roger JH (1997) Small sample inference for fixed effects from restricted maximum likelihood.
    Biometrics 53:983-997. doi:10.2307/2533558

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=20, seed=1)
    >>> post = d[d["week"] > 0]
    >>> fit = rs.mmrm(post, outcome="value", arm="arm", visit="week", subject="participant",
    ...               baseline="baseline")
    >>> list(fit.contrasts.columns[:3])
    ['visit', 'contrast', 'estimate']

    A submission-style model: unstructured covariance, Kenward-Roger df (and SEs), SAS Type 3 tests.

    >>> kr = rs.mmrm(post, outcome="value", arm="arm", visit="week", subject="participant",
    ...              baseline="baseline", df="kenward-roger")
    >>> kr.type3()["term"].tolist()
    ['week', 'arm', 'arm:week', 'baseline', 'baseline:week']
    """
    code = check_option("covariance", covariance, list(COVARIANCES))
    structure = COVARIANCES[code]
    method = check_option("method", method.upper() if isinstance(method, str) else method, ["REML", "ML"])
    df_method = check_option("df", df, list(DF_METHODS))
    vcov = check_option("vcov", vcov, ["model", "empirical"])
    lsmeans_weights = check_option("lsmeans_weights", lsmeans_weights, ["equal", "proportional"])
    if df_method.startswith("kenward") and (method == "ML" or vcov == "empirical"):
        raise ValueError("df='kenward-roger' needs method='REML' and vcov='model' (as SAS and R mmrm).")
    if vcov == "empirical" and df_method == "satterthwaite":
        raise ValueError("vcov='empirical' takes df='residual' or df='between-within'.")
    cl = check_confidence_level(confidence_level)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if formula is None:
        terms = [(visit,), (arm,), (arm, visit)]
        if baseline is not None:
            terms += [(baseline,), (baseline, visit)]
        terms += [(c,) for c in covariates if (c,) not in terms]
        intercept = True
        formula_text = " + ".join(":".join(t) for t in terms)
    else:
        intercept, terms = parse_formula(formula)
        terms += [(c,) for c in covariates if (c,) not in terms]
        formula_text = formula
    model_vars = list(dict.fromkeys(v for t in terms for v in t))
    extra = [v for v in model_vars if v not in (arm, visit, baseline)]
    check_columns(data, [outcome, arm, visit, subject, baseline, group, weights, *extra], what="data")
    df_ = drop_incomplete_rows(data, {"arm": arm, "visit": visit, "participant": subject}, subject=subject)
    check_arm_labels(df_[arm], arm)
    df_[outcome] = numeric_column(df_, outcome, df_[subject].astype(str), what="outcome")
    # a missing outcome is the missing data the model handles (MAR): those rows carry nothing and go quietly
    df_ = df_.loc[df_[outcome].notna()]
    ids = df_[subject].astype(str)
    check_one_arm(ids, df_[arm].astype(str), arm)
    dup = df_.duplicated([subject, visit], keep=False)
    if dup.any():
        r = df_.loc[dup].iloc[0]
        raise DataError(f"participant {str(r[subject])!r} has more than one row at visit {r[visit]!r} "
                        f"(columns {subject!r}, {visit!r}); keep one row per participant and visit.")
    if baseline is not None:
        b = numeric_column(df_, baseline, df_[subject].astype(str), what="baseline")
        df_[baseline] = b
        varying = df_.groupby(subject, sort=False)[baseline].nunique() > 1
        if varying.any():
            who = varying.index[varying][0]
            raise DataError(f"baseline column {baseline!r} varies within participant {who!r}; "
                            "it must hold the participant's baseline value on every row.")
        df_ = drop_missing_baseline(df_, subject, b, baseline)
    df_ = drop_baseline_visit(df_, outcome=outcome, visit=visit, subject=subject, baseline=baseline)
    df_ = _drop_incomplete(df_, [c for c in extra + [group, weights] if c is not None], subject)
    levels = factor_levels(df_[visit])
    if len(levels) < 2:
        raise DataError(f"mmrm needs at least two post-baseline visits in column {visit!r}; got {levels}. "
                        "For a single visit use ancova().")
    arm_col = df_[arm]
    arms = arm_order(arm_col.astype(str))
    if len(arms) < 2:
        raise DataError(f"column {arm!r} has {len(arms)} arm(s) ({arms}); at least two are needed.")
    if reference is None and isinstance(arm_col.dtype, pd.CategoricalDtype):
        reference = str([c for c in arm_col.cat.categories if (arm_col == c).any()][0])
    ref = choose_reference(arms, reference)
    arms = [a for a in arms if a != ref] + [ref]
    arms_fit = [ref] + [a for a in arms if a != ref]  # reference first: treatment coding
    df_[arm] = arm_col.astype(str)
    visit_text = isinstance(levels[0], str)
    key = df_[visit].astype(str) if visit_text else pd.to_numeric(df_[visit]).astype(float)
    visit_map = {(lv if visit_text else float(lv)): i for i, lv in enumerate(levels)}
    v_idx = key.map(visit_map).to_numpy(dtype=int)
    A, T = len(arms), len(levels)
    uses_arm = any(arm in t for t in terms)
    if uses_arm and any(visit in t and arm in t for t in terms):
        counts = np.zeros((A, T), dtype=int)
        np.add.at(counts, (np.array([arms_fit.index(a) for a in df_[arm]]), v_idx), 1)
        if (counts == 0).any():
            i, j = np.argwhere(counts == 0)[0]
            raise DataError(f"arm {arms_fit[i]!r} has no outcome data at visit {levels[j]!r}; the arm-by-visit "
                            "effect cannot be estimated. Drop that visit or that arm.")
    fac = {arm: arms_fit, visit: levels}
    for v in extra:
        if _is_factor(df_[v]):
            fac[v] = factor_levels(df_[v] if isinstance(df_[v].dtype, pd.CategoricalDtype)
                                   else df_[v].astype(str))
            if not isinstance(df_[v].dtype, pd.CategoricalDtype):
                df_[v] = df_[v].astype(str)
    means = {v: float(pd.to_numeric(df_[v]).mean()) for v in model_vars if v not in fac}
    design = Design(intercept, terms, {k: fac[k] for k in fac if k in model_vars}, means)
    X = design.matrix(df_)
    if X.shape[1] == 0 or np.linalg.matrix_rank(X) < X.shape[1]:
        raise DataError("the fixed effects are not estimable (the design is rank deficient): check that "
                        "baseline and numeric covariates vary and that every arm has participants at every visit.")
    coords = None
    if structure == "spexp":
        if visit_text:
            raise DataError(f"covariance='spatial-exponential' needs numeric visits in column {visit!r}.")
        coords = np.array(levels, float)
    g_idx, g_levels, w = _groups_and_weights(df_, subject, group, weights)
    check_residual_variance(df_[outcome].to_numpy(float), X, outcome=outcome, terms="the fixed effects")
    _, s_idx = np.unique(df_[subject].astype(str).to_numpy(), return_inverse=True)
    with _limits():
        fit = _gls.fit_gls(df_[outcome].to_numpy(float), X, v_idx, s_idx, structure, T=T, group=g_idx,
                           weights=w, coords=coords, method=method)
        check_converged(fit, what=f"the {method} fit ({code} covariance)")
        inf = GlsInference(fit, df_method, vcov, between=design.between(df_, subject, X)
                           if df_method == "between-within" else None)
        coef = _coefficients(fit, inf, design.columns, cl)
        rows_c, rows_m = [], []
        if uses_arm:
            Lall = design.grid([{arm: a, visit: lev} for lev in levels for a in arms], df_, lsmeans_weights)
            for t, lev in enumerate(levels):
                Lm = Lall[t * A:(t + 1) * A]
                v, dfs = inf.contrast(Lm)
                mt = means_table(Lm @ fit.beta, np.sqrt(v), dfs, arms, cl)
                mt.insert(0, "visit", lev)
                rows_m.append(mt)
                pairs = contrast_pairs(arms, ref)
                Lc = np.array([Lm[arms.index(a)] - Lm[arms.index(b)] for a, b in pairs])
                vc, dfc = inf.contrast(Lc)
                ct = contrast_table(Lc @ fit.beta, np.sqrt(vc), dfc, [f"{a} - {b}" for a, b in pairs],
                                    confidence_level=cl, adjust=adjust, n_means=A)
                ct.insert(0, "visit", lev)
                rows_c.append(ct)
    cm = ["visit", "arm", "estimate", "se", "df", "ci_low", "ci_high"]
    cc = ["visit", "contrast", "estimate", "se", "df", "statistic", "ci_low", "ci_high", "p_value"]
    lab = [str(lv) for lv in levels]
    gl = g_levels or [None]
    covs = {g: pd.DataFrame(fit.sigma[i], index=lab, columns=lab) for i, g in enumerate(gl)}
    cors = {g: c / np.outer(np.sqrt(np.diag(c)), np.sqrt(np.diag(c))) for g, c in covs.items()}
    params = pd.DataFrame({"group": np.repeat(gl, fit.k), "parameter": np.tile(_param_names(structure, lab),
                                                                             len(gl)), "estimate": fit.psi})
    loglik = -0.5 * fit.value
    prov = make_provenance("mmrm", {"outcome": outcome, "arm": arm, "visit": visit, "subject": subject,
                                    "baseline": baseline, "reference": ref, "covariance": code,
                                    "covariates": covariates, "formula": formula, "method": method, "df": df_method,
                                    "vcov": vcov, "group": group, "weights": weights,
                                    "lsmeans_weights": lsmeans_weights, "adjust": adjust, "confidence_level": cl},
                           df_[outcome].to_numpy(float), X)
    state = {"design": design, "model": fit, "inference": inf, "data": df_, "outcome": outcome,
             "visit": visit, "subject": subject, "group": group, "visit_map": visit_map, "visit_text": visit_text,
             "group_map": {g: i for i, g in enumerate(g_levels or [])}, "formula": formula_text}
    return MmrmResult(
        contrasts=pd.concat(rows_c, ignore_index=True) if rows_c else pd.DataFrame(columns=cc),
        lsmeans=pd.concat(rows_m, ignore_index=True) if rows_m else pd.DataFrame(columns=cm),
        coefficients=coef,
        covariance_matrix=covs[None] if group is None else covs,
        correlation_matrix=cors[None] if group is None else cors,
        covariance_parameters=params, covariance=code, reference=ref, adjust=adjust, method=method,
        df_method=df_method, vcov=vcov, loglik=float(loglik),
        aic=float(-2 * loglik + 2 * (fit.psi.size + X.shape[1])), n_subjects=int(s_idx.max() + 1),
        n_obs=int(len(df_)), n_iter=fit.n_iter, converged=fit.converged, confidence_level=cl, provenance=prov,
        _state=state)


def _coefficients(fit, inf: GlsInference, names: list[str], cl: float) -> pd.DataFrame:
    v, dfs = inf.contrast(np.eye(fit.p))
    se = np.sqrt(v)
    t = fit.beta / se
    crit = _dist.t_ppf(0.5 + cl / 2, dfs)
    return pd.DataFrame({"estimate": fit.beta, "se": se, "df": dfs, "statistic": t,
                         "p_value": 2 * _dist.t_sf(np.abs(t), dfs), "ci_low": fit.beta - crit * se,
                         "ci_high": fit.beta + crit * se}, index=pd.Index(names, name="term"))


def _param_names(structure: str, lab: list[str]) -> list[str]:
    T = len(lab)
    var = [f"var({v})" for v in lab]
    if structure == "us":
        return [f"cov({lab[i]},{lab[j]})" for i in range(T) for j in range(i + 1)]
    if structure == "toep":
        return [f"cov(lag {k})" for k in range(T)]
    lags = [f"corr(lag {k})" for k in range(1, T)]
    adj = [f"corr({lab[k]},{lab[k + 1]})" for k in range(T - 1)]
    return {"toeph": var + lags, "ante": var + adj, "cs": ["covariance", "residual"], "csh": var + ["corr"],
            "ar1": ["variance", "corr"], "ar1h": var + ["corr"], "spexp": ["variance", "range"]}[structure]
