"""One intercept-only random-effects model (a 1-D ``y``, ``v``, no mask): the per-call path of ``rma_fit``.

A single small fit (k = 10) is where per-call cost shows: the stacked kernels in :mod:`.rma`, :mod:`.tau2`
and :mod:`.rma_linalg` spend most of that call on NumPy's overhead for 0-d arrays and scalars. Here the
k-vectors are still NumPy arrays, combined with the same operations in the same order, and every sum is
NumPy's (pairwise) sum; only the scalar bookkeeping runs on Python floats, which are the same IEEE doubles
(``+ - * /`` and ``sqrt`` are correctly rounded either way, powers go through the same ``pow``). With the
intercept design ``x = 1`` and no mask (``m = 1``) the stacked code's products by ``x`` and ``m`` are exact
identities, so they are left out. A fit here therefore equals the stacked fit bit for bit
(``tests/test_meta_batch.py`` compares single fits with rows of a batch; ``tests/test_meta_kernels_one.py``
compares this path with the stacked one on a grid of problems).

Examples
--------
>>> y = np.array([0.1, 0.5, 0.9]); v = np.array([0.01, 0.02, 0.03])
>>> fit = fit_one(y, v, method="REML", test="z", level=0.95, tau2=None, tol=1e-12, maxiter=1000)
>>> round(float(fit["beta"][0]), 6), round(float(fit["tau2"]), 6)
(0.483355, 0.140415)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["fit_one", "final_stats", "FAST_TAU2"]

_sum = np.add.reduce
_EPS = float(np.finfo(float).eps)
_NAN = math.nan
_INF = math.inf
#: the two-sided normal critical value by ``1 - level`` (a few levels are used over and over)
_Z_CRIT: dict[float, float] = {}
#: see :data:`retrostats.kernels.tau2.NOISE_FLOOR` (kept equal; tests/test_meta_kernels_one.py checks it)
NOISE_FLOOR = 1e-8


def _div(a: float, b: float) -> float:
    """``a / b`` with IEEE results for ``b == 0`` (as NumPy under ``errstate(divide='ignore')``)."""
    if b != 0.0:
        return a / b
    if a != a or a == 0.0:
        return _NAN
    return math.copysign(_INF, a) * math.copysign(1.0, b)


def _pow(x: float, y: float) -> float:
    """``x ** y`` through ``pow`` (as NumPy's scalar power), infinite instead of OverflowError."""
    try:
        return x**y
    except OverflowError:
        return _INF


def _nonneg(t: float) -> float:
    """``np.maximum(t, 0.0)`` (NaN kept)."""
    return 0.0 if t < 0.0 else t


def _wls(y: np.ndarray, w: np.ndarray) -> tuple[float, float, np.ndarray, float]:
    """:func:`.rma_linalg.wls` with ``X = 1``: ``(beta, (sum w)^-1, y - beta, sum w)``."""
    sw = float(_sum(w))
    a_inv = 1.0 / sw if sw > 0 else _NAN
    beta = float(_sum(w * y)) * a_inv
    return beta, a_inv, y - beta, sw


def _p_stats(y: np.ndarray, w: np.ndarray, second: bool) -> tuple[float, ...]:
    """:func:`.rma_linalg.p_stats` with ``X = 1``: ``(ypy, trp, sw)`` or ``(ypy, trp, sw, yppy, trpp, sww)``."""
    _, a, resid, sw = _wls(y, w)
    we = w * resid
    ypy = float(_sum(we * resid))
    ww = w * w
    b2 = float(_sum(ww))
    trp = sw - a * b2
    if not second:
        return ypy, trp, sw
    yppy = float(_sum(we * we))
    trpp = b2 - 2.0 * a * float(_sum(ww * w)) + _pow(a * b2, 2)
    return ypy, trp, sw, yppy, trpp, b2


def _ols_resid(y: np.ndarray, k: float) -> np.ndarray:
    """The residuals of the unweighted fit (``wls(y, m, X)`` of :mod:`.tau2` with ``m = X = 1``)."""
    return y - float(_sum(y)) * (1.0 / k)


def _he(y: np.ndarray, v: np.ndarray, k: float, sv: float) -> float:
    """:func:`.tau2.tau2_he`: ``(RSS - tr(PV)) / (k - 1)``."""
    if not k - 1.0 > 0:
        return 0.0
    e = _ols_resid(y, k)
    tr_pv = sv - (1.0 / k) * sv
    return _nonneg((float(_sum(e * e)) - tr_pv) / (k - 1.0))


def _dl(k: float, at_zero) -> float:
    """:func:`.tau2.tau2_dl`: ``(Q - (k - 1)) / tr P`` with weights ``1/v``."""
    if not k - 1.0 > 0:
        return 0.0
    ypy, trp = at_zero()[:2]
    return _nonneg(_div(ypy - (k - 1.0), trp))


def _newton_step(y: np.ndarray, w: np.ndarray, reml: bool) -> float:
    """One step of :func:`.tau2._reml_newton` / ``_ml_newton`` from :func:`.rma_linalg.int_stats`."""
    sw = float(_sum(w))
    mu = _div(float(_sum(w * y)), sw)
    e = y - mu
    we = w * e
    ww = w * w
    sww = float(_sum(ww))
    we2 = we * we
    c = float(_sum(we * w))
    yppy = float(_sum(we2))
    yp3y = float(_sum(we2 * w)) - _div(c * c, sw)
    if reml:
        r = _div(sww, sw)
        trp = sw - r
        info = sww - _div(2.0 * float(_sum(ww * w)), sw) + r * r
        fisher = _div(yppy - trp, info)
    else:
        info = sww
        fisher = _div(yppy - sw, sww)
    obs = 2.0 * yp3y - info
    return fisher * info / obs if obs > 0 else fisher


def _zero_score(s0: tuple, reml: bool) -> float:
    """The Fisher step at tau² = 0 (``_reml_step`` / ``_ml_step`` of :mod:`.tau2`) from ``_p_stats(y, 1/v)``."""
    _, trp, sw, yppy, trpp, sww = s0
    return _div(yppy - trp, trpp) if reml else _div(yppy - sw, sww)


def _fisher(y, v, k, sv, unit, reml, tol, maxiter, at_zero) -> tuple[float, bool]:
    """:func:`.tau2._fisher` (the loop of ``_fisher_one``) for ML/REML, from the Hedges start.

    ``at_zero()`` gives (and keeps) ``_p_stats(y, 1 / v, True)``, for the boundary check.
    """
    t = _he(y, v, k, sv)
    active = k - 1.0 > 0
    converged = not active
    prev = _INF
    for _ in range(maxiter):
        if not active:
            break
        adj = _newton_step(y, 1.0 / (v + t), reml)
        if not math.isfinite(adj):
            adj = 0.0
        if t + adj < 0:
            # metafor halves the step until tau2 stays >= 0; the number of halvings in closed form
            if t > 0:
                adj = adj / _pow(2.0, float(np.ceil(np.log2(-adj / t))))
            else:
                adj = 0.0
            if t + adj < 0:
                adj = adj / 2.0
        new = t + adj
        step = abs(new - t)
        done = step <= tol * max(unit, new) or (step >= prev and step <= NOISE_FLOOR * max(unit, abs(new)))
        prev, t = step, new
        converged = converged or done
        active = not done
    if converged and t <= 1e-6 * max(sv / k, 1e-300) and _zero_score(at_zero(), reml) <= 0:
        t = 0.0
    return (_nonneg(t) if k - 1.0 > 0 else 0.0), converged


def _pm(y, v, k, unit, tol, maxiter) -> tuple[float, bool]:
    """:func:`.tau2.q_root` at ``k - 1`` (Paule-Mandel and empirical Bayes): safeguarded Newton."""
    target = k - 1.0
    e = _ols_resid(y, k)
    hi = _div(float(_sum(e * e)), target)
    lo = t = 0.0
    q0 = _p_stats(y, 1.0 / (v + 0.0), False)[0]
    active = q0 >= target and target > 0 and math.isfinite(hi)
    converged = not active
    prev = _INF
    for _ in range(maxiter):
        if not active:
            break
        ypy, _, _, yppy, _, _ = _p_stats(y, 1.0 / (v + t), True)
        f = ypy - target
        if f > 0:
            lo = t
        if f < 0:
            hi = t
        newton = t + _div(f, yppy)
        new = newton if (newton > lo and newton < hi and math.isfinite(newton)) else 0.5 * (lo + hi)
        step = abs(new - t)
        done = (
            step <= tol * max(unit, new)
            or f == 0
            or (step >= prev and step <= NOISE_FLOOR * max(unit, abs(new)))
        )
        prev, t = step, new
        converged = converged or done
        active = not done
    return (_nonneg(t) if target > 0 else 0.0), converged


#: tau² estimators with a path here (a method replaced in ``TAU2`` by ``register_tau2`` is not taken here)
FAST_TAU2 = ("REML", "ML", "PM", "EB", "DL", "EE", "HE")


def _tau2(y, v, k, method, tol, maxiter, at_zero) -> tuple[float, bool]:
    sv = float(_sum(v))
    if method in ("EE", "HE", "DL"):
        return (0.0 if method == "EE" else _he(y, v, k, sv) if method == "HE" else _dl(k, at_zero)), True
    s = sv / k
    unit = s if math.isfinite(s) and s > 0 else 1.0  # :func:`.tau2._scale`
    if method in ("PM", "EB"):
        return _pm(y, v, k, unit, tol, maxiter)
    return _fisher(y, v, k, sv, unit, method == "REML", tol, maxiter, at_zero)


def fit_one(y, v, *, method, test, level, tau2, tol, maxiter, estimator=None) -> dict:
    """:func:`.rma.rma_fit` for one intercept-only problem without a mask (same keys, same bits).

    ``estimator`` (a function of ``TAU2``) is used when ``method`` has no path here; ``tau2`` fixes tau².
    """
    k = float(y.shape[-1])
    kept: list = []

    def at_zero() -> tuple:  # the statistics with weights 1/v, computed once (tau² estimators, Q, tr P)
        if not kept:
            kept.append(_p_stats(y, 1.0 / v, True))
        return kept[0]

    if tau2 is not None:
        t2, conv = float(tau2), True
    elif estimator is None:
        t2, conv = _tau2(y, v, k, method, tol, maxiter, at_zero)
    else:
        t, c = estimator(y, v, np.ones((y.shape[-1], 1)), np.ones(y.shape[-1]), tol=tol, maxiter=maxiter)
        t2, conv = float(t), bool(c)
    w = 1.0 / (v + t2)
    beta, a_inv, resid, _ = _wls(y, w)
    rss = float(_sum(w * resid * resid)) if test == "knha" else _NAN
    s = kept[0] if kept else _p_stats(y, 1.0 / v, False)
    out = final_stats(beta, a_inv, rss, s[0], s[1], t2, k, 1, method, test, level)
    out["weights"], out["resid"], out["converged"] = w, resid, np.asarray(conv)
    return out


def final_stats(b0, vjj, rss, ypy, trp, t2, k, p, method, test, level) -> dict:
    """Tests, heterogeneity and prediction interval of a one-coefficient fit from its scalars.

    ``b0`` and ``vjj`` are the coefficient and ``(X'WX)^-1``, ``rss`` the weighted residual sum of squares
    (used with ``knha``), ``ypy`` and ``trp`` the Q statistic and ``tr P`` with weights ``1/v``; the
    operations are those of :func:`.rma.rma_fit`. Returns its keys except ``weights, resid, converged``.
    """
    f64 = np.float64
    ddf = k - p
    k1 = k == 1
    knha = test == "knha"
    a = 1.0 - level
    z_crit = _Z_CRIT.get(a)
    if z_crit is None:
        z_crit = -float(special.ndtri(a / 2.0))
        if len(_Z_CRIT) < 64:
            _Z_CRIT[a] = z_crit
    if knha:
        s2w = 1.0 if k1 else (0.0 if rss <= _EPS else _div(rss, ddf))
        vjj = vjj * s2w
    else:
        s2w = 1.0
    se0 = math.sqrt(vjj) if vjj >= 0 else _NAN
    z0 = _div(b0, se0)
    pos = ddf > 0
    if knha and not k1:
        dfp = ddf if pos else 1.0
        pval = 2.0 * float(special.stdtr(dfp, -abs(z0))) if pos else _NAN
        crit = -float(special.stdtrit(dfp, a / 2.0)) if pos else _NAN
    else:
        pval = 2.0 * float(special.ndtr(-abs(z0)))
        crit = z_crit
    qm = b0 * (1.0 / vjj if vjj != 0.0 else 0.0) * b0
    if knha:
        qm_df2 = ddf
        if k1:
            qm_p = special.chdtrc(1, qm)
        else:
            qm_p = special.fdtrc(1, dfp, qm) if pos else _NAN
    else:
        qm_df2 = _NAN
        qm_p = special.chdtrc(1, qm)
    if pos:
        qe = 0.0 if ypy < 0.0 else ypy  # np.maximum(0, ypy), NaN kept
        qe_p = special.chdtrc(ddf, qe)
        vt = _div(ddf, trp)
        if method == "EE":
            i2 = _div(100.0 * (qe - ddf), qe)
            i2 = 0.0 if i2 < 0.0 else i2
            h2 = _div(qe, ddf)
        else:
            i2 = _div(100.0 * t2, vt + t2)
            h2 = _div(t2, vt) + 1.0
        if i2 != i2:
            i2 = 0.0
    else:
        qe, qe_p, vt, i2, h2 = 0.0, 1.0, 0.0, 0.0, 1.0
    var = se0 * se0 + t2
    pi_half = crit * (math.sqrt(var) if var >= 0 else _NAN)  # x * x, as NumPy squares arrays (not pow)
    return {
        "beta": np.array([b0]),
        "vb": np.array([[vjj]]),
        "se": np.array([se0]),
        "zval": np.array([z0]),
        "pval": np.array([pval]),
        "ci_lb": np.array([b0 - crit * se0]),
        "ci_ub": np.array([b0 + crit * se0]),
        "tau2": np.asarray(t2),
        "k": np.asarray(k),
        "p": p,
        "ddf": f64(ddf),
        "s2w": f64(s2w),
        "qe": f64(qe),
        "qe_p": f64(qe_p),
        "i2": f64(i2),
        "h2": f64(h2),
        "vt": f64(vt),
        "qm": f64(qm),
        "qm_df1": 1,
        "qm_df2": f64(qm_df2),
        "qm_p": f64(qm_p),
        "pred": f64(b0),
        "pi_lb": f64(b0 - pi_half),
        "pi_ub": f64(b0 + pi_half),
    }
