"""Issue 12, numerics: scale-aware tau² convergence, metafor's variance-ratio warning, NaN influence rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TOL, load_reference

import retrostats as rs
from retrostats.exceptions import DataWarning
from retrostats.kernels.tau2 import TAU2


@pytest.fixture(scope="module")
def ref():
    return load_reference("trust_numerics")


@pytest.mark.parametrize("method", ["PM", "EB", "ML", "REML", "DL"])
def test_tiny_sampling_variances(ref, method):
    # regression: PM and EB returned tau2 = 1e-12 (the vi) when every vi = 1e-12
    y = np.array(ref["tiny_y"])
    res = rs.meta_analysis(yi=y, vi=np.full(len(y), 1e-12), method=method)
    np.testing.assert_allclose(res.tau2, ref["tiny"][method], **TOL["iterative"])


@pytest.mark.parametrize("method", ["ML", "REML", "PM"])
def test_rescaling_by_1e6_is_invariant(ref, method):
    # regression: an absolute stopping rule let ML/REML drift when the data were rescaled by 1e-6
    y, v = np.array(ref["tiny_y"]), np.array(ref["v"])
    unit = rs.meta_analysis(yi=y, vi=v, method=method)
    small = rs.meta_analysis(yi=y * 1e-6, vi=v * 1e-12, method=method)
    np.testing.assert_allclose(unit.tau2, ref["scaled"][method], **TOL["iterative"])
    np.testing.assert_allclose(small.tau2 * 1e12, ref["scaled"][method], **TOL["iterative"])
    np.testing.assert_allclose(small.coefficients["estimate"].to_numpy() * 1e6,
                               unit.coefficients["estimate"].to_numpy(), **TOL["iterative"])


@pytest.mark.parametrize("method", ["ML", "REML", "PM", "EB"])
@pytest.mark.parametrize("scale", [1e-8, 1e-4, 1e4])
def test_kernel_invariance_with_moderator(method, scale, rng):
    k = 10
    v = rng.uniform(0.01, 0.2, k)
    X = np.column_stack([np.ones(k), rng.normal(size=k)])
    y = X @ [0.3, 0.2] + rng.normal(0, np.sqrt(v + 0.05))
    t1, ok1 = TAU2[method](y, v, X, np.ones(k))
    t2, ok2 = TAU2[method](y * scale, v * scale**2, X, np.ones(k))
    assert bool(ok1) and bool(ok2)
    np.testing.assert_allclose(t2 / scale**2, t1, **TOL["iterative"])


def test_extreme_variance_ratio_warns_like_metafor():
    with pytest.warns(DataWarning, match=r"'b'.*1e\+07 times the smallest.*'a'"):
        rs.meta_analysis(yi=[0.1, 0.3, 0.2], vi=[1e-8, 0.1, 0.05], slab=["a", "b", "c"])


def test_ordinary_variance_ratio_is_quiet():
    rs.meta_analysis(yi=[0.1, 0.3, 0.2], vi=[1e-3, 0.1, 0.05], slab=["a", "b", "c"])


def test_influence_nan_row_where_refit_not_estimable(ref):
    # regression: LinAlgError; metafor returns NA for the study whose deletion leaves g constant
    d = pd.DataFrame(ref["data"])
    res = rs.meta_analysis(yi="yi", vi="vi", data=d, mods=["g"], method="REML")
    with pytest.warns(DataWarning, match=r"leaving out \['Study 6'\]"):
        inf = res.influence()
    r = ref["influence"]
    for col in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "q_del", "hat", "weight", "dfbs_g"):
        want = np.array([np.nan if x is None else x for x in r[col]], dtype=float)
        np.testing.assert_allclose(inf[col].to_numpy(float), want, equal_nan=True, **TOL["iterative"],
                                   err_msg=col)
    np.testing.assert_allclose(inf["dfbs_intercept"].to_numpy(float),
                               np.array([np.nan if x is None else x for x in r["dfbs_intrcpt"]], dtype=float),
                               equal_nan=True, **TOL["iterative"])
    assert inf["influential"].iloc[:5].tolist() == r["influential"][:5]
    assert pd.isna(inf["influential"].iloc[5])
