"""Time retrostats.mmrm against nlme::gls (REML) on openpharma/mmrm's fev_data, bcva_data and 10 x bcva_data.

Models: ``FEV1 ~ ARMCD * AVISIT + RACE + SEX`` (fev_data: 200 subjects, 4 visits, 537 rows) and
``BCVA_CHG ~ ARMCD * AVISIT + RACE + BCVA_BL`` (bcva_data: 1,000 subjects, 10 visits, 8,605 rows, 107 missing-visit
patterns; 10 x bcva: the subjects copied 10 times). Structures with an nlme counterpart: us (corSymm + varIdent),
cs (corCompSymm), csh (corCompSymm + varIdent), ar1 (corAR1), ar1h (corAR1 + varIdent); toeplitz,
toeplitz-heterogeneous and ante-dependence are timed for retrostats only.

R's time is measured inside R (``system.time`` around ``gls()`` only: no emmeans), ours around the full
``mmrm()`` call (validation, fit, Satterthwaite df, LS means and contrasts at every visit). Both are the minimum
of ``reps`` runs after one warm-up (ours). The machine is shared: the load average is printed beside each run.

Run: python benchmarks/bench_mmrm.py [--quick] [--all] [--data "10x bcva_data"] [--structures cs,ar1]
[--r-limit SECONDS]  (``--all`` also times nlme on 10 x bcva, us; nlme runs longer than the limit print inf)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import retrostats as rs

DATA = Path(__file__).resolve().parents[1] / "tests" / "reference" / "data"
R_CODE = r"""
suppressPackageStartupMessages(library(nlme))
a <- commandArgs(TRUE)
dd <- read.csv(a[1]); dd <- dd[!is.na(dd[[a[2]]]), ]
dd$AVISIT <- factor(dd$AVISIT); dd$visitnum <- as.integer(dd$AVISIT)
dd <- dd[order(dd$USUBJID, dd$visitnum), ]
form <- as.formula(a[3]); st <- a[4]; reps <- as.integer(a[5])
cor <- switch(st, us = corSymm(form = ~ visitnum | USUBJID), cs = corCompSymm(form = ~ 1 | USUBJID),
              csh = corCompSymm(form = ~ 1 | USUBJID), ar1 = corAR1(form = ~ visitnum | USUBJID),
              ar1h = corAR1(form = ~ visitnum | USUBJID))
het <- st %in% c("us", "csh", "ar1h")
t <- replicate(reps, system.time(
  if (het) gls(form, data = dd, correlation = cor, weights = varIdent(form = ~ 1 | AVISIT), method = "REML")
  else gls(form, data = dd, correlation = cor, method = "REML"))[["elapsed"]])
cat(min(t), "\n")
"""
R_STRUCT = {"us": "us", "cs": "cs", "csh": "csh", "ar1": "ar1", "ar1h": "ar1h"}
# nlme::gls corSymm on 10,000 subjects x 10 visits is not attempted by default (slow on a shared machine; --all)
SKIP_R = {"10x bcva_data": ("us",)}


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def datasets(quick: bool):
    fev = pd.read_csv(DATA / "mmrm_fev_data.csv")
    bcva = pd.read_csv(DATA / "mmrm_bcva_data.csv")
    out = [("fev_data", fev, "FEV1", "ARMCD * AVISIT + RACE + SEX", "PBO", 3),
           ("bcva_data", bcva, "BCVA_CHG", "ARMCD * AVISIT + RACE + BCVA_BL", "CTL", 2)]
    if not quick:
        big = pd.concat([bcva.assign(USUBJID=bcva["USUBJID"].astype(str) + f"_{k}") for k in range(10)],
                        ignore_index=True)
        out.append(("10x bcva_data", big, "BCVA_CHG", "ARMCD * AVISIT + RACE + BCVA_BL", "CTL", 1))
    return out


def ours(d, outcome, formula, ref, st, reps) -> float:
    times = []
    for _ in range(reps + 1):  # the first run warms up imports and caches
        t0 = time.perf_counter()
        rs.mmrm(d, outcome=outcome, arm="ARMCD", visit="AVISIT", subject="USUBJID", formula=formula,
                reference=ref, covariance=st)
        times.append(time.perf_counter() - t0)
    return min(times[1:])


def theirs(csv: Path, outcome, formula, st, reps, limit: float = 900.0) -> float:
    """nlme::gls time in seconds (minimum of ``reps``), ``inf`` if it exceeds ``limit`` seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "b.R"
        script.write_text(R_CODE)
        try:
            out = subprocess.run(["Rscript", str(script), str(csv), outcome, f"{outcome} ~ {formula}", st,
                                  str(reps)], capture_output=True, text=True, check=True, timeout=limit)
        except subprocess.TimeoutExpired:
            return float("inf")
    return float(out.stdout.split()[0])


def main(quick: bool = False, skip_r: dict | None = None, only: list[str] | None = None,
         structures: list[str] | None = None, r_limit: float = 900.0) -> None:
    skip_r = skip_r or {}
    structures = structures or ["us", "cs", "csh", "ar1", "ar1h", "toeplitz", "toeplitz-heterogeneous",
                                "ante-dependence"]
    print("structure               data            retrostats (s)   nlme::gls (s)   gls/ours   load")
    for name, d, outcome, formula, ref, reps in datasets(quick):
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "d.csv"
            d.to_csv(csv, index=False)
            for st in structures:
                t_ours = ours(d, outcome, formula, ref, st, reps)
                if st in R_STRUCT and st not in skip_r.get(name, ()):
                    t_r = theirs(csv, outcome, formula, R_STRUCT[st], reps, r_limit)
                    print(f"{st:23s} {name:15s} {t_ours:14.3f} {t_r:15.3f} {t_r / t_ours:10.1f}   {_load()}",
                          flush=True)
                else:
                    print(f"{st:23s} {name:15s} {t_ours:14.3f} {'-':>15s} {'-':>10s}   {_load()}", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]

    def _opt(flag):
        return args[args.index(flag) + 1].split(",") if flag in args else None

    main(quick="--quick" in args, skip_r={} if "--all" in args else SKIP_R, only=_opt("--data"),
         structures=_opt("--structures"), r_limit=float((_opt("--r-limit") or [900])[0]))
