"""Power kernels: noncentral t / normal power, ANCOVA and MMRM variance factors, root finding.

NumPy/SciPy only; arrays in, arrays out. The frame API in :mod:`retrostats.planning` validates inputs.

Conventions follow R ``pwr`` (Champely 2020): for a two-sided test the power counts both rejection tails;
``alternative="greater"`` rejects for large t, ``"less"`` for small t.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from scipy import special

from ._lazy_stats import stats
from ._roots import brentq

try:  # the ufunc behind scipy.stats.nct.sf (Boost), without the distribution wrapper's ~100 us per call
    from scipy.special._ufuncs import _nct_sf
except ImportError:  # pragma: no cover - other SciPy layouts
    _nct_sf = None

__all__ = [
    "t_power",
    "z_power",
    "two_sample_ncp",
    "ancova_power",
    "change_score_power",
    "mmrm_phi",
    "dunnett_critical",
    "hermite_normal",
    "solve_increasing",
    "solve_increasing_vec",
]

_TAILS = ("two-sided", "less", "greater")


def t_power(ncp, df, alpha, alternative: str = "two-sided") -> np.ndarray:
    """Power of a t test whose statistic is noncentral t(``df``, ``ncp``), as R ``pwr``.

    Examples
    --------
    >>> round(float(t_power(2.5, 48, 0.05)), 6)
    0.687855
    """
    ncp = np.asarray(ncp, dtype=float)
    df = np.asarray(df, dtype=float)
    alpha = np.asarray(alpha, dtype=float)
    if alternative == "two-sided":
        q = -special.stdtrit(df, alpha / 2.0)  # = stats.t.isf(alpha / 2, df)
        return _upper(q, df, ncp) + _upper(q, df, -ncp)
    if alternative == "greater":
        return _upper(-special.stdtrit(df, alpha), df, ncp)
    if alternative == "less":
        return _upper(-special.stdtrit(df, alpha), df, -ncp)
    raise ValueError(f"alternative must be one of {_TAILS}; got {alternative!r}")


def _upper(q, df, ncp) -> np.ndarray:
    """``P(T > q)`` for noncentral t; scipy returns NaN for a few extreme far tails, where the normal
    approximation (then ~0 or ~1) stands in.
    """
    if _nct_sf is None:  # pragma: no cover
        p = np.asarray(stats.nct.sf(q, df, ncp), dtype=float)
    else:
        with np.errstate(over="ignore"):  # as scipy.stats.nct.sf
            p = np.minimum(np.maximum(_nct_sf(q, df, ncp), 0.0), 1.0)  # np.clip, without its wrapper
    bad = np.isnan(p)
    if bad.any():
        approx = special.ndtr(np.broadcast_to(ncp, p.shape) - np.broadcast_to(q, p.shape))
        p = np.where(bad, approx, p)
    return p


def z_power(ncp, alpha, alternative: str = "two-sided") -> np.ndarray:
    """Power of a Wald z test with standardised mean ``ncp`` (both tails when two-sided).

    Examples
    --------
    >>> round(float(z_power(2.8015844, 0.05)), 4)
    0.8
    """
    ncp = np.asarray(ncp, dtype=float)
    alpha = np.asarray(alpha, dtype=float)
    if alternative == "two-sided":
        q = special.ndtri(1.0 - alpha / 2.0)
        return special.ndtr(ncp - q) + special.ndtr(-q - ncp)
    if alternative == "greater":
        return special.ndtr(ncp - special.ndtri(1.0 - alpha))
    if alternative == "less":
        return special.ndtr(-ncp - special.ndtri(1.0 - alpha))
    raise ValueError(f"alternative must be one of {_TAILS}; got {alternative!r}")


def two_sample_ncp(d, n1, n2) -> np.ndarray:
    """Noncentrality of the pooled two-sample t statistic: ``d / sqrt(1/n1 + 1/n2)``."""
    d, n1, n2 = (np.asarray(a, dtype=float) for a in (d, n1, n2))
    return d / np.sqrt(1.0 / n1 + 1.0 / n2)


@functools.lru_cache(maxsize=1024)
def _gauss_jacobi(nodes: int, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes on (0, 1) and normalised weights for the Beta(b + 1, a + 1) density (x = (1 + u) / 2).

    Cached (a power grid or an assurance curve asks for the same df many times); the arrays are read-only.
    ``scipy.special.roots_jacobi`` scales its weights by ``2**(a + b + 1) B(a + 1, b + 1)``, which overflows
    beyond ``a ~ 1023`` (an ANCOVA of more than ~2,050 participants); the weights are normalised here anyway,
    so there the nodes and weights come from the Golub-Welsch eigenproblem of the same Jacobi matrix.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        u, w = special.roots_jacobi(nodes, a, b)
        w = w / w.sum()
    if not np.all(np.isfinite(w)):
        u, w = _golub_welsch_jacobi(nodes, float(a), float(b))
    x = (1.0 + u) / 2.0
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


def _golub_welsch_jacobi(nodes: int, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Jacobi nodes on (-1, 1) (weight ``(1 - u)**a (1 + u)**b``) and weights summing to 1, from the
    eigenvalues and first eigenvector components of the symmetric Jacobi matrix (Golub & Welsch 1969), with
    the recurrence coefficients of ``scipy.special.roots_jacobi``.
    """
    from scipy.linalg import eigh_tridiagonal

    k = np.arange(1.0, nodes)  # the recurrence from k = 1; k = 0 (and k = 1's second factor) apart
    s = 2.0 * k + a + b
    diag = np.concatenate([[(b - a) / (2.0 + a + b)], (b * b - a * a) / (s * (s + 2.0))])
    off = 2.0 / s * np.sqrt((k + a) * (k + b) / (s + 1.0))
    off[1:] *= np.sqrt(k[1:] * (k[1:] + a + b) / (s[1:] - 1.0))
    u, v = eigh_tridiagonal(diag, off)
    w = v[0] ** 2
    return u, w / w.sum()


