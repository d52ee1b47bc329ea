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
from scipy import special

from .rma_linalg import p_stats, wls
from .rma_one import FAST_TAU2, fit_one
from .tau2 import DEFAULT_MAXITER, DEFAULT_TOL, TAU2

__all__ = ["rma_fit", "METHODS", "TESTS"]

METHODS = tuple(TAU2)
TESTS = ("z", "knha")
_EPS = float(np.finfo(float).eps)
#: intercept-only designs by number of studies (read-only, shared)
_ONES: dict[int, np.ndarray] = {}
#: the built-in estimators that :func:`.rma_one.fit_one` has a path for (one replaced by register_tau2 is not)
_FAST = {code: TAU2[code] for code in FAST_TAU2}


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
    start: np.ndarray | float | None = None,
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
    start : float or ndarray, optional
        Starting values of tau² for the ML/REML iterations (e.g. the full fit's, for leave-one-out); the
        other estimators ignore it.

    Returns
    -------
    dict of ndarray
        ``beta, vb, se, zval, pval, ci_lb, ci_ub, tau2, k, p, ddf, s2w, qe, qe_p, i2, h2, vt, qm, qm_df1,
        qm_df2, qm_p, pred, pi_lb, pi_ub, weights (w = 1/(v + tau2)), converged``. ``pred`` and the
        prediction interval are for the first column of ``X`` (the average effect when intercept only).
    """
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    if _one_intercept_only(y, v, X, mask, btt, start, tau2):
        est = TAU2[method]
        return fit_one(
            y, v, method=method, test=test, level=level, tau2=tau2, tol=tol, maxiter=maxiter,
            estimator=None if _FAST.get(method) is est else est,
        )
    if X is None:
        X = _ONES.get(y.shape[-1])
        if X is None:
            X = np.ones((y.shape[-1], 1))
            X.flags.writeable = False
            _ONES[y.shape[-1]] = X
    X = np.asarray(X, dtype=float)
    p = X.shape[-1]
    if mask is None:
        m = np.ones(y.shape if y.shape == v.shape else np.broadcast_shapes(y.shape, v.shape))
        shape = m.shape[:-1] if X.ndim == 2 else np.broadcast_shapes(m.shape[:-1], X.shape[:-2])
    else:
        m = np.asarray(mask, dtype=float)
        shape = np.broadcast_shapes(y.shape[:-1], v.shape[:-1], m.shape[:-1], X.shape[:-2])
    k = m.sum(-1)
    scalar = shape == ()
    if tau2 is None:
        opts = {"tol": tol, "maxiter": maxiter}
        if start is not None:
            opts["start"] = np.broadcast_to(np.asarray(start, dtype=float), shape)
        t2, conv = TAU2[method](y, v, X, m, **opts)
        if np.shape(t2) != shape:
            t2 = np.broadcast_to(t2, shape)
    else:
        t2 = np.asarray(tau2, dtype=float)
        t2 = t2 if t2.shape == shape else np.broadcast_to(t2, shape)
        conv = np.ones(shape, dtype=bool)
    w = m / (v + t2[..., None])
    beta, vb, resid = wls(y, w, X)
    if scalar and p == 1 and btt is None:
        return _one_problem(y, v, X, m, w, beta, vb, resid, t2, conv, k, method, test, level)
    ddf = k - p
    if ddf.shape != shape:
        ddf = np.broadcast_to(ddf, shape)
    # metafor switches to test="z" for a single study (cumulative analyses start there)
    k1 = k == 1
    if k1.shape != shape:
        k1 = np.broadcast_to(k1, shape)
    any_k1 = bool(k1) if scalar else bool(k1.any())
    knha = test == "knha"
    if knha:
        rss = (w * resid * resid).sum(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s2w = np.where(rss <= _EPS, 0.0, rss / ddf)
        if any_k1:
            s2w = np.where(k1, 1.0, s2w)
        vb = vb * s2w[..., None, None]
    else:
        s2w = np.ones(shape)
    se = np.sqrt(np.diagonal(vb, axis1=-2, axis2=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        zval = beta / se
    a = 1.0 - level
    z_crit = -special.ndtri(a / 2.0)
    if knha:
        pos = ddf > 0
        all_pos = bool(pos) if scalar else bool(pos.all())
        dfp = ddf if all_pos else np.where(pos, ddf, 1.0)
        pval = 2.0 * special.stdtr(dfp[..., None], -np.abs(zval))
        crit = -special.stdtrit(dfp, a / 2.0)
        if not all_pos:
            pval = np.where(pos[..., None], pval, np.nan)
            crit = np.where(pos, crit, np.nan)
        if any_k1:
            pval = np.where(k1[..., None], 2.0 * special.ndtr(-np.abs(zval)), pval)
            crit = np.where(k1, z_crit, crit)
    else:
        pval = 2.0 * special.ndtr(-np.abs(zval))
        crit = np.full(shape, z_crit)
    ci_lb = beta - crit[..., None] * se
    ci_ub = beta + crit[..., None] * se

    # omnibus test of the moderators
    if btt is None:
        intercept = p > 1 and bool(np.all(X[..., 0] == 1.0))
        btt = np.arange(1, p) if intercept else np.arange(p)
    btt = np.asarray(btt, dtype=int)
    mq = len(btt)
    with np.errstate(invalid="ignore", divide="ignore"):
        if mq == 1:
            j = int(btt[0])
            vjj = vb[..., j, j]
            qm = beta[..., j] * np.where(vjj != 0.0, 1.0 / vjj, 0.0) * beta[..., j]  # = pinv for 1 x 1
        else:
            bsel = beta[..., btt]
            vsel = vb[..., btt[:, None], btt[None, :]]
            qm = np.einsum("...i,...ij,...j->...", bsel, np.linalg.pinv(vsel), bsel)
    if knha:
        qm = qm / mq
        qm_df2 = ddf
        qm_p = special.fdtrc(mq, dfp, qm)
        if not all_pos:
            qm_p = np.where(pos, qm_p, np.nan)
        if any_k1:
            qm = np.where(k1, qm * mq, qm)
            qm_p = np.where(k1, special.chdtrc(mq, qm), qm_p)
    else:
        qm_df2 = np.full(shape, np.nan)
        qm_p = special.chdtrc(mq, qm)

    # heterogeneity (weights 1/v)
    s = p_stats(y, m / v, X)
    has_df = ddf > 0
    qe = np.where(has_df, np.maximum(0.0, s["ypy"]), 0.0)
    qe_p = np.where(has_df, special.chdtrc(np.where(has_df, ddf, 1.0), qe), 1.0)
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


def _one_intercept_only(y, v, X, mask, btt, start, tau2) -> bool:
    """One problem, intercept only, no mask: :func:`.rma_one.fit_one` computes it (the same bits, faster)."""
    if mask is not None or btt is not None or start is not None or y.ndim != 1 or v.shape != y.shape:
        return False
    if not y.shape[0] or (tau2 is not None and np.ndim(tau2) != 0):
        return False
    return X is None or (np.shape(X) == (y.shape[0], 1) and bool((np.asarray(X) == 1.0).all()))


def _one_problem(y, v, X, m, w, beta, vb, resid, t2, conv, k, method, test, level) -> dict:
    """:func:`rma_fit` for one problem with one coefficient, with the scalar arithmetic on NumPy scalars.

    The operations and their order are those of the stacked code in :func:`rma_fit` (IEEE double either
    way), so a single fit equals the corresponding row of a stacked fit bit for bit (``tests/test_meta_batch``
    checks it); it only skips the per-call cost of NumPy functions on 0-d arrays.
    """
    f64 = np.float64
    nan = f64(np.nan)
    t2 = f64(t2)
    ddf = f64(k - 1)
    k1 = bool(k == 1)
    knha = test == "knha"
    a = 1.0 - level
    z_crit = -special.ndtri(a / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if knha:
            rss = (w * resid * resid).sum(-1)
            s2w = f64(1.0) if k1 else (f64(0.0) if rss <= _EPS else rss / ddf)
            vb = vb * s2w
        else:
            s2w = f64(1.0)
        vjj = vb[0, 0]
        se0 = np.sqrt(vjj)
        b0 = beta[0]
        z0 = b0 / se0
        pos = ddf > 0
        if knha and not k1:
            dfp = ddf if pos else f64(1.0)
            pval = 2.0 * special.stdtr(dfp, -abs(z0)) if pos else nan
            crit = -special.stdtrit(dfp, a / 2.0) if pos else nan
        else:
            pval = 2.0 * special.ndtr(-abs(z0))
            crit = z_crit
        qm = b0 * (1.0 / vjj if vjj != 0.0 else f64(0.0)) * b0
        if knha:
            qm_df2 = ddf
            if k1:
                qm_p = special.chdtrc(1, qm)
            else:
                qm_p = special.fdtrc(1, dfp, qm) if pos else nan
        else:
            qm_df2 = nan
            qm_p = special.chdtrc(1, qm)
        s = p_stats(y, m / v, X)
        if pos:
            ypy = s["ypy"]
            qe = ypy if not (ypy < 0.0) else f64(0.0)  # np.maximum(0, ypy), NaN kept
            qe_p = special.chdtrc(ddf, qe)
            vt = ddf / s["trp"]
            if method == "EE":
                i2 = 100.0 * (qe - ddf) / qe
                i2 = i2 if not (i2 < 0.0) else f64(0.0)
                h2 = qe / ddf
            else:
                i2 = 100.0 * t2 / (vt + t2)
                h2 = t2 / vt + 1.0
            if np.isnan(i2):
                i2 = f64(0.0)
        else:
            qe, qe_p, vt, i2 = f64(0.0), f64(1.0), f64(0.0), f64(0.0)
            h2 = f64(1.0)
        pi_half = crit * np.sqrt(se0 * se0 + t2)  # x * x, as NumPy squares arrays (not pow)
    se = np.array([se0])
    zval = np.array([z0])
    return {
        "beta": beta,
        "vb": vb,
        "se": se,
        "zval": zval,
        "pval": np.array([pval], dtype=float),
        "ci_lb": beta - crit * se,
        "ci_ub": beta + crit * se,
        "tau2": np.asarray(t2),
        "k": np.asarray(k),
        "p": 1,
        "ddf": ddf,
        "s2w": s2w,
        "qe": qe,
        "qe_p": f64(qe_p),
        "i2": i2,
        "h2": h2,
        "vt": vt,
        "qm": qm,
        "qm_df1": 1,
        "qm_df2": qm_df2,
        "qm_p": f64(qm_p),
        "pred": b0,
        "pi_lb": b0 - pi_half,
        "pi_ub": b0 + pi_half,
        "weights": w,
        "converged": np.asarray(conv),
        "resid": resid,
    }
