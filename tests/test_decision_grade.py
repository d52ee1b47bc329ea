"""grade_profile(): each rule's boundary cases, reasons carry their numbers, bad judgements, a worked example."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats.decision.grade import _imprecision, _inconsistency, _rob

EQUAL = pd.DataFrame({"study_id": ["a", "b", "c", "d"], "yi": [0.5, 0.6, 0.4, 0.55], "vi": [0.04] * 4,
                      "n": [50] * 4, "measure": "SMD"})


def _ma(data=EQUAL, **kw):
    return rs.meta_analysis(data, method="DL", slab="study_id", **kw)


@pytest.mark.parametrize("judgements, expected", [
    (["low", "low", "low", "low"], 0),
    (["some concerns", "low", "low", "low"], 0),          # 25% not low < 50%
    (["some concerns", "some concerns", "low", "low"], 1),  # 50% not low: at the threshold
    (["high", "low", "low", "low"], 1),                   # 25% high: at the threshold
    (["high", "high", "low", "low"], 2),                  # 50% high: at the threshold
    (["no information", "some concerns", "low", "low"], 1),
])
def test_risk_of_bias_thresholds(judgements, expected):
    labels = ["a", "b", "c", "d"]
    down, reason = _rob(dict(zip(labels, judgements)), labels, np.full(4, 25.0))
    assert down == expected
    assert "% of the weight" in reason
    assert ("rule: high-risk weight" in reason) if expected else ("below the thresholds" in reason)


def test_risk_of_bias_uses_the_meta_analytic_weights():
    d = EQUAL.assign(vi=[0.01, 0.09, 0.09, 0.09])  # trial a carries most of the weight
    p = rs.grade_profile(_ma(d), risk_of_bias={"a": "high", "b": "low", "c": "low", "d": "low"})
    w = _ma(d).weights[0]
    assert w > 50 and p.domains.loc[0, "downgrade"] == 2
    assert f"{w:.1f}% of the weight from trials at high risk" in p.domains.loc[0, "reason"]


def _fake(i2, yi, vi, pi, k=None):
    return SimpleNamespace(i2=i2, yi=np.array(yi), vi=np.array(vi), pi_low=pi[0], pi_high=pi[1],
                           k=k or len(yi), q_p_value=0.01, confidence_level=0.95)


@pytest.mark.parametrize("i2, yi, pi, expected", [
    (49.99, [0.0, 2.0], (-1.0, 3.0), 0),   # below 50%: not serious whatever the rest
    (50.0, [0.0, 2.0], (0.1, 3.0), 1),     # at 50% with non-overlapping CIs
    (50.0, [0.5, 0.6], (-0.1, 1.2), 1),    # at 50% with a PI including no effect
    (50.0, [0.5, 0.6], (0.1, 1.2), 0),     # at 50%, overlapping CIs, PI excludes no effect
    (75.0, [0.0, 2.0], (-1.0, 3.0), 2),    # at 75% with both
    (74.99, [0.0, 2.0], (-1.0, 3.0), 1),
])
def test_inconsistency_thresholds(i2, yi, pi, expected):
    down, reason = _inconsistency(_fake(i2, yi, [0.04, 0.04], pi), mcid=0.5)
    assert down == expected
    assert f"I2 = {i2:.1f}%" in reason and "prediction interval" in reason


def test_inconsistency_single_trial_not_assessable():
    down, reason = _inconsistency(_fake(0.0, [0.5], [0.04], (np.nan, np.nan)), mcid=None)
    assert down == 0 and "not assessable" in reason


@pytest.mark.parametrize("ci, n, ois, expected, phrase", [
    ((1.0, 2.0), 300, 200, 0, "crosses neither"),          # touching the MCID is not crossing it
    ((0.9, 2.0), 300, 200, 1, "crosses the MCID"),
    ((-0.1, 0.8), 300, 200, 1, "crosses no effect"),
    ((-0.1, 0.8), 199, 200, 2, "< OIS"),                  # crossing no effect and short of the OIS
    ((-1.0, 1.0), 300, 200, 2, "important harm"),         # spans both important benefit and harm
    ((-1.0, 1.0), 10, 200, 2, "at most two"),             # capped at two
    ((1.2, 2.0), 200, 200, 0, ">= OIS"),                  # exactly the OIS is enough
])
def test_imprecision_thresholds(ci, n, ois, expected, phrase):
    down, reason = _imprecision(ci[0], ci[1], 1.0, 1.0, n, ois)
    assert down == expected
    assert phrase in reason


def test_imprecision_direction_and_without_mcid():
    # a negative effect is the benefit (pain): the CI is mirrored into benefit units
    down, reason = _imprecision(-2.0, -1.2, -1.0, 1.0, 300, 200)
    assert down == 0 and "[1.20, 2.00]" in reason
    assert _imprecision(-0.2, 0.5, 1.0, None, None, None)[0] == 1
    assert "OIS not assessed" in _imprecision(0.2, 0.5, 1.0, None, None, None)[1]


def test_publication_bias_not_assessable_below_ten():
    p = rs.grade_profile(_ma(), risk_of_bias={s: "low" for s in "abcd"})
    row = p.domains.set_index("domain").loc["publication bias"]
    assert row["rating"] == "not assessable" and row["downgrade"] == 0 and "k = 4 < 10" in row["reason"]


def test_publication_bias_with_ten_trials(rng):
    se = np.linspace(0.1, 0.5, 12)
    yi = 0.2 + 2.5 * se + rng.normal(0, 0.02, 12)  # strong small-study effect
    d = pd.DataFrame({"study_id": [f"s{i}" for i in range(12)], "yi": yi, "vi": se ** 2})
    ma = _ma(d)
    p = rs.grade_profile(ma, risk_of_bias={f"s{i}": "low" for i in range(12)})
    row = p.domains.set_index("domain").loc["publication bias"]
    assert row["downgrade"] == 1 and "Egger" in row["reason"]
    p2 = rs.grade_profile(ma, risk_of_bias={f"s{i}": "low" for i in range(12)}, publication_bias="undetected")
    assert p2.domains.set_index("domain").loc["publication bias", "downgrade"] == 0


@pytest.mark.parametrize("rob, match", [
    ({"a": "low", "b": "low", "c": "low"}, "no judgement for \\['d'\\]"),
    ({"a": "low", "b": "low", "c": "low", "d": "low", "e": "low"}, "trials not analysed \\['e'\\]"),
    ({"a": "low", "b": "low", "c": "low", "d": "fine"}, "'fine'"),
])
def test_judgements_must_match_the_trials(rob, match):
    with pytest.raises(rs.DataError, match=match):
        rs.grade_profile(_ma(), risk_of_bias=rob)


def test_rob2_frame_and_bad_options():
    rob = pd.DataFrame({"study": list("abcd"), "D1": ["low"] * 4, "Overall": ["low", "high", "low", "low"]})
    p = rs.grade_profile(_ma(), risk_of_bias=rob, indirectness="serious", indirectness_reason="older adults only")
    assert p.domains.set_index("domain").loc["indirectness", "reason"] == "older adults only."
    with pytest.raises(rs.DataError, match="Overall"):
        rs.grade_profile(_ma(), risk_of_bias=rob.drop(columns="Overall"))
    with pytest.raises(ValueError, match="indirectness"):
        rs.grade_profile(_ma(), risk_of_bias=rob, indirectness="maybe")
    with pytest.raises(rs.DataError, match="mcid must be a positive"):
        rs.grade_profile(_ma(), risk_of_bias=rob, mcid=0)


def test_worked_example_from_a_tsa():
    """Three small trials of a pain intervention (SMD, negative = less pain) with one at high risk of bias:
    not serious risk of bias (19.8% of the weight), consistent, imprecise (fewer participants than the RIS),
    certainty moderate; every number in the reasons is the fit's."""
    d = pd.DataFrame({"study_id": ["a", "b", "c"], "yi": [-0.9, -0.5, -0.7], "vi": [0.09, 0.05, 0.04],
                      "n": [40, 60, 70], "measure": "SMD"})
    tsa = rs.trial_sequential_analysis(d, delta=-0.3)
    p = rs.grade_profile(tsa, risk_of_bias={"a": "high", "b": "low", "c": "low"}, outcome="pain")
    dom = p.domains.set_index("domain")
    assert dom["downgrade"].tolist() == [0, 0, 0, 1, 0]
    assert f"170 participants < OIS {tsa.required_information_size:.1f}" in dom.loc["imprecision", "reason"]
    assert p.certainty == "moderate" and p.start == "high"
    assert p.footnotes()[0].startswith("Imprecision (serious, -1)")
    low = rs.grade_profile(tsa, risk_of_bias={"a": "high", "b": "high", "c": "low"}, indirectness="serious",
                           start="low")
    assert low.certainty == "very low"  # never below very low
    assert "GRADE evidence profile" in p.summary().as_text() and p.to_frame().shape[0] == 5


