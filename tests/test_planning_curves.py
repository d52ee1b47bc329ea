"""assurance_curve and max_assurance: the planning figure's numbers computed in the library (issue 13), equal to
one-at-a-time calls and to the normal CDF."""

from __future__ import annotations

import numpy as np
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


def test_curve_refuses_bad_input():
    with pytest.raises(ValueError, match="needs r"):
        assurance_curve(mean=0.5, sd=0.2, n_per_arm=[20], design="ancova")
    with pytest.raises(ValueError, match="n_per_arm is empty"):
        assurance_curve(mean=0.5, sd=0.2, n_per_arm=[])
    with pytest.raises(ValueError, match="n_per_arm"):
        assurance_curve(mean=0.5, sd=0.2, n_per_arm=[1])
    with pytest.raises(ValueError, match="design"):
        assurance_curve(mean=0.5, sd=0.2, n_per_arm=[20], design="anova")
