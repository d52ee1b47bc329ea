"""registry_effect_sizes on hand-made frames in the registry schema, and a smoke test on shipped data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import TOL

import retrostats as rs
from retrostats.effects import derivation_steps, render_derivation, sensitivity
from retrostats.effects.registry import ROUTES
from retrostats.exceptions import DataWarning

CF = TOL["closed_form"]
URL = "https://example.org/trial"


def arms_frame(rows):
    """rows: (study, arm, outcome, instrument, timepoint, week, statistic, value)."""
    df = pd.DataFrame(
        rows, columns=["study_id", "arm", "outcome", "instrument", "timepoint", "week", "statistic", "value"]
    )
    df["value_text"] = df["value"].astype(str)
    df["source_location"], df["source_url"], df["ambiguous"], df["note"] = "Table 2", URL, False, None
    return df


def contrasts_frame(rows):
    """rows: (study, comparison, outcome, instrument, week, statistic, relation, value)."""
    df = pd.DataFrame(
        rows,
        columns=["study_id", "comparison", "outcome", "instrument", "week", "statistic", "relation", "value"],
    )
    df["value_text"] = df["value"].astype(str)
    df["source_location"], df["source_url"], df["ambiguous"], df["note"] = "abstract", URL, False, None
    return df


def final(study, arm, ins, n, m, s, week=6.0, outcome="pain", sd_stat="sd"):
    return [
        (study, arm, outcome, ins, "baseline", 0.0, "n", n),
        (study, arm, outcome, ins, "post", week, "mean", m),
        (study, arm, outcome, ins, "post", week, sd_stat, s),
    ]


def test_final_values_route_matches_effect_sizes_and_is_oriented():
    arms = arms_frame(
        final("a2020", "retro", "NPRS", 20, 2.0, 1.5) + final("a2020", "control", "NPRS", 22, 3.1, 1.7)
    )
    out = rs.registry_effect_sizes(arms, outcome="pain", measure="SMD")
    ref = rs.effect_sizes(measure="SMD", m1=[2.0], sd1=[1.5], n1=[20], m2=[3.1], sd2=[1.7], n2=[22])
    row = out.iloc[0]
    assert row["route"] == "final_values" and row["usable"] and row["basis"] == "final"
    # NPRS: lower is better, so the sign is flipped and positive favours retro
    np.testing.assert_allclose(row["yi"], -ref["yi"][0], **CF)
    np.testing.assert_allclose(row["vi"], ref["vi"][0], **CF)
    assert row["favours"] == "positive favours retro"
    assert [s["step"] for s in derivation_steps(row["derivation"])] == ["source", "SMD", "direction"]


def test_conversions_se_and_median_are_recorded():
    arms = arms_frame(
        final("b2019", "retro", "KOOS_pain", 25, 70.0, 2.0, sd_stat="se")
        + [
            ("b2019", "control", "pain", "KOOS_pain", "baseline", 0.0, "n", 24),
            ("b2019", "control", "pain", "KOOS_pain", "post", 6.0, "median", 62.0),
            ("b2019", "control", "pain", "KOOS_pain", "post", 6.0, "q1", 55.0),
            ("b2019", "control", "pain", "KOOS_pain", "post", 6.0, "q3", 70.0),
        ]
    )
    out = rs.registry_effect_sizes(arms, outcome="pain", measure="MD")
    row = out.iloc[0]
    assert row["usable"] and row["sd1"] == pytest.approx(2.0 * 5, rel=1e-15)
    assert row["m2"] == pytest.approx(rs.convert.mean_from_median(62.0, q1=55.0, q3=70.0, n=24), rel=1e-15)
    assert row["sd2"] == pytest.approx(rs.convert.sd_from_median(62.0, q1=55.0, q3=70.0, n=24), rel=1e-15)
    text = render_derivation(row["derivation"])
    assert (
        "SD 10 = SE 2 x sqrt(25)" in text
        and "from the median (luo method" in text
        and "skewness test" in text
    )
    assert row["yi"] == pytest.approx(70.0 - row["m2"], rel=1e-12)  # KOOS: higher is better, sign kept


def _change_arms(study="c2018"):
    rows = []
    for arm, (b, f) in {"retro": (6.0, 3.0), "control": (6.2, 4.4)}.items():
        rows += [
            (study, arm, "pain", "VAS_10", "baseline", 0.0, "n", 15),
            (study, arm, "pain", "VAS_10", "baseline", 0.0, "sd", 1.5),
            (study, arm, "pain", "VAS_10", "post", 4.0, "mean_change", f - b),
            (study, arm, "pain", "VAS_10", "post", 4.0, "sd", 1.8),
        ]
    return arms_frame(rows)


def test_change_route_imputes_sd_with_assumed_r_and_sensitivity():
    out = rs.registry_effect_sizes(_change_arms(), outcome="pain", measure="SMD", ri=0.5)
    row = out.iloc[0]
    assert row["route"] == "change_scores" and row["basis"] == "change"
    assert row["sd1"] == pytest.approx(rs.convert.change_sd(1.5, 1.8, 0.5), rel=1e-15)
    assert "r = 0.5 assumed" in render_derivation(row["derivation"])
    sens = sensitivity(
        _change_arms(),
        builder=rs.registry_effect_sizes,
        r=(0.3, 0.5, 0.7),
        outcome="pain",
        measure="SMD",
        methods={"luo": {"mean_method": "luo"}, "wan": {"mean_method": "wan"}},
    )
    assert len(sens) == 6 and set(sens["r_assumed"]) == {0.3, 0.5, 0.7}
    # a higher assumed r gives a smaller SD of change, hence a larger standardized difference, for each method
    for _, grp in sens.groupby("method"):
        assert grp.sort_values("r_assumed")["yi"].is_monotonic_increasing and grp["yi"].nunique() == 3


def test_two_retro_arms_are_combined():
    arms = arms_frame(
        final("d2016", "retro1", "NPRS", 10, 2.0, 1.0)
        + final("d2016", "retro2", "NPRS", 12, 3.0, 1.2)
        + final("d2016", "control", "NPRS", 11, 4.0, 1.1)
    )
    row = rs.registry_effect_sizes(arms, outcome="pain", measure="MD").iloc[0]
    n, m, s = rs.convert.combine_groups(10, 2.0, 1.0, 12, 3.0, 1.2)
    assert (row["n1"], row["m1"]) == (n, m) and row["sd1"] == pytest.approx(s, rel=1e-15)
    assert "2 retro arms combined" in render_derivation(row["derivation"])


def test_contrast_routes_exact_p_with_direction_and_md_ci():
    arms = arms_frame(
        [("e2019", arm, "pain", "NPRS", "baseline", 0.0, "n", 20) for arm in ("retro", "control")]
        + [
            ("e2019", "retro", "pain", "NPRS", "post", 6.0, "mean_change", -1.8),
            ("e2019", "control", "pain", "NPRS", "post", 6.0, "mean_change", -1.0),
        ]
    )
    con = contrasts_frame([("e2019", "retro vs control", "pain", "NPRS", 6.0, "p_value", "=", 0.01)])
    row = rs.registry_effect_sizes(arms, con, outcome="pain", measure="SMD").iloc[0]
    ref = rs.effect_sizes(measure="SMD", p_value=[0.01], sign=[-1], n1=[20], n2=[20])
    assert row["route"] == "contrast" and row["basis"] == "contrast"
    np.testing.assert_allclose(row["yi"], -ref["yi"][0], **CF)  # NPRS lower is better: flipped, favours retro
    assert row["yi"] > 0
    assert "exact p = 0.01" in render_derivation(row["derivation"])
    con2 = contrasts_frame(
        [
            ("e2019", "retro vs control", "pain", "NPRS", 6.0, s, "=", v)
            for s, v in (("mean_difference", -0.8), ("ci_low", -1.5), ("ci_high", -0.1))
        ]
    )
    row = rs.registry_effect_sizes(arms, con2, outcome="pain", measure="MD").iloc[0]
    se = rs.convert.se_from_ci(-1.5, -0.1, df=38)
    assert row["yi"] == pytest.approx(0.8, rel=1e-15) and row["vi"] == pytest.approx(se**2, rel=1e-12)


def test_unusable_trials_say_why():
    arms = arms_frame(
        [("f2020", arm, "pain", "NPRS", "baseline", 0.0, "n", 15) for arm in ("retro", "control")]
        + [
            ("g2021", "retro", "pain", "NPRS", "post", 6.0, "mean", 2.0),
            ("g2021", "retro", "pain", "NPRS", "post", 6.0, "sd", 1.0),
            ("g2021", "control", "pain", "NPRS", "post", 6.0, "mean", 3.0),
            ("g2021", "control", "pain", "NPRS", "post", 6.0, "sd", 1.0),
            ("h2010", "retro", "pain", "NPRS", "post", 6.0, "pct_change", 20.0),
            ("h2010", "forward", "pain", "NPRS", "post", 6.0, "pct_change", 5.0),
        ]
    )
    con = contrasts_frame([("f2020", "retro vs control", "pain", "NPRS", 6.0, "p_value", "<", 0.05)])
    out = rs.registry_effect_sizes(arms, con, outcome="pain").set_index("study_id")
    assert not out["usable"].any() and set(out["route"]) == {"none"}
    assert "inequality (p_value < 0.05)" in out.loc["f2020", "reason"]
    assert out.loc["g2021", "reason"] == "arm sizes not reported"
    assert "no control arm" in out.loc["h2010", "reason"]


def test_rescaling_vas100_to_vas10_is_a_derivation_step():
    arms = arms_frame(
        final("v2017", "retro", "VAS_100", 20, 30.0, 12.0)
        + final("v2017", "control", "VAS_100", 20, 45.0, 15.0)
        + final("w2018", "retro", "VAS_10", 18, 3.1, 1.1)
        + final("w2018", "control", "VAS_10", 18, 4.0, 1.3)
    )
    out = rs.registry_effect_sizes(arms, outcome="pain", measure="MD", target_instrument="VAS_10").set_index(
        "study_id"
    )
    assert out.loc["v2017", "yi"] == pytest.approx(1.5, rel=1e-12)
    assert out.loc["v2017", "vi"] == pytest.approx((1.2**2 + 1.5**2) / 20, rel=1e-12)
    assert "rescaled VAS_100 to VAS_10 (x 0.1)" in render_derivation(out.loc["v2017", "derivation"])
    with pytest.warns(DataWarning, match="different instruments"):
        rs.registry_effect_sizes(arms, outcome="pain", measure="MD")


def test_rescaling_applies_to_a_published_mean_difference_too():
    """A contrast-route MD (published MD and CI on VAS_100) is rescaled to target_instrument like arm data."""
    arms = arms_frame(
        final("w2018", "retro", "VAS_10", 18, 3.1, 1.1)
        + final("w2018", "control", "VAS_10", 18, 4.0, 1.3)
        + [("x2019", arm, "pain", "VAS_100", "baseline", 0.0, "n", 25) for arm in ("retro", "control")]
    )
    con = contrasts_frame(
        [
            ("x2019", "retro vs control", "pain", "VAS_100", 6.0, s, "=", v)
            for s, v in (("mean_difference", -12.0), ("ci_low", -20.0), ("ci_high", -4.0))
        ]
    )
    out = rs.registry_effect_sizes(
        arms, con, outcome="pain", measure="MD", target_instrument="VAS_10"
    ).set_index("study_id")
    row = out.loc["x2019"]
    se = rs.convert.se_from_ci(-20.0, -4.0, df=48)
    assert row["route"] == "contrast" and row["usable"]
    assert row["yi"] == pytest.approx(1.2, rel=1e-12)  # -12 mm -> -1.2 cm, flipped: favours retro
    assert row["vi"] == pytest.approx((0.1 * se) ** 2, rel=1e-12)
    assert "rescaled VAS_100 to VAS_10 (x 0.1)" in render_derivation(row["derivation"])


def test_rom_with_change_scores_marks_the_trial_unusable_instead_of_failing():
    arms = arms_frame(
        final("a2020", "retro", "NPRS", 20, 3.0, 1.5)
        + final("a2020", "control", "NPRS", 20, 4.0, 1.6)
        + [("b2021", arm, "pain", "NPRS", "baseline", 0.0, "n", 20) for arm in ("retro", "control")]
        + [
            ("b2021", "retro", "pain", "NPRS", "post", 6.0, "mean_change", -2.0),
            ("b2021", "retro", "pain", "NPRS", "post", 6.0, "sd_change", 1.0),
            ("b2021", "control", "pain", "NPRS", "post", 6.0, "mean_change", -1.0),
            ("b2021", "control", "pain", "NPRS", "post", 6.0, "sd_change", 1.1),
        ]
    )
    out = rs.registry_effect_sizes(arms, outcome="pain", measure="ROM").set_index("study_id")
    ref = rs.effect_sizes(measure="ROM", m1=[3.0], sd1=[1.5], n1=[20], m2=[4.0], sd2=[1.6], n2=[20])
    assert out.loc["a2020", "usable"]
    np.testing.assert_allclose(out.loc["a2020", "yi"], -ref["yi"][0], **CF)
    assert not out.loc["b2021", "usable"] and out.loc["b2021", "route"] == "none"
    assert "ROM' needs positive means" in out.loc["b2021", "reason"]
    assert np.isnan(out.loc["b2021", "yi"])


def test_mixed_change_and_final_smds_warn():
    arms = pd.concat(
        [
            _change_arms("c2018"),
            arms_frame(
                final("a2020", "retro", "VAS_10", 20, 2.0, 1.5)
                + final("a2020", "control", "VAS_10", 22, 3.1, 1.7)
            ),
        ]
    )
    with pytest.warns(DataWarning, match="mixed"):
        out = rs.registry_effect_sizes(arms, outcome="pain", measure="SMD")
    assert set(out["basis"]) == {"change", "final"}


def test_bad_arguments():
    arms = _change_arms()
    with pytest.raises(ValueError, match="measure must be one of"):
        rs.registry_effect_sizes(arms, outcome="pain", measure="SMCC")
    with pytest.raises(ValueError, match="ri must lie"):
        rs.registry_effect_sizes(arms, outcome="pain", ri=1.0)
    with pytest.raises(ValueError, match="comparison must look like"):
        rs.registry_effect_sizes(arms, outcome="pain", comparison="retro-control")
    with pytest.raises(rs.DataError, match="lacks column"):
        rs.registry_effect_sizes(arms.drop(columns="week"), outcome="pain")


@pytest.mark.parametrize("outcome", ["pain", "disability", "quadriceps_strength"])
@pytest.mark.parametrize("comparison", ["retro vs control", "retro vs forward"])
def test_shipped_registry_smoke(outcome, comparison):
    arms, con = rs.load_dataset("retro_arms"), rs.load_dataset("retro_contrasts")
    if not len(arms):
        pytest.skip("retro_arms has no rows yet")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # mixing warnings depend on the data shipped
        out = rs.registry_effect_sizes(outcome=outcome, comparison=comparison)
    a = arms[arms["outcome"] == outcome]
    c = con[(con["outcome"] == outcome) & (con["comparison"] == comparison)]
    assert set(out["study_id"]) == set(a["study_id"]) | set(c["study_id"])
    assert out["route"].isin(ROUTES).all()
    assert (out.loc[~out["usable"], "reason"].str.len() > 0).all()  # every unusable trial says why
    ok = out[out["usable"]]
    assert np.isfinite(ok[["yi", "vi"]].to_numpy(dtype=float)).all() and (ok["vi"] > 0).all()
    assert all(derivation_steps(d) for d in ok["derivation"])


def test_change_printed_as_reduction_and_md_from_arm_changes_with_p():
    """A source printing reductions as positive changes (change_convention pre_minus_post), no arm sizes:
    the MD comes from the arms' changes and its SE from the exact p-value (normal approximation)."""
    arms = arms_frame(
        [
            ("k2019", "retro", "pain", "NPRS", "post", 6.0, "mean_change", 1.8),
            ("k2019", "control", "pain", "NPRS", "post", 6.0, "mean_change", 1.0),
        ]
    )
    arms["change_convention"] = "pre_minus_post"
    con = contrasts_frame([("k2019", "retro vs control", "pain", "NPRS", 6.0, "p_value", "=", 0.01)])
    row = rs.registry_effect_sizes(arms, con, outcome="pain", measure="MD").iloc[0]
    se = rs.convert.se_from_p(-0.8, 0.01)
    assert row["route"] == "contrast" and bool(row["usable"])
    # retro reduced pain by 0.8 NPRS points more than control: positive favours retro after harmonisation
    np.testing.assert_allclose([row["yi"], row["vi"]], [0.8, se**2], **CF)
    text = render_derivation(row["derivation"])
    assert "signed as follow-up minus baseline: -1.8" in text and "normal approximation" in text
    # without the convention the printed changes are taken as follow-up minus baseline: the sign flips
    arms["change_convention"] = None
    row2 = rs.registry_effect_sizes(arms, con, outcome="pain", measure="MD").iloc[0]
    np.testing.assert_allclose(row2["yi"], -0.8, **CF)
    # an SMD needs the arm sizes
    row3 = rs.registry_effect_sizes(arms, con, outcome="pain", measure="SMD").iloc[0]
    assert not row3["usable"] and "arm sizes not reported" in row3["reason"]


