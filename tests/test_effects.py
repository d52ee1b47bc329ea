"""effect_sizes against metafor 3.8.1 escalc (tests/reference/r/escalc.R), published values and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import TOL, load_reference, published_tol

import retrostats as rs
from retrostats.effects import (
    check_smd_mixing,
    derivation_steps,
    direction_of,
    harmonise_direction,
    render_derivation,
    rescale_factor,
    sensitivity,
)
from retrostats.exceptions import DataError, DataWarning

REF = load_reference("escalc")
CF = TOL["closed_form"]


def _arrays(block):
    return {k: np.asarray(v, dtype=float) for k, v in block["inputs"].items()}


def _two_group_cases():
    return [(ds, m) for ds in REF["grid"]["two_group_datasets"] for m in REF["grid"]["two_group_measures"]]


def _one_group_cases():
    return [(ds, m) for ds in REF["grid"]["one_group_datasets"] for m in REF["grid"]["one_group_measures"]]


def test_grid_is_complete():
    for ds, m in _two_group_cases():
        assert set(REF["two_group"][ds][m]) == {"yi", "vi"}
        assert len(REF["two_group"][ds][m]["yi"]) == len(REF["two_group"][ds]["inputs"]["n1"])
    for ds, m in _one_group_cases():
        assert len(REF["one_group"][ds][m]["yi"]) == len(REF["one_group"][ds]["inputs"]["n"])
    assert set(REF["grid"]["two_group_measures"]) | set(REF["grid"]["one_group_measures"]) == {
        "MD",
        "SMD",
        "SMDH",
        "ROM",
        "MC",
        "SMCC",
        "SMCR",
    }
    for key in ("smd_t", "smd_F", "smd_p", "ppc2", "ancova", "convert_ci", "convert_p"):
        assert key in REF


@pytest.mark.r_parity
@pytest.mark.parametrize(("dataset", "measure"), _two_group_cases())
def test_two_group_measures_match_metafor(dataset, measure):
    block = REF["two_group"][dataset]
    d = pd.DataFrame(_arrays(block))
    es = rs.effect_sizes(d, measure=measure, m1="m1", sd1="sd1", n1="n1", m2="m2", sd2="sd2", n2="n2")
    np.testing.assert_allclose(es["yi"], np.asarray(block[measure]["yi"], float), **CF)
    np.testing.assert_allclose(es["vi"], np.asarray(block[measure]["vi"], float), **CF)
    np.testing.assert_allclose(es["sei"], np.sqrt(es["vi"]), **CF)
    np.testing.assert_allclose(es["ci_high"] - es["yi"], 1.959963984540054 * es["sei"], **CF)


@pytest.mark.r_parity
@pytest.mark.parametrize(("dataset", "measure"), _one_group_cases())
def test_one_group_measures_match_metafor(dataset, measure):
    block = REF["one_group"][dataset]
    a = _arrays(block)
    yi_r = np.array([np.nan if v is None else v for v in block[measure]["yi"]], dtype=float)
    kw = dict(measure=measure, m1=a["m1"], m2=a["m2"], sd1=a["sd1"], sd2=a["sd2"], n=a["n"], ri=a["ri"])
    if np.isnan(yi_r).any():
        # metafor returns NA where the correction c(n - 1) is undefined (n = 2); we refuse the row
        assert measure != "MC" and np.all(a["n"][np.isnan(yi_r)] < 3)
        with pytest.raises(DataError, match=r"n must be >= 3 .* row 0"):
            rs.effect_sizes(**kw)
        return
    es = rs.effect_sizes(**kw)
    np.testing.assert_allclose(es["yi"], yi_r, **CF)
    np.testing.assert_allclose(es["vi"], np.asarray(block[measure]["vi"], float), **CF)


@pytest.mark.r_parity
def test_smd_from_t_f_and_p_match_metafor_ti():
    b = REF["smd_t"]
    es = rs.effect_sizes(measure="SMD", t=b["inputs"]["t"], n1=b["inputs"]["n1"], n2=b["inputs"]["n2"])
    np.testing.assert_allclose(es["yi"], b["yi"], **CF)
    np.testing.assert_allclose(es["vi"], b["vi"], **CF)
    b = REF["smd_F"]
    es = rs.effect_sizes(
        measure="SMD",
        f=b["inputs"]["F"],
        sign=b["inputs"]["sign"],
        n1=b["inputs"]["n1"],
        n2=b["inputs"]["n2"],
    )
    np.testing.assert_allclose(es["yi"], b["yi"], **CF)
    np.testing.assert_allclose(es["vi"], b["vi"], **CF)
    b = REF["smd_p"]
    es = rs.effect_sizes(
        measure="SMD",
        p_value=b["inputs"]["p"],
        sign=b["inputs"]["sign"],
        n1=b["inputs"]["n1"],
        n2=b["inputs"]["n2"],
    )
    np.testing.assert_allclose(es["yi"], b["yi"], **CF)
    np.testing.assert_allclose(es["vi"], b["vi"], **CF)
    steps = derivation_steps(es["derivation"][0])
    assert [s["step"] for s in steps] == ["t_from_p", "SMD_from_t"]
    assert steps[0]["p_value"] == 0.01 and steps[0]["df"] == 38


def test_smd_mixes_means_and_t_rows_per_row():
    es = rs.effect_sizes(
        measure="SMD",
        m1=[5.0, np.nan],
        sd1=[1.0, np.nan],
        m2=[4.0, np.nan],
        sd2=[1.0, np.nan],
        n1=[10, 10],
        n2=[10, 12],
        t=[np.nan, 2.1],
    )
    ref = rs.effect_sizes(measure="SMD", t=[2.1], n1=[10], n2=[12])
    assert es["yi"][1] == ref["yi"][0]
    assert derivation_steps(es["derivation"][0])[0]["step"] == "SMD"


@pytest.mark.r_parity
def test_ppc2_matches_metafor_example_and_morris_table5():
    b = REF["ppc2"]
    a = _arrays(b)
    es = rs.effect_sizes(
        measure="SMD_PPC2",
        m1_pre=a["m1_pre"],
        m1=a["m1_post"],
        sd1_pre=a["sd1_pre"],
        n1=a["n1"],
        m2_pre=a["m2_pre"],
        m2=a["m2_post"],
        sd2_pre=a["sd2_pre"],
        n2=a["n2"],
        ri=a["ri"],
    )
    np.testing.assert_allclose(es["yi"], b["yi"], **CF)
    np.testing.assert_allclose(es["vi"], b["vi"], **CF)
    # Morris (2008), Table 5, p. 382: d_ppc2 as printed (4 decimals)
    printed = ["0.7684", "0.8010", "1.2045", "1.0476", "0.4389"]
    for got, p in zip(es["yi"], printed):
        assert abs(got - float(p)) <= published_tol(p)


@pytest.mark.r_parity
def test_ancova_matches_lm_on_pseudo_ipd():
    b = REF["ancova"]
    a = _arrays(b)
    es = rs.effect_sizes(
        measure="MD_ANCOVA",
        m1_pre=a["m1_pre"],
        m1=a["m1_post"],
        sd1_pre=a["sd1_pre"],
        sd1=a["sd1_post"],
        n1=a["n1"],
        m2_pre=a["m2_pre"],
        m2=a["m2_post"],
        sd2_pre=a["sd2_pre"],
        sd2=a["sd2_post"],
        n2=a["n2"],
        ri=a["ri"],
    )
    np.testing.assert_allclose(es["yi"], b["yi"], **CF)
    np.testing.assert_allclose(es["vi"], b["vi"], **CF)


def test_output_keeps_input_rows_and_adds_columns():
    d = pd.DataFrame(
        {
            "study_id": ["a", "b"],
            "x": [1, 2],
            "m1": [5.0, 6.0],
            "s1": [1.0, 2.0],
            "n1": [10, 12],
            "m2": [4.0, 4.0],
            "s2": [1.0, 2.0],
            "n2": [10, 11],
        }
    )
    es = rs.effect_sizes(d, measure="SMD", m1="m1", sd1="s1", n1="n1", m2="m2", sd2="s2", n2="n2")
    assert list(es.columns[: len(d.columns)]) == list(d.columns)
    assert {"yi", "vi", "sei", "ci_low", "ci_high", "measure", "derivation"} <= set(es.columns)
    pd.testing.assert_frame_equal(es[d.columns], d)
    assert "Hedges' g" in render_derivation(es["derivation"][0])


def test_assumed_r_is_recorded_and_prior_derivation_kept():
    d = pd.DataFrame(
        {
            "m1": [5.0],
            "m2": [4.0],
            "s1": [1.0],
            "s2": [1.2],
            "n": [20],
            "derivation": [json.dumps([{"step": "sd_from_se", "text": "SD from SE"}])],
        }
    )
    es = rs.effect_sizes(d, measure="SMCC", m1="m1", m2="m2", sd1="s1", sd2="s2", n="n", ri=0.5)
    steps = [s["step"] for s in derivation_steps(es["derivation"][0])]
    assert steps == ["sd_from_se", "assume", "SMCC"]
    assert "ri = 0.5 assumed" in render_derivation(es["derivation"][0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(sd1=[1.0, -2.0]), r"sd1 must be > 0; row 1 \(study 'b'\)"),
        (dict(sd2=[0.0, 1.0]), r"sd2 must be > 0; row 0 \(study 'a'\)"),
        (dict(n1=[1, 10]), r"n1 must be >= 2; row 0"),
        (dict(m1=[np.nan, 1.0]), r"m1 is missing \(NaN\); row 0"),
        (dict(m2=["x", 1.0]), r"m2 must be numeric; row 0 .* 'x'"),
    ],
)
def test_bad_two_group_input_names_argument_and_row(kwargs, match):
    base = dict(m1=[5.0, 6.0], sd1=[1.0, 2.0], n1=[10, 12], m2=[4.0, 4.0], sd2=[1.0, 2.0], n2=[10, 11])
    with pytest.raises(DataError, match=match):
        rs.effect_sizes(measure="SMD", labels=["a", "b"], **{**base, **kwargs})


def test_bad_input_other_cases():
    with pytest.raises(ValueError, match="measure must be one of"):
        rs.effect_sizes(measure="SMDX", m1=[1.0])
    d = pd.DataFrame({"m1": [1.0]})
    with pytest.raises(DataError, match="no column"):
        rs.effect_sizes(d, measure="MD", m1="m1", sd1="sd1", n1="n1", m2="m1", sd2="sd1", n2="n1")
    one = dict(m1=[5.0, 6.0], m2=[4.0, 4.0], sd1=[1.0, 2.0], sd2=[1.0, 2.0], n=[10, 12])
    for r in (1.0, -1.0, 1.5):
        with pytest.raises(DataError, match="ri must be"):
            rs.effect_sizes(measure="SMCC", ri=[0.5, r], **one)
    with pytest.raises(DataError, match="m2 must be > 0 for measure 'ROM'"):
        rs.effect_sizes(measure="ROM", m1=[1.0], sd1=[1.0], n1=[5], m2=[-1.0], sd2=[1.0], n2=[5])
    with pytest.raises(DataError, match="sign must be"):
        rs.effect_sizes(measure="SMD", p_value=[0.01], n1=[10], n2=[10])
    with pytest.raises(ValueError, match="only measure='SMD'"):
        rs.effect_sizes(measure="MD", t=[2.0], n1=[10], n2=[10])
    with pytest.raises(DataError, match="different length"):
        rs.effect_sizes(measure="MD", m1=[1.0, 2.0], sd1=[1.0], n1=[5], m2=[1.0], sd2=[1.0], n2=[5])


def test_no_numpy_warning_on_extreme_but_valid_input():
    # warnings are errors in the test suite: tiny SDs must not trigger overflow warnings
    es = rs.effect_sizes(measure="SMD", m1=[1.0], sd1=[1e-8], n1=[5], m2=[0.0], sd2=[1e-8], n2=[5])
    assert np.isfinite(es["yi"][0])
    # SDs whose squares underflow give an infinite SMD: a DataError naming the row, not inf or a warning
    with pytest.raises(DataError, match=r"effect size of row 0 is not finite"):
        rs.effect_sizes(measure="SMD", m1=[1.0], sd1=[1e-300], n1=[5], m2=[0.0], sd2=[1e-300], n2=[5])


def test_sensitivity_over_r_and_downstream_analysis():
    args = dict(measure="SMCC", m1=[5.0, 3.0], m2=[4.0, 2.5], sd1=[1.0, 1.0], sd2=[1.2, 0.9], n=[20, 30])
    tidy = sensitivity(r=(0.3, 0.5, 0.7), **args)
    assert len(tidy) == 6 and list(tidy.columns[:2]) == ["r_assumed", "method"]
    mid = rs.effect_sizes(ri=0.5, **args)
    np.testing.assert_allclose(tidy.loc[tidy["r_assumed"] == 0.5, "yi"], mid["yi"], **CF)

    def fixed_effect(es):
        w = 1 / es["vi"]
        return {"estimate": float((w * es["yi"]).sum() / w.sum()), "k": len(es)}

    res = sensitivity(r=(0.3, 0.7), analysis=fixed_effect, **args)
    assert list(res.columns) == ["r_assumed", "method", "estimate", "k"]
    assert res["estimate"].iloc[1] > res["estimate"].iloc[0]  # higher r, smaller SD of change, larger SMCC


def test_direction_and_rescaling_from_outcome_scales():
    assert direction_of("NPRS")[0] is False and direction_of("KOOS_pain")[0] is True
    assert direction_of("KOOS_unspecified")[0] is True
    assert direction_of("madeup_scale")[0] is None
    assert rescale_factor("VAS_100", "VAS_10") == pytest.approx(0.1, rel=1e-15)
    with pytest.raises(ValueError, match="differ in outcome or direction"):
        rescale_factor("VAS_100", "KOOS_pain")
    es = rs.effect_sizes(
        measure="MD", m1=[2.0, 60.0], sd1=[1.0, 9.0], n1=[10, 10], m2=[3.0, 50.0], sd2=[1.0, 9.0], n2=[10, 10]
    )
    es["instrument"] = ["NPRS", "KOOS_pain"]
    h = harmonise_direction(es, favours="retro")
    np.testing.assert_allclose(h["yi"], [1.0, 10.0])
    assert (h["ci_low"] < h["yi"]).all() and (h["yi"] < h["ci_high"]).all()
    assert "sign flipped" in render_derivation(h["derivation"][0])
    assert "sign kept" in render_derivation(h["derivation"][1])


def test_mixing_change_and_final_smds_warns():
    mixed = pd.DataFrame({"measure": ["SMD", "SMD"], "basis": ["change", "final"]})
    with pytest.warns(DataWarning, match="change scores and from final values are mixed"):
        assert check_smd_mixing(mixed)
    assert not check_smd_mixing(mixed.assign(measure="MD"))
