"""Multiple imputation (Rubin's rules) against statsmodels MICE; the delta-adjusted tipping point."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import MCSE_MULTIPLIER, TOL

import retrostats as rs
from retrostats.ipd import ancova_mi, rubin, tipping_point


@pytest.fixture
def trial(rng) -> pd.DataFrame:
    n = 120
    arm = np.repeat(["retro", "control"], n // 2)
    base = rng.normal(50, 10, n)
    y = 10 + 0.6 * base - 5 * (arm == "retro") + rng.normal(0, 6, n)
    y[rng.random(n) < 0.3] = np.nan
    return pd.DataFrame({"value": y, "baseline": base, "arm": arm})


def test_rubin_rules_closed_form():
    est = np.array([[1.0, 2.0], [1.4, 2.2], [0.9, 1.9], [1.3, 2.1]])
    var = np.array([[0.10, 0.2], [0.12, 0.2], [0.11, 0.21], [0.09, 0.19]])
    r = rubin(est, var, 30)
    m = 4
    b = est.var(axis=0, ddof=1)
    t = var.mean(axis=0) + (1 + 1 / m) * b
    np.testing.assert_allclose(r["se"], np.sqrt(t), **TOL["closed_form"])
    lam = (1 + 1 / m) * b / t
    nu_obs = 31 / 33 * 30 * (1 - lam)
    nu = 1 / ((lam ** 2) / (m - 1) + 1 / nu_obs)
    np.testing.assert_allclose(r["df"], nu, **TOL["closed_form"])


def test_no_missing_reduces_to_ancova(trial):
    full = trial.dropna()
    mi = ancova_mi(full, outcome="value", baseline="baseline", arm="arm", n_imputations=5, seed=1)
    cc = rs.ancova(full, outcome="value", baseline="baseline", arm="arm")
    np.testing.assert_allclose(mi.contrasts["estimate"], cc.contrasts["estimate"], **TOL["closed_form"])
    np.testing.assert_allclose(mi.contrasts["se"], cc.contrasts["se"], **TOL["closed_form"])


def test_agrees_with_statsmodels_mice():
    """A simple case: two arms, baseline complete, 30% of outcomes missing completely at random.

    statsmodels' MICE imputes by predictive mean matching (k_pmm donors), we by the normal linear model, so
    the two agree statistically, not to rounding: PMM pulls imputations slightly towards the other arm. The
    exact parts (Rubin's rules, the degrees of freedom) are checked in closed form above.
    """
    import statsmodels.api as sm
    from statsmodels.imputation import mice

    rng = np.random.default_rng(20261122)
    n = 1000
    arm = np.repeat(["retro", "control"], n // 2)
    base = rng.normal(50, 10, n)
    y = 10 + 0.6 * base - 5 * (arm == "retro") + rng.normal(0, 6, n)
    y[rng.random(n) < 0.3] = np.nan
    trial = pd.DataFrame({"value": y, "baseline": base, "arm": arm})
    c = ancova_mi(trial, outcome="value", baseline="baseline", arm="arm", n_imputations=200, seed=2).contrasts
    dm = trial.assign(treat=(trial["arm"] == "retro").astype(float)).drop(columns="arm")
    np.random.seed(5)  # noqa: NPY002 - MICEData draws from NumPy's global generator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' own deprecation chatter, not ours
        res = mice.MICE("value ~ treat + baseline", sm.OLS, mice.MICEData(dm, k_pmm=1)).fit(
            n_burnin=1, n_imputations=20)
    est, se = c["estimate"].iloc[0], c["se"].iloc[0]
    # statistical agreement (different imputation methods): within half a standard error ...
    assert abs(est - res.params[1]) < 0.5 * se
    # ... and SEs within 20%: loose on purpose, as two different MI methods are compared (8 % apart here: each
    # pooled SE carries Monte-Carlo error from 20-200 imputations, and PMM's donor reuse shrinks the
    # between-imputation variance); the pooled SE itself is checked exactly against Rubin's rules in
    # test_rubin_rules_closed_form
    np.testing.assert_allclose(se, res.bse[1], rtol=0.2)  # loose: a peer MI method (statsmodels' PMM), see above
    # under MCAR with the analysis model as imputation model, MI and complete cases estimate the same thing
    cc = rs.ancova(trial.dropna(), outcome="value", baseline="baseline", arm="arm").contrasts
    # ... to within the Monte-Carlo error of the pooled estimate, sqrt(B / m)
    between = c["fmi"].iloc[0] * se ** 2 / (1 + 1 / 200)
    assert abs(est - cc["estimate"].iloc[0]) < MCSE_MULTIPLIER * np.sqrt(between / 200)


def test_mi_is_more_precise_than_complete_cases_is_not_required_but_estimate_close(trial):
    mi = ancova_mi(trial, outcome="value", baseline="baseline", arm="arm", n_imputations=100, seed=3)
    with pytest.warns(rs.DataWarning):
        cc = rs.ancova(trial, outcome="value", baseline="baseline", arm="arm")
    # under MCAR with the analysis model as imputation model, MI and complete cases estimate the same thing
    diff = mi.contrasts["estimate"].iloc[0] - cc.contrasts["estimate"].iloc[0]
    assert abs(diff) < cc.contrasts["se"].iloc[0]
    assert 0 < mi.contrasts["fmi"].iloc[0] < 1
    assert mi.n_missing == int(trial["value"].isna().sum())


def test_tipping_point_monotone(trial):
    tp = tipping_point(trial, outcome="value", baseline="baseline", arm="arm",
                       deltas=[0.0, 2.0, 4.0, 6.0, 8.0, 10.0], n_imputations=30, seed=4)
    assert np.all(np.diff(tp["estimate"]) > 0)  # shifting retro's imputed pain up erodes its benefit
    assert tp["significant"].iloc[0]
    first = tp.attrs["tipping_point"]
    assert np.isnan(first) or not tp.loc[tp["delta"] == first, "significant"].iloc[0]


def test_delta_shift_is_exact(trial):
    a = ancova_mi(trial, outcome="value", baseline="baseline", arm="arm", n_imputations=10, seed=9)
    b = ancova_mi(trial, outcome="value", baseline="baseline", arm="arm", n_imputations=10, seed=9, delta=3.0)
    n_miss_retro = trial.loc[trial["arm"] == "retro", "value"].isna().sum()
    n_retro = (trial["arm"] == "retro").sum()
    # shifting imputed retro outcomes by delta moves the adjusted difference by delta * share imputed
    # (exact here because arm and baseline are the only regressors and the shift is orthogonal to neither:
    # check the direction and a bound instead)
    diff = b.contrasts["estimate"].iloc[0] - a.contrasts["estimate"].iloc[0]
    assert 0 < diff <= 3.0 * n_miss_retro / n_retro * 1.5


def test_delta_arms_are_checked(trial):
    # regression: an unknown arm in delta_arms (or a bare string, iterated letter by letter) shifted nothing,
    # silently giving the MAR answer for a "sensitivity analysis"
    kw = dict(outcome="value", baseline="baseline", arm="arm", n_imputations=10, seed=9, delta=3.0)
    with pytest.raises(ValueError, match="delta_arms"):
        ancova_mi(trial, delta_arms=["Retro"], **kw)
    listed = ancova_mi(trial, delta_arms=["retro"], **kw).contrasts["estimate"]
    bare = ancova_mi(trial, delta_arms="retro", **kw).contrasts["estimate"]
    default = ancova_mi(trial, **kw).contrasts["estimate"]
    np.testing.assert_array_equal(bare, listed)
    np.testing.assert_array_equal(listed, default)
