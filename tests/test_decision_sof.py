"""summary_of_findings(): the frame, its renderings, and a DOCX opened again with python-docx."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats.decision.sof import SOF_COLUMNS

docx = pytest.importorskip("docx")

PAIN = pd.DataFrame({"study_id": ["a", "b", "c"], "yi": [0.9, 0.5, 0.7], "vi": [0.09, 0.05, 0.04],
                     "n": [40, 60, 70], "measure": "MD", "instrument": "NPRS", "favours": "positive favours retro"})
FUNCTION = pd.DataFrame({"study_id": ["a", "b"], "yi": [0.4, 0.6], "vi": [0.05, 0.04], "n": [40, 60],
                         "measure": "SMD"})


@pytest.fixture(scope="module")
def sof():
    pain = rs.grade_profile(rs.trial_sequential_analysis(PAIN, sd=1.5), outcome="pain (NPRS)",
                            risk_of_bias={"a": "high", "b": "low", "c": "some concerns"},
                            comparison_group="mean change 1.0 points")
    func = rs.grade_profile(rs.trial_sequential_analysis(FUNCTION, delta=0.5), outcome="function",
                            risk_of_bias={"a": "low", "b": "low"}, reexpress=("WOMAC_function", 12.0))
    return rs.summary_of_findings([pain, func])


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+", text)]


def test_frame_is_full_precision(sof):
    df = sof.to_frame()
    p = sof.profiles[0]
    assert df.loc[0, "estimate"] == p.estimate and df.loc[0, "ci_low"] == p.ci_low
    assert df.loc[0, "units"] == "NPRS" and np.isnan(df.loc[0, "reexpressed_estimate"])
    assert df.loc[1, "reexpressed_estimate"] == pytest.approx(12.0 * sof.profiles[1].estimate, rel=1e-15)
    assert list(df["certainty"]) == [p.certainty for p in sof.profiles]


def test_renderings_carry_the_rounded_numbers(sof):
    shown = sof.display_frame()
    assert list(shown.columns) == list(SOF_COLUMNS)
    p = sof.profiles[0]
    assert _numbers(shown.loc[0, "Effect (95% CI)"]) == [round(p.estimate, 2), round(p.ci_low, 2),
                                                         round(p.ci_high, 2)]
    for text in (sof.to_markdown(), sof.to_html(), sof.to_latex()):
        assert f"{p.estimate:.2f}" in text and p.certainty in text
    assert "<table class='sof'>" in sof.to_html()
    assert "\\begin{tabular}" in sof.to_latex()
    assert sof.profiles[0].outcome in sof.summary().as_text()
    assert sof.profiles[0].provenance.checksum
    for i, note in enumerate(sof.footnotes, 1):
        assert f"[{i}] {note}" in sof.to_markdown()


def test_docx_round_trip(sof, tmp_path):
    path = sof.to_docx(tmp_path / "sof.docx")
    doc = docx.Document(str(path))
    table = doc.tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    shown = sof.display_frame()
    assert cells[0] == list(shown.columns)
    assert cells[1:] == shown.astype(str).values.tolist()
    frame = sof.to_frame()
    for i, row in enumerate(cells[1:]):
        est, lo, hi = _numbers(row[2])[:3]
        np.testing.assert_allclose([est, lo, hi], frame.loc[i, ["estimate", "ci_low", "ci_high"]].astype(float),
                                   atol=0.005 + 1e-12)  # the cells show 2 decimals
    paragraphs = [p.text for p in doc.paragraphs]
    assert all(f"[{i}] {n}" in paragraphs for i, n in enumerate(sof.footnotes, 1))


def test_docx_is_byte_identical_twice(sof, tmp_path):
    a = sof.to_docx(tmp_path / "a.docx").read_bytes()
    b = sof.to_docx(tmp_path / "b.docx").read_bytes()
    assert a == b


def test_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        rs.summary_of_findings([])
    with pytest.raises(TypeError, match="GradeProfile"):
        rs.summary_of_findings([object()])
