"""The per-call path of one intercept-only fit (``kernels/rma_one.py``) equals the stacked kernels bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from retrostats.kernels import rma_one, tau2
from retrostats.kernels.rma import rma_fit
from retrostats.kernels.tau2 import TAU2, register_tau2, tau2_dl

METHODS = ["EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"]


def _problems():
    """Sizes on both sides of NumPy's pairwise-sum blocks, no / some / much heterogeneity, units from 1e-3 up."""
    for seed, k in enumerate((1, 2, 3, 7, 8, 9, 10, 17, 40, 129)):
        rng = np.random.default_rng(seed)
        v = rng.uniform(0.01, 0.2, k) * 10.0 ** rng.integers(-3, 2)
        for het in (0.0, 0.03, 0.5):
            yield rng.normal(0.3, np.sqrt(v + het * v.mean() * 10)), v


def _same(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
def test_single_fit_equals_the_stacked_fit(method, test):
    checked = 0
    for y, v in _problems():
        for fixed in (None, 0.02):
            one = rma_fit(y, v, method=method, test=test, tau2=fixed)  # the per-call path
            stack = rma_fit(y[None, :], v[None, :], method=method, test=test, tau2=fixed)  # a stack of one
            for key, value in one.items():
                got = np.asarray(stack[key])
                got = got if key in ("p", "qm_df1") else got[0]
                assert _same(value, got), (method, test, len(y), fixed, key, value, got)
            checked += 1
    assert checked == 60


def test_masked_or_moderated_fits_keep_the_stacked_path():
    rng = np.random.default_rng(1)
    v = rng.uniform(0.01, 0.2, 12)
    y = rng.normal(0.2, np.sqrt(v + 0.05))
    x = np.column_stack([np.ones(12), np.arange(12.0)])
    for kw in ({"mask": np.r_[np.ones(11), 0.0]}, {"X": x}, {"start": 0.01}, {"X": 2.0 * np.ones((12, 1))}):
        assert not rma_one_applies(y, v, **kw)
    assert rma_one_applies(y, v) and rma_one_applies(y, v, X=np.ones((12, 1)))


def rma_one_applies(y, v, X=None, mask=None, start=None) -> bool:
    from retrostats.kernels.rma import _one_intercept_only

    return _one_intercept_only(y, v, X, mask, None, start, None)


def test_a_replaced_estimator_is_used_not_the_built_in_path():
    y, v = np.array([0.1, 0.5, 0.9, 0.2]), np.array([0.01, 0.02, 0.03, 0.02])
    original = TAU2["REML"]
    try:
        register_tau2("REML", tau2_dl, "DerSimonian-Laird under the REML code", replace=True)
        assert rma_fit(y, v, method="REML")["tau2"] == rma_fit(y, v, method="DL")["tau2"]
    finally:
        register_tau2("REML", original, "restricted maximum likelihood", replace=True)
    assert rma_fit(y, v, method="REML")["tau2"] != rma_fit(y, v, method="DL")["tau2"]


def test_noise_floor_is_the_stacked_one():
    assert rma_one.NOISE_FLOOR == tau2.NOISE_FLOOR


def test_result_and_provenance_built_without_init_are_complete():
    import dataclasses

    import retrostats as rs
    from retrostats.provenance import Provenance

    res = rs.meta_analysis(yi=[0.1, 0.5, 0.9, 0.2], vi=[0.01, 0.02, 0.03, 0.02])
    names = [f.name for f in dataclasses.fields(res)]
    assert list(vars(res)) == names  # every field, in the declared order, as __init__ would set them
    again = dataclasses.replace(res)  # through __init__
    assert [getattr(again, n) is getattr(res, n) for n in names] == [True] * len(names)
    p = res.provenance
    assert p == Provenance(p.version, p.call, p.checksum) and list(vars(p)) == ["version", "call", "checksum"]
