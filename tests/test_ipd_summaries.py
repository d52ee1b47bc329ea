"""arm_summaries: participant data to the per-arm n, mean and SD a trial report prints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TOL

import retrostats as rs
from retrostats.exceptions import DataError, DataWarning


def test_agrees_with_numpy_per_arm(rng):
    d = pd.DataFrame({"arm": rng.choice(["retro", "forward", "control"], 90), "value": rng.normal(5, 2, 90)})
    got = rs.arm_summaries(d)
    assert got["arm"].tolist() == ["control", "forward", "retro"]
    for row in got.itertuples():
        x = d.loc[d["arm"] == row.arm, "value"].to_numpy()
        assert row.n == len(x)
        np.testing.assert_allclose([row.mean, row.sd], [np.mean(x), np.std(x, ddof=1)], **TOL["closed_form"])


def test_feeds_effect_sizes_from_a_simulated_trial():
    d = rs.simulate_trial(n_per_arm=30, arms=("retro", "control"), weeks=(0, 6), seed=3)
    s = rs.arm_summaries(d[d["week"] == 6]).set_index("arm")
    es = rs.effect_sizes(measure="MD", m1=[s.loc["retro", "mean"]], sd1=[s.loc["retro", "sd"]],
                         n1=[s.loc["retro", "n"]], m2=[s.loc["control", "mean"]], sd2=[s.loc["control", "sd"]],
                         n2=[s.loc["control", "n"]])
    wk6 = d[d["week"] == 6]
    diff = wk6.loc[wk6["arm"] == "retro", "value"].mean() - wk6.loc[wk6["arm"] == "control", "value"].mean()
    assert es["yi"].iloc[0] == pytest.approx(diff, rel=TOL["closed_form"]["rtol"])


def test_missing_values_are_named_and_left_out():
    d = pd.DataFrame({"arm": ["a", "a", "a", "b", "b"], "value": [1.0, np.nan, 3.0, 2.0, 4.0]})
    with pytest.warns(DataWarning, match=r"1 row\(s\).*rows \['1'\]"):
        got = rs.arm_summaries(d)
    assert got["n"].tolist() == [2, 2] and got["mean"].tolist() == [2.0, 3.0]


def test_refuses_what_it_cannot_summarise():
    with pytest.raises(DataError, match="group"):
        rs.arm_summaries(pd.DataFrame({"arm": ["a"], "value": [1.0]}), arm="group")
    with pytest.raises(DataError, match="numeric"):
        rs.arm_summaries(pd.DataFrame({"arm": ["a"], "value": ["high"]}))
    with pytest.raises(DataError, match="nothing to summarise"):
        rs.arm_summaries(pd.DataFrame({"arm": pd.Series([], dtype=object), "value": pd.Series([], dtype=float)}))
