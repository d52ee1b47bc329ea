"""Exact Bayesian random-effects meta-analysis: R parity, independent quadrature, bayesmeta's printed example,
properties, clinical probabilities and bad input. No PyMC here (see test_bayes_nuts.py)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import TOL, load_reference, published_tol
from scipy import stats

import retrostats as rs
from retrostats.bayes import (
    bayes_meta_analysis,
    clinical_probabilities,
    empirical_tau_priors,
    prior_sensitivity,
)
from retrostats.exceptions import DataError, DataWarning, MissingExtraError
from retrostats.kernels.bayes_exact import exact_posterior, tau_cdf, tau_logpdf, tau_ppf

REF = load_reference("bayes_exact")
CASES = REF["cases"]
EXPECTED_CASES = {
    "schools_hc25",
    "small_default",
    "small_hc",
    "small_unif",
    "small_lnorm",
    "small_rhodes",
    "small_turner",
    "small_t",
    "het_default",
    "het_t_hc",
}
QUANTITIES = [
    "mu_mean",
    "mu_sd",
    "mu_median",
    "mu_q025",
    "mu_q975",
    "p_mu_gt0",
    "tau_mean",
    "tau_sd",
    "tau_median",
    "tau_q025",
    "tau_q975",
    "theta_new_mean",
    "theta_new_sd",
    "theta_new_q025",
    "theta_new_q975",
    "log_marginal",
    "bf01_mu",
    "bf01_tau",
]


def _fit(case):
    c = CASES[case]
    return bayes_meta_analysis(
        yi=c["yi"],
        vi=c["vi"],
        mu_prior=(c["mu_family"], *c["mu_params"]),
        tau_prior=(c["tau_family"], *c["tau_params"]),
    )


def _ours(fit):
    s = fit.posterior_summary
    out = {
        f"{q}_{col}": s.loc[q, c]
        for q in ("mu", "tau", "theta_new")
        for col, c in [
            ("mean", "mean"),
            ("sd", "sd"),
            ("median", "median"),
            ("q025", "q025"),
            ("q975", "q975"),
        ]
    }
    out["p_mu_gt0"] = fit.probability("mu", 0.0, "greater")
    out["log_marginal"] = fit.log_marginal_likelihood
    out["bf01_mu"] = fit.bayes_factors.loc["mu=0", "bf01"]
    out["bf01_tau"] = fit.bayes_factors.loc["tau=0", "bf01"]
    return out


def test_reference_grid_complete():
    assert set(CASES) == EXPECTED_CASES
    for case in CASES.values():
        assert set(QUANTITIES) <= set(case)


@pytest.mark.r_parity
@pytest.mark.parametrize("case", sorted(EXPECTED_CASES))
def test_matches_r_nested_quadrature(case):
    ours = _ours(_fit(case))
    ref = CASES[case]
    for q in QUANTITIES:
        if ref[q] is None:  # R gives NA for tau=0 under a uniform prior starting above 0
            continue
        np.testing.assert_allclose(ours[q], ref[q], **TOL["quadrature"], err_msg=f"{case}: {q}")


def test_brute_force_grid_independent_of_kernel():
    # a separate 2-D trapezoid over (mu, log tau), written here without the conjugate step
    y, v = np.array([-1.2, -0.4, -0.9]), np.array([0.2, 0.3, 0.25])
    mu = np.linspace(-8.0, 6.0, 2801)  # step 0.005, with 0 on the grid
    s = np.linspace(-30.0, 4.0, 1201)
    t = np.exp(s)
    ll = sum(stats.norm.logpdf(yi, mu[:, None], np.sqrt(vi + t[None, :] ** 2)) for yi, vi in zip(y, v))
    logp = (
        ll + stats.norm.logpdf(mu, 0, 2)[:, None] + stats.halfnorm.logpdf(t, scale=0.5)[None, :] + s[None, :]
    )
    p = np.exp(logp - logp.max())
    z = np.trapezoid(np.trapezoid(p, s, axis=1), mu)
    pmu = np.trapezoid(p, s, axis=1) / z
    ptau = np.trapezoid(p, mu, axis=0) / z  # density of log tau
    fit = bayes_meta_analysis(yi=y, vi=v)
    s_ = fit.posterior_summary
    np.testing.assert_allclose(s_.loc["mu", "mean"], np.trapezoid(mu * pmu, mu), **TOL["quadrature"])
    np.testing.assert_allclose(
        s_.loc["mu", "sd"] ** 2 + s_.loc["mu", "mean"] ** 2,
        np.trapezoid(mu**2 * pmu, mu),
        **TOL["quadrature"],
    )
    np.testing.assert_allclose(s_.loc["tau", "mean"], np.trapezoid(t * ptau, s), **TOL["quadrature"])
    np.testing.assert_allclose(fit.probability("mu", 0.0), np.trapezoid(pmu[mu >= 0], mu[mu >= 0]), rtol=1e-4)
    np.testing.assert_allclose(fit.log_marginal_likelihood, math.log(z) + logp.max(), **TOL["quadrature"])


# bayesmeta vignette "An introduction to meta-analysis using the bayesmeta package" (bayesmeta 3.4,
# inst/doc/bayesmeta.html): Rubin (1981) eight schools, normal(0, 50) prior for mu, half-Cauchy(25) for tau.
SCHOOLS_Y = [28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16]
SCHOOLS_SE = [14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6]
# printed "marginal posterior summary" (quoted intervals are shortest credible intervals)
PRINTED_TAU = {
    "median": "4.758539",
    "mean": "5.884511",
    "sd": "4.869904",
    "hpd_low": "0.000000",
    "hpd_high": "15.165894",
}
PRINTED_TAU_CENTRAL = {"q025": "0.2199559", "q975": "18.0531718"}
PRINTED_MU = {
    "median": "7.962961",
    "mean": "7.985729",
    "sd": "4.995762",
    "hpd_low": "-1.823353",
    "hpd_high": "17.824562",
}
PRINTED_NEW = {
    "median": "7.926819",
    "mean": "7.985729",
    "sd": "9.126767",
    "hpd_low": "-10.623526",
    "hpd_high": "26.827377",
}
PRINTED_P_MU_POS = "0.9487521"
# bayesmeta approximates the mixture over tau for mu and theta by the DIRECT algorithm with a 1% divergence
# bound (Röver & Friede 2017, doi:10.1080/10618600.2016.1276840), so its printed mu/theta digits carry
# ~1e-4 relative error; tau is integrated directly there and agrees to every printed digit.
BAYESMETA_MIXTURE_RTOL = 1e-3


@pytest.fixture(scope="module")
def schools():
    return bayes_meta_analysis(
        yi=SCHOOLS_Y, vi=np.square(SCHOOLS_SE), mu_prior=("normal", 0, 50), tau_prior=("half-cauchy", 25)
    )


def test_bayesmeta_vignette_tau_to_printed_digits(schools):
    s = schools.posterior_summary.loc["tau"]
    for col, printed in {**PRINTED_TAU, **PRINTED_TAU_CENTRAL}.items():
        assert abs(s[col] - float(printed)) <= published_tol(printed), col


def test_bayesmeta_vignette_mu_and_prediction(schools):
    s = schools.posterior_summary
    for q, printed in [("mu", PRINTED_MU), ("theta_new", PRINTED_NEW)]:
        for col in ("mean", "sd", "median"):
            np.testing.assert_allclose(
                s.loc[q, col], float(printed[col]), rtol=BAYESMETA_MIXTURE_RTOL, err_msg=f"{q} {col}"
            )
        # shortest-interval endpoints are ill-conditioned (the width is flat at its minimum), so check the
        # defining properties: bayesmeta's printed interval holds 95% under our posterior, and ours is
        # no longer
        lo, hi = float(printed["hpd_low"]), float(printed["hpd_high"])
        np.testing.assert_allclose(schools.cdf(q, hi) - schools.cdf(q, lo), 0.95, rtol=BAYESMETA_MIXTURE_RTOL)
        assert s.loc[q, "hpd_high"] - s.loc[q, "hpd_low"] <= hi - lo + published_tol(printed["hpd_high"])
        np.testing.assert_allclose(
            schools.cdf(q, s.loc[q, "hpd_high"]) - schools.cdf(q, s.loc[q, "hpd_low"]),
            0.95,
            **TOL["quadrature"],
        )
    np.testing.assert_allclose(
        schools.probability("mu", 0.0), float(PRINTED_P_MU_POS), rtol=BAYESMETA_MIXTURE_RTOL
    )


def test_savage_dickey_equals_marginal_likelihood_ratio(schools):
    post = schools._posterior
    np.testing.assert_allclose(
        post.bayes_factor_mu0(), math.exp(post.log_marginal_mu0() - post.log_marginal), **TOL["quadrature"]
    )


def test_layout_and_interval_order(schools):
    s = schools.posterior_summary
    assert list(s.index) == ["mu", "tau", "theta_new"]
    assert list(s.columns[:5]) == ["mean", "sd", "median", "q025", "q975"]
    assert {"hpd_low", "hpd_high"} <= set(s.columns)
    assert (s["q025"] < s["median"]).all() and (s["median"] < s["q975"]).all()
    assert ((s["hpd_high"] - s["hpd_low"]) <= (s["q975"] - s["q025"]) + 1e-9).all()
    assert s.loc["theta_new", "sd"] > s.loc["mu", "sd"]
    assert schools.study_effects.shape[0] == 8
    frame = schools.to_frame()
    assert frame.shape[0] == 3 + 8
    assert "Bayesian random-effects" in schools.summary().as_text()


def test_cdf_quantile_round_trip(schools):
    for q in ("mu", "tau", "theta_new"):
        for p in (0.1, 0.5, 0.9):
            np.testing.assert_allclose(schools.cdf(q, schools.quantile(q, p)), p, **TOL["quadrature"])


def test_permutation_invariance_and_sign_flip(rng):
    y = rng.normal(0.3, 0.3, 6)
    v = rng.uniform(0.02, 0.1, 6)
    a = bayes_meta_analysis(yi=y, vi=v).posterior_summary
    perm = rng.permutation(6)
    b = bayes_meta_analysis(yi=y[perm], vi=v[perm]).posterior_summary
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-12)
    c = bayes_meta_analysis(yi=-y, vi=v).posterior_summary
    np.testing.assert_allclose(c.loc["mu", "mean"], -a.loc["mu", "mean"], rtol=1e-9)
    np.testing.assert_allclose(c.loc["mu", "q975"], -a.loc["mu", "q025"], rtol=1e-8)
    np.testing.assert_allclose(c.loc["tau", "median"], a.loc["tau", "median"], rtol=1e-9)


def test_predictive_sample_matches_theta_new(schools):
    draws = schools.predictive_sample(40000, seed=7)
    assert draws.shape == (40000,)
    mean, sd = schools.posterior_summary.loc["theta_new", ["mean", "sd"]]
    assert abs(draws.mean() - mean) < 4 * sd / math.sqrt(draws.size)
    np.testing.assert_array_equal(draws[:10], schools.predictive_sample(40000, seed=7)[:10])


@pytest.mark.parametrize(
    "family,params",
    [
        ("half-normal", (0.5,)),
        ("half-cauchy", (0.3,)),
        ("half-student-t", (0.5, 3.0)),
        ("uniform", (0.0, 2.0)),
        ("log-normal", (-1.0, 0.7)),
        ("log-normal-tau2", (-2.56, 1.74)),
        ("log-t-tau2", (-3.44, 2.59, 5.0)),
    ],
)
def test_tau_prior_density_cdf_ppf_consistent(family, params):
    p = np.array([0.05, 0.3, 0.7, 0.95])
    x = tau_ppf(family, params, p)
    np.testing.assert_allclose(tau_cdf(family, params, x), p, **TOL["closed_form"])
    # density integrates to the CDF between two quantiles
    from scipy.integrate import quad

    val, _ = quad(
        lambda t: math.exp(tau_logpdf(family, params, np.array([t]))[0]), x[0], x[3], epsabs=0, epsrel=1e-12
    )
    np.testing.assert_allclose(val, 0.9, **TOL["iterative"])


def test_empirical_priors_by_name_and_table():
    tab = empirical_tau_priors()
    assert {"rhodes2015", "turner2015"} <= set(tab.index)
    assert tab["doi"].str.startswith("10.").all()
    fit = bayes_meta_analysis(yi=[-0.5, -0.2, -0.8], vi=[0.05, 0.04, 0.06], tau_prior="rhodes2015")
    assert fit.tau_prior.family == "log-t-tau2"
    assert "doi:10.1016" in fit.tau_prior.label


def test_prior_sensitivity_table():
    tab = prior_sensitivity(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
    assert list(tab["tau_prior"]) == ["half-normal(0.5)", "half-normal(1)", "half-cauchy(0.5)", "rhodes2015"]
    # a wider heterogeneity prior widens the interval for mu
    width = tab["mu_q975"] - tab["mu_q025"]
    assert width[1] > width[0]
    assert tab["p_mu"].between(0, 1).all()


# ------------------------------------------------------------------------------------------- clinical
SCALES = pd.DataFrame(
    {
        "instrument": ["NPRS", "KOOS_pain", "TUG_s"],
        "mcid": [2.0, 8.0, np.nan],
        "higher_is_better": [False, True, False],
    }
)
# hand-made frame with the columns of registry_effect_sizes: retro minus usual care on the NPRS (MD)
PAIN = pd.DataFrame(
    {
        "study_id": ["a2019", "b2020", "c2021", "d2022"],
        "instrument": "NPRS",
        "measure": "MD",
        "yi": [-2.4, -1.1, -1.9, -0.6],
        "vi": [0.36, 0.49, 0.25, 0.64],
    }
)


def test_two_calls_give_p_pain_reduction_beyond_mcid():
    fit = rs.bayes_meta_analysis(PAIN, mu_prior=("normal", 0, 5), tau_prior=("half-normal", 1))
    probs = fit.clinical_probabilities(scales=SCALES)
    assert list(probs.index) == ["mu", "theta_new"]
    assert (probs["mcid"] == 2.0).all() and (probs["benefit_direction"] == "less").all()
    np.testing.assert_allclose(probs.loc["mu", "p_mcid"], fit.cdf("mu", -2.0), rtol=1e-12)
    np.testing.assert_allclose(probs.loc["theta_new", "p_benefit"], fit.cdf("theta_new", 0.0), rtol=1e-12)
    assert probs.loc["mu", "p_mcid"] < probs.loc["mu", "p_benefit"]


def test_new_trial_probability_includes_sampling_error():
    fit = bayes_meta_analysis(PAIN, mu_prior=("normal", 0, 5), tau_prior=("half-normal", 1))
    probs = clinical_probabilities(fit, scales=SCALES, se_new=0.5)
    draws = fit.predictive_sample(200000, seed=3) + np.random.default_rng(4).normal(0, 0.5, 200000)
    p = np.mean(draws < 0)
    assert abs(probs.loc["y_new", "p_benefit"] - p) < 4 * math.sqrt(p * (1 - p) / draws.size)
    # sampling error pulls the probability of a beneficial estimate towards 1/2
    assert probs.loc["y_new", "p_benefit"] < probs.loc["theta_new", "p_benefit"]


def test_higher_is_better_direction_and_explicit_mcid():
    d = PAIN.assign(yi=-PAIN["yi"], instrument="KOOS_pain")
    # NPRS-sized numbers labelled KOOS (0-100): half-normal(1) is narrow for that scale, and is reported
    with pytest.warns(DataWarning, match=r"tau_prior half-normal\(scale=1\).*KOOS_pain"):
        fit = bayes_meta_analysis(d, mu_prior=("normal", 0, 5), tau_prior=("half-normal", 1))
    probs = fit.clinical_probabilities(mcid=2.0, scales=SCALES)
    ref = bayes_meta_analysis(PAIN, mu_prior=("normal", 0, 5), tau_prior=("half-normal", 1))
    np.testing.assert_allclose(probs.loc["mu", "p_mcid"], ref.cdf("mu", -2.0), rtol=1e-9)
    assert (probs["benefit_direction"] == "greater").all()


def test_clinical_bad_input():
    with pytest.raises(DataError, match="no finite range.*pass mu_prior="):
        bayes_meta_analysis(PAIN.assign(instrument="TUG_s"))  # MD default priors need the range
    raw = {"mu_prior": ("normal", 0, 5), "tau_prior": ("half-normal", 1)}
    fit = bayes_meta_analysis(PAIN.assign(instrument="TUG_s"), **raw)
    with pytest.raises(DataError, match="no MCID.*pass mcid="):
        fit.clinical_probabilities(scales=SCALES)
    assert fit.clinical_probabilities(mcid=1.0, scales=SCALES).loc["mu", "mcid"] == 1.0
    with pytest.raises(DataError, match="not in outcome_scales"):
        bayes_meta_analysis(PAIN.assign(instrument="XYZ"), **raw).clinical_probabilities(scales=SCALES)
    smd = bayes_meta_analysis(PAIN.assign(measure="SMD"))
    with pytest.raises(DataError, match="standardized.*SD units"):
        smd.clinical_probabilities(scales=SCALES)
    anon = bayes_meta_analysis(yi=[-1.0, -2.0], vi=[0.2, 0.3])
    with pytest.raises(DataError, match="direction of benefit"):
        anon.clinical_probabilities(mcid=1.0)
    with pytest.raises(ValueError, match="mcid"):
        anon.clinical_probabilities(mcid=-1.0, higher_is_better=False)


# ------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "prior,match",
    [
        (("normal", 0, -1), "'sd' must be > 0"),
        (("gaussian", 0, 1), "unknown mu prior"),
        (("normal", 0, math.inf), "improper"),
        (("student-t", 0, 1, 0), "'df' must be > 0"),
        (("normal", 0), "takes 2 parameter"),
    ],
)
def test_bad_mu_prior(prior, match):
    with pytest.raises(ValueError, match=match):
        bayes_meta_analysis(yi=[0.1, 0.2], vi=[0.1, 0.1], mu_prior=prior)


@pytest.mark.parametrize(
    "prior,match",
    [
        (("half-normal", -0.5), "'scale' must be > 0"),
        (("half-norml", 0.5), "Did you mean 'half-normal'"),
        (("uniform", 0, math.inf), "improper"),
        (("uniform", 2, 1), "lower < upper"),
        ("rhodes2051", "unknown prior"),
    ],
)
def test_bad_tau_prior(prior, match):
    with pytest.raises(ValueError, match=match):
        bayes_meta_analysis(yi=[0.1, 0.2], vi=[0.1, 0.1], tau_prior=prior)


def test_bad_data():
    with pytest.raises(DataError, match="at least 2 studies.*'solo2020'"):
        bayes_meta_analysis(pd.DataFrame({"study_id": ["solo2020"], "yi": [0.3], "vi": [0.1]}))
    with pytest.raises(DataError, match=r"vi must be > 0; row 1 \(study 'b'\) has 0.0"):
        bayes_meta_analysis(pd.DataFrame({"study_id": ["a", "b"], "yi": [0.3, 0.1], "vi": [0.1, 0.0]}))
    with pytest.raises(DataError, match="missing"):
        bayes_meta_analysis(yi=[0.3, np.nan], vi=[0.1, 0.1])
    with pytest.raises(DataError, match="no column"):
        bayes_meta_analysis(pd.DataFrame({"y": [0.3, 0.1], "vi": [0.1, 0.1]}))
    with pytest.raises(ValueError, match="method must be one of"):
        bayes_meta_analysis(yi=[0.3, 0.1], vi=[0.1, 0.1], method="mcmc")


def test_missing_pymc_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymc", None)
    with pytest.raises(MissingExtraError, match=r"retrostats\[bayes\]"):
        bayes_meta_analysis(yi=[0.3, 0.1], vi=[0.1, 0.1], method="nuts", draws=10, tune=10)


# the exact path never imports PyMC or ArviZ: checked in a fresh interpreter by
# tests/test_namespace.py::test_a_fresh_import_is_light_and_leaves_global_state_alone


def test_kernel_handles_extreme_precision():
    # many precise, homogeneous studies: posterior of tau concentrated near 0, no NaN anywhere
    y = np.full(40, 0.2) + np.linspace(-1e-3, 1e-3, 40)
    post = exact_posterior(y, np.full(40, 1e-4), "normal", (0.0, 2.0), "half-cauchy", (1.0,))
    assert not np.isnan(post.logw).any()
    assert 0.0 < post.tau_ppf(0.5) < 0.01
    np.testing.assert_allclose(post.moments("mu")[0], y.mean(), rtol=1e-4)


def test_clinical_probabilities_respect_harmonised_registry_effects():
    """registry_effect_sizes orients effects so that positive favours retro: P(benefit) must use that."""
    import pandas as pd

    raw = pd.DataFrame({"yi": [-0.7, -0.8], "vi": [0.07, 0.1], "instrument": "NPRS"})  # retro - control
    harm = raw.assign(yi=-raw["yi"], favours="positive favours retro")
    s = pd.DataFrame({"instrument": ["NPRS"], "mcid": [1.0], "higher_is_better": [False]})
    kw = dict(mu_prior=("normal", 0, 5), tau_prior=("half-normal", 1))
    p_raw = rs.bayes_meta_analysis(raw, **kw).clinical_probabilities(scales=s)
    fit_h = rs.bayes_meta_analysis(harm, **kw)
    assert fit_h.harmonised and not rs.bayes_meta_analysis(raw, **kw).harmonised
    p_harm = fit_h.clinical_probabilities(scales=s)
    np.testing.assert_allclose(p_harm[["p_benefit", "p_mcid"]].to_numpy(),
                               p_raw[["p_benefit", "p_mcid"]].to_numpy(), rtol=1e-10)
    assert p_harm.loc["mu", "p_benefit"] > 0.9


# --- fast summaries: the vectorised quantile / interval / density machinery -----------------------------
LNORM_KW = dict(mu_prior=("normal", 0, 2), tau_prior=("log-normal", -1.0, 0.5))  # mode of tau inside (0, inf)


def _brute_shortest(post, quantity, level=0.95):
    """Shortest interval by brute force: the narrowest [F^-1(p), F^-1(p + level)] over a fine p grid."""
    p = np.linspace(1e-9, 1.0 - level - 1e-9, 4001)
    lo, hi = np.asarray(post.ppf(quantity, p)), np.asarray(post.ppf(quantity, p + level))
    return float(np.min(hi - lo))


@pytest.mark.parametrize("quantity", ["mu", "tau", "theta_new"])
def test_shortest_interval_defining_properties(quantity):
    fit = bayes_meta_analysis(yi=[-1.2, -0.4, -0.9, 0.3], vi=[0.2, 0.3, 0.25, 0.1], **LNORM_KW)
    post = fit._posterior
    lo, hi = fit.posterior_summary.loc[quantity, ["hpd_low", "hpd_high"]]
    assert lo > 0 if quantity == "tau" else lo < hi
    # mass exactly 0.95, equal density at both ends, and no narrower interval on a 4001-point search
    np.testing.assert_allclose(post.cdf(quantity, hi) - post.cdf(quantity, lo), 0.95, **TOL["closed_form"])
    np.testing.assert_allclose(fit.density(quantity, lo), fit.density(quantity, hi), rtol=1e-8)
    assert hi - lo <= _brute_shortest(post, quantity) + 1e-12
    # the grid + bracketing path (no start, or a useless start) lands on the same interval as Newton
    for start in (None, (hi + 5.0, hi + 10.0)):
        np.testing.assert_allclose(post.shortest_interval(quantity, 0.95, start=start), (lo, hi), rtol=1e-9)


def test_shortest_interval_of_tau_starts_at_zero_when_the_mode_is_there(schools):
    post = schools._posterior
    lo, hi = schools.posterior_summary.loc["tau", ["hpd_low", "hpd_high"]]
    assert lo == 0.0
    np.testing.assert_allclose(hi, post.tau_ppf(0.95), **TOL["closed_form"])
    assert schools.density("tau", 0.0) >= schools.density("tau", hi)


def test_tau_quantiles_invert_the_exact_cdf():
    # the quantiles come from the per-panel Legendre interpolant; they must invert the exact CDF (Gauss-Legendre
    # from the panel start, new likelihood evaluations) and agree with bracketing on it
    from scipy import optimize

    post = bayes_meta_analysis(yi=[-1.2, -0.4, -0.9, 0.3], vi=[0.2, 0.3, 0.25, 0.1], **LNORM_KW)._posterior
    p = np.array([1e-6, 0.025, 0.3, 0.5, 0.9, 0.975, 1 - 1e-6])
    q = post.tau_ppf(p)
    np.testing.assert_allclose(post.tau_cdf(q), p, rtol=1e-12, atol=1e-14)
    ref = [optimize.brentq(lambda t, pi=pi: post.tau_cdf(np.array([t]))[0] - pi, 1e-8, 50.0, xtol=1e-14)
           for pi in p]
    np.testing.assert_allclose(q, ref, rtol=1e-10)
    assert np.all(np.diff(q) > 0)


def test_study_effects_vectorised_equal_one_study_at_a_time(schools):
    post = schools._posterior
    se = schools.study_effects
    p = np.array([0.5, 0.025, 0.975])
    for i, label in enumerate(se.index):
        np.testing.assert_allclose(se.loc[label, ["mean", "sd"]].to_numpy(float), post.moments("theta", i),
                                   **TOL["closed_form"])
        np.testing.assert_allclose(se.loc[label, ["median", "q025", "q975"]].to_numpy(float),
                                   post.ppf("theta", p, i), **TOL["closed_form"])
        np.testing.assert_allclose(post.cdf("theta", se.loc[label, "q975"], i), 0.975, **TOL["closed_form"])


def test_mixture_quantiles_in_far_tails_and_single_normal():
    from retrostats.kernels.bayes_mixture import mix_cdf, mix_ppf

    p = np.array([1e-12, 1e-6, 0.3, 0.5, 0.7, 1 - 1e-6, 1 - 1e-12])
    one = mix_ppf(p, np.ones(1), np.array([0.7]), np.array([2.0]))
    np.testing.assert_allclose(one, stats.norm.ppf(p, 0.7, 2.0), **TOL["closed_form"])
    w = np.array([0.2, 0.5, 0.3])
    m = np.array([[-3.0, 0.0, 4.0], [1.0, 1.5, 2.0]])  # a batch of two mixtures sharing the weights
    sd = np.array([[0.5, 1.0, 3.0], [0.1, 0.2, 0.3]])
    q = mix_ppf(p, w, m, sd)
    assert q.shape == (2, p.size)
    for b in range(2):
        np.testing.assert_allclose(mix_cdf(q[b], np.log(w), m[b], sd[b]), p, rtol=1e-9)


@pytest.mark.parametrize("quantity,grid", [("mu", (-6.0, 4.5)), ("theta_new", (-9.0, 7.0)), ("tau", (0.0, 6.0))])
def test_density_is_the_derivative_of_the_cdf_and_integrates_to_one(quantity, grid):
    fit = bayes_meta_analysis(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
    x = np.linspace(*grid, 4001)
    dens = fit.density(quantity, x)
    assert dens.shape == x.shape and (dens >= 0).all()
    np.testing.assert_allclose(np.trapezoid(dens, x), 1.0, rtol=1e-6)  # grid wide enough: tails < 1e-7
    pts = np.array([0.05, 0.3, 0.8]) if quantity == "tau" else np.array([-1.5, -0.8, 0.2])
    h = 1e-4
    fd = np.array([(fit.cdf(quantity, t + h) - fit.cdf(quantity, t - h)) / (2 * h) for t in pts])
    # central differences: truncation error h^2 f'''/6 ~ 1e-8 relative, far below this rtol
    np.testing.assert_allclose(fit.density(quantity, pts), fd, rtol=1e-6)
    assert isinstance(fit.density(quantity, float(pts[0])), float)
    assert fit.density(quantity, np.ones((2, 3))).shape == (2, 3)


def test_density_bad_input():
    fit = bayes_meta_analysis(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
    with pytest.raises(ValueError, match="quantity must be one of"):
        fit.density("sigma", [0.1])
    with pytest.raises(ValueError, match="finite"):
        fit.density("mu", [0.1, np.nan])
    assert fit.density("tau", -1.0) == 0.0


def test_draw_posterior_vectorised_summaries_match_numpy():
    # the NUTS posterior object (no PyMC needed): batch study summaries and the KDE density
    from retrostats.bayes.nuts import DrawPosterior

    gen = np.random.default_rng(3)
    theta = gen.normal([[0.0], [1.0], [2.0]], 1.0, (3, 4000))
    tau = np.abs(gen.normal(0.0, 1.0, 4000))
    post = DrawPosterior({"mu": theta[0], "tau": tau, "theta": theta, "theta_new": theta[1]}, 0.0)
    mean, sd = post.moments("theta", np.arange(3))
    np.testing.assert_allclose(mean, theta.mean(axis=1), **TOL["closed_form"])
    np.testing.assert_allclose(sd, theta.std(axis=1, ddof=1), **TOL["closed_form"])
    q = post.ppf("theta", np.array([0.5, 0.025, 0.975]), np.arange(3))
    assert q.shape == (3, 3)
    np.testing.assert_allclose(q[1], np.quantile(theta[1], [0.5, 0.025, 0.975]), **TOL["closed_form"])
    assert post.cdf("mu", 0.0) == np.mean(theta[0] <= 0.0)
    x = np.linspace(0.0, 5.0, 2001)
    # a kernel density estimate of 4000 draws reflected at 0: integral and shape only, to KDE accuracy
    np.testing.assert_allclose(np.trapezoid(post.pdf("tau", x), x), 1.0, rtol=0.01)
    assert post.pdf("tau", -0.5) == 0.0
