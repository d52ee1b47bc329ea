"""Expected power over a quadrature with provably negligible nodes skipped (kernels/power_expect.py): the same
doubles as the plain quadrature over every node, with far fewer noncentral-t tails evaluated."""

from __future__ import annotations

import numpy as np
import pytest

import retrostats.kernels.power_expect as pe
from retrostats.kernels.power import ancova_power, hermite_normal, t_power, two_sample_ncp
from retrostats.kernels.power_expect import expected_power
from retrostats.planning._assure import assurance_at, expect, success_power
from retrostats.planning.evidence import Predictive, predictive


def _plain(theta, wn, n1, n2, alpha, r=None, df=None):
    """The computation without skipping: every Hermite node, every Jacobi node."""
    out = []
    for k, (a, b) in enumerate(zip(n1, n2)):
        if r is None:
            dfk = a + b - 2.0 if df is None else df[k]
            p = t_power(two_sample_ncp(theta, a, b), dfk, alpha, "greater")
        else:
            p = ancova_power(theta, r, a, b, alpha, "greater")
        out.append(float(p @ wn))
    return np.array(out)


SIZES = np.array([2.0, 33.0, 800.0])  # the smallest trial, a typical one, a large one; N = 2,000 at most: beyond
# ~2,050 scipy.special.roots_jacobi overflows (a known limit of ancova_power, not of the skipping)


@pytest.mark.parametrize("r", [None, 0.0, 0.5, -0.6, 0.95])
@pytest.mark.parametrize("mean, sd", [(0.43, 0.2193917864776012), (-0.4, 0.15), (0.05, 1.2), (2.5, 0.05),
                                      (-1.5, 0.3), (0.0, 0.5)])
def test_equals_the_plain_quadrature_bit_for_bit(mean, sd, r):
    z, wn = hermite_normal(80)
    for direction in (1.0, -1.0):  # the unfavourable direction makes the result tiny: the bounds work hardest
        theta = direction * (mean + sd * z)
        alpha = 0.025 if direction > 0 else 0.005
        got = expected_power(theta, wn, SIZES, 1.5 * SIZES, alpha, r=r)
        assert np.array_equal(got, _plain(theta, wn, SIZES, 1.5 * SIZES, alpha, r=r))


def test_other_quadratures_and_a_given_df():
    rng = np.random.default_rng(20261122)
    for _ in range(20):
        h = int(rng.integers(1, 40))
        theta = rng.normal(0.3, 1.0, h)
        wn = rng.dirichlet(np.full(h, 0.3))  # uneven weights, some far below the last bit of the result
        wn = np.where(wn > 0, wn, 1e-300)
        n = rng.uniform(2.5, 400.0, 4)
        df = n * (1.0 + 0.7) - 2.0  # as a caller computes it, not n1 + n2 - 2
        got = expected_power(theta, wn, n, 0.7 * n, 0.025, df=df)
        assert np.array_equal(got, _plain(theta, wn, n, 0.7 * n, 0.025, df=df))
        r = float(rng.uniform(-0.9, 0.9))
        assert np.array_equal(expected_power(theta, wn, n, n, 0.025, r=r), _plain(theta, wn, n, n, 0.025, r=r))


def test_a_weight_of_zero_evaluates_every_node():
    z, wn = hermite_normal(20)
    wn = wn.copy()
    wn[0] = 0.0
    theta = 0.5 + 0.3 * z
    n = np.array([20.0, 80.0])
    assert np.array_equal(expected_power(theta, wn, n, n, 0.025, r=0.3), _plain(theta, wn, n, n, 0.025, r=0.3))


def test_skips_most_tails_for_the_report_planning_curve(monkeypatch):
    calls = []

    def counting(q, df, ncp):
        calls.append(np.broadcast(q, df, ncp).size)
        return upper(q, df, ncp)

    upper = pe._upper
    monkeypatch.setattr(pe, "_upper", counting)
    z, wn = hermite_normal(80)
    n = np.arange(10.0, 301.0, 10.0)
    expected_power(0.43 + 0.2193917864776012 * z, wn, n, n, 0.025, r=0.5)
    assert sum(calls) < 0.4 * n.size * 80 * 64  # ~30 % of the 153,600 tails of the plain quadrature


def test_hermite_normal_integrates_normal_moments_and_is_shared_read_only():
    z, w = hermite_normal(80)
    assert w.sum() == pytest.approx(1.0, abs=1e-15) and z @ w == pytest.approx(0.0, abs=1e-14)
    assert (z**4) @ w == pytest.approx(3.0, rel=1e-12)
    assert hermite_normal(80)[0] is z
    with pytest.raises(ValueError):
        w[0] = 1.0


@pytest.mark.parametrize("design, r", [("ttest", None), ("ancova", 0.5)])
def test_assurance_at_equals_the_plain_expectation(design, r):
    sizes = [2.0, 12.5, 66.0, 300.0]
    kw = dict(alpha=0.05, design=design, r=r, ratio=1.3)
    preds = [
        predictive(mean=0.43, sd=0.2193917864776012),
        predictive(mean=-0.3, sd=0.0),  # no uncertainty: power at the mean
        Predictive(mean=0.2, sd=0.3, draws=np.linspace(-0.4, 0.9, 201), source="draws"),
    ]
    for pred in preds:
        for sgn in (1.0, -1.0):
            got = assurance_at(pred, sizes, direction=sgn, **kw)
            ref = [expect(pred, lambda th, n=n, s=sgn: success_power(th, n, direction=s, **kw)) for n in sizes]
            assert got.tolist() == ref
