"""Figures: style hygiene, deterministic saving, and that forest/funnel plots draw the result's numbers."""

from __future__ import annotations

import warnings
from statistics import NormalDist

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

import retrostats as rs
from retrostats import figures as F
from retrostats.exceptions import DataError

Z95 = NormalDist().inv_cdf(0.975)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def studies(rng):
    k = 12
    vi = rng.uniform(0.02, 0.2, k)
    yi = rng.normal(-0.5, np.sqrt(vi + 0.05))
    return pd.DataFrame(
        {"study": [f"s{i:02d}" for i in range(k)], "yi": yi, "vi": vi, "group": ["A", "B"] * (k // 2)}
    )


@pytest.fixture
def result(studies):
    return rs.meta_analysis(studies, slab="study")


def _gid(ax, gid, kind="collections"):
    found = [a for a in getattr(ax, kind) if a.get_gid() == gid]
    assert len(found) == 1, f"expected one artist {gid!r}, found {len(found)}"
    return found[0]


# ---------------------------------------------------------------- hygiene
# importing retrostats, its figures and the report steps neither imports pyplot nor changes rcParams: checked in a
# fresh interpreter by tests/test_namespace.py::test_a_fresh_import_is_light_and_leaves_global_state_alone


def test_style_context_is_local():
    before = mpl.rcParams["axes.prop_cycle"]
    with F.style_context():
        cyc = [to_hex(c["color"]) for c in mpl.rcParams["axes.prop_cycle"]]
    assert cyc[:3] == ["#0072b2", "#d55e00", "#009e73"]  # Okabe-Ito
    assert mpl.rcParams["axes.prop_cycle"] == before


def test_save_figure_is_byte_identical_and_journal_sized(tmp_path, result):
    files = []
    for run in ("a", "b"):
        ax = F.forest_plot(result)
        files.append(F.save_figure(ax, tmp_path / run / "forest", width="single", dpi=300))
    for fa, fb in zip(*files):
        assert fa.suffix == fb.suffix
        assert fa.read_bytes() == fb.read_bytes(), f"{fa.suffix} differs between runs"
    pdf = files[0][0].read_bytes()
    assert b"CreationDate" not in pdf
    from PIL import Image

    with Image.open(files[0][2]) as im:
        assert im.size[0] == int(85 / 25.4 * 300)  # matplotlib truncates width x dpi
        assert im.info.get("Software", "").startswith("retrostats")


def test_save_figure_lays_out_once_for_every_format(tmp_path):
    # a legend placed below the axes moves with it, so where the engine puts the axes depends on where they
    # were: every save lays the figure out from the positions it had before its first save and puts them back,
    # so a PNG saved alone, one saved after the PDF and SVG, and the same figure saved again are the same
    # bytes; the engine is restored afterwards
    pngs = []
    for run, formats in (("alone", ("png",)), ("all", ("pdf", "svg", "png"))):
        ax = F.rob_summary(F.example_rob_judgements())
        engine = ax.figure.get_layout_engine()
        assert engine is not None
        before = [a.get_position().bounds for a in ax.figure.axes]
        files = F.save_figure(ax, tmp_path / run / "rob", formats=formats, dpi=150)
        assert ax.figure.get_layout_engine() is engine
        assert [a.get_position().bounds for a in ax.figure.axes] == before
        assert all(a.get_in_layout() for a in ax.figure.axes)
        pngs.append(files[-1].read_bytes())
        again = F.save_figure(ax, tmp_path / run / "again", formats=("png",), dpi=150)
        pngs.append(again[0].read_bytes())
    assert len(set(pngs)) == 1


def test_save_figure_of_subfigures_is_the_same_every_time(tmp_path):
    # the engine also sizes subfigures and places their titles: those are put back too, so the second save of
    # the same figure is the same bytes as the first
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(4, 3), layout="constrained")
    for i, sub in enumerate(fig.subfigures(1, 2)):
        ax = sub.subplots()
        ax.plot([0, 1], [0, 1])
        ax.legend(["a long legend entry"], loc="upper center", bbox_to_anchor=(0.5, -0.2))
        sub.suptitle(f"panel {i}")
        sub.supxlabel("x")
    fig.suptitle("both panels")
    first, second = (F.save_figure(fig, tmp_path / name, formats=("png",), dpi=100)[0].read_bytes()
                     for name in ("a", "b"))
    assert first == second


@pytest.mark.parametrize("transparent", [False, True])
def test_png_holds_the_pixels_resolution_and_text_of_matplotlibs_own_png(tmp_path, result, transparent):
    # save_figure writes the PNG itself (figures/_png.py) from the pixels matplotlib draws; decoded, it is
    # matplotlib's own PNG of the same figure: every pixel, the resolution and the Software entry. A figure
    # with transparent parts keeps its alpha channel, an opaque one is written as RGB.
    from PIL import Image

    from retrostats.figures._base import _METADATA

    ax = F.forest_plot(result)
    fig = ax.figure
    if transparent:
        fig.patch.set_alpha(0.0)
        ax.patch.set_alpha(0.0)
    ours = F.save_figure(fig, tmp_path / "ours", formats=("png",), dpi=150)[0]
    with F.style_context():
        fig.savefig(tmp_path / "theirs.png", dpi=150, metadata=_METADATA["png"])
    with Image.open(ours) as a, Image.open(tmp_path / "theirs.png") as b:
        assert a.mode == ("RGBA" if transparent else "RGB") and b.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(a.convert("RGBA")), np.asarray(b))
        assert a.info["dpi"] == b.info["dpi"] and a.info["Software"] == b.info["Software"]
    assert F.save_figure(fig, tmp_path / "again", formats=("png",), dpi=150)[0].read_bytes() == ours.read_bytes()