def test_harmonising_twice_does_not_flip_back():
    from retrostats.effects.harmonise import harmonise_direction

    es = rs.effect_sizes(measure="MD", m1=[2.0], sd1=[1.0], n1=[10], m2=[3.0], sd2=[1.0], n2=[10])
    es["instrument"] = "NPRS"
    once = harmonise_direction(es, favours="retro")
    assert once["yi"][0] == 1.0
    with pytest.warns(rs.DataWarning, match="already harmonised"):
        twice = harmonise_direction(once, favours="retro")
    assert twice["yi"][0] == 1.0


# --------------------------------------------------------------------- issue 16: derived sizes and flags
def _with_derived(arms, derived_rows):
    """Append arm-size rows as the registry build derives them (derived=True, no printed text)."""
    arms = arms.assign(derived=False, derivation=None)
    extra = arms_frame(derived_rows).assign(derived=True, value_text=None,
                                            derivation="n = 40 / 2 = 20 (equal allocation stated)")
    # an empty frame is left out: pandas 2 warns (FutureWarning) when concatenating one
    return pd.concat([f for f in (arms, extra) if len(f)], ignore_index=True)


def test_arm_size_from_stated_allocation_is_a_derived_step():
    arms = arms_frame([
        ("d2020", "retro", "pain", "NPRS", "post", 6.0, "mean", 2.0),
        ("d2020", "retro", "pain", "NPRS", "post", 6.0, "sd", 1.5),
        ("d2020", "control", "pain", "NPRS", "post", 6.0, "mean", 3.1),
        ("d2020", "control", "pain", "NPRS", "post", 6.0, "sd", 1.7),
    ])
    sizes = [("d2020", arm, "other", "arm_n", "baseline", 0.0, "n", 20.0) for arm in ("retro", "control")]
    # without any size the trial is not usable for an SMD
    bare = rs.registry_effect_sizes(arms, outcome="pain", measure="SMD").iloc[0]
    assert not bare["usable"] and "arm sizes not reported" in bare["reason"]
    row = rs.registry_effect_sizes(_with_derived(arms, sizes), outcome="pain", measure="SMD").iloc[0]
    ref = rs.effect_sizes(measure="SMD", m1=[2.0], sd1=[1.5], n1=[20], m2=[3.1], sd2=[1.7], n2=[20])
    assert row["usable"] and row["n1"] == 20 and row["n2"] == 20
    np.testing.assert_allclose(row["yi"], -ref["yi"][0], **CF)
    steps = derivation_steps(row["derivation"])
    derived = [s for s in steps if s["step"] == "n_from_allocation"]
    assert len(derived) == 2 and all(s["derived"] is True for s in derived)
    text = render_derivation(row["derivation"])
    assert "DERIVED" in text and "40 / 2 = 20" in text and "not printed" in text


