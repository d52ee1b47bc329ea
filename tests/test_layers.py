"""The layer rules of STYLE.md: kernels use NumPy/SciPy only; only `bayes` touches PyMC; figures draw."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "retrostats"
STDLIB_OK = {"__future__", "math", "cmath", "typing", "dataclasses", "functools", "itertools", "collections",
             "warnings", "numbers", "enum", "operator", "abc", "contextlib"}


def _imports(path: Path, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = ("." * node.level) + (node.module or "")
            out.append((node.lineno, mod))
        elif top_level_only and isinstance(node, (ast.If, ast.Try)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import):
                    out += [(sub.lineno, a.name) for a in sub.names]
                elif isinstance(sub, ast.ImportFrom):
                    out.append((sub.lineno, ("." * sub.level) + (sub.module or "")))
    return out


def _modules(sub: str = "") -> list[Path]:
    return sorted((PKG / sub).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("kernels"), ids=lambda p: p.name)
def test_kernels_use_numpy_scipy_only(path):
    for line, mod in _imports(path):
        root = mod.lstrip(".").split(".")[0]
        if mod.startswith("."):
            # relative imports must stay inside kernels
            assert mod.count(".") == 1 or mod == ".", f"{path.name}:{line} imports {mod} outside kernels"
            continue
        assert root in {"numpy", "scipy"} | STDLIB_OK, f"{path.name}:{line} imports {mod}"


@pytest.mark.parametrize(
    "path", [p for p in _modules() if "bayes" not in p.parts], ids=lambda p: str(p.relative_to(PKG))
)
def test_only_bayes_imports_pymc(path):
    for line, mod in _imports(path):
        assert mod.split(".")[0] not in {"pymc", "pytensor", "arviz"}, f"{path}:{line} imports {mod}"


@pytest.mark.parametrize("path", _modules("bayes"), ids=lambda p: p.name)
def test_bayes_imports_pymc_lazily(path):
    for line, mod in _imports(path, top_level_only=True):
        assert mod.split(".")[0] not in {"pymc", "pytensor", "arviz"}, f"{path}:{line} imports {mod} at module level"


@pytest.mark.parametrize("path", _modules("figures"), ids=lambda p: p.name)
def test_figures_do_not_compute(path):
    for line, mod in _imports(path):
        assert "kernels" not in mod and mod.split(".")[0] not in {"scipy", "statsmodels"}, \
            f"{path.name}:{line} imports {mod}: figures draw results, they do not compute statistics"


@pytest.mark.parametrize("path", [p for p in _modules() if p.parent.name != "figures" and p.parent.name != "report"],
                         ids=lambda p: str(p.relative_to(PKG)))
def test_pyplot_only_inside_functions(path):
    for line, mod in _imports(path, top_level_only=True):
        assert mod not in {"matplotlib.pyplot", "seaborn"}, f"{path}:{line} imports {mod} at module level"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_module_size(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= 700, f"{path} has {n} lines; split it (soft cap ~600)"
