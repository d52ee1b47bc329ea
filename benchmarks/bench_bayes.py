"""Exact (numerical integration) vs NUTS (PyMC) on the same Bayesian random-effects model, in one run.

Prints wall times in milliseconds and the ratio. NUTS is timed twice: the first call includes PyTensor
compilation, the second reuses the compiled model (the fair steady-state number).
Run: python benchmarks/bench_bayes.py
"""

from __future__ import annotations

import logging
import time

import numpy as np

import retrostats as rs

logging.getLogger("pymc").setLevel(logging.ERROR)

Y = np.array([28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16])  # Rubin (1981) eight schools
V = np.array([14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6]) ** 2
KW = dict(yi=Y, vi=V, mu_prior=("normal", 0.0, 50.0), tau_prior=("half-cauchy", 25.0))


def timed(fn, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3, out


def main() -> None:
    ms_exact, exact = timed(lambda: rs.bayes_meta_analysis(**KW, method="exact"), repeat=5)
    nuts = dict(method="nuts", draws=1000, tune=1000, chains=2, random_seed=1)
    ms_first, _ = timed(lambda: rs.bayes_meta_analysis(**KW, **nuts))
    ms_nuts, fit = timed(lambda: rs.bayes_meta_analysis(**KW, **nuts))
    print(
        "model: eight schools, normal(0, 50) mu, half-Cauchy(25) tau; NUTS 2 chains x 1000 draws (+1000 tune)"
    )
    print(f"exact (full summary incl. quantiles, shortest intervals, 8 study effects): {ms_exact:9.1f} ms")
    print(f"NUTS first call (incl. compile):                                          {ms_first:9.1f} ms")
    print(f"NUTS second call:                                                         {ms_nuts:9.1f} ms")
    print(
        f"ratio NUTS/exact: {ms_nuts / ms_exact:.0f}x (steady state), "
        f"{ms_first / ms_exact:.0f}x (with compile)"
    )
    print(
        "mu mean exact {:.4f}  nuts {:.4f} (mcse {:.4f})".format(
            exact.posterior_summary.loc["mu", "mean"],
            fit.posterior_summary.loc["mu", "mean"],
            fit.diagnostics.loc["mu", "mcse_mean"],
        )
    )


if __name__ == "__main__":
    main()
