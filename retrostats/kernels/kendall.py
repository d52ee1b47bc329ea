"""Kendall's tau-b and its two-sided p-value, for the rank correlation test of funnel-plot asymmetry.

The p-value is exact (the null distribution of the number of discordant pairs, counted in integers) when
neither variable has ties and fewer than 50 pairs are ranked, else the normal approximation with the tie
correction of the variance (Kendall 1970, ch. 4), as R's ``cor.test(method = "kendall")`` and
``scipy.stats.kendalltau``; ``tests/test_kernels_kendall.py`` compares both with scipy on random and tied data.

Examples
--------
>>> tau, p = kendall_tau([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0])
>>> round(tau, 4), round(p, 4)
(0.6, 0.2333)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["kendall_tau", "discordant_null_cdf"]


def _tie_sums(values: np.ndarray) -> tuple[int, int, int]:
    """For the groups of tied values: sum t(t-1)/2, sum t(t-1)(t-2) and sum t(t-1)(2t+5)."""
    _, counts = np.unique(values, return_counts=True)
    t = [int(c) for c in counts if c > 1]
    return (sum(c * (c - 1) // 2 for c in t), sum(c * (c - 1) * (c - 2) for c in t),
            sum(c * (c - 1) * (2 * c + 5) for c in t))


def discordant_null_cdf(n: int, c: int) -> float:
    """P(at most ``c`` discordant pairs) among ``n`` untied pairs under independence.

    The counts of permutations of ``n`` items with each number of inversions (Mahonian numbers), built one
    item at a time in exact integers, divided by ``n!``.

    Examples
    --------
    >>> discordant_null_cdf(3, 0), discordant_null_cdf(3, 3)
    (0.16666666666666666, 1.0)
    """
    if c < 0:
        return 0.0
    counts = [1]  # permutations of one item: no inversion
    for j in range(2, n + 1):  # adding the j-th item adds 0..j-1 inversions
        width = len(counts) + j - 1
        cum = [0] * (len(counts) + 1)
        for i, v in enumerate(counts):
            cum[i + 1] = cum[i] + v
        counts = [cum[min(k, len(counts) - 1) + 1] - cum[max(k - j + 1, 0)] for k in range(width)]
    return min(sum(counts[: c + 1]) / math.factorial(n), 1.0)


def kendall_tau(x, y) -> tuple[float, float]:
    """Kendall's tau-b between ``x`` and ``y`` and its two-sided p-value (see the module notes).

    NaN for both when either variable is constant.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = x.size
    # concordant minus discordant pairs, one row of pairs at a time (memory O(n) for large k)
    s = sum(int(np.sum(np.sign(x[i] - x[i + 1:]) * np.sign(y[i] - y[i + 1:]))) for i in range(n - 1))
    tot = n * (n - 1) // 2
    xtie, x0, x1 = _tie_sums(x)
    ytie, y0, y1 = _tie_sums(y)
    if xtie == tot or ytie == tot:
        return float("nan"), float("nan")
    tau = min(1.0, max(-1.0, s / math.sqrt(tot - xtie) / math.sqrt(tot - ytie)))
    if xtie == 0 and ytie == 0 and n < 50:
        discordant = (tot - s) // 2
        p = 2.0 * discordant_null_cdf(n, min(discordant, tot - discordant))
        return tau, min(p, 1.0)
    m = n * (n - 1.0)
    var = (m * (2 * n + 5) - x1 - y1) / 18 + 2.0 * xtie * ytie / m + x0 * y0 / (9.0 * m * (n - 2))
    z = s / math.sqrt(var)
    return tau, float(2.0 * special.ndtr(-abs(z)))
