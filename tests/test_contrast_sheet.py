"""The between-arm sheet (read_contrasts) is as strict as the arm sheet: no silent coercion of flags or weeks."""

from __future__ import annotations

import pandas as pd
import pytest

import retrostats as rs
from retrostats.exceptions import DataError


def _sheet(**cells):
    row = {"study_id": "x2024", "comparison": "retro vs control", "outcome": "pain", "instrument": "NPRS",
           "week": 4, "statistic": "mean_difference", "value": "-1.1", "source_location": "Table 3"}
    row.update(cells)
    return pd.DataFrame({k: [v] for k, v in row.items()})


@pytest.mark.parametrize("flag, expected", [("TRUE", True), ("yes", True), ("0", False), ("", False)])
def test_ambiguous_reads_true_false_words(flag, expected):
    assert rs.read_contrasts(_sheet(ambiguous=flag))["ambiguous"].tolist() == [expected]


def test_ambiguous_text_that_is_not_true_or_false_is_refused():
    # it used to become False silently: a flagged value would have been pooled as unambiguous
    with pytest.raises(DataError, match="column 'ambiguous': 'maybe' is not TRUE/FALSE"):
        rs.read_contrasts(_sheet(ambiguous="maybe"))


@pytest.mark.parametrize("week", ["inf", "nan"])
def test_week_must_be_finite(week):
    with pytest.raises(DataError, match="column 'week'"):
        rs.read_contrasts(_sheet(week=week))


def test_week_may_be_empty():
    assert rs.read_contrasts(_sheet(week=""))["week"].isna().all()
