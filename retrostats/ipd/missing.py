"""Missing outcomes: multiple imputation for the ANCOVA (Rubin's rules) and a delta-adjusted tipping point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._display import ResultDisplay
from ..exceptions import DataError
from ..kernels import _dist
from ..provenance import Provenance, make_provenance
from ..validators import check_columns, check_confidence_level, check_interval, check_option
from ._common import arm_order, choose_reference, contrast_pairs, numeric_column
from .ancova import ancova_design

__all__ = ["ancova_mi", "tipping_point", "rubin", "MIResult"]


def rubin(estimates: np.ndarray, variances: np.ndarray, df_complete: float) -> dict[str, np.ndarray]:
    """Rubin's rules along axis 0 (imputations), with Barnard and Rubin's (1999) small-sample df.

    Examples
    --------
    >>> r = rubin(np.array([[1.0], [1.2], [0.8]]), np.array([[0.04], [0.05], [0.04]]), 50)
    >>> round(float(r["estimate"][0]), 6), round(float(r["se"][0]), 4)
    (1.0, 0.3109)
    """
    m = estimates.shape[0]
    qbar = estimates.mean(axis=0)
    ubar = variances.mean(axis=0)
    b = estimates.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    lam = np.where(t > 0, (1 + 1 / m) * b / t, 0.0)
    with np.errstate(divide="ignore"):
        df_old = np.where(lam > 0, (m - 1) / lam ** 2, np.inf)
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        df = np.where(np.isinf(df_old), df_obs, 1 / (1 / df_old + 1 / df_obs))
    return {"estimate": qbar, "se": np.sqrt(t), "df": df, "fmi": lam, "within": ubar, "between": b}


@dataclass(frozen=True)
class MIResult(ResultDisplay):
    """ANCOVA after multiple imputation.

    Attributes
    ----------
    contrasts : DataFrame
        ``contrast, estimate, se, df`` (Barnard-Rubin), ``statistic, ci_low, ci_high, p_value, fmi``
        (fraction of missing information, lambda).
    n_imputations, n_missing : int
    delta : float
    provenance : Provenance
        The call (with its seed) and a checksum of the data.
    """

    _summary_title = "ANCOVA after multiple imputation"

    contrasts: pd.DataFrame
    n_imputations: int
    n_missing: int
    delta: float
    provenance: Provenance | None = field(default=None, repr=False, compare=False)


def _prepare(data, outcome, baseline, arm, covariates, reference):
    covariates = list(covariates)
    check_columns(data, [outcome, baseline, arm, *covariates], what="data")
    df = data.loc[data[arm].notna()].copy()
    ids = pd.Series([f"row {i}" for i in df.index], index=df.index)
    df[outcome] = numeric_column(df, outcome, ids, what="outcome")
    df[baseline] = numeric_column(df, baseline, ids, what="baseline")
    if df[[baseline, *covariates]].isna().any().any():
        raise DataError("ancova_mi imputes the outcome only: baseline and covariates must be complete "
                        "(drop those participants first).")
    arms = arm_order(df[arm].astype(str))
    ref = choose_reference(arms, reference)
    arms = [a for a in arms if a != ref] + [ref]
    X, grid, _ = ancova_design(df, arm, baseline, covariates, arms)
    y = df[outcome].to_numpy(float)
    miss = np.isnan(y)
    if miss.all() or (~miss).sum() <= X.shape[1]:
        raise DataError("too few observed outcomes to fit the imputation model.")
    return df, arms, ref, X, grid, y, miss


def _impute_fit(X, grid, y, miss, arms, ref, m, rng, delta, shift_rows):
    """M proper imputations (Bayesian normal regression), each analysed by OLS: arrays (m, n_contrasts)."""
    Xo, yo = X[~miss], y[~miss]
    n_o, p = Xo.shape
    XtX_inv = np.linalg.inv(Xo.T @ Xo)
    bhat = XtX_inv @ Xo.T @ yo
    s2 = float(np.sum((yo - Xo @ bhat) ** 2)) / (n_o - p)
    sig2 = (n_o - p) * s2 / rng.chisquare(n_o - p, size=m)
    Lc = np.linalg.cholesky(XtX_inv)
    betas = bhat[None, :] + np.sqrt(sig2)[:, None] * (rng.standard_normal((m, p)) @ Lc.T)
    Xm = X[miss]
    Y = np.repeat(y[:, None], m, axis=1)
    Y[miss] = Xm @ betas.T + np.sqrt(sig2)[None, :] * rng.standard_normal((Xm.shape[0], m))
    Y[miss & shift_rows] += delta
    # analyse every completed dataset at once: same X, m outcome columns
    XtXf = np.linalg.inv(X.T @ X)
    B = XtXf @ X.T @ Y
    dfc = X.shape[0] - p
    s2f = np.sum((Y - X @ B) ** 2, axis=0) / dfc
    pairs = contrast_pairs(arms, ref)
    L = np.array([grid[arms.index(a)] - grid[arms.index(b)] for a, b in pairs])
    est = (L @ B).T
    var = s2f[:, None] * np.einsum("ij,jk,ik->i", L, XtXf, L)[None, :]
    return est, var, dfc, [f"{a} - {b}" for a, b in pairs]


def ancova_mi(data: pd.DataFrame, *, outcome: str, baseline: str, arm: str, reference: str | None = None,
              covariates: Sequence[str] = (), n_imputations: int = 50, delta: float = 0.0,
              delta_arms: Sequence[str] | None = None, confidence_level: float = 0.95,
              seed: int | None = None) -> MIResult:
    """ANCOVA with missing outcomes multiply imputed, pooled by Rubin's rules.

    The imputation model is the analysis model (outcome on arm, baseline and covariates), fitted to the
    observed outcomes; each imputation draws the residual variance and coefficients from their posterior
    (improper flat prior) and then the missing outcomes, so imputations are proper (Rubin 1987, 6.2). With
    ``delta`` the imputed values of ``delta_arms`` are shifted (a delta adjustment for missing not at random).

    Parameters
    ----------
    data : DataFrame
        One row per participant; ``outcome`` may be missing, ``baseline`` and covariates may not.
    outcome, baseline, arm, reference, covariates : as :func:`retrostats.ancova`.
    n_imputations : int
    delta : float
        Shift added to imputed outcomes of ``delta_arms`` (default: every arm but the reference).
    confidence_level : float
    seed : int, optional

    Returns
    -------
    MIResult

    Notes
    -----
    Pooled SE ``sqrt(W + (1 + 1/m) B)``; degrees of freedom of Barnard and Rubin (1999). Checked against
    statsmodels' MICE on a two-arm trial (tests/test_ipd_missing.py).

    References
    ----------
    Barnard J, Rubin DB (1999) Small-sample degrees of freedom with multiple imputation. Biometrika
    86:948-955. doi:10.1093/biomet/86.4.948

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=25, arms=("retro", "control"), seed=7)
    >>> wk6 = d[d["week"] == 6].copy()
    >>> wk6.loc[wk6.index[:5], "value"] = np.nan
    >>> fit = ancova_mi(wk6, outcome="value", baseline="baseline", arm="arm", n_imputations=20, seed=1)
    >>> fit.n_missing, list(fit.contrasts["contrast"])
    (5, ['retro - control'])
    """
    cl = check_confidence_level(confidence_level)
    m = int(check_interval("n_imputations", n_imputations, 2, integer=True))
    df, arms, ref, X, grid, y, miss = _prepare(data, outcome, baseline, arm, covariates, reference)
    if isinstance(delta_arms, str):
        delta_arms = [delta_arms]
    shifted = ([a for a in arms if a != ref] if delta_arms is None
               else [check_option("delta_arms", str(a), arms) for a in delta_arms])
    shift_rows = df[arm].astype(str).isin(shifted).to_numpy()
    rng = np.random.default_rng(seed)
    est, var, dfc, labels = _impute_fit(X, grid, y, miss, arms, ref, m, rng, float(delta), shift_rows)
    r = rubin(est, var, dfc)
    t = r["estimate"] / r["se"]
    crit = _dist.t_ppf(0.5 + cl / 2, r["df"])
    con = pd.DataFrame({"contrast": labels, "estimate": r["estimate"], "se": r["se"], "df": r["df"],
                        "statistic": t, "ci_low": r["estimate"] - crit * r["se"],
                        "ci_high": r["estimate"] + crit * r["se"],
                        "p_value": 2 * _dist.t_sf(np.abs(t), r["df"]),
                        "fmi": r["fmi"]})
    prov = make_provenance(
        "ancova_mi",
        {"outcome": outcome, "baseline": baseline, "arm": arm, "reference": ref, "covariates": list(covariates),
         "n_imputations": m, "delta": delta, "delta_arms": shifted, "confidence_level": cl, "seed": seed},
        y, X,
    )
    return MIResult(con, m, int(miss.sum()), float(delta), prov)


def tipping_point(data: pd.DataFrame, *, outcome: str, baseline: str, arm: str, deltas: Sequence[float],
                  contrast: str | None = None, reference: str | None = None, covariates: Sequence[str] = (),
                  n_imputations: int = 50, alpha: float = 0.05, seed: int | None = 0) -> pd.DataFrame:
    """Delta-adjusted tipping-point analysis: how far imputed outcomes must shift to lose significance.

    For each ``delta`` the missing outcomes of the non-reference arms are imputed under MAR and shifted by
    ``delta`` (in outcome units; choose the sign that is unfavourable to the treatment), then pooled by
    Rubin's rules. The same random numbers are used for every delta, so the curve is smooth.

    Returns
    -------
    DataFrame
        ``delta, contrast, estimate, se, df, ci_low, ci_high, p_value, significant``; its
        ``attrs["tipping_point"]`` holds the first delta (in the order given) at which
        ``p_value >= alpha`` (NaN if none).

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=30, arms=("retro", "control"), change={"retro": 3}, seed=8)
    >>> wk6 = d[d["week"] == 6].copy()
    >>> wk6.loc[wk6.index[::6], "value"] = np.nan
    >>> tp = tipping_point(wk6, outcome="value", baseline="baseline", arm="arm", deltas=[0, 1, 2, 4],
    ...                    n_imputations=20)
    >>> list(tp.columns[:3])
    ['delta', 'contrast', 'estimate']
    """
    check_interval("alpha", alpha, 0, 1, low_inclusive=False, high_inclusive=False)
    rows = []
    for dlt in deltas:  # a short grid of sensitivity parameters
        fit = ancova_mi(data, outcome=outcome, baseline=baseline, arm=arm, reference=reference,
                        covariates=covariates, n_imputations=n_imputations, delta=float(dlt),
                        confidence_level=1 - alpha, seed=seed)
        c = fit.contrasts
        sel = c.iloc[[0]] if contrast is None else c.loc[c["contrast"] == contrast]
        if sel.empty:
            raise DataError(f"contrast {contrast!r} is not one of {list(c['contrast'])}.")
        rows.append(sel.assign(delta=float(dlt)))
    out = pd.concat(rows, ignore_index=True)
    out["significant"] = out["p_value"] < alpha
    out = out[["delta", "contrast", "estimate", "se", "df", "ci_low", "ci_high", "p_value", "significant"]]
    lost = out.loc[~out["significant"], "delta"]
    out.attrs["tipping_point"] = float(lost.iloc[0]) if len(lost) else float("nan")
    return out
