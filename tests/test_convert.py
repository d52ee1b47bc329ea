"""retrostats.convert: R parity (qt/qnorm), Cochrane Handbook worked examples, identities and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TOL, load_reference, published_tol
from scipy import stats

from retrostats import convert
from retrostats.exceptions import DataError

REF = load_reference("escalc")
CF = TOL["closed_form"]


@pytest.mark.r_parity
def test_sd_from_ci_matches_r():
    b = REF["convert_ci"]
    i = b["inputs"]
    np.testing.assert_allclose(convert.sd_from_ci(i["ci_low"], i["ci_high"], i["n"]), b["sd_t"], **CF)
    np.testing.assert_allclose(
        convert.sd_from_ci(i["ci_low"], i["ci_high"], i["n"], confidence_level=0.90), b["sd_t90"], **CF
    )
    np.testing.assert_allclose(
        convert.sd_from_ci(i["ci_low"], i["ci_high"], i["n"], distribution="normal"), b["sd_normal"], **CF
    )


@pytest.mark.r_parity
def test_se_from_p_matches_r():
    b = REF["convert_p"]
    i = b["inputs"]
    np.testing.assert_allclose(convert.se_from_p(i["estimate"], i["p"], df=i["df"]), b["se_t"], **CF)
    np.testing.assert_allclose(convert.se_from_p(i["estimate"], i["p"]), b["se_normal"], **CF)


def test_handbook_p_value_example():
    # Cochrane Handbook 5.1, section 7.7.3.3: P = 0.008, groups of 25 and 22 (45 df) give t = 2.78;
    # a mean difference of 3.8 then has SE = 3.8 / 2.78 = 1.37.
    se = convert.se_from_p(3.8, 0.008, df=45)
    assert abs(3.8 / se - 2.78) <= published_tol("2.78")
    assert abs(se - 1.37) <= published_tol("1.37")


def test_handbook_ci_divisor_example():
    # Cochrane Handbook 5.1, section 7.7.3.2: for a group of 25 the divisor 3.92 becomes 2 x 2.0639 = 4.128,
    # and for large samples it is 3.92.
    lo, hi, n = 3.0, 5.0, 25
    divisor_t = np.sqrt(n) * (hi - lo) / convert.sd_from_ci(lo, hi, n)
    assert abs(divisor_t - 4.128) <= published_tol("4.128")
    divisor_z = np.sqrt(n) * (hi - lo) / convert.sd_from_ci(lo, hi, n, distribution="normal")
    assert abs(divisor_z - 3.92) <= published_tol("3.92")


def test_handbook_change_sd_example():
    # Cochrane Handbook 5.1, section 16.4.6.4: SDs 2.38 and 2.21, r = 0.68 imputed, n = 10: SE of MD 0.583
    assert abs(convert.change_sd(2.38, 2.21, 0.68) / np.sqrt(10) - 0.583) <= published_tol("0.583")


def test_sd_from_se_and_scalars_vs_arrays():
    assert convert.sd_from_se(0.4, 25) == pytest.approx(2.0, rel=1e-15)
    out = convert.sd_from_se([0.4, 1.0], [25, 16])
    assert isinstance(out, np.ndarray) and out.tolist() == [2.0, 4.0]


def test_change_sd_and_correlation_round_trip(rng):
    sb, sf, r = rng.uniform(0.5, 5, 50), rng.uniform(0.5, 5, 50), rng.uniform(-0.95, 0.95, 50)
    sc = convert.change_sd(sb, sf, r)
    np.testing.assert_allclose(convert.correlation_from_sds(sb, sf, sc), r, **CF)
    with pytest.raises(DataError, match="outside"):
        convert.correlation_from_sds(1.0, 1.0, 3.0)


def test_combine_groups_equals_pooled_sample(rng):
    a, b = rng.normal(5, 2, 13), rng.normal(7, 3, 21)
    n, m, s = convert.combine_groups(13, a.mean(), a.std(ddof=1), 21, b.mean(), b.std(ddof=1))
    both = np.concatenate([a, b])
    assert n == 34
    assert m == pytest.approx(both.mean(), rel=1e-12)
    assert s == pytest.approx(both.std(ddof=1), rel=1e-12)


def test_median_formulas_choose_scenario_and_match_definitions():
    n = 40.0
    xi = 2 * stats.norm.ppf((n - 0.375) / (n + 0.25))
    eta = 2 * stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25))
    a, q1, m, q3, b = 1.0, 4.0, 5.0, 7.0, 12.0
    assert convert.median_scenario(minimum=a, maximum=b) == "S1"
    assert convert.median_scenario(q1=q1, q3=q3, minimum=a, maximum=b) == "S2"
    # Wan (2014) eqs. 2/7 (S1), 10/12 (S2), 14/15 (S3)
    assert convert.mean_from_median(m, minimum=a, maximum=b, n=n, method="wan") == pytest.approx(
        (a + 2 * m + b) / 4
    )
    assert convert.sd_from_median(m, minimum=a, maximum=b, n=n) == pytest.approx((b - a) / xi, rel=1e-14)
    assert convert.sd_from_median(m, q1=q1, q3=q3, n=n) == pytest.approx((q3 - q1) / eta, rel=1e-14)
    assert convert.sd_from_median(m, q1=q1, q3=q3, minimum=a, maximum=b, n=n) == pytest.approx(
        (b - a) / (2 * xi) + (q3 - q1) / (2 * eta), rel=1e-14
    )
    # Luo (2018) S3 weight 0.7 + 0.39/n; Shi (2020) S2 weight 1/(1 + 0.07 n^0.6)
    w = 0.7 + 0.39 / n
    assert convert.mean_from_median(m, q1=q1, q3=q3, n=n) == pytest.approx(w * (q1 + q3) / 2 + (1 - w) * m)
    ws = 1 / (1 + 0.07 * n**0.6)
    assert convert.sd_from_median(m, q1=q1, q3=q3, minimum=a, maximum=b, n=n, method="shi") == pytest.approx(
        ws * (b - a) / xi + (1 - ws) * (q3 - q1) / eta, rel=1e-14
    )
    # 'luo' for the SD is Wan's SD (Luo et al. pair their mean with it)
    assert convert.sd_from_median(m, q1=q1, q3=q3, n=n, method="luo") == convert.sd_from_median(
        m, q1=q1, q3=q3, n=n
    )


def test_median_conversion_recovers_normal_sample(rng):
    # a large normal sample: every method gets the sample mean and SD within a few percent
    x = rng.normal(50, 10, 801)
    a, q1, m, q3, b = np.quantile(x, [0, 0.25, 0.5, 0.75, 1])
    for method in convert.MEAN_METHODS:
        est = convert.mean_from_median(m, q1=q1, q3=q3, minimum=a, maximum=b, n=801, method=method)
        assert abs(est - x.mean()) < 0.5  # 0.05 SD: sampling noise of quantiles at n = 801
    for method in ("wan", "shi"):
        est = convert.sd_from_median(m, q1=q1, q3=q3, n=801, method=method)
        assert abs(est / x.std(ddof=1) - 1) < 0.08  # IQR-based SD: sampling error ~4% at n = 801


def test_skewness_test_flags_skewed_and_passes_symmetric():
    sym = convert.skewness_test(10.0, q1=8.0, q3=12.0, minimum=4.0, maximum=16.0, n=50)
    assert sym["statistic"] == 0 and not sym["skewed"]
    skew = convert.skewness_test(10.0, q1=9.5, q3=16.0, n=30)
    assert skew["scenario"] == "S3" and skew["skewed"]
    assert skew["critical_value"] == pytest.approx(2.65 / np.sqrt(30) - 6 / 30**2, rel=1e-14)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: convert.sd_from_se([0.5, -1.0], [10, 10]), r"se must be > 0; row 1"),
        (lambda: convert.sd_from_ci(5.0, 3.0, 10), "ci_high must exceed ci_low; row 0"),
        (lambda: convert.sd_from_ci(3.0, 5.0, 1), "n must be >= 2"),
        (lambda: convert.se_from_p(1.0, 0.0), "p_value must be > 0"),
        (lambda: convert.se_from_p(0.0, 0.05), "estimate is 0"),
        (lambda: convert.change_sd(1.0, 1.0, 1.0), "r must be < 1"),
        (lambda: convert.mean_from_median(5.0, q1=6.0, q3=7.0, n=20), "q1 <= median <= q3"),
        (lambda: convert.mean_from_median(5.0, n=20), "needs q1 and q3, or minimum and maximum"),
        (
            lambda: convert.sd_from_median(5.0, q1=4.0, q3=7.0, n=[20, 30, 40], minimum=[1.0, 2.0]),
            "same length",
        ),
        (lambda: convert.sd_from_se("a", 10), "se must be numeric"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises((DataError, ValueError), match=match):
        call()


def test_bad_options():
    with pytest.raises(ValueError, match="distribution must be one of"):
        convert.sd_from_ci(1.0, 2.0, 10, distribution="z")
    with pytest.raises(ValueError, match="confidence_level is a fraction"):
        convert.sd_from_ci(1.0, 2.0, 10, confidence_level=95)
    with pytest.raises(ValueError, match="method must be one of"):
        convert.mean_from_median(5.0, q1=4.0, q3=6.0, n=10, method="hozo")
