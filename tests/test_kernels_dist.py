"""kernels._dist gives what scipy.stats gives, bit for bit, on a grid that includes the boundaries, infinite,
zero, negative and NaN arguments, and on random interior values; and the common paths no longer import
scipy.stats (its import is most of a worker's start-up)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
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
        (D.t_cdf, stats.t.cdf, XS),
        (D.chi2_sf, stats.chi2.sf, XS),
    ],
    ids=["t.ppf", "t.isf", "chi2.isf", "chi2.ppf", "t.sf", "t.cdf", "chi2.sf"],
)
def test_matches_scipy_stats_on_the_edges(mine, ref, grid):
    pairs = itertools.product(grid, DFS)
    bad = [(v, df, ref(v, df), mine(v, df)) for v, df in pairs if not _same(mine(v, df), ref(v, df))]
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
    assert _same(D.t_sf(x, df), stats.t.sf(x, df)) and _same(D.t_cdf(x, df), stats.t.cdf(x, df))
    assert _same(D.chi2_sf(x**2, df), stats.chi2.sf(x**2, df))
    assert _same(D.chi2_isf(q, df), stats.chi2.isf(q, df)) and _same(D.chi2_ppf(q, df), stats.chi2.ppf(q, df))


def test_the_common_paths_do_not_touch_scipy_stats(monkeypatch):
    """A meta-analysis with its heterogeneity CIs and subgroups, effect sizes, power, the ANCOVA of a trial and
    their figures never look scipy.stats up, and no module imports it eagerly: a process doing only these never
    imports it (a worker of ``retrostats reproduce`` starts ~1 s sooner)."""
    import re
    from pathlib import Path

    import retrostats as rs
    from retrostats.figures import forest_plot
    from retrostats.kernels import _lazy_stats

    looked_up = []
    monkeypatch.setattr(_lazy_stats._LazyStats, "__getattr__", lambda self, name: looked_up.append(name))
    res = rs.meta_analysis(yi=[0.1, 0.5, 0.3, 0.4, 0.2], vi=[0.02, 0.03, 0.02, 0.05, 0.04], method="REML",
                           test="knha", subgroup=["a", "a", "b", "b", "b"])
    res.heterogeneity_ci()
    rs.power_ttest(0.5, power=0.8)
    rs.power_ancova(0.5, power=0.8, r=0.5)
    rng = np.random.default_rng(7)
    base = rng.normal(5.0, 1.0, 40)
    trial = pd.DataFrame({"arm": ["retro", "forward"] * 20, "pain0": base,
                          "pain": 0.6 * base + rng.normal(0.0, 1.0, 40)})
    rs.ancova(trial, outcome="pain", baseline="pain0", arm="arm", reference="forward")
    forest_plot(res)
    assert looked_up == []
    root = Path(rs.__file__).parent
    pattern = re.compile(r"^\s*(from scipy import .*\bstats\b|import scipy\.stats|from scipy\.stats import)", re.M)
    eager = [str(p.relative_to(root)) for p in root.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    eager.remove("kernels/_lazy_stats.py")
    assert eager == []
