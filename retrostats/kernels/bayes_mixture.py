"""Normal mixtures and shortest intervals: the numerics behind the exact Bayesian summaries (NumPy/SciPy only).

Every marginal posterior of the normal-normal hierarchical model (mu, theta_new, the shrunken study
effects) is a finite mixture of normals once tau is discretised (:mod:`retrostats.kernels.bayes_exact`).
This module evaluates such mixtures (CDF, density, quantiles, vectorised over points and over a batch of
mixtures that share their weights) and finds the shortest interval of any unimodal distribution given
vectorised quantile, CDF and density functions.

Examples
--------
>>> w, m, sd = np.array([0.5, 0.5]), np.array([-1.0, 1.0]), np.array([1.0, 1.0])
>>> q = mix_ppf([0.5, 0.975], w, m, sd)
>>> [round(float(x), 10) for x in q]
[0.0, 2.6461455482]
>>> [round(float(c), 12) for c in mix_cdf(q, np.log(w), m, sd)]  # the CDF inverts them
[0.5, 0.975]
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from ._roots import brentq

__all__ = [
    "logsumexp",
    "norm_logpdf",
    "mix_cdf",
    "mix_pdf",
    "prune",
    "mix_ppf",
    "mix_eval",
    "polish_ends",
    "shortest_interval",
]

_LOG_2PI = math.log(2.0 * math.pi)


def logsumexp(x, axis=None):
    """log(sum(exp(x))) along ``axis``; a lean replacement for scipy's logsumexp (its overhead dominated)."""
    x = np.asarray(x, dtype=float)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out.item() if axis is None else np.squeeze(out, axis=axis)


def norm_logpdf(z: np.ndarray) -> np.ndarray:
    """Log density of the standard normal."""
    return -0.5 * (z * z + _LOG_2PI)


_PRUNE = 45.0  # components below e^-45 of the largest cannot move a quantile or an interval end
_CHUNK = 2_000_000  # (points x components) per block when evaluating a large mixture


