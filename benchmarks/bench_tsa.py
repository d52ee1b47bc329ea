"""Benchmark: Lan-DeMets boundaries (retrostats.kernels.spending) against rpact, side by side in one run.

Times the two-sided O'Brien-Fleming-type boundaries at 5 irregular looks and at 10 equally spaced looks
(best of several repeats in Python; R timed inside R with system.time, excluding R start-up), and prints the
largest boundary difference. Run:
    python benchmarks/bench_tsa.py
"""

from __future__ import annotations

import json
import subprocess
import time

import numpy as np

from retrostats.kernels.spending import boundaries

DESIGNS = {"5 irregular looks": [0.12, 0.31, 0.55, 0.78, 1.0], "10 equal looks": list(np.linspace(0.1, 1, 10))}
REPEATS = 10

R_SCRIPT = r"""
suppressPackageStartupMessages(library(rpact))
tm <- function(t, n) {{ s <- system.time(for (i in seq_len(n))
  d <- getDesignGroupSequential(kMax = length(t), sided = 2, alpha = 0.05, typeOfDesign = "asOF",
                                informationRates = t, tolerance = 1e-10))[["elapsed"]]
  list(time = s / n, upper = d$criticalValues) }}
out <- lapply(list({designs}), function(t) tm(t, {n}))
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = 17))
"""


def best(fn, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    designs = ", ".join("c(" + ", ".join(f"{x:.17g}" for x in t) + ")" for t in DESIGNS.values())
    t0 = time.perf_counter()
    r = json.loads(subprocess.run(["Rscript", "-e", R_SCRIPT.format(designs=designs, n=REPEATS)],
                                  capture_output=True, text=True, check=True).stdout)
    r_wall = time.perf_counter() - t0
    print(f"{'design':<20}{'retrostats (s)':>16}{'rpact (s)':>12}{'ratio R/Py':>12}{'max |diff|':>12}")
    for (name, t), rr in zip(DESIGNS.items(), r):
        py, out = best(lambda t=t: boundaries(t, alpha=0.05), REPEATS)
        diff = float(np.max(np.abs(out["upper"] - np.asarray(rr["upper"]))))
        print(f"{name:<20}{py:>16.4f}{rr['time']:>12.4f}{rr['time'] / py:>12.2f}{diff:>12.2e}")
    print(f"Rscript wall time (incl. start-up): {r_wall:.1f} s; the machine is shared, timings are indicative.")


if __name__ == "__main__":
    main()
