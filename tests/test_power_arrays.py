"""Array arguments of ``power_ttest`` / ``power_ancova`` / ``power_change_score``: a grid solved in one pass,
each point equal to the scalar call."""

from __future__ import annotations

import numpy as np
import pytest

from retrostats.kernels.power import solve_increasing_vec
from retrostats.planning import power_ancova, power_change_score, power_ttest


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_ttest_grid_equals_scalar_calls(alternative):
    sign = -1.0 if alternative == "less" else 1.0
    d = sign * np.array([0.2, 0.35, 0.5, 0.8, 1.3])
    ratio = np.array([[1.0], [2.0]])
    grid = power_ttest(effect_size=d, power=0.8, ratio=ratio, alternative=alternative)
    assert grid.is_grid and grid.n.shape == (2, 5) and grid.power.shape == (2, 5)
    for i in range(2):
        for j in range(5):
            one = power_ttest(effect_size=d[j], power=0.8, ratio=ratio[i, 0], alternative=alternative)
            # same steps on the same values: equal, not merely close
            assert grid.n[i, j] == one.n and grid.n2[i, j] == one.n2
    es = power_ttest(n=np.array([20.0, 64.0, 150.0]), power=0.9, alternative=alternative)
    for j, n in enumerate([20.0, 64.0, 150.0]):
        assert es.effect_size[j] == power_ttest(n=n, power=0.9, alternative=alternative).effect_size
    pw = power_ttest(effect_size=d[:, None], n=np.array([10.0, 50.0]), alternative=alternative)
    assert pw.power[3, 1] == power_ttest(effect_size=d[3], n=50.0, alternative=alternative).power


def test_grid_frame_and_rounding():
    grid = power_ttest(effect_size=[0.3, 0.5, 0.8], power=0.8)
    assert grid.n_per_arm.tolist() == [176, 64, 26]
    frame = grid.to_frame()
    assert len(frame) == 3 and frame["n_per_arm"].tolist() == [176, 64, 26]
    assert "3 calculations" in grid.summary().as_text()
    with pytest.raises(ValueError, match="grid"):
        grid.sentence()


def test_grid_errors_name_the_point():
    with pytest.raises(ValueError, match=r"grid point \(1,\)"):
        power_ttest(effect_size=[0.5, 0.5], power=[0.8, 0.01])
    with pytest.raises(ValueError, match=r"effect_size is 0.*grid point \(0,\)"):
        power_ttest(effect_size=[0.0, 0.5], power=0.8)
    with pytest.raises(ValueError, match=r"not reached.*grid point \(1,\)"):
        power_ttest(effect_size=[0.5, 1e-9], power=0.99)
    with pytest.raises(ValueError, match="smallest possible n"):
        power_ttest(effect_size=[0.5, 30.0], power=0.8)
    with pytest.raises(ValueError, match="exactly one"):
        power_ttest(effect_size=[0.5], n=[10.0], power=[0.8])
    with pytest.raises(ValueError, match="r must lie"):
        power_ancova(effect_size=0.5, power=0.8, r=[0.2, 1.0])


@pytest.mark.parametrize("method", ["exact", "borm"])
def test_ancova_grid_equals_scalar_calls(method):
    d = np.array([0.3, 0.6])
    r = np.array([[0.0], [0.5]])
    grid = power_ancova(effect_size=d, power=0.8, r=r, method=method, dropout=0.1)
    for i in range(2):
        for j in range(2):
            one = power_ancova(effect_size=d[j], power=0.8, r=float(r[i, 0]), method=method, dropout=0.1)
            assert grid.n[i, j] == one.n
    assert grid.n_recruit_per_arm.shape == (2, 2)
    cs = power_change_score(effect_size=0.5, n=[30.0, 50.0], r=0.5)
    assert cs.power[1] == power_change_score(effect_size=0.5, n=50.0, r=0.5).power


def test_vector_solver_matches_scalar_path():
    target = np.array([4.0, 9.0, 2.0, 50.0])
    x0 = np.array([1.0, 5.0, 1.9, 100.0])
    grid = solve_increasing_vec(lambda x, sel: x**3 - x, target, 0.0, 1e3, x0=x0)
    for i in range(4):
        one = solve_increasing_vec(lambda x, sel: x**3 - x, target[i : i + 1], 0.0, 1e3, x0=x0[i : i + 1])
        assert grid[i] == one[0]
    np.testing.assert_allclose(grid**3 - grid, target, rtol=1e-12)
    assert np.isnan(solve_increasing_vec(lambda x, sel: x, np.array([5.0, 2.0]), 0.0, 3.0))[0]


def test_analytic_grid_on_dask_equals_local(monkeypatch):
    distributed = pytest.importorskip("distributed")
    from retrostats.planning import grid as grid_module
    from retrostats.planning import power_grid

    monkeypatch.setattr(grid_module, "DASK_CHUNK", 7)  # several blocks
    kw = dict(n_per_arm=[20, 30, 45], effect=[0.3, 0.6], r=[0.2, 0.5], dropout=[0.0, 0.1])
    with (
        distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0") as cl,
        distributed.Client(cl) as client,
    ):
        on_dask = power_grid(**kw, client=client)
    np.testing.assert_array_equal(on_dask.power.to_numpy(), power_grid(**kw).power.to_numpy())


def test_dask_blocks_give_every_worker_two():
    from retrostats.planning.grid import DASK_CHUNK, _block_size

    class TwoWorkers:
        def nthreads(self):
            return {"tcp://a": 1, "tcp://b": 1}

    assert _block_size(TwoWorkers(), 1000) == 250
    assert _block_size(TwoWorkers(), 3) == 1
    assert _block_size(TwoWorkers(), 10**7) == DASK_CHUNK
    assert _block_size(object(), 10) == 5  # no nthreads(): one worker
