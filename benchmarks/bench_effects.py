"""Benchmark: retrostats.effect_sizes against metafor's escalc (via Rscript), side by side in one run.

The same 10,000 two-group rows (SMD, MD, ROM) in both; Python timed as the best of several repeats, R timed
inside R with system.time (excluding R start-up). Prints the R/Python ratio per measure and checks that the
two agree. Run:
    .venv/bin/python benchmarks/bench_effects.py
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import retrostats as rs

N = 10_000
MEASURES = ("SMD", "MD", "ROM")
R_SCRIPT = r"""
suppressPackageStartupMessages(library(metafor))
d <- read.csv("{csv}")
out <- list()
for (m in c({measures})) {{
  t <- system.time(for (i in 1:{reps}) es <- escalc(m, m1i = m1, sd1i = sd1, n1i = n1, m2i = m2, sd2i = sd2,
                                                   n2i = n2, data = d))[["elapsed"]] / {reps}
  out[[m]] <- list(seconds = t, yi = as.numeric(es$yi), vi = as.numeric(es$vi))
}}
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))
"""


def best(fn, n: int = 7) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(7)
    d = pd.DataFrame({
        "m1": rng.normal(5, 1, N), "sd1": rng.uniform(1, 2, N), "n1": rng.integers(5, 80, N),
        "m2": rng.normal(5, 1, N), "sd2": rng.uniform(1, 2, N), "n2": rng.integers(5, 80, N),
    })
    cols = dict(m1="m1", sd1="sd1", n1="n1", m2="m2", sd2="sd2", n2="n2")
    py = {m: best(lambda m=m: rs.effect_sizes(d, measure=m, **cols)) for m in MEASURES}
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        d.to_csv(csv, index=False, float_format="%.17g")
        script = R_SCRIPT.format(csv=csv, reps=5, measures=", ".join(f'"{m}"' for m in MEASURES))
        t0 = time.perf_counter()
        proc = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
    r = json.loads(proc.stdout)
    print(f"effect sizes, {N} two-group rows (R {wall:.1f} s wall for the Rscript run incl. start-up)")
    head = ("measure", "retrostats ms", "escalc ms", "R/Python", "max rel diff yi")
    print(f"{head[0]:8s} {head[1]:>14s} {head[2]:>10s} {head[3]:>9s} {head[4]:>16s}")
    for m in MEASURES:
        es = rs.effect_sizes(d, measure=m, **cols)
        ref = np.asarray(r[m]["yi"])
        diff = np.max(np.abs(es["yi"].to_numpy() - ref) / np.maximum(1e-300, np.abs(ref)))
        sec = r[m]["seconds"]
        print(f"{m:8s} {py[m] * 1e3:14.2f} {sec * 1e3:10.2f} {sec / py[m]:9.1f} {diff:16.2e}")
    print("Timings on a shared 2-core machine; ratios vary between runs.")


if __name__ == "__main__":
    main()
