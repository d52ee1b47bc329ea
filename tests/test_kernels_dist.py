"""kernels._dist gives what scipy.stats gives, bit for bit, on a grid that includes the boundaries, infinite,
zero, negative and NaN arguments, and on random interior values; and the common paths no longer import
scipy.stats (its import is most of a worker's start-up)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from retrostats.kernels import _dist as D

DFS = [0.5, 1.0, 2.5, 10.0, 30.0, 1e6, np.inf, 0.0, -1.0, np.nan]
QS = [0.0, 1e-300, 1e-10, 0.025, 0.3, 0.5, 0.975, 1 - 1e-12, 1.0, np.nan, -0.1, 1.1]
XS = [-np.inf, -40.0, -3.0, -0.1, 0.0, 0.1, 3.0, 40.0, np.inf, np.nan]


def _same(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(((a == b) | (np.isnan(a) & np.isnan(b))).all())


@pytest.mark.parametrize(
    "mine, ref, grid",
    [
        (D.t_ppf, stats.t.ppf, QS),
        (D.t_isf, stats.t.isf, QS),
        (D.chi2_isf, stats.chi2.isf, QS),
        (D.chi2_ppf, stats.chi2.ppf, QS),
        (D.t_sf, stats.t.sf, XS),
        (D.chi2_sf, stats.chi2.sf, XS),
    ],
    ids=["t.ppf", "t.isf", "chi2.isf", "chi2.ppf", "t.sf", "chi2.sf"],
)
def test_matches_scipy_stats_on_the_edges(mine, ref, grid):
    bad = [(v, df, ref(v, df), mine(v, df)) for v, df in itertools.product(grid, DFS) if not _same(mine(v, df), ref(v, df))]
    assert bad == []
    # arrays, broadcasting and the scalar type
    v, df = np.array(grid)[:, None], np.array(DFS)[None, :]
    assert _same(mine(v, df), ref(v, df))
    assert type(mine(grid[3], 10.0)) is type(ref(grid[3], 10.0))


def test_normal_quantile_and_random_interior_values():
    assert all(_same(D.norm_isf(q), stats.norm.isf(q)) for q in QS)
    rng = np.random.default_rng(20261130)
    q, df, x = rng.uniform(size=20_000), rng.uniform(0.2, 500.0, 20_000), rng.normal(0.0, 6.0, 20_000)
    assert _same(D.t_isf(q, df), stats.t.isf(q, df)) and _same(D.t_ppf(q, df), stats.t.ppf(q, df))
    assert _same(D.t_sf(x, df), stats.t.sf(x, df)) and _same(D.chi2_sf(x**2, df), stats.chi2.sf(x**2, df))
    assert _same(D.chi2_isf(q, df), stats.chi2.isf(q, df)) and _same(D.chi2_ppf(q, df), stats.chi2.ppf(q, df))


def test_a_meta_analysis_and_its_figure_do_not_import_scipy_stats():
    code = (
        "import sys, retrostats as rs\n"
        "from retrostats.figures import forest_plot\n"
        "res = rs.meta_analysis(yi=[0.1, 0.5, 0.3, 0.4], vi=[0.02, 0.03, 0.02, 0.05], method='REML', test='knha')\n"
        "res.heterogeneity_ci() if hasattr(res, 'heterogeneity_ci') else None\n"
        "forest_plot(res)\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
