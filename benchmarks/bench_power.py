"""Simulated ANCOVA trials per second: retrostats.simulate_power vs a statsmodels OLS loop, same design.

The loop is timed on a few hundred trials and extrapolated per trial; ours runs 10,000 trials (both
generators). Prints trials/second, the per-trial ratio and the wall time of 10,000 trials.
Run: python benchmarks/bench_power.py
"""

from __future__ import annotations

import time

import numpy as np
import statsmodels.api as sm

from retrostats.planning import simulate_power

N_PER_ARM, EFFECT, SD, R, ALPHA = 50, 0.5, 1.0, 0.5, 0.05


def statsmodels_loop(n_trials: int, seed: int = 1) -> float:
    rng = np.random.default_rng(seed)
    arm = np.r_[np.ones(N_PER_ARM), np.zeros(N_PER_ARM)]
    hits = 0
    for _ in range(n_trials):
        x = rng.standard_normal(2 * N_PER_ARM)
        y = EFFECT * arm + SD * (R * x + np.sqrt(1 - R * R) * rng.standard_normal(2 * N_PER_ARM))
        fit = sm.OLS(y, np.column_stack([np.ones_like(x), arm, SD * x])).fit()
        hits += fit.pvalues[1] < ALPHA
    return hits / n_trials


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    n_loop, n_ours = 500, 10_000
    t_loop = best_of(lambda: statsmodels_loop(n_loop), repeats=2)
    per_loop = t_loop / n_loop
    print(
        f"statsmodels OLS loop: {n_loop} trials in {t_loop:.3f} s -> {1 / per_loop:,.0f} trials/s "
        f"(10,000 trials extrapolated: {per_loop * n_ours:.2f} s)"
    )
    for gen in ("sufficient", "participants"):
        t = best_of(
            lambda g=gen: simulate_power(
                n_per_arm=N_PER_ARM, effect=EFFECT, sd=SD, r=R, n_sims=n_ours, seed=2, generator=g
            )
        )
        per = t / n_ours
        print(
            f"retrostats simulate_power ({gen}): 10,000 trials in {t:.4f} s -> {1 / per:,.0f} trials/s; "
            f"ratio per trial vs statsmodels loop: {per_loop / per:,.0f}x"
        )
    res = simulate_power(n_per_arm=N_PER_ARM, effect=EFFECT, sd=SD, r=R, n_sims=n_ours, seed=2)
    print(
        f"check: simulated power {res.power:.4f} (MCSE {res.mcse:.4f}), analytic {res.analytic_power:.4f}, "
        f"statsmodels loop on {n_loop} trials {statsmodels_loop(n_loop):.3f}"
    )


if __name__ == "__main__":
    main()
