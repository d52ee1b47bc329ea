"""The layer rules of STYLE.md: kernels use NumPy/SciPy only; only `bayes` touches PyMC; figures draw; no module
imports itself through others (no import circles, counting imports inside functions and the package
``__init__`` modules that module-level imports run on the way; see `import_graph`)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "retrostats"
STDLIB_OK = {"__future__", "math", "cmath", "typing", "dataclasses", "functools", "itertools", "collections",
             "warnings", "numbers", "enum", "operator", "abc", "contextlib"}


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The parsed module (several tests read each module; nothing here changes a tree)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path: Path, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    tree = _tree(path)
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
    assert n <= 600, f"{path} has {n} lines; split it (the cap is 600)"


# ---------------------------------------------------------------- no import circles
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _with_packages(target: str, importer: str, at_import: bool) -> set[str]:
    """``target``, and for an import that runs when the importer is imported (``at_import``) also the packages
    Python imports first to reach it (``a`` and ``a.b`` for ``a.b.c``), except the importer's own packages,
    which are already importing when the importer runs."""
    if not at_import:
        return {target}
    parts = target.split(".")
    own = {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 2)}
    return {target} | {".".join(parts[:i]) for i in range(1, len(parts))} - own


def _import_nodes(tree: ast.AST) -> list[tuple[ast.stmt, bool]]:
    """The import statements of a module, each with whether it sits inside a function body (it runs when the
    function is called), leaving out those under ``if TYPE_CHECKING:`` (never executed, so they cannot make a
    circle; the ``else:`` branch runs). One pass over the statements: an expression holds no statement, so the
    expressions (most of the tree) are not walked."""
    out: list[tuple[ast.stmt, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append((node, in_function))
            return
        in_function = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        type_checking = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for field, value in ast.iter_fields(node):
            if type_checking and field == "body":
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and not isinstance(child, ast.expr):
                    visit(child, in_function)

    visit(tree, False)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the retrostats modules it imports, at module level or inside functions alike (a fresh copy of
    :func:`_import_graph`, which parses the package once per test process: several tests ask for it).
    """
    return {name: set(edges) for name, edges in _import_graph().items()}


@functools.lru_cache(maxsize=1)
def _import_graph() -> dict[str, set[str]]:
    """Module -> the retrostats modules it imports, at module level or inside functions alike.

    ``from .pkg import name`` points at ``pkg.name`` when that is a module, else at ``pkg`` (its
    ``__init__``); relative imports are resolved as Python resolves them. An import that runs when the module
    is imported (not inside a function) also points at every package ``__init__`` on the way to its target
    (importing ``retrostats.effects.binary`` runs ``retrostats/effects/__init__.py`` first), except the
    importer's own enclosing packages: a circle through those fails at import time. An import inside a
    function points at its target only: it states a dependency, and runs once every package has loaded.
    """
    paths = {_module_name(p): p for p in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        edges: set[str] = set()
        for node, deferred in _import_nodes(_tree(path)):
            if isinstance(node, ast.Import):
                for a in node.names:
                    edges |= _with_packages(a.name, name, not deferred)
            else:
                if node.level:
                    pkg = base[: len(base) - node.level + 1]
                    target = ".".join(pkg + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for a in node.names:
                    full = f"{target}.{a.name}" if f"{target}.{a.name}" in paths else target
                    edges |= _with_packages(full, name, not deferred)
        graph[name] = {e for e in edges if e in paths and e != name}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_import_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "retrostats.meta.bias" in graph["retrostats.meta.result"]  # a verb imported inside a method
    assert "retrostats.report.html" in graph["retrostats.report.pipeline"]
    # a module-level import of another package's module runs that package's __init__ first (not the importer's
    # own package); an import inside a function points at its target only
    assert {"retrostats.effects.binary", "retrostats.effects"} <= graph["retrostats.meta.binary"]
    assert "retrostats.meta" not in graph["retrostats.meta.binary"]
    assert _with_packages("retrostats.meta.presets", "retrostats.figures.forest", True) == {
        "retrostats.meta.presets", "retrostats.meta"}
    assert _with_packages("retrostats.meta.presets", "retrostats.figures.forest", False) == {"retrostats.meta.presets"}
    assert import_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles():
    """No module imports, directly or through others, a module that imports it back: a verb that refits
    calls a lower-level fit function, never the module that defines its result class."""
    graph = import_graph()
    circles = import_circles(graph)
    assert not circles, "import circles:\n" + "\n".join(
        " <-> ".join(c) + ": " + "; ".join(f"{a} -> {sorted(graph[a] & set(c))}" for a in c) for c in circles
    )


# ---------------------------------------------------------------- planning stays beside meta, ipd and bayes
#: What planning may not import (inside functions too): the other frame-API packages beside it, the layers above
#: it and the effect-size machinery (registry effects, harmonisation; planning reads a meta-analysis result
#: passed in, it never fits one). The measure registry (`measures`) and the shipped data (`datasets`) are below it.
PLANNING_MUST_NOT_IMPORT = ("meta", "ipd", "bayes", "decision", "figures", "report", "cli", "effects",
                            "effects_binary", "registry_effects", "_registry_routes", "harmonise", "extraction",
                            "extraction_contrasts")


def test_planning_imports_nothing_beside_or_above_it():
    graph = import_graph()
    planning = [m for m in graph if m == "retrostats.planning" or m.startswith("retrostats.planning.")]
    assert "retrostats.planning.evidence" in planning
    bad = sorted(
        (m, e) for m in planning for e in graph[m]
        if e == "retrostats" or e.split(".")[1] in PLANNING_MUST_NOT_IMPORT  # the whole package reaches them all
    )
    assert not bad, f"planning imports {bad}: it stays beside meta, ipd and bayes (move the code to cli/ or report/)"


def test_the_command_line_is_a_package_of_thin_commands():
    """One module per command under cli/; nothing below cli imports it (it is the top layer)."""
    graph = import_graph()
    for command in ("reproduce", "plan", "meta", "datasets", "extraction"):
        assert f"retrostats.cli.{command}" in graph["retrostats.cli"], command
    below = sorted(m for m, edges in graph.items() if not m.startswith("retrostats.cli")
                   and m != "retrostats.__main__" and any(e.startswith("retrostats.cli") for e in edges))
    assert not below, f"{below} import the command line"
