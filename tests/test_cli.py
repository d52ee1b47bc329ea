"""The `retrostats` command line."""

from __future__ import annotations

import json

import pytest

from retrostats.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith("retrostats ")


def test_datasets_list_and_show(capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert "retro_trials" in out and "outcome_scales" in out
    assert main(["datasets", "show", "retro_arms"]) == 0
    assert "value_text" in capsys.readouterr().out
    assert main(["datasets", "show", "retro_trials", "--csv"]) == 0
    assert capsys.readouterr().out.startswith("study_id,")


def test_datasets_show_unknown(capsys):
    assert main(["datasets", "show", "retro_trial"]) == 1
    assert "retro_trials" in capsys.readouterr().err


def test_template_and_check(tmp_path, capsys):
    p = tmp_path / "sheet.xlsx"
    assert main(["extraction-template", str(p), "--example"]) == 0
    assert p.exists()
    assert main(["extraction-check", str(p)]) == 0
    assert "1 rows valid" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("study_id,arm,outcome,instrument,timepoint,week,statistic,value\nx,retro,pain,NPRS,post,6,sd,-1\n")
    assert main(["extraction-check", str(bad)]) == 1
    assert "row 2, column 'value'" in capsys.readouterr().err


def test_template_does_not_overwrite_a_sheet(tmp_path, capsys):
    # regression: running extraction-template on a filled sheet silently replaced it with an empty one
    p = tmp_path / "sheet.csv"
    assert main(["extraction-template", str(p), "--example"]) == 0
    filled = p.read_bytes()
    assert main(["extraction-template", str(p)]) == 1
    assert "not overwritten" in capsys.readouterr().err
    assert p.read_bytes() == filled
    assert main(["extraction-template", str(p), "--force"]) == 0
    assert p.read_bytes() != filled


def test_os_errors_are_messages_not_tracebacks(tmp_path, capsys):
    # regression: a folder given as the sheet raised IsADirectoryError with a traceback
    folder = tmp_path / "sheet.csv"
    folder.mkdir()
    assert main(["extraction-check", str(folder)]) == 1
    assert "is not a file" in capsys.readouterr().err
    assert main(["plan", "--from-csv", str(tmp_path / "none.csv")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_reproduce_unknown_step_is_an_error(tmp_path, capsys):
    # regression: --only with a misspelt step ran nothing and still exited 0
    assert main(["reproduce", "--out", str(tmp_path / "o"), "--only", "registy", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "registy" in err and "'registry'" in err
    assert not (tmp_path / "o").exists()


def test_reproduce_registry_step(tmp_path):
    out = tmp_path / "out"
    assert main(["reproduce", "--out", str(out), "--only", "registry", "--quiet"]) == 0
    numbers = json.loads((out / "numbers.json").read_text())
    assert numbers["n_trials"] > 0
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
    first = {p.name: p.read_bytes() for p in (out / "tables").iterdir()}
    assert main(["reproduce", "--out", str(out), "--only", "registry", "--quiet"]) == 0
    assert first == {p.name: p.read_bytes() for p in (out / "tables").iterdir()}


def test_datasets_list(capsys):
    # the command through the CLI's entry point in this process; a new interpreter running `python -m retrostats`
    # is tests/test_cli_package.py::test_python_dash_m, the installed `retrostats` script tests/test_contract.py
    assert main(["datasets", "list"]) == 0
    assert "retro_arms" in capsys.readouterr().out


def test_datasets_show_option_before_name(capsys):
    assert main(["datasets", "show", "--csv", "outcome_scales"]) == 0
    assert capsys.readouterr().out.startswith("instrument,")


def test_save_figure_reads_a_suffix_as_the_stem(tmp_path):
    import matplotlib.pyplot as plt

    from retrostats.figures import save_figure

    fig, _ = plt.subplots()
    files = save_figure(fig, tmp_path / "fig.png", formats=("png", "svg"), close=True)
    assert [p.name for p in files] == ["fig.png", "fig.svg"]
