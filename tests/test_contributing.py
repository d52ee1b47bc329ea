"""CONTRIBUTING.md stays true: its map of the package matches the tree, the paths its recipes name exist, and
the recipes' code runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = TEXT.index(f"## {title}\n")
    end = TEXT.find("\n## ", start + 3)
    return TEXT[start : end if end > 0 else None]


def _map_entries() -> list[str]:
    block = _section("Layout and layers (one import direction)").split("```")[1]
    return [line.split()[0] for line in block.splitlines()[1:] if line.strip() and line.startswith("  ")]


def test_the_map_matches_the_tree():
    entries = _map_entries()
    pkg = ROOT / "retrostats"
    for name in entries:
        assert (pkg / name.rstrip("/")).exists(), f"CONTRIBUTING.md maps retrostats/{name}, which does not exist"
    tree = {
        p.name + ("/" if p.is_dir() else "")
        for p in pkg.iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py") or (p.is_dir() and (p / "__init__.py").exists())
    }
    missing = sorted(tree - set(entries))
    assert not missing, f"add these to the map in CONTRIBUTING.md (one line each, what lives there): {missing}"


def test_recipe_paths_exist():
    recipes = _section("Where it goes: recipes")
    paths = {p for p in re.findall(r"`([\w./-]+)`", recipes) if "/" in p and not p.startswith("retrostats.")}
    assert len(paths) >= 10
    missing = sorted(p for p in paths if not (ROOT / p.rstrip("/")).exists())
    assert not missing, f"CONTRIBUTING.md's recipes name paths that do not exist: {missing}"


RECIPE_CODE = re.findall(r"```python\n(.*?)```", _section("Where it goes: recipes"), flags=re.S)


def test_there_is_a_recipe_for_each_kind():
    recipes = _section("Where it goes: recipes")
    kinds = ("A new effect measure", "A new tau² estimator", "A new figure", "A new dataset", "A new command")
    for kind in kinds:
        assert f"**{kind}**" in recipes, kind
    assert len(RECIPE_CODE) == len(kinds)


def _registries() -> dict[str, list[str]]:
    """The names in every registry a recipe adds to (each recipe removes what it registers)."""
    from retrostats.datasets.schemas import SCHEMAS
    from retrostats.kernels.tau2 import TAU2, TAU2_NAMES
    from retrostats.measures import MEASURES

    return {name: sorted(reg) for name, reg in
            (("MEASURES", MEASURES), ("TAU2", TAU2), ("TAU2_NAMES", TAU2_NAMES), ("SCHEMAS", SCHEMAS))}


def test_recipe_code_runs():
    # each recipe runs in its own empty namespace, so it must import what it uses, with warnings as errors as
    # in the suite; in this process (a new interpreter importing the stack took most of the test's time), so
    # the registries must come out as they went in: a recipe that leaves something registered fails here
    before = _registries()
    failed = {}
    for i, code in enumerate(RECIPE_CODE, start=1):
        try:
            exec(compile(code, f"<recipe {i}>", "exec"), {"__name__": f"recipe{i}"})
        except Exception:
            import traceback

            failed[i] = traceback.format_exc()
    assert not failed, "\n".join(f"recipe {k}:\n{v}" for k, v in failed.items())
    assert _registries() == before


def test_the_complexity_exceptions_are_listed():
    """The functions allowed above complexity 25 (``# noqa: C901``) are exactly those CONTRIBUTING.md names."""
    marked = set()
    for path in (ROOT / "retrostats").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\s*def (\w+)\(.*# noqa: C901", line)
            if m:
                marked.add(m.group(1))
    bullet = TEXT[TEXT.index("- No function above cyclomatic complexity 25") :].split("\n- ", 1)[0]
    listed = set(re.findall(r"`(\w+)`\s+\(\d+\)", bullet))
    assert marked == listed, f"noqa: C901 in the code: {sorted(marked)}; listed in CONTRIBUTING.md: {sorted(listed)}"
