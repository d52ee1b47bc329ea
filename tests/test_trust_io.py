"""Issue 12, files: sheets valid under pandas 2 and 3, readers that name the file, European CSVs, outputs that
are never overwritten silently nor left half-written."""

from __future__ import annotations

import hashlib
import json
import warnings

import pandas as pd
import pytest

import retrostats as rs
from retrostats.cli import main
from retrostats.effects.extraction import TEMPLATE_COLUMNS
from retrostats.exceptions import DataError

HEADER = ",".join(TEMPLATE_COLUMNS)
ROW = "smith2024,retro,pain,NPRS,baseline,0,mean,6.50,Table 2,https://doi.org/10.1/x,,"


# ---------------------------------------------------------------- defect 4: pandas 3 and sheets
def test_change_convention_filled_on_some_rows_only(tmp_path):
    # regression (pandas 3): "nan is not allowed ... or leave it empty" for the empty cells
    p = tmp_path / "s.csv"
    p.write_text(HEADER + "\n"
                 + ROW + ",,\n"
                 + "smith2024,retro,pain,NPRS,post,6,mean_change,-2.1,Table 3,https://doi.org/10.1/x,,,,"
                   "post_minus_pre\n", encoding="utf-8")
    got = rs.read_extraction(p)
    assert got["change_convention"].tolist()[0] is None or pd.isna(got["change_convention"].iloc[0])
    assert got["change_convention"].iloc[1] == "post_minus_pre"


def test_shipped_registry_round_trips_through_a_sheet(tmp_path):
    reg = rs.load_dataset("retro_arms")
    if "derived" in reg.columns:  # derived arm sizes were never printed, so no sheet holds them
        reg = reg.loc[~reg["derived"].astype(bool)].reset_index(drop=True)
    sheet = reg.assign(value=reg["value_text"])[TEMPLATE_COLUMNS]
    p = tmp_path / "registry.csv"
    sheet.to_csv(p, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rs.DataWarning)  # GRIM notes on published means are expected
        back = rs.read_extraction(p)
    assert len(back) == len(reg)
    for c in ("study_id", "arm", "statistic", "value_text", "change_convention", "variant"):
        want = [None if pd.isna(v) else str(v) for v in reg[c]]
        assert [None if pd.isna(v) else str(v) for v in back[c]] == want, c
    pd.testing.assert_series_equal(back["value"], reg["value"].astype(float), check_names=False)


# ---------------------------------------------------------------- defect 7: readers name the file
@pytest.mark.parametrize("name,content", [
    ("empty.csv", b""),
    ("garbage.xlsx", b"this is not a zip file"),
    ("garbage.sav", b"\x00\x01\x02 not spss"),
    ("garbage.dta", b"not stata at all"),
    ("binary.csv", bytes(range(256)) * 4),
])
def test_read_participants_errors_name_the_file(tmp_path, name, content):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(DataError, match=name.replace(".", r"\.")):
        rs.read_participants(p)


@pytest.mark.parametrize("name,content", [("empty.csv", b""), ("garbage.xlsx", b"PK\x03\x04 truncated")])
def test_read_extraction_errors_name_the_file(tmp_path, name, content):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(DataError, match=name.replace(".", r"\.")):
        rs.read_extraction(p)


def test_semicolon_and_decimal_commas_extraction(tmp_path):
    # regression: reported as "missing columns"
    p = tmp_path / "eu.csv"
    p.write_text(HEADER.replace(",", ";") + "\n" + ROW.replace("6.50", "6,50").replace(",", ";")
                 .replace("6;50", "6,50") + "\n", encoding="utf-8")
    got = rs.read_extraction(p)
    assert got["value"].tolist() == [6.5]
    assert got["value_text"].tolist() == ["6.50"]


