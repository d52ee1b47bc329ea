"""`retrostats reproduce` writes >= 8 figures, tables, numbers and the report, identically twice; every paper
figure fits both journal widths."""

from __future__ import annotations

import json
import re

import pytest

from retrostats.cli import main
from retrostats.report import list_steps, reproduce


@pytest.fixture(scope="session")  # session: a worker switching modules (xdist) would rebuild a module one
def two_runs(reproduce_quick, tmp_path_factory):
    """The shared run (in this process, its figures also laid out at both widths as they were saved) and a
    plain second run with the steps in two worker processes."""
    ctx, a, _, _ = reproduce_quick
    b = tmp_path_factory.mktemp("run_b")
    reproduce(b, quick=True, progress=False, jobs=2)  # steps in two worker processes: the same bytes
    return ctx, a, b


@pytest.mark.slow
def test_reproduce_writes_figures_tables_numbers_report(two_runs):
    ctx, out, _ = two_runs
    stems = {p.stem for p in (out / "figures").glob("*.pdf")}
    assert len(stems) >= 8
    for stem in stems:
        for ext in ("svg", "png"):
            assert (out / "figures" / f"{stem}.{ext}").stat().st_size > 1000
    assert len(list((out / "tables").glob("*.csv"))) >= 10
    numbers = json.loads((out / "numbers.json").read_text())
    assert numbers == json.loads(json.dumps(ctx.numbers, default=str))
    for key in (
        "n_trials",
        "synth_estimate",
        "bayes_mu_mean",
        "plan_n_ancova",
        "trial_mmrm_estimate",
        "n_figures",
    ):
        assert key in numbers
    assert numbers["n_figures"] == len(stems)
    tex = (out / "numbers.tex").read_text()
    assert "\\newcommand{\\rsNTrials}" in tex
    # regression: digits were dropped from macro names, so q025 and q975 both became ...Q (a TeX error)
    macros = re.findall(r"\\newcommand\{(\\rs[A-Za-z]+)\}", tex)
    assert len(macros) == len(numbers) == len(set(macros))
    assert "\\newcommand{\\rsBayesMuQZeroTwoFive}" in tex
    report = (out / "report.html").read_text()
    assert report.count("src='data:image/png;base64,") == len(stems)
    # no SMD can be pooled from the registry yet and the report says so; pooled mean differences on a shared
    # instrument are reported as real data; the synthetic set is named as such
    if not numbers["registry_meta_possible"]:
        assert "No standardized (SMD) meta-analysis of the registry is possible yet" in report
    assert "Pooled mean differences from the registry (real data)" in report
    if numbers["n_registry_pooled_analyses"]:
        assert numbers["pain_md_k"] >= 2 and (out / "figures" / "fig16_registry_pain_forest.pdf").exists()
    assert "SYNTHETIC" in report and "ILLUSTRATIVE" in report
    from retrostats.report.paper import PAPER_DIR

    paper = out / "paper.md"
    if (PAPER_DIR / "paper.md").exists():  # source checkout: the paper is rendered with every number
        text = paper.read_text()
        assert "{{" not in text
        assert numbers["git_commit"] in text or "unknown" in text


@pytest.mark.slow
def test_second_run_is_byte_identical(two_runs):
    _, a, b = two_runs
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.suffix in {".pdf", ".svg", ".csv", ".png"})
    assert len(files) > 30
    differ = [str(f) for f in files if (a / f).read_bytes() != (b / f).read_bytes()]
    assert not differ, f"files differ between two runs: {differ}"
    # the report and numbers are deterministic too (up to the git commit, should one land between the runs)
    for name in ("report.html", "numbers.json", "numbers.tex"):
        ta, tb = ((d / name).read_text() for d in (a, b))
        commit = re.compile(r"(git commit: |\"git_commit\": \"|\\rsGitCommit\}\{)[0-9a-f]+")
        assert commit.sub(r"\1<commit>", ta) == commit.sub(r"\1<commit>", tb), name