def mix_cdf(x, logw: np.ndarray, m: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Mixture CDF at the points ``x`` (any shape), in log space so that far-tail values keep their digits."""
    x = np.asarray(x, dtype=float)
    flat = x.ravel()
    out = np.empty(flat.shape)
    step = max(1, _CHUNK // max(m.size, 1))
    for i in range(0, flat.size, step):  # blocks bound the memory of (points x components)
        z = (flat[i : i + step, None] - m[None, :]) / sd[None, :]
        out[i : i + step] = np.exp(logsumexp(logw[None, :] + special.log_ndtr(z), axis=1))
    return out.reshape(x.shape)


def mix_pdf(x, logw: np.ndarray, m: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Mixture density at the points ``x`` (any shape)."""
    x = np.asarray(x, dtype=float)
    flat = x.ravel()
    out = np.empty(flat.shape)
    lw = logw - np.log(sd)
    step = max(1, _CHUNK // max(m.size, 1))
    for i in range(0, flat.size, step):
        z = (flat[i : i + step, None] - m[None, :]) / sd[None, :]
        out[i : i + step] = np.exp(logsumexp(lw[None, :] + norm_logpdf(z), axis=1))
    return out.reshape(x.shape)


def prune(logw: np.ndarray, m: np.ndarray, sd: np.ndarray):
    """Drop components (the last axis) whose weight is below e^-45 of the largest; renormalise."""
    keep = logw > np.max(logw) - _PRUNE
    lw = logw[keep]
    return np.exp(lw - logsumexp(lw)), m[..., keep], sd[..., keep]


def mix_ppf(p, w: np.ndarray, m: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Quantiles of normal mixtures, all solved together by safeguarded Newton.

    ``w`` (N,) weights (summing to 1); ``m``, ``sd`` (..., N) for one or a batch of mixtures sharing the
    weights; ``p`` (n,). Returns (..., n). Newton runs on log F below the median and on log(1 - F) above
    it, which converges in a few steps even far in the tails; only unsettled quantiles are iterated.
    """
    pa = np.atleast_1d(np.asarray(p, dtype=float))
    batch = m.shape[:-1]
    m2, sd2 = m.reshape(-1, m.shape[-1]), sd.reshape(-1, m.shape[-1])
    mean = m2 @ w
    spread = np.sqrt(np.maximum((sd2 * sd2 + (m2 - mean[:, None]) ** 2) @ w, 0.0))
    x = (mean[:, None] + spread[:, None] * special.ndtri(pa)).ravel()  # (B * n,)
    row = np.repeat(np.arange(m2.shape[0]), pa.size)
    target = np.tile(pa, m2.shape[0])
    upper = target > 0.5
    log_t = np.log(np.where(upper, 1.0 - target, target))
    lo, hi = np.full(x.shape, -np.inf), np.full(x.shape, np.inf)
    act = np.arange(x.size)
    wn = w / math.sqrt(2.0 * math.pi)
    sd_max = sd2.max(axis=1)
    block = max(1, _CHUNK // w.size)

    def tail_dens(xa, rows, up):  # F (or 1 - F above the median) and density, in blocks of rows
        tail, dens = np.empty(xa.size), np.empty(xa.size)
        for i in range(0, xa.size, block):
            b = slice(i, i + block)
            z = (xa[b, None] - m2[rows[b]]) / sd2[rows[b]]
            tail[b] = special.ndtr(np.where(up[b, None], -z, z)) @ w
            dens[b] = (np.exp(-0.5 * z * z) / sd2[rows[b]]) @ wn
        return tail, dens

    for _ in range(100):
        xa, up = x[act], upper[act]
        tail, dens = tail_dens(xa, row[act], up)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.log(tail) - log_t[act]  # > 0: x too far right (lower tail) / too far left (upper tail)
            nx = xa + np.where(up, 1.0, -1.0) * h * tail / dens
        settled = (h == 0) | (np.abs(nx - xa) <= 1e-13 * np.maximum(1.0, np.abs(xa)))
        right = np.where(up, h < 0, h > 0)
        lo[act] = np.where(right, lo[act], xa)
        hi[act] = np.where(right, xa, hi[act])
        ok = settled | (np.isfinite(nx) & (nx > lo[act]) & (nx < hi[act]))
        both = np.isfinite(lo[act]) & np.isfinite(hi[act])
        jump = xa + np.where(right, -8.0, 8.0) * sd_max[row[act]]  # no bracket on that side yet
        x[act] = np.where(ok, nx, np.where(both, 0.5 * (lo[act] + hi[act]), jump))
        act = act[~settled]
        if act.size == 0:
            break
    return x.reshape(*batch, pa.size)


def mix_eval(x: np.ndarray, w: np.ndarray, m: np.ndarray, sd: np.ndarray):
    """CDF, density and d log density / dx of a normal mixture at the points ``x`` (direct sums)."""
    z = (x[:, None] - m[None, :]) / sd[None, :]
    phi = np.exp(-0.5 * z * z) / (sd * math.sqrt(2.0 * math.pi))
    f = phi @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        return special.ndtr(z) @ w, f, ((-z / sd) * phi) @ w / f


def polish_ends(a: float, b: float, evaluate, level: float, box=None):
    """Newton on the ends of a shortest interval: F(b) - F(a) = level and log f(b) = log f(a).

    ``evaluate(x)`` returns (CDF, density, d log density / dx) at the points ``x``. Returns the ends, or
    None when Newton leaves ``box`` = (a_lo, a_hi, b_lo, b_hi) or does not settle.
    """
    for _ in range(30):
        (ca, cb), (fa, fb), (da, db) = evaluate(np.array([a, b]))
        if not (fa > 0 and fb > 0 and math.isfinite(da) and math.isfinite(db)):
            return None
        r1, r2 = cb - ca - level, math.log(fb) - math.log(fa)
        det = -fa * db + fb * da  # Jacobian [[-fa, fb], [-da, db]]; > 0 for a unimodal density
        if not det > 0:
            return None
        sa, sb = (db * r1 - fb * r2) / det, (da * r1 - fa * r2) / det
        a, b = a - sa, b - sb
        if not a < b or (box is not None and not (box[0] <= a <= box[1] and box[2] <= b <= box[3])):
            return None
        if abs(sa) + abs(sb) <= 1e-12 * (b - a):
            return float(a), float(b)
    return None


def shortest_interval(ppf, evaluate, level: float, lower: float, start=None) -> tuple[float, float]:
    """Shortest interval of a unimodal distribution: equal density at both ends, mass ``level``.

    ``ppf(p)`` and ``evaluate(x)`` (see :func:`polish_ends`) are vectorised. Newton on the two ends starts
    from ``start`` (the equal-tailed interval); if it does not settle, a grid of lower-tail masses (one
    vectorised quantile call) brackets the solution and Newton polishes it, with bisection as the last resort.
    """
    x_level = float(ppf(np.array([level]))[0])
    if math.isfinite(lower):
        (c_low, _), (f_low, f_level), _ = evaluate(np.array([lower, x_level]))
        if c_low <= 0.0 and f_low >= f_level:  # mode at the support's lower end
            return lower, x_level
    if start is not None:
        ends = polish_ends(float(start[0]), float(start[1]), evaluate, level)
        if ends is not None and (not math.isfinite(lower) or ends[0] > lower):
            return ends
    eps = 1e-12
    p = np.linspace(eps, 1.0 - level - eps, 33)
    x = ppf(np.concatenate([p, p + level]))
    lo, hi = x[: p.size], x[p.size :]
    f = evaluate(x)[1]
    g = f[: p.size] - f[p.size :]  # increasing in p for a unimodal density
    if g[0] >= 0.0:  # density highest at the lower end (e.g. unbounded at tau = 0)
        return (lower if math.isfinite(lower) else float(lo[0])), float(hi[0])
    if g[-1] <= 0.0:
        return float(lo[-1]), float(hi[-1])
    j = int(np.argmax(g >= 0.0))
    t = g[j - 1] / (g[j - 1] - g[j])
    a, b = lo[j - 1] + t * (lo[j] - lo[j - 1]), hi[j - 1] + t * (hi[j] - hi[j - 1])
    ends = polish_ends(a, b, evaluate, level, (lo[j - 1], lo[j], hi[j - 1], hi[j]))
    if ends is not None:
        return ends

    def gp(q):  # bracketing on the lower tail mass (robust, slower)
        return float(-np.diff(evaluate(ppf(np.array([q, q + level])))[1])[0])

    q = brentq(gp, p[j - 1], p[j], xtol=1e-13)
    e = ppf(np.array([q, q + level]))
    return float(e[0]), float(e[1])
