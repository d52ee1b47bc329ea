"""Start-up time of the command line: `retrostats --help`, `datasets list`, `plan --help`, `meta --help`,
each as a fresh process, against `python -c "import pandas"` and a bare `python -c pass` in the same run.

The sub-commands import NumPy, SciPy and pandas only when they compute, so listing the commands and the
datasets costs an interpreter start plus the argument parser. Prints the best of N runs (seconds), the
ratio to `import pandas`, and whether each is under the 0.5 s target. On a shared machine the absolute
numbers move with the load; compare the ratios.
Run: python benchmarks/bench_cli.py [N]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "retrostats"]  # what the console script runs (retrostats.cli.run)
CASES = {
    "retrostats --help": [*CLI, "--help"],
    "retrostats datasets list": [*CLI, "datasets", "list"],
    "retrostats plan --help": [*CLI, "plan", "--help"],
    "retrostats meta --help": [*CLI, "meta", "--help"],
    'python -c "import pandas"': [sys.executable, "-c", "import pandas"],
    "python -c pass": [sys.executable, "-c", "pass"],
}


def best_of(cmd: list[str], repeats: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    got = {name: best_of(cmd, repeats) for name, cmd in CASES.items()}
    pandas = got['python -c "import pandas"']
    print(f"best of {repeats} fresh processes (seconds); ratio = time / time of `import pandas`")
    for name, t in got.items():
        flag = "" if not name.startswith("retrostats") else ("  < 0.5 s" if t < 0.5 else "  OVER 0.5 s")
        print(f"{name:<28} {t:6.3f} s   ratio {t / pandas:5.2f}{flag}")


if __name__ == "__main__":
    main()
