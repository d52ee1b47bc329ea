"""The documentation builds with Sphinx (numpydoc API reference, MyST tutorials) with warnings as errors,
and the clone is self-contained: the API contract and the house style are in docs/."""

from __future__ import annotations

import warnings
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
    from sphinx.cmd.build import build_main

    out = tmp_path / "html"
    log = tmp_path / "sphinx-warnings.txt"
    # `python -m sphinx -W --keep-going -q -b html docs <out>` run in this process (build_main is what the command
    # runs, without the console locale): a new interpreter would import retrostats and pandas again for autodoc,
    # about a third of the build. Sphinx's own warnings fail the build (-W); Python warnings raised inside Sphinx
    # and its extensions (a deprecation in a dependency) are ignored, as the command would only print them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = build_main(["-W", "--keep-going", "-q", "-w", str(log), "-b", "html", str(ROOT / "docs"), str(out)])
    assert code == 0, log.read_text(encoding="utf-8")[-3000:] if log.exists() else f"sphinx exited {code}"
    for page in ("index", "api/meta", "api/figures", "tutorials/reanalyse", "tutorials/plan", "tutorials/figures",
                 "API", "STYLE"):
        assert (out / f"{page}.html").is_file(), page
    meta = (out / "api" / "meta.html").read_text(encoding="utf-8")
    assert "meta_analysis" in meta and "Parameters" in meta