def test_printed_arm_size_wins_over_a_derived_one():
    arms = arms_frame(final("p2020", "retro", "NPRS", 18, 2.0, 1.5) + final("p2020", "control", "NPRS", 21, 3.1, 1.7))
    sizes = [("p2020", arm, "other", "arm_n", "baseline", 0.0, "n", 99.0) for arm in ("retro", "control")]
    row = rs.registry_effect_sizes(_with_derived(arms, sizes), outcome="pain", measure="SMD").iloc[0]
    assert (row["n1"], row["n2"]) == (18, 21)
    assert not any(s["step"] == "n_from_allocation" for s in derivation_steps(row["derivation"]))


def test_derived_sizes_reach_the_contrast_route():
    con = contrasts_frame([("c2020", "retro vs control", "pain", "NPRS", 6.0, "t", "=", -2.5)])
    arms = _with_derived(arms_frame([]), [("c2020", a, "other", "arm_n", "baseline", 0.0, "n", 20.0)
                                          for a in ("retro", "control")])
    row = rs.registry_effect_sizes(arms, con, outcome="pain", measure="SMD").iloc[0]
    assert row["route"] == "contrast" and row["usable"]
    assert [s["step"] for s in derivation_steps(row["derivation"])][:3] == [
        "source", "n_from_allocation", "n_from_allocation"]


