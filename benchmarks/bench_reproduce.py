"""Benchmark: wall time and CPU time of ``retrostats reproduce``, one process vs two workers.

Each run is a fresh ``python -m``-style subprocess writing into a temporary folder (start-up and imports
included, as a user waits for them); the wall time, the CPU time of the process and its workers, and the
machine's load are printed, and the outputs of all runs are compared byte for byte. There is no anchor
(the paper's figures have no other implementation); the issue's target is under 10 s on a quiet two-core
machine, so read the CPU time and the load beside the wall time. Run: ``python benchmarks/bench_reproduce.py``
(``--skip STEP ...`` leaves steps out, e.g. one that fails on a branch).
"""

from __future__ import annotations

import filecmp
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load  # noqa: E402

CODE = "import sys; from retrostats.cli import main; sys.exit(main(sys.argv[1:]))"


def run(out: Path, jobs: int, only: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-c", CODE, "reproduce", "--out", str(out), "--quiet", "--jobs", str(jobs)]
    subprocess.run(cmd + (["--only", *only] if only else []), check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    names = cmp.common_files
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return not mismatch and not errors and all(same_tree(a / d, b / d) for d in cmp.common_dirs)


def main() -> None:
    skip = sys.argv[sys.argv.index("--skip") + 1 :] if "--skip" in sys.argv else []
    only = []
    if skip:
        from retrostats.report import list_steps

        only = [s.name for s in list_steps() if s.name not in skip]
        print(f"skipping steps {skip} (run: {only})")
    print(f"retrostats reproduce; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        outs = []
        for i, jobs in enumerate((1, 2, 1, 2)):
            out = Path(tmp) / f"run{i}"
            wall, cpu = run(out, jobs, only)
            outs.append(out)
            print(f"run {i + 1}: jobs={jobs}  wall {wall:6.1f} s  CPU (all processes) {cpu:6.1f} s  [{load()}]")
        identical = all(same_tree(outs[0], o) for o in outs[1:])
        print(f"all runs byte-identical: {identical}")


if __name__ == "__main__":
    main()
