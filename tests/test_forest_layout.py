"""ForestLayout and binary (ratio) forests: the layout object drawn by forest_plot, field overrides that survive
a re-layout, and ratio axes / favours labels for binary and other log-scale measures, checked on the figure."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats import figures as F
from retrostats.figures._forest_draw import ratio_ticks
from tests.conftest import TOL

EV = dict(events1=[4, 6, 3, 10], n1=[20, 20, 20, 30], events2=[9, 10, 4, 15], n2=[21, 20, 20, 30])
Z95 = 1.959963984540054


def _gid(ax, gid, kind="collections"):
    found = [a for a in getattr(ax, kind) if a.get_gid() == gid]
    assert len(found) == 1, f"expected one artist {gid!r}, found {len(found)}"
    return found[0]


def _favours(ax):
    return {t.get_text(): t for t in ax.texts if "favours" in t.get_text()}


def _ticklabels(ax):
    ax.figure.canvas.draw()
    return [t.get_text() for t in ax.get_xticklabels()]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


@pytest.fixture(scope="module")
def rr():
    return rs.meta_analysis(rs.effect_sizes(measure="RR", **EV))


# ------------------------------------------------------------------------------------------ ratio axes
def test_risk_ratio_forest_draws_ratios_on_a_log_axis(rr):
    ax = F.forest_plot(rr, higher_is_better=False)  # the event is a harm: fewer events favour retro
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "Risk ratio (retro vs control)"
    labels = _ticklabels(ax)
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert "1" in labels and labels == [f"{t:g}" for t in ticks] and len(ticks) >= 3
    assert not ax.xaxis.get_minorticklocs().size  # no unlabelled minor ticks on a ratio axis
    # the line of no effect at a ratio of 1, the studies and the diamond at exp of the result's numbers
    assert _gid(ax, "null-line").get_segments()[0][0, 0] == 1.0
    np.testing.assert_allclose(_gid(ax, "study-squares").get_offsets()[:, 0], np.exp(rr.yi), **TOL["closed_form"])
    segs = np.array(_gid(ax, "study-cis").get_segments())
    se = np.sqrt(rr.vi)
    np.testing.assert_allclose(segs[:, 0, 0], np.exp(rr.yi - Z95 * se), **TOL["closed_form"])
    np.testing.assert_allclose(segs[:, 1, 0], np.exp(rr.yi + Z95 * se), **TOL["closed_form"])
    diamond = _gid(ax, "pooled-diamond", "patches").get_xy()[:3, 0]
    np.testing.assert_allclose(diamond, np.exp([rr.ci_low, rr.estimate, rr.ci_high]), **TOL["closed_form"])
    # the estimates column prints ratios under a header naming the ratio
    texts = _texts(ax)
    assert "RR [95% CI]" in texts
    est = math.exp(rr.estimate)
    assert f"{est:.2f} [{math.exp(rr.ci_low):.2f}, {math.exp(rr.ci_high):.2f}]" in texts
    assert f"{math.exp(rr.yi[0]):.2f} [{math.exp(rr.yi[0] - Z95 * se[0]):.2f}, " in " ".join(texts)
    # favours labels either side of 1: below 1 (fewer harms in retro) favours retro
    fav = _favours(ax)
    assert set(fav) == {"\u2190 favours retro", "favours control \u2192"}
    assert all(t.xy[0] == 1.0 for t in fav.values())
    assert F.layout_problems(ax) == []


def test_benefit_events_swap_the_favours_labels(rr):
    fav = _favours(F.forest_plot(rr, higher_is_better=True))  # the event is a response
    assert set(fav) == {"\u2190 favours control", "favours retro \u2192"}
    assert _favours(F.forest_plot(rr)) == {}  # no direction given: no favours labels, as for continuous effects


def test_oriented_binary_effects_take_the_direction_from_their_orientation():
    es = rs.effect_sizes(measure="OR", **EV).assign(favours="positive favours retro")
    res = rs.meta_analysis(es)
    ax = F.forest_plot(res, favours=("retro", "usual care"))
    assert ax.get_xlabel() == "Odds ratio (above 1 favours retro)"
    assert set(_favours(ax)) == {"\u2190 favours usual care", "favours retro \u2192"}
    with pytest.raises(ValueError, match="oriented"):
        F.forest_plot(res, higher_is_better=False)
    # a frame with a measure column (published ORs): the same ratio axis
    frame = pd.DataFrame({"study": list("abcd"), "yi": es["yi"], "vi": es["vi"], "measure": "OR"})
    fax = F.forest_plot(frame, higher_is_better=True)
    assert fax.get_xscale() == "log" and "OR [95% CI]" in _texts(fax)


def test_other_ratio_measures_and_the_risk_difference():
    rom = rs.meta_analysis(rs.effect_sizes(measure="ROM", m1=[3.0, 4.0, 2.5], sd1=[1.0, 1.2, 0.9], n1=[20, 30, 25],
                                           m2=[4.0, 4.4, 3.5], sd2=[1.1, 1.3, 1.0], n2=[20, 30, 25]))
    ax = F.forest_plot(rom, higher_is_better=False)
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "Ratio of means (retro vs control)"
    assert "ROM [95% CI]" in _texts(ax) and "1" in _ticklabels(ax)
    # the risk difference is not a ratio: linear axis, line of no effect at 0
    rd = rs.meta_analysis(rs.effect_sizes(measure="RD", **EV))
    ax = F.forest_plot(rd, higher_is_better=False)
    assert ax.get_xscale() == "linear" and ax.get_xlabel() == "Risk difference (retro \u2212 control)"
    assert _gid(ax, "null-line").get_segments()[0][0, 0] == 0.0
    assert "Estimate [95% CI]" in _texts(ax)
    assert set(_favours(ax)) == {"\u2190 favours retro", "favours control \u2192"}


def test_peto_forest_and_ratio_axis_switch(rr):
    peto = rs.meta_analysis_peto(pd.DataFrame(EV), events1="events1", n1="n1", events2="events2", n2="n2")
    ax = peto.plot_forest()
    assert ax.get_xscale() == "log" and "OR [95% CI]" in _texts(ax)
    np.testing.assert_allclose(_gid(ax, "pooled-diamond", "patches").get_xy()[1, 0], math.exp(peto.estimate),
                               **TOL["closed_form"])
    log = F.forest_plot(rr, ratio_axis=False)
    assert log.get_xscale() == "linear" and log.get_xlabel() == "Log risk ratio (retro vs control)"
    np.testing.assert_array_equal(_gid(log, "study-squares").get_offsets()[:, 0], rr.yi)
    with pytest.raises(ValueError, match="ratio_axis=True needs"):
        F.forest_plot(rs.meta_analysis(yi=[0.1, 0.3], vi=[0.02, 0.03]), ratio_axis=True)
    with pytest.raises(ValueError, match="mcid= shades a band"):
        F.forest_plot(rr, mcid=0.2)


def test_ratio_ticks():
    assert ratio_ticks(0.3, 3.0) == [0.5, 1.0, 2.0]
    assert ratio_ticks(0.05, 8.0) == [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
    assert ratio_ticks(0.002, 900.0) == [0.01, 0.1, 1.0, 10.0, 100.0]
    assert ratio_ticks(0.8, 1.3) == [1.0, 1.25]


@pytest.mark.parametrize("width", ["single", "double"])
def test_binary_forest_fits(rr, width):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = F.forest_plot(rr, higher_is_better=False, width=width)
    assert F.layout_problems(ax) == []


# ------------------------------------------------------------------------------------------ the layout object
def test_forest_layout_is_what_forest_plot_draws(rr):
    lay = F.forest_layout(rr, higher_is_better=False, width="single")
    assert isinstance(lay, F.ForestLayout)
    assert [c.header for c in lay.left] == ["Study"] and [c.header for c in lay.right] == ["Weight", "RR [95% CI]"]
    assert lay.labels == tuple(rr.labels) and lay.fig_width_mm == 85.0 and lay.xscale == "log" and lay.null == 1.0
    assert [r["kind"] for r in lay.rows[:5]] == ["study"] * 4 + ["diamond"]
    ax = F.forest_plot(rr, layout=lay)
    assert ax.figure.get_size_inches()[0] * 25.4 == pytest.approx(85.0)
    assert ax.get_xlabel() == lay.xlabel and set(_favours(ax)) == {lay.favours_left, lay.favours_right}


def test_layout_fields_can_be_overridden_and_survive_a_relayout(rr, tmp_path):
    from retrostats.figures._base import _relayout, figure_width_inches

    lay = F.forest_layout(rr, higher_is_better=False, width="single")
    lay = lay.replace(favours_right="favours usual care \u2192", font_pt=6.5)
    ax = F.forest_plot(rr, layout=lay)
    assert "favours usual care \u2192" in _favours(ax)
    assert {t.get_fontsize() for t in ax.texts if t.get_text() == "Study"} == {6.5}
    again = _relayout(ax.figure, figure_width_inches("double"), ax.figure.get_size_inches()[1])
    assert again is not ax.figure and again.get_size_inches()[0] * 25.4 == pytest.approx(180.0)
    assert "favours usual care \u2192" in _favours(again.axes[0])
    assert {t.get_fontsize() for t in again.axes[0].texts if t.get_text() == "Study"} == {6.5}
    # the same through a mapping
    ax = F.forest_plot(rr, higher_is_better=False, layout={"favours_left": None, "xlabel": "RR of a fall"})
    assert set(_favours(ax)) == {"favours control \u2192"} and ax.get_xlabel() == "RR of a fall"


def test_layout_errors(rr):
    lay = F.forest_layout(rr)
    with pytest.raises(ValueError, match="no field 'font'.*font_pt"):
        lay.replace(font=6.0)
    with pytest.raises(ValueError, match="got a ForestLayout and options \\['title'\\]"):
        F.forest_plot(rr, layout=lay, title="x")
    with pytest.raises(TypeError, match="layout must be a ForestLayout"):
        F.forest_plot(rr, layout=[("font_pt", 6.0)])
    with pytest.raises(ValueError, match="unknown option.*'titel'"):
        F.forest_layout(rr, titel="x")


def test_ratio_axis_subgroups_and_variants():
    es = rs.effect_sizes(measure="OR", events1=[4, 6, 3, 10, 7, 2], n1=[20, 20, 20, 30, 25, 15],
                         events2=[9, 10, 4, 15, 8, 6], n2=[21, 20, 20, 30, 25, 15])
    res = rs.meta_analysis(es, subgroup=["a", "a", "a", "b", "b", "b"])
    ax = F.forest_plot(res)
    sub = res.subgroups
    for g in ("a", "b"):
        xy = _gid(ax, f"subgroup-diamond:{g}", "patches").get_xy()[:3, 0]
        want = np.exp([sub.loc[g, "ci_low"], sub.loc[g, "estimate"], sub.loc[g, "ci_high"]])
        np.testing.assert_allclose(xy, want, **TOL["closed_form"])
    loo = res.leave_one_out()
    ax = F.forest_plot(res, variant="leave_one_out")
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "Pooled odds ratio"
    np.testing.assert_allclose(_gid(ax, "study-points").get_offsets()[:, 0], np.exp(loo["estimate"]),
                               **TOL["closed_form"])
    assert _gid(ax, "reference-line").get_segments()[0][0, 0] == pytest.approx(math.exp(res.estimate), rel=1e-15)
    ax = F.forest_plot(res, variant="cumulative")
    final = f"Final estimate {math.exp(res.estimate):.2f} [{math.exp(res.ci_low):.2f}, {math.exp(res.ci_high):.2f}]"
    assert final in _texts(ax)


def test_swapping_the_arms_mirrors_a_ratio_forest():
    """Metamorphic: the same trials with the groups swapped give reciprocal ratios (points, CIs, diamond) and the
    favours labels follow the groups to the other side of 1: nothing re-signed or re-labelled silently."""
    swapped = dict(events1=EV["events2"], n1=EV["n2"], events2=EV["events1"], n2=EV["n1"])
    a = rs.meta_analysis(rs.effect_sizes(measure="RR", **EV))
    b = rs.meta_analysis(rs.effect_sizes(measure="RR", **swapped))
    ax_a = F.forest_plot(a, higher_is_better=False, favours=("retro", "control"))
    ax_b = F.forest_plot(b, higher_is_better=False, favours=("control", "retro"))
    pa = _gid(ax_a, "study-squares").get_offsets()[:, 0]
    pb = _gid(ax_b, "study-squares").get_offsets()[:, 0]
    np.testing.assert_allclose(pa * pb, 1.0, **TOL["closed_form"])
    np.testing.assert_allclose(math.exp(a.estimate) * math.exp(b.estimate), 1.0, **TOL["iterative"])
    left = {name: t.get_position()[0] < 0.5 for name, t in _favours(ax_a).items()}
    assert left == {"\u2190 favours retro": True, "favours control \u2192": False}
    left = {name: t.get_position()[0] < 0.5 for name, t in _favours(ax_b).items()}
    assert left == {"\u2190 favours control": True, "favours retro \u2192": False}
