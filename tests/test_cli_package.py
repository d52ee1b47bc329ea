"""The command line as a package (one module per command), its entry points, the commands and flags the
documentation shows, and the messages for misspelt instruments and outcomes."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats import cli
from retrostats.cli import COMMANDS, build_parser, main
from retrostats.exceptions import DataError
from retrostats.planning import check_instrument, registry_sd, scale_unit

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "paper").rglob("*.md"),
                     *(ROOT / "notebooks").glob("*.py"), *(ROOT / "notebooks").glob("*.ipynb")])
COMMAND_LINE = re.compile(
    r"(?:^|`|!)\s*(retrostats (?:plan|meta|reproduce|datasets|extraction-template|extraction-check)\b[^`\n]*)",
    re.M,
)


def _documented_command_lines() -> list[tuple[str, str]]:
    out = []
    for path in DOCUMENTED:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
        text = re.sub(r"\\\n\s*", " ", text)  # continuation lines joined
        for m in COMMAND_LINE.finditer(text):
            line = m.group(1).split(" #")[0].strip().rstrip(".,;:)")
            out.append((str(path.relative_to(ROOT)), line))
    return out


def test_the_documentation_shows_command_lines():
    lines = {line.split()[1] for _, line in _documented_command_lines()}
    assert {"plan", "meta", "reproduce", "datasets"} <= lines


@pytest.mark.parametrize("where,line", _documented_command_lines(), ids=lambda v: v[:60])
def test_every_documented_command_line_parses(where, line):
    argv = shlex.split(line)[1:]
    if "--help" in argv:
        with pytest.raises(SystemExit) as e:
            build_parser().parse_args(argv)
        assert e.value.code == 0
        return
    args = build_parser().parse_args(argv)  # an unknown flag or choice exits with status 2
    assert callable(args.func), f"{where}: {line}"


def test_one_module_per_command():
    names = {m.__name__.rsplit(".", 1)[1] for m in COMMANDS}
    assert names == {"reproduce", "plan", "meta", "datasets", "extraction"}
    for mod in COMMANDS:
        assert callable(mod.register) and mod.__doc__.lstrip().startswith("``retrostats")
    helptext = build_parser().format_help()
    for command in ("datasets", "extraction-template", "extraction-check", "reproduce", "plan", "meta"):
        assert command in helptext


PLAN_ARGS = ["plan", "--effect-size", "0.5", "--design", "ttest"]


@pytest.mark.parametrize("module", ["retrostats", "retrostats.cli"])
def test_python_dash_m(module, monkeypatch, capsys):
    if module == "retrostats":  # the documented command, in a new interpreter: start-up and imports as a user has them
        out = subprocess.run([sys.executable, "-m", module, *PLAN_ARGS], capture_output=True, text=True, timeout=120,
                             cwd=ROOT)
        code, stdout, stderr = out.returncode, out.stdout, out.stderr
    else:
        # `python -m retrostats.cli` runs retrostats/cli/__main__.py as __main__ exactly as runpy does here (a second
        # new interpreter cost ~3 s of CPU for the same imports; the fresh start-up is checked above)
        import runpy

        monkeypatch.setattr(sys, "argv", [module, *PLAN_ARGS])
        # the command ends its process without the interpreter's teardown (cli.run); here it only raises
        monkeypatch.setattr(cli, "_leave", lambda code: sys.exit(code))
        # as in a new interpreter, __main__ has not been imported yet (a test importing every module imports it)
        monkeypatch.delitem(sys.modules, f"{module}.__main__", raising=False)
        with pytest.raises(SystemExit) as done:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        captured = capsys.readouterr()
        code, stdout, stderr = done.value.code, captured.out, captured.err
    assert code == 0, stderr
    assert "64 analysed per arm" in stdout  # pwr.t.test(d = 0.5, power = 0.8): n = 63.77


def test_console_entry_point_is_run():
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "retrostats"]
    assert ep.value == "retrostats.cli:run"
    assert ep.load() is cli.run


#: A command run as the console script runs it (cli.run), with an exit handler and, optionally, a thread still
#: running when the command returns: each leaves a mark in a file, which the test reads after the process ended.
_RUN_SCRIPT = """
import atexit, sys, threading, time
marks = sys.argv.pop(1)
def mark(text):
    with open(marks, "a", encoding="utf-8") as f:
        f.write(text + "\\n")
atexit.register(mark, "exit handler")
if sys.argv[1] == "--with-thread":
    sys.argv.pop(1)
    threading.Thread(target=lambda: (time.sleep(0.5), mark("thread finished"))).start()
