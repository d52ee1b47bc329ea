"""Shared test configuration: the one tolerance table, the seeded RNG fixture and the R-reference loader."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = ROOT / "tests" / "reference" / "expected"

#: The one tolerance table (see STYLE.md). Any rtol >= 0.01 must carry a comment saying why.
TOL = {
    # closed-form formulas (escalc, pwr, conversions): agree to rounding error
    "closed_form": {"rtol": 1e-10, "atol": 1e-12},
    # iterative estimators (REML, ML, EB, PM, SJ, root finding) with our solver set tighter than 1e-6
    "iterative": {"rtol": 1e-6, "atol": 1e-8},
    # mixed models against nlme/emmeans (the issue states estimates 1e-4 relative, SEs 1e-3)
    "mmrm_estimate": {"rtol": 1e-4, "atol": 1e-6},
    "mmrm_se": {"rtol": 1e-3, "atol": 1e-6},
    # SAS PROC MIXED listings where SAS stopped before the optimum (its -2 log-likelihood is higher than ours):
    # the parameters of a flat likelihood then differ by up to ~1.3e-3 relative (correlations: 1e-4 absolute)
    "mmrm_sas_early_stop": {"rtol": 2e-3, "atol": 1e-3},
    # numerical integration (exact Bayesian meta-analysis) against an independent quadrature
    "quadrature": {"rtol": 1e-5, "atol": 1e-7},
    # group-sequential boundaries (z units) against rpact: the 1e-6, absolute
    "boundary": {"rtol": 0.0, "atol": 1e-6},
}
#: MCMC and Monte-Carlo results: within this many Monte-Carlo standard errors.
MCSE_MULTIPLIER = 4.0


def published_tol(printed: str) -> float:
    """Half a unit of the last printed digit of a published number: '0.35' -> 0.005."""
    s = printed.strip().lstrip("-+")
    decimals = len(s.split(".")[1]) if "." in s else 0
    return 0.5 * 10.0 ** (-decimals)


def load_reference(name: str) -> dict:
    """Load ``tests/reference/expected/<name>.json`` written by an R script in ``tests/reference/r``."""
    path = REFERENCE_DIR / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"R reference {path} is missing; regenerate with `make references`.")
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    assert "source" in data, f"{path} has no 'source' block (R and package versions, the call)"
    return data


@pytest.fixture
def rng() -> np.random.Generator:
    """The one seeded random generator for tests."""
    return np.random.default_rng(20261122)


#: Test modules that take longest (the shared reproduce runs, the notebooks), collected first: xdist's loadscope
#: hands out modules in collection order, so these start at once on separate workers and the many short
#: modules fill in around them (collected last, the reproduce module ran alone for its last minute or two).
SLOW_MODULES_FIRST = ("test_reproduce.py", "test_notebooks.py")


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    """The test modules are not searched for doctests (``--doctest-modules`` is for the package's docstrings):
    they have none, and searching them took each xdist worker about 0.8 s. A docstring example added to a test
    module fails here instead of being skipped without a word."""
    collected = yield
    if file_path.suffix != ".py" or file_path.parent != Path(__file__).parent:
        return collected
    from _pytest.doctest import DoctestModule

    kept = [c for c in collected if not isinstance(c, DoctestModule)]
    if len(kept) != len(collected) and re.search(r"^\s*>>>\s", file_path.read_text(encoding="utf-8"), re.M):
        raise pytest.UsageError(f"{file_path.name} has a docstring example: put examples in the package")
    return kept


def pytest_collection_modifyitems(config, items):
    """Run the modules of ``SLOW_MODULES_FIRST`` first (a stable sort: every other order is kept)."""
    rank = {name: i for i, name in enumerate(SLOW_MODULES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    """Close the pyplot figures a test left open: a worker runs hundreds of tests in one process, and
    matplotlib warns (an error here) once more than 20 figures are open, in whichever test comes next."""
    yield
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


#: The figure widths every paper figure is checked at (journal single and double column).
PAPER_WIDTHS = ("single", "double")


@pytest.fixture(scope="session")
def reproduce_quick(tmp_path_factory):
    """One ``retrostats reproduce --quick`` run, shared by every test that reads its outputs.

    The full run takes about a minute (several on a loaded machine), so tests/test_reproduce.py and
    tests/test_figure_layout.py share this one instead of running it each. As each figure is saved it is
    saved exactly as the step drew it and then laid out at both journal widths, its layout problems recorded
    (``layouts``), with whether it carries the synthetic-data mark (``marks``).
    Every test that uses it is in tests/test_reproduce.py, so that xdist (``--dist loadscope``) runs them on
    one worker.

    Returns ``(ctx, out, layouts, marks)``.
    """
    import warnings

    from retrostats import figures as F
    from retrostats.figures._base import _relayout, figure_width_inches
    from retrostats.report import reproduce

    out = tmp_path_factory.mktemp("reproduce_quick")
    layouts: dict[str, list[str]] = {}
    marks: dict[str, bool] = {}
    real = F.save_figure

    def spy(ax, stem, *args, **kwargs):
        # save first, exactly as the step asked: laying the figure out again (and drawing it to measure its
        # text) changes it, and the shared run's files must be byte-identical with a plain run's
        written = real(ax, stem, *args, **kwargs)
        fig = getattr(ax, "figure", ax)
        name = str(stem).replace("\\", "/").rsplit("/", 1)[-1]
        marks[name] = any(t.get_gid() == "synthetic-mark" for t in fig.texts)
        size = tuple(fig.get_size_inches())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # only the re-layout's own warnings; the run's are errors
            for width in PAPER_WIDTHS:
                other = _relayout(fig, figure_width_inches(width), size[1])
                layouts[f"{name}@{width}"] = F.layout_problems(other)
                if other is not fig:
                    import matplotlib.pyplot as plt

                    plt.close(other)
                fig.set_size_inches(*size)
        return written

    mp = pytest.MonkeyPatch()
    mp.setattr(F, "save_figure", spy)
    try:
        ctx = reproduce(out, quick=True, progress=False, jobs=1)  # in this process, so the spy sees every save
    finally:
        mp.undo()
    return ctx, out, layouts, marks


def assert_result_protocol(result, function: str) -> None:
    """The result protocol (CONTRIBUTING.md): ``summary()`` renders as text, HTML, Markdown and LaTeX,
    ``to_frame()`` is a non-empty DataFrame, ``provenance`` names the call that made it, and Jupyter shows
    the summary (``_repr_html_``)."""
    import html

    import pandas as pd

    from retrostats._display import Summary
    from retrostats.provenance import Provenance

    s = result.summary()
    assert isinstance(s, Summary)
    for text in (s.as_text(), s.as_html(), s.as_markdown(), s.as_latex()):
        assert isinstance(text, str) and s.title.split()[0] in text.replace("\\", "")
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) >= 1 and len(frame.columns) >= 1
    assert isinstance(result.provenance, Provenance)
    assert result.provenance.call.startswith(f"{function}("), result.provenance.call
    assert len(result.provenance.checksum) == 16
    shown = result._repr_html_()  # the summary as HTML, or a richer HTML table of the same result
    assert isinstance(shown, str) and html.escape(s.title.split()[0]) in shown


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """The session is over: let the process exit without a last full garbage collection.

    Python's shutdown collects cyclic garbage over every object the tests made (millions in an xdist worker:
    ~3 s, during which the run waits for the worker to exit); frozen, they are left to the operating system.
    """
    import gc

    gc.freeze()
