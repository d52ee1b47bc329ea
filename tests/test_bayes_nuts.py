"""PyMC layer: model structure without sampling (fast) and one session-scoped NUTS fit per model (slow)."""

from __future__ import annotations

import importlib.util
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import MCSE_MULTIPLIER

from retrostats.bayes import bayes_ancova, bayes_meta_analysis
from retrostats.bayes.ancova import ancova_model
from retrostats.bayes.nuts import check_convergence, meta_model
from retrostats.bayes.priors import parse_mu_prior, parse_tau_prior
from retrostats.exceptions import ConvergenceWarning, DataError

# PyMC (with ArviZ, ~4 s of CPU to import) is imported by the tests that use it, not here: xdist collects every
# module on every worker, and only the worker that runs this module needs it
pytestmark = [
    pytest.mark.bayes,
    pytest.mark.skipif(importlib.util.find_spec("pymc") is None, reason="could not import 'pymc'"),
]

def _mode():
    """How the structure tests evaluate their one-off log densities: the model's own graph, unrewritten, run
    by PyTensor's Python implementations (no optimising rewrites, no C compilation: a one-off evaluation does
    not need them, and the rewrites took most of these tests' time). The NUTS fits use PyMC's default mode."""
    from pytensor.compile.mode import Mode

    return Mode(linker="py", optimizer=None)


SCHOOLS_Y = np.array([28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16])
SCHOOLS_V = np.array([14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6]) ** 2


