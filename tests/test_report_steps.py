"""The reproduce steps are shaped like the paper: one module per section of paper/paper.md under
retrostats/report/steps/, one explicit ordered list (STEPS), and a step that is missing, unknown or not a step
is an error, never a silent skip. Fast: nothing here runs a step."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import retrostats.report.steps as steps_pkg
from retrostats.report import pipeline
from retrostats.report.pipeline import PAPER_FIGURES, Step, check_steps, list_steps, resolve_only, step

ROOT = Path(__file__).resolve().parents[1]
PAPER_ORDER = ["registry", "evidence_map", "reviews", "registry_effects", "registry_meta", "registry_decision",
               "synthetic_meta", "bayes", "planning", "participants", "rob", "colophon"]


def _step_modules():
    for info in pkgutil.iter_modules(steps_pkg.__path__):
        yield importlib.import_module(f"{steps_pkg.__name__}.{info.name}")


def test_the_steps_are_the_explicit_list_in_the_papers_order():
    assert [s.name for s in list_steps()] == PAPER_ORDER
    assert all(isinstance(s, Step) for s in steps_pkg.STEPS)
    assert [s.name for s in list_steps() if s.gather] == ["colophon"]


def test_every_step_defined_in_a_section_module_is_listed():
    defined = {s for mod in _step_modules() for s in vars(mod).values() if isinstance(s, Step)}
    assert defined == set(steps_pkg.STEPS), "a step written but not listed in STEPS would never run"


def test_one_module_per_paper_section():
    """Each module says which section of paper/paper.md it makes, and that section exists; no two modules make
    the same section."""
    headings = re.findall(r"^# (.+)$", (ROOT / "paper" / "paper.md").read_text(encoding="utf-8"), flags=re.M)
    made = {}
    for mod in _step_modules():
        m = re.match(r'Paper section "([^"]+)"', mod.__doc__ or "")
        assert m, f"{mod.__name__}'s docstring must start with: Paper section \"<heading of paper/paper.md>\""
        assert m.group(1) in headings, f"{mod.__name__} names {m.group(1)!r}, not a heading of paper.md"
        assert m.group(1) not in made, f"{mod.__name__} and {made[m.group(1)]} make the same section"
        made[m.group(1)] = mod.__name__
        listed = [s for s in steps_pkg.STEPS if s.func.__module__ == mod.__name__]
        assert listed, f"{mod.__name__} defines no listed step"
    # the modules follow the paper: steps of one section are listed together, sections in the paper's order
    order = [headings.index(next(h for h, m in made.items() if m == s.func.__module__)) for s in list_steps()]
    assert order == sorted(order)


def test_a_listed_entry_that_is_not_a_step_is_an_error():
    def loose(ctx):  # a function without @step: before, a step module that failed to load was skipped
        pass

    with pytest.raises(TypeError, match="not a Step; decorate"):
        check_steps([*steps_pkg.STEPS[:2], loose])


def test_reproduce_refuses_a_step_list_naming_a_non_step(tmp_path, monkeypatch):
    monkeypatch.setattr(steps_pkg, "STEPS", (*steps_pkg.STEPS, "registry_typo"))
    with pytest.raises(TypeError, match="registry_typo"):
        pipeline.reproduce(tmp_path / "out", only=["registry"], progress=False)
    assert not (tmp_path / "out").exists()


def test_a_step_list_naming_a_function_that_does_not_exist_fails_at_import():
    with pytest.raises(AttributeError, match="no_such_step"):
        exec("from retrostats.report.steps import registry\nSTEPS = (registry.registry, registry.no_such_step)", {})


def test_duplicate_names_unmet_needs_and_late_gathering_are_errors():
    a = step("a", "first")(lambda ctx: None)
    b = step("b", "needs a", needs=("a",))(lambda ctx: None)
    g = step("g", "gathers", gather=True)(lambda ctx: None)
    assert check_steps([a, b, g]) == [a, b, g]
    with pytest.raises(ValueError, match="two reproduce steps are named 'a'"):
        check_steps([a, a])
    with pytest.raises(ValueError, match=r"'b' needs \['a'\]"):
        check_steps([b, a])
    with pytest.raises(ValueError, match="after the gathering step 'g'"):
        check_steps([a, g, b])


def test_unknown_only_names_are_errors():
    with pytest.raises(ValueError, match=r"unknown step\(s\) \['no_such_step'\]"):
        resolve_only(["registry", "no_such_step"])
    with pytest.raises(ValueError, match="fig99"):
        resolve_only(["fig99"])
    assert resolve_only(["fig17", "fig16", "registry"]) == ["registry_meta", "registry"]
    assert {name for name, _ in PAPER_FIGURES.values()} <= set(PAPER_ORDER)


def test_chains_keep_needs_together_and_start_with_the_longest():
    chains = pipeline._chains([s for s in list_steps() if not s.gather])
    cost = {s.name: s.cost for s in list_steps()}
    assert sorted(n for c in chains for n in c) == sorted(PAPER_ORDER[:-1])
    assert ["synthetic_meta", "bayes"] in chains  # bayes reads synthetic_meta's cache: the same worker
    totals = [sum(cost[n] for n in c) for c in chains]
    assert totals == sorted(totals, reverse=True)
    for c in chains:  # within a chain, the paper's order
        assert c == sorted(c, key=PAPER_ORDER.index)


def test_a_step_is_still_callable_with_a_context(tmp_path):
    from retrostats.report.steps.registry import registry

    ctx = pipeline.Context(out=tmp_path)
    registry(ctx)
    assert ctx.numbers["n_trials"] > 0 and ctx.sections[0][0] == "Evidence registry"


def test_a_failing_chain_in_a_worker_is_raised_after_every_process_finished(tmp_path):
    # the worker takes the first chain (a name no step has), this process the next ones unless the worker has
    # failed by then: the worker's error is raised here, once no process runs a chain any more
    with pytest.raises(KeyError, match="no_such_step"):
        pipeline._run_chains([["no_such_step"], ["registry"]], tmp_path, True, 2)


def test_a_two_process_run_leaves_joblib_usable_in_the_same_session(tmp_path):
    """The pool of reproduce(jobs=2) is private and shut down: joblib.Parallel afterwards (power_grid with
    n_jobs=2) used to fail on loky's shared executor ('no attribute _temp_folder_manager')."""
    from joblib import Parallel, delayed

    got = pipeline._run_chains([["registry"], ["reviews"]], tmp_path, True, 2)
    assert set(got) == {"registry", "reviews"}
    assert Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(4)) == [0, 1, 2, 3]
