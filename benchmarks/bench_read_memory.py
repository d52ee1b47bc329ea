"""Peak memory of read_participants relative to the file's size (tracemalloc), on two long CSVs.

``realistic``: 200,000 participants x 4 visits with id, site, arm, sex, age, date, week and a one-decimal value
(the reader parses only the four columns it needs); ``compact``: the same rows with only the four needed
columns and one-digit values (the output frame alone is then ~3.8x the file). Prints file size, peak and ratio.
Run: python benchmarks/bench_read_memory.py [n_participants]
"""

from __future__ import annotations

import os
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

import retrostats as rs


def make(path: Path, n: int, realistic: bool) -> None:
    rng = np.random.default_rng(1)
    cols = {"participant": np.repeat([f"RS-{i:07d}" if realistic else f"{i:06d}" for i in range(n)], 4)}
    if realistic:
        cols["site"] = np.repeat(rng.choice(["Berlin", "Leeds", "Lyon"], n), 4)
    cols["arm"] = np.repeat(rng.choice(["retro", "control", "forward"], n), 4)
    if realistic:
        cols["sex"] = np.repeat(rng.choice(["female", "male"], n), 4)
        cols["age"] = np.repeat(rng.integers(18, 80, n), 4)
        cols["visit_date"] = "2024-03-15"
    cols["week"] = np.tile([0, 2, 4, 6], n)
    cols["value"] = np.round(rng.uniform(0, 10, 4 * n), 1) if realistic else rng.integers(0, 11, 4 * n)
    pd.DataFrame(cols).to_csv(path, index=False)


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        small = Path(d) / "warm.csv"
        small.write_text("participant,arm,week,value\n1,retro,0,1\n", encoding="utf-8")
        rs.read_participants(small)  # imports and caches outside the measurement
        for kind in ("realistic", "compact"):
            path = Path(d) / f"{kind}.csv"
            make(path, n, kind == "realistic")
            size = os.path.getsize(path)
            tracemalloc.start()
            out = rs.read_participants(path)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"{kind:9s} file {size / 1e6:6.1f} MB  rows {len(out):8d}  peak {peak / 1e6:6.1f} MB  "
                  f"ratio {peak / size:5.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
