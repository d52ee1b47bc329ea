"""power_ttest: R pwr parity, statsmodels/pingouin cross-checks, round trips and bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import TOL, load_reference

import retrostats as rs
from retrostats.planning import PowerResult, power_ttest

ALT = {"two.sided": "two-sided", "less": "less", "greater": "greater"}


@pytest.fixture(scope="module")
def ref():
    return load_reference("pwr_ttest")


def _rows(block):
    keys = list(block)
    return [dict(zip(keys, vals)) for vals in zip(*(block[k] for k in keys))]


@pytest.mark.r_parity
def test_grid_complete(ref):
    alts = set(ALT)
    got = {(r["n"], abs(r["d"]), r["alpha"], r["alternative"], r["ratio"]) for r in _rows(ref["power"])}
    want = set(
        itertools.product(
            [4, 10.5, 20, 64, 150], [0.2, 0.5, 0.8, 1.3], [0.01, 0.05, 0.1], alts, [1, 0.5, 2, 3]
        )
    )
    assert got == want
    assert len(ref["n"]["d"]) == 3 * 2 * 2 * 3 * 3
    assert len(ref["d"]["n"]) == 3 * 2 * 2 * 3 * 3


@pytest.mark.r_parity
def test_power_matches_pwr(ref):
    rows = _rows(ref["power"])
    ours = [
        power_ttest(
            effect_size=r["d"],
            n=r["n"],
            alpha=r["alpha"],
            alternative=ALT[r["alternative"]],
            ratio=r["ratio"],
        ).power
        for r in rows
    ]
    np.testing.assert_allclose(ours, [r["power"] for r in rows], **TOL["closed_form"])


@pytest.mark.r_parity
def test_solved_n_matches_pwr(ref):
    rows = _rows(ref["n"])
    ours = np.array(
        [
            power_ttest(
                effect_size=r["d"],
                power=r["power"],
                alpha=r["alpha"],
                alternative=ALT[r["alternative"]],
                ratio=r["ratio"],
            ).n
            for r in rows
        ]
    )
    # the root of pwr's power function located tightly (uniroot tol 1e-13)
    np.testing.assert_allclose(ours, [r["n_tight"] for r in rows], **TOL["iterative"])
    # pwr.t.test's own answer is a uniroot root with its default tolerance, so it agrees to that tolerance
    pw = np.array([np.nan if r["n_pwr"] is None else r["n_pwr"] for r in rows])
    ok = ~np.isnan(pw)
    assert ok.sum() == 36
    assert np.max(np.abs(ours[ok] - pw[ok])) < ref["uniroot_default_tol"]


@pytest.mark.r_parity
def test_solved_d_matches_pwr(ref):
    rows = _rows(ref["d"])
    ours = np.array(
        [
            power_ttest(
                n=r["n"],
                power=r["power"],
                alpha=r["alpha"],
                alternative=ALT[r["alternative"]],
                ratio=r["ratio"],
            ).effect_size
            for r in rows
        ]
    )
    np.testing.assert_allclose(ours, [r["d_tight"] for r in rows], **TOL["iterative"])
    assert np.max(np.abs(ours - np.array([r["d_pwr"] for r in rows]))) < ref["uniroot_default_tol"]
    assert all((d < 0) == (r["alternative"] == "less") for d, r in zip(ours, rows))


@pytest.mark.parametrize("alternative", ["two-sided", "larger", "smaller"])
@pytest.mark.parametrize("ratio", [1.0, 2.0, 0.5])
def test_statsmodels_crosscheck(alternative, ratio):
    from statsmodels.stats.power import TTestIndPower

    ours_alt = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}[alternative]
    d = -0.45 if alternative == "smaller" else 0.45
    sm = TTestIndPower().power(effect_size=d, nobs1=37, alpha=0.05, ratio=ratio, alternative=alternative)
    ours = power_ttest(effect_size=d, n=37, alternative=ours_alt, ratio=ratio).power
    # statsmodels' noncentral t is scipy's too: agree to rounding error
    np.testing.assert_allclose(ours, sm, **TOL["closed_form"])


def test_pingouin_crosscheck():
    import pingouin as pg

    for alt in ("two-sided", "greater", "less"):
        d = -0.6 if alt == "less" else 0.6
        pgv = pg.power_ttest(d=d, n=25, alternative=alt, contrast="two-samples")
        np.testing.assert_allclose(
            power_ttest(effect_size=d, n=25, alternative=alt).power, pgv, **TOL["closed_form"]
        )
        pg2 = pg.power_ttest2n(nx=25, ny=40, d=d, alternative=alt)
        np.testing.assert_allclose(
            power_ttest(effect_size=d, n=25, ratio=40 / 25, alternative=alt).power, pg2, **TOL["closed_form"]
        )


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("ratio", [1.0, 1.5, 0.4])
def test_round_trips(alternative, ratio):
    d = -0.4 if alternative == "less" else 0.4
    p = power_ttest(effect_size=d, n=55.5, alternative=alternative, ratio=ratio).power
    back_n = power_ttest(effect_size=d, power=p, alternative=alternative, ratio=ratio)
    back_d = power_ttest(n=55.5, power=p, alternative=alternative, ratio=ratio)
    np.testing.assert_allclose(back_n.n, 55.5, **TOL["iterative"])
    np.testing.assert_allclose(back_d.effect_size, d, **TOL["iterative"])
    assert back_n.solved_for == "n" and back_d.solved_for == "effect_size"


def test_result_fields_and_namespace():
    res = rs.power_ttest(effect_size=0.5, power=0.8, ratio=2.0)
    assert isinstance(res, PowerResult)
    assert res.n2 == pytest.approx(2.0 * res.n, rel=1e-15)
    for f in ("effect_size", "n", "n2", "power", "alpha", "alternative", "ratio", "solved_for"):
        assert hasattr(res, f)
    assert res.n_total == res.n_per_arm + int(np.ceil(res.n2))
    assert "power" in res.sentence() and "two-sided" in res.sentence()
    assert res.to_frame().shape[0] == 1
    assert "Power" in res.summary().as_text()
    assert res.provenance is not None and "power_ttest" in res.provenance.call


def test_two_sided_uses_both_tails():
    # pwr convention: two-sided power includes the far tail, so at d = 0 it equals alpha exactly
    np.testing.assert_allclose(power_ttest(effect_size=0.0, n=20).power, 0.05, **TOL["closed_form"])
    # and the sign of d does not matter two-sided
    assert power_ttest(effect_size=-0.3, n=20).power == power_ttest(effect_size=0.3, n=20).power


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(effect_size=0.5), "exactly one of effect_size, n and power"),
        (dict(effect_size=0.5, n=20, power=0.8), "you gave all three"),
        (dict(n=20, power=0.04), "power must exceed alpha"),
        (dict(n=20, power=0.05), "power must exceed alpha"),
        (dict(effect_size=-0.5, power=0.8, alternative="greater"), "contradicts alternative='greater'"),
        (dict(effect_size=0.5, n=20, alternative="less"), "contradicts alternative='less'"),
        (dict(effect_size=0.5, n=20, alternative="two.sided"), "Did you mean 'two-sided'"),
        (dict(effect_size=0.5, n=20, alpha=1.5), "alpha must lie in"),
        (dict(effect_size=0.5, n=20, ratio=0), "ratio must lie in"),
        (dict(effect_size=0.0, power=0.8), "effect_size is 0"),
        (dict(effect_size=1e-9, power=0.99), "not reached"),
        (dict(effect_size=30.0, power=0.8), "smallest possible n"),
        (dict(n=1.5, effect_size=0.5), "n must be at least 2"),
    ],
)
def test_bad_input_messages(kwargs, match):
    with pytest.raises(ValueError, match=match):
        power_ttest(**kwargs)
