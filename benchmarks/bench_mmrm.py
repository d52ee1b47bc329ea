"""Time retrostats.mmrm against nlme::gls (corSymm + varIdent, REML) on the same synthetic trials.

R's time is measured inside R (system.time around gls() only, median of repeats), ours around mmrm() (the
full call: validation, fit, Satterthwaite contrasts). Run: python benchmarks/bench_mmrm.py
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import retrostats as rs

R_CODE = r"""
suppressPackageStartupMessages(library(nlme))
dd <- read.csv(commandArgs(TRUE)[1]); dd <- dd[dd$week > 0, ]
weeks <- sort(unique(dd$week)); dd$fweek <- factor(dd$week, levels = weeks)
dd$visitnum <- match(dd$week, weeks)
dd$arm <- factor(dd$arm)
reps <- as.integer(commandArgs(TRUE)[2])
t <- replicate(reps, system.time(gls(value ~ fweek + arm + arm:fweek + baseline + baseline:fweek, data = dd,
  correlation = corSymm(form = ~ visitnum | participant), weights = varIdent(form = ~ 1 | fweek),
  method = "REML"))[["elapsed"]])
cat(median(t), "\n")
"""


def bench(n_per_arm: int, weeks: tuple, reps: int) -> None:
    d = rs.simulate_trial(n_per_arm, weeks=weeks, instrument="VAS_100", baseline_mean=60, baseline_sd=18,
                          change={"retro": 20, "forward": 14, "control": 8}, correlation=0.6, dropout=0.2,
                          seed=1)
    post = d[d["week"] > 0]
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        rs.mmrm(post, outcome="value", arm="arm", visit="week", subject="participant", baseline="baseline")
        times.append(time.perf_counter() - t0)
    ours = float(np.median(times))
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        d.to_csv(csv, index=False)
        script = Path(tmp) / "b.R"
        script.write_text(R_CODE)
        out = subprocess.run(["Rscript", str(script), str(csv), str(reps)], capture_output=True, text=True,
                             check=True)
        r_time = float(out.stdout.split()[0])
    print(f"{3 * n_per_arm:5d} participants x {len(weeks) - 1} visits: retrostats.mmrm {ours * 1e3:8.1f} ms, "
          f"nlme::gls {r_time * 1e3:8.1f} ms, ratio ours/R {ours / r_time:5.2f}")


if __name__ == "__main__":
    bench(25, (0, 2, 4, 6), reps=5)
    bench(100, (0, 2, 4, 6, 8, 12), reps=3)
    bench(300, (0, 2, 4, 6, 8, 12), reps=3)