def test_encode_png_refuses_what_is_not_an_rgba_image():
    from retrostats.figures._png import encode_png

    for bad in (np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2, 4), np.float64), np.zeros((0, 2, 4), np.uint8)):
        with pytest.raises(ValueError, match="height, width, 4"):
            encode_png(bad, 300)


def test_save_figure_rejects_bad_input(tmp_path):
    ax = F.forest_plot(pd.DataFrame({"yi": [0.1, 0.2], "vi": [0.1, 0.1]}))
    with pytest.raises(ValueError, match="formats"):
        F.save_figure(ax, tmp_path / "x", formats=("jpg",))
    with pytest.raises(ValueError, match="width"):
        F.save_figure(ax, tmp_path / "x", width="triple")
    with pytest.raises(TypeError, match="Figure or Axes"):
        F.save_figure("not a figure", tmp_path / "x")


# ---------------------------------------------------------------- forest plot
def test_forest_draws_the_results_numbers(result):
    ax = result.plot_forest()
    sq = _gid(ax, "study-squares")
    np.testing.assert_allclose(sq.get_offsets()[:, 0], result.yi, rtol=0, atol=0)
    # rows top to bottom in study order
    assert np.all(np.diff(sq.get_offsets()[:, 1]) < 0)
    # marker areas rank like the weights
    np.testing.assert_array_equal(
        np.argsort(sq.get_sizes(), kind="stable"), np.argsort(result.weights, kind="stable")
    )
    segs = np.array(_gid(ax, "study-cis").get_segments())
    np.testing.assert_allclose(segs[:, 0, 0], result.yi - Z95 * np.sqrt(result.vi), rtol=1e-12)
    np.testing.assert_allclose(segs[:, 1, 0], result.yi + Z95 * np.sqrt(result.vi), rtol=1e-12)
    diamond = _gid(ax, "pooled-diamond", "patches").get_xy()[:4]
    np.testing.assert_array_equal(
        diamond[:, 0], [result.ci_low, result.estimate, result.ci_high, result.estimate]
    )
    pi = _gid(ax, "prediction-interval", "lines").get_xdata()
    np.testing.assert_array_equal(pi, [result.pi_low, result.pi_high])
    texts = [t.get_text() for t in ax.texts]
    assert f"{result.weights[0]:.1f}%" in texts
    assert any(t.startswith("Heterogeneity") and f"I\u00b2 = {result.i2:.0f}%" in t for t in texts)


