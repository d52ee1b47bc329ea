"""Simulation kernels: whole batches of randomised trials analysed in closed form, with no per-trial loop.

NumPy/SciPy only. Each function takes a ``numpy.random.Generator`` and a batch size and returns arrays
with one entry per simulated trial.

ANCOVA (outcome on intercept + arm + baseline, OLS) depends on the data only through each arm's means
and the pooled within-arm sums of squares and cross-products, so a batch is analysed with a few array
operations: ``b = Sxy / Sxx``, ``estimate = (ybar1 - ybar0) - b (xbar1 - xbar0)``,
``s2 = (Syy - Sxy^2 / Sxx) / (m - 3)``, ``se^2 = s2 (1/m1 + 1/m0 + (xbar1 - xbar0)^2 / Sxx)``.
Two generators are offered: ``"sufficient"`` draws those statistics from their exact sampling
distributions (means bivariate normal, pooled SSCP Wishart via the Bartlett decomposition), which costs
O(1) per trial; ``"participants"`` draws every participant and reduces, costing O(n) per trial.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import _dist

__all__ = ["ancova_batch", "ancova_stats", "observed_counts", "mmrm_batch", "reject"]


def observed_counts(rng: np.random.Generator, n: int, dropout: float, size: int) -> np.ndarray:
    """Participants with an observed outcome per trial: Binomial(n, 1 - dropout)."""
    if dropout <= 0:
        return np.full(size, n, dtype=np.int64)
    return rng.binomial(n, 1.0 - dropout, size=size)


def ancova_stats(m1, m0, dx, dy, sxx, sxy, syy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed-form OLS of the arm effect adjusted for baseline, from sufficient statistics.

    Returns ``(estimate, se, df)``; trials with fewer than 2 participants in an arm or df < 1 get NaN.
    """
    m1, m0 = np.asarray(m1, dtype=float), np.asarray(m0, dtype=float)
    df = m1 + m0 - 3.0
    ok = (m1 >= 2) & (m0 >= 2) & (df >= 1) & (sxx > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = sxy / sxx
        est = dy - b * dx
        s2 = (syy - sxy * b) / df
        se = np.sqrt(s2 * (1.0 / m1 + 1.0 / m0 + dx * dx / sxx))
    return np.where(ok, est, np.nan), np.where(ok, se, np.nan), np.where(ok, df, np.nan)


def reject(est, se, df, alpha: float, alternative: str = "two-sided") -> np.ndarray:
    """Boolean rejections of the t test ``est / se`` with ``df`` (df may vary by trial; NaN never rejects)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = est / se
    dfv = np.where(np.isnan(df), 1.0, df)
    if alternative == "two-sided":
        out = np.abs(t) > _dist.t_isf(alpha / 2.0, dfv)
    elif alternative == "greater":
        out = t > _dist.t_isf(alpha, dfv)
    else:
        out = t < -_dist.t_isf(alpha, dfv)
    return out & ~np.isnan(t)


def ancova_batch(
    rng: np.random.Generator,
    size: int,
    *,
    n1: int,
    n0: int,
    effect: float,
    sd: float,
    r: float,
    dropout: float = 0.0,
    generator: str = "sufficient",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate and analyse ``size`` two-arm trials with a baseline covariate; returns (estimate, se, df).

    Baseline ``x`` and outcome ``y`` are bivariate normal with SD ``sd`` and correlation ``r``; arm 1's
    outcome mean is shifted by ``effect``. Each participant's outcome is missing independently with
    probability ``dropout`` (MCAR) and the analysis uses complete cases.

    Examples
    --------
    >>> est, se, df = ancova_batch(np.random.default_rng(1), 4, n1=20, n0=20, effect=0.5, sd=1.0, r=0.5)
    >>> est.shape, bool(np.all(se > 0)), float(df[0])
    ((4,), True, 37.0)
    """
    s = np.sqrt(1.0 - r * r)
    m1 = observed_counts(rng, n1, dropout, size)
    m0 = observed_counts(rng, n0, dropout, size)
    if generator == "sufficient":
        # arm means: (x, y) ~ N((0, effect*[arm 1]), Sigma / m); standardised then scaled by sd
        with np.errstate(divide="ignore", invalid="ignore"):
            c1, c0 = 1.0 / np.sqrt(np.maximum(m1, 1)), 1.0 / np.sqrt(np.maximum(m0, 1))
        z = rng.standard_normal((4, size))
        x1, x0 = c1 * z[0], c0 * z[1]
        y1 = c1 * (r * z[0] + s * z[2])
        y0 = c0 * (r * z[1] + s * z[3])
        dx, dy = sd * (x1 - x0), sd * (y1 - y0) + effect
        # pooled within-arm SSCP ~ Wishart(k, Sigma), k = m1 + m0 - 2, via Bartlett: A = [[a, 0], [c, e]]
        k = np.maximum(m1 + m0 - 2, 2).astype(float)
        a2 = rng.chisquare(k)
        e2 = rng.chisquare(k - 1.0)
        c = rng.standard_normal(size)
        # W0 = A A^T = [[a2, a c], [a c, c^2 + e2]]; W = L W0 L^T with L = [[1, 0], [r, s]] (times sd^2)
        a = np.sqrt(a2)
        w11, w12, w22 = a2, a * c, c * c + e2
        sxx = sd * sd * w11
        sxy = sd * sd * (r * w11 + s * w12)
        syy = sd * sd * (r * r * w11 + 2.0 * r * s * w12 + s * s * w22)
        return ancova_stats(m1, m0, dx, dy, sxx, sxy, syy)
    if generator != "participants":
        raise ValueError(f"generator must be 'sufficient' or 'participants'; got {generator!r}")
    out = []
    for n, shift, m in ((n1, effect, m1), (n0, 0.0, m0)):
        zx = rng.standard_normal((size, n))
        zy = r * zx + s * rng.standard_normal((size, n))
        # MCAR dropout that matches the binomial count drawn above: keep the first m participants
        keep = np.arange(n)[None, :] < m[:, None]
        cnt = np.maximum(m, 1).astype(float)
        x = sd * zx * keep
        y = (sd * zy + shift) * keep
        mx, my = x.sum(1) / cnt, y.sum(1) / cnt
        xc, yc = (x - mx[:, None]) * keep, (y - my[:, None]) * keep
        out.append((mx, my, (xc * xc).sum(1), (xc * yc).sum(1), (yc * yc).sum(1)))
    (mx1, my1, a1, b1, c1), (mx0, my0, a0, b0, c0) = out
    return ancova_stats(m1, m0, mx1 - mx0, my1 - my0, a1 + a0, b1 + b0, c1 + c0)


def _monotone_counts(rng: np.random.Generator, n: int, retention: np.ndarray, size: int) -> np.ndarray:
    """Participants whose last observed visit is visit j (columns j = 1..J): multinomial by retention."""
    ret = np.append(retention, 0.0)
    probs = ret[:-1] - ret[1:]
    return rng.multinomial(n, probs, size=size)


def mmrm_batch(
    rng: np.random.Generator,
    size: int,
    *,
    n1: int,
    n0: int,
    effect: float,
    sd: float,
    corr: np.ndarray,
    retention1: np.ndarray,
    retention0: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``size`` trials with J visits and monotone dropout; GLS estimate of the last-visit effect.

    Outcomes are multivariate normal (SD ``sd``, correlation ``corr``); arm 1's last-visit mean is shifted
    by ``effect``. Participants' dropout patterns follow the retention curves (MAR, monotone). Each arm's
    visit means are estimated by generalised least squares with the true covariance (the model behind Lu,
    Luo & Chen 2008), using per-pattern sums, which are sufficient: the information matrix is
    ``sum_j n_j pad(S_j^{-1})`` and the score ``sum_j pad(S_j^{-1} T_j)`` with ``T_j`` the pattern-j sum.
    Returns ``(estimate, se)`` of the last-visit difference (Wald z).
    """
    corr = np.asarray(corr, dtype=float)
    J = corr.shape[0]
    cov = sd * sd * corr
    inv = [np.linalg.inv(cov[:j, :j]) for j in range(1, J + 1)]
    chols = [np.linalg.cholesky(cov[:j, :j]) for j in range(1, J + 1)]
    est = []
    var = []
    for n, ret, shift in ((n1, retention1, effect), (n0, retention0, 0.0)):
        counts = _monotone_counts(rng, n, np.asarray(ret, dtype=float), size)  # (size, J)
        info = np.zeros((size, J, J))
        score = np.zeros((size, J))
        mu = np.zeros(J)
        mu[-1] = shift
        for j in range(1, J + 1):  # visits (J is small), vectorised over trials
            nj = counts[:, j - 1].astype(float)
            # sum of n_j iid N(mu, S_j) vectors ~ N(n_j mu, n_j S_j)
            tot = nj[:, None] * mu[:j] + np.sqrt(nj)[:, None] * (
                rng.standard_normal((size, j)) @ chols[j - 1].T
            )
            info[:, :j, :j] += nj[:, None, None] * inv[j - 1]
            score[:, :j] += tot @ inv[j - 1].T
        ok = counts[:, -1] > 0
        info[~ok] = np.eye(J)  # no completers: the last-visit mean is not estimable in that trial
        cov_hat = np.linalg.inv(info)
        m_hat = np.einsum("sij,sj->si", cov_hat, score)
        est.append(np.where(ok, m_hat[:, -1], np.nan))
        var.append(np.where(ok, cov_hat[:, -1, -1], np.nan))
    return est[0] - est[1], np.sqrt(var[0] + var[1])


def z_reject(est, se, alpha: float) -> np.ndarray:
    """Two-sided Wald z rejections (NaN never rejects)."""
    with np.errstate(invalid="ignore"):
        z = np.abs(est / se)
    return (z > special.ndtri(1.0 - alpha / 2.0)) & ~np.isnan(z)
