"""ANCOVA, change score, three-arm, NI/equivalence, attrition, precision and MMRM planning."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MCSE_MULTIPLIER, TOL, load_reference, published_tol
from scipy import integrate, stats

from retrostats.kernels.power import ancova_power, dunnett_critical, t_power, tost_power
from retrostats.planning import (
    inflate_for_attrition,
    n_for_precision,
    power_ancova,
    power_change_score,
    power_equivalence,
    power_mmrm,
    power_noninferiority,
    power_three_arm,
    power_ttest,
)


def test_ancova_quadrature_equals_adaptive_integral():
    # exact unconditional power: E over U ~ F(1, N-2)/(N-2) of the conditional noncentral-t power
    # the last two are beyond scipy.special.roots_jacobi's range (N > ~2,050: its weight scale overflows)
    for d, r, n1, n2 in [(0.4, 0.6, 15, 25), (0.3, 0.2, 40, 40), (-0.7, 0.8, 8, 10), (0.1, 0.5, 1500, 1500),
                         (0.05, 0.3, 5000, 4000)]:
        N = n1 + n2
        lam = d / np.sqrt((1 - r * r) * (1 / n1 + 1 / n2))

        def f(u, lam=lam, N=N):
            return float(t_power(lam / np.sqrt(1 + u / (N - 2)), N - 3, 0.05)) * stats.f.pdf(u, 1, N - 2)

        ref = integrate.quad(f, 0, np.inf, epsabs=1e-13, epsrel=1e-12)[0]
        np.testing.assert_allclose(float(ancova_power(d, r, n1, n2, 0.05)), ref, **TOL["quadrature"])


def test_ancova_properties():
    exact = power_ancova(effect_size=0.5, power=0.8, r=0.5)
    borm = power_ancova(effect_size=0.5, power=0.8, r=0.5, method="borm")
    t = power_ttest(effect_size=0.5, power=0.8)
    # Borm et al.'s design factor: n about (1 - r^2) times the t-test n; the exact method needs a little more
    assert borm.n < exact.n < t.n
    assert abs(borm.n / t.n - 0.75) < 0.02  # the (1 - r^2) rule is approximate (df and t quantiles differ)
    # round trips
    for res in (exact, borm):
        method = "borm" if "Borm" in res.method else "exact"
        back = power_ancova(n=res.n, power=0.8, r=0.5, method=method)
        np.testing.assert_allclose(back.effect_size, 0.5, **TOL["iterative"])
    assert exact.n_recruit_per_arm == exact.n_per_arm
    assert power_ancova(effect_size=0.5, power=0.8, r=0.5, dropout=0.2).n_recruit_per_arm == int(
        np.ceil(exact.n / 0.8)
    )


def test_ancova_sample_size_for_a_small_effect():
    # n ~ 1,179 per arm: beyond N ~ 2,050 the Gauss-Jacobi weights come from the Golub-Welsch eigenproblem
    # (the exact power was NaN there and the solver reported that no n reaches the power)
    exact = power_ancova(effect_size=0.1, power=0.8, r=0.5)
    borm = power_ancova(effect_size=0.1, power=0.8, r=0.5, method="borm")
    assert borm.n < exact.n < borm.n + 1.0
    np.testing.assert_allclose(power_ancova(effect_size=0.1, n=exact.n, r=0.5).power, 0.8, **TOL["iterative"])


def test_change_score_equals_ttest_on_change_sd():
    res = power_change_score(effect_size=0.4, n=30, r=0.7)
    d_change = 0.4 / np.sqrt(2 * (1 - 0.7))
    np.testing.assert_allclose(res.power, power_ttest(effect_size=d_change, n=30).power, **TOL["closed_form"])
    back = power_change_score(effect_size=0.4, power=res.power, r=0.7)
    np.testing.assert_allclose(back.n, 30, **TOL["iterative"])


@pytest.mark.r_parity
def test_dunnett_critical_values_match_mvtnorm():
    ref = load_reference("pwr_dunnett")["dunnett"]
    assert len(ref["crit"]) == 2 * 4 * 2 * 2
    for m, df, a, rho, c in zip(ref["m"], ref["df"], ref["alpha"], ref["rho"], ref["crit"]):
        ours = dunnett_critical(int(m), df, a, rho)
        # m = 2: mvtnorm integrates the bivariate t deterministically; m = 3: Genz-Bretz quasi-Monte Carlo,
        # so the comparison is against an independent quadrature
        tol = TOL["iterative"] if m == 2 else TOL["quadrature"]
        np.testing.assert_allclose(ours, c, **tol)


def test_three_arm_power_by_simulation(rng):
    res = power_three_arm(effect_size=0.6, n=40, adjustment="dunnett")
    n, S = 40, 20000
    means = rng.standard_normal((S, 3)) / np.sqrt(n) + np.array([0.6, 0.3, 0.0])
    ss = rng.chisquare(3 * n - 3, S)
    s = np.sqrt(ss / (3 * n - 3))
    t_first = (means[:, 0] - means[:, 2]) / (s * np.sqrt(2 / n))
    crit = dunnett_critical(2, 3 * n - 3, 0.05)
    sim = np.mean(np.abs(t_first) > crit)
    assert abs(sim - res.power) < MCSE_MULTIPLIER * np.sqrt(res.power * (1 - res.power) / S)
    assert (
        power_three_arm(effect_size=0.6, n=40, adjustment="none").power
        > res.power
        > power_three_arm(effect_size=0.6, n=40, adjustment="bonferroni").power
    )


def test_noninferiority_is_shifted_one_sided_t():
    res = power_noninferiority(effect_size=0.1, n=80, margin=0.3)
    ref = power_ttest(effect_size=0.4, n=80, alternative="greater", alpha=0.025)
    np.testing.assert_allclose(res.power, ref.power, **TOL["closed_form"])
    back = power_noninferiority(n=80, power=res.power, margin=0.3)
    np.testing.assert_allclose(back.effect_size, 0.1, **TOL["iterative"])
    with pytest.raises(ValueError, match="non-inferiority cannot be shown"):
        power_noninferiority(effect_size=-0.4, power=0.8, margin=0.3)


def test_tost_power_by_simulation(rng):
    n, m, shift, S = 60, 0.5, 0.1, 40000
    p = tost_power(shift, m, n, n, 0.05)
    diff = shift + rng.standard_normal(S) * np.sqrt(2 / n)
    s = np.sqrt(rng.chisquare(2 * n - 2, S) / (2 * n - 2))
    se = s * np.sqrt(2 / n)
    t = stats.t.isf(0.05, 2 * n - 2)
    sim = np.mean(((diff + m) / se > t) & ((diff - m) / se < -t))
    assert abs(sim - p) < MCSE_MULTIPLIER * np.sqrt(p * (1 - p) / S)
    res = power_equivalence(effect_size=0.1, power=0.8, margin=0.5)
    np.testing.assert_allclose(
        power_equivalence(effect_size=0.1, n=res.n, margin=0.5).power, 0.8, **TOL["iterative"]
    )
    back = power_equivalence(n=res.n, power=0.8, margin=0.5)
    np.testing.assert_allclose(back.effect_size, 0.1, **TOL["iterative"])
    with pytest.raises(ValueError, match="not inside the margin"):
        power_equivalence(effect_size=0.6, power=0.8, margin=0.5)


def test_attrition_and_precision():
    assert inflate_for_attrition(64, 0.2) == 80
    assert inflate_for_attrition(80, 0.0) == 80
    with pytest.raises(ValueError, match="dropout must be below 1"):
        inflate_for_attrition(64, 1.0)
    plain = n_for_precision(0.5, sd=2.0)
    sure = n_for_precision(0.5, sd=2.0, assurance=0.9)
    assert plain.expected_half_width <= 0.5 and sure.n > plain.n and sure.assurance >= 0.9

    def half_width(n):  # expected half-width and its assurance at n per arm
        df = 2 * n - 2
        t = stats.t.isf(0.025, df)
        hw = t * 2.0 * np.sqrt(2 / n)
        return hw, stats.chi2.cdf(df * (0.5 / hw) ** 2, df)

    assert half_width(plain.n - 1)[0] > 0.5  # minimal
    assert half_width(sure.n - 1)[1] < 0.9
    np.testing.assert_allclose(half_width(sure.n)[1], sure.assurance, **TOL["closed_form"])


# longpower documentation, ?power.mmrm examples (Ra: compound symmetry 0.25, ra = 1, .9, .8, .7, sigma 1):
# https://github.com/mcdonohue/longpower/blob/master/R/power_mmrm.R, rendered at
# https://mcdonohue.github.io/longpower/reference/power.mmrm.html (printed values typed below as printed)
LONGPOWER = [
    (dict(effect_size=0.5, power=0.80), "n", "86.99175", 1.0),
    (dict(n=87, effect_size=0.5), "power", "0.8000372", 1.0),
    (dict(n=87, power=0.80), "effect_size", "0.4999763", 1.0),
    (dict(effect_size=0.5, power=0.80), "n", "130.4876", 0.5),
    (dict(n=116, effect_size=0.5), "power", "0.7522291", 0.5),
    (dict(n=116, power=0.80), "effect_size", "0.5303049", 0.5),
]


@pytest.mark.parametrize("kwargs, field, printed, ratio", LONGPOWER)
def test_mmrm_reproduces_longpower_documentation(kwargs, field, printed, ratio):
    R = np.full((4, 4), 0.25) + 0.75 * np.eye(4)
    res = power_mmrm(**kwargs, corr=R, retention=[1, 0.9, 0.8, 0.7], ratio=ratio)
    assert abs(getattr(res, field) - float(printed)) <= published_tol(printed)


def test_mmrm_reproduces_lu_luo_chen_table1():
    # Lu, Luo & Chen (2008) Table 1 z-test column as printed in longpower's example:
    # phi1 = phi2 = 1, lambda = 1,
    # alpha 0.05 two-sided, power 0.9, delta 0.5: N = 168.1188 (total)
    res = power_mmrm(effect_size=0.5, power=0.9, corr=np.eye(3), retention=[1, 1, 1])
    assert abs(res.n + res.n2 - 168.1188) <= published_tol("168.1188")