def test_forest_subgroups_arms_and_interaction_test(studies):
    res = rs.meta_analysis(studies, slab="study", subgroup="group")
    arms = pd.DataFrame({"m1": np.arange(12.0), "sd1": 1.0, "n1": 20, "m2": 2.0, "sd2": 1.5, "n2": 21})
    ax = F.forest_plot(res, data=arms.assign(group=studies["group"]), subgroup="group")
    for g in ("A", "B"):
        v = _gid(ax, f"subgroup-diamond:{g}", "patches").get_xy()[:3, 0]
        row = res.subgroups.loc[g]
        np.testing.assert_array_equal(v, [row["ci_low"], row["estimate"], row["ci_high"]])
    texts = [t.get_text() for t in ax.texts]
    assert any(
        t.startswith("Test for subgroup differences") and f"p = {res.subgroup_test['p_value']:.3f}" in t
        for t in texts
    )
    assert {"Retro", "Control", "Mean", "SD", "N", "21", "11.00"} <= set(texts)
    # squares are grouped: the A studies come first
    y = _gid(ax, "study-squares").get_offsets()
    a_rows = y[studies["group"].to_numpy() == "A", 1]
    assert a_rows.min() > y[studies["group"].to_numpy() == "B", 1].max()


@pytest.mark.parametrize("higher, left, right", [(False, "retro", "control"), (True, "control", "retro")])
def test_favours_labels_follow_direction(result, higher, left, right):
    ax = F.forest_plot(result, higher_is_better=higher)
    texts = [t.get_text() for t in ax.texts]
    assert f"\u2190 favours {left}" in texts and f"favours {right} \u2192" in texts


def test_direction_and_mcid_from_outcome_scales(result):
    scales = rs.load_dataset("outcome_scales").set_index("instrument")
    ax = F.forest_plot(result, instrument="NPRS", mcid=True)
    band = _gid(ax, "mcid-band", "patches")
    xs = band.get_patch_transform().transform(band.get_path().vertices)[:, 0]
    assert min(xs) == -scales.loc["NPRS", "mcid"] and max(xs) == scales.loc["NPRS", "mcid"]
    assert "\u2190 favours retro" in [t.get_text() for t in ax.texts]  # NPRS: lower is better


def test_forest_rob_columns(result):
    rob = pd.DataFrame({"study": list(result.labels), "D1": "low", "D2": "Some concerns", "Overall": "high"})
    ax = F.forest_plot(result, rob=rob)
    lights = _gid(ax, "rob-lights")
    colours = [to_hex(c) for c in lights.get_facecolors()]
    k = result.k
    assert colours[:k] == [F.ROB_COLOURS["low"][0].lower()] * k
    assert colours[2 * k :] == [F.ROB_COLOURS["high"][0].lower()] * k
    with pytest.raises(DataError, match="study 's00', domain 'D1'"):
        F.forest_plot(result, rob=rob.assign(D1=["maybe"] + ["low"] * (k - 1)))


def test_forest_variants_draw_the_verbs(result):
    loo = result.leave_one_out()
    ax = F.forest_plot(result, variant="leave_one_out")
    np.testing.assert_array_equal(_gid(ax, "study-points").get_offsets()[:, 0], loo["estimate"].to_numpy())
    cum = result.cumulative()
    ax = F.forest_plot(result, variant="cumulative")
    pts = _gid(ax, "study-points").get_offsets()[:, 0]
    np.testing.assert_array_equal(pts, cum["estimate"].to_numpy())
    ref = _gid(ax, "reference-line")
    assert ref.get_segments()[0][0, 0] == result.estimate


