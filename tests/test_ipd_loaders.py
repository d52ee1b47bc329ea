"""read_participants: formats (CSV, XLSX, SPSS, Stata), long and wide layouts, validation messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats.exceptions import DataError, DataWarning


@pytest.fixture
def wide() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3, 4, 5, 6], "group": ["retro", "forward", "control"] * 2,
                         "p0": [6.0, 7, 5, 6, 8, 7], "p6": [3.0, 5, 5, 4, np.nan, 6]})


MAP = {"participant": "id", "arm": "group"}
VALS = {"p0": 0, "p6": 6}


def _expected(wide):
    return rs.read_participants(wide, layout="wide", columns=MAP, values=VALS, instrument="NPRS")


@pytest.mark.parametrize("ext", ["csv", "xlsx", "sav", "dta"])
def test_formats_round_trip(tmp_path, wide, ext):
    path = tmp_path / f"trial.{ext}"
    if ext == "csv":
        wide.to_csv(path, index=False)
    elif ext == "xlsx":
        wide.to_excel(path, index=False)
    elif ext == "sav":
        import pyreadstat

        pyreadstat.write_sav(wide.astype({"id": float}), str(path))
    else:
        wide.to_stata(path, write_index=False)
    got = rs.read_participants(path, layout="wide", columns=MAP, values=VALS, instrument="NPRS")
    pd.testing.assert_frame_equal(got, _expected(wide))


def test_canonical_frame(wide):
    d = _expected(wide)
    assert list(d.columns) == ["participant", "arm", "visit", "week", "outcome", "value", "baseline"]
    assert len(d) == 11  # one missing week-6 value dropped
    assert set(d["visit"]) == {"baseline", "week 6"}
    assert (d["outcome"] == "NPRS").all()
    assert d.loc[d["participant"] == "2", "baseline"].eq(7.0).all()


def test_long_layout_with_mapping(wide):
    long = _expected(wide).rename(columns={"participant": "pid", "week": "time", "value": "score"})
    long = long[["pid", "arm", "time", "score"]]
    back = rs.read_participants(long, columns={"participant": "pid", "week": "time", "value": "score"},
                                instrument="NPRS")
    pd.testing.assert_frame_equal(back, _expected(wide))


def test_arm_labels_recode(wide):
    coded = wide.assign(group=[1, 2, 3, 1, 2, 3])
    d = rs.read_participants(coded, layout="wide", columns=MAP, values=VALS,
                             arm_labels={1: "retro", 2: "forward", 3: "control"})
    assert set(d["arm"]) == {"retro", "forward", "control"}


def test_participant_in_two_arms(wide):
    long = _expected(wide)
    long.loc[(long["participant"] == "1") & (long["week"] == 6), "arm"] = "control"
    with pytest.raises(DataError, match="participant '1' appears in more than one arm"):
        rs.read_participants(long)


def test_duplicate_participant_visit(wide):
    long = _expected(wide)
    with pytest.raises(DataError, match="participant '1' has more than one row at week 0"):
        rs.read_participants(pd.concat([long, long.iloc[[0]]]))


def test_out_of_range_names_participant_and_column(wide):
    w = wide.copy()
    w.loc[2, "p6"] = 11
    msg = r"participant '3', column 'p6' has 11, outside the NPRS range \[0, 10\]"
    with pytest.raises(DataError, match=msg):
        rs.read_participants(w, layout="wide", columns=MAP, values=VALS, instrument="NPRS")


def test_text_in_values(wide):
    w = wide.astype({"p6": object})
    w.loc[1, "p6"] = "five"
    with pytest.raises(DataError, match="participant '2', column 'p6' holds 'five'"):
        rs.read_participants(w, layout="wide", columns=MAP, values=VALS)


def test_unknown_arm(wide):
    w = wide.assign(group=["BW", "forward", "control"] * 2)
    with pytest.raises(DataError, match="unknown arm 'BW'.*arm_labels"):
        rs.read_participants(w, layout="wide", columns=MAP, values=VALS)


def test_missing_baseline_warns(wide):
    w = wide.copy()
    w.loc[3, "p0"] = np.nan
    with pytest.warns(DataWarning, match=r"no baseline value.*\['4'\]"):
        d = rs.read_participants(w, layout="wide", columns=MAP, values=VALS)
    assert d.loc[d["participant"] == "4", "baseline"].isna().all()


def test_missing_columns_and_unknown_extension(tmp_path, wide):
    with pytest.raises(DataError, match="no column"):
        rs.read_participants(wide, layout="wide", columns={"participant": "ID", "arm": "group"}, values=VALS)
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(DataError, match="unknown file type"):
        rs.read_participants(p)
    with pytest.raises(ValueError, match="values="):
        rs.read_participants(wide, layout="wide", columns=MAP)


def test_adam_baseline_column_keeps_coding():
    """ADaM long data: BASE on every row, AVAL or CHG as the value, arms and visits kept as written."""
    adam = pd.DataFrame({"USUBJID": ["S1"] * 3 + ["S2"] * 3, "ARMCD": ["TRT"] * 3 + ["PBO"] * 3,
                         "AVISIT": ["WEEK 4", "WEEK 8", "WEEK 12"] * 2, "AVISITN": [4, 8, 12] * 2,
                         "BASE": [50.0] * 3 + [47.0] * 3, "AVAL": [48.0, 45, 41, 47, 46, np.nan],
                         "CHG": [-2.0, -5, -9, 0, -1, np.nan]})
    cols = {"participant": "USUBJID", "arm": "ARMCD", "week": "AVISITN", "value": "CHG", "visit": "AVISIT"}
    d = rs.read_participants(adam, columns=cols, baseline_column="BASE")
    assert d["arm"].tolist() == ["TRT"] * 3 + ["PBO"] * 2
    assert d["visit"].tolist() == ["WEEK 4", "WEEK 8", "WEEK 12", "WEEK 4", "WEEK 8"]
    assert d["baseline"].tolist() == [50.0] * 3 + [47.0] * 2
    assert d["value"].tolist() == [-2.0, -5, -9, 0, -1]
    bad = adam.copy()
    bad.loc[1, "BASE"] = 51.0
    with pytest.raises(DataError, match="varies within participant 'S1'"):
        rs.read_participants(bad, columns=cols, baseline_column="BASE")
    nob = adam.copy()
    nob.loc[nob["USUBJID"] == "S2", "BASE"] = np.nan
    with pytest.warns(DataWarning, match="column 'BASE'"):
        rs.read_participants(nob, columns=cols, baseline_column="BASE")
    with pytest.raises(ValueError, match="unknown canonical"):
        rs.read_participants(adam, columns=cols)  # 'visit' only with baseline_column
