"""power_ttest(type=, n2=, alpha=None): one-sample / paired designs, fixed n2 and solving for alpha,
against R pwr (tests/reference/r/pwr_ttest_designs.R), with round trips and bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import TOL, load_reference

from retrostats.planning import power_ttest

ALT = {"two.sided": "two-sided", "less": "less", "greater": "greater"}
TYPE = {"one.sample": "one-sample", "paired": "paired", "two.sample": "two-sample"}


@pytest.fixture(scope="module")
def ref():
    return load_reference("pwr_ttest_designs")


def _rows(block):
    keys = list(block)
    return [dict(zip(keys, vals)) for vals in zip(*(block[k] for k in keys))]


@pytest.mark.r_parity
def test_grid_complete(ref):
    alts, types = set(ALT), {"one.sample", "paired"}
    got = {(r["n"], abs(r["d"]), r["alpha"], r["alternative"], r["type"]) for r in _rows(ref["power"])}
    assert got == set(itertools.product([3, 10.5, 25, 80], [0.2, 0.5, 1.1], [0.01, 0.05, 0.1], alts, types))
    got = {(abs(r["d"]), r["power"], r["alpha"], r["alternative"], r["type"]) for r in _rows(ref["n"])}
    assert got == set(itertools.product([0.3, 0.6, 1], [0.8, 0.9], [0.01, 0.05], alts, types))
    got = {(r["n"], r["power"], r["alpha"], r["alternative"], r["type"]) for r in _rows(ref["d"])}
    assert got == set(itertools.product([8, 30, 100], [0.8, 0.9], [0.01, 0.05], alts, types))
    got = {(r["n"], abs(r["d"]), r["power"], r["alternative"], r["design"]) for r in _rows(ref["alpha"])}
    designs = {"two.sample", "one.sample", "paired", "t2n"}
    assert got == set(itertools.product([10, 30, 80], [0.3, 0.6], [0.5, 0.8], alts, designs))
    got = {(r["n2"], abs(r["d"]), r["power"], r["alpha"], r["alternative"]) for r in _rows(ref["n1"])}
    assert got == set(itertools.product([20, 60, 200], [0.4, 0.8], [0.8, 0.9], [0.01, 0.05], alts))


@pytest.mark.r_parity
def test_one_sample_paired_power_matches_pwr(ref):
    rows = _rows(ref["power"])
    ours = [
        power_ttest(
            effect_size=r["d"], n=r["n"], alpha=r["alpha"], alternative=ALT[r["alternative"]], type=TYPE[r["type"]]
        ).power
        for r in rows
    ]
    np.testing.assert_allclose(ours, [r["power"] for r in rows], **TOL["closed_form"])


@pytest.mark.r_parity
def test_one_sample_paired_n_and_d_match_pwr(ref):
    rows = _rows(ref["n"])
    ours = [
        power_ttest(
            effect_size=r["d"],
            power=r["power"],
            alpha=r["alpha"],
            alternative=ALT[r["alternative"]],
            type=TYPE[r["type"]],
        ).n
        for r in rows
    ]
    np.testing.assert_allclose(ours, [r["n_tight"] for r in rows], **TOL["iterative"])
    # pwr's own answer stops at uniroot's default tolerance
    np.testing.assert_allclose(ours, [r["n_pwr"] for r in rows], rtol=0, atol=10 * ref["uniroot_default_tol"])
    rows = _rows(ref["d"])
    ours = [
        power_ttest(
            n=r["n"], power=r["power"], alpha=r["alpha"], alternative=ALT[r["alternative"]], type=TYPE[r["type"]]
        ).effect_size
        for r in rows
    ]
    np.testing.assert_allclose(ours, [r["d_tight"] for r in rows], **TOL["iterative"])


@pytest.mark.r_parity
def test_alpha_matches_pwr(ref):
    rows = _rows(ref["alpha"])
    ours = []
    for r in rows:
        kw = {"n2": 2 * r["n"]} if r["design"] == "t2n" else {"type": TYPE[r["design"]]}
        res = power_ttest(
            effect_size=r["d"], n=r["n"], power=r["power"], alpha=None, alternative=ALT[r["alternative"]], **kw
        )
        assert res.solved_for == "alpha"
        ours.append(res.alpha)
    np.testing.assert_allclose(ours, [r["alpha_tight"] for r in rows], **TOL["iterative"])


@pytest.mark.r_parity
def test_n1_given_n2_matches_pwr_t2n(ref):
    rows = _rows(ref["n1"])
    reachable = [r for r in rows if r["n1_tight"] is not None]
    assert 0 < len(reachable) < len(rows)  # both kinds are exercised
    ours = [
        power_ttest(
            effect_size=r["d"], power=r["power"], alpha=r["alpha"], alternative=ALT[r["alternative"]], n2=r["n2"]
        )
        for r in reachable
    ]
    np.testing.assert_allclose([o.n for o in ours], [r["n1_tight"] for r in reachable], **TOL["iterative"])
    assert all(o.n2 == r["n2"] and math.isclose(o.ratio, r["n2"] / o.n) for o, r in zip(ours, reachable))
    for r in rows:
        if r["n1_tight"] is None:  # pwr.t2n.test fails too: no n1 reaches the power with this n2
            assert r["n1_pwr"] is None
            with pytest.raises(ValueError, match="not reached"):
                power_ttest(
                    effect_size=r["d"],
                    power=r["power"],
                    alpha=r["alpha"],
                    alternative=ALT[r["alternative"]],
                    n2=r["n2"],
                )


@pytest.mark.parametrize("kw", [{"type": "one-sample"}, {"type": "paired"}, {"n2": 37.5}, {"ratio": 1.5}, {}])
@pytest.mark.parametrize("alternative,d", [("two-sided", 0.45), ("greater", 0.7), ("less", -0.3)])
def test_round_trip_every_unknown(kw, alternative, d):
    n, alpha = 23.0, 0.04
    p = power_ttest(effect_size=d, n=n, alpha=alpha, alternative=alternative, **kw).power
    tol = TOL["iterative"]
    back = power_ttest(n=n, power=p, alpha=alpha, alternative=alternative, **kw).effect_size
    np.testing.assert_allclose(back, d, **tol)
    np.testing.assert_allclose(
        power_ttest(effect_size=d, power=p, alpha=alpha, alternative=alternative, **kw).n, n, **tol
    )
    np.testing.assert_allclose(
        power_ttest(effect_size=d, n=n, power=p, alpha=None, alternative=alternative, **kw).alpha, alpha, **tol
    )


def test_paired_is_one_sample_and_n2_is_ratio():
    a = power_ttest(effect_size=0.4, power=0.85, type="paired")
    b = power_ttest(effect_size=0.4, power=0.85, type="one-sample")
    assert a.n == b.n and a.n2 == 0.0 and a.design == "paired t-test" and b.design == "one-sample t-test"
    assert "pairs analysed" in a.sentence() and "group 2" not in a.sentence()
    np.testing.assert_allclose(
        power_ttest(effect_size=0.5, n=30, n2=60).power,
        power_ttest(effect_size=0.5, n=30, ratio=2).power,
        **TOL["closed_form"],
    )
    # a paired design needs far fewer units than two independent groups of the same standardised effect
    assert a.n < power_ttest(effect_size=0.4, power=0.85).n / 1.5


def test_alpha_solve_default_alpha_unchanged():
    res = power_ttest(effect_size=0.5, n=64)
    assert res.alpha == 0.05 and res.solved_for == "power"


@pytest.mark.parametrize(
    "kw",
    [
        {"effect_size": 0.5, "power": 0.8, "type": "one-sample", "ratio": 2},
        {"effect_size": 0.5, "power": 0.8, "type": "paired", "n2": 20},
        {"effect_size": 0.5, "power": 0.8, "ratio": 2, "n2": 20},
        {"effect_size": 0.5, "power": 0.8, "n2": 1},
        {"effect_size": 0.5, "power": 0.8, "type": "welch"},
        {"effect_size": 0.5, "n": 20, "alpha": None},
        {"effect_size": [0.3, 0.5], "power": 0.8, "type": "paired"},
        {"effect_size": 0.5, "power": 0.8, "n2": [20, 40]},
        {"effect_size": 3.0, "n": 80, "power": 0.5, "alpha": None, "type": "paired"},
        {"effect_size": 0.5, "n": 1.5, "power": 0.5, "alpha": None, "type": "paired"},
    ],
)
def test_bad_input(kw):
    with pytest.raises(ValueError):
        power_ttest(**kw)


@pytest.mark.parametrize("kw", [{"type": "paired", "n": None}, {"n2": 50.0, "n": None}, {"alpha": None}])
def test_to_script_replays(kw):
    args = {"effect_size": 0.5, "n": 40.0, "power": 0.8, **kw}
    res = power_ttest(**args)
    ns: dict = {}
    exec(res.to_script(), ns)
    again = ns["res"]
    assert again.solved_for == res.solved_for
    np.testing.assert_allclose([again.n, again.alpha, again.n2], [res.n, res.alpha, res.n2], **TOL["closed_form"])
