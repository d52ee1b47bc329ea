"""R parity of retrostats.meta against metafor 3.8.1 (tests/reference/r/meta_rma.R)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from conftest import TOL, load_reference

import retrostats as rs
from retrostats.exceptions import SmallSampleWarning

pytestmark = pytest.mark.r_parity

REF = load_reference("meta_rma")
GRID = REF["grid"]
CLOSED = {"EE", "DL", "HE", "HS", "SJ"}
ITERATIVE = {"ML", "REML", "EB", "PM"}


def tol_for(method: str) -> dict:
    return TOL["closed_form"] if method in CLOSED else TOL["iterative"]


def arr(x):
    if x is None:
        return np.nan
    if isinstance(x, list):
        return np.array([np.nan if v is None else float(v) for v in x])
    return float(x)


def close(ours, ref, tol, what):
    if isinstance(ref, list) and not ref:  # metafor returns NULL (e.g. tau2 of EE leave-one-out fits)
        return
    np.testing.assert_allclose(np.asarray(ours, dtype=float), arr(ref), equal_nan=True, err_msg=what, **tol)


def data(name):
    d = REF["datasets"][name]
    return np.array(d["yi"], dtype=float), np.array(d["vi"], dtype=float)


def fit(name, method, test, **kw):
    y, v = data(name)
    return rs.meta_analysis(yi=y, vi=v, method=method, test=test, **kw)


def test_grid_is_complete():
    assert set(GRID["methods"]) == {"EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"}
    assert set(GRID["tests"]) == {"z", "knha"}
    expected = {"|".join(c) for c in itertools.product(GRID["datasets"], GRID["methods"], GRID["tests"])}
    assert set(REF["fits"]) == expected
    assert set(REF["trimfill"]) == {"|".join(c) for c in itertools.product(GRID["datasets"], GRID["methods"])}
    assert set(REF["ranktest"]) == set(GRID["datasets"]) == set(REF["regtest_lm"])
    assert len(REF["metareg"]) == 9 * 2 * 2 and len(REF["subgroups"]) == 9 * 2
    # every dataset with k <= 9 has an exact permutation reference
    for key, e in REF["fits"].items():
        assert ("permutest_exact" in e) == (e["k"] <= 9), key


KEYS = sorted(REF["fits"])


@pytest.mark.parametrize("key", KEYS)
def test_fit_and_verbs(key):
    name, method, test = key.split("|")
    e = REF["fits"][key]
    tol = tol_for(method)
    res = fit(name, method, test)
    assert res.k == e["k"]
    for ours, theirs in [
        ("estimate", "estimate"),
        ("se", "se"),
        ("statistic", "zval"),
        ("p_value", "pval"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
        ("tau2", "tau2"),
        ("i2", "I2"),
        ("h2", "H2"),
        ("q", "QE"),
        ("q_p_value", "QEp"),
    ]:
        close(getattr(res, ours), e[theirs], tol, f"{key} {ours}")
    if method != "EE":  # metafor's predict() gives no prediction interval for EE models
        close(res.pi_low, e["pi_lb"], tol, f"{key} pi_low")
        close(res.pi_high, e["pi_ub"], tol, f"{key} pi_high")
    close(res.weights, e["weights"], tol, f"{key} weights")
    close(res.blup["estimate"], e["blup"]["pred"], tol, f"{key} blup")
    close(res.blup["se"], e["blup"]["se"], tol, f"{key} blup se")
    close(res.blup["pi_low"], e["blup"]["pi_lb"], tol, f"{key} blup pi")
    # Q-profile CI (root finding even for closed-form estimators)
    if method != "EE":
        hci = res.heterogeneity_ci()
        for row, ref in [("tau2", "tau2"), ("tau", "tau"), ("i2", "I2"), ("h2", "H2")]:
            close(
                hci.loc[row, ["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float),
                e["confint"][ref],
                TOL["iterative"],
                f"{key} confint {row}",
            )
    # leave-one-out and cumulative
    for verb, ref in [(res.leave_one_out(), e["leave1out"]), (res.cumulative(), e["cumul"])]:
        for ours, theirs in [
            ("estimate", "estimate"),
            ("se", "se"),
            ("p_value", "pval"),
            ("ci_low", "ci_lb"),
            ("ci_high", "ci_ub"),
            ("q", "QE"),
            ("tau2", "tau2"),
            ("i2", "I2"),
            ("h2", "H2"),
        ]:
            close(verb[ours].to_numpy(), ref[theirs], tol, f"{key} {ours}")
    inf = res.influence()
    ri = e["influence"]
    for ours, theirs in [
        ("rstudent", "rstudent"),
        ("dffits", "dffits"),
        ("cook_d", "cook_d"),
        ("cov_r", "cov_r"),
        ("tau2_del", "tau2_del"),
        ("q_del", "QE_del"),
        ("hat", "hat"),
        ("weight", "weight"),
        ("dfbs_intercept", "dfbs"),
    ]:
        close(inf[ours].to_numpy(), ri[theirs], tol, f"{key} influence {ours}")
    assert inf["influential"].astype(int).tolist() == [int(x) for x in ri["is_infl"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        eg = res.egger_test()
    close(eg.statistic, e["regtest"]["zval"], tol, f"{key} regtest z")
    close(eg.p_value, e["regtest"]["pval"], tol, f"{key} regtest p")
    close(eg.limit_estimate, e["regtest"]["est"], tol, f"{key} regtest est")
    if "permutest_exact" in e:
        pt = res.permutation_test(n_perm=1000)
        assert pt.exact and pt.n_perm == e["permutest_exact"]["iter"]
        close(pt.p_value, e["permutest_exact"]["pval"], TOL["closed_form"], f"{key} permutest")


@pytest.mark.parametrize("key", sorted(REF["trimfill"]))
def test_trim_and_fill(key):
    name, method = key.split("|")
    res = fit(name, method, "z")
    tol = tol_for(method)
    for est in ("L0", "R0"):
        e = REF["trimfill"][key][est]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            tf = res.trim_and_fill(estimator=est)
        assert tf.k0 == e["k0"], key
        assert tf.side == e["side"], key
        for ours, theirs in [
            ("estimate", "estimate"),
            ("se", "se"),
            ("ci_low", "ci_lb"),
            ("ci_high", "ci_ub"),
            ("p_value", "pval"),
            ("tau2", "tau2"),
        ]:
            close(getattr(tf, ours), e[theirs], tol, f"{key} {est} {ours}")


@pytest.mark.parametrize("name", GRID["datasets"])
def test_rank_test_and_classic_egger(name):
    res = fit(name, "EE", "z")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        rt = res.rank_test()
        eg = res.egger_test(model="lm")
    close(rt.statistic, REF["ranktest"][name]["tau"], TOL["closed_form"], name)
    close(rt.p_value, REF["ranktest"][name]["pval"], TOL["closed_form"], name)
    e = REF["regtest_lm"][name]
    close(eg.statistic, e["zval"], TOL["closed_form"], name)
    close(eg.p_value, e["pval"], TOL["closed_form"], name)
    close(eg.df, e["dfs"], TOL["closed_form"], name)
    close(eg.limit_estimate, e["est"], TOL["closed_form"], name)


def bcg():
    import pandas as pd

    y, v = data("bcg")
    # moderators are not stored in the JSON datasets block: rebuild them from metadat's dat.bcg order
    ablat = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]
    year = [1948, 1949, 1960, 1977, 1973, 1953, 1973, 1980, 1968, 1961, 1974, 1969, 1976]
    alloc = [
        "random",
        "random",
        "random",
        "random",
        "alternate",
        "alternate",
        "random",
        "random",
        "random",
        "systematic",
        "systematic",
        "systematic",
        "systematic",
    ]
    return pd.DataFrame({"yi": y, "vi": v, "ablat": ablat, "year": year, "alloc": alloc})


@pytest.mark.parametrize("key", sorted(REF["metareg"]))
def test_meta_regression(key):
    method, test, mf = key.split("|")
    e = REF["metareg"][key]
    tol = tol_for(method)
    if "year" in mf:
        # publication years next to an intercept make X'WX ill-conditioned (condition number ~1e10): R's own
        # answer moves by ~5e-10 (relative) when year is centred, so closed-form agreement is limited to that.
        tol = TOL["iterative"]
    res = rs.meta_analysis(bcg(), mods=mf.split("+"), method=method, test=test)
    c = res.coefficients
    for ours, theirs in [
        ("estimate", "beta"),
        ("se", "se"),
        ("statistic", "zval"),
        ("p_value", "pval"),
        ("ci_low", "ci_lb"),
        ("ci_high", "ci_ub"),
    ]:
        close(c[ours].to_numpy(), e[theirs], tol, f"{key} {ours}")
    for ours, theirs in [
        ("qm", "QM"),
        ("qm_p_value", "QMp"),
        ("tau2", "tau2"),
        ("i2", "I2"),
        ("h2", "H2"),
        ("q", "QE"),
        ("q_p_value", "QEp"),
        ("r2", "R2"),
    ]:
        close(getattr(res, ours), e[theirs], tol, f"{key} {ours}")
    if "influence" in e:
        inf = res.influence()
        for ours, theirs in [
            ("rstudent", "rstudent"),
            ("dffits", "dffits"),
            ("cook_d", "cook_d"),
            ("cov_r", "cov_r"),
            ("hat", "hat"),
            ("tau2_del", "tau2_del"),
        ]:
            close(inf[ours].to_numpy(), e["influence"][theirs], tol, f"{key} influence {ours}")
        eg = res.egger_test()
        close(eg.statistic, e["regtest"]["zval"], tol, f"{key} regtest")
        close(eg.p_value, e["regtest"]["pval"], tol, f"{key} regtest p")


@pytest.mark.parametrize("key", sorted(REF["subgroups"]))
def test_subgroups(key):
    method, test = key.split("|")
    e = REF["subgroups"][key]
    tol = tol_for(method)
    res = rs.meta_analysis(bcg(), subgroup="alloc", method=method, test=test)
    assert list(res.subgroups.index) == e["groups"]
    close(res.subgroups["estimate"].to_numpy(), e["estimate"], tol, key)
    close(res.subgroups["se"].to_numpy(), e["se"], tol, key)
    close(res.subgroups["tau2"].to_numpy(), e["tau2"], tol, key)
    close(res.subgroup_test["q"], e["Qb"], tol, key)
    close(res.subgroup_test["p_value"], e["Qbp"], tol, key)


def test_random_permutation_within_monte_carlo_error():
    from conftest import MCSE_MULTIPLIER

    ref = REF["permutest_random"]
    res = rs.meta_analysis(bcg(), method="REML")
    pt = res.permutation_test(n_perm=1000, seed=1)
    p_r = ref["int_only"]["pval"]
    # both are Monte-Carlo estimates from 1000 draws: the difference has SD sqrt(2 p (1 - p) / 1000)
    mcse = np.sqrt(2 * max(p_r * (1 - p_r), 1 / 1000) / 1000)
    assert abs(pt.p_value - p_r) <= MCSE_MULTIPLIER * mcse
    reg = rs.meta_analysis(bcg(), mods="ablat", method="REML").permutation_test(n_perm=1000, seed=2)
    q_r = ref["ablat"]["QMp"]
    mcse = np.sqrt(2 * max(q_r * (1 - q_r), 1 / 1000) / 1000)
    assert abs(reg.p_value - q_r) <= MCSE_MULTIPLIER * mcse


EDGE = load_reference("meta_edge")


@pytest.mark.parametrize("test", ["z", "knha"])
def test_fixed_tau2_stays_fixed_in_refits(test):
    """metafor keeps a user-fixed tau² in leave1out/cumul/influence/permutest/regtest (meta_edge.R)."""
    e = EDGE["fixed_tau2"][test]
    assert set(EDGE["fixed_tau2"]) == {"z", "knha"}
    res = rs.meta_analysis(yi=arr(e["yi"]), vi=arr(e["vi"]), tau2=e["tau2"], test=test)
    tol = TOL["closed_form"]
    close(res.estimate, e["estimate"], tol, "estimate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        loo, cu, inf = res.leave_one_out(), res.cumulative(), res.influence()
        eg = res.egger_test()
    for col in ("estimate", "se", "tau2", "i2", "q"):
        close(loo[col], e["leave1out"][col], tol, f"leave1out {col}")
    for col in ("estimate", "se", "tau2", "i2"):
        close(cu[col], e["cumul"][col], tol, f"cumul {col}")
    for col in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del"):
        close(inf[col], e["influence"][col], tol, f"influence {col}")
    close(res.permutation_test(exact=True).p_value, e["permutest"]["pval"], tol, "permutest")
    close(eg.statistic, e["regtest"]["zval"], tol, "regtest z")
    close(eg.p_value, e["regtest"]["pval"], tol, "regtest p")
    close(eg.limit_estimate, e["regtest"]["est"], tol, "regtest limit estimate")
