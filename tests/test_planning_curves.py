"""assurance_curve and max_assurance: the planning figure's numbers computed in the library (issue 13), equal to
one-at-a-time calls and to the normal CDF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TOL
from scipy import stats

import retrostats as rs
from retrostats.planning import assurance, assurance_curve, max_assurance, power_ancova, power_ttest


@pytest.mark.parametrize("design, r", [("ttest", None), ("ancova", 0.5)])
def test_curve_equals_one_at_a_time_calls(design, r):
    sizes = [10, 25, 64, 150]
    curve = assurance_curve(mean=-0.4, sd=0.15, n_per_arm=sizes, design=design, r=r, alpha=0.05)
    assert list(curve.columns) == ["n_per_arm", "assurance", "power"]
    assert curve["n_per_arm"].tolist() == sizes
    for n, a, p in curve.itertuples(index=False):
        assert a == assurance(mean=-0.4, sd=0.15, n_per_arm=n, design=design, r=r)
        ref = (power_ancova(effect_size=0.4, n=n, r=r) if design == "ancova" else power_ttest(effect_size=0.4, n=n))
        assert p == ref.power
    assert np.all(np.diff(curve["assurance"]) > 0) and np.all(np.diff(curve["power"]) > 0)
    # assurance stays below its ceiling and below power at the mean for a well-powered trial
    assert curve["assurance"].max() < max_assurance(mean=-0.4, sd=0.15)
    assert curve["assurance"].iloc[-1] < curve["power"].iloc[-1]


def test_max_assurance_is_the_normal_cdf_and_the_limit_of_n_for_assurance():
    cf = TOL["closed_form"]
    assert max_assurance(mean=0.43, sd=0.2194) == pytest.approx(stats.norm.cdf(0.43 / 0.2194), rel=cf["rtol"])
    # the favourable direction: "auto" follows the mean's sign, an explicit direction can go against it
    assert max_assurance(mean=-0.3, sd=0.2) == pytest.approx(stats.norm.cdf(1.5), rel=cf["rtol"])
    assert max_assurance(mean=-0.3, sd=0.2, direction="positive") == pytest.approx(stats.norm.sf(1.5),
                                                                                   rel=cf["rtol"])
    assert max_assurance(mean=0.3, sd=0.0) == 1.0
    res = rs.n_for_assurance(mean=0.5, sd=0.2, target=0.7)
    assert max_assurance(mean=0.5, sd=0.2) == res.max_assurance
    # a large trial approaches the ceiling from below (assurance integrates what becomes a step function with
    # 80-point Gauss-Hermite quadrature, whose error there is a few 1e-4; the ceiling is the exact CDF)
    far = assurance_curve(mean=0.5, sd=0.2, n_per_arm=[1e3, 1e6])["assurance"]
    ceiling = max_assurance(mean=0.5, sd=0.2)
    assert far.iloc[0] < far.iloc[1] < ceiling and ceiling - far.iloc[1] < 1e-3


def test_max_assurance_from_draws_counts_favourable_draws():
    class Draws:
        def predictive_sample(self, size, seed=None):
            return np.linspace(-1.0, 3.0, size)  # 1000 below 0, one at 0, 3000 above

    assert max_assurance(Draws(), n_draws=4001) == 3000 / 4001


def test_curve_draws_the_predictive_once():
    class Draws:  # a sampler whose draws differ on every call (as seed=None would)
        calls = 0

        def predictive_sample(self, size, seed=None):
            self.calls += 1
            return np.linspace(-0.2, 1.0, size) + 0.001 * self.calls

    ev = Draws()
    curve = assurance_curve(ev, n_per_arm=[20, 60], n_draws=501)
    assert ev.calls == 1  # every size averages over the same draws
    for n, a in zip([20, 60], curve["assurance"]):
        assert a == assurance(mean=None, sd=None, evidence=_Fixed(np.linspace(-0.2, 1.0, 501) + 0.001),
                              n_per_arm=n, n_draws=501)


class _Fixed:
    def __init__(self, draws):
        self.draws = draws

    def predictive_sample(self, size, seed=None):
        return self.draws


def test_curve_refuses_bad_input():
    with pytest.raises(ValueError, match="needs r"):
        assurance_curve(mean=0.5, sd=0.2, n_per_arm=[20], design="ancova")
    with pytest.raises(ValueError, match="n_per_arm is empty"):
        assurance_curve(mean=0.5, sd=0.2, n_per_arm=[])
    with pytest.raises(ValueError, match="n_per_arm"):
        assurance_curve(mean=0.5, sd=0.2, n_per_arm=[1])
    with pytest.raises(ValueError, match="design"):
        assurance_curve(mean=0.5, sd=0.2, n_per_arm=[20], design="anova")


# ---------------------------------------------------------------- the SDs the report steps used to compute
def test_pooled_sd_and_sd_from_md_se():
    from retrostats.convert import pooled_sd, sd_from_md_se
    from retrostats.exceptions import DataError

    cf = TOL["closed_form"]
    assert pooled_sd([3.0, 4.0]) == pytest.approx(np.sqrt(12.5), rel=cf["rtol"])
    # df-weighted: the usual pooled within-group SD of two groups
    n1, n2, s1, s2 = 10, 30, 3.0, 4.0
    ref = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
    assert pooled_sd([s1, s2], df=[n1 - 1, n2 - 1]) == pytest.approx(ref, rel=cf["rtol"])
    # the SE of a mean difference of two equal arms of n/2 is sd * sqrt(4 / n): back again
    sd, n = 2.5, 48
    assert sd_from_md_se(sd * np.sqrt(4 / n), n) == pytest.approx(sd, rel=cf["rtol"])
    np.testing.assert_allclose(sd_from_md_se([0.5, 1.0], [64, 16]), [2.0, 2.0], **cf)
    with pytest.raises(DataError, match="sd"):
        pooled_sd([3.0, -1.0])
    with pytest.raises(DataError, match="df"):
        pooled_sd([3.0, 4.0], df=[0, 10])
    with pytest.raises(DataError, match="n"):
        sd_from_md_se(0.5, 1)


def test_tsa_remaining_n_per_arm_rounds_half_the_remaining_participants_up():
    es = pd.DataFrame({"yi": [-1.0, -0.8], "vi": [0.2, 0.3], "n": [40, 60]})
    tsa = rs.trial_sequential_analysis(es, delta=-1.0, sd=2.0)
    assert tsa.remaining_n_per_arm == (int(np.ceil(tsa.remaining_n / 2)) if tsa.remaining_n > 0 else 0)
    big = rs.trial_sequential_analysis(es, delta=-0.2, sd=3.0)
    assert big.remaining_n > 0 and big.remaining_n_per_arm == int(np.ceil(big.remaining_n / 2))