def test_flagged_rows_are_left_out_by_default_and_said_so():
    es = rs.registry_effect_sizes(outcome="balance", comparison="retro vs control", measure="MD")
    row = es.set_index("study_id").loc["elbasatiny2015"]
    assert not row["usable"] and "flagged implausible" in row["reason"] and "include_flagged=True" in row["reason"]
    es = rs.registry_effect_sizes(outcome="balance", comparison="retro vs control", measure="MD",
                                  instrument="Biodex_OSI", include_flagged=True)
    row = es.set_index("study_id").loc["elbasatiny2015"]
    # now its rows are read (they fail later only because the source prints no arm sizes)
    assert "flagged" not in row["reason"] and "arm sizes not reported" in row["reason"]


def test_change_distribution_quartiles_are_not_read_as_follow_up_values():
    es = rs.registry_effect_sizes(outcome="gait_speed", comparison="retro vs forward", measure="SMD")
    naidu = es.set_index("study_id").loc["naidu2025"]
    assert naidu["basis"] != "final"  # the quartiles of a percent change never become a final-value mean/SD


@pytest.mark.parametrize("outcome, measure", [("pain", "SMD"), ("pain", "MD"), ("quadriceps_strength", "SMD")])
def test_row_order_of_the_registry_does_not_matter(outcome, measure):
    """Metamorphic: the arm and contrast rows shuffled give the same effects, routes, reasons and derivations
    (the rows are split by study once, not filtered per trial: nothing may depend on where a row stands)."""
    arms, con = rs.load_dataset("retro_arms"), rs.load_dataset("retro_contrasts")
    runs = []
    for a, c in ((arms, con), (arms.sample(frac=1, random_state=7), con.sample(frac=1, random_state=7))):
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            runs.append(rs.registry_effect_sizes(a, c, outcome=outcome, measure=measure))
        runs.append(sorted(str(w.message) for w in said))  # what it warns about is part of the answer too
    pd.testing.assert_frame_equal(runs[0], runs[2])
    assert runs[1] == runs[3]
