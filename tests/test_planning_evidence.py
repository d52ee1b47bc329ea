"""Evidence-driven planning: predictive distributions, assurance, conclusive updates, scale units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import MCSE_MULTIPLIER, TOL

import retrostats as rs
from retrostats.exceptions import DataError
from retrostats.planning import (
    assurance,
    mcid_effect_size,
    n_for_assurance,
    n_for_conclusive_update,
    power_ttest,
    predictive,
    to_effect_size,
    to_scale_units,
)


class MA:
    def __init__(self, estimate, se, tau2):
        self.estimate, self.se, self.tau2 = estimate, se, tau2


class Bayes:
    def __init__(self, mean, sd):
        self.mean, self.sd = mean, sd

    def predictive_sample(self, size, seed):
        return np.random.default_rng(seed).normal(self.mean, self.sd, size)


def test_predictive_from_meta_analysis_fields():
    p = predictive(MA(-0.6, 0.15, 0.04))
    assert p.mean == -0.6 and p.sd == pytest.approx(0.25, rel=1e-15)
    with pytest.raises(TypeError, match="lacks"):
        predictive(object())


def test_assurance_degenerate_is_one_tail_power():
    a = assurance(mean=0.5, sd=0.0, n_per_arm=64)
    one_tail = power_ttest(effect_size=0.5, n=64, alpha=0.025, alternative="greater").power
    np.testing.assert_allclose(a, one_tail, **TOL["closed_form"])


def test_assurance_quadrature_matches_predictive_draws():
    quad = assurance(mean=0.4, sd=0.2, n_per_arm=50)
    draws = assurance(Bayes(0.4, 0.2), n_per_arm=50, n_draws=40000, seed=1)
    # per-draw power has SD at most 0.5, so the Monte-Carlo SE of the draw average is <= 0.5/sqrt(n)
    assert abs(quad - draws) < MCSE_MULTIPLIER * 0.5 / np.sqrt(40000)
    # direction: a negative (beneficial for pain) effect gives the same assurance by symmetry
    np.testing.assert_allclose(assurance(mean=-0.4, sd=0.2, n_per_arm=50), quad, **TOL["closed_form"])


def test_assurance_below_power_at_mean_and_n_for_assurance():
    res = n_for_assurance(MA(0.45, 0.12, 0.02), target=0.7)
    np.testing.assert_allclose(res.assurance, 0.7, **TOL["iterative"])
    assert res.assurance < res.power_at_mean
    from scipy.stats import norm

    np.testing.assert_allclose(
        res.max_assurance, norm.cdf(0.45 / np.sqrt(0.12**2 + 0.02)), **TOL["closed_form"]
    )
    anc = n_for_assurance(MA(0.45, 0.12, 0.02), target=0.7, design="ancova", r=0.6)
    assert anc.n < res.n
    with pytest.raises(ValueError, match="cannot be reached"):
        n_for_assurance(mean=0.1, sd=0.3, target=0.8)


def test_conclusive_update_definition():
    ma = MA(0.35, 0.2, 0.01)
    up = n_for_conclusive_update(ma)
    z = 1.959963984540054

    def se_after(n):
        v = 2 / n + 0.35**2 / (4 * n)
        return 1 / np.sqrt(1 / 0.2**2 + 1 / (v + 0.01))

    assert 0.35 - z * se_after(up.n_per_arm) > 0 >= 0.35 - z * se_after(up.n_per_arm - 1)
    prob = n_for_conclusive_update(ma, target=0.8)
    assert prob.n_per_arm > up.n_per_arm and prob.probability >= 0.8
    assert n_for_conclusive_update(MA(0.5, 0.1, 0.0)).n_per_arm == 0  # already conclusive
    with pytest.raises(ValueError, match="no single trial"):
        n_for_conclusive_update(MA(0.2, 0.15, 0.3), threshold=0.1)


def test_scale_translation_uses_outcome_scales():
    scales = rs.load_dataset("outcome_scales")
    assert {"instrument", "mcid", "higher_is_better"} <= set(scales.columns)
    assert to_scale_units(0.5, 2.0, "NPRS") == -1.0  # lower pain is better
    assert to_effect_size(-1.0, 2.0, "NPRS") == 0.5
    assert to_scale_units(0.5, 10.0, "KOOS_pain") == 5.0
    mine = pd.DataFrame({"instrument": ["X"], "mcid": [2.0], "higher_is_better": [True]})
    assert mcid_effect_size("X", 4.0, scales=mine) == 0.5
    with pytest.raises(DataError, match="not in outcome_scales"):
        to_scale_units(0.5, 1.0, "nonsense", scales=mine)
    with pytest.raises(DataError, match="no MCID"):
        mcid_effect_size("X", 4.0, scales=mine.assign(mcid=np.nan))


def test_planning_refuses_unstandardized_meta_analyses():
    """A pooled mean difference in instrument units must not be read as an SMD."""
    import pandas as pd

    import retrostats as rs
    from retrostats.exceptions import DataError
    from retrostats.planning import assurance, n_for_conclusive_update

    md = pd.DataFrame({"yi": [0.8, 0.7, 0.9], "vi": [0.09, 0.07, 0.1], "measure": "MD"})
    res = rs.meta_analysis(md)
    assert res.measure == "MD"
    with pytest.raises(DataError, match="not a standardized effect"):
        assurance(res, n_per_arm=50)
    with pytest.raises(DataError, match="not a standardized effect"):
        n_for_conclusive_update(res)
    smd = md.assign(measure="SMD")
    assert rs.meta_analysis(smd).measure == "SMD"
    assert 0 < assurance(rs.meta_analysis(smd), n_per_arm=50) < 1
