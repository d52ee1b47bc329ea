"""trial_sequential_analysis_binary(): RIS by hand, the z-curves (random effects and Mantel-Haenszel), bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TOL

import retrostats as rs
from retrostats.decision import trial_sequential_analysis_binary as tsa_bin

Z975, Z80 = 1.959963984540054, 0.8416212335729143
TABLES = pd.DataFrame({"study_id": ["t1", "t2", "t3", "t4"], "events1": [4, 6, 5, 12], "n1": [50, 60, 55, 120],
                       "events2": [10, 12, 11, 20], "n2": [50, 60, 55, 118]})


def test_ris_by_hand_with_a_given_control_risk():
    res = tsa_bin(TABLES, rrr=0.25, control_risk=0.2, heterogeneity="none")
    pc, pe = 0.2, 0.15
    p = (pc + pe) / 2
    np.testing.assert_allclose(res.required_information_size, 4 * (Z975 + Z80) ** 2 * p * (1 - p) / (pc - pe) ** 2,
                               **TOL["closed_form"])
    np.testing.assert_allclose(res.monitoring["cumulative_n"], np.cumsum(TABLES[["n1", "n2"]].sum(axis=1)))


def test_default_control_risk_is_stated_and_d2_adjusts():
    res = tsa_bin(TABLES, rrr=0.3)
    pc = TABLES["events2"].sum() / TABLES["n2"].sum()
    assert any(f"{pc:.4f}" in n for n in res.notes)
    pe = pc * 0.7
    p = (pc + pe) / 2
    np.testing.assert_allclose(res.required_information_size,
                               4 * (Z975 + Z80) ** 2 * p * (1 - p) / (pc - pe) ** 2 / (1 - res.d2),
                               **TOL["closed_form"])
    assert res.measure == "RR" and res.benefit_sign == -1.0


def test_z_curves():
    rand = tsa_bin(TABLES, rrr=0.3)
    es = rs.effect_sizes(TABLES, measure="RR", events1="events1", n1="n1", events2="events2", n2="n2")
    ma = rs.meta_analysis(es.iloc[:3], method="DL")
    np.testing.assert_allclose(rand.monitoring["z"].iloc[2], ma.statistic, **TOL["closed_form"])
    mh = tsa_bin(TABLES, rrr=0.3, z_curve="MH")
    full = rs.meta_analysis_mh(TABLES, measure="RR", events1="events1", n1="n1", events2="events2", n2="n2")
    np.testing.assert_allclose(mh.monitoring["z"].iloc[-1], full.statistic, **TOL["closed_form"])
    assert rand.required_information_size == mh.required_information_size
    assert "Trial sequential analysis" in mh.summary().as_text()


@pytest.mark.parametrize("kwargs, match", [({"rrr": 0.0}, "non-zero"), ({"rrr": 1.2}, "below 1"),
                                           ({"rrr": -2.0, "control_risk": 0.5}, "outside")])
def test_bad_rrr(kwargs, match):
    with pytest.raises(rs.DataError, match=match):
        tsa_bin(TABLES, **kwargs)


def test_bad_counts_name_the_row():
    with pytest.raises(rs.DataError):
        tsa_bin(TABLES.assign(events1=[4, 70, 5, 12]), rrr=0.3)
