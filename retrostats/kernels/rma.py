"""The random/equal-effects meta-analytic model (metafor's ``rma.uni``) for stacks of problems.

``rma_fit`` estimates tau² with an estimator from :data:`retrostats.kernels.tau2.TAU2`, then the fixed
effects by weighted least squares, their tests (``z`` or Knapp-Hartung ``knha``), the omnibus test of the
moderators (QM), the heterogeneity statistics (QE, I², H²) and the prediction interval, exactly as metafor
3.8 does (``rma.uni``, ``predict.rma`` with its default ``pi.type``). Inputs may carry leading batch
dimensions and a 0/1 mask, so leave-one-out, cumulative and permutation analyses are single calls.

Examples
--------
>>> y = np.array([0.1, 0.5, 0.9]); v = np.array([0.01, 0.02, 0.03])
>>> fit = rma_fit(y, v, method="DL")
>>> round(float(fit["beta"][0]), 6), round(float(fit["i2"]), 4)
(0.483484, 88.5417)
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .rma_linalg import p_stats, wls
from .tau2 import DEFAULT_MAXITER, DEFAULT_TOL, TAU2

__all__ = ["rma_fit", "METHODS", "TESTS"]

METHODS = tuple(TAU2)
TESTS = ("z", "knha")


def rma_fit(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    *,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    tau2: np.ndarray | float | None = None,
    btt: np.ndarray | None = None,
    tol: float = DEFAULT_TOL,
    maxiter: int = DEFAULT_MAXITER,
) -> dict[str, np.ndarray]:
    """Fit ``y ~ X`` with sampling variances ``v`` for every problem in a stack.

    Parameters
    ----------
    y, v : ndarray, shape (..., k)
    X : ndarray, shape (..., k, p), optional
        Design (an intercept column when omitted).
    mask : ndarray, shape (..., k), optional
        1 where a study takes part, 0 where it is left out.
    method, test : str
        A key of ``TAU2``; ``"z"`` or ``"knha"``.
    level : float
        Confidence level (a fraction).
    tau2 : float or ndarray, optional
        A fixed tau² (skips estimation).
    btt : ndarray of int, optional
        Coefficients tested by QM (default: all but an intercept in column 0 when p > 1).
    tol, maxiter : solver settings of the iterative estimators.

    Returns
    -------
    dict of ndarray
        ``beta, vb, se, zval, pval, ci_lb, ci_ub, tau2, k, p, ddf, s2w, qe, qe_p, i2, h2, vt, qm, qm_df1,
        qm_df2, qm_p, pred, pi_lb, pi_ub, weights (w = 1/(v + tau2)), converged``. ``pred`` and the
        prediction interval are for the first column of ``X`` (the average effect when intercept only).
    """
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    if X is None:
        X = np.ones((*y.shape[-1:], 1))
    X = np.asarray(X, dtype=float)
    m = np.ones(np.broadcast_shapes(y.shape, v.shape)) if mask is None else np.asarray(mask, dtype=float)
    p = X.shape[-1]
    k = np.sum(m, axis=-1)
    shape = np.broadcast_shapes(y.shape[:-1], v.shape[:-1], m.shape[:-1], X.shape[:-2])
    if tau2 is None:
        t2, conv = TAU2[method](y, v, X, m, tol=tol, maxiter=maxiter)
        t2 = np.broadcast_to(t2, shape)
    else:
        t2 = np.broadcast_to(np.asarray(tau2, dtype=float), shape)
        conv = np.ones(shape, dtype=bool)
    w = m / (v + t2[..., None])
    beta, vb, resid = wls(y, w, X)
    ddf = (k - p).astype(float) if np.ndim(k) else np.float64(k - p)
    ddf = np.broadcast_to(ddf, shape)
    # metafor switches to test="z" for a single study (cumulative analyses start there)
    k1 = np.broadcast_to(k == 1, shape)
    if test == "knha":
        rss = np.sum(w * resid * resid, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / ddf)
        s2w = np.where(k1, 1.0, s2w)
    else:
        s2w = np.ones(shape)
    vb = vb * s2w[..., None, None]
    se = np.sqrt(np.diagonal(vb, axis1=-2, axis2=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        zval = beta / se
    a = 1.0 - level
    if test == "knha":
        pos = ddf > 0
        dfx = np.where(pos, ddf, 1.0)[..., None]
        pval = np.where(pos[..., None], 2.0 * stats.t.sf(np.abs(zval), dfx), np.nan)
        crit = np.where(pos, stats.t.isf(a / 2.0, np.where(pos, ddf, 1.0)), np.nan)
        pval = np.where(k1[..., None], 2.0 * stats.norm.sf(np.abs(zval)), pval)
        crit = np.where(k1, stats.norm.isf(a / 2.0), crit)
    else:
        pval = 2.0 * stats.norm.sf(np.abs(zval))
        crit = np.broadcast_to(stats.norm.isf(a / 2.0), shape)
    ci_lb = beta - crit[..., None] * se
    ci_ub = beta + crit[..., None] * se

    # omnibus test of the moderators
    if btt is None:
        intercept = bool(np.all(X[..., 0] == 1.0))
        btt = np.arange(1, p) if (p > 1 and intercept) else np.arange(p)
    btt = np.asarray(btt, dtype=int)
    bsel = beta[..., btt]
    vsel = vb[..., btt[:, None], btt[None, :]]
    with np.errstate(invalid="ignore", divide="ignore"):
        qm = np.einsum("...i,...ij,...j->...", bsel, np.linalg.pinv(vsel), bsel)
    mq = len(btt)
    if test == "knha":
        qm = qm / mq
        qm_df2 = ddf
        qm_p = np.where(ddf > 0, stats.f.sf(qm, mq, np.where(ddf > 0, ddf, 1.0)), np.nan)
        qm = np.where(k1, qm * mq, qm)
        qm_p = np.where(k1, stats.chi2.sf(qm, mq), qm_p)
    else:
        qm_df2 = np.full(shape, np.nan)
        qm_p = stats.chi2.sf(qm, mq)

    # heterogeneity (weights 1/v)
    s = p_stats(y, m / v, X)
    has_df = ddf > 0
    qe = np.where(has_df, np.maximum(0.0, s["ypy"]), 0.0)
    qe_p = np.where(has_df, stats.chi2.sf(qe, np.where(has_df, ddf, 1.0)), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        vt = np.where(has_df, ddf / s["trp"], 0.0)
        if method == "EE":
            i2 = np.where(has_df, np.maximum(0.0, 100.0 * (qe - ddf) / qe), 0.0)
            h2 = np.where(has_df, qe / ddf, 1.0)
        else:
            i2 = np.where(has_df, 100.0 * t2 / (vt + t2), 0.0)
            h2 = np.where(has_df, t2 / vt + 1.0, 1.0)
    i2 = np.where(np.isnan(i2) & has_df, 0.0, i2)

    pred = beta[..., 0]
    pi_half = crit * np.sqrt(se[..., 0] ** 2 + t2)
    return {
        "beta": beta,
        "vb": vb,
        "se": se,
        "zval": zval,
        "pval": pval,
        "ci_lb": ci_lb,
        "ci_ub": ci_ub,
        "tau2": np.asarray(t2),
        "k": np.asarray(k),
        "p": p,
        "ddf": ddf,
        "s2w": s2w,
        "qe": qe,
        "qe_p": qe_p,
        "i2": i2,
        "h2": h2,
        "vt": vt,
        "qm": qm,
        "qm_df1": mq,
        "qm_df2": qm_df2,
        "qm_p": qm_p,
        "pred": pred,
        "pi_lb": pred - pi_half,
        "pi_ub": pred + pi_half,
        "weights": w,
        "converged": np.asarray(conv),
        "resid": resid,
    }