def test_forest_frame_inputs():
    pub = pd.DataFrame(
        {"label": ["r1", "r2"], "estimate": [-1.0, -0.4], "ci_low": [-1.4, -0.9], "ci_high": [-0.6, 0.1]}
    )
    ax = F.forest_plot(pub)
    np.testing.assert_array_equal(_gid(ax, "study-points").get_offsets()[:, 0], [-1.0, -0.4])
    segs = np.array(_gid(ax, "study-cis").get_segments())
    np.testing.assert_array_equal(segs[:, :, 0], [[-1.4, -0.6], [-0.9, 0.1]])
    with pytest.raises(DataError, match="needs columns"):
        F.forest_plot(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(TypeError, match="MetaAnalysisResult or a DataFrame"):
        F.forest_plot([1, 2, 3])
    with pytest.raises(ValueError, match="variant"):
        F.forest_plot(pub, variant="sideways")
    with pytest.raises(ValueError, match="labels has 3 entries"):
        F.forest_plot(pub, labels=["a", "b", "c"])


# ---------------------------------------------------------------- funnel plot
def test_funnel_draws_studies_contours_and_trim_and_fill(result):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the small-k warning of trim_and_fill is not under test here
        tf = result.trim_and_fill(side="right")
    ax = result.plot_funnel(trim_and_fill=tf)
    off = _gid(ax, "funnel-studies").get_offsets()
    np.testing.assert_array_equal(off[:, 0], result.yi)
    np.testing.assert_allclose(off[:, 1], np.sqrt(result.vi), rtol=1e-15)
    filled = _gid(ax, "funnel-filled").get_offsets()
    np.testing.assert_array_equal(filled[:, 0], tf.filled["yi"].to_numpy())
    assert len(filled) == tf.k0
    ymax = ax.get_ylim()[0]
    for level in (0.90, 0.95, 0.99):
        tri = _gid(ax, f"contour-{level:g}", "patches").get_xy()
        z = NormalDist().inv_cdf(1 - (1 - level) / 2)
        np.testing.assert_allclose(tri[1:3, 0], [-z * ymax, z * ymax], rtol=1e-12)
    assert _gid(ax, "funnel-estimate", "lines").get_xdata()[0] == result.estimate
    assert not [t for t in ax.texts if t.get_gid() == "small-k-caveat"]  # k = 12


def test_funnel_small_k_caveat():
    res = rs.meta_analysis(yi=[-0.8, -0.3, -0.5, -0.1], vi=[0.10, 0.05, 0.08, 0.2])
    ax = F.funnel_plot(res)
    cav = [t for t in ax.texts if t.get_gid() == "small-k-caveat"]
    assert cav and "k = 4 < 10" in cav[0].get_text()
    with pytest.raises(ValueError, match="contours"):
        F.funnel_plot(res, contours=(0.9, 1.5))


def test_forest_into_a_given_axes(result):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    assert F.forest_plot(result, ax=ax) is ax
    assert ax.figure is fig


def test_forest_groups_by_the_stored_subgroups_by_default(studies):
    res = rs.meta_analysis(studies, slab="study", subgroup="group")
    assert res.subgroup_labels == tuple(studies["group"])
    ax = F.forest_plot(res)  # no subgroup= and no data=: taken from the result
    for g in ("A", "B"):
        v = _gid(ax, f"subgroup-diamond:{g}", "patches").get_xy()[:3, 0]
        row = res.subgroups.loc[g]
        np.testing.assert_array_equal(v, [row["ci_low"], row["estimate"], row["ci_high"]])
    y = _gid(ax, "study-squares").get_offsets()[:, 1]
    is_a = studies["group"].to_numpy() == "A"
    assert y[is_a].min() > y[~is_a].max()
    assert any(t.get_text().startswith("Test for subgroup differences") for t in ax.texts)
    # the same drawing as passing the grouping again
    explicit = F.forest_plot(res, data=studies, subgroup="group")
    np.testing.assert_array_equal(
        _gid(explicit, "study-squares").get_offsets(), _gid(ax, "study-squares").get_offsets()
    )
    # subgroup=False opts out; an explicit grouping still wins over the stored one
    flat = F.forest_plot(res, subgroup=False)
    assert not [p for p in flat.patches if str(p.get_gid()).startswith("subgroup-diamond")]
    other = F.forest_plot(res, subgroup=["C"] * len(studies))
    assert not [p for p in other.patches if str(p.get_gid()).startswith("subgroup-diamond")]
    assert "C" in [t.get_text() for t in other.texts]
