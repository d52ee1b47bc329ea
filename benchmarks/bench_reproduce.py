"""Benchmark: wall time and CPU time of ``retrostats reproduce``, one process vs two workers.

Each run is a fresh ``python -m retrostats reproduce`` process (what the ``retrostats`` console script runs)
writing into a temporary folder (start-up, imports and the exit included, as a user waits for them); the wall
time, the CPU time of the process and its workers, and the machine's load are printed, and the outputs of all
runs are compared byte for byte (the files that record the git commit are compared with the commit masked, so
a commit made between runs does not count). There is no anchor (the paper's figures have no other
implementation); the issue's target is under 10 s on a quiet two-core machine, so read the CPU time and the
load beside the wall time.

Bytecode: Python normally caches the compiled modules (``__pycache__``), so a user's second run does not compile
anything. Where the environment turns that off (``PYTHONDONTWRITEBYTECODE=1``, as on some CI and sandbox
machines), every run compiles retrostats' ~150 modules again (~0.4 s of CPU before any step can start). By
default the runs use a bytecode cache in a temporary folder (``PYTHONPYCACHEPREFIX``; the source tree is not
written to), filled by one untimed run first: the steady state of a normal installation. ``--cold-bytecode``
keeps the environment's setting instead. The mode is printed.

Run: ``python benchmarks/bench_reproduce.py`` (runs with ``--jobs 1, 2, 1, 2``). Options: ``--jobs J ...``
other runs (e.g. ``--jobs 1`` for one run in one process), ``--skip STEP ...`` leaves steps out (e.g. one that
fails on a branch), ``--sha FILE`` also writes the SHA-256 of every file of the first run (to compare two
versions of the code: ``diff before.sha after.sha``), ``--cold-bytecode`` (above).
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load  # noqa: E402

#: the command as a user runs it (``python -m retrostats`` is the console script's ``retrostats.cli.run``)
COMMAND = [sys.executable, "-m", "retrostats"]
#: files that record the git commit of the code (and the hashes of such files): compared with it masked
_COMMIT = re.compile(rb"[0-9a-f]{40}( \(with uncommitted changes to tracked files\))?|[0-9a-f]{64}")
_RECORDS_COMMIT = {"MANIFEST.json", "colophon.md", "paper.md", "report.html", "numbers.json", "numbers.tex"}


def run(out: Path, jobs: int, only: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cmd = [*COMMAND, "reproduce", "--out", str(out), "--quiet", "--jobs", str(jobs)]
    subprocess.run(cmd + (["--only", *only] if only else []), check=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def contents(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes; commit-recording files with the commit masked)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            out[str(p.relative_to(root))] = _COMMIT.sub(b"<commit>", data) if p.name in _RECORDS_COMMIT else data
    return out


def options(argv: list[str], name: str) -> list[str]:
    """The words after ``--name`` up to the next option."""
    if f"--{name}" not in argv:
        return []
    rest = argv[argv.index(f"--{name}") + 1 :]
    return rest[: next((i for i, w in enumerate(rest) if w.startswith("--")), len(rest))]


def main(argv: list[str]) -> None:
    skip = options(argv, "skip")
    jobs_list = [int(j) for j in options(argv, "jobs")] or [1, 2, 1, 2]
    sha = options(argv, "sha")
    only = []
    if skip:
        from retrostats.report import list_steps

        only = [s.name for s in list_steps() if s.name not in skip]
        print(f"skipping steps {skip} (run: {only})")
    print(f"retrostats reproduce; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        env = None
        if "--cold-bytecode" in argv:
            print("bytecode: as the environment says (PYTHONDONTWRITEBYTECODE="
                  f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})")
        else:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
            run(Path(tmp) / "warm-up", 1, only, env)
            print("bytecode: cached in a temporary folder, filled by one untimed run (--cold-bytecode: not)")
        outs = []
        for i, jobs in enumerate(jobs_list):
            out = Path(tmp) / f"run{i}"
            wall, cpu = run(out, jobs, only, env)
            outs.append(out)
            print(f"run {i + 1}: jobs={jobs}  wall {wall:6.1f} s  CPU (all processes) {cpu:6.1f} s  [{load()}]")
        first = contents(outs[0])
        if len(outs) > 1:
            identical = all(contents(o) == first for o in outs[1:])
            print(f"all runs byte-identical (git commit masked): {identical}")
        if sha:
            lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(outs[0])}"
                     for p in sorted(outs[0].rglob("*")) if p.is_file()]
            Path(sha[0]).write_text("\n".join(lines) + "\n", encoding="utf-8")
            print(f"SHA-256 of the first run's {len(lines)} files written to {sha[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