def ancova_power(
    d, r, n1, n2, alpha, alternative: str = "two-sided", method: str = "exact", nodes: int = 64
) -> np.ndarray:
    """Power of the ANCOVA treatment test with one normally distributed baseline covariate.

    ``d`` is the mean difference in units of the outcome SD, ``r`` the baseline-outcome correlation. The
    residual SD is ``sqrt(1 - r**2)`` outcome SDs and the test has ``n1 + n2 - 3`` df.

    ``method="exact"`` averages the conditional noncentral-t power over the random baseline imbalance:
    given the baselines, T is noncentral t with ncp ``lam * sqrt(1 - B)`` where
    ``lam = d / sqrt((1 - r**2)(1/n1 + 1/n2))`` and ``B ~ Beta(1/2, (N - 2)/2)`` (Shieh 2020); the
    expectation is a Gauss-Jacobi quadrature. ``method="borm"`` ignores the imbalance term (ncp ``lam``),
    i.e. the design factor ``1 - r**2`` of Borm et al. (2007) with t quantiles.

    Examples
    --------
    >>> p_exact = float(ancova_power(0.5, 0.5, 50, 50, 0.05))
    >>> p_borm = float(ancova_power(0.5, 0.5, 50, 50, 0.05, method="borm"))
    >>> 0 < p_borm - p_exact < 0.01
    True
    """
    d, r, n1, n2, alpha = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (d, r, n1, n2, alpha)))
    lam = d / np.sqrt((1.0 - r**2) * (1.0 / n1 + 1.0 / n2))
    df = n1 + n2 - 3.0
    if method == "borm":
        return t_power(lam, df, alpha, alternative)
    if method != "exact":
        raise ValueError(f"method must be 'exact' or 'borm'; got {method!r}")
    out = np.empty(lam.shape)
    flat_lam, flat_df, flat_out, flat_alpha = lam.ravel(), df.ravel(), out.ravel(), alpha.ravel()
    # one quadrature per distinct df (the Beta shape depends on N); vectorised over nodes
    for dfi in np.unique(flat_df):
        sel = flat_df == dfi
        x, w = _gauss_jacobi(nodes, (dfi + 1.0) / 2.0 - 1.0, -0.5)  # B ~ Beta(1/2, (N-2)/2), N-2 = df+1
        ncp = flat_lam[sel][:, None] * np.sqrt(1.0 - x)[None, :]
        # a row-wise sum, not a matrix-vector product: BLAS may round differently with the number of rows
        flat_out[sel] = (t_power(ncp, dfi, flat_alpha[sel][:, None], alternative) * w).sum(-1)
    return out


def change_score_power(d, r, n1, n2, alpha, alternative: str = "two-sided") -> np.ndarray:
    """Power of the two-sample t test on change scores (SD of change ``sqrt(2(1 - r))`` outcome SDs)."""
    d, r = np.asarray(d, dtype=float), np.asarray(r, dtype=float)
    dc = d / np.sqrt(2.0 * (1.0 - r))
    return t_power(two_sample_ncp(dc, n1, n2), np.asarray(n1) + np.asarray(n2) - 2.0, alpha, alternative)


