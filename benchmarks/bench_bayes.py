"""Exact (numerical integration) vs NUTS (PyMC) on the same Bayesian random-effects model, in one run.

Prints wall times in milliseconds and the ratio NUTS / exact. The exact method is timed as the median of
repeated warm calls (the first call is shown separately; the bayes layer is imported before any timing).
NUTS is timed twice: the first call includes PyTensor compilation, the second reuses the compiled model
(the steady-state number).
Both calls return the full ``posterior_summary`` (mean, sd, median, equal-tailed and shortest 95% intervals
of mu, tau and theta_new) and the 8 shrunken study effects.

Machine caveat: timings are wall-clock on whatever machine runs this (the reference numbers in the issue
note came from a shared 2-core container with other jobs running); the ratio is more stable than either
time, but it still moves with load, the BLAS build and PyTensor's compiler cache.

Run: python benchmarks/bench_bayes.py
"""

from __future__ import annotations

import logging
import platform
import statistics
import time

import numpy as np

import retrostats as rs
import retrostats.bayes  # noqa: F401  (imported up front so that no timing below includes it)

logging.getLogger("pymc").setLevel(logging.ERROR)

Y = np.array([28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16])  # Rubin (1981) eight schools
V = np.array([14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6]) ** 2
KW = dict(yi=Y, vi=V, mu_prior=("normal", 0.0, 50.0), tau_prior=("half-cauchy", 25.0))
NUTS = dict(method="nuts", draws=1000, tune=1000, chains=2, random_seed=1)  # cores=1 (retrostats' setting)


def ms(fn) -> tuple[float, object]:
    """Wall time of one call in milliseconds, and its result."""
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1e3, out


def main(repeat: int = 21) -> None:
    first_exact, _ = ms(lambda: rs.bayes_meta_analysis(**KW, method="exact"))
    warm = [ms(lambda: rs.bayes_meta_analysis(**KW, method="exact"))[0] for _ in range(repeat)]
    ms_exact = statistics.median(warm)
    exact = rs.bayes_meta_analysis(**KW, method="exact")
    ms_first, _ = ms(lambda: rs.bayes_meta_analysis(**KW, **NUTS))
    ms_nuts, fit = ms(lambda: rs.bayes_meta_analysis(**KW, **NUTS))
    print(f"machine: {platform.machine()} / {platform.python_implementation()} {platform.python_version()}")
    print("model: eight schools, normal(0, 50) mu, half-Cauchy(25) tau; NUTS 2 chains x 1000 draws (+1000 tune)")
    print(f"exact, first call:                         {first_exact:9.2f} ms")
    print(f"exact, warm (median of {repeat}):              {ms_exact:9.2f} ms")
    print(f"NUTS, first call (incl. PyTensor compile): {ms_first:9.1f} ms")
    print(f"NUTS, warm (compiled model reused):        {ms_nuts:9.1f} ms")
    print(
        f"ratio NUTS / exact: {ms_nuts / ms_exact:.0f}x warm, {ms_first / ms_exact:.0f}x first call "
        "(target: >= 100x)"
    )
    print(
        "mu mean exact {:.4f}  nuts {:.4f} (mcse {:.4f})".format(
            exact.posterior_summary.loc["mu", "mean"],
            fit.posterior_summary.loc["mu", "mean"],
            fit.diagnostics.loc["mu", "mcse_mean"],
        )
    )
    print("caveat: wall-clock times on a shared machine; rerun locally before quoting them.")


if __name__ == "__main__":
    main()
