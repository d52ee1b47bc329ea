"""power_mmrm with group-specific correlation, retention and SD, t quantiles and alpha solving, against
R longpower 1.0.27 and an independent R closed form (tests/reference/r/longpower_mmrm.R), plus a
simulation of the known-covariance GLS estimator."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import MCSE_MULTIPLIER, TOL, load_reference

from retrostats.planning import power_mmrm, visit_correlation

UN = np.array([[1, 0.6, 0.5, 0.4], [0.6, 1, 0.65, 0.55], [0.5, 0.65, 1, 0.7], [0.4, 0.55, 0.7, 1]])
MATS = {"cs25": visit_correlation(4, 0.25), "ar1_6": visit_correlation(4, 0.6, "ar1"), "un": UN}
RETS = {"lin70": [1, 0.9, 0.8, 0.7], "lp_a": [1, 0.76, 0.63, 0.52], "lp_b": [1, 0.87, 0.81, 0.78]}
ALT = {"two.sided": "two-sided", "greater": "greater"}


@pytest.fixture(scope="module")
def ref():
    return load_reference("longpower_mmrm")


def _rows(block):
    keys = [k for k in block if isinstance(block[k], list)]
    return [dict(zip(keys, vals)) for vals in zip(*(block[k] for k in keys))]


def _kw(r):
    kw = {"corr": MATS[r["Ra"]], "retention": RETS[r.get("ra", "lin70")], "alternative": ALT[r["alternative"]]}
    if r["Rb"] != "same":
        kw["corr2"] = MATS[r["Rb"]]
    if r["rb"] != "same":
        kw["retention2"] = RETS[r["rb"]]
    return kw


@pytest.mark.r_parity
def test_grid_complete(ref):
    got = {
        (r["Ra"], r["Rb"], r["ra"], r["rb"], r["lambda"], r["sigmab"], r["alternative"])
        for r in _rows(ref["longpower"])
    }
    want = itertools.product(
        ["cs25", "un"], ["same", "ar1_6"], ["lin70", "lp_a"], ["same", "lp_b"], [1, 2, 0.5], [None, 1.5], list(ALT)
    )
    assert got == set(want)
    assert len(ref["ar1"]["rho"]) == 3 * 2 * 2 * 2
    assert len(ref["separate"]["power"]) == 2 * 2 * 2 * 3 * 3 * 2 * 2 * 2


@pytest.mark.r_parity
def test_matches_longpower_every_unknown(ref):
    rows = _rows(ref["longpower"])
    n_alpha = 0
    for r in rows:
        kw = _kw(r)
        kw.update(ratio=1.0 / r["lambda"])
        if r["sigmab"] is not None:
            kw.update(sd_ratio=r["sigmab"], sd_combination="longpower")
        n = power_mmrm(effect_size=0.5, power=0.8, **kw).n
        np.testing.assert_allclose(n, r["n1"], **TOL["closed_form"])
        n150 = 150 / (1 + 1 / r["lambda"])  # longpower's N = n1 + n2 = 150
        np.testing.assert_allclose(power_mmrm(effect_size=0.5, n=n150, **kw).power, r["power"], **TOL["iterative"])
        np.testing.assert_allclose(power_mmrm(power=0.8, n=n150, **kw).effect_size, r["delta"], **TOL["iterative"])
        na = r["N_alpha"] / (1 + 1 / r["lambda"])
        a = power_mmrm(effect_size=0.5, n=na, power=0.8, alpha=None, **kw).alpha
        if r["sig.level"] is not None:
            n_alpha += 1
            np.testing.assert_allclose(a, r["sig.level"], **TOL["iterative"])
        # and the solved alpha gives the power back (one-sided: longpower cannot solve it)
        np.testing.assert_allclose(power_mmrm(effect_size=0.5, n=na, alpha=a, **kw).power, 0.8, **TOL["iterative"])
    assert n_alpha == len(rows) // 2


@pytest.mark.r_parity
def test_general_phi_matches_longpower_ar1_closed_form(ref):
    for r in _rows(ref["ar1"]):
        kw = {"r": r["rho"], "correlation": "ar1", "retention": RETS[r["ra"]]}
        if r["rb"] != "same":
            kw["retention2"] = RETS[r["rb"]]
        res = power_mmrm(effect_size=0.5, power=0.8, ratio=1 / r["lambda"], **kw)
        np.testing.assert_allclose(
            [res.parameters["phi1"], res.parameters["phi2"], res.n],
            [r["phi1"], r["phi2"], r["n1"]],
            **TOL["closed_form"],
        )


@pytest.mark.r_parity
def test_separate_sd_and_t_match_closed_form(ref):
    for r in _rows(ref["separate"]):
        kw = _kw({**r, "ra": "lin70"})
        kw.update(ratio=r["ratio"], sd_ratio=r["sd_ratio"], distribution=r["distribution"])
        p = power_mmrm(effect_size=0.5, n=r["n"], **kw).power
        np.testing.assert_allclose(p, r["power"], **TOL["closed_form"])
        n = power_mmrm(effect_size=0.5, power=0.8, **kw).n
        np.testing.assert_allclose(n, r["n_tight"], **TOL["iterative"])


def test_t_needs_more_than_normal_and_sd_ratio_one_is_longpower():
    kw = {"r": 0.5, "dropout": 0.2}
    zn = power_mmrm(effect_size=0.8, power=0.9, **kw).n
    tn = power_mmrm(effect_size=0.8, power=0.9, distribution="t", **kw).n
    assert zn < tn < zn + 3
    a = power_mmrm(effect_size=0.5, n=50, sd_ratio=1.0, **kw).power
    b = power_mmrm(effect_size=0.5, n=50, sd_ratio=1.0, sd_combination="longpower", **kw).power
    assert a == b


def test_simulated_gls_variance_matches_formula():
    """Known-covariance GLS under monotone dropout, two groups with their own correlation and SD: the
    variance of the last-visit difference is sigma1^2 phi1 / n1 + sigma2^2 phi2 / n2 (exact given the
    dropout pattern counts)."""
    rng = np.random.default_rng(20260118)
    J, n1, n2, sd2 = 4, 40, 60, 1.4
    groups = [(UN, np.array([40, 36, 32, 28]), 1.0, n1), (MATS["ar1_6"], np.array([60, 55, 50, 45]), sd2, n2)]
    reps = 4000
    est = []
    for R, counts, sd, _ in groups:
        S = sd**2 * R
        completers = -np.diff(np.append(counts, 0))  # subjects whose last visit is j
        info = np.zeros((J, J))
        score = np.zeros((reps, J))
        for j, m in enumerate(completers, start=1):  # J patterns
            Sj_inv = np.linalg.inv(S[:j, :j])
            y = rng.multivariate_normal(np.zeros(j), S[:j, :j], size=(reps, m))
            info[:j, :j] += m * Sj_inv
            score[:, :j] += y.sum(axis=1) @ Sj_inv
        est.append(np.linalg.solve(info, score.T)[J - 1])
    diff = est[0] - est[1]
    res = power_mmrm(
        effect_size=0.5,
        n=n1,
        ratio=n2 / n1,
        corr=UN,
        corr2=MATS["ar1_6"],
        retention=[1, 0.9, 0.8, 0.7],
        retention2=[1, 55 / 60, 50 / 60, 45 / 60],
        sd_ratio=sd2,
    )
    want = res.parameters["phi1"] / n1 + sd2**2 * res.parameters["phi2"] / n2
    var = diff.var(ddof=1)
    mcse = var * np.sqrt(2.0 / (reps - 1))
    assert abs(var - want) < MCSE_MULTIPLIER * mcse


@pytest.mark.parametrize(
    "kw",
    [
        {"corr": np.array([[1, 0.5], [0.4, 1]])},
        {"corr": np.array([[1, 1.2], [1.2, 1]])},
        {"r": 0.3, "corr2": np.eye(3)},
        {"r": 0.3, "sd_ratio": 0},
        {"r": 0.3, "distribution": "z"},
        {"r": 0.3, "sd_combination": "pooled"},
    ],
)
def test_bad_input(kw):
    with pytest.raises(ValueError):
        power_mmrm(effect_size=0.5, power=0.8, **kw)
