"""simulate_power / power_grid: closed-form OLS equals statsmodels, simulation agrees with analytic power."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MCSE_MULTIPLIER, TOL

import retrostats as rs
from retrostats.kernels import simulate as ks
from retrostats.planning import power_ancova, power_grid, power_mmrm, simulate_power


def test_closed_form_ols_equals_statsmodels(rng):
    import statsmodels.api as sm

    for _ in range(5):
        n1, n0 = 13, 17
        x = rng.normal(size=n1 + n0)
        arm = np.r_[np.ones(n1), np.zeros(n0)]
        y = 0.4 * arm + 0.6 * x + rng.normal(size=n1 + n0)
        fit = sm.OLS(y, np.column_stack([np.ones_like(x), arm, x])).fit()
        g1, g0 = arm == 1, arm == 0
        xc = np.where(g1, x - x[g1].mean(), x - x[g0].mean())
        yc = np.where(g1, y - y[g1].mean(), y - y[g0].mean())
        est, se, df = ks.ancova_stats(
            n1, n0, x[g1].mean() - x[g0].mean(), y[g1].mean() - y[g0].mean(), xc @ xc, xc @ yc, yc @ yc
        )
        np.testing.assert_allclose(est, fit.params[1], **TOL["closed_form"])
        np.testing.assert_allclose(se, fit.bse[1], **TOL["closed_form"])
        assert df == fit.df_resid


@pytest.mark.parametrize("generator", ["sufficient", "participants"])
@pytest.mark.parametrize("dropout", [0.0, 0.25])
def test_ancova_simulation_matches_analytic(generator, dropout):
    n_sims = 20000 if generator == "sufficient" else 6000
    res = simulate_power(
        n_per_arm=24, effect=0.8, sd=1.6, r=0.55, n_sims=n_sims, seed=11, dropout=dropout, generator=generator
    )
    if dropout == 0:
        exact = power_ancova(effect_size=0.5, n=24, r=0.55).power
        assert res.analytic_power == pytest.approx(exact, rel=1e-12)
        assert abs(res.power - exact) < MCSE_MULTIPLIER * res.mcse
        # the mean estimate is unbiased and its SD matches the analytic SE within Monte-Carlo error
        assert abs(res.mean_estimate - 0.8) < MCSE_MULTIPLIER * res.empirical_se / np.sqrt(n_sims)
    else:
        # dropout makes the analysed n binomial; the analytic comparison uses the expected n, so the
        # agreement is approximate (Jensen gap well under 1 point of power here) plus Monte-Carlo error
        assert (
            abs(res.power - res.analytic_power) < MCSE_MULTIPLIER * res.mcse + 0.01
        )  # rtol>=0.01: see comment


def test_ancova_null_has_size_alpha():
    res = simulate_power(n_per_arm=15, effect=0.0, sd=1.0, r=0.7, n_sims=40000, seed=3)
    assert abs(res.power - 0.05) < MCSE_MULTIPLIER * np.sqrt(0.05 * 0.95 / 40000)


def test_seeded_and_chunk_independent(monkeypatch):
    a = simulate_power(n_per_arm=20, effect=0.5, sd=1, r=0.5, n_sims=3000, seed=5)
    b = simulate_power(n_per_arm=20, effect=0.5, sd=1, r=0.5, n_sims=3000, seed=5)
    assert a.power == b.power and a.mean_estimate == b.mean_estimate
    from retrostats.planning import simulation

    monkeypatch.setattr(simulation, "_CELLS_PER_CHUNK", 40 * 50)  # 50 trials per chunk
    c = simulate_power(n_per_arm=20, effect=0.5, sd=1, r=0.5, n_sims=3000, seed=5, generator="participants")
    assert 0 < c.power < 1 and c.n_sims == 3000


def test_mmrm_simulation_matches_formula():
    R = rs.planning.visit_correlation(4, 0.5, "ar1")
    ret = np.array([1.0, 0.9, 0.8, 0.7])
    res = simulate_power(
        "mmrm", n_per_arm=60, effect=0.45, sd=1.0, r=0.5, corr=R, retention=ret, n_sims=20000, seed=2
    )
    pm = power_mmrm(effect_size=0.45, n=60, corr=R, retention=ret)
    formula = pm.power
    # longpower's formula counts one tail; the simulation's analytic value adds the far tail
    from scipy.stats import norm

    ncp = 0.45 / np.sqrt(pm.parameters["phi1"] * 2 / 60)
    np.testing.assert_allclose(res.analytic_power - formula, norm.cdf(-norm.isf(0.025) - ncp), rtol=1e-8)
    # GLS with the true covariance is what the formula assumes; dropout counts are multinomial in the
    # simulation and fixed at their expectation in the formula (a gap far below the Monte-Carlo error here)
    assert abs(res.power - formula) < MCSE_MULTIPLIER * res.mcse
    assert abs(res.mean_estimate - 0.45) < MCSE_MULTIPLIER * res.empirical_se / np.sqrt(20000)


def test_progress_bar_runs(capsys):
    res = simulate_power(n_per_arm=10, effect=0.5, sd=1, r=0.3, n_sims=100, seed=1, progress=True)
    assert res.n_sims == 100


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(r=1.0), r"r must lie in \(-1, 1\)"),
        (dict(r=-1.2), r"r must lie in \(-1, 1\)"),
        (dict(dropout=1.0), "dropout must be below 1"),
        (dict(dropout=-0.1), "dropout must lie in"),
        (dict(design="anova"), "Did you mean 'ancova'"),
        (dict(n_per_arm=1), "n_per_arm must lie in"),
        (dict(sd=0), "sd must lie in"),
    ],
)
def test_simulate_bad_input(kwargs, match):
    base = dict(n_per_arm=20, effect=0.5, sd=1.0, r=0.5, n_sims=10)
    base.update(kwargs)
    design = base.pop("design", "ancova")
    with pytest.raises(ValueError, match=match):
        simulate_power(design, **base)


def test_grid_analytic_matches_functions():
    g = power_grid(n_per_arm=[20, 40], effect=[2.0, 4.0], sd=8.0, r=[0.0, 0.5], dropout=[0.0, 0.2])
    assert len(g) == 16 and g["mcse"].isna().all()
    row = g[(g.n_per_arm == 40) & (g.effect == 4.0) & (g.r == 0.5) & (g.dropout == 0.2)].iloc[0]
    np.testing.assert_allclose(
        row.power, power_ancova(effect_size=0.5, n=32, r=0.5).power, **TOL["closed_form"]
    )
    t = power_grid("ttest", n_per_arm=30, effect=0.5)
    np.testing.assert_allclose(
        t.power.iloc[0], rs.power_ttest(effect_size=0.5, n=30).power, **TOL["closed_form"]
    )


def test_grid_simulation_joblib_equals_sequential():
    kw = dict(n_per_arm=[20, 30], effect=[0.6], r=[0.5], method="simulation", n_sims=2000, seed=9)
    seq = power_grid(**kw, n_jobs=1)
    par = power_grid(**kw, n_jobs=2)
    np.testing.assert_array_equal(seq.power.to_numpy(), par.power.to_numpy())
    assert (
        np.abs(seq.power - power_grid(n_per_arm=[20, 30], effect=[0.6], r=[0.5]).power)
        < MCSE_MULTIPLIER * seq.mcse
    ).all()


def test_grid_on_dask_cluster():
    distributed = pytest.importorskip("distributed")
    kw = dict(n_per_arm=[20, 30], effect=[0.6], r=[0.5], method="simulation", n_sims=1000, seed=4)
    with (
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
        ) as cl,
        distributed.Client(cl) as client,
    ):
        on_dask = power_grid(**kw, client=client)
    np.testing.assert_array_equal(on_dask.power.to_numpy(), power_grid(**kw).power.to_numpy())
