"""Benchmark: retrostats.effect_sizes against metafor's escalc (timed inside R), side by side in one run.

The same two-group rows (SMD, MD, ROM) and one-group change rows (SMCC: group 1 as the follow-up, group 2 as
baseline, r = 0.5 in a column) in both at 1,000, 10,000 and 100,000 rows; both sides run the same
loop and report the minimum and median per call (``_common.py``); the ratio is of minima (escalc / ours,
> 1 means we are faster), with the fitted growth exponent and the machine's load. The two must agree.
Run: ``python benchmarks/bench_effects.py`` (needs Rscript with metafor and jsonlite).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HEADER, exponent, load, row, run_r, timed  # noqa: E402

import retrostats as rs  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
MEASURES = ("SMD", "MD", "ROM", "SMCC")
TWO = dict(m1="m1", sd1="sd1", n1="n1", m2="m2", sd2="sd2", n2="n2")
ONE = dict(m1="m1", sd1="sd1", m2="m2", sd2="sd2", n="n1", ri="r")
R_ARGS = {"two": "m1i = m1, sd1i = sd1, n1i = n1, m2i = m2, sd2i = sd2, n2i = n2",
          "one": "m1i = m1, m2i = m2, sd1i = sd1, sd2i = sd2, ni = n1, ri = r"}
NUMBER = {1_000: 50, 10_000: 10, 100_000: 2}
REPEATS = {1_000: 15, 10_000: 7, 100_000: 5}  # more repeats where one call is short: load spikes pass


def frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "m1": rng.normal(5, 1, n),
            "sd1": rng.uniform(1, 2, n),
            "n1": rng.integers(5, 80, n),
            "m2": rng.normal(5, 1, n),
            "sd2": rng.uniform(1, 2, n),
            "n2": rng.integers(5, 80, n),
            "r": np.full(n, 0.5),
        }
    )


def main() -> None:
    t0 = time.perf_counter()
    print(f"retrostats {rs.__version__}; {load()}; times per call (min and median of repeats)")
    frames = {f"d{n}": frame(n) for n in SIZES}
    ours = {
        (m, n): timed(lambda m=m, d=frames[f"d{n}"]: rs.effect_sizes(d, measure=m, **(ONE if m == "SMCC" else TWO)),
                      NUMBER[n], REPEATS[n])
        for m in MEASURES
        for n in SIZES
    }
    body = "suppressPackageStartupMessages(library(metafor))\nout <- list()\n"
    for n in SIZES:
        for m in MEASURES:
            args = R_ARGS["one" if m == "SMCC" else "two"]
            body += f'out[["{m}{n}"]] <- tm(function() escalc("{m}", {args}, data = d{n}), {NUMBER[n]}, {REPEATS[n]})\n'
        for m in ("SMD", "SMCC"):
            args = R_ARGS["one" if m == "SMCC" else "two"]
            body += f'out[["yi{m}{n}"]] <- as.numeric(escalc("{m}", {args}, data = d{n})$yi)[1:50]\n'
    body += "cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))\n"
    r = run_r(body, frames)
    print(HEADER)
    for n in SIZES:
        for m in ("SMD", "SMCC"):
            es = rs.effect_sizes(frames[f"d{n}"], measure=m, **(ONE if m == "SMCC" else TWO))
            diff = float(np.max(np.abs(es["yi"].to_numpy()[:50] - np.asarray(r[f"yi{m}{n}"]))))
            assert diff < 1e-10, (m, n, diff)
        for m in MEASURES:
            print(row(f"effect_sizes {m} {n:,} rows", ours[(m, n)], r[f"{m}{n}"], "metafor escalc (R)"))
    for m in MEASURES:
        print(
            f"growth exponent {m}: ours {exponent(SIZES, [ours[(m, n)]['min'] for n in SIZES]):.2f}, "
            f"escalc {exponent(SIZES, [r[f'{m}{n}']['min'] for n in SIZES]):.2f}"
        )
    print(f"benchmark wall time {time.perf_counter() - t0:.0f} s; {load()}")


if __name__ == "__main__":
    main()