def test_benefit_direction_from_the_instrument():
    d = pd.DataFrame({"study_id": ["a", "b"], "yi": [-1.6, -1.2], "vi": [0.04, 0.05], "measure": "MD",
                      "instrument": "NPRS"})  # group 1 minus group 2 on a scale where lower is better
    p = rs.grade_profile(_ma(d), risk_of_bias={"a": "low", "b": "low"}, mcid=1.0)
    assert "lower is better" in p.notes[0]
    reason = p.domains.set_index("domain").loc["imprecision", "reason"]
    lo, hi = sorted((-p.ci_low, -p.ci_high))
    assert f"[{lo:.2f}, {hi:.2f}]" in reason


@pytest.mark.parametrize("rating, down", [("not serious", 0), ("serious", 1), ("very serious", 2)])
def test_risk_of_bias_as_the_reviewers_own_rating(rating, down):
    p = rs.grade_profile(_ma(), risk_of_bias=rating)
    assert p.domains.loc[0, "downgrade"] == down
    assert "judgement supplied by the user" in p.domains.loc[0, "reason"]
    per_trial = rs.grade_profile(_ma(), risk_of_bias={s: "high" for s in "abcd"})
    assert per_trial.domains.loc[0, "downgrade"] == 2  # a mapping is still rated from the weights


def test_risk_of_bias_rating_misspelt_is_refused():
    with pytest.raises(ValueError, match="risk_of_bias"):
        rs.grade_profile(_ma(), risk_of_bias="serous")