from retrostats.cli import run
run()
"""


@pytest.mark.parametrize(("args", "code", "marks"), [
    (["datasets", "list"], 0, ["exit handler"]),  # the fast exit: output complete, exit handlers run
    (["--with-thread", "datasets", "show", "no_such_dataset"], 1, ["thread finished", "exit handler"]),
])
def test_the_command_exits_with_its_status_after_output_exit_handlers_and_threads(tmp_path, capsys, args, code,
                                                                                    marks):
    log = tmp_path / "marks.txt"
    out = subprocess.run([sys.executable, "-c", _RUN_SCRIPT, str(log), *args], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == code, out.stderr
    assert log.read_text(encoding="utf-8").splitlines() == marks
    # the whole output, as main() writes it in this process
    assert main([a for a in args if a != "--with-thread"]) == code
    here = capsys.readouterr()
    assert (out.stdout, out.stderr) == (here.out, here.err)
    assert ("retro_trials" in out.stdout) if code == 0 else out.stderr.startswith("retrostats: error:")


# ---------------------------------------------------------------- messages
def test_unknown_instrument_is_named_with_a_suggestion_not_a_list(capsys):
    assert main(["plan", "--effect-size", "0.5", "--instrument", "NPSR", "--sd", "2"]) == 1
    err = capsys.readouterr().err
    assert "--instrument 'NPSR' is not in outcome_scales. Did you mean 'NPRS'?" in err
    assert "WOMAC_pain" not in err and len(err) < 300  # not the 118 instrument names
    assert "retrostats datasets show outcome_scales" in err


def test_unknown_instrument_in_meta_fails_before_writing(tmp_path, capsys):
    out = tmp_path / "m"
    argv = ["meta", str(ROOT / "examples" / "readme_smd.csv"), "--instrument", "NPSR", "--out", str(out)]
    assert main(argv) == 1
    assert "Did you mean 'NPRS'?" in capsys.readouterr().err
    assert not out.exists()


def test_misspelt_outcome_is_named_with_a_suggestion(capsys):
    assert main(["plan", "--from-registry", "--outcome", "pian"]) == 1
    err = capsys.readouterr().err
    assert "outcome 'pian'" in err and "Did you mean 'pain'?" in err
    assert "no usable effect sizes" not in err


def test_check_instrument():
    assert check_instrument("NPRS") == "NPRS"
    with pytest.raises(DataError, match=r"^--instrument 'VAS100' is not in outcome_scales\. Did you mean 'VAS_100'"):
        check_instrument("VAS100", name="--instrument")
    with pytest.raises(DataError, match=r"'zzz' is not in outcome_scales\. All 2 instruments"):
        check_instrument("zzz", scales=pd.DataFrame({"instrument": ["a", "b"]}))


def test_scale_unit():
    sc = rs.load_dataset("outcome_scales").set_index("instrument")
    assert scale_unit("VAS_100") == sc.loc["VAS_100", "unit"] == "mm"
    assert scale_unit(None) == scale_unit("not an instrument") == "points"


def test_registry_sd_is_the_root_mean_square_of_the_published_sds():
    arms = rs.load_dataset("retro_arms")
    sds = arms[arms["statistic"] == "sd"]
    trials = sds.groupby("instrument")["study_id"].nunique()
    instrument = trials.idxmax()
    assert trials[instrument] >= 2
    values = sds.loc[sds["instrument"] == instrument, "value"].to_numpy(dtype=float)
    sd, note = registry_sd(instrument)
    np.testing.assert_allclose(sd, np.sqrt(np.mean(values**2)), rtol=1e-15)
    assert f"root mean square of {len(values)} published arm SDs of {instrument}" in note
    with pytest.raises(DataError, match="fewer than two trials"):
        registry_sd("NPRS", arms=arms[arms["study_id"] == "chen2021"])


def test_read_studies_is_library_api(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("study,arm,mean,sd,n\nA,retro,3,1,20\nA,control,4,1,20\nB,control,5,2,9\nB,retro,4,2,10\n")
    df, kind, notes = rs.meta.read_studies(p, arms=("retro", "control"))
    assert kind == "tidy" and list(df["study"]) == ["A", "B"]
    assert df.loc[1, ["m1", "n1", "m2", "n2"]].tolist() == [4, 10, 5, 9]
    with pytest.raises(DataError, match="arms must name two arms"):
        rs.meta.read_studies(p, arms="retro")


def test_misspelt_measure_and_method_name_the_flag_before_any_output(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["meta", str(ROOT / "examples" / "readme_smd.csv"), "--measure", "SDM", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "--measure must be one of" in err and "Did you mean 'SMD'?" in err
    assert not out.exists()
    assert main(["plan", "--from-registry", "--method", "RMEL"]) == 1
    assert "--method must be one of" in capsys.readouterr().err