def test_steps_are_registered_in_order():
    names = [s.name for s in list_steps()]
    assert names[:2] == ["registry", "evidence_map"]
    assert {"synthetic_meta", "bayes", "planning", "participants", "colophon"} <= set(names)
    assert names[-1] == "colophon"


def test_cli_reproduce_only_one_step(tmp_path, capsys):
    assert main(["reproduce", "--out", str(tmp_path), "--quick", "--only", "evidence_map"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\[1/1\] evidence_map", out)
    assert (tmp_path / "figures" / "fig01_evidence_map.pdf").exists()
    assert (tmp_path / "report.html").exists()


@pytest.mark.slow
def test_report_renders_with_figures_in_chromium(two_runs, tmp_path):
    """Headless Chromium shows the embedded figures (skips only when /usr/bin/chromium is absent)."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "paper" / "check_report_render.py"
    spec = importlib.util.spec_from_file_location("check_report_render", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not Path(mod.CHROMIUM).exists():
        pytest.skip(f"{mod.CHROMIUM} is absent: install Debian's chromium package to run the render check")
    _, out, _ = two_runs
    assert mod.main([str(out / "report.html"), "--screenshot", str(tmp_path / "shot.png")]) == 0
    assert (tmp_path / "shot.png").stat().st_size > 10_000


def test_only_takes_paper_figures():
    from retrostats.report.pipeline import PAPER_FIGURES, resolve_only

    assert resolve_only(["fig01"]) == ["evidence_map"]
    assert resolve_only(["fig05", "fig04_forest_synthetic", "synthetic_meta"]) == ["synthetic_meta"]
    assert {name for name, _ in PAPER_FIGURES.values()} <= {s.name for s in list_steps()}
    with pytest.raises(ValueError, match="fig99"):
        resolve_only(["fig99"])


@pytest.mark.slow
def test_paper_figures_table_names_every_figure_drawn(two_runs):
    from retrostats.report.pipeline import PAPER_FIGURES

    _, out, _ = two_runs
    drawn = {p.stem for p in (out / "figures").glob("fig[0-9][0-9]_*.pdf")}
    assert {stem for _, stem in PAPER_FIGURES.values()} == drawn


def test_paper_figure_readme_matches_the_table():
    from pathlib import Path

    from retrostats.report.pipeline import PAPER_FIGURES

    readme = (Path(__file__).resolve().parents[1] / "paper" / "figures" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| `--only (fig\d\d)` \| `(\w+)` \|", readme, flags=re.M)
    assert {fig: step for _, fig, step in rows} == {fig: step for fig, (step, _) in PAPER_FIGURES.items()}
    assert all(f"fig{int(n):02d}" == fig for n, fig, _ in rows)


# ---------------------------------------------------------------- the paper's figures fit the journal
# (here, beside the other readers of the shared run, so that xdist's loadscope runs them on one worker)
@pytest.fixture(scope="session")
def paper_figures(reproduce_quick):
    """The shared `retrostats reproduce --quick` run (tests/conftest.py): each paper figure's layout problems at
    both journal widths, and whether it carries the synthetic mark."""
    _, _, found, marks = reproduce_quick
    return found, marks


@pytest.mark.slow
def test_every_paper_figure_fits_both_widths(paper_figures):
    found, _ = paper_figures
    assert len({k.split("@")[0] for k in found}) >= 17
    bad = {k: v for k, v in found.items() if v}
    assert bad == {}, "\n".join(f"{k}: {v[:3]}" for k, v in bad.items())


@pytest.mark.slow
def test_synthetic_paper_figures_carry_the_mark(paper_figures):
    _, marks = paper_figures
    numbers = {f"fig{i:02d}" for i in (4, 5, 6, 7, 8, 11, 12, 13, 14, 15)}
    synthetic = [k for k in marks if k.split("_", 1)[0] in numbers]
    assert len(synthetic) == 10
    assert all(marks[k] for k in synthetic), {k: marks[k] for k in synthetic}
    real = [k for k in marks if k.startswith(("fig01", "fig02", "fig03", "fig16", "fig17"))]
    assert real and not any(marks[k] for k in real)
