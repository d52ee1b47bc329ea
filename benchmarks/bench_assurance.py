"""Benchmark: assurance with provably negligible quadrature nodes skipped, against the plain quadrature.

Jobs:

* ``assurance_curve`` of the report's planning step (ANCOVA, r = 0.5, the chen2020cjter predictive, 30 sizes)
  against the plain 80 x 64-node quadrature at each size (what ``assurance`` computed before
  ``kernels/power_expect.py``: ``expect(pred, success_power)``), checking that the values are identical;
  the same for one ``assurance`` call and for the t test (80 nodes, no imbalance average);
* the report's ``planning`` step in this process (after a warm-up run): CPU seconds, min and median of five.

There is no outside anchor (pwr has no assurance); the "anchor" column is the plain quadrature, timed the
same way in the same run (``_common.timed_many``, interleaved). Run: ``python benchmarks/bench_assurance.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HEADER, load, row, timed_many  # noqa: E402

from retrostats.planning import assurance, assurance_curve  # noqa: E402
from retrostats.planning._assure import expect, success_power  # noqa: E402
from retrostats.planning.evidence import predictive  # noqa: E402

MEAN, SD = 0.43, 0.2193917864776012  # the report's predictive (chen2020cjter, SE from the printed CI)
SIZES = list(range(10, 301, 10))


def plain(sizes, design, r):
    pred = predictive(mean=MEAN, sd=SD)
    kw = dict(direction=1.0, alpha=0.05, design=design, r=r, ratio=1.0)
    return np.array([expect(pred, lambda th, n=float(n): success_power(th, n, **kw)) for n in sizes])


def curves() -> None:
    print(HEADER)
    for design, r in (("ancova", 0.5), ("ttest", None)):
        ours = assurance_curve(mean=MEAN, sd=SD, n_per_arm=SIZES, design=design, r=r)["assurance"].to_numpy()
        assert np.array_equal(ours, plain(SIZES, design, r)), "assurance differs from the plain quadrature"
        got = timed_many({
            "ours": lambda d=design, r=r: assurance_curve(mean=MEAN, sd=SD, n_per_arm=SIZES, design=d, r=r),
            "plain": lambda d=design, r=r: plain(SIZES, d, r),
        }, 1 if design == "ancova" else 20, 7)
        print(row(f"assurance_curve {design}, 30 sizes", got["ours"], got["plain"], "plain quadrature"))
        got = timed_many({
            "ours": lambda d=design, r=r: assurance(mean=MEAN, sd=SD, n_per_arm=66, design=d, r=r),
            "plain": lambda d=design, r=r: plain([66], d, r),
        }, 5 if design == "ancova" else 100, 7)
        print(row(f"assurance {design}, n = 66", got["ours"], got["plain"], "plain quadrature"))


def step() -> None:
    from retrostats.report import reproduce

    out = Path(tempfile.mkdtemp())
    reproduce(out / "warm", only=["planning"], progress=False, jobs=1)
    cpu = []
    for i in range(5):
        t0 = time.process_time()
        reproduce(out / f"run{i}", only=["planning"], progress=False, jobs=1)
        cpu.append(time.process_time() - t0)
    print(f"reproduce --only planning, CPU: min {min(cpu):.3f} s, median {statistics.median(cpu):.3f} s "
          f"[{load()}]")


if __name__ == "__main__":
    curves()
    step()
