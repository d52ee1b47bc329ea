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

from .rma_linalg import int_stats, p_stats, wls

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
    return m.sum(-1), X.shape[-1]


def _shape(X: np.ndarray, *arrs: np.ndarray) -> tuple[int, ...]:
    shapes = {a.shape[:-1] for a in arrs}
    shapes.add(X.shape[:-2])
    return shapes.pop() if len(shapes) == 1 else np.broadcast_shapes(*shapes)


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
    if p == 1:
        x2 = X[..., 0] ** 2
        tr_pv = mv.sum(-1) - a_inv[..., 0, 0] * (x2 * mv).sum(-1)
    else:
        tr_pv = mv.sum(-1) - np.trace(a_inv @ (np.swapaxes(X * mv[..., :, None], -1, -2) @ X), axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = ((m * e * e).sum(-1) - tr_pv) / (k - p)
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


#: a stack of problems whose still-iterating share falls below 1/_COMPACT continues on that subset alone
_COMPACT = 4


def _fisher(score: Callable, y, v, X, m, tol: float, maxiter: int, zero_score: Callable, t0=None):
    """Fisher scoring shared by ML and REML, with metafor's step halving at the boundary.

    ``score(stats, w) -> step``; when the iteration ends at (numerically) zero and the score at 0 points
    below zero, tau² is set to exactly 0, the boundary optimum. ``t0`` (internal) continues from given
    values instead of the Hedges start. In a large stack, once most problems have converged the rest
    continue as a smaller stack (the same steps on the same values, so every problem gets exactly the
    result it gets alone).
    """
    k, p = _kp(X, m)
    shape = _shape(X, y, v, m)
    t = tau2_he(y, v, X, m)[0] if t0 is None else t0
    if shape == ():
        return _fisher_one(score, y, v, X, m, tol, maxiter, zero_score, np.float64(t), k, p)
    t = np.array(t if np.shape(t) == shape else np.broadcast_to(t, shape))
    active = k - p > 0
    active = np.array(active if np.shape(active) == shape else np.broadcast_to(active, shape))
    converged = ~active
    ones = p == 1 and bool((X == 1.0).all())  # intercept-only: the same statistics in fewer operations
    unit = np.broadcast_to(_scale(v, m), shape)
    prev = np.full(shape, np.inf)
    for it in range(maxiter):
        if not active.any():
            break
        if t.size >= 256 and _COMPACT * int(active.sum()) < t.size:
            _continue_subset(score, y, v, X, m, tol, maxiter - it, zero_score, t, active, converged)
            break
        w = m / (v + t[..., None])
        with np.errstate(invalid="ignore", divide="ignore"):  # inactive problems with k <= p give 0/0
            adj = score(int_stats(y, w) if ones else p_stats(y, w, X, second=True), w)
        adj = np.where(active & np.isfinite(adj), adj, 0.0)
        neg = t + adj < 0
        if neg.any():
            # metafor halves the step until tau2 stays >= 0; the number of halvings in closed form
            with np.errstate(divide="ignore", invalid="ignore"):
                n = np.where(neg & (t > 0), np.ceil(np.log2(-adj / np.where(t > 0, t, 1.0))), 0.0)
            adj = np.where(neg, np.where(t > 0, adj / 2.0**n, 0.0), adj)
            adj = np.where(t + adj < 0, adj / 2.0, adj)
        new = t + adj  # adj is 0 for inactive problems
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


def _fisher_one(score, y, v, X, m, tol, maxiter, zero_score, t, k, p):
    """The loop of :func:`_fisher` for one problem, its scalar bookkeeping on NumPy scalars.

    Keep it in step with the stacked loop above: the same operations in the same order, so one problem
    gets the same bits either way (``tests/test_meta_batch.py`` compares them); it only avoids NumPy's
    per-call cost on 0-d arrays.
    """
    active = bool(k - p > 0)
    converged = not active
    ones = p == 1 and bool((X == 1.0).all())
    unit = _scale(v, m)
    prev = np.float64(np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(maxiter):
            if not active:
                break
            w = m / (v + t)
            adj = np.float64(score(int_stats(y, w) if ones else p_stats(y, w, X, second=True), w))
            if not np.isfinite(adj):
                adj = np.float64(0.0)
            if t + adj < 0:
                # metafor halves the step until tau2 stays >= 0; the number of halvings in closed form
                if t > 0:
                    n = np.ceil(np.log2(-adj / t))
                    adj = adj / 2.0**n
                else:
                    adj = np.float64(0.0)
                if t + adj < 0:
                    adj = adj / 2.0
            new = t + adj
            step = np.abs(new - t)
            done = bool((step <= tol * np.maximum(unit, new)) | _at_noise_floor(step, prev, unit, new))
            prev = step
            t = new
            converged = converged or done
            active = not done
        # boundary: exact zero when the score at zero is not positive
        if converged and t <= 1e-6 * np.maximum(np.mean(v, axis=-1), 1e-300):
            w0 = m / v
            if zero_score(p_stats(y, w0, X, second=True), w0) <= 0:
                t = np.float64(0.0)
    return _finish(t, k, p), np.asarray(converged)


def _continue_subset(score, y, v, X, m, tol, maxiter, zero_score, t, active, converged) -> None:
    """Iterate the still-active problems of a stack on their own, writing ``t`` and ``converged`` in place."""
    full = t.shape
    sub = np.flatnonzero(active.ravel())

    def rows(a):
        return np.broadcast_to(a, (*full, a.shape[-1])).reshape(-1, a.shape[-1])[sub]

    Xs = X if X.ndim == 2 else np.broadcast_to(X, (*full, *X.shape[-2:])).reshape(-1, *X.shape[-2:])[sub]
    ts, cs = _fisher(score, rows(y), rows(v), Xs, rows(m), tol, maxiter, zero_score, t0=t.ravel()[sub])
    t.reshape(-1)[sub] = ts
    converged.reshape(-1)[sub] = cs


def _ml_step(s, w):
    return (s["yppy"] - w.sum(-1)) / (w * w).sum(-1)


def _reml_step(s, w):
    return (s["yppy"] - s["trp"]) / s["trpp"]


def _newton(fisher_info_key: str, score_fn: Callable) -> Callable:
    """A step using the observed information ``2 y'PPPy - I`` where it is positive (intercept-only
    statistics from :func:`int_stats` carry ``yp3y``), else the Fisher step: the same fixed point, reached in
    a few quadratically convergent steps instead of many linear ones when tau² is near zero.
    """

    def step(s, w):
        fisher = score_fn(s, w)
        if "yp3y" not in s:
            return fisher
        info = s[fisher_info_key] if fisher_info_key in s else (w * w).sum(-1)
        obs = 2.0 * s["yp3y"] - info
        return np.where(obs > 0, fisher * info / np.where(obs > 0, obs, 1.0), fisher)

    return step


_ml_newton = _newton("sww", _ml_step)
_reml_newton = _newton("trpp", _reml_step)


def tau2_ml(y, v, X, m, *, tol=DEFAULT_TOL, maxiter=DEFAULT_MAXITER, start=None, **_):
    """Maximum likelihood, by Fisher scoring (``start``: optional starting values, e.g. a full fit's tau²)."""
    return _fisher(_ml_newton, y, v, X, m, tol, maxiter, _ml_step, t0=start)


def tau2_reml(y, v, X, m, *, tol=DEFAULT_TOL, maxiter=DEFAULT_MAXITER, start=None, **_):
    """Restricted maximum likelihood, by Fisher scoring (``start``: optional starting values)."""
    return _fisher(_reml_newton, y, v, X, m, tol, maxiter, _reml_step, t0=start)


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
