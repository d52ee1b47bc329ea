"""The code base passes ruff (configured in pyproject.toml, numpy docstring convention)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest
from conftest import ROOT


def test_ruff_clean():
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it comes with the `dev` extra)")
    paths = ["retrostats", "tests", "benchmarks", "paper", "data", "notebooks"]
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", *paths],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# absolute paths that tie the repository to one machine (a home folder, a venv, a work tree)
_MACHINE_PATH = re.compile(r"(?<![\w.])/(?:root|home|Users|work|opt/venv)/[\w.-]+|(?<![\w./-])/[\w.-]+/\.?venv/bin/")


def test_no_machine_specific_paths():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if files.returncode != 0:
        pytest.skip("not a git checkout")
    hits = []
    for name in files.stdout.splitlines():
        path = ROOT / name
        binary = {".png", ".pdf", ".xlsx", ".sav", ".dta", ".tif", ".tiff", ".eps"}
        if path.suffix.lower() in binary or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            if _MACHINE_PATH.search(line):
                hits.append(f"{name}:{lineno}: {line.strip()[:100]}")
    assert not hits, "machine-specific absolute paths (use relative paths):\n" + "\n".join(hits)
