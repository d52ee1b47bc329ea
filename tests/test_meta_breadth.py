"""R parity for issue 14 (review breadth) against tests/reference/r/meta_breadth.R (metafor 3.8.1, clubSandwich 0.5.8).

Binary escalc, rma.mh, rma.peto, rma.mv, CR2 (clubSandwich coef_test), CR1 (metafor robust), impute_covariance,
predict, anova(btt=), LRT, fit statistics, se.tau2 and profile-likelihood tau2 CIs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TOL, load_reference, published_tol

import retrostats as rs

pytestmark = pytest.mark.r_parity

REF = load_reference("meta_breadth")
CHECKED: dict[str, int] = {}


COLS = {"events1": "events1", "n1": "n1", "events2": "events2", "n2": "n2"}


def close(ours, ref, tol, what):
    ref = np.array([np.nan if v is None else v for v in np.atleast_1d(ref)], dtype=float)
    np.testing.assert_allclose(np.atleast_1d(np.asarray(ours, dtype=float)), ref, equal_nan=True, err_msg=what, **tol)


def table(name):
    t = REF["tables"][name]
    return pd.DataFrame({"events1": t["ai"], "n1": t["n1i"], "events2": t["ci"], "n2": t["n2i"]})


# ------------------------------------------------------------------------------------------ binary escalc
@pytest.mark.parametrize("case", REF["escalc"], ids=lambda c: f"{c['data']}-{c['measure']}-{c['to']}-{c['add']}")
def test_escalc_binary(case):
    es = rs.effect_sizes(
        table(case["data"]),
        measure=case["measure"],
        events1="events1",
        n1="n1",
        events2="events2",
        n2="n2",
        add=case["add"],
        to=case["to"],
    )
    close(es["yi"], case["yi"], TOL["closed_form"], "yi")
    close(es["vi"], case["vi"], TOL["closed_form"], "vi")


def test_escalc_grid_is_complete():
    got = {(c["data"], c["measure"], c["to"], c["add"]) for c in REF["escalc"]}
    for data in REF["tables"]:
        zeros = (table(data) == 0).any().any() or (table(data)["events1"] == table(data)["n1"]).any()
        for m in ("OR", "RR", "RD", "PETO"):
            for to in ("only0", "all", "if0all"):
                assert {(data, m, to, 0.5), (data, m, to, 1)} <= got
            assert ((data, m, "none", 0.5) in got) != zeros


# ------------------------------------------------------------------------------------------ MH and Peto
MH_FIELDS = {
    "estimate": "estimate",
    "se": "se",
    "statistic": "zval",
    "p_value": "pval",
    "ci_low": "ci_lb",
    "ci_high": "ci_ub",
    "q": "QE",
    "q_p_value": "QEp",
    "i2": "I2",
    "h2": "H2",
    "cmh_statistic": "MH",
    "cmh_p_value": "MHp",
    "tarone_statistic": "TA",
    "tarone_p_value": "TAp",
}


@pytest.mark.parametrize("case", REF["mh"], ids=lambda c: f"{c['data']}-{c['measure']}")
def test_rma_mh(case):
    res = rs.meta_analysis_mh(table(case["data"]), measure=case["measure"], **COLS)
    assert res.k == case["k"] and res.q_df == case["k_yi"] - 1
    for ours, theirs in MH_FIELDS.items():
        if case["measure"] != "OR" and ours.startswith(("cmh", "tarone")):
            assert np.isnan(getattr(res, ours))
            continue
        close(getattr(res, ours), case[theirs], TOL["closed_form"], ours)
    if case["measure"] != "RD":
        close(res.exp_estimate, np.exp(case["estimate"]), TOL["closed_form"], "exp")
    res90 = rs.meta_analysis_mh(table(case["data"]), measure=case["measure"], confidence_level=0.9, **COLS)
    close(res90.ci_low, case["level90_ci_lb"], TOL["closed_form"], "90% CI")


@pytest.mark.parametrize("case", REF["peto"], ids=lambda c: c["data"])
def test_rma_peto(case):
    res = rs.meta_analysis_peto(table(case["data"]), **COLS)
    assert res.k == case["k"] and res.q_df == case["k_yi"] - 1
    for ours, theirs in list(MH_FIELDS.items())[:10]:
        close(getattr(res, ours), case[theirs], TOL["closed_form"], ours)


def test_binary_grids_are_complete():
    assert {(c["data"], c["measure"]) for c in REF["mh"]} == {(d, m) for d in REF["tables"] for m in ("OR", "RR", "RD")}
    assert {c["data"] for c in REF["peto"]} == set(REF["tables"])


def test_yusuf_peto_published_example():
    # metafor's documented example: rma.peto on dat.yusuf1985 table 6 (the "Snow 1" row is missing there)
    res = rs.meta_analysis_peto(table("yusuf6"), **COLS)
    assert res.k == 21 and res.q_df == 17  # three double-zero tables leave Q


# ------------------------------------------------------------------------------------------ multilevel
def mv_fit(case, **kw):
    kon, ber = REF["kon"], REF["ber"]
    if case["data"] == "kon":
        d = pd.DataFrame(
            {
                "yi": kon["yi"],
                "vi": kon["vi"],
                "district": kon["district"],
                "school": kon["school"],
                "year_c": kon["year_c"],
            }
        )
        mods = None if case["mods"] == "none" else case["mods"]
        return rs.meta_analysis_mv(
            d, cluster="district", effect_id="school", mods=mods, method=case["method"], test=case["test"], **kw
        )
    if case["data"] == "che06":
        n = len(kon["yi"])
        V = np.array(REF["Vche"]).reshape(n, n, order="F")
        return rs.meta_analysis_mv(
            yi=np.array(kon["yi"]),
            V=V,
            cluster=kon["district"],
            effect_id=kon["study"],
            method=case["method"],
            test=case["test"],
            **kw,
        )
    n = len(ber["yi"])
    V = np.array(ber["V"]).reshape(n, n, order="F")
    return rs.meta_analysis_mv(
        yi=np.array(ber["yi"]),
        V=V,
        cluster=ber["trial"],
        effect_id=ber["outcome"],
        mods=np.array(ber["is_al"]),
        method=case["method"],
        test=case["test"],
        **kw,
    )


@pytest.mark.parametrize("case", REF["mv"], ids=lambda c: f"{c['data']}-{c['mods']}-{c['method']}-{c['test']}")
def test_rma_mv(case):
    res = mv_fit(case)
    it = TOL["iterative"]
    c = res.coefficients
    close(res.sigma2, case["sigma2"], it, "sigma2")
    for ours, theirs in (
        ("estimate", "beta"),
        ("se", "se"),
        ("statistic", "zval"),
        ("p_value", "pval"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
    ):
        close(c[ours], case[theirs], it, ours)
    close(res.vcov.ravel(order="F"), case["vb"], it, "vb")
    close(res.q, case["QE"], TOL["closed_form"], "QE")
    close(res.q_p_value, case["QEp"], TOL["closed_form"], "QEp")
    if case["mods"] != "none":
        close(res.qm, case["QM"], it, "QM")
        close(res.qm_p_value, case["QMp"], it, "QMp")
    close(res.loglik, case["ll"], it, "loglik")
    close([res.aic, res.bic, res.aicc], [case["AIC"], case["BIC"], case["AICc"]], it, "AIC BIC AICc")
    assert res.k == case["k"]
    if case["test"] == "t":
        close(res.coefficients["df"], case["df"], TOL["closed_form"], "df")
    cr2 = res.robust("CR2").coefficients
    close(cr2["se"], case["cr2"]["se"], it, "CR2 se")
    close(cr2["statistic"], case["cr2"]["tstat"], it, "CR2 t")
    close(cr2["df"], case["cr2"]["df"], it, "CR2 Satterthwaite df")
    close(cr2["p_value"], case["cr2"]["pval"], it, "CR2 p")
    close(res.robust("CR2").vcov.ravel(order="F"), case["cr2"]["vcov"], it, "CR2 vcov")
    cr1 = res.robust("CR1").coefficients
    for ours, theirs in (
        ("se", "se"),
        ("statistic", "tval"),
        ("p_value", "pval"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
        ("df", "df"),
    ):
        want = np.broadcast_to(case["cr1"][theirs], len(cr1)) if ours == "df" else case["cr1"][theirs]
        close(cr1[ours], want, it, f"CR1 {ours}")


def test_mv_grid_is_complete():
    got = {(c["data"], c["mods"], c["method"], c["test"]) for c in REF["mv"]}
    want = {
        (d, m, meth, t)
        for d, m in (("kon", "none"), ("kon", "year_c"), ("ber", "is_al"), ("che06", "none"))
        for meth in ("REML", "ML")
        for t in ("z", "t")
    }
    assert got == want


def test_impute_covariance_matches_clubsandwich():
    kon = REF["kon"]
    V = rs.impute_covariance(kon["vi"], kon["district"], 0.6)
    close(V.ravel(order="F"), REF["Vche"], TOL["closed_form"], "V")
    Vs = rs.impute_covariance(kon["vi"], kon["district"], 0.6, as_sparse=True)
    close(Vs.toarray().ravel(order="F"), REF["Vche"], TOL["closed_form"], "sparse V")


@pytest.mark.parametrize("case", REF["che"], ids=lambda c: f"r{c['r']}")
def test_che_sensitivity(case):
    kon = REF["kon"]
    d = pd.DataFrame({"yi": kon["yi"], "vi": kon["vi"], "district": kon["district"], "study": kon["study"]})
    tab = rs.meta.che_sensitivity(d, cluster="district", effect_id="study", r=(case["r"],))
    it = TOL["iterative"]
    close(tab["estimate"], case["beta"], it, "estimate")
    close(tab[["sigma2_cluster", "sigma2_effect"]].to_numpy()[0], case["sigma2"], it, "sigma2")
    close(tab["se"], case["se_cr2"], it, "CR2 se")
    close(tab["df"], case["df"], it, "CR2 df")
    close(tab["p_value"], case["pval"], it, "CR2 p")


def test_che_preset_defaults_to_r06():
    kon = REF["kon"]
    d = pd.DataFrame({"yi": kon["yi"], "vi": kon["vi"], "district": kon["district"], "study": kon["study"]})
    res = rs.meta_analysis_mv(d, cluster="district", effect_id="study", preset="che")
    ref = next(c for c in REF["che"] if c["r"] == 0.6)
    assert res.rho == 0.6 and res.test == "t"
    close(res.estimate, ref["beta"], TOL["iterative"], "estimate")
    assert "r = 0.6" in str(res.summary())


@pytest.mark.parametrize("case", REF["uni"], ids=lambda c: c["mods"])
def test_univariate_robust(case):
    kon = REF["kon"]
    mods = None if case["mods"] == "none" else np.array(kon["year_c"])
    res = rs.meta_analysis(yi=kon["yi"], vi=kon["vi"], mods=mods, tol=1e-14)
    it = TOL["iterative"]
    close(res.tau2, case["tau2"], it, "tau2")
    cr2 = res.robust("CR2", cluster=kon["district"]).coefficients
    close(cr2["se"], case["cr2"]["se"], it, "CR2 se")
    close(cr2["statistic"], case["cr2"]["tstat"], it, "CR2 t")
    close(cr2["df"], case["cr2"]["df"], it, "CR2 df")
    close(cr2["p_value"], case["cr2"]["pval"], it, "CR2 p")
    cr1 = res.robust("CR1", cluster=kon["district"]).coefficients
    for ours, theirs in (
        ("se", "se"),
        ("statistic", "tval"),
        ("p_value", "pval"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
        ("df", "df"),
    ):
        want = np.broadcast_to(case["cr1"][theirs], len(cr1)) if ours == "df" else case["cr1"][theirs]
        close(cr1[ours], want, it, f"CR1 {ours}")


# ------------------------------------------------------------------------------------------ predictions, tests
def bcg_fit(mods=("ablat",), **kw):
    b = REF["bcg"]
    d = pd.DataFrame({"yi": b["yi"], "vi": b["vi"], "ablat": b["ablat"], "year": b["year"]})
    return rs.meta_analysis(d, mods=list(mods) or None, tol=1e-14, **kw)


def kon_mv(mods=None, **kw):
    kon = REF["kon"]
    d = pd.DataFrame(
        {
            "yi": kon["yi"],
            "vi": kon["vi"],
            "district": kon["district"],
            "school": kon["school"],
            "year_c": kon["year_c"],
            "sq": np.array(kon["year_c"]) ** 2,
        }
    )
    return rs.meta_analysis_mv(d, cluster="district", effect_id="school", mods=mods, **kw)


@pytest.mark.parametrize("case", REF["predict"], ids=lambda c: f"{c['model']}-{c['test']}")
def test_predict(case):
    if case["model"] == "bcg_ablat":
        res, new = bcg_fit(test=case["test"]), [10, 30, 50]
        tol = TOL["iterative"]
    elif case["model"] == "bcg_intercept":
        res, new, tol = bcg_fit(()), None, TOL["iterative"]
    else:
        res, new, tol = kon_mv("year_c", test=case["test"]), [-10, 0, 10], TOL["iterative"]
    p = res.predict(newmods=new)
    for ours, theirs in (
        ("pred", "pred"),
        ("se", "se"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
        ("pi_low", "pi_lb"),
        ("pi_high", "pi_ub"),
    ):
        close(p[ours], case[theirs], tol, ours)
    if "exp_pred" in case:
        pt = res.predict(newmods=new, transform=np.exp)
        close(pt["pred"], case["exp_pred"], tol, "exp pred")
        close(pt["ci_low"], case["exp_ci_lb"], tol, "exp ci")
        close(pt["pi_high"], case["exp_pi_ub"], tol, "exp pi")
        assert pt["se"].isna().all()


@pytest.mark.parametrize("case", REF["wald"], ids=lambda c: f"{c['model']}-{c['test']}-{len(c['btt'])}")
def test_wald_test(case):
    if case["model"] == "bcg_ablat_year":
        res = bcg_fit(("ablat", "year"), test=case["test"])
    else:
        res = kon_mv(["year_c", "sq"], test=case["test"])
    names = [res.coefficients.index[i] for i in case["btt"]]
    stat, df, p = res.wald_test(names)
    close(stat, case["QM"], TOL["iterative"], "QM")
    close(p, case["QMp"], TOL["iterative"], "QMp")
    close(np.atleast_1d(df), case["df"], TOL["closed_form"], "df")
    assert res.wald_test(case["btt"])[0] == stat  # positions work too


@pytest.mark.parametrize("case", REF["fitstats_uni"], ids=lambda c: f"{c['method']}-{c['mods']}")
def test_fit_statistics_and_tau2(case):
    res = bcg_fit(() if case["mods"] == "none" else ("ablat",), method=case["method"])
    it = TOL["iterative"]
    close(res.tau2, case["tau2"], it, "tau2")
    close(res.se_tau2, case["se_tau2"], it, "se_tau2")
    close([res.loglik, res.aic, res.bic, res.aicc], [case["ll"], case["AIC"], case["BIC"], case["AICc"]], it, "fit")
    close(res.tau2_profile_ci(), case["pl_tau2"], it, "profile-likelihood CI")


def test_likelihood_ratio_tests():
    it = TOL["iterative"]
    ref = {c["model"]: c for c in REF["lrt"]}
    full, red = bcg_fit(method="ML"), bcg_fit((), method="ML")
    stat, df, p = full.likelihood_ratio_test(red)
    close([stat, p], [ref["bcg_ablat_ML"]["LRT"], ref["bcg_ablat_ML"]["pval"]], it, "LRT uni")
    assert df == ref["bcg_ablat_ML"]["df"]
    stat, df, p = kon_mv("year_c", method="ML").likelihood_ratio_test(kon_mv(method="ML"))
    close([stat, p], [ref["kon_year_ML"]["LRT"], ref["kon_year_ML"]["pval"]], it, "LRT mv")
    stat, df, p = kon_mv().likelihood_ratio_test(kon_mv(sigma2=(np.nan, 0.0)))
    close([stat, p], [ref["kon_REML_sigma2_2_zero"]["LRT"], ref["kon_REML_sigma2_2_zero"]["pval"]], it, "LRT s2")
    assert df == 1
    with pytest.raises(ValueError, match="method='ML'"):
        bcg_fit().likelihood_ratio_test(bcg_fit(()))


@pytest.mark.parametrize("case", REF["weights"], ids=lambda c: f"{c['method']}-{c['test']}-{c['mods']}")
def test_user_weights(case):
    res = bcg_fit(
        () if case["mods"] == "none" else ("ablat",),
        method=case["method"],
        test=case["test"],
        weights=np.array(REF["ni"], dtype=float),
    )
    tol = TOL["closed_form"] if case["method"] in ("DL", "EE") else TOL["iterative"]
    c = res.coefficients
    for ours, theirs in (
        ("estimate", "beta"),
        ("se", "se"),
        ("statistic", "zval"),
        ("p_value", "pval"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
    ):
        close(c[ours], case[theirs], tol, ours)
    for ours, theirs in (("tau2", "tau2"), ("q", "QE"), ("q_p_value", "QEp"), ("i2", "I2"), ("h2", "H2")):
        close(getattr(res, ours), case[theirs], tol, ours)
    if case["mods"] != "none":
        close([res.qm, res.qm_p_value], [case["QM"], case["QMp"]], tol, "QM")
    close(res.weights, case["weights"], tol, "weights")
    p = res.predict(newmods=None if case["mods"] == "none" else [30])
    close([p["pred"][0], p["se"][0]], [case["pred"], case["pred_se"]], tol, "predict")
    if case["pi_lb"] is None:  # metafor gives no PI for EE fits; ours equals the CI there (tau2 = 0)
        assert (p["pi_low"][0], p["pi_high"][0]) == (p["ci_low"][0], p["ci_high"][0])
    else:
        close([p["pi_low"][0], p["pi_high"][0]], [case["pi_lb"], case["pi_ub"]], tol, "predict PI")
        if case["mods"] == "none":
            close([res.pi_low, res.pi_high], [case["pi_lb"], case["pi_ub"]], tol, "pi")
    with pytest.raises(ValueError, match="user weights"):
        res.leave_one_out()
    assert "user-supplied weights" in str(res.summary())


def test_weights_grid_is_complete():
    got = {(c["method"], c["test"], c["mods"]) for c in REF["weights"]}
    assert got == {(m, t, x) for m in ("REML", "DL", "EE") for t in ("z", "knha") for x in ("none", "ablat")}


# ------------------------------------------------------------------------------------------ published examples
KON_URL = "https://github.com/wviechtb/metafor/blob/master/tests/testthat/test_analysis_example_konstantopoulos2011.r"
YUSUF_URL = "https://github.com/wviechtb/metafor/blob/master/tests/testthat/test_analysis_example_yusuf1985.r"
PUBLISHED = [
    # (source_url, source_location, method, mods, quantity, printed values)
    (KON_URL, "three-level ML model, 'page 71 (Table 5)'", "ML", None, "estimate", ["0.1845"]),
    (KON_URL, "three-level ML model, 'page 71 (Table 5)'", "ML", None, "se", ["0.0805"]),
    (KON_URL, "three-level ML model, 'page 71 (Table 5)'", "ML", None, "sigma2", ["0.0577", "0.0329"]),
    (KON_URL, "three-level ML model, predict()", "ML", None, "pi", ["-0.4262", "0.7951"]),
    (KON_URL, "three-level ML mixed-effects model, 'page 71 (Table 5)'", "ML", "year", "coef", ["0.1780", "0.0051"]),
    (KON_URL, "three-level ML mixed-effects model, 'page 71 (Table 5)'", "ML", "year", "ses", ["0.0805", "0.0085"]),
    (KON_URL, "three-level ML mixed-effects model, 'page 71 (Table 5)'", "ML", "year", "sigma2", ["0.0565", "0.0329"]),
    (KON_URL, "three-level REML model (metafor's own values)", "REML", None, "estimate", ["0.1847"]),
    (KON_URL, "three-level REML model (metafor's own values)", "REML", None, "se", ["0.0846"]),
    (KON_URL, "three-level REML model (metafor's own values)", "REML", None, "sigma2", ["0.0651", "0.0327"]),
    (KON_URL, "three-level REML model (metafor's own values)", "REML", None, "loglik", ["-7.9587"]),
]


@pytest.mark.parametrize("src,where,method,mods,what,printed", PUBLISHED, ids=lambda x: str(x)[:30])
def test_published_konstantopoulos(src, where, method, mods, what, printed):
    kon = REF["kon"]
    d = pd.DataFrame(
        {
            "yi": kon["yi"],
            "vi": kon["vi"],
            "district": kon["district"],
            "study": kon["study"],
            "year": np.array(kon["year_c"]) + 1990.0,
        }
    )
    d["year"] = d["year"] - d["year"].mean()
    res = rs.meta_analysis_mv(d, cluster="district", effect_id="study", method=method, mods=mods)
    got = {
        "estimate": [res.estimate],
        "se": [res.se],
        "sigma2": list(res.sigma2),
        "loglik": [res.loglik],
        "pi": list(res.predict()[["pi_low", "pi_high"]].iloc[0]) if mods is None else None,
        "coef": list(res.coefficients["estimate"]),
        "ses": list(res.coefficients["se"]),
    }[what]
    for g, p in zip(got, printed):
        assert abs(g - float(p)) <= published_tol(p), (src, where, what, g, p)


def test_published_yusuf_peto():
    # source_url: YUSUF_URL; source_location: "analysis using Peto's method ... page 107": .93, .74, 1.18
    res = rs.meta_analysis_peto(table("yusuf6"), **COLS)
    for g, p in zip((res.exp_estimate, res.exp_ci_low, res.exp_ci_high), (".93", ".74", "1.18")):
        assert abs(g - float(p)) <= published_tol(p), (YUSUF_URL, g, p)
