"""MMRM trial models on openpharma/mmrm's fev_data: nlme::gls + emmeans (five structures), clubSandwich
(empirical SEs); and the new vocabulary (formula, covariates, LS-mean weights, df, predict)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, TOL, load_reference

import retrostats as rs
from retrostats.exceptions import DataError, DataWarning

REF = load_reference("mmrm_fev")


@pytest.fixture(scope="module")
def fev() -> pd.DataFrame:
    d = pd.read_csv(ROOT / "tests" / "reference" / "data" / "mmrm_fev_data.csv")
    d["RACE"] = pd.Categorical(d["RACE"], ["Asian", "Black or African American", "White"])
    d["SEX"] = pd.Categorical(d["SEX"], ["Male", "Female"])
    d["ARMCD"] = pd.Categorical(d["ARMCD"], ["PBO", "TRT"])
    return d


def _fit(d, **kw):
    return rs.mmrm(d, outcome="FEV1", arm="ARMCD", visit="AVISIT", subject="USUBJID", covariates=["RACE", "SEX"],
                   **kw)


def test_grid_complete():
    assert REF["grid"]["covariances"] == ["us", "cs", "csh", "ar1", "ar1h"]


@pytest.mark.r_parity
@pytest.mark.parametrize("st", ["us", "cs", "csh", "ar1", "ar1h"])
def test_trial_model_matches_nlme_emmeans(fev, st):
    r = REF[st]
    fit = _fit(fev, covariance=st)
    # nlme stops at a log-likelihood up to 1.1e-7 below ours (us): near-zero coefficients move by ~3e-5
    assert fit.loglik >= r["loglik"] - 1e-9
    np.testing.assert_allclose(fit.loglik, r["loglik"], **TOL["iterative"])
    c = fit.coefficients.loc[r["coef_names"]]
    np.testing.assert_allclose(c["se"], r["se"], **TOL["mmrm_se"])
    np.testing.assert_allclose(c["estimate"], r["coef"], rtol=TOL["mmrm_estimate"]["rtol"],
                               atol=TOL["mmrm_se"]["rtol"] * float(np.min(r["se"])))
    m = fit.lsmeans.merge(pd.DataFrame(r["means"]), on=["visit", "arm"], suffixes=("", "_r"))
    assert len(m) == 8
    np.testing.assert_allclose(m["estimate"], m["estimate_r"], **TOL["mmrm_estimate"])
    np.testing.assert_allclose(m["se"], m["se_r"], **TOL["mmrm_se"])
    # emmeans' df come from nlme's finite-difference Hessian (fdHess); observed agreement <= 4.3e-3 relative
    np.testing.assert_allclose(m["df"], m["df_r"], rtol=1e-2)
    k = fit.contrasts.merge(pd.DataFrame(r["contrasts"]), on=["visit", "contrast"], suffixes=("", "_r"))
    assert len(k) == 4
    np.testing.assert_allclose(k["estimate"], k["estimate_r"], **TOL["mmrm_estimate"])
    np.testing.assert_allclose(k["se"], k["se_r"], **TOL["mmrm_se"])


@pytest.mark.r_parity
def test_empirical_se_matches_clubsandwich_cr0(fev):
    r = REF["us"]
    fit = _fit(fev, vcov="empirical", df="residual")
    np.testing.assert_allclose(fit.coefficients.loc[r["coef_names"], "se"], r["se_cr0"], **TOL["mmrm_se"])
    assert (fit.coefficients["df"] == fit.n_obs - len(fit.coefficients)).all()


def test_proportional_lsmeans_weight_levels_by_frequency(fev):
    """Additive covariates: the proportional LS mean moves by sum_k (f_k - 1/K) beta_k per factor."""
    eq = _fit(fev)
    pr = _fit(fev, lsmeans_weights="proportional")
    d = fev[fev["FEV1"].notna()]
    c = eq.coefficients["estimate"]
    shift = 0.0
    for col, ref in (("RACE", "Asian"), ("SEX", "Male")):
        f = d[col].value_counts(normalize=True)
        lv = [x for x in f.index if x != ref]
        shift += sum((f[x] - 1 / len(f)) * c[f"{col}{x}"] for x in lv)
    np.testing.assert_allclose(pr.lsmeans["estimate"], eq.lsmeans["estimate"] + shift, **TOL["closed_form"])
    np.testing.assert_allclose(pr.contrasts["estimate"], eq.contrasts["estimate"], **TOL["closed_form"])
    assert abs(shift) > 1e-3


@pytest.mark.r_parity
def test_proportional_lsmeans_match_emmeans_cs(fev):
    fit = _fit(fev, covariance="cs", lsmeans_weights="proportional")
    m = fit.lsmeans.merge(pd.DataFrame(REF["cs"]["means_proportional"]), on=["visit", "arm"], suffixes=("", "_r"))
    assert len(m) == 8
    np.testing.assert_allclose(m["estimate"], m["estimate_r"], **TOL["mmrm_estimate"])
    np.testing.assert_allclose(m["se"], m["se_r"], **TOL["mmrm_se"])


def test_formula_equals_covariates(fev):
    a = _fit(fev)
    b = rs.mmrm(fev, outcome="FEV1", arm="ARMCD", visit="AVISIT", subject="USUBJID",
                formula="ARMCD * AVISIT + RACE + SEX")
    np.testing.assert_allclose(a.loglik, b.loglik, **TOL["iterative"])
    pd.testing.assert_frame_equal(a.contrasts, b.contrasts, rtol=1e-6)
    assert set(a.coefficients.index) == set(b.coefficients.index)


def test_kenward_roger_adjusts_se_and_type3(fev):
    s = _fit(fev)
    k = _fit(fev, df="kenward-roger")
    assert (k.coefficients["se"] >= s.coefficients["se"] - 1e-12).all()
    np.testing.assert_allclose(k.coefficients["estimate"], s.coefficients["estimate"], **TOL["iterative"])
    t3 = k.type3().set_index("term")
    assert list(t3.columns) == ["num_df", "den_df", "statistic", "p_value"]
    assert t3.loc["ARMCD:AVISIT", "num_df"] == 3


def test_between_within_and_residual_df(fev):
    r = _fit(fev, df="residual")
    assert (r.contrasts["df"] == r.n_obs - 11).all()
    bw = _fit(fev, df="between-within")
    n = bw.n_subjects
    assert bw.coefficients.loc["RACEWhite", "df"] == n - 5  # between: intercept, ARMCD, RACE (2), SEX
    assert bw.coefficients.loc["AVISITVIS2", "df"] == bw.n_obs - n - 6


def test_predict_conditions_on_observed_visits(fev):
    fit = _fit(fev)
    one = fev[fev["USUBJID"] == "PT1"]  # VIS1, VIS3 missing
    pred = fit.predict(one)
    obs = one["FEV1"].notna().to_numpy()
    np.testing.assert_array_equal(pred[obs], one.loc[obs, "FEV1"])
    S = fit.covariance_matrix.to_numpy()
    st = fit._state
    X = st["design"].matrix(one)
    mu = X @ st["model"].beta
    o, u = np.flatnonzero(obs), np.flatnonzero(~obs)
    expect = mu[u] + S[np.ix_(u, o)] @ np.linalg.solve(S[np.ix_(o, o)], one["FEV1"].to_numpy()[o] - mu[o])
    np.testing.assert_allclose(pred.to_numpy()[u], expect, **TOL["closed_form"])
    assert not np.allclose(expect, mu[u])


def test_group_covariance_is_a_dict(fev):
    fit = _fit(fev, covariance="ar1", group="ARMCD")
    assert set(fit.covariance_matrix) == {"PBO", "TRT"}
    assert fit.covariance_parameters["group"].tolist() == ["PBO", "PBO", "TRT", "TRT"]


def test_missing_covariate_rows_named(fev):
    d = fev.copy()
    d["SEX"] = d["SEX"].astype(object)
    d.loc[d["USUBJID"] == "PT3", "SEX"] = None
    with pytest.warns(DataWarning, match="PT3"):
        fit = _fit(d)
    assert fit.n_subjects == d.loc[d["FEV1"].notna() & (d["USUBJID"] != "PT3"), "USUBJID"].nunique()


def test_bad_options(fev):
    with pytest.raises(ValueError, match="kenward-roger"):
        _fit(fev, df="kenward-roger", method="ML")
    with pytest.raises(ValueError, match="empirical"):
        _fit(fev, vcov="empirical")
    with pytest.raises(ValueError, match="formula"):
        rs.mmrm(fev, outcome="FEV1", arm="ARMCD", visit="AVISIT", subject="USUBJID", formula="log(FEV1_BL)")
    with pytest.raises(DataError, match="numeric visits"):
        _fit(fev, covariance="spatial-exponential")


def test_custom_contrast_estimate(fev):
    fit = _fit(fev, df="kenward-roger")
    e = fit.estimate({"ARMCDTRT": 1.0})
    c = fit.coefficients.loc["ARMCDTRT"]
    cols = ["estimate", "se", "df", "p_value", "ci_low"]
    np.testing.assert_allclose(e[cols].to_numpy(float)[0], c[cols].to_numpy(float), **TOL["closed_form"])
    both = fit.estimate([{"ARMCDTRT": 1.0}, {"ARMCDTRT": 1.0, "ARMCDTRT:AVISITVIS4": 1.0}], labels=["v1", "v4"])
    v4 = fit.contrasts.set_index("visit").loc["VIS4"]
    np.testing.assert_allclose(both[["estimate", "se", "df"]].to_numpy(float)[1],
                               v4[["estimate", "se", "df"]].to_numpy(float), **TOL["iterative"])
    assert both["contrast"].tolist() == ["v1", "v4"]
    with pytest.raises(ValueError, match="unknown term"):
        fit.estimate({"ARMCD": 1.0})
