"""Responders, secondary analyses, synthetic trials and the shipped synthetic dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TOL
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import retrostats as rs
from retrostats.exceptions import DataError
from retrostats.ipd import CALIBRATION, change_score_ttest, mixed_anova


def _two_by_two(k1, n1, k2, n2):
    """A frame whose responders at MCID 1 (NPRS, lower is better) are k1/n1 and k2/n2."""
    rows = []
    for a, k, n in (("retro", k1, n1), ("control", k2, n2)):
        for i in range(n):
            rows.append({"arm": a, "baseline": 6.0, "value": 4.0 if i < k else 6.0})
    return pd.DataFrame(rows)


def test_responders_closed_forms():
    r = rs.responders(_two_by_two(12, 20, 6, 20), outcome="value", baseline="baseline", arm="arm",
                      instrument="NPRS")
    p1, p2 = 0.6, 0.3
    z = stats.norm.ppf(0.975)
    c = r.contrasts.set_index("measure")
    np.testing.assert_allclose(c.loc["RD", "estimate"], p1 - p2, **TOL["closed_form"])
    se = np.sqrt(p1 * (1 - p1) / 20 + p2 * (1 - p2) / 20)
    np.testing.assert_allclose(c.loc["RD", ["ci_low", "ci_high"]].to_numpy(float),
                               [0.3 - z * se, 0.3 + z * se], **TOL["closed_form"])
    np.testing.assert_allclose(c.loc["RR", "estimate"], 2.0, **TOL["closed_form"])
    np.testing.assert_allclose(c.loc["OR", "estimate"], (12 * 14) / (8 * 6), **TOL["closed_form"])
    np.testing.assert_allclose(c.loc["NNT", "estimate"], 1 / 0.3, **TOL["closed_form"])
    np.testing.assert_allclose(c.loc["NNT", ["ci_low", "ci_high"]].to_numpy(float),
                               [1 / (0.3 + z * se), 1 / (0.3 - z * se)], **TOL["closed_form"])
    # Wilson interval as statsmodels
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(12, 20, method="wilson")
    np.testing.assert_allclose(r.proportions.iloc[0][["ci_low", "ci_high"]].to_numpy(float), [lo, hi],
                               **TOL["closed_form"])


def test_responders_mcid_rules():
    d = _two_by_two(5, 10, 2, 10)
    with pytest.raises(DataError, match="no MCID"):
        rs.responders(d, outcome="value", baseline="baseline", arm="arm", instrument="WOMAC_pain")
    r = rs.responders(d, outcome="value", baseline="baseline", arm="arm", instrument="WOMAC_pain", mcid=2)
    assert r.mcid == 2.0
    with pytest.raises(ValueError, match="higher_is_better"):
        rs.responders(d, outcome="value", baseline="baseline", arm="arm", mcid=2)
    with pytest.warns(rs.DataWarning, match="zero cell"):
        rs.responders(_two_by_two(0, 10, 3, 10), outcome="value", baseline="baseline", arm="arm",
                      instrument="NPRS")


def test_change_score_ttest_matches_scipy():
    d = rs.load_dataset("synthetic_three_arm_trial")
    wk6 = d[d["week"] == 6]
    t = change_score_ttest(wk6, outcome="value", baseline="baseline", arm="arm")
    ch = wk6["value"] - wk6["baseline"]
    ref = stats.ttest_ind(ch[wk6["arm"] == "retro"], ch[wk6["arm"] == "control"], equal_var=False)
    row = t.set_index("contrast").loc["retro - control"]
    np.testing.assert_allclose(row["p_value"], ref.pvalue, **TOL["closed_form"])
    assert (t["analysis"] == "secondary").all()


def test_mixed_anova_is_labelled_secondary():
    d = rs.simulate_trial(n_per_arm=8, seed=2)
    tab = mixed_anova(d, outcome="value", arm="arm", visit="week", subject="participant")
    assert (tab["analysis"] == "secondary").all()


def test_shipped_synthetic_dataset_is_reproducible():
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("make_synthetic", ROOT / "data" / "make_synthetic.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    shipped = rs.load_dataset("synthetic_three_arm_trial")
    fresh = mod.three_arm_trial()
    np.testing.assert_allclose(shipped["value"], fresh["value"], **TOL["closed_form"])
    assert list(shipped["participant"]) == list(fresh["participant"])
    assert "SYNTHETIC" in rs.dataset_info("synthetic_three_arm_trial").title


def test_simulate_trial_respects_the_scale_and_calibration():
    d = rs.simulate_trial(n_per_arm=4000, seed=1)
    assert d["value"].between(0, 10).all()
    assert np.all(d["value"] == np.round(d["value"]))  # NPRS is whole numbers
    wk6 = d[d["week"] == 6]
    change = (wk6["baseline"] - wk6["value"]).groupby(wk6["arm"]).mean()
    # rounding and clipping at 0/10 distort the mean change slightly; 4000 per arm gives SE ~0.02
    np.testing.assert_allclose(change["retro"] - change["control"],
                               CALIBRATION["change"]["retro"] - CALIBRATION["change"]["control"], atol=0.1)


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 30), st.floats(0.0, 0.6), st.integers(0, 10_000))
def test_simulate_trial_dropout_is_monotone(n, dropout, seed):
    d = rs.simulate_trial(n_per_arm=n, arms=("retro", "control"), dropout=dropout, seed=seed)
    assert (d.groupby("participant")["week"].min() == 0).all()
    counts = d.groupby("week").size().to_numpy()
    assert np.all(np.diff(counts) <= 0)
    last = d.groupby("participant")["week"].count()
    expected = d.groupby("participant")["week"].max().map({0.0: 1, 2.0: 2, 4.0: 3, 6.0: 4})
    assert (last == expected).all()  # no holes: dropout is monotone


def test_simulate_trial_bad_arguments():
    with pytest.raises(ValueError, match="two or three"):
        rs.simulate_trial(arms=("retro",))
    with pytest.raises(ValueError, match="change"):
        rs.simulate_trial(arms=("retro", "other"))
    with pytest.raises(ValueError, match="weeks"):
        rs.simulate_trial(weeks=(2, 4))
    # regression: a negative correlation gave NaN values silently (r ** fractional lag), 1 a LinAlgError,
    # and a fractional n_per_arm was truncated
    for bad in (-0.3, 1.0):
        with pytest.raises(ValueError, match="correlation"):
            rs.simulate_trial(correlation=bad, seed=1)
    with pytest.raises(ValueError, match="n_per_arm must be a whole number"):
        rs.simulate_trial(n_per_arm=2.5)
    with pytest.raises(ValueError, match="n_per_arm must be a whole number"):
        rs.simulate_trial(n_per_arm=[10, 2.5], arms=("retro", "control"))
    assert not rs.simulate_trial(n_per_arm=5, correlation=0.0, seed=1)["value"].isna().any()


def test_contradictory_or_unknown_arguments_are_errors():
    import retrostats as rs

    with pytest.raises(ValueError, match="does not have"):
        rs.simulate_trial(n_per_arm=10, arms=("retro", "control"), dropout={"forwrd": 0.1}, seed=1)
    d = rs.simulate_trial(n_per_arm=20, arms=("retro", "control"), weeks=(0, 6), seed=2)
    last = d[d["week"] == 6]
    with pytest.raises(ValueError, match="contradicts outcome_scales"):
        rs.responders(last, outcome="value", baseline="baseline", arm="arm", instrument="NPRS",
                      higher_is_better=True)
