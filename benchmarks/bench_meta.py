"""Benchmark: retrostats.meta against metafor (via Rscript), side by side in one run.

Times (best of several repeats in Python; R timed inside R with system.time, excluding R start-up):
REML fit at k = 100, a 1000-permutation test (k = 100, random sign flips), leave-one-out and cumulative
analyses (k = 100). Prints the R/Python ratios and the Rscript wall time. Run:
    python benchmarks/bench_meta.py
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import retrostats as rs

K = 100
N_PERM = 1000
REPEATS = {"rma": 20, "loo": 5, "cumul": 5, "perm": 1}

R_SCRIPT = r"""
suppressPackageStartupMessages(library(metafor))
d <- read.csv("{csv}")
tm <- function(expr, n) {{ t <- system.time(for (i in seq_len(n)) force(expr()))[["elapsed"]]; t / n }}
res <- rma(yi, vi, data = d, method = "REML")
out <- list(
  rma = tm(function() rma(yi, vi, data = d, method = "REML"), {n_rma}),
  loo = tm(function() leave1out(res), {n_loo}),
  cumul = tm(function() cumul(res), {n_cumul}),
  perm = tm(function() permutest(res, iter = {n_perm}), 1),
  estimate = c(res$beta), tau2 = res$tau2)
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = 17))
"""


def best(fn, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(1)
    vi = rng.uniform(0.01, 0.2, K)
    yi = rng.normal(0.3, np.sqrt(vi + 0.05))
    res = rs.meta_analysis(yi=yi, vi=vi)
    py = {
        "rma": best(lambda: rs.meta_analysis(yi=yi, vi=vi), REPEATS["rma"]),
        "loo": best(res.leave_one_out, REPEATS["loo"]),
        "cumul": best(res.cumulative, REPEATS["cumul"]),
        "perm": best(lambda: res.permutation_test(n_perm=N_PERM, seed=1), 3),
    }
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        np.savetxt(csv, np.column_stack([yi, vi]), delimiter=",", header="yi,vi", comments="", fmt="%.17g")
        script = Path(tmp) / "bench.R"
        script.write_text(
            R_SCRIPT.format(
                csv=csv, n_rma=REPEATS["rma"], n_loo=REPEATS["loo"], n_cumul=REPEATS["cumul"], n_perm=N_PERM
            )
        )
        t0 = time.perf_counter()
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
    r = json.loads(out.stdout.strip().splitlines()[-1])  # permutest() prints a progress line first
    print(
        f"k = {K}; REML; same data in both (estimate py {res.estimate:.6f} / R {r['estimate']:.6f}, "
        f"tau2 py {res.tau2:.6f} / R {r['tau2']:.6f})"
    )
    print(f"{'task':<32}{'retrostats (s)':>16}{'metafor (s)':>14}{'R / Python':>12}")
    names = {
        "rma": "REML fit (rma)",
        "loo": "leave-one-out (leave1out)",
        "cumul": "cumulative (cumul)",
        "perm": f"permutation test, {N_PERM} (permutest)",
    }
    for key, label in names.items():
        print(f"{label:<32}{py[key]:>16.5f}{r[key]:>14.5f}{r[key] / py[key]:>12.1f}")
    print(f"Rscript wall time for the whole R script (start-up included): {wall:.1f} s")


if __name__ == "__main__":
    main()