def test_semicolon_and_decimal_commas_participants(tmp_path):
    p = tmp_path / "eu.csv"
    p.write_text("participant;arm;week;value\np1;retro;0;6,5\np1;retro;6;3,25\np2;control;0;7\n"
                 "p2;control;6;5,5\n", encoding="utf-8")
    got = rs.read_participants(p)
    assert got["value"].tolist() == [6.5, 3.25, 7.0, 5.5]


def test_explicit_sep_and_decimal(tmp_path):
    p = tmp_path / "pipes.txt"
    p.write_text("participant|arm|week|value\np1|retro|0|6,5\np1|retro|6|3\n", encoding="utf-8")
    got = rs.read_participants(p, sep="|", decimal=",")
    assert got["value"].tolist() == [6.5, 3.0]


def test_participant_errors_name_file_and_row(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("participant,arm,week,value\np1,retro,0,5\np1,retro,6,abc\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"t\.csv, row 3: participant 'p1', column 'value' holds 'abc'"):
        rs.read_participants(p)


# ---------------------------------------------------------------- defect 5: outputs
def test_extraction_template_refuses_to_overwrite(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("my filled sheet", encoding="utf-8")
    with pytest.raises(FileExistsError, match="force=True"):
        rs.extraction_template(p)
    assert p.read_text(encoding="utf-8") == "my filled sheet"
    rs.extraction_template(p, force=True)
    assert p.read_text(encoding="utf-8").startswith("study_id")


def test_plan_out_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "plan.csv"
    out.write_text("mine", encoding="utf-8")
    assert main(["plan", "--effect-size", "0.5", "--out", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "mine"
    assert main(["plan", "--effect-size", "0.5", "--out", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8").startswith("quantity,value")
    assert not (tmp_path / "plan.csv.part").exists()


def test_reproduce_refuses_a_users_folder(tmp_path, capsys):
    mine = tmp_path / "paper"
    mine.mkdir()
    (mine / "report.html").write_text("my report", encoding="utf-8")
    (mine / "numbers.json").write_text("{}", encoding="utf-8")
    assert main(["reproduce", "--out", str(mine), "--only", "registry", "--quiet"]) == 1
    assert "--force" in capsys.readouterr().err
    assert (mine / "report.html").read_text(encoding="utf-8") == "my report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paper"]  # no temporary folder left behind


def test_reproduce_force_keeps_other_files(tmp_path):
    mine = tmp_path / "paper"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["reproduce", "--out", str(mine), "--only", "registry", "--quiet", "--force"]) == 0
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert (mine / "MANIFEST.json").exists()


def test_reproduce_manifest_checksums_and_rerun(tmp_path):
    out = tmp_path / "out"
    assert main(["reproduce", "--out", str(out), "--only", "registry", "--quiet"]) == 0
    man = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert man["generator"] == "retrostats reproduce" and man["complete"] is True
    listed = {e["path"] for e in man["files"]}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"MANIFEST.json"}
    assert listed == on_disk
    for e in man["files"]:
        assert hashlib.sha256((out / e["path"]).read_bytes()).hexdigest() == e["sha256"]
    (out / "stale.csv").write_text("from an old run", encoding="utf-8")
    assert main(["reproduce", "--out", str(out), "--only", "registry", "--quiet"]) == 0  # our folder: replaced
    assert not (out / "stale.csv").exists()


@pytest.mark.parametrize("exc", [RuntimeError("step failed"), KeyboardInterrupt()])
def test_failed_or_interrupted_rerun_leaves_the_old_output(tmp_path, monkeypatch, exc):
    from retrostats.report import pipeline, reproduce

    out = tmp_path / "out"
    reproduce(out, only=["registry"], progress=False)
    for t in (out / "tables").glob("*.csv"):  # as an older version's tables: a rerun must not mix them
        t.write_text(t.read_text(encoding="utf-8") + "# old\n", encoding="utf-8")
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def boom(ctx):
        raise exc

    monkeypatch.setattr(pipeline, "_write_numbers", boom)
    with pytest.raises(type(exc)):
        reproduce(out, only=["registry"], progress=False)
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
