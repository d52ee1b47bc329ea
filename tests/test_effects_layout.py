"""The effect-size wing lives in ``retrostats/effects/``; its old top-level paths still import the same objects,
and nothing inside the package goes through them."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from test_layers import import_graph

import retrostats as rs

ROOT = Path(__file__).resolve().parents[1]
OLD_PATHS = {
    "retrostats.harmonise": "retrostats.effects.harmonise",
    "retrostats.registry_effects": "retrostats.effects.registry",
    "retrostats.extraction": "retrostats.effects.extraction",
    "retrostats.extraction_contrasts": "retrostats.effects.extraction_contrasts",
    "retrostats.derivation": "retrostats.effects.derivation",
}


@pytest.mark.parametrize(("old", "new"), OLD_PATHS.items())
def test_old_path_reexports_the_same_objects(old, new):
    old_mod, new_mod = importlib.import_module(old), importlib.import_module(new)
    assert old_mod.__all__ == new_mod.__all__ and new_mod.__all__
    for name in new_mod.__all__:
        assert getattr(old_mod, name) is getattr(new_mod, name), f"{old}.{name}"


def test_nothing_in_the_package_imports_an_old_path():
    graph = import_graph()
    users = {mod: sorted(set(OLD_PATHS) & deps) for mod, deps in graph.items() if set(OLD_PATHS) & deps}
    assert not users, f"import the new module, not the old path: {users}"


#: the wing bottom up, as CONTRIBUTING's map lists it: each module imports only modules before it
WING = ["derivation", "binary", "escalc", "harmonise", "routes", "registry", "extraction_contrasts", "extraction"]


def test_the_wing_imports_only_downwards():
    graph = import_graph()
    names = [f"retrostats.effects.{m}" for m in WING]
    assert set(names) | {"retrostats.effects"} == {m for m in graph if m.startswith("retrostats.effects")}
    for i, mod in enumerate(names):
        upward = sorted(graph[mod] & set(names[i:]) | graph[mod] & {"retrostats.effects"})
        assert not upward, f"{mod} imports {upward}, listed after it in the map (or the package itself)"
    mapped = [line.split()[0] for line in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8").splitlines()
              if line.startswith("  effects/") and line.split()[0].endswith(".py")]
    assert mapped == [f"effects/{m}.py" for m in WING]


def test_the_flat_namespace_points_into_the_wing():
    lazy = {n: m for n, m in rs._LAZY.items() if m in OLD_PATHS.values() or m == "retrostats.effects"}
    assert set(lazy) >= {"effect_sizes", "sensitivity", "registry_effect_sizes", "read_extraction", "read_contrasts"}
    for name, module in lazy.items():
        assert getattr(rs, name) is getattr(importlib.import_module(module), name)


def test_public_submodules_of_the_flat_namespace_import():
    for name in rs._SUBMODULES:
        assert importlib.import_module(f"retrostats.{name}") is getattr(rs, name), name


def test_effects_package_exports_what_the_old_module_did():
    from retrostats import effects

    for name in ("effect_sizes", "sensitivity", "render_derivation", "derivation_steps", "MEASURES",
                 "check_smd_mixing", "direction_of", "harmonise_direction", "rescale_factor", "step"):
        assert name in effects.__all__ and hasattr(effects, name), name
