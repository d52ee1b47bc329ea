"""Extraction sheets: the template round-trips, and malformed sheets give messages naming row and column."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import retrostats as rs
from retrostats.effects.extraction import TEMPLATE_COLUMNS, _grim_consistent
from retrostats.effects.extraction_contrasts import CONTRAST_COLUMNS

HEADER = ",".join(TEMPLATE_COLUMNS)
GOOD = [
    "smith2024,retro,pain,NPRS,baseline,0,n,20,Table 1,https://doi.org/10.1/x,,",
    "smith2024,retro,pain,NPRS,baseline,0,mean,6.50,Table 2,https://doi.org/10.1/x,,",
    "smith2024,retro,pain,NPRS,baseline,0,sd,1.2,Table 2,https://doi.org/10.1/x,,",
    "smith2024,control,pain,NPRS,post,6,median,5,Table 2,https://doi.org/10.1/x,false,",
    "smith2024,control,pain,NPRS,post,6,q1,4,Table 2,https://doi.org/10.1/x,false,",
    "smith2024,control,pain,NPRS,post,6,q3,7,Table 2,https://doi.org/10.1/x,TRUE,post or change?",
]


def write(tmp_path, lines, header=HEADER, name="sheet.csv"):
    p = tmp_path / name
    p.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return p


def test_template_roundtrip_csv(tmp_path):
    p = rs.extraction_template(tmp_path / "t.csv")
    assert p.read_text().strip() == HEADER
    p = write(tmp_path, GOOD)
    df = rs.read_extraction(p)
    assert len(df) == len(GOOD)
    assert df.loc[1, "value"] == 6.5 and df.loc[1, "value_text"] == "6.50"
    assert df["ambiguous"].tolist() == [False] * 5 + [True]
    assert list(df.columns) == list(rs.load_dataset("retro_arms").columns)


def test_template_roundtrip_xlsx(tmp_path):
    p = rs.extraction_template(tmp_path / "t.xlsx", example=True)
    sheets = pd.read_excel(p, sheet_name=None)
    assert set(sheets) == {"extraction", "instructions"}
    df = rs.read_extraction(p)
    assert df.loc[0, "study_id"] == "example2024" and df.loc[0, "value"] == 6.5


def test_template_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        rs.extraction_template(tmp_path / "t.txt")


def _replace(i, field, value):
    rows = [r.split(",") for r in GOOD]
    rows[i][TEMPLATE_COLUMNS.index(field)] = value
    return [",".join(r) for r in rows]


# (id, lines, expected message regex). Rows are numbered as in a spreadsheet: header = 1, GOOD[0] = row 2.
MALFORMED = [
    ("text_value", _replace(1, "value", "six"), r"row 3, column 'value': 'six' is not a number"),
    ("n_fraction", _replace(0, "value", "12.5"), r"row 2, column 'value': n must be a whole number"),
    ("n_zero", _replace(0, "value", "0"), r"row 2, column 'value': n must be a whole number >= 1"),
    ("sd_zero", _replace(2, "value", "0"), r"row 4, column 'value': sd must be > 0"),
    ("sd_negative", _replace(2, "value", "-1.2"), r"row 4, column 'value': sd must be > 0"),
    ("nrs_out_of_range", _replace(1, "value", "11"), r"row 3, column 'value': mean 11 lies outside the NPRS"),
    ("quartiles_unordered", _replace(4, "value", "6"), r"row 5, column 'value': median 5 is below q1 6"),
    ("unknown_statistic", _replace(1, "statistic", "average"), r"row 3, column 'statistic': 'average'"),
    ("unknown_timepoint", _replace(1, "timepoint", "pre"), r"row 3, column 'timepoint': 'pre'"),
    ("unknown_outcome", _replace(1, "outcome", "pian"), r"row 3, column 'outcome'.*Did you mean 'pain'"),
    ("unknown_instrument", _replace(1, "instrument", "NRPS"), r"row 3, column 'instrument'.*Did you mean 'NPRS'"),
    ("bad_arm", _replace(1, "arm", "Retro walking"), r"row 3, column 'arm'"),
    ("bad_study_id", _replace(1, "study_id", "Smith 2024"), r"row 3, column 'study_id'"),
    ("missing_value", _replace(1, "value", ""), r"row 3, column 'value': a value is required"),
    ("negative_week", _replace(3, "week", "-2"), r"row 5, column 'week'"),
    ("text_week", _replace(3, "week", "six"), r"row 5, column 'week'"),
    ("no_source", [GOOD[0], "smith2024,retro,pain,NPRS,baseline,0,mean,6.5,,,,"],
     r"row 3, column 'source_location': every value needs a source"),
    ("duplicate_rows", [*GOOD, GOOD[1]], r"rows \[3, 8\]: duplicate rows"),
    ("bad_ambiguous", _replace(3, "ambiguous", "maybe"), r"row 5, column 'ambiguous'"),
    ("ci_reversed", [*GOOD, "smith2024,retro,pain,NPRS,baseline,0,ci_low,7,T2,u,,",
                     "smith2024,retro,pain,NPRS,baseline,0,ci_high,6,T2,u,,"], r"row 9.*ci_high is below ci_low"),
    ("change_too_large", [*GOOD, "smith2024,retro,pain,NPRS,post,6,mean_change,-12,T2,u,,"],
     r"row 8, column 'value': a change of -12"),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_sheet_names_row_and_column(tmp_path, case):
    _, lines, pattern = case
    p = write(tmp_path, lines)
    with pytest.raises(rs.DataError, match=pattern) as info:
        rs.read_extraction(p)
    assert str(p) in str(info.value), "the message must name the file"


def test_missing_column(tmp_path):
    p = write(tmp_path, ["smith2024,retro,pain,NPRS,baseline,0,6.5,T2,u,,"],
              header=HEADER.replace("statistic,", ""))
    with pytest.raises(rs.DataError, match=r"missing column\(s\) \['statistic'\]"):
        rs.read_extraction(p)


def test_unknown_column(tmp_path):
    p = write(tmp_path, [g + ",x" for g in GOOD], header=HEADER + ",extra")
    with pytest.raises(rs.DataError, match=r"unknown column\(s\) \['extra'\]"):
        rs.read_extraction(p)


def test_empty_sheet_and_missing_file(tmp_path):
    with pytest.raises(rs.DataError, match="no data rows"):
        rs.read_extraction(write(tmp_path, []))
    with pytest.raises(rs.DataError, match="no such file"):
        rs.read_extraction(tmp_path / "nope.csv")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(rs.DataError, match="unsupported file type"):
        rs.read_extraction(tmp_path / "x.json")


def test_grim_warning_names_row(tmp_path):
    # 5 whole-number NPRS scores can only give means in steps of 0.2: 6.53 is impossible
    lines = ["jones2020,retro,pain,NPRS,baseline,0,n,5,T1,u,,", "jones2020,retro,pain,NPRS,baseline,0,mean,6.53,T1,u,,"]
    with pytest.warns(rs.DataWarning, match=r"row 3, column 'value': mean 6.53 cannot arise from 5"):
        rs.read_extraction(write(tmp_path, lines))
    ok = ["jones2020,retro,pain,NPRS,baseline,0,n,5,T1,u,,", "jones2020,retro,pain,NPRS,baseline,0,mean,6.60,T1,u,,"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rs.read_extraction(write(tmp_path, ok))


@pytest.mark.parametrize(
    ("mean", "n", "ok"),
    [("6.53", 5, False), ("6.60", 5, True), ("5.19", 28, False), ("5.18", 28, True), ("3.4", 100, True),
     ("2", 7, True)],
)
def test_grim_rule(mean, n, ok):
    # 5.18 * 28 = 145.04 -> 145/28 = 5.1786 rounds to 5.18; 5.19 * 28 = 145.32 -> neither 145 nor 146 gives 5.19
    assert _grim_consistent(mean, n) is ok


def test_xlsx_errors_use_spreadsheet_rows(tmp_path):
    p = tmp_path / "s.xlsx"
    rows = [r.split(",") + ["", ""] for r in GOOD]
    rows[2][TEMPLATE_COLUMNS.index("value")] = "-3"
    pd.DataFrame(rows, columns=TEMPLATE_COLUMNS).to_excel(p, index=False)
    with pytest.raises(rs.DataError, match=r"s\.xlsx, row 4, column 'value': sd must be > 0"):
        rs.read_extraction(p)


def test_merge_with_registry(tmp_path):
    p = write(tmp_path, GOOD)
    merged = rs.merge_extraction(p)
    reg = rs.load_dataset("retro_arms")
    assert len(merged) == len(reg) + len(GOOD)
    assert set(merged["origin"]) <= {"registry", "extraction"}
    assert (merged["origin"] == "extraction").sum() == len(GOOD)


def test_merge_conflict(tmp_path):
    reg = rs.load_dataset("retro_arms")
    if reg.empty:
        pytest.skip("no registry rows")
    r = reg.iloc[0]
    week = "" if pd.isna(r["week"]) else f"{r['week']:g}"
    fields = [r["study_id"], r["arm"], r["outcome"], r["instrument"], r["timepoint"], week, r["statistic"],
              r["value_text"], "loc", "url", "", ""]
    line = ",".join(fields)
    ext = rs.read_extraction(write(tmp_path, [line]))
    ext["variant"] = None if pd.isna(r["variant"]) else r["variant"]
    with pytest.raises(rs.DataError, match="duplicate registry rows"):
        rs.merge_extraction(ext)
    kept = rs.merge_extraction(ext, on_conflict="keep_registry")
    assert len(kept) == len(reg)


def test_xlsx_template_keeps_printed_digits(tmp_path):
    import openpyxl

    p = rs.extraction_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(p)
    ws = wb["extraction"]
    col = TEMPLATE_COLUMNS.index("value") + 1
    assert ws.cell(row=2, column=col).number_format == "@"
    row = ["jones2020", "retro", "pain", "NPRS", "baseline", "0", "mean", "6.50", "T1", "u"]
    for j, v in enumerate(row, start=1):
        ws.cell(row=2, column=j).value = v
    wb.save(p)
    df = rs.read_extraction(p)
    assert df.loc[0, "value_text"] == "6.50" and df.loc[0, "value"] == 6.5


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_contrast_template_keeps_an_existing_sheet(tmp_path, suffix):
    p = rs.contrast_template(tmp_path / f"between{suffix}")
    if suffix == ".csv":
        with open(p, "a", encoding="utf-8") as fh:
            fh.write("smith2024,retro vs control,pain,NPRS,4,p_value,,<,0.05,Table 3,https://doi.org/x,,\n")
    filled = p.read_bytes()
    with pytest.raises(FileExistsError, match=rf"between\{suffix} exists.*force=True"):
        rs.contrast_template(p)
    assert p.read_bytes() == filled
    assert not p.with_name(p.name + ".part").exists()
    rs.contrast_template(p, force=True)
    if suffix == ".csv":
        assert p.read_text(encoding="utf-8") == ",".join(CONTRAST_COLUMNS) + "\n"
    else:
        assert set(pd.read_excel(p, sheet_name=None)) == {"between_arms", "instructions"}


def test_sheets_take_their_rules_from_the_dataset_schemas():
    from retrostats.datasets.schemas import SCHEMAS
    from retrostats.datasets.sheets import CONTRAST_SHEET, EXTRACTION_SHEET, SHEET_COMPARISON_PATTERN

    assert EXTRACTION_SHEET.names == TEMPLATE_COLUMNS and CONTRAST_SHEET.names == CONTRAST_COLUMNS
    assert EXTRACTION_SHEET.key == SCHEMAS["retro_arms"].key
    rules = ("dtype", "allowed", "pattern", "low", "high")
    for sheet, dataset, differ in ((EXTRACTION_SHEET, "retro_arms", {}),
                                   (CONTRAST_SHEET, "retro_contrasts", {"comparison": "pattern"})):
        for c in sheet.columns:
            d = SCHEMAS[dataset].column(c.name)
            for rule in rules:
                if differ.get(c.name) != rule:
                    assert getattr(c, rule) == getattr(d, rule), (sheet.name, c.name, rule)
        # a source needs source_url or source_location, not both; everything else required as in the dataset
        assert {c.name for c in sheet.columns if c.required} == {
            c.name for c in SCHEMAS[dataset].columns if c.required and c.name in sheet.names} - {
            "source_url", "source_location", "relation"}
    assert CONTRAST_SHEET.column("comparison").pattern == SHEET_COMPARISON_PATTERN
    # the XLSX instructions say what the schema says
    assert all(c.hint for c in EXTRACTION_SHEET.columns)


def test_sheet_cells_are_checked_by_the_schema():
    from retrostats.datasets.sheets import CONTRAST_SHEET, EXTRACTION_SHEET

    x, where = EXTRACTION_SHEET, "s.csv, row 2"
    assert x.check_cell("value", " \u22122.5 ", where=where) == -2.5
    assert x.check_cell("week", "", where=where) is None
    assert [x.check_cell("ambiguous", v, where=where) for v in ("TRUE", " no ", "1", None)] == [True, False, True, None]
    assert x.check_cell("arm", " retro2 ", where=where) == "retro2"
    with pytest.raises(rs.DataError, match=r"^s\.csv, row 2, column 'value': a value is required; write the number"):
        x.check_cell("value", "  ", where=where)
    with pytest.raises(rs.DataError, match=r"column 'statistic': 'man' is not allowed; .* Did you mean 'mean'\?$"):
        x.check_cell("statistic", "man", where=where)
    with pytest.raises(rs.DataError, match=r"column 'week': 'inf' must be >= 0"):
        x.check_cell("week", "inf", where=where)
    with pytest.raises(rs.DataError, match=r"column 'study_id': 'Smith 2024' is not a valid identifier"):
        x.check_cell("study_id", "Smith 2024", where=where)
    with pytest.raises(rs.DataError, match=r"column 'comparison': 'all arms' is not a comparison"):
        CONTRAST_SHEET.check_cell("comparison", "all arms", where=where)
    with pytest.raises(rs.DataError, match=r"column 'week': '-1' must be >= 0\.$"):
        CONTRAST_SHEET.check_cell("week", "-1", where=where)
    with pytest.raises(rs.DataError, match=r"column 'relation': '=<' is not allowed; use one of =, <"):
        CONTRAST_SHEET.check_cell("relation", "=<", where=where)
    row = dict.fromkeys(x.names, "x")
    row["timepoint"] = None
    with pytest.raises(rs.DataError, match=r"column 'timepoint': a value is required; write one of baseline, post"):
        x.check_required(row, where=where)
