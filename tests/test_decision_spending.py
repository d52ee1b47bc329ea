"""Lan-DeMets monitoring boundaries: rpact parity, exact bivariate-normal checks, round trips, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TOL, load_reference
from scipy import optimize, stats

import retrostats as rs
from retrostats.decision import alpha_spending_boundaries
from retrostats.kernels.spending import boundaries, exit_probabilities, spend

REF = load_reference("tsa_spending")
CASES = REF["cases"]


def _upper(case):
    return np.array([np.inf if v in ("Inf", None) else float(v) for v in case["upper"]])


def _rpact_resolves(case) -> bool:
    """Cases where rpact's own accuracy supports a 1e-6 comparison (see tests/reference/README.md): looks at
    least 0.1 apart and every look spending at least 1e-6 of alpha (rpact's probability tolerance is
    absolute, at best 1e-10, so boundaries with tinier increments are only as precise as that allows)."""
    t = np.asarray(case["t"])
    inc = np.diff(np.concatenate([[0.0], spend(t, case["alpha"], case["spending"])]))
    return bool(np.all(np.diff(t) >= 0.1) and np.all(inc >= 1e-6))


def test_grid_is_complete():
    assert len(CASES) == 64
    assert {c["spending"] for c in CASES} == {"obf", "pocock"}
    assert {c["alpha"] for c in CASES} == {0.05, 0.01}
    assert sum(_rpact_resolves(c) for c in CASES) >= 36


@pytest.mark.parametrize("case", [c for c in CASES if _rpact_resolves(c)],
                         ids=lambda c: f"{c['spending']}-{c['alpha']}-{len(c['t'])}looks-{c['t'][0]}")
def test_boundaries_match_rpact(case):
    got = boundaries(case["t"], alpha=case["alpha"], spending=case["spending"])
    np.testing.assert_allclose(got["upper"], _upper(case), **TOL["boundary"])
    # rpact stores alphaSpent truncated to 8 decimals (0.05 becomes 0.04999999): within one unit of the 8th
    np.testing.assert_allclose(got["alpha_spent"], case["alpha_spent"], rtol=0, atol=1.0001e-8)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['spending']}-{c['alpha']}-{c['t']}")
def test_spending_round_trip(case):
    """Every case: the first-crossing probabilities at our boundaries equal the spent-alpha increments."""
    t = case["t"]
    got = boundaries(t, alpha=case["alpha"], spending=case["spending"])
    ex = exit_probabilities(t, got["upper"])
    inc = np.diff(np.concatenate([[0.0], got["alpha_spent"]]))
    np.testing.assert_allclose(ex["upper"] + ex["lower"], inc, rtol=1e-8, atol=1e-13)
    np.testing.assert_allclose(ex["upper"], ex["lower"], **TOL["closed_form"])
    # where rpact gives +Inf (its spent alpha underflows its tolerance) our first look is the exact quantile
    first = stats.norm.isf(got["alpha_spent"][0] / 2)
    assert got["upper"][0] == pytest.approx(first, rel=1e-10)


@pytest.mark.parametrize("t", [(0.33, 0.35), (0.6, 0.62), (0.2, 0.9)])
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_second_look_matches_exact_bivariate_normal(t, alpha):
    """Independent check for closely spaced looks (where rpact's grid is coarser): bivariate-normal CDF."""
    got = boundaries(t, alpha=alpha)
    c1 = got["upper"][0]
    r = np.sqrt(t[0] / t[1])
    mvn = stats.multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]], abseps=1e-13, releps=1e-13)
    target = got["alpha_spent"][1] - got["alpha_spent"][0]

    def inc(c2):
        return (1 - 2 * stats.norm.sf(c1)) - mvn.cdf([c1, c2], lower_limit=[-c1, -c2])

    exact = optimize.brentq(lambda c: inc(c) - target, 1.0, 8.0, xtol=1e-13)
    np.testing.assert_allclose(got["upper"][1], exact, **TOL["iterative"])


def test_futility_matches_exact_bivariate_normal():
    drift = stats.norm.isf(0.025) + stats.norm.isf(0.2)
    t = (0.4, 0.8)
    b = boundaries(t, alpha=0.05, beta=0.2, drift=drift)
    a1, a2, c1 = b["futility"][0], b["futility"][1], b["upper"][0]
    mu1, mu2 = drift * np.sqrt(t[0]), drift * np.sqrt(t[1])
    # look 1: P(|Z1| < a1) under the drift equals the beta spent at t1
    p1 = stats.norm.cdf(a1 - mu1) - stats.norm.cdf(-a1 - mu1)
    assert p1 == pytest.approx(b["beta_spent"][0], abs=1e-10)
    # look 2: P(a1 <= |Z1| < c1, |Z2| < a2) equals the increment
    r = np.sqrt(t[0] / t[1])
    mvn = stats.multivariate_normal(mean=[mu1, mu2], cov=[[1, r], [r, 1]], abseps=1e-13, releps=1e-13)
    p2 = (mvn.cdf([c1, a2], lower_limit=[a1, -a2]) + mvn.cdf([-a1, a2], lower_limit=[-c1, -a2]))
    assert p2 == pytest.approx(b["beta_spent"][1] - b["beta_spent"][0], abs=1e-9)
    assert 0 < a1 < a2 < b["upper"][1]


def test_spending_functions_closed_form():
    t = np.array([0.1, 0.5, 1.0])
    z = stats.norm.isf(0.05 / 4)
    np.testing.assert_allclose(spend(t, 0.05, "obf"), 4 * stats.norm.sf(z / np.sqrt(t)), **TOL["closed_form"])
    np.testing.assert_allclose(spend(t, 0.05, "pocock"), 0.05 * np.log(1 + (np.e - 1) * t), **TOL["closed_form"])
    np.testing.assert_allclose(spend(t, 0.2, "obf", kind="beta"), 2 * stats.norm.sf(stats.norm.isf(0.1) / np.sqrt(t)),
                               **TOL["closed_form"])
    assert spend([1.0], 0.05, "obf")[0] == pytest.approx(0.05, rel=1e-12)


def test_public_function_and_rpact_printed_values():
    out = alpha_spending_boundaries([0.2, 0.5, 0.9])
    assert list(out.columns) == ["information_fraction", "z_boundary_upper", "z_boundary_lower", "alpha_spent"]
    np.testing.assert_allclose(out["z_boundary_lower"], -out["z_boundary_upper"])
    fut = alpha_spending_boundaries([0.5, 1.0], beta=0.2, drift=2.8)
    assert {"futility_upper", "futility_lower", "beta_spent"} <= set(fut.columns)
    assert fut["beta_spent"].iloc[-1] == pytest.approx(0.2)


@pytest.mark.parametrize("t, match", [([0.5, 1.2], "must be <= 1; entry 1 is 1.2"),
                                      ([0.5, 0.5], "strictly increasing"), ([0.0, 0.5], "strictly increasing")])
def test_bad_fractions(t, match):
    with pytest.raises(rs.DataError, match=match):
        alpha_spending_boundaries(t)


def test_futility_needs_drift():
    with pytest.raises(ValueError, match="drift"):
        alpha_spending_boundaries([0.5, 1.0], beta=0.2)
