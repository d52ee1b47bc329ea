"""trial_sequential_analysis(): RIS and D2 by hand, the z-curve, boundaries, conclusions, bad input, figure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import TOL

import retrostats as rs
from retrostats.decision import diversity, required_information_size
from retrostats.kernels.spending import boundaries

Z975, Z80 = 1.959963984540054, 0.8416212335729143  # standard normal quantiles, typed in

TRIALS = pd.DataFrame({
    "study_id": ["lee2015", "kim2018", "park2020", "choi2022"],
    "yi": [0.9, 0.2, 1.4, 0.6], "vi": [0.16, 0.09, 0.25, 0.04], "n": [30, 50, 24, 120],
    "measure": "MD", "instrument": "NPRS", "favours": "positive favours retro",
})


def _close(actual, desired, kind):
    np.testing.assert_allclose(actual, desired, **TOL[kind])


def _dl_tau2(y, v):
    """DerSimonian-Laird tau² written out by hand."""
    w = [1 / x for x in v]
    mu = sum(wi * yi for wi, yi in zip(w, y)) / sum(w)
    q = sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y))
    c = sum(w) - sum(wi * wi for wi in w) / sum(w)
    return max(0.0, (q - (len(y) - 1)) / c)


def test_ris_by_hand():
    _close(required_information_size(0.5), 4 * (Z975 + Z80) ** 2 / 0.25, "closed_form")
    _close(required_information_size(-2.0, 3.0, alpha=0.05, beta=0.2, adjustment=0.4),
           4 * (Z975 + Z80) ** 2 * 9 / 4 / 0.6, "closed_form")


def test_d2_by_hand():
    y, v = TRIALS["yi"].tolist(), TRIALS["vi"].tolist()
    t2 = _dl_tau2(y, v)
    assert t2 > 0
    vf = 1 / sum(1 / x for x in v)
    vr = 1 / sum(1 / (x + t2) for x in v)
    tsa = rs.trial_sequential_analysis(TRIALS, sd=2.0)
    _close(tsa.d2, (vr - vf) / vr, "closed_form")
    assert diversity(v, 0.0) == 0.0
    _close(tsa.required_information_size, 4 * (Z975 + Z80) ** 2 * 4.0 / 1.0 / (1 - (vr - vf) / vr), "closed_form")
    _close(tsa.tau2, t2, "closed_form")


def test_defaults_are_stated_and_the_monitoring_contract():
    tsa = rs.trial_sequential_analysis(TRIALS, sd=2.0)
    assert tsa.delta == 1.0  # NPRS MCID from outcome_scales, positive because positive favours retro
    assert any("MCID of NPRS" in n for n in tsa.notes)
    mon = tsa.monitoring
    for col in ("study", "cumulative_n", "information_fraction", "z", "z_boundary_upper", "z_boundary_lower"):
        assert col in mon.columns
    np.testing.assert_array_equal(mon["cumulative_n"], np.cumsum(TRIALS["n"]))
    np.testing.assert_allclose(mon["information_fraction"],
                               np.minimum(np.cumsum(TRIALS["n"]) / tsa.required_information_size, 1.0))
    np.testing.assert_allclose(mon["z_boundary_lower"], -mon["z_boundary_upper"])
    # the boundaries are the kernel's at the observed fractions
    b = boundaries(mon["information_fraction"].to_numpy(), alpha=0.05)
    np.testing.assert_allclose(mon["z_boundary_upper"], b["upper"], **TOL["closed_form"])
    assert tsa.crossed == bool(np.any(np.abs(mon["z"]) >= mon["z_boundary_upper"]))
    assert "Trial sequential analysis" in tsa.summary().as_text()
    assert tsa.to_frame().equals(mon)


def test_z_curve_is_the_cumulative_dl_meta_analysis():
    tsa = rs.trial_sequential_analysis(TRIALS, sd=2.0)
    for j in range(2, 5):
        ma = rs.meta_analysis(yi=TRIALS["yi"][:j], vi=TRIALS["vi"][:j], method="DL")
        _close(tsa.monitoring["z"].iloc[j - 1], ma.statistic, "closed_form")
    _close(tsa.monitoring["z"].iloc[0], 0.9 / 0.4, "closed_form")
    final = tsa.meta_analysis()
    _close(final.estimate, tsa.estimate, "closed_form")
    c = tsa.monitoring["z_boundary_upper"].iloc[-1]
    _close(tsa.tsa_ci_low, tsa.estimate - c * tsa.se, "closed_form")


def test_hksj_z_has_the_same_p_value():
    from scipy import stats

    tsa = rs.trial_sequential_analysis(TRIALS, sd=2.0, test="knha", method="REML")
    ma = rs.meta_analysis(yi=TRIALS["yi"], vi=TRIALS["vi"], method="REML", test="knha")
    z = tsa.monitoring["z"].iloc[-1]
    _close(2 * stats.norm.sf(abs(z)), ma.p_value, "iterative")


def test_fractions_capped_and_looks_beyond_the_ris_share_the_final_boundary():
    big = TRIALS.assign(n=[400, 400, 400, 400])
    tsa = rs.trial_sequential_analysis(big, sd=1.0, heterogeneity="none")
    mon = tsa.monitoring
    assert mon["information_fraction"].max() == 1.0
    at_one = mon[mon["information_fraction"] == 1.0]
    assert len(at_one) >= 2 and at_one["z_boundary_upper"].nunique() == 1
    assert tsa.ris_reached and tsa.remaining_n == 0.0


def test_conclusions():
    strong = rs.trial_sequential_analysis(TRIALS.assign(n=[300, 300, 300, 300], vi=[0.02, 0.02, 0.02, 0.02],
                                                        yi=[0.8, 0.9, 1.0, 0.85]), sd=1.0)
    assert strong.crossed and "Firm evidence of benefit" in strong.conclusion
    weak = rs.trial_sequential_analysis(TRIALS.assign(yi=[0.1, -0.1, 0.05, 0.0]), sd=2.0, delta=0.5)
    assert not weak.crossed
    assert f"{weak.remaining_n:.0f} more participants" in weak.conclusion
    _close(weak.remaining_n, weak.required_information_size - 224, "closed_form")
    fut = rs.trial_sequential_analysis(TRIALS.assign(yi=[0.01, -0.01, 0.0, 0.0], n=[100, 100, 100, 100]),
                                       sd=1.0, delta=0.5, futility=True)
    assert fut.futility_reached and "Futility" in fut.conclusion
    assert (fut.monitoring["futility_upper"] <= fut.monitoring["z_boundary_upper"]).all()


def test_harm_is_named():
    harm = rs.trial_sequential_analysis(TRIALS.assign(yi=[-0.8, -0.9, -1.0, -0.85], vi=0.01, n=300), sd=1.0)
    assert harm.crossed and "Firm evidence of harm" in harm.conclusion


def test_smd_scale_and_n1_n2():
    d = TRIALS.drop(columns=["n", "instrument", "favours"]).assign(measure="SMD", n1=[15, 25, 12, 60],
                                                                     n2=[15, 25, 12, 60])
    tsa = rs.trial_sequential_analysis(d, delta=0.3)
    assert tsa.sd == 1.0 and tsa.total_n == 224
    assert any("n1 + n2" in n for n in tsa.notes)


@pytest.mark.parametrize("kwargs, match", [
    ({"delta": 0.0, "sd": 2.0}, "non-zero"),
    ({"delta": -1.0, "sd": 2.0}, "wrong sign"),
    ({"delta": 1.0}, "sd is needed"),
    ({"delta": 1.0, "sd": -1.0}, "sd must be > 0"),
])
def test_bad_delta_and_sd(kwargs, match):
    with pytest.raises(rs.DataError, match=match):
        rs.trial_sequential_analysis(TRIALS, **kwargs)


def test_missing_n_names_the_trial():
    with pytest.raises(rs.DataError, match="row 2 \\(study 'park2020'"):
        rs.trial_sequential_analysis(TRIALS.assign(n=[30, 50, np.nan, 120]), sd=2.0)
    with pytest.raises(rs.DataError, match="not positive"):
        rs.trial_sequential_analysis(TRIALS.assign(n=[30, 0, 24, 120]), sd=2.0)


def test_no_default_delta_without_instrument_or_direction():
    with pytest.raises(rs.DataError, match="delta is needed"):
        rs.trial_sequential_analysis(TRIALS.drop(columns=["instrument"]), sd=2.0)
    with pytest.raises(rs.DataError, match="direction of benefit is unknown"):
        rs.trial_sequential_analysis(TRIALS.drop(columns=["favours"]), sd=2.0)
    with pytest.raises(rs.DataError, match="no MCID"):
        rs.trial_sequential_analysis(TRIALS.assign(instrument="WOMAC_total"), sd=2.0)


def test_order_changes_the_curve_not_the_final_estimate():
    a = rs.trial_sequential_analysis(TRIALS, sd=2.0)
    b = rs.trial_sequential_analysis(TRIALS.iloc[::-1], sd=2.0)
    _close(a.estimate, b.estimate, "closed_form")
    _close(a.required_information_size, b.required_information_size, "closed_form")
    assert not math.isclose(a.monitoring["z"].iloc[0], b.monitoring["z"].iloc[0])


def test_figure_draws_the_result():
    import matplotlib.pyplot as plt

    tsa = rs.trial_sequential_analysis(TRIALS, sd=2.0, futility=True)
    ax = tsa.plot(favours=("retro", "control"))
    gids = {line.get_gid() for line in ax.lines}
    assert {"tsa:z", "tsa:boundary_upper", "tsa:boundary_lower", "tsa:ris", "tsa:conventional"} <= gids
    zline = next(line for line in ax.lines if line.get_gid() == "tsa:z")
    np.testing.assert_allclose(zline.get_xdata()[1:], tsa.monitoring["cumulative_n"])
    ris = next(line for line in ax.lines if line.get_gid() == "tsa:ris")
    assert ris.get_xdata()[0] == pytest.approx(tsa.required_information_size)
    from retrostats import figures as F

    assert F.layout_problems(ax.figure) == []
    plt.close(ax.figure)


def test_measure_meaning_is_read_from_the_registry():
    with pytest.raises(rs.DataError, match="mixes measures"):
        rs.trial_sequential_analysis(TRIALS.assign(measure=["MD", "SMD", "MD", "MD"]), sd=2.0)
    with pytest.raises(rs.DataError, match="continuous outcomes"):
        rs.trial_sequential_analysis(TRIALS.assign(measure="ROM"), delta=0.2, sd=1.0)
    with pytest.raises(rs.DataError, match="in instrument units but yi are SMDs"):
        rs.trial_sequential_analysis(TRIALS.assign(measure="SMD"))


def test_i2_adjustment_pocock_and_a_single_trial():
    i2 = rs.trial_sequential_analysis(TRIALS, sd=2.0, heterogeneity="I2")
    ma = rs.meta_analysis(yi=TRIALS["yi"], vi=TRIALS["vi"], method="DL")
    _close(i2.adjustment, ma.i2 / 100, "closed_form")
    _close(i2.required_information_size, required_information_size(1.0, 2.0, adjustment=ma.i2 / 100), "closed_form")
    poc = rs.trial_sequential_analysis(TRIALS, sd=2.0, boundary="pocock")
    b = boundaries(poc.monitoring["information_fraction"].to_numpy(), alpha=0.05, spending="pocock")
    _close(poc.monitoring["z_boundary_upper"], b["upper"], "closed_form")
    one = rs.trial_sequential_analysis(TRIALS.iloc[:1], sd=2.0)
    assert one.k == 1 and one.d2 == 0.0 and one.tau2 == 0.0
    _close(one.estimate, 0.9, "closed_form")


def test_direction_contradicting_the_orientation_is_an_error():
    with pytest.raises(rs.DataError, match="contradicts the data"):
        rs.trial_sequential_analysis(TRIALS, sd=2.0, delta=-1.0, direction="negative")
    unoriented = rs.trial_sequential_analysis(TRIALS.drop(columns="favours"), sd=2.0, delta=-1.0,
                                              direction="negative")
    assert unoriented.benefit_sign == -1.0
