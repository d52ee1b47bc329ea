"""Benchmark: retrostats planning against R pwr (timed inside R) and statsmodels, side by side in one run.

Jobs:

* one calculation: ``power_ttest`` solving for n, for power and for the effect size vs ``pwr.t.test``
  (R) and statsmodels ``TTestIndPower().solve_power``;
* grids of 10, 100 and 1,000 points, with the fitted growth exponent: power over n (``pwr.t.test`` is
  vectorised over n in R), and n solved over effect sizes (an ``sapply`` loop over ``pwr.t.test`` in R, a
  Python loop over statsmodels); ``power_ancova`` grids (no anchor: pwr has no ANCOVA);
* simulated ANCOVA trials, participant-level (like for like: each trial's participants are drawn and the
  OLS is fitted) vs a statsmodels OLS loop; the sufficient-statistic generator is shown beside it;
* ``dask``: ``power_grid`` (exact ANCOVA power, and simulated scenarios) on a local Dask cluster of two
  worker processes against the same grid in this process, checking that the powers are identical (the
  ratio there is in-process time / Dask time).

Both sides run the same loop and report the minimum and median per call (``_common.py``); the ratio is of
minima (anchor / ours, > 1 means we are faster), with the machine's load on every line.
Run: ``python benchmarks/bench_power.py`` (needs Rscript with pwr and jsonlite).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HEADER, exponent, load, row, run_r, timed, timed_many  # noqa: E402

import retrostats as rs  # noqa: E402
from retrostats.planning import power_ancova, power_ttest, simulate_power  # noqa: E402

GRID = (10, 100, 1000)
NUMBER = {"n": 50, "power": 200, "effect": 50}  # calls per timed loop, the same in Python and in R
N_PER_ARM, EFFECT, SD, R, ALPHA = 50, 0.5, 1.0, 0.5, 0.05


def single() -> None:
    from statsmodels.stats.power import TTestIndPower

    sm = TTestIndPower()
    calls = {
        "n": (
            lambda: power_ttest(effect_size=0.5, power=0.8),
            lambda: sm.solve_power(effect_size=0.5, power=0.8, alpha=0.05),
        ),
        "power": (
            lambda: power_ttest(effect_size=0.5, n=64),
            lambda: sm.solve_power(effect_size=0.5, nobs1=64, alpha=0.05),
        ),
        "effect": (lambda: power_ttest(n=64, power=0.8), lambda: sm.solve_power(nobs1=64, power=0.8, alpha=0.05)),
    }
    ours, sms = {}, {}
    for key, (mine, theirs) in calls.items():  # interleaved, so load spikes hit both
        got = timed_many({"ours": mine, "sm": theirs}, NUMBER[key], 15)
        ours[key], sms[key] = got["ours"], got["sm"]
    body = (
        "suppressPackageStartupMessages(library(pwr))\n"
        f"out <- list(n = tm(function() pwr.t.test(d = 0.5, power = 0.8), {NUMBER['n']}, 15),\n"
        f"            power = tm(function() pwr.t.test(d = 0.5, n = 64), {NUMBER['power']}, 15),\n"
        f"            effect = tm(function() pwr.t.test(n = 64, power = 0.8), {NUMBER['effect']}, 15),\n"
        "            n_value = pwr.t.test(d = 0.5, power = 0.8)$n)\n"
        "cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))\n"
    )
    r = run_r(body)
    ours_n = power_ttest(effect_size=0.5, power=0.8).n
    print(f"\n== one t-test calculation (n: ours {ours_n:.6f}, pwr {r['n_value']:.6f}) ==")
    print(HEADER)
    for key, label in (("n", "solve n"), ("power", "power"), ("effect", "solve effect size")):
        print(row(f"power_ttest {label}", ours[key], r[key], "pwr.t.test (R)"))
        print(row(f"power_ttest {label}", ours[key], sms[key], "statsmodels solve_power"))


def grids() -> None:
    from statsmodels.stats.power import TTestIndPower

    sm = TTestIndPower()
    ours_p, ours_n, sm_n, frames = {}, {}, {}, {}
    for g in GRID:
        nn = np.linspace(10, 200, g)
        dd = np.linspace(0.2, 1.2, g)
        frames[f"g{g}"] = pd.DataFrame({"n": nn, "d": dd})
        ours_p[g] = timed(lambda nn=nn: power_ttest(effect_size=0.5, n=nn), max(1, 1000 // g), 5)
        ours_n[g] = timed(lambda dd=dd: power_ttest(effect_size=dd, power=0.8), 1, 5)
        if g <= 100:
            sm_n[g] = timed(lambda dd=dd: [sm.solve_power(effect_size=x, power=0.8, alpha=0.05) for x in dd], 1, 3)
    body = "suppressPackageStartupMessages(library(pwr))\nout <- list()\n"
    for g in GRID:
        body += (
            f'out[["p{g}"]] <- tm(function() pwr.t.test(d = 0.5, n = g{g}$n), {max(1, 1000 // g)}, 5)\n'
            f'out[["n{g}"]] <- tm(function() sapply(g{g}$d, function(x) pwr.t.test(d = x, power = 0.8)$n), 1, 5)\n'
        )
    body += "cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))\n"
    r = run_r(body, frames)
    grid = power_ttest(effect_size=frames["g100"]["d"].to_numpy(), power=0.8)
    one = [power_ttest(effect_size=x, power=0.8).n for x in frames["g100"]["d"].to_numpy()[:10]]
    assert np.array_equal(grid.n[:10], one)
    print("\n== grids (the grid equals one-at-a-time calls exactly) ==")
    print(HEADER)
    for g in GRID:
        print(row(f"power_ttest power, {g:,}-point grid", ours_p[g], r[f"p{g}"], "pwr.t.test vectorised (R)"))
    for g in GRID:
        print(row(f"power_ttest solve n, {g:,}-point grid", ours_n[g], r[f"n{g}"], "pwr.t.test sapply (R)"))
        if g in sm_n:
            print(row(f"power_ttest solve n, {g:,}-point grid", ours_n[g], sm_n[g], "statsmodels loop"))
    print(
        f"growth exponent: power grid ours {exponent(GRID, [ours_p[g]['min'] for g in GRID]):.2f}, "
        f"pwr {exponent(GRID, [r[f'p{g}']['min'] for g in GRID]):.2f}; solve grid ours "
        f"{exponent(GRID, [ours_n[g]['min'] for g in GRID]):.2f}, "
        f"pwr {exponent(GRID, [r[f'n{g}']['min'] for g in GRID]):.2f}"
    )
    d = np.linspace(0.2, 1.0, 100)
    nn = np.linspace(20, 200, 10)[:, None]
    anc_p = timed(lambda: power_ancova(effect_size=d, n=nn, r=0.5), 1, 3)
    anc_n = timed(lambda: power_ancova(effect_size=d[:10], power=0.8, r=0.5), 1, 3)
    anc_b = timed(lambda: power_ancova(effect_size=d, power=0.8, r=0.5, method="borm"), 1, 3)
    print(row("power_ancova exact power, 10 n x 100 d", anc_p, None, "(no anchor)"))
    print(row("power_ancova exact solve n, 10 points", anc_n, None, "(no anchor)"))
    print(row("power_ancova borm solve n, 100 points", anc_b, None, "(no anchor)"))


def statsmodels_loop(n_trials: int, seed: int = 1) -> float:
    import statsmodels.api as sm

    rng = np.random.default_rng(seed)
    arm = np.r_[np.ones(N_PER_ARM), np.zeros(N_PER_ARM)]
    hits = 0
    for _ in range(n_trials):
        x = rng.standard_normal(2 * N_PER_ARM)
        y = EFFECT * arm + SD * (R * x + np.sqrt(1 - R * R) * rng.standard_normal(2 * N_PER_ARM))
        fit = sm.OLS(y, np.column_stack([np.ones_like(x), arm, SD * x])).fit()
        hits += fit.pvalues[1] < ALPHA
    return hits / n_trials


def simulation() -> None:
    n_loop, n_ours = 500, 10_000
    loop = timed(lambda: statsmodels_loop(n_loop), 1, 3)
    per_loop = {k: loop[k] / n_loop * n_ours for k in ("min", "median")}
    print(f"\n== simulated ANCOVA trials: {n_ours:,} trials of {N_PER_ARM} per arm ==")
    print(HEADER)
    for gen in ("participants", "sufficient"):
        ours = timed(
            lambda g=gen: simulate_power(
                n_per_arm=N_PER_ARM, effect=EFFECT, sd=SD, r=R, n_sims=n_ours, seed=2, generator=g
            ),
            1,
            5,
        )
        label = "like for like (headline)" if gen == "participants" else "sufficient statistics"
        print(row(f"simulate_power {gen} ({label})", ours, per_loop, f"statsmodels OLS loop x{n_ours // n_loop}"))
    res = simulate_power(n_per_arm=N_PER_ARM, effect=EFFECT, sd=SD, r=R, n_sims=n_ours, seed=2)
    print(f"check: simulated power {res.power:.4f} (MCSE {res.mcse:.4f}), analytic {res.analytic_power:.4f}")


def dask_grid() -> None:
    """The same scenario grid in this process and on a local Dask cluster (2 worker processes): identical powers."""
    from distributed import Client, LocalCluster

    from retrostats.planning import power_grid

    analytic = dict(
        design="ancova", n_per_arm=np.arange(20, 220, 20), effect=np.linspace(0.1, 1.0, 100), r=[0.3, 0.5, 0.7],
        dropout=[0.0, 0.1],
    )
    simulated = dict(n_per_arm=[30, 60], effect=[0.3, 0.5], r=[0.5, 0.7], method="simulation", n_sims=2000, seed=3)
    local_a = timed(lambda: power_grid(**analytic), 1, 2)
    local_s = timed(lambda: power_grid(**simulated), 1, 2)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        dask_a = timed(lambda: power_grid(**analytic, client=client), 1, 2)
        dask_s = timed(lambda: power_grid(**simulated, client=client), 1, 2)
        same_a = np.array_equal(power_grid(**analytic, client=client).power, power_grid(**analytic).power)
        same_s = np.array_equal(power_grid(**simulated, client=client).power, power_grid(**simulated).power)
    n_a = len(power_grid(**analytic))
    print("\n== power_grid: one process vs a local Dask cluster (2 worker processes, 1 thread each) ==")
    print(HEADER)
    print(row(f"exact ANCOVA power, {n_a:,} scenarios", dask_a, local_a, "the same grid in process"))
    print(row("simulated ANCOVA power, 8 scenarios x 2,000", dask_s, local_s, "the same grid in process"))
    print(f"identical powers on Dask and in process: analytic {same_a}, simulation {same_s}")


def main() -> None:
    t0 = time.perf_counter()
    print(f"retrostats {rs.__version__}; {load()}; times per call (min and median of repeats)")
    jobs = {"single": single, "grids": grids, "simulation": simulation, "dask": dask_grid}
    for name in sys.argv[1:] or list(jobs):
        jobs[name]()
    print(f"\nbenchmark wall time {time.perf_counter() - t0:.0f} s; {load()}")


if __name__ == "__main__":
    main()
