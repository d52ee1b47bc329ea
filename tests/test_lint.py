"""The code base passes ruff (configured in pyproject.toml, numpy docstring convention)."""

from __future__ import annotations

import importlib.util
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