def mmrm_phi(corr: np.ndarray, retention: np.ndarray) -> float:
    """Variance inflation ``phi`` of the last-visit mean under monotone dropout (Lu, Luo & Chen 2008, eq. 3).

    ``phi = [I^{-1}]_{JJ}`` with ``I = sum_j (r_j - r_{j+1}) pad(R_{1:j}^{-1})``: the variance of the
    last-visit mean is ``sigma**2 * phi / n``. With no dropout ``phi = 1``.

    Examples
    --------
    >>> R = np.full((4, 4), 0.25) + 0.75 * np.eye(4)
    >>> round(mmrm_phi(R, np.array([1, 0.9, 0.8, 0.7])), 6)
    1.385417
    """
    corr = np.asarray(corr, dtype=float)
    ret = np.append(np.asarray(retention, dtype=float), 0.0)
    J = corr.shape[0]
    info = np.zeros((J, J))
    for j in range(1, J + 1):  # J is the number of visits (small), not trials
        info[:j, :j] += (ret[j - 1] - ret[j]) * np.linalg.inv(corr[:j, :j])
    return float(np.linalg.inv(info)[J - 1, J - 1])


@functools.lru_cache(maxsize=8)
def hermite_normal(nodes: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and normalised weights for a standard normal: ``E f(Z) ~ f(z) @ w``.

    The arrays are shared between calls (read-only).

    Parameters
    ----------
    nodes : int
        Number of quadrature nodes.

    Returns
    -------
    z, w : numpy.ndarray
        Nodes (ascending) and weights summing to 1 (``roots_hermitenorm`` weights over their sum).

    Examples
    --------
    >>> z, w = hermite_normal(80)
    >>> round(float(z**2 @ w), 12)
    1.0
    """
    z, w = special.roots_hermitenorm(nodes)
    w = w / w.sum()
    z.flags.writeable = False
    w.flags.writeable = False
    return z, w


def dunnett_critical(m: int, df: float, alpha: float, rho: float = 0.5, nodes: int = 96) -> float:
    """Two-sided critical value of ``m`` equicorrelated t statistics (Dunnett 1955, many-to-one).

    Solves ``P(max |T_i| <= c) = 1 - alpha`` for ``T_i`` sharing one chi variable with correlation
    ``rho >= 0`` (``rho = 0.5`` for equal arms against a common control). The probability is
    ``E_s E_z prod_i [Phi((c s + sqrt(rho) z)/sqrt(1-rho)) - Phi((-c s + sqrt(rho) z)/sqrt(1-rho))]``,
    integrated by Gauss-Hermite (z) and generalised Gauss-Laguerre (chi-square) quadrature.

    Examples
    --------
    >>> round(dunnett_critical(2, np.inf, 0.05), 4)
    2.2121
    """
    z, wz = hermite_normal(nodes)
    if np.isfinite(df):
        g, wg = special.roots_genlaguerre(nodes, df / 2.0 - 1.0)  # chi2_df = 2 g
        wg = wg / wg.sum()
        s = np.sqrt(2.0 * g / df)
    else:
        s, wg = np.ones(1), np.ones(1)
    sr, sq = np.sqrt(rho), np.sqrt(1.0 - rho)

    def coverage(c: float) -> float:
        cs = c * s[:, None]
        inner = special.ndtr((cs + sr * z[None, :]) / sq) - special.ndtr((-cs + sr * z[None, :]) / sq)
        return float(wg @ (inner**m) @ wz)

    return brentq(lambda c: coverage(c) - (1.0 - alpha), 1e-6, 100.0, xtol=1e-13, rtol=1e-14)


def solve_increasing(
    f: Callable[[float], float],
    target: float,
    lo: float,
    hi: float,
    *,
    xtol: float = 1e-13,
    rtol: float = 1e-13,
) -> float | None:
    """Root of ``f(x) = target`` for ``f`` increasing on ``[lo, hi]``; None when it is not bracketed.

    The bracket is grown geometrically from ``lo`` so that ``f`` is only evaluated near the root.
    """
    flo = f(lo) - target
    if not np.isfinite(flo) or flo > 0:
        return None
    if flo == 0:
        return lo
    a, b = lo, min(hi, 2.0 * lo + 1.0)
    while True:
        fb = f(b) - target
        if not np.isfinite(fb):
            return None
        if fb >= 0:
            break
        if b >= hi:
            return None
        a, b = b, min(hi, 2.0 * b)
    return brentq(lambda x: f(x) - target, a, b, xtol=xtol, rtol=rtol, maxiter=500)


def t_power_at(ncp, df, crit, alternative: str = "two-sided") -> np.ndarray:
    """Power of a t test against a given critical value ``crit`` (e.g. multiplicity-adjusted)."""
    if alternative == "two-sided":
        return _upper(crit, df, ncp) + _upper(crit, df, -ncp)
    return _upper(crit, df, ncp if alternative == "greater" else -ncp)


def tost_power(shift, margin, n1, n2, alpha) -> float:
    """Exact power of the two one-sided tests (TOST) for equivalence within ``(-margin, margin)``.

    ``shift`` and ``margin`` are in SD units. Both tests share the estimated SD, so the power is
    ``E_V[Phi((m - t c sqrt(V) - shift) / c) - Phi((-m + t c sqrt(V) - shift) / c)]_+`` with
    ``c = sqrt(1/n1 + 1/n2)``, ``t = t_{1-alpha, df}`` and ``V ~ chi2_df / df``; the integrand vanishes
    for ``V > (m / (t c))^2``, so the integral is taken on ``[0, (m / (t c))^2]`` by adaptive quadrature.
    This is the "exact" TOST power (Phillips 1990; Owen's Q).
    """
    from scipy import integrate

    df = n1 + n2 - 2.0
    c = float(np.sqrt(1.0 / n1 + 1.0 / n2))
    t = float(stats.t.isf(alpha, df))
    vmax = (margin / (t * c)) ** 2

    def integrand(v: float) -> float:
        h = t * c * np.sqrt(v)
        inner = special.ndtr((margin - h - shift) / c) - special.ndtr((-margin + h - shift) / c)
        return max(float(inner), 0.0) * float(stats.chi2.pdf(v * df, df)) * df

    val, _ = integrate.quad(integrand, 0.0, vmax, epsabs=1e-13, epsrel=1e-11, limit=200)
    return float(min(max(val, 0.0), 1.0))


#: the bracket above a starting guess that falls short: ``_STEP * x0 + 1e-3`` (the guesses of the power
#: calculations are normal approximations, typically within a few tenths of a percent of the root)
_STEP = 1.02
#: the secant first step of Chandrupatla's iteration keeps this share of the bracket on either side
_T0 = 0.001


def solve_increasing_vec(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    target,
    lo,
    hi,
    x0=None,
    *,
    xtol: float = 1e-13,
    rtol: float = 1e-13,
    maxiter: int = 200,
    f_one: Callable[[float], float] | None = None,
) -> np.ndarray:
    """Roots of ``f(x) = target`` for many increasing functions at once; NaN where none is bracketed.

    ``f(x, sel)`` evaluates problems ``sel`` (indices into the flattened ``target``) at ``x``. The bracket
    starts at ``x0`` (a guess, e.g. a normal approximation; else ``lo``) and grows geometrically towards
    ``hi``; the root is then found by
    Chandrupatla's method (inverse quadratic interpolation safeguarded by bisection), each problem
    stopping on its own when the bracket is narrower than ``xtol + rtol |x|``. Every problem takes exactly
    the steps it takes alone, so a grid gives the same roots as one-at-a-time calls.

    Examples
    --------
    >>> roots = solve_increasing_vec(lambda x, sel: x**2, np.array([4.0, 9.0]), 0.0, 10.0)
    >>> np.round(roots, 12).tolist()
    [2.0, 3.0]
    """
    target = np.asarray(target, dtype=float).ravel()
    n = target.size
    if n == 1:
        x0_ = None if x0 is None else float(np.ravel(x0)[0])
        one = np.zeros(1, dtype=int)
        g = f_one if f_one is not None else (lambda x: float(f(np.array([x]), one)[0]))
        return np.array(
            [_solve_one(g, float(target[0]), float(np.ravel(lo)[0]), float(np.ravel(hi)[0]), x0_, xtol, rtol, maxiter)]
        )
    lo = np.broadcast_to(np.asarray(lo, dtype=float), (n,)).copy()
    hi = np.broadcast_to(np.asarray(hi, dtype=float), (n,)).copy()
    idx = np.arange(n)
    root = np.full(n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if x0 is not None:  # start at the guess; ``lo`` is only needed where the guess is already too high
            x0 = np.minimum(np.maximum(np.broadcast_to(np.asarray(x0, dtype=float), (n,)), lo), hi)
            f0 = f(x0, idx) - target
            below = np.isfinite(f0) & (f0 < 0)
            high = np.flatnonzero(~below)
            fa = np.where(below, f0, np.nan)
            fa[high] = f(lo[high], high) - target[high]
            ok = below | (np.isfinite(fa) & (fa <= 0))
            root[~below & ok & (fa == 0)] = lo[~below & ok & (fa == 0)]
            ok &= below | (fa != 0)
            a = np.where(below, x0, lo)
            b = np.where(below, np.minimum(hi, _STEP * x0 + 1e-3), x0)
            fb = np.where(below, np.nan, f0)
            need = below
        else:
            fa = f(lo, idx) - target
            ok = np.isfinite(fa) & (fa <= 0)
            root[ok & (fa == 0)] = lo[ok & (fa == 0)]
            ok &= fa != 0
            a = lo
            b = np.minimum(hi, 2.0 * lo + 1.0)
            fb = np.full(n, np.nan)
            need = ok.copy()
        for _ in range(2100):  # grow the bracket (doubling from 1 reaches 1e300 in ~1000 steps)
            sel = np.flatnonzero(need)
            if sel.size == 0:
                break
            fb[sel] = f(b[sel], sel) - target[sel]
            low = need & (fb < 0) & np.isfinite(fb)
            stuck = low & (b >= hi)
            ok &= ~stuck & ~(need & ~np.isfinite(fb))
            grow = low & ~stuck
            a = np.where(grow, b, a)
            fa = np.where(grow, fb, fa)
            b = np.where(grow, np.minimum(hi, 2.0 * b), b)
            need = grow
        ok &= np.isfinite(fb)
        root[ok & (fb == 0)] = b[ok & (fb == 0)]
        ok &= fb != 0
        # Chandrupatla on the bracketed problems, each dropped from the working set when done
        act = np.flatnonzero(ok)
        x1, f1, x2, f2 = b[act], fb[act], a[act], fa[act]
        x3, f3 = x2.copy(), f2.copy()
        t = np.minimum(np.maximum(f1 / (f1 - f2), _T0), 1.0 - _T0)  # a secant first step (not a bisection)
        for _ in range(maxiter):
            if act.size == 0:
                break
            xt = x1 + t * (x2 - x1)
            ft = f(xt, act) - target[act]
            same = np.sign(ft) == np.sign(f1)
            x3, f3 = np.where(same, x1, x2), np.where(same, f1, f2)
            x2, f2 = np.where(same, x2, x1), np.where(same, f2, f1)
            x1, f1 = xt, ft
            first = np.abs(f1) < np.abs(f2)
            xm, fm = np.where(first, x1, x2), np.where(first, f1, f2)
            tl = (xtol + rtol * np.abs(xm)) / np.abs(x2 - x1)
            done = (tl > 0.5) | (fm == 0) | ~np.isfinite(ft)
            root[act[done]] = np.where(np.isfinite(ft[done]), xm[done], np.nan)
            keep = ~done
            if not keep.all():
                act, x1, f1, x2, f2, x3, f3, tl = (z[keep] for z in (act, x1, f1, x2, f2, x3, f3, tl))
            xi = (x1 - x2) / (x3 - x2)
            phi = (f1 - f2) / (f3 - f2)
            iqi = (phi * phi < xi) & ((1.0 - phi) * (1.0 - phi) < 1.0 - xi)
            tq = f1 / (f2 - f1) * f3 / (f2 - f3) + (x3 - x1) / (x2 - x1) * f1 / (f3 - f1) * f2 / (f3 - f2)
            t = np.minimum(np.maximum(np.where(iqi, tq, 0.5), tl), 1.0 - tl)
    return root


def t_power_one(ncp: float, df: float, alpha: float, alternative: str = "two-sided") -> float:
    """:func:`t_power` for one point, on floats: the same operations (so the same bits) without NumPy's
    per-call cost on one-element arrays.
    """
    with np.errstate(over="ignore"):  # as scipy.stats.nct.sf
        return t_power_point(ncp, df, alpha, alternative)


def t_power_point(ncp: float, df: float, alpha: float, alternative: str = "two-sided") -> float:
    """:func:`t_power_one` without its ``np.errstate(over="ignore")``: for callers that set it once around
    many evaluations (a root finder), since entering the context costs more than the evaluation.
    """
    if alternative == "two-sided":
        q = -special.stdtrit(df, alpha / 2.0)
        return float(_upper_one(q, df, ncp) + _upper_one(q, df, -ncp))
    q = -special.stdtrit(df, alpha)
    return float(_upper_one(q, df, ncp if alternative == "greater" else -ncp))


def _upper_one(q, df, ncp):
    """:func:`_upper` for one point (the caller sets ``np.errstate(over="ignore")``)."""
    if _nct_sf is None:  # pragma: no cover
        return _upper(q, df, ncp)[()]
    p = _nct_sf(q, df, ncp)
    p = 1.0 if p > 1.0 else (0.0 if p < 0.0 else p)  # np.minimum(np.maximum(p, 0), 1), NaN kept
    if p != p:
        p = special.ndtr(ncp - q)
    return p


def _sign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else (0.0 if x == 0 else math.nan))


def _solve_one(g, target, lo, hi, x0, xtol, rtol, maxiter) -> float:
    """:func:`solve_increasing_vec` for one problem in Python floats: the same operations in the same order
    (IEEE double arithmetic either way), without the per-call cost of NumPy on one-element arrays.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # once, not per step
        return _solve_one_steps(g, target, lo, hi, x0, xtol, rtol, maxiter)


def _solve_one_steps(g, target, lo, hi, x0, xtol, rtol, maxiter) -> float:
    f0 = math.nan
    if x0 is not None:
        x0 = min(max(x0, lo), hi)
        f0 = g(x0) - target
    if math.isfinite(f0) and f0 < 0:  # the start is below the target: bracket upwards from it
        a, fa, b, fb, need = x0, f0, min(hi, _STEP * x0 + 1e-3), math.nan, True
    else:  # bracket from the lower bound, up to the start (if any) or upwards
        fa = g(lo) - target
        if not (math.isfinite(fa) and fa <= 0):
            return math.nan
        if fa == 0:
            return lo
        a, b, fb, need = (lo, x0, f0, False) if x0 is not None else (lo, min(hi, 2.0 * lo + 1.0), math.nan, True)
    for _ in range(2100):
        if not need:
            break
        fb = g(b) - target
        if not math.isfinite(fb):
            return math.nan
        if fb < 0:
            if b >= hi:
                return math.nan
            a, fa, b = b, fb, min(hi, 2.0 * b)
        else:
            need = False
    if not math.isfinite(fb):
        return math.nan
    if fb == 0:
        return b
    x1, f1, x2, f2 = b, fb, a, fa
    x3, f3 = x2, f2
    t = _fmin(_fmax(_fdiv(f1, f1 - f2), _T0), 1.0 - _T0)  # a secant first step (not a bisection)
    for _ in range(maxiter):
        xt = x1 + t * (x2 - x1)
        ft = g(xt) - target
        if _sign(ft) == _sign(f1):
            x3, f3 = x1, f1
        else:
            x3, f3 = x2, f2
            x2, f2 = x1, f1
        x1, f1 = xt, ft
        xm, fm = (x1, f1) if abs(f1) < abs(f2) else (x2, f2)
        tl = _fdiv(xtol + rtol * abs(xm), abs(x2 - x1))
        if tl > 0.5 or fm == 0 or not math.isfinite(ft):
            return xm if math.isfinite(ft) else math.nan
        xi = _fdiv(x1 - x2, x3 - x2)
        phi = _fdiv(f1 - f2, f3 - f2)
        iqi = (phi * phi < xi) & ((1.0 - phi) * (1.0 - phi) < 1.0 - xi)
        tq = _fdiv(_fdiv(f1, f2 - f1) * f3, f2 - f3) + _fdiv(
            _fdiv(_fdiv(x3 - x1, x2 - x1) * f1, f3 - f1) * f2, f3 - f2
        )
        t = _fmin(_fmax(tq if iqi else 0.5, tl), 1.0 - tl)
    return math.nan


def _fdiv(a: float, b: float) -> float:
    """``a / b`` on floats with NumPy's IEEE results for ``b == 0`` (inf or NaN instead of an exception)."""
    if b != 0.0:
        return a / b
    if a != a or a == 0.0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _fmax(a: float, b: float) -> float:
    """``np.maximum`` on floats (NaN propagates)."""
    return a if (a >= b or a != a) else b


def _fmin(a: float, b: float) -> float:
    """``np.minimum`` on floats (NaN propagates)."""
    return a if (a <= b or a != a) else b
