"""Issue 14: bad input to the binary measures, MH/Peto, meta_analysis_mv and robust() fails clearly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats.exceptions import DataError, DataWarning
from retrostats.measures import get_measure

EV = {"events1": [4, 0, 6], "n1": [20, 25, 30], "events2": [9, 3, 6], "n2": [21, 24, 30]}


COLS = {"events1": "events1", "n1": "n1", "events2": "events2", "n2": "n2"}


def test_binary_measures_are_registered():
    assert [get_measure(m).family for m in ("OR", "RR", "RD", "PETO")] == ["binary"] * 4
    assert [get_measure(m).scale for m in ("OR", "RR", "RD", "PETO")] == ["log", "log", "risk", "log"]
    assert get_measure("OR").back(0.0) == 1.0


def test_registry_kernel_equals_effect_sizes():
    es = rs.effect_sizes(measure="RR", **EV)
    y, v = get_measure("RR").kernel(*(np.asarray(EV[k], float) for k in ("events1", "n1", "events2", "n2")))
    np.testing.assert_array_equal(es["yi"], y)
    np.testing.assert_array_equal(es["vi"], v)


def test_derivation_records_the_continuity_correction():
    es = rs.effect_sizes(measure="OR", **EV)
    steps = [json.loads(d) for d in es["derivation"]]
    assert [s["step"] for s in steps[0]] == ["OR"]
    assert steps[1][0]["step"] == "continuity" and steps[1][0]["add"] == 0.5 and steps[1][0]["to"] == "only0"
    es = rs.effect_sizes(measure="OR", to="if0all", **EV)
    assert all(json.loads(d)[0]["step"] == "continuity" for d in es["derivation"])


def test_double_zero_is_named_in_the_derivation():
    es = rs.effect_sizes(measure="RR", events1=[0, 2], n1=[10, 10], events2=[0, 4], n2=[12, 10])
    assert "double_zero" in [s["step"] for s in json.loads(es["derivation"][0])]


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"events1": [-1, 0, 6]}, "must not be negative"),
        ({"events1": [25, 0, 6]}, "events1 is larger than n1"),
        ({"events2": [9, 30, 6]}, "events2 is larger than n2"),
        ({"n1": [0, 25, 30], "events1": [0, 0, 6]}, "empty group"),
        ({"events1": [np.nan, 0, 6]}, "events1"),
        ({"n2": [21, 24]}, "different lengths"),
    ],
)
def test_bad_counts(bad, match):
    with pytest.raises(DataError, match=match):
        rs.effect_sizes(measure="OR", **{**EV, **bad})
    with pytest.raises(DataError, match=match):
        rs.meta_analysis_mh(measure="OR", **{**EV, **bad})


def test_zero_cell_without_correction_is_refused():
    with pytest.raises(DataError, match="to='only0'"):
        rs.effect_sizes(measure="OR", to="none", **EV)


def test_unknown_to():
    with pytest.raises(ValueError, match="to"):
        rs.effect_sizes(measure="OR", to="some", **EV)


def test_no_events_at_all_is_refused():
    with pytest.raises(DataError, match="no events"):
        rs.meta_analysis_mh(measure="OR", events1=[0, 0], n1=[10, 10], events2=[0, 0], n2=[10, 10])


def test_binary_result_surface():
    d = pd.DataFrame({"study": ["a", "b", "c"], **EV})
    res = rs.meta_analysis_mh(d, measure="OR", **COLS)
    assert res.labels == ("a", "b", "c")
    frame = res.to_frame()
    assert frame.loc[0, "exp_estimate"] == pytest.approx(np.exp(res.estimate), rel=1e-12)
    text = str(res.summary())
    assert "Mantel-Haenszel" in text and "Cochran-Mantel-Haenszel" in text and "Tarone" in text
    rd = rs.meta_analysis_mh(d, measure="RD", **COLS)
    assert np.isnan(rd.exp_estimate) and np.isnan(rd.cmh_statistic)
    assert "Peto" in str(rs.meta_analysis_peto(d, **COLS).summary())


def test_binary_forest_plot():
    ax = rs.meta_analysis_peto(pd.DataFrame(EV), **COLS).plot_forest()
    assert "pooled-diamond" in [p.get_gid() for p in ax.patches]


# -------------------------------------------------------------------------------------------- multilevel
def frame():
    return pd.DataFrame(
        {
            "trial": ["a", "a", "b", "b", "c", "c", "d", "d", "e"],
            "time": ["4w", "8w"] * 4 + ["4w"],
            "yi": [-0.3, -0.5, -0.6, -0.8, -0.1, -0.2, -0.5, -0.7, -0.4],
            "vi": [0.04, 0.05, 0.06, 0.06, 0.03, 0.04, 0.08, 0.09, 0.05],
            "dose": [10, 20, 15, 30, 5, 10, 20, 40, 25],
        }
    )


def test_every_cluster_with_one_effect_is_refused():
    d = frame().drop_duplicates("trial")
    with pytest.raises(DataError, match="not identifiable"):
        rs.meta_analysis_mv(d, cluster="trial")


def test_singular_v_is_refused():
    d = frame()
    V = rs.impute_covariance(d["vi"], d["trial"], 0.6)
    V[0, 1] = V[1, 0] = np.sqrt(V[0, 0] * V[1, 1])  # correlation 1 within trial a
    with pytest.raises(DataError, match="singular.*'a'"):
        rs.meta_analysis_mv(d, V=V, cluster="trial")


def test_v_of_wrong_size_is_refused():
    d = frame()
    with pytest.raises(DataError, match="V has shape"):
        rs.meta_analysis_mv(d, V=np.eye(4), cluster="trial")


def test_asymmetric_v_is_refused():
    d = frame()
    V = np.diag(d["vi"].to_numpy())
    V[0, 1] = 0.01
    with pytest.raises(DataError, match="not symmetric"):
        rs.meta_analysis_mv(d, V=V, cluster="trial")


def test_non_nested_v_is_refused():
    d = frame()
    V = np.diag(d["vi"].to_numpy())
    V[0, 2] = V[2, 0] = 0.01  # trial a row 0 with trial b row 2
    with pytest.raises(DataError, match="different clusters"):
        rs.meta_analysis_mv(d, V=V, cluster="trial")


def test_robust_cluster_must_nest_model_clusters():
    res = rs.meta_analysis_mv(frame(), cluster="trial")
    split = ["x", "y", "x", "x", "y", "y", "z", "z", "z"]  # trial a split across x and y
    with pytest.raises(DataError, match="non-nested"):
        res.robust("CR2", cluster=split)


def test_robust_needs_enough_clusters_and_matching_length():
    res = rs.meta_analysis(yi=[0.1, 0.3, 0.2, 0.5], vi=[0.02] * 4)
    with pytest.raises(DataError, match="clusters cannot"):
        res.robust("CR2", cluster=[1, 1, 1, 1])
    with pytest.raises(DataError, match="cluster has 3 values"):
        res.robust("CR2", cluster=[1, 2, 3])
    with pytest.raises(ValueError, match="needs cluster="):
        res.robust("CR2")
    with pytest.raises(ValueError, match="adjust"):
        res.robust("HC0", cluster=[1, 1, 2, 2])


def test_missing_cluster_and_missing_effects():
    d = frame()
    d.loc[3, "trial"] = None
    with pytest.raises(DataError, match="cluster is missing in row 3"):
        rs.meta_analysis_mv(d, cluster="trial")
    d = frame()
    d.loc[2, "yi"] = np.nan
    with pytest.warns(DataWarning, match=r"row\(s\) 2"):
        res = rs.meta_analysis_mv(d, cluster="trial")
    assert res.k == 8


def test_rho_equals_explicit_v_and_sparse_v():
    d = frame()
    a = rs.meta_analysis_mv(d, cluster="trial", rho=0.5)
    b = rs.meta_analysis_mv(d, cluster="trial", V=rs.impute_covariance(d["vi"], d["trial"], 0.5))
    c = rs.meta_analysis_mv(d, cluster="trial", V=rs.impute_covariance(d["vi"], d["trial"], 0.5, as_sparse=True))
    assert a.estimate == pytest.approx(b.estimate, rel=1e-12) == pytest.approx(c.estimate, rel=1e-12)


def test_rows_order_does_not_matter():
    d = frame()
    a = rs.meta_analysis_mv(d, cluster="trial", effect_id="time", mods="dose")
    b = rs.meta_analysis_mv(d.iloc[::-1], cluster="trial", effect_id="time", mods="dose")
    np.testing.assert_allclose(a.coefficients["estimate"], b.coefficients["estimate"], rtol=1e-9)
    np.testing.assert_allclose(a.sigma2, b.sigma2, rtol=1e-7, atol=1e-12)


def test_predict_and_wald_arguments():
    res = rs.meta_analysis_mv(frame(), cluster="trial", mods="dose")
    p = res.predict(newmods=pd.DataFrame({"dose": [10, 30]}))
    assert list(p.columns) == ["pred", "se", "ci_low", "ci_high", "pi_low", "pi_high"]
    assert (p["pi_low"] <= p["ci_low"]).all()
    with pytest.raises(ValueError, match="unknown coefficient"):
        res.wald_test(["speed"])
    with pytest.raises(ValueError, match="lacks moderator"):
        res.predict(newmods=pd.DataFrame({"weeks": [1]}))
    with pytest.raises(ValueError, match="out of range"):
        res.wald_test([5])


def test_lrt_refuses_non_comparable_fits():
    a = rs.meta_analysis(yi=[0.1, 0.3, 0.2, 0.5], vi=[0.02] * 4, method="ML")
    b = rs.meta_analysis(yi=[0.1, 0.3, 0.2, 0.5], vi=[0.02] * 4, method="REML")
    with pytest.raises(ValueError, match="different methods"):
        a.likelihood_ratio_test(b)
    with pytest.raises(ValueError, match="not nested"):
        a.likelihood_ratio_test(a)


def test_che_summary_reports_cr2():
    res = rs.meta_analysis_mv(frame(), cluster="trial", effect_id="time", preset="che")
    text = str(res.summary())
    assert "CR2" in text and "r = 0.6" in text
    assert list(res.to_frame().columns[:2]) == ["term", "estimate"]


def test_meta_analysis_cluster_is_robust_default():
    d = frame()
    res = rs.meta_analysis(d, cluster="trial")
    a = res.robust("CR2")
    b = rs.meta_analysis(d).robust("CR2", cluster=d["trial"])
    c = rs.meta_analysis(d).robust("CR2", cluster="trial", data=d)
    assert a.se == b.se == c.se and a.df == b.df
    d.loc[2, "trial"] = None
    with pytest.raises(DataError, match="cluster is missing for row 2"):
        rs.meta_analysis(d, cluster="trial")


# -------------------------------------------------------------------------------------------- dose-response
def test_dose_response_takes_doses_from_the_registry():
    trials = rs.load_dataset("retro_trials")
    have = trials.dropna(subset=["minutes_per_session", "sessions_per_week", "weeks"]).head(6)
    rng = np.random.default_rng(14)  # synthetic effects on real registry trial ids (the dose comes from them)
    eff = pd.DataFrame(
        {
            "study_id": list(have["study_id"]) + ["not_in_registry"],
            "yi": rng.normal(-0.5, 0.2, 7),
            "vi": rng.uniform(0.03, 0.1, 7),
            "measure": "SMD",
        }
    )
    with pytest.warns(DataWarning, match="not_in_registry"):
        res = rs.dose_response(eff, dose="total_minutes")
    want = (have["minutes_per_session"] * have["sessions_per_week"] * have["weeks"]).to_numpy(dtype=float)
    np.testing.assert_allclose(res.data["dose"], want)
    assert res.dropped == ("not_in_registry",) and res.measure == "SMD"
    fit = rs.meta_analysis(res.data, mods="dose", test="knha", multiarm="ignore")
    assert res.slope["estimate"] == pytest.approx(fit.coefficients.loc["dose", "estimate"], rel=1e-12)
    p = res.predictions
    assert (p["pi_low"] <= p["ci_low"]).all() and (p["ci_high"] <= p["pi_high"]).all()
    ax = res.plot()
    bubbles = next(c for c in ax.collections if c.get_gid() == "dose-bubbles")
    np.testing.assert_allclose(bubbles.get_offsets()[:, 0], res.data["dose"])


def test_dose_response_on_the_shipped_registry_says_what_is_missing():
    with pytest.raises(DataError, match="at least 3 effects"):  # the registry has one usable pain SMD so far
        rs.dose_response(outcome="pain", dose="weeks")


def test_dose_response_with_several_effects_per_trial_uses_multilevel():
    d = frame().rename(columns={"trial": "study_id"})
    res = rs.dose_response(d, dose="dose")
    assert type(res.fit).__name__ == "MultilevelResult" and res.fit.test == "t"


def test_dose_response_needs_doses():
    d = pd.DataFrame({"study_id": ["a", "b", "c"], "yi": [0.1, 0.2, 0.3], "vi": [0.1] * 3, "weeks": [6, 6, 6]})
    with pytest.raises(DataError, match="2 or more doses"):
        rs.dose_response(d, dose="weeks")


def test_multilevel_forest_plot():
    d = frame()
    res = rs.meta_analysis_mv(d, cluster="trial", effect_id="time")
    ax = res.plot_forest()
    sq = next(c for c in ax.collections if c.get_gid() == "study-squares")
    assert sorted(np.round(sq.get_offsets()[:, 0], 12)) == sorted(np.round(d["yi"], 12))


def test_user_weights_bad_input_and_refusals():
    y, v = [0.1, 0.3, 0.2, 0.5], [0.02, 0.03, 0.02, 0.04]
    with pytest.raises(DataError, match="weights"):
        rs.meta_analysis(yi=y, vi=v, weights=[1, -1, 1, 1])
    with pytest.raises(DataError, match="weights has 3 values"):
        rs.meta_analysis(yi=y, vi=v, weights=[1, 1, 1])
    with pytest.raises(DataError, match="all zero"):
        rs.meta_analysis(yi=y, vi=v, weights=[0, 0, 0, 0])
    with pytest.raises(ValueError, match="subgroup= or preset="):
        rs.meta_analysis(yi=y, vi=v, weights=[1, 2, 3, 4], subgroup=["a", "a", "b", "b"])
    res = rs.meta_analysis(yi=y, vi=v, weights=[1, 2, 3, 4])
    plain = rs.meta_analysis(yi=y, vi=v)
    assert res.provenance.checksum != plain.provenance.checksum and "weights=<user>" in res.provenance.call
    for verb in ("loglik", "se_tau2", "influence", "robust"):
        with pytest.raises(ValueError, match="user weights"):
            getattr(res, verb)
    assert res.tau2 == plain.tau2 and res.q == plain.q  # tau2 and Q ignore the weights, as metafor
    same = rs.meta_analysis(yi=y, vi=v, weights=1 / (np.array(v) + plain.tau2))
    assert same.estimate == pytest.approx(plain.estimate, rel=1e-12)
    assert same.se == pytest.approx(plain.se, rel=1e-10)
