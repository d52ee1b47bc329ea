"""Group-sequential monitoring boundaries from Lan-DeMets spending functions (two-sided, symmetric).

The standardised statistic at information fraction ``t`` is ``Z(t) = B(t) / sqrt(t)`` with ``B`` a Brownian
motion with drift ``theta`` (``E Z(t) = theta sqrt(t)``). At each look the boundary ``c_k`` is chosen so that
the probability, under ``theta = 0``, of first crossing ``|Z| >= c`` at look ``k`` equals the increment of
the alpha-spending function (Lan & DeMets 1983). The sub-density of ``Z_k`` on the continuation region is
carried from look to look by numerical integration (Armitage, McPherson & Rowe 1969; the grid approach of
Jennison & Turnbull 2000, ch. 19): composite Simpson's rule on a grid whose spacing follows the width of the
next transition kernel, so closely spaced looks stay accurate.

Futility (beta-spending) boundaries form an inner wedge ``|Z_k| < a_k``: under the drift ``theta`` of the
alternative, the probability of first entering the wedge at look ``k`` equals the increment of the
beta-spending function. Futility is non-binding: the efficacy boundaries ignore it (as rpact's default
``bindingFutility = FALSE``).

Examples
--------
>>> b = boundaries([0.5, 1.0], alpha=0.05, spending="obf")
>>> [round(float(c), 4) for c in b["upper"]]
[2.9626, 1.9686]
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from ._roots import brentq

__all__ = ["SPENDING", "spend", "boundaries", "exit_probabilities"]

#: largest finite boundary; beyond it the increment of alpha underflows and the boundary is +inf
C_MAX = 37.5
#: grid spacing in z units far from the kernel limit, and the cap on grid points per look
H0 = 0.0125
MAX_POINTS = 12001
_E1 = math.e - 1.0


def _obf(t: np.ndarray, level: float) -> np.ndarray:
    """Lan-DeMets O'Brien-Fleming-type spending of ``level`` in total over two sides (level/2 each)."""
    t = np.asarray(t, dtype=float)
    z = special.ndtri(1.0 - level / 4.0)
    with np.errstate(divide="ignore"):
        out = 4.0 * special.ndtr(-z / np.sqrt(t))
    return np.where(t > 0, out, 0.0)


def _pocock(t: np.ndarray, level: float) -> np.ndarray:
    """Lan-DeMets Pocock-type spending: ``level * log(1 + (e - 1) t)``."""
    return level * np.log1p(_E1 * np.asarray(t, dtype=float))


def _obf_beta(t: np.ndarray, level: float) -> np.ndarray:
    """O'Brien-Fleming-type beta spending (one-sided form): ``2 - 2 Phi(z_{1-beta/2} / sqrt(t))``."""
    t = np.asarray(t, dtype=float)
    z = special.ndtri(1.0 - level / 2.0)
    with np.errstate(divide="ignore"):
        out = 2.0 * special.ndtr(-z / np.sqrt(t))
    return np.where(t > 0, out, 0.0)


#: spending families: name -> (alpha spending over two sides, beta spending)
SPENDING = {"obf": (_obf, _obf_beta), "pocock": (_pocock, _pocock)}


def spend(t, level: float, spending: str = "obf", *, kind: str = "alpha") -> np.ndarray:
    """Cumulative error spent at information fractions ``t`` (alpha: both sides together; beta)."""
    fa, fb = SPENDING[spending]
    return (fa if kind == "alpha" else fb)(np.asarray(t, dtype=float), level)


