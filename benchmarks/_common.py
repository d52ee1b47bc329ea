"""Timing helpers shared by the benchmarks: both sides timed the same way, the machine's load recorded.

Python and R run the same loop: ``repeats`` times, time ``number`` calls and divide by ``number``; each side
reports the minimum and the median of those per-call times. R is timed inside R (``proc.time()``), so R's
start-up never counts. ``load()`` reads ``os.getloadavg()``: on a shared machine print it beside every ratio
and prefer the minimum (the least disturbed repeat).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

#: the R twin of :func:`timed`
R_TIMER = r"""
tm <- function(f, number, repeats) {
  x <- vapply(seq_len(repeats), function(r) {
    t0 <- proc.time()[["elapsed"]]
    for (i in seq_len(number)) f()
    (proc.time()[["elapsed"]] - t0) / number
  }, 0)
  list(min = min(x), median = stats::median(x), number = number, repeats = repeats)
}
"""


def timed(fn: Callable[[], object], number: int, repeats: int) -> dict[str, float]:
    """Per-call seconds of ``fn``: minimum and median over ``repeats`` loops of ``number`` calls."""
    fn()  # warm-up (imports, caches) outside the timing, as R's first call is outside its loop too
    per = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        per.append((time.perf_counter() - t0) / number)
    return {"min": min(per), "median": float(np.median(per)), "number": number, "repeats": repeats}


def timed_many(fns: dict[str, Callable[[], object]], number: int, repeats: int) -> dict[str, dict[str, float]]:
    """:func:`timed` for several Python functions, interleaved: each repeat times every function once, so
    a load spike on the shared machine hits all of them rather than one.
    """
    for fn in fns.values():
        fn()
    per: dict[str, list[float]] = {key: [] for key in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            per[key].append((time.perf_counter() - t0) / number)
    return {
        key: {"min": min(x), "median": float(np.median(x)), "number": number, "repeats": repeats}
        for key, x in per.items()
    }


def run_r(body: str, frames: dict[str, pd.DataFrame] | None = None, timeout: float = 1800) -> dict:
    """Run an R script (with ``tm()`` defined and each frame loaded as a data.frame of that name).

    The script must ``cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))`` as its last output line.
    """
    with tempfile.TemporaryDirectory() as tmp:
        head = [R_TIMER]
        for name, df in (frames or {}).items():
            path = Path(tmp) / f"{name}.csv"
            df.to_csv(path, index=False, float_format="%.17g")
            head.append(f'{name} <- read.csv("{path.as_posix()}")')
        script = Path(tmp) / "bench.R"
        script.write_text("\n".join(head) + "\n" + body, encoding="utf-8")
        proc = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"Rscript failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load() -> str:
    """The 1/5/15-minute load averages and the core count, for printing beside the results."""
    a, b, c = os.getloadavg()
    return f"load {a:.1f}/{b:.1f}/{c:.1f} on {os.cpu_count()} cores"


def exponent(sizes, seconds) -> float:
    """Fitted growth exponent: the slope of log(time) on log(size)."""
    return float(np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(seconds, float)), 1)[0])


def fmt(seconds: float) -> str:
    """Seconds in a readable unit."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def row(task: str, ours: dict, anchor: dict | None, anchor_name: str) -> str:
    """One line: task, our min/median, the anchor's min/median, the ratio of minima (anchor / ours), load."""
    mine = f"{fmt(ours['min']):>10s} {fmt(ours['median']):>10s}"
    if anchor is None:
        return f"{task:<44s} {mine} {'':>10s} {'':>10s} {'':>8s}  {anchor_name:<22s} [{load()}]"
    other = f"{fmt(anchor['min']):>10s} {fmt(anchor['median']):>10s}"
    ratio = anchor["min"] / ours["min"]
    return f"{task:<44s} {mine} {other} {ratio:>7.2f}x  {anchor_name:<22s} [{load()}]"


HEADER = (
    f"{'task':<44s} {'ours min':>10s} {'ours med':>10s} {'anchor min':>10s} {'anchor med':>10s} {'ratio':>8s}  anchor"
)
