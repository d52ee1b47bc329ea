"""The documentation builds with Sphinx (numpydoc API reference, MyST tutorials) with warnings as errors,
and the clone is self-contained: the API contract and the house style are in docs/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_contract_and_style_are_in_the_repository():
    for name in ("API.md", "STYLE.md"):
        assert (ROOT / "docs" / name).is_file(), name
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "docs/API.md" in contributing and "docs/STYLE.md" in contributing
    assert "../shared/" not in contributing


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="the docs extra is not installed (pip install -e '.[docs]')")
    pytest.importorskip("numpydoc", reason="the docs extra is not installed")
    pytest.importorskip("myst_parser", reason="the docs extra is not installed")
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(ROOT / "docs"), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for page in ("index", "api/meta", "api/figures", "tutorials/reanalyse", "tutorials/plan", "tutorials/figures",
                 "API", "STYLE"):
        assert (out / f"{page}.html").is_file(), page
    meta = (out / "api" / "meta.html").read_text(encoding="utf-8")
    assert "meta_analysis" in meta and "Parameters" in meta