def _simpson(a: float, b: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    n = max(2, int(math.ceil((b - a) / h)))
    n += n % 2
    x = np.linspace(a, b, n + 1)
    w = np.full(n + 1, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    return x, w * (b - a) / (3.0 * n)


def _grid(c: float, a: float, mean: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Simpson nodes and weights on the continuation region ``a <= |z| < c`` near ``mean`` (+- 10)."""
    lo, hi = mean - 10.0, mean + 10.0
    parts = [(-c, -a), (a, c)] if a > 0 else [(-c, c)]
    xs, ws = [], []
    for p, q in parts:
        p, q = max(p, lo), min(q, hi)
        if q - p > 1e-14:
            x, w = _simpson(p, q, h)
            xs.append(x)
            ws.append(w)
    if not xs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ws)


class _Look:
    """The weighted sub-density of Z at one look on its grid (``W = simpson weight * density``)."""

    def __init__(self, z: np.ndarray, wf: np.ndarray, t: float):
        self.z, self.wf, self.t = z, wf, t


def _moments(prev: _Look | None, t: float, theta: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Conditional means of ``Z_k sqrt(t_k)`` given the previous grid, their weights, and the kernel SD."""
    if prev is None:
        return np.array([theta * t]), np.array([1.0]), math.sqrt(t)
    d = t - prev.t
    return prev.z * math.sqrt(prev.t) + theta * d, prev.wf, math.sqrt(d)


def _tail(prev: _Look | None, t: float, theta: float, c: float) -> tuple[float, float]:
    """P(first exit above c) and P(first exit below -c) at this look."""
    m, wf, s = _moments(prev, t, theta)
    st = math.sqrt(t)
    up = float(wf @ special.ndtr((m - c * st) / s))
    lo = float(wf @ special.ndtr((-c * st - m) / s))
    return up, lo


def _inner(prev: _Look | None, t: float, theta: float, a: float) -> float:
    """P(reach this look and land in ``|Z| < a``)."""
    m, wf, s = _moments(prev, t, theta)
    st = math.sqrt(t)
    return float(wf @ (special.ndtr((a * st - m) / s) - special.ndtr((-a * st - m) / s)))


def _advance(prev: _Look | None, t: float, theta: float, c: float, a: float, h: float) -> _Look:
    """Sub-density of Z at this look on its continuation region ``a <= |z| < c``."""
    z, w = _grid(c, a, theta * math.sqrt(t), h)
    if prev is None:
        f = np.exp(-0.5 * (z - theta * math.sqrt(t)) ** 2) / math.sqrt(2 * math.pi)
        return _Look(z, w * f, t)
    m, wf, s = _moments(prev, t, theta)
    st = math.sqrt(t)
    f = np.empty_like(z)
    step = max(1, 4_000_000 // max(1, m.size))
    for i in range(0, z.size, step):
        u = (z[i:i + step, None] * st - m[None, :]) / s
        f[i:i + step] = (np.exp(-0.5 * u * u) @ wf) * st / (s * math.sqrt(2 * math.pi))
    return _Look(z, w * f, t)


def _spacing(t: np.ndarray, k: int) -> float:
    """Grid spacing for look ``k``: a tenth of the next transition kernel's width (in z units), at most H0."""
    if k + 1 >= t.size:
        return H0
    width = math.sqrt((t[k + 1] - t[k]) / t[k])
    return max(min(H0, width / 10.0), 20.0 / MAX_POINTS)


def _check_t(t) -> np.ndarray:
    t = np.asarray(t, dtype=float).ravel()
    if t.size == 0 or not np.all(np.isfinite(t)) or t[0] <= 0 or t[-1] > 1 or np.any(np.diff(t) <= 0):
        raise ValueError("information fractions must be strictly increasing in (0, 1].")
    return t


def boundaries(
    t,
    *,
    alpha: float = 0.05,
    spending: str = "obf",
    beta: float | None = None,
    beta_spending: str | None = None,
    drift: float | None = None,
    xtol: float = 1e-12,
) -> dict[str, np.ndarray]:
    """Two-sided efficacy boundaries (and optional inner-wedge futility boundaries) at fractions ``t``.

    Parameters
    ----------
    t : array of float
        Strictly increasing information fractions in (0, 1].
    alpha : float
        Total two-sided type I error (``alpha / 2`` per side).
    spending : {"obf", "pocock"}
        Lan-DeMets O'Brien-Fleming-type (``4 - 4 Phi(z_{1-alpha/4} / sqrt(t))`` over both sides) or
        Pocock-type (``alpha log(1 + (e - 1) t)``) alpha spending.
    beta, beta_spending, drift : float, str, float, optional
        With ``beta``: futility boundaries by beta spending (``beta_spending`` defaults to ``spending``)
        under the alternative ``E Z(t) = drift sqrt(t)``.
    xtol : float
        Root-finding tolerance on the boundary.

    Returns
    -------
    dict of ndarray
        ``upper`` (the efficacy boundary c_k; the lower one is -c_k; +inf where the spent alpha underflows),
        ``alpha_spent`` (cumulative, both sides), ``futility`` (a_k, the wedge ``|Z| < a_k``; NaN without
        ``beta``; 0 where no beta is spent yet), ``beta_spent`` (cumulative; NaN without ``beta``).
    """
    t = _check_t(t)
    cum_a = spend(t, alpha, spending)
    inc_a = np.diff(np.concatenate([[0.0], cum_a]))
    upper = np.empty(t.size)
    prev: _Look | None = None
    for k in range(t.size):
        target = inc_a[k]
        if target <= 0 or _total(prev, t[k], C_MAX) > target:
            c = math.inf
        else:
            ltarget = math.log(target)

            def g(c: float, k: int = k, p: _Look | None = prev, lt: float = ltarget) -> float:
                return math.log(max(_total(p, t[k], c), 1e-320)) - lt

            c = brentq(g, 1e-10, C_MAX, xtol=xtol, rtol=4 * np.finfo(float).eps, maxiter=500)
        upper[k] = c
        prev = _advance(prev, t[k], 0.0, min(c, C_MAX), 0.0, _spacing(t, k))
    out = {"upper": upper, "alpha_spent": cum_a, "futility": np.full(t.size, np.nan),
           "beta_spent": np.full(t.size, np.nan)}
    if beta is None:
        return out
    if drift is None:
        raise ValueError("futility boundaries need the drift of the alternative.")
    cum_b = spend(t, beta, beta_spending or spending, kind="beta")
    inc_b = np.diff(np.concatenate([[0.0], cum_b]))
    fut = np.empty(t.size)
    prev = None
    for k in range(t.size):
        c = min(upper[k], C_MAX)
        if inc_b[k] <= 0:
            a = 0.0
        elif _inner(prev, t[k], drift, c) <= inc_b[k]:
            a = c
        else:
            a = brentq(lambda a, k=k, p=prev: _inner(p, t[k], drift, a) - inc_b[k], 0.0, c, xtol=xtol)
        fut[k] = a
        prev = _advance(prev, t[k], drift, c, a, _spacing(t, k))
    out["futility"], out["beta_spent"] = fut, cum_b
    return out


def _total(prev: _Look | None, t: float, c: float) -> float:
    up, lo = _tail(prev, t, 0.0, c)
    return up + lo


def exit_probabilities(t, upper, futility=None, *, drift: float = 0.0) -> dict[str, np.ndarray]:
    """Probabilities of first crossing each boundary at each look, given the boundaries and a drift.

    Returns ``upper``, ``lower`` (``Z <= -c_k``) and ``futility`` (``|Z_k| < a_k``) per look; with
    ``drift=0`` the two-sided sums reproduce the increments of the alpha spent (a round-trip check).
    """
    t = _check_t(t)
    c = np.asarray(upper, dtype=float)
    a = np.zeros(t.size) if futility is None else np.nan_to_num(np.asarray(futility, dtype=float))
    up, lo, fu = np.empty(t.size), np.empty(t.size), np.empty(t.size)
    prev: _Look | None = None
    for k in range(t.size):
        ck = min(c[k], C_MAX)
        up[k], lo[k] = _tail(prev, t[k], drift, ck)
        fu[k] = _inner(prev, t[k], drift, a[k]) if a[k] > 0 else 0.0
        prev = _advance(prev, t[k], drift, ck, a[k], _spacing(t, k))
    return {"upper": up, "lower": lo, "futility": fu}
