"""Estimators of the between-study variance tau², one small function each, plus the registry ``TAU2``.

Each estimator takes stacked problems: ``y, v, m`` of shape ``(..., k)`` (outcomes, sampling variances and
a 0/1 mask saying which studies take part) and a design ``X`` of shape ``(..., k, p)``; it returns
``(tau2, converged)`` with shape ``(...)``. Definitions are metafor's ``rma.uni`` (Viechtbauer 2005,
doi:10.3102/10769986030003261; Viechtbauer 2010, doi:10.18637/jss.v036.i03). Problems with ``k <= p``
get ``tau2 = 0`` (metafor does the same for k = 1).

Examples
--------
>>> y = np.array([0.1, 0.5, 0.9]); v = np.array([0.01, 0.02, 0.03])
>>> tau2, ok = TAU2["DL"](y, v, np.ones((3, 1)), np.ones(3))
>>> round(float(tau2), 6), bool(ok)
(0.141667, True)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .rma_linalg import p_stats, wls

__all__ = [
    "TAU2",
    "TAU2_NAMES",
    "register_tau2",
    "tau2_ee",
    "tau2_dl",
    "tau2_he",
    "tau2_hs",
    "tau2_sj",
    "tau2_ml",
    "tau2_reml",
    "tau2_eb",
    "tau2_pm",
    "DEFAULT_TOL",
    "DEFAULT_MAXITER",
]

#: relative convergence threshold of the iterative estimators (metafor's default is 1e-5 absolute): a step
#: ends the iteration when it is below ``tol * max(tau2, typical vi)`` (see :func:`_scale`), so the result
#: does not depend on the units of the data
DEFAULT_TOL = 1e-12
DEFAULT_MAXITER = 1000


def _kp(X: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, int]:
    return np.sum(m, axis=-1), X.shape[-1]


def _shape(X: np.ndarray, *arrs: np.ndarray) -> tuple[int, ...]:
    return np.broadcast_shapes(X.shape[:-2], *(a.shape[:-1] for a in arrs))


def _scale(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The typical sampling variance (mean over the participating studies): the unit of convergence."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sum(m * v, axis=-1) / np.sum(m, axis=-1)
    return np.where(np.isfinite(s) & (s > 0), s, 1.0)


#: a step that no longer shrinks and is below this fraction of the scale is rounding noise (ill-conditioned
#: moderators, e.g. an uncentred year): the iteration has converged as far as floating point allows
NOISE_FLOOR = 1e-8


def _at_noise_floor(step: np.ndarray, prev: np.ndarray, unit: np.ndarray, new: np.ndarray) -> np.ndarray:
    return (step >= prev) & (step <= NOISE_FLOOR * np.maximum(unit, np.abs(new)))


def _finish(tau2: np.ndarray, k: np.ndarray, p: int) -> np.ndarray:
    tau2 = np.where(k - p > 0, np.maximum(tau2, 0.0), 0.0)
    return tau2


def tau2_ee(y, v, X, m, **_):
    """Equal-effects model: tau² is fixed at 0."""
    return np.zeros(_shape(X, y, v, m)), np.ones(_shape(X, y, v, m), dtype=bool)


def tau2_dl(y, v, X, m, **_):
    """DerSimonian-Laird: ``(Q - (k - p)) / tr P`` with weights ``1/v``."""
    k, p = _kp(X, m)
    s = p_stats(y, m / v, X)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (s["ypy"] - (k - p)) / s["trp"]
    return _finish(t, k, p), np.ones(t.shape, dtype=bool)


def tau2_he(y, v, X, m, **_):
    """Hedges (method of moments, unweighted): ``(RSS - tr(PV)) / (k - p)``."""
    k, p = _kp(X, m)
    _, a_inv, e = wls(y, m.astype(float), X)
    mv = m * v
    tr_pv = np.sum(mv, axis=-1) - np.trace(
        a_inv @ (np.swapaxes(X * mv[..., :, None], -1, -2) @ X), axis1=-2, axis2=-1
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (np.sum(m * e * e, axis=-1) - tr_pv) / (k - p)
    return _finish(t, k, p), np.ones(t.shape, dtype=bool)


def tau2_hs(y, v, X, m, **_):
    """Hunter-Schmidt: ``(Q - k) / sum(w)`` with weights ``1/v``."""
    k, p = _kp(X, m)
    w = m / v
    s = p_stats(y, w, X)
    t = (s["ypy"] - k) / np.sum(w, axis=-1)
    return _finish(t, k, p), np.ones(t.shape, dtype=bool)


def tau2_sj(y, v, X, m, **_):
    """Sidik-Jonkman: start from the (biased) variance of ``y``, one weighted step."""
    k, p = _kp(X, m)
    ybar = np.sum(m * y, axis=-1) / k
    t0 = np.sum(m * (y - ybar[..., None]) ** 2, axis=-1) / k
    s = p_stats(y, m / (v + t0[..., None]), X)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t0 * s["ypy"] / (k - p)
    return _finish(t, k, p), np.ones(t.shape, dtype=bool)


def _fisher(score: Callable, y, v, X, m, tol: float, maxiter: int, zero_score: Callable):
    """Fisher scoring shared by ML and REML, with metafor's step halving at the boundary.

    ``score(stats, w) -> step``; when the iteration ends at (numerically) zero and the score at 0 points
    below zero, tau² is set to exactly 0, the boundary optimum.
    """
    k, p = _kp(X, m)
    t = np.broadcast_to(tau2_he(y, v, X, m)[0], _shape(X, y, v, m)).copy()
    active = k - p > 0
    active = np.broadcast_to(active, t.shape).copy()
    converged = ~active
    unit = np.broadcast_to(_scale(v, m), t.shape)
    prev = np.full(t.shape, np.inf)
    for _ in range(maxiter):
        if not active.any():
            break
        w = m / (v + t[..., None])
        with np.errstate(invalid="ignore", divide="ignore"):  # inactive problems with k <= p give 0/0
            adj = score(p_stats(y, w, X, second=True), w)
        adj = np.where(np.isfinite(adj), adj, 0.0)
        adj = np.where(active, adj, 0.0)
        neg = t + adj < 0
        if neg.any():
            # metafor halves the step until tau2 stays >= 0; the number of halvings in closed form
            with np.errstate(divide="ignore", invalid="ignore"):
                n = np.where(neg & (t > 0), np.ceil(np.log2(-adj / np.where(t > 0, t, 1.0))), 0.0)
            adj = np.where(neg, np.where(t > 0, adj / 2.0**n, 0.0), adj)
            adj = np.where(t + adj < 0, adj / 2.0, adj)
        new = np.where(active, t + adj, t)
        step = np.abs(new - t)
        done = active & ((step <= tol * np.maximum(unit, new)) | _at_noise_floor(step, prev, unit, new))
        prev = step
        t = new
        converged |= done
        active &= ~done
    # boundary: exact zero when the score at zero is not positive
    small = converged & (t <= 1e-6 * np.maximum(np.mean(v, axis=-1), 1e-300))
    if small.any():
        w0 = m / v
        with np.errstate(invalid="ignore", divide="ignore"):
            s0 = zero_score(p_stats(y, w0, X, second=True), w0)
        t = np.where(small & (s0 <= 0), 0.0, t)
    return _finish(t, k, p), converged


def _ml_step(s, w):
    return (s["yppy"] - np.sum(w, axis=-1)) / np.sum(w * w, axis=-1)


def _reml_step(s, w):
    return (s["yppy"] - s["trp"]) / s["trpp"]


def tau2_ml(y, v, X, m, *, tol=DEFAULT_TOL, maxiter=DEFAULT_MAXITER, **_):
    """Maximum likelihood, by Fisher scoring."""
    return _fisher(_ml_step, y, v, X, m, tol, maxiter, _ml_step)


def tau2_reml(y, v, X, m, *, tol=DEFAULT_TOL, maxiter=DEFAULT_MAXITER, **_):
    """Restricted maximum likelihood, by Fisher scoring."""
    return _fisher(_reml_step, y, v, X, m, tol, maxiter, _reml_step)


def generalised_q(tau2, y, v, X, m) -> np.ndarray:
    """The generalised Q statistic ``sum w (y - X b)^2`` with ``w = 1 / (v + tau2)``."""
    tau2 = np.asarray(tau2, dtype=float)
    return p_stats(y, m / (v + tau2[..., None]), X)["ypy"]


def q_root(target, y, v, X, m, *, tol=DEFAULT_TOL, maxiter=DEFAULT_MAXITER):
    """Solve ``Q(tau2) = target`` (Q decreasing in tau2) by safeguarded Newton; 0 when ``Q(0) < target``.

    The bracket's upper end ``RSS_ols / target`` guarantees ``Q <= target`` there.
    """
    shape = _shape(X, y, v, m)
    target = np.broadcast_to(np.asarray(target, dtype=float), shape)
    _, _, e = wls(y, m.astype(float), X)
    with np.errstate(invalid="ignore", divide="ignore"):
        hi = np.broadcast_to(np.sum(m * e * e, axis=-1) / target, shape).copy()
    lo = np.zeros(shape)
    q0 = generalised_q(np.zeros(shape), y, v, X, m)
    active = (q0 >= target) & (target > 0) & np.isfinite(hi)
    t = np.zeros(shape)
    converged = ~active
    unit = np.broadcast_to(_scale(v, m), shape)
    prev = np.full(shape, np.inf)
    for _ in range(maxiter):
        if not active.any():
            break
        w = m / (v + t[..., None])
        s = p_stats(y, w, X, second=True)
        f = s["ypy"] - target
        lo = np.where(active & (f > 0), t, lo)
        hi = np.where(active & (f < 0), t, hi)
        with np.errstate(invalid="ignore", divide="ignore"):
            newton = t + f / s["yppy"]
        inside = (newton > lo) & (newton < hi) & np.isfinite(newton)
        new = np.where(inside, newton, 0.5 * (lo + hi))
        new = np.where(active, new, t)
        step = np.abs(new - t)
        done = active & ((step <= tol * np.maximum(unit, new)) | (f == 0) | _at_noise_floor(step, prev, unit, new))
        prev = step
        t = new
        converged |= done
        active &= ~done
    return t, converged


def tau2_pm(y, v, X, m, *, tol=DEFAULT_TOL, maxiter=DEFAULT_MAXITER, **_):
    """Paule-Mandel: the tau² at which the generalised Q equals its expectation ``k - p``."""
    k, p = _kp(X, m)
    t, ok = q_root(k - p, y, v, X, m, tol=tol, maxiter=maxiter)
    return _finish(t, k, p), ok


def tau2_eb(y, v, X, m, *, tol=DEFAULT_TOL, maxiter=DEFAULT_MAXITER, **_):
    """Empirical Bayes (Morris 1983).

    metafor iterates ``tau2 += (Q k/(k-p) - k) / sum(w)``, whose fixed point is ``Q(tau2) = k - p``: the
    same equation as Paule-Mandel, solved here by the same safeguarded Newton iteration.
    """
    return tau2_pm(y, v, X, m, tol=tol, maxiter=maxiter)


#: registry: method code (metafor's) -> estimator
TAU2: dict[str, Callable] = {
    "EE": tau2_ee,
    "DL": tau2_dl,
    "HE": tau2_he,
    "HS": tau2_hs,
    "SJ": tau2_sj,
    "ML": tau2_ml,
    "REML": tau2_reml,
    "EB": tau2_eb,
    "PM": tau2_pm,
}

#: registry: method code -> long name (summaries, multiverse tables); kept in step with ``TAU2``
TAU2_NAMES: dict[str, str] = {
    "EE": "equal-effects model",
    "DL": "DerSimonian-Laird",
    "HE": "Hedges",
    "HS": "Hunter-Schmidt",
    "SJ": "Sidik-Jonkman",
    "ML": "maximum likelihood",
    "REML": "restricted maximum likelihood",
    "EB": "empirical Bayes",
    "PM": "Paule-Mandel",
}


def register_tau2(code: str, estimator: Callable, long_name: str, *, replace: bool = False) -> None:
    """Register a tau² estimator under ``code`` with its ``long_name``; every consumer sees it at once.

    ``estimator(y, v, X, m, *, tol, maxiter)`` returns ``(tau2, converged)`` as the functions above.

    Examples
    --------
    >>> register_tau2("DL2", tau2_dl, "DerSimonian-Laird (copy)")
    >>> TAU2_NAMES["DL2"]
    'DerSimonian-Laird (copy)'
    >>> _ = TAU2.pop("DL2"), TAU2_NAMES.pop("DL2")
    """
    if not isinstance(code, str) or not code or not callable(estimator) or not long_name:
        raise ValueError("register_tau2 needs a code (str), an estimator (callable) and a long name.")
    if code in TAU2 and not replace:
        raise ValueError(f"tau² method {code!r} is registered already; pass replace=True to change it.")
    TAU2[code] = estimator
    TAU2_NAMES[code] = long_name
