"""kernels.kendall against scipy.stats.kendalltau (tau-b; exact p without ties and n < 50, else the normal
approximation with the tie correction), and the rank test that uses it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from retrostats.kernels.kendall import discordant_null_cdf, kendall_tau


@pytest.mark.parametrize("n", [3, 4, 5, 8, 13, 25, 49, 50, 120])
def test_matches_scipy_without_ties(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        x = rng.normal(size=n)
        y = 0.3 * x + rng.normal(size=n)
        tau, p = kendall_tau(x, y)
        ref = stats.kendalltau(x, y, method="exact" if n < 50 else "asymptotic")
        assert tau == pytest.approx(ref.statistic, rel=1e-13, abs=1e-15)
        assert p == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-15)


@pytest.mark.parametrize("n", [6, 20, 300])
def test_matches_scipy_with_ties(n):
    rng = np.random.default_rng(100 + n)
    for _ in range(20):
        x = rng.integers(0, 5, size=n).astype(float)
        y = rng.integers(0, 4, size=n) + 0.2 * x
        tau, p = kendall_tau(x, y)
        ref = stats.kendalltau(x, y, method="asymptotic")
        assert tau == pytest.approx(ref.statistic, rel=1e-13, abs=1e-15)
        assert p == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-15)


def test_edges():
    assert np.isnan(kendall_tau([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])).all()  # a constant variable
    assert kendall_tau([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == (1.0, pytest.approx(1 / 3))
    assert kendall_tau([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])[0] == -1.0
    # the null distribution: sums to one, symmetric, and its smallest masses are 1/n! and (n-1)/n!
    assert discordant_null_cdf(7, 21) == 1.0 and discordant_null_cdf(7, -1) == 0.0
    assert discordant_null_cdf(6, 0) == pytest.approx(1 / 720) and discordant_null_cdf(6, 1) == pytest.approx(6 / 720)
    assert discordant_null_cdf(9, 17) == pytest.approx(1 - discordant_null_cdf(9, 18), rel=1e-12)
