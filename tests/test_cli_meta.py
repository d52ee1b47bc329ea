"""`retrostats meta`: one command from a sheet of studies to the pooled result, plots, CSVs and a script;
`result.to_script()` recomputes meta-analyses and power calculations."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "readme_smd.csv"
README = dict(
    m1=[3.1, 4.0, 2.8, 3.6], sd1=[1.2, 1.5, 1.1, 1.4], n1=[20, 32, 18, 40],
    m2=[4.2, 4.6, 4.0, 4.1], sd2=[1.3, 1.4, 1.2, 1.5], n2=[20, 30, 19, 41],
)
FAST = ["--formats", "png", "--dpi", "60"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def readme_result():
    return rs.meta_analysis(rs.effect_sizes(measure="SMD", **README), preset="cochrane")


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("meta") / "out"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["meta", str(EXAMPLE), "--measure", "SMD", "--preset", "cochrane", "--instrument", "NPRS",
                     "--out", str(out), *FAST])
    return code, out, buf.getvalue()


def test_readme_example_in_one_command(readme_run, readme_result):
    code, out, printed = readme_run
    assert code == 0
    pooled = pd.read_csv(out / "pooled.csv")
    assert pooled.loc[0, "estimate"] == pytest.approx(readme_result.estimate, rel=1e-12)
    assert pooled.loc[0, "ci_low"] == pytest.approx(readme_result.ci_low, rel=1e-12)
    es = pd.read_csv(out / "effect_sizes.csv")
    np.testing.assert_allclose(es["yi"], readme_result.yi, rtol=1e-12)
    assert es["derivation"].str.contains("Hedges").all()
    assert es["weight_percent"].sum() == pytest.approx(100)
    for name in ("summary.txt", "summary.html", "forest.png", "funnel.png", "reproduce_meta.py"):
        assert (out / name).is_file(), name
    assert "read 4 studies" in printed and "preset 'cochrane'" in printed and "wrote 7 files" in printed
    assert "Knapp-Hartung" in (out / "summary.txt").read_text(encoding="utf-8")


def test_the_written_script_recomputes_the_result(readme_run, readme_result, capsys):
    _, out, _ = readme_run
    ns = runpy.run_path(str(out / "reproduce_meta.py"))
    assert ns["res"].estimate == pytest.approx(readme_result.estimate, rel=1e-12)
    assert ns["res"].estimate == pytest.approx(ns["reported"]["estimate"], rel=1e-12)
    assert "Random-effects meta-analysis (k = 4)" in capsys.readouterr().out


def test_existing_output_is_not_overwritten_without_force(readme_run, capsys):
    _, out, _ = readme_run
    assert main(["meta", str(EXAMPLE), "--out", str(out), *FAST]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["meta", str(EXAMPLE), "--out", str(out), "--force", *FAST]) == 0


def test_tidy_and_metafor_named_sheets_give_the_same_pooled_result(tmp_path, readme_result, capsys):
    wide = pd.read_csv(EXAMPLE)
    tidy = pd.concat(
        [
            wide[["study", f"m{g}", f"sd{g}", f"n{g}"]]
            .set_axis(["study", "mean", "sd", "n"], axis=1)
            .assign(arm=arm)
            for g, arm in ((2, "control"), (1, "retro"))  # control listed first: --arms says which is which
        ]
    ).sort_values("study", kind="stable")
    tidy.to_csv(tmp_path / "tidy.csv", index=False)
    assert main(["meta", str(tmp_path / "tidy.csv"), "--arms", "retro", "control", "--preset", "cochrane",
                 "--out", str(tmp_path / "o1"), *FAST]) == 0
    assert "reshaped to one row per study (4 studies)" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "o1" / "pooled.csv").loc[0, "estimate"] == pytest.approx(readme_result.estimate)
    wide.rename(columns={c: c + "i" for c in wide.columns if c != "study"}).to_excel(tmp_path / "w.xlsx", index=False)
    assert main(["meta", str(tmp_path / "w.xlsx"), "--preset", "cochrane", "--out", str(tmp_path / "o2"),
                 *FAST]) == 0
    assert "read metafor column names" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "o2" / "pooled.csv").loc[0, "estimate"] == pytest.approx(readme_result.estimate)


def test_bad_sheets_are_refused_with_what_to_do(tmp_path, capsys):
    pd.DataFrame({"study": ["A", "A", "B"], "arm": ["retro", "control", "retro"], "mean": [1, 2, 3],
                  "sd": [1, 1, 1], "n": [9, 9, 9]}).to_csv(tmp_path / "t.csv", index=False)
    assert main(["meta", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o"), *FAST]) == 1
    assert "study 'B' has no row for arm(s) ['control']" in capsys.readouterr().err
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "x.csv", index=False)
    assert main(["meta", str(tmp_path / "x.csv"), "--out", str(tmp_path / "o"), *FAST]) == 1
    assert "none of the supported layouts" in capsys.readouterr().err


def test_precomputed_effect_sizes(tmp_path, readme_result):
    pd.DataFrame({"trial": list(readme_result.labels), "yi": readme_result.yi, "sei": np.sqrt(readme_result.vi)}
                 ).to_csv(tmp_path / "e.csv", index=False)
    assert main(["meta", str(tmp_path / "e.csv"), "--preset", "cochrane", "--out", str(tmp_path / "o"), *FAST]) == 0
    assert pd.read_csv(tmp_path / "o" / "pooled.csv").loc[0, "estimate"] == pytest.approx(readme_result.estimate)
    ns = runpy.run_path(str(tmp_path / "o" / "reproduce_meta.py"))
    assert ns["res"].estimate == pytest.approx(readme_result.estimate)


# ---------------------------------------------------------------- result.to_script()
def _run(script: str) -> dict:
    ns: dict = {}
    exec(compile(script, "<to_script>", "exec"), ns)
    return ns


def test_meta_analysis_to_script_with_subgroups_and_moderators(readme_result, capsys):
    ns = _run(readme_result.to_script())
    assert ns["res"].estimate == readme_result.estimate and ns["res"].tau2 == readme_result.tau2
    yi = [-0.5, -0.2, -0.9, -0.4, -0.1, -0.7]
    vi = [0.04, 0.05, 0.09, 0.03, 0.06, 0.05]
    sub = rs.meta_analysis(yi=yi, vi=vi, subgroup=["a", "b"] * 3, method="DL")
    got = _run(sub.to_script())["res"]
    assert got.estimate == sub.estimate and got.subgroup_test["q"] == pytest.approx(sub.subgroup_test["q"])
    reg = rs.meta_analysis(yi=yi, vi=vi, mods=np.array([1.0, 2, 3, 4, 5, 6]), confidence_level=0.9)
    got = _run(reg.to_script())["res"]
    np.testing.assert_array_equal(got.coefficients["estimate"], reg.coefficients["estimate"])
    assert got.confidence_level == 0.9
    capsys.readouterr()


@pytest.mark.parametrize(
    "make",
    [
        lambda: rs.power_ttest(effect_size=0.4, power=0.9, ratio=2.0),
        lambda: rs.power_ttest(effect_size=0.4, n=50),
        lambda: rs.power_ancova(effect_size=0.5, power=0.8, r=0.6, dropout=0.15),
        lambda: rs.power_change_score(effect_size=0.5, n=30, r=0.5),
        lambda: rs.power_mmrm(effect_size=0.5, power=0.8, r=0.5, n_visits=3),
    ],
)
def test_power_to_script_recomputes(make, capsys):
    res = make()
    got = _run(res.to_script())["res"]
    assert got.n == pytest.approx(res.n, rel=1e-12) and got.power == pytest.approx(res.power, rel=1e-12)
    assert got.design == res.design
    assert "power" in capsys.readouterr().out