@pytest.mark.parametrize(
    "tau_prior",
    [
        ("half-normal", 5.0),
        ("half-cauchy", 25.0),
        ("uniform", 0.0, 50.0),
        ("log-normal", 1.0, 1.0),
        ("log-t-tau2", -3.44, 2.59, 5.0),
        ("half-student-t", 5.0, 3.0),
        ("log-normal-tau2", -2.56, 1.74),
    ],
)
def test_meta_model_structure_and_logp_match_exact_kernel(tau_prior):
    import pymc as pm

    mu_spec, tau_spec = parse_mu_prior(("student-t", 0.0, 50.0, 4.0)), parse_tau_prior(tau_prior)
    model = meta_model(SCHOOLS_Y, SCHOOLS_V, mu_spec, tau_spec)
    names = {rv.name for rv in model.free_RVs}
    assert "mu" in names and "eta" in names and ({"tau", "log_tau2"} & names)
    assert model["eta"].type.shape == (8,) or model.eval_rv_shapes()["eta"] == (8,)
    assert {"theta"} <= {d.name for d in model.deterministics}
    # the prior on tau that PyMC uses equals the kernel's (compare log densities at a few values)
    from retrostats.kernels.bayes_priors import tau_logpdf

    t = np.array([0.3, 2.0, 7.5])
    # evaluated unrewritten by PyTensor's Python implementations (_mode); the NUTS fits below use the default
    with model:
        if "log_tau2" in names:
            z = 2 * np.log(t)
            jacobian = -np.log(t) + np.log(2)  # d log(tau^2) / d tau
            lp = pm.logp(model["log_tau2"], z).eval(mode=_mode()) + jacobian
        else:
            lp = pm.logp(model["tau"], t).eval(mode=_mode())
    ours = tau_logpdf(tau_spec.family, tau_spec.params, t)
    # PyMC rounds some normalising constants (~1e-8), irrelevant to the posterior: compare log-density ratios
    np.testing.assert_allclose(lp - lp[0], ours - ours[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lp, ours, rtol=1e-6)  # absolute log-densities: within PyMC's ~1e-8 rounding
    assert np.isfinite(model.compile_logp(mode=_mode())(model.initial_point()))


def test_ancova_model_structure():
    y = np.array([1.0, 2.0, 3.0, 2.5, 1.5, 0.5])
    model = ancova_model(
        y, y + 0.1, np.array([0, 0, 1, 1, 2, 2]), ["control", "forward", "retro"], np.empty((6, 0))
    )
    assert {rv.name for rv in model.free_RVs} == {"alpha", "beta", "sigma"}
    assert model.coords["arm"] == ("control", "forward", "retro")
    assert np.isfinite(model.compile_logp(mode=_mode())(model.initial_point()))


def test_ancova_bad_input():
    d = pd.DataFrame({"arm": ["retro"] * 4, "pre": [1.0, 2, 3, 4], "post": [1.0, 2, 3, 4]})
    with pytest.raises(DataError, match="at least 2 arms"):
        bayes_ancova(d, outcome="post", baseline="pre", arm="arm")
    d2 = pd.DataFrame({"arm": ["retro", "control"] * 3, "pre": [1.0] * 6, "post": [1.0] * 6})
    with pytest.raises(DataError, match="reference arm 'usual'"):
        bayes_ancova(d2, outcome="post", baseline="pre", arm="arm", reference="usual")
    with pytest.raises(DataError, match="no column"):
        bayes_ancova(d2, outcome="post", baseline="base", arm="arm")


def test_convergence_warning_on_bad_chains():
    az = pytest.importorskip("arviz")
    rng = np.random.default_rng(1)
    post = {"mu": np.stack([rng.normal(0, 1, 100), rng.normal(5, 1, 100)]), "tau": rng.gamma(2, 1, (2, 100))}
    idata = az.from_dict(posterior=post, sample_stats={"diverging": np.zeros((2, 100), bool)})
    with pytest.warns(ConvergenceWarning, match="R-hat > 1.01"):
        check_convergence(idata, ["mu", "tau"])


# ------------------------------------------------------------------------------- one real fit each (slow)
@pytest.fixture(scope="session")
def schools_nuts():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return bayes_meta_analysis(
            yi=SCHOOLS_Y,
            vi=SCHOOLS_V,
            mu_prior=("normal", 0, 50),
            tau_prior=("half-cauchy", 25),
            method="nuts",
            draws=1000,
            tune=1000,
            chains=2,
            random_seed=20261122,
        )


@pytest.mark.slow
def test_nuts_agrees_with_exact_within_4_mcse(schools_nuts):
    exact = bayes_meta_analysis(
        yi=SCHOOLS_Y, vi=SCHOOLS_V, mu_prior=("normal", 0, 50), tau_prior=("half-cauchy", 25)
    )
    assert list(schools_nuts.posterior_summary.index) == list(exact.posterior_summary.index)
    assert list(schools_nuts.posterior_summary.columns) == list(exact.posterior_summary.columns)
    diag = schools_nuts.diagnostics
    for q in ("mu", "tau"):
        mcse = diag.loc[q, "mcse_mean"]
        diff = abs(schools_nuts.posterior_summary.loc[q, "mean"] - exact.posterior_summary.loc[q, "mean"])
        assert diff < MCSE_MULTIPLIER * mcse, (q, diff, mcse)
    assert (diag["r_hat"] <= 1.01).all() and (diag["n_divergences"] == 0).all()
    assert schools_nuts.idata is not None and "theta_new" in schools_nuts.idata.posterior
    draws = schools_nuts.predictive_sample(500, seed=1)
    assert draws.shape == (500,) and np.isfinite(draws).all()
    # density(): a kernel density estimate for NUTS, compared with the exact density in L1 distance. With ~2000
    # autocorrelated draws, KDE bias plus Monte-Carlo error give L1 of 0.05-0.11 (seeds 1, 2, this one); a
    # density off by one posterior sd in location would give ~0.77, so 0.2 separates error from noise
    for q, (a, b) in (("mu", (-30, 45)), ("theta_new", (-60, 75)), ("tau", (0, 60))):
        x = np.linspace(a, b, 3001)
        nd, ed = schools_nuts.density(q, x), exact.density(q, x)
        assert np.trapezoid(np.abs(nd - ed), x) < 0.2, q
        np.testing.assert_allclose(np.trapezoid(nd, x), 1.0, rtol=1e-3)  # the grid holds all but the far tails
    assert schools_nuts.density("tau", np.array([-1.0, 5.0])).shape == (2,)


@pytest.fixture(scope="session")
def ancova_fit():
    rng = np.random.default_rng(20261122)
    n = 30
    arm = np.repeat(["control", "forward", "retro"], n)
    pre = rng.normal(6.0, 1.5, 3 * n)
    shift = np.select([arm == "retro", arm == "forward"], [-2.0, -1.0], 0.0)
    post = 1.0 + 0.6 * pre + shift + rng.normal(0, 1.0, 3 * n)
    d = pd.DataFrame({"arm": arm, "pre": pre, "post": post})
    fit = bayes_ancova(
        d,
        outcome="post",
        baseline="pre",
        arm="arm",
        mcid=1.0,
        higher_is_better=False,
        draws=1000,
        tune=500,
        chains=2,
        random_seed=7,
    )
    return d, fit


@pytest.mark.slow
def test_bayes_ancova_matches_ols_within_4_mcse(ancova_fit):
    d, fit = ancova_fit
    c = fit.contrasts.set_index("contrast")
    assert list(c.index) == ["forward - control", "retro - control", "retro - forward"]
    import statsmodels.formula.api as smf  # here, not at collection: every xdist worker collects this module

    ols = smf.ols("post ~ C(arm, Treatment('control')) + pre", data=d).fit()
    est = {
        "forward - control": ols.params["C(arm, Treatment('control'))[T.forward]"],
        "retro - control": ols.params["C(arm, Treatment('control'))[T.retro]"],
    }
    est["retro - forward"] = est["retro - control"] - est["forward - control"]
    for name, value in est.items():
        assert abs(c.loc[name, "mean"] - value) < MCSE_MULTIPLIER * c.loc[name, "mcse_mean"], name
    p = fit.probability_better("retro", "forward")
    # the same draws summarised two ways: equal up to floating-point summation order
    np.testing.assert_allclose(p, c.loc["retro - forward", "p_mcid"], rtol=1e-12)
    assert 0.0 < p < 1.0
    assert fit.probability_better("retro", "forward", margin=0.0) == c.loc["retro - forward", "p_benefit"]
    assert math.isclose(
        fit.adjusted_means.loc["retro", "mean"] - fit.adjusted_means.loc["forward", "mean"],
        c.loc["retro - forward", "mean"],
        rel_tol=1e-9,
    )


@pytest.mark.slow
def test_bayes_ancova_keeps_the_result_protocol(ancova_fit):
    # tests/test_result_protocol.py checks every other result; this one needs the sampler run above
    from conftest import assert_result_protocol

    _, fit = ancova_fit
    assert_result_protocol(fit, "bayes_ancova")
    assert list(fit.to_frame()["contrast"]) == list(fit.contrasts["contrast"])
