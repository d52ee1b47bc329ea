"""The `registry_decision` reproduce step: TSA figure, GRADE and SoF tables, DOCX, numbers, paper paragraph."""

from __future__ import annotations

import re

import pytest

from retrostats.report import reproduce
from retrostats.report.paper import PAPER_DIR, fill_numbers


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("decision")
    return out, reproduce(out, quick=True, progress=False, only=["registry_decision"])


def test_files_and_numbers(run):
    out, ctx = run
    for name in ("figures/fig_registry_pain_tsa.png", "figures/fig_registry_pain_tsa.pdf",
                 "tables/decision_pain_tsa_monitoring.csv", "tables/decision_pain_grade.csv",
                 "tables/decision_pain_sof.csv", "tables/decision_pain_ris_sensitivity.csv"):
        assert (out / name).exists(), name
    n = ctx.numbers
    assert n["decision_pain_ris"] > 0 and 0 < n["decision_pain_fraction"] <= 1
    assert n["decision_pain_certainty"] in {"high", "moderate", "low", "very low"}
    assert n["decision_pain_sens_ris"] > n["decision_pain_ris"]  # a larger SD needs more participants
    title, body = ctx.sections[-1]
    assert "From evidence to decision" in title
    assert "Small-k caveats" in body and "The next trial" in body and "<table class='sof'>" in body


def test_docx_written_when_python_docx_is_installed(run):
    docx = pytest.importorskip("docx")
    out, _ = run
    doc = docx.Document(str(out / "tables" / "decision_pain_sof.docx"))
    assert doc.tables[0].rows[1].cells[0].text.startswith("Pain (NPRS")


def test_paper_paragraph_renders(run):
    _, ctx = run
    src = PAPER_DIR / "paper.md"
    if not src.exists():
        pytest.skip("not a source checkout")
    text = src.read_text(encoding="utf-8")
    para = text[text.index("Is this evidence conclusive"):text.index("fig_registry_pain_tsa.png")]
    filled = fill_numbers(para, ctx.numbers)
    assert "{{" not in filled
    assert re.search(r"required information size for the NPRS MCID of 1\s+point at \d+\.\d participants", filled)
