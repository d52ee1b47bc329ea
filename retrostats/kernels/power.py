"""Power kernels: noncentral t / normal power, ANCOVA and MMRM variance factors, root finding.

NumPy/SciPy only; arrays in, arrays out. The frame API in :mod:`retrostats.planning` validates inputs.

Conventions follow R ``pwr`` (Champely 2020): for a two-sided test the power counts both rejection tails;
``alternative="greater"`` rejects for large t, ``"less"`` for small t.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize, special, stats

__all__ = [
    "t_power",
    "z_power",
    "two_sample_ncp",
    "ancova_power",
    "change_score_power",
    "mmrm_phi",
    "dunnett_critical",
    "solve_increasing",
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
        q = stats.t.isf(alpha / 2.0, df)
        return _upper(q, df, ncp) + _upper(q, df, -ncp)
    if alternative == "greater":
        return _upper(stats.t.isf(alpha, df), df, ncp)
    if alternative == "less":
        return _upper(stats.t.isf(alpha, df), df, -ncp)
    raise ValueError(f"alternative must be one of {_TAILS}; got {alternative!r}")


def _upper(q, df, ncp) -> np.ndarray:
    """``P(T > q)`` for noncentral t; scipy returns NaN for a few extreme far tails, where the normal
    approximation (then ~0 or ~1) stands in.
    """
    p = np.asarray(stats.nct.sf(q, df, ncp), dtype=float)
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


def _gauss_jacobi(nodes: int, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes on (0, 1) and normalised weights for the Beta(b + 1, a + 1) density (x = (1 + u) / 2)."""
    u, w = special.roots_jacobi(nodes, a, b)
    return (1.0 + u) / 2.0, w / w.sum()


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
    d, r, n1, n2 = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (d, r, n1, n2)))
    lam = d / np.sqrt((1.0 - r**2) * (1.0 / n1 + 1.0 / n2))
    df = n1 + n2 - 3.0
    if method == "borm":
        return t_power(lam, df, alpha, alternative)
    if method != "exact":
        raise ValueError(f"method must be 'exact' or 'borm'; got {method!r}")
    out = np.empty(lam.shape)
    flat_lam, flat_df, flat_out = lam.ravel(), df.ravel(), out.ravel()
    # one quadrature per distinct df (the Beta shape depends on N); vectorised over nodes
    for dfi in np.unique(flat_df):
        sel = flat_df == dfi
        x, w = _gauss_jacobi(nodes, (dfi + 1.0) / 2.0 - 1.0, -0.5)  # B ~ Beta(1/2, (N-2)/2), N-2 = df+1
        ncp = flat_lam[sel][:, None] * np.sqrt(1.0 - x)[None, :]
        flat_out[sel] = t_power(ncp, dfi, alpha, alternative) @ w
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
    z, wz = special.roots_hermitenorm(nodes)
    wz = wz / wz.sum()
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

    return optimize.brentq(lambda c: coverage(c) - (1.0 - alpha), 1e-6, 100.0, xtol=1e-13, rtol=1e-14)


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
    return optimize.brentq(lambda x: f(x) - target, a, b, xtol=xtol, rtol=rtol, maxiter=500)


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
