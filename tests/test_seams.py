"""Trust at the seams: one meaning of an effect, end to end (issue 11).

Regression tests for the six defects of the issue (each failed on the main branch before the measure
registry), metamorphic properties of whole user paths (effects -> meta-analysis -> plan, Bayes, figure),
and a test that registers a new measure and a new tau² estimator in one place each and sees every consumer
use them.
"""

from __future__ import annotations

import argparse
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats.exceptions import DataError
from retrostats.measures import Measure, register_measure, unregister_measure

matplotlib.use("Agg")

from conftest import TOL  # noqa: E402

ARM_COLS = ["study_id", "arm", "outcome", "instrument", "timepoint", "week", "statistic", "value"]
#: two small trials on NPRS (points): (study, arm, n, mean, sd) at week 4, lower is better
TRIALS = [
    ("a2020", "retro", 20, 3.0, 1.5),
    ("a2020", "control", 20, 4.2, 1.6),
    ("b2021", "retro", 15, 2.8, 1.4),
    ("b2021", "control", 16, 3.5, 1.5),
    ("c2022", "retro", 25, 3.3, 1.7),
    ("c2022", "control", 24, 4.4, 1.5),
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _arms(instrument: str = "NPRS", factor: float = 1.0) -> pd.DataFrame:
    rows = []
    for sid, arm, n, m, sd in TRIALS:
        for stat, val in (("n", n), ("mean", m * factor), ("sd", sd * factor)):
            rows.append((sid, arm, "pain", instrument, "post", 4.0, stat, float(val)))
    return pd.DataFrame(rows, columns=ARM_COLS)


def _registry_md(instrument="NPRS", factor=1.0, comparison="retro vs control"):
    es = rs.registry_effect_sizes(_arms(instrument, factor), outcome="pain", measure="MD", comparison=comparison)
    return es[es["usable"]].reset_index(drop=True)


def _plan(argv, tmp_path, name="plan.csv"):
    from retrostats.cli.plan import register

    parser = argparse.ArgumentParser(prog="retrostats")
    register(parser.add_subparsers())
    out = tmp_path / name
    args = parser.parse_args(["plan", *argv, "--out", str(out)])
    assert args.func(args) == 0
    return pd.read_csv(out).set_index("quantity")["value"]


def _favours_labels(ax):
    return sorted(t.get_text() for t in ax.texts if "favours" in t.get_text())


# ------------------------------------------------------------------------------------ defect regressions
def test_defect1_plan_from_csv_reads_the_measure(tmp_path, capsys):
    """An MD CSV planned as if it were an SMD: 0.737 NPRS points became 'SMD 0.737'."""
    es = _registry_md()
    path = tmp_path / "md.csv"
    es.to_csv(path, index=False)
    with pytest.raises(ValueError, match="instrument units, not SD units; give --sd"):
        _plan(["--from-csv", str(path), "--design", "ttest"], tmp_path)
    plan = _plan(["--from-csv", str(path), "--design", "ttest", "--sd", "2.0"], tmp_path)
    ma = rs.meta_analysis(es)
    expected = rs.power_ttest(effect_size=abs(ma.estimate) / 2.0, power=0.8)
    np.testing.assert_allclose(float(plan["n"]), expected.n, **TOL["iterative"])
    assert "divided by the outcome SD 2" in capsys.readouterr().out
    # an --sd for effects already in SD units is a contradiction, not a silent no-op
    with pytest.raises(ValueError, match="already standardised; drop --sd"):
        _plan(["--effect-size", "0.5", "--sd", "2"], tmp_path)
    with pytest.raises(ValueError, match="--measure names the measure of a --from-csv"):
        _plan(["--effect-size", "0.5", "--measure", "MD"], tmp_path)
    with pytest.raises(ValueError, match="--measure SMD but .* says its effects are \\['MD'\\]"):
        _plan(["--from-csv", str(path), "--measure", "SMD", "--sd", "2"], tmp_path)


def test_defect2_forest_direction_from_the_oriented_table():
    """Registry effects (positive favours retro) drawn with instrument='NPRS' were labelled the other way."""
    es = _registry_md()
    res = rs.meta_analysis(es)
    assert (res.measure, res.instrument, res.favours) == ("MD", "NPRS", "retro")
    for obj in (res, es):
        ax = rs.forest_plot(obj, instrument="NPRS")
        assert _favours_labels(ax) == ["favours retro \u2192", "\u2190 favours control"]
        assert "positive favours retro" in ax.get_xlabel() and "\u2212" not in ax.get_xlabel()
    # un-oriented effects (retro minus control on NPRS) keep the instrument's direction
    raw = rs.effect_sizes(measure="MD", m1=[3.0, 2.8], sd1=[1.5, 1.4], n1=[20, 15], m2=[4.2, 3.5],
                          sd2=[1.6, 1.5], n2=[20, 16])
    raw["instrument"] = "NPRS"
    ax = rs.forest_plot(rs.meta_analysis(raw), instrument="NPRS")
    assert _favours_labels(ax) == ["favours control \u2192", "\u2190 favours retro"]
    assert "retro \u2212 control" in ax.get_xlabel()
    with pytest.raises(ValueError, match="contradicts"):
        rs.forest_plot(res, higher_is_better=False)


def test_defect3_bayes_default_priors_fit_the_scale():
    """Default priors sized for SMDs shrank raw mm effects; data far from the prior crashed."""
    d = pd.DataFrame({"yi": [-25.0, -18.0, -15.0, -22.0], "vi": [9.0, 12.0, 10.0, 16.0],
                      "measure": "MD", "instrument": "VAS_100"})
    fit = rs.bayes_meta_analysis(d)
    reml = rs.meta_analysis(d)
    post = fit.posterior_summary.loc["mu"]
    assert abs(post["mean"] - reml.estimate) < 0.2 * post["sd"]  # N(0, 2) pulled it to about -6
    assert fit.mu_prior.params == (0.0, 50.0) and fit.tau_prior.params == (12.5,)
    assert "VAS_100 range 0 to 100" in fit.summary().as_text()
    with pytest.raises(DataError, match="no finite range.*pass mu_prior="):
        rs.bayes_meta_analysis(d.assign(instrument="TUG_s"))
    far = rs.bayes_meta_analysis(yi=[100.0, 101.0], vi=[1.0, 1.0])  # ZeroDivisionError before
    bf = far.bayes_factors
    assert np.isfinite(bf["log_bf01"]).all() and bf.loc["tau=0", "log_bf01"] < -100
    assert bf.loc["tau=0", "bf10"] == np.inf


def test_defect4_smd_ppc2_mcid_and_registries():
    """SMD_PPC2 took the NPRS MCID as SD units; tau² methods and presets were read from private lists."""
    es = rs.effect_sizes(measure="SMD_PPC2", m1_pre=[6.0, 6.2], m1=[3.0, 3.5], sd1_pre=[1.5, 1.6], n1=[20, 18],
                         m2_pre=[6.1, 6.0], m2=[4.5, 4.6], sd2_pre=[1.4, 1.5], n2=[20, 19], ri=0.5)
    es["instrument"] = "NPRS"
    fit = rs.bayes_meta_analysis(es)
    with pytest.raises(DataError, match="SMD_PPC2.*sd scale.*instrument's units"):
        fit.clinical_probabilities()
    assert fit.clinical_probabilities(mcid=0.5)["p_benefit"].between(0, 1).all()
    # revman5 does not report a prediction interval: neither the summary nor the forest shows one
    y, v = [-0.5, -0.2, -0.9, -0.4], [0.04, 0.05, 0.09, 0.03]
    rev = rs.meta_analysis(yi=y, vi=v, preset="revman5")
    assert "Prediction interval" not in rev.summary().as_text()
    assert "Prediction interval" in rs.meta_analysis(yi=y, vi=v, preset="cochrane").summary().as_text()
    gids = [a.get_gid() for a in rs.forest_plot(rev).get_children()]
    assert "prediction-interval" not in gids
    assert "prediction-interval" in [a.get_gid() for a in rs.forest_plot(rs.meta_analysis(yi=y, vi=v))
                                     .get_children()]


def test_defect5_merge_keeps_registry_between_arm_results(tmp_path):
    """merge_extraction() + registry_effect_sizes() silently dropped the registry's between-arm results."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rs.DataWarning)
        before = rs.registry_effect_sizes(outcome="pain", measure="MD")
        ext = _arms().assign(study_id=lambda d: d["study_id"] + "_x", source_location="Table 2",
                             source_url="https://example.org")
        merged = rs.merge_extraction(ext.reindex(columns=list(rs.load_dataset("retro_arms").columns)))
        after = rs.registry_effect_sizes(merged[merged["outcome"] == "pain"], outcome="pain", measure="MD")
    kept = set(before.loc[before["usable"], "study_id"])
    assert kept <= set(after.loc[after["usable"], "study_id"])
    assert (before["route"] == "contrast").any()  # the registry has between-arm results to keep
    # a user's between-arm results have a sheet of their own and give usable effects
    sheet = rs.contrast_template(tmp_path / "between.csv")
    pd.DataFrame(
        [["new2024", "retro vs control", "pain", "NPRS", 4, "mean_difference", "", "=", "-1.1", "Table 3", "u", "", ""],
         ["new2024", "retro vs control", "pain", "NPRS", 4, "ci_low", "", "=", "-1.9", "Table 3", "u", "", ""],
         ["new2024", "retro vs control", "pain", "NPRS", 4, "ci_high", "", "=", "-0.3", "Table 3", "u", "", ""]],
    ).to_csv(sheet, mode="a", header=False, index=False)
    arms = pd.DataFrame([("new2024", a, "pain", "NPRS", "post", 4.0, "n", 30.0, "T1", "u")
                         for a in ("retro", "control")], columns=ARM_COLS + ["source_location", "source_url"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rs.DataWarning)
        m2 = rs.merge_extraction(arms.reindex(columns=list(rs.load_dataset("retro_arms").columns)),
                                 contrasts=sheet)
        es = rs.registry_effect_sizes(m2, outcome="pain", measure="MD", instrument="NPRS")
    row = es.set_index("study_id").loc["new2024"]
    assert row["route"] == "contrast" and row["usable"]
    np.testing.assert_allclose(row["yi"], 1.1, **TOL["closed_form"])  # oriented: positive favours retro
    with pytest.raises(DataError, match="'retro vs contrl' is not a comparison"):
        rs.read_contrasts(pd.DataFrame({"study_id": ["x1"], "comparison": ["retro vs contrl"], "outcome": ["pain"],
                                        "instrument": ["NPRS"], "statistic": ["t"], "value": ["2.1"],
                                        "source_location": ["T3"]}))


def test_defect6_duplicates_and_typos():
    """The same trial under two study ids was pooled twice; an outcome typo returned an empty frame."""
    es = _registry_md()
    assert es["doi"].isna().all()
    dup = es.assign(doi=["10.1/abc", "10.1/ABC", None])
    with pytest.raises(DataError, match="doi '10.1/abc' is shared by \\['a2020', 'b2021'\\]"):
        rs.meta_analysis(dup)
    with pytest.raises(DataError, match="registration"):
        rs.meta_analysis(es.assign(registration=["NCT01", None, "NCT01"]))
    reg = rs.load_dataset("retro_trials").dropna(subset=["doi"]).iloc[0]
    ext = _arms().assign(source_location="T2", source_url="u")
    with pytest.raises(DataError, match=f"registry trial '{reg['study_id']}'"):
        rs.merge_extraction(ext.reindex(columns=list(rs.load_dataset("retro_arms").columns)),
                            trials=pd.DataFrame({"study_id": ["a2020"], "doi": [reg["doi"]]}))
    with pytest.raises(DataError, match="Did you mean 'pain'"):
        rs.registry_effect_sizes(outcome="Pain")
    with pytest.raises(DataError, match="Did you mean 'NPRS'"):
        rs.registry_effect_sizes(_arms(), outcome="pain", instrument="NRPS")
    with pytest.raises(DataError, match="Did you mean 'control'"):
        rs.registry_effect_sizes(_arms(), outcome="pain", comparison="retro vs contrl")


def test_mixed_measures_and_instruments_are_refused():
    es = _registry_md()
    with pytest.raises(DataError, match="mixes measures"):
        rs.meta_analysis(pd.concat([es, es.assign(measure="SMD", study_id=es["study_id"] + "s")]))
    with pytest.raises(DataError, match="different instruments"):
        rs.meta_analysis(pd.concat([es, _registry_md("VAS_100", 10.0).assign(study_id=lambda d: d["study_id"] + "v")]))
    with pytest.raises(DataError, match="mixes orientations"):
        rs.meta_analysis(pd.concat([es, _registry_md(comparison="control vs retro")
                                    .assign(study_id=lambda d: d["study_id"] + "c")]))


# ----------------------------------------------------------------------------------- metamorphic suite
def test_swapping_arms_mirrors_estimates_labels_and_conclusions(tmp_path):
    a, b = _registry_md(), _registry_md(comparison="control vs retro")
    np.testing.assert_allclose(b["yi"], -a["yi"], **TOL["closed_form"])
    assert set(b["favours"]) == {"positive favours control"}
    ra, rb = rs.meta_analysis(a), rs.meta_analysis(b)
    np.testing.assert_allclose([rb.estimate, rb.ci_low, rb.ci_high], [-ra.estimate, -ra.ci_high, -ra.ci_low],
                               **TOL["iterative"])
    np.testing.assert_allclose(rb.p_value, ra.p_value, **TOL["iterative"])
    la, lb = _favours_labels(rs.forest_plot(ra)), _favours_labels(rs.forest_plot(rb))
    assert la == ["favours retro \u2192", "\u2190 favours control"]
    assert lb == ["favours control \u2192", "\u2190 favours retro"]
    pa = rs.bayes_meta_analysis(a).clinical_probabilities()
    pb = rs.bayes_meta_analysis(b).clinical_probabilities()
    np.testing.assert_allclose(pb["p_benefit"], 1 - pa["p_benefit"], **TOL["quadrature"])
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    pla = _plan(["--from-csv", str(tmp_path / "a.csv"), "--sd", "2", "--design", "ttest"], tmp_path, "pa.csv")
    plb = _plan(["--from-csv", str(tmp_path / "b.csv"), "--sd", "2", "--design", "ttest"], tmp_path, "pb.csv")
    np.testing.assert_allclose(float(plb["n"]), float(pla["n"]), **TOL["iterative"])
    np.testing.assert_allclose(float(plb["evidence_estimate"]), -float(pla["evidence_estimate"]), **TOL["iterative"])
    # raw effect sizes: group 1 and group 2 exchanged
    kw = dict(m1=[3.0, 2.8], sd1=[1.5, 1.4], n1=[20, 15], m2=[4.2, 3.5], sd2=[1.6, 1.5], n2=[20, 16])
    sw = dict(m1=kw["m2"], sd1=kw["sd2"], n1=kw["n2"], m2=kw["m1"], sd2=kw["sd1"], n2=kw["n1"])
    for measure in ("MD", "SMD", "SMDH", "ROM"):
        x, y = rs.effect_sizes(measure=measure, **kw), rs.effect_sizes(measure=measure, **sw)
        np.testing.assert_allclose(y["yi"], -x["yi"], **TOL["closed_form"])
        np.testing.assert_allclose(y["vi"], x["vi"], **TOL["closed_form"])


def test_nprs_to_vas_mm_leaves_conclusions_unchanged(tmp_path):
    nprs, vas = _registry_md(), _registry_md("VAS_100", 10.0)
    np.testing.assert_allclose(vas["yi"], 10 * nprs["yi"], **TOL["closed_form"])
    pn = rs.bayes_meta_analysis(nprs).clinical_probabilities()
    pv = rs.bayes_meta_analysis(vas).clinical_probabilities()
    np.testing.assert_allclose(pv["p_benefit"], pn["p_benefit"], **TOL["quadrature"])
    for es, name in ((nprs, "n.csv"), (vas, "v.csv")):
        es.to_csv(tmp_path / name, index=False)
    plan_n = _plan(["--from-csv", str(tmp_path / "n.csv"), "--sd", "2", "--design", "ancova"], tmp_path, "pn.csv")
    plan_v = _plan(["--from-csv", str(tmp_path / "v.csv"), "--sd", "20", "--design", "ancova"], tmp_path, "pv.csv")
    np.testing.assert_allclose(float(plan_v["n"]), float(plan_n["n"]), **TOL["iterative"])
    assert plan_v["assurance_n_per_arm"] == plan_n["assurance_n_per_arm"]
    assert _favours_labels(rs.forest_plot(rs.meta_analysis(vas), instrument="VAS_100")) == _favours_labels(
        rs.forest_plot(rs.meta_analysis(nprs), instrument="NPRS"))


def test_md_and_equivalent_smd_plan_the_same_n(tmp_path):
    sd = 1.8
    md = _registry_md()
    smd = md.assign(yi=md["yi"] / sd, vi=md["vi"] / sd**2, measure="SMD")
    rm, rsd = rs.meta_analysis(md), rs.meta_analysis(smd)
    from retrostats.planning import n_for_assurance, n_for_conclusive_update

    a1, a2 = n_for_assurance(rm, outcome_sd=sd), n_for_assurance(rsd)
    np.testing.assert_allclose(a1.n, a2.n, **TOL["iterative"])
    assert n_for_conclusive_update(rm, outcome_sd=sd).n_per_arm == n_for_conclusive_update(rsd).n_per_arm
    with pytest.raises(DataError, match="already in SD units"):
        n_for_conclusive_update(rsd, outcome_sd=sd)
    md.to_csv(tmp_path / "md.csv", index=False)
    smd.to_csv(tmp_path / "smd.csv", index=False)
    p1 = _plan(["--from-csv", str(tmp_path / "md.csv"), "--sd", str(sd), "--design", "ttest"], tmp_path, "a.csv")
    p2 = _plan(["--from-csv", str(tmp_path / "smd.csv"), "--design", "ttest"], tmp_path, "b.csv")
    for q in ("n", "assurance_n_per_arm", "update_n_per_arm_null"):
        if q in p1.index or q in p2.index:
            np.testing.assert_allclose(float(p1[q]), float(p2[q]), **TOL["iterative"])


def test_csv_round_trip_changes_nothing_downstream(tmp_path):
    es = _registry_md()
    path = tmp_path / "es.csv"
    es.to_csv(path, index=False)
    back = pd.read_csv(path)
    r1, r2 = rs.meta_analysis(es), rs.meta_analysis(back)
    assert (r2.measure, r2.instrument, r2.favours) == (r1.measure, r1.instrument, r1.favours)
    np.testing.assert_allclose([r2.estimate, r2.se, r2.tau2], [r1.estimate, r1.se, r1.tau2], **TOL["closed_form"])
    b1, b2 = rs.bayes_meta_analysis(es), rs.bayes_meta_analysis(back)
    pd.testing.assert_frame_equal(b1.clinical_probabilities(), b2.clinical_probabilities())
    assert _favours_labels(rs.forest_plot(r1)) == _favours_labels(rs.forest_plot(r2))
    assert rs.forest_plot(es).get_xlabel() == rs.forest_plot(back).get_xlabel()
    # filtering and concatenating keep the meaning too
    both = pd.concat([back.iloc[:1], back.iloc[1:]], ignore_index=True)
    assert rs.meta_analysis(both).favours == "retro"


# ----------------------------------------------------------------------------- extending in one place
@pytest.fixture
def fake_registrations():
    from retrostats.kernels.tau2 import TAU2, TAU2_NAMES, register_tau2, tau2_dl

    def tau2_half_dl(y, v, X, m, **kw):  # a made-up estimator: half the DerSimonian-Laird value
        t, ok = tau2_dl(y, v, X, m, **kw)
        return t / 2, ok

    register_measure(Measure("FAKE", family="contrast", scale="sd", label="fake standardized score"))
    register_measure(Measure("FAKE_RAW", family="two-group", scale="raw", label="fake raw difference",
                             kernel=lambda m1, m2, n1, n2: (m1 - m2, 1 / n1 + 1 / n2),
                             arguments=("m1", "m2", "n1", "n2")))
    register_tau2("HALFDL", tau2_half_dl, "half of DerSimonian-Laird")
    yield
    unregister_measure("FAKE")
    unregister_measure("FAKE_RAW")
    TAU2.pop("HALFDL"), TAU2_NAMES.pop("HALFDL")


def test_a_new_measure_and_tau2_method_registered_once_work_everywhere(fake_registrations, tmp_path):
    es = pd.DataFrame({"study_id": ["s1", "s2", "s3"], "yi": [0.4, 0.6, 0.2], "vi": [0.05, 0.04, 0.06],
                       "measure": "FAKE"})
    res = rs.meta_analysis(es, method="HALFDL")
    text = res.summary().as_text()
    assert "HALFDL (half of DerSimonian-Laird)" in text and res.measure == "FAKE"
    dl = rs.meta_analysis(es, method="DL")
    np.testing.assert_allclose(res.tau2, dl.tau2 / 2, **TOL["closed_form"])
    mv = rs.multiverse(es, methods=("HALFDL", "REML"))
    assert list(mv["method_name"].unique()) == ["half of DerSimonian-Laird", "restricted maximum likelihood"]
    from retrostats.planning import n_for_conclusive_update

    assert n_for_conclusive_update(res).n_per_arm >= 0  # an SD-scale measure plans as it stands
    fit = rs.bayes_meta_analysis(es)
    assert fit.mu_prior.params == (0.0, 2.0) and "sd scale of FAKE" in fit.summary().as_text()
    with pytest.raises(DataError, match="FAKE.*instrument's units"):  # no NPRS-point MCID for SD units
        rs.bayes_meta_analysis(es.assign(instrument="NPRS")).clinical_probabilities()
    ax = rs.forest_plot(res)
    assert ax.get_xlabel().startswith("Fake standardized score")
    # a raw measure with a kernel: effect_sizes computes it, Bayes sizes its priors from the instrument
    raw = rs.effect_sizes(measure="FAKE_RAW", m1=[3.0, 2.0], m2=[4.0, 3.5], n1=[10, 12], n2=[10, 11])
    np.testing.assert_allclose(raw["yi"], [-1.0, -1.5], **TOL["closed_form"])
    raw["instrument"] = "NPRS"
    assert rs.bayes_meta_analysis(raw).mu_prior.params == (0.0, 5.0)
    assert "raw difference, NPRS" in rs.forest_plot(rs.meta_analysis(raw)).get_xlabel()
    with pytest.raises(DataError, match="pass outcome_sd="):
        n_for_conclusive_update(rs.meta_analysis(raw))


def test_bayesian_evidence_in_instrument_units_plans_in_sd_units():
    from retrostats.planning import predictive

    fit = rs.bayes_meta_analysis(_registry_md())
    with pytest.raises(DataError, match="pass outcome_sd="):
        predictive(fit, seed=1)
    p = predictive(fit, seed=1, outcome_sd=2.0)
    draws = fit.predictive_sample(20000, 1) / 2.0
    np.testing.assert_allclose([p.mean, p.sd], [draws.mean(), draws.std(ddof=1)], **TOL["closed_form"])


def test_summary_states_the_measure_and_back_transforms_ratios():
    es = _registry_md()
    text = rs.meta_analysis(es).summary().as_text()
    assert "MD (mean difference, NPRS units); positive favours retro" in text
    rom = rs.effect_sizes(measure="ROM", m1=[3.0, 2.8], sd1=[1.5, 1.4], n1=[20, 15], m2=[4.2, 3.5],
                          sd2=[1.6, 1.5], n2=[20, 16])
    res = rs.meta_analysis(rom)
    text = res.summary().as_text()
    assert "Back-transformed (ratio of means)" in text and f"{np.exp(res.estimate):.4f} (95% CI" in text


def test_result_tables_carry_the_meaning(tmp_path):
    res = rs.meta_analysis(_registry_md())
    tab = res.to_frame()
    assert tab.loc[0, ["measure", "instrument", "favours"]].tolist() == ["MD", "NPRS", "retro"]
    tab.to_csv(tmp_path / "r.csv", index=False)
    assert pd.read_csv(tmp_path / "r.csv").loc[0, "favours"] == "retro"


def test_instrument_typos_say_did_you_mean():
    from retrostats.bayes import lookup_scale
    from retrostats.figures.forest import scale_direction
    from retrostats.planning import mcid_effect_size

    for call in (lambda: lookup_scale("NRPS"), lambda: mcid_effect_size("NRPS", 2.0)):
        with pytest.raises(DataError, match="Did you mean 'NPRS'"):
            call()
    with pytest.raises(ValueError, match="Did you mean 'NPRS'"):
        scale_direction("NRPS")


def test_nuts_bayes_factor_in_log_space_without_sampling():
    """The NUTS posterior's Savage-Dickey ratio far from the data: a log of -inf, not a division by zero."""
    from retrostats.bayes.nuts import DrawPosterior

    rng = np.random.default_rng(1)
    post = DrawPosterior({"mu": 100.0 + rng.standard_normal(400)}, mu_logpdf0=-1.6120857137646178)
    assert post.log_bayes_factor_mu0() == -np.inf and post.bayes_factor_mu0() == 0.0
    near = DrawPosterior({"mu": rng.standard_normal(400)}, mu_logpdf0=-1.6120857137646178)
    assert np.isfinite(near.log_bayes_factor_mu0())


def test_binary_measures_mean_the_same_everywhere():
    """OR effects (registered by the binary-outcome work): log scale, back-transformed, no MCID, no SD plan."""
    es = rs.effect_sizes(measure="OR", events1=[4, 6, 3], n1=[20, 20, 20], events2=[9, 10, 4], n2=[21, 20, 20])
    res = rs.meta_analysis(es)
    text = res.summary().as_text()
    assert "OR (log odds ratio)" in text and "Back-transformed (odds ratio)" in text
    assert rs.bayes_meta_analysis(es).mu_prior.params == (0.0, 2.0)
    from retrostats.planning import n_for_conclusive_update

    with pytest.raises(DataError, match="log scale"):
        n_for_conclusive_update(res)
    # drawn as ratios on a log axis (the registry's back-transform); ratio_axis=False keeps the log scale
    assert rs.forest_plot(res).get_xlabel() == "Odds ratio (retro vs control)"
    assert rs.forest_plot(res, ratio_axis=False).get_xlabel() == "Log odds ratio (retro vs control)"


def test_batch_by_checks_meaning_within_each_group_not_across_groups():
    """by= applies the single fit's meaning rules inside each group; groups may differ from one another."""
    d = pd.DataFrame({"rep": [1, 1, 1, 2, 2, 2], "yi": [0.1, 0.3, 0.2, 0.5, 0.4, 0.9],
                      "vi": [0.01, 0.02, 0.03, 0.01, 0.02, 0.04],
                      "measure": ["MD"] * 3 + ["SMD"] * 3, "instrument": ["NPRS"] * 3 + ["NPRS", "VAS", "VAS"]})
    batch = rs.meta_analysis(d, by="rep", method="DL")  # MD on one instrument; SMD may span instruments
    single = rs.meta_analysis(d[d["rep"] == 2], method="DL")
    assert batch.estimate[1] == single.estimate
    with pytest.raises(DataError, match="group 1 of 'rep' mixes measures"):
        rs.meta_analysis(d.assign(measure=["MD", "SMD", "MD", "SMD", "SMD", "SMD"]), by="rep", method="DL")
    with pytest.raises(DataError, match="group 1 of 'rep' has MD effects on different instruments"):
        rs.meta_analysis(d.assign(instrument=["NPRS", "VAS", "NPRS", "NPRS", "VAS", "VAS"]), by="rep",
                         method="DL")
    fav = d.assign(favours=["positive favours retro"] * 5 + ["positive favours control"])
    with pytest.raises(DataError, match="group 2 of 'rep'"):
        rs.meta_analysis(fav, by="rep", method="DL")
    with pytest.raises(DataError, match="not registered"):
        rs.meta_analysis(d.assign(measure=["MD"] * 3 + ["XYZ"] * 3), by="rep", method="DL")
