"""Property tests (hypothesis): swapping arms flips the sign, SMD is scale invariant, variances > 0."""

from __future__ import annotations

import numpy as np
from conftest import TOL
from hypothesis import given, settings
from hypothesis import strategies as st

import retrostats as rs

CF = TOL["closed_form"]
mean = st.floats(-100, 100, allow_nan=False)
sd = st.floats(0.01, 50, allow_nan=False)
size = st.integers(2, 500)
arm = st.tuples(mean, sd, size)


@settings(max_examples=60, deadline=None)
@given(a=arm, b=arm, measure=st.sampled_from(["MD", "SMD", "SMDH"]))
def test_swapping_arms_flips_sign_and_keeps_variance(a, b, measure):
    fwd = rs.effect_sizes(measure=measure, m1=[a[0]], sd1=[a[1]], n1=[a[2]], m2=[b[0]], sd2=[b[1]], n2=[b[2]])
    rev = rs.effect_sizes(measure=measure, m1=[b[0]], sd1=[b[1]], n1=[b[2]], m2=[a[0]], sd2=[a[1]], n2=[a[2]])
    np.testing.assert_allclose(rev["yi"], -fwd["yi"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rev["vi"], fwd["vi"], rtol=1e-12)
    assert (fwd["vi"] > 0).all()


@settings(max_examples=60, deadline=None)
@given(
    a=arm,
    b=arm,
    scale=st.floats(0.001, 1000),
    shift=st.floats(-100, 100),
    measure=st.sampled_from(["SMD", "SMDH"]),
)
def test_smd_invariant_to_linear_rescaling(a, b, scale, shift, measure):
    one = rs.effect_sizes(measure=measure, m1=[a[0]], sd1=[a[1]], n1=[a[2]], m2=[b[0]], sd2=[b[1]], n2=[b[2]])
    two = rs.effect_sizes(
        measure=measure,
        m1=[a[0] * scale + shift],
        sd1=[a[1] * scale],
        n1=[a[2]],
        m2=[b[0] * scale + shift],
        sd2=[b[1] * scale],
        n2=[b[2]],
    )
    np.testing.assert_allclose(two["yi"], one["yi"], rtol=1e-9, atol=1e-9)  # rounding of the shifted means
    np.testing.assert_allclose(two["vi"], one["vi"], rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    m1=mean,
    m2=mean,
    sd1=sd,
    sd2=sd,
    n=st.integers(3, 500),
    r=st.floats(-0.99, 0.99),
    measure=st.sampled_from(["MC", "SMCC", "SMCR"]),
)
def test_one_group_variances_positive_and_sign_flip(m1, m2, sd1, sd2, n, r, measure):
    kw = dict(measure=measure, n=[n], ri=[r])
    es = rs.effect_sizes(m1=[m1], m2=[m2], sd1=[sd1], sd2=[sd2], **kw)
    assert (es["vi"] > 0).all() and (es["ci_low"] <= es["ci_high"]).all()
    if measure != "SMCR":  # SMCR standardises by sd1, so swapping changes the standardiser
        sw = rs.effect_sizes(m1=[m2], m2=[m1], sd1=[sd2], sd2=[sd1], **kw)
        np.testing.assert_allclose(sw["yi"], -es["yi"], rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(a=st.tuples(mean, mean, sd, sd, size), b=st.tuples(mean, mean, sd, sd, size), r=st.floats(-0.95, 0.95))
def test_ancova_and_ppc2_flip_sign_on_swapping_arms(a, b, r):
    def run(x, y, measure):
        return rs.effect_sizes(
            measure=measure,
            m1_pre=[x[0]],
            m1=[x[1]],
            sd1_pre=[x[2]],
            sd1=[x[3]],
            n1=[x[4]],
            m2_pre=[y[0]],
            m2=[y[1]],
            sd2_pre=[y[2]],
            sd2=[y[3]],
            n2=[y[4]],
            ri=[r],
        )

    for measure in ("MD_ANCOVA", "SMD_PPC2"):
        f, s = run(a, b, measure), run(b, a, measure)
        np.testing.assert_allclose(s["yi"], -f["yi"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(s["vi"], f["vi"], rtol=1e-9)
        assert (f["vi"] > 0).all()
