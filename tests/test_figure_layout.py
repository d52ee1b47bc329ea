"""Figures fit the journal: every public figure, at 85 mm and 180 mm, has no text clipped by the figure edge, no
two texts overlapping and no font below 6 pt (from the renderer's text bounding boxes); synthetic-data figures
carry the mark; TIFF (LZW) and EPS export is deterministic. The paper's figures are checked the same way in
tests/test_reproduce.py, which shares one reproduce run.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats import figures as F
from retrostats.exceptions import RetrostatsWarning

WIDTHS = ("single", "double")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def studies():
    rng = np.random.default_rng(20261130)
    k = 10
    n = rng.integers(12, 60, k)
    m1, m2 = rng.normal(3.5, 0.4, k), rng.normal(4.5, 0.4, k)
    return pd.DataFrame(
        {
            "study": [f"Investigator et al. {2000 + i} (knee osteoarthritis, treadmill)" for i in range(k)],
            "m1": m1.round(2),
            "sd1": rng.uniform(1.0, 1.6, k).round(2),
            "n1": n,
            "m2": m2.round(2),
            "sd2": rng.uniform(1.0, 1.6, k).round(2),
            "n2": n,
            "setting": ["overground", "treadmill"] * (k // 2),
        }
    )


@pytest.fixture(scope="module")
def es(studies):
    return rs.effect_sizes(
        studies, measure="SMD", m1="m1", sd1="sd1", n1="n1", m2="m2", sd2="sd2", n2="n2", labels="study"
    )


@pytest.fixture(scope="module")
def res(es):
    return rs.meta_analysis(es, preset="cochrane", slab="study")


def _clean(ax):
    problems = F.layout_problems(ax)
    assert problems == [], "\n".join(problems)


def _resized(ax, width):
    """The figure as save_figure lays it out for ``width`` (forest plots are drawn again)."""
    from retrostats.figures._base import _relayout, figure_width_inches

    fig = ax.figure
    return _relayout(fig, figure_width_inches(width), fig.get_size_inches()[1])


README_ES = dict(
    measure="SMD",
    m1=[3.1, 4.0, 2.8, 3.6],
    sd1=[1.2, 1.5, 1.1, 1.4],
    n1=[20, 32, 18, 40],
    m2=[4.2, 4.6, 4.0, 4.1],
    sd2=[1.3, 1.4, 1.2, 1.5],
    n2=[20, 30, 19, 41],
)


@pytest.mark.parametrize("width", WIDTHS)
def test_readme_forest_fits_each_width(width):
    res = rs.meta_analysis(rs.effect_sizes(**README_ES), preset="cochrane")
    ax = res.plot_forest(instrument="NPRS", width=width)
    _clean(ax)
    assert ax.figure.get_size_inches()[0] * 25.4 == pytest.approx(F.COLUMN_WIDTH_MM[width])


def test_save_figure_relays_out_a_forest_for_a_new_width(tmp_path):
    """The README's own call: drawn for its natural width, saved at 85 mm, laid out again (not squeezed)."""
    from PIL import Image

    res = rs.meta_analysis(rs.effect_sizes(**README_ES), preset="cochrane")
    ax = res.plot_forest(instrument="NPRS", width="double")
    (png,) = F.save_figure(ax, tmp_path / "forest", formats=("png",), width="single", dpi=100)
    with Image.open(png) as im:
        assert abs(im.size[0] - 85 / 25.4 * 100) < 1
    again = _resized(ax, "single")
    assert again is not ax.figure
    _clean(again)
    # a figure the user drew on is resized only, with a warning
    ax.set_title("my own title")
    ax.text(0, 1, "a note")
    with pytest.warns(RetrostatsWarning, match="drawn on since"):
        F.save_figure(ax, tmp_path / "forest2", formats=("png",), width="single", dpi=50)


@pytest.mark.parametrize("width", WIDTHS)
def test_forest_with_long_labels_arms_subgroups_and_rob(width, es, res, studies):
    rob = F.example_rob_judgements()
    rob = pd.concat([rob] * 3, ignore_index=True).iloc[: len(es)].assign(study=list(es["study"]))
    sub = rs.meta_analysis(es, preset="cochrane", slab="study", subgroup=studies["setting"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = F.forest_plot(
            sub, data=es, rob=rob, instrument="NPRS", mcid=True, width=width, title="A long title " * 12
        )
    _clean(ax)
    msgs = [str(w.message) for w in caught]
    if width == "single":  # 85 mm cannot hold six arm columns, six RoB domains and the plot: it says so
        assert any("do not fit 85 mm" in m for m in msgs), msgs
        labels = [t.get_text() for t in ax.texts]
        assert any(t.endswith("\u2026") for t in labels)  # long study labels abbreviated
    else:
        assert not msgs, msgs
        assert [c.get_gid() for c in ax.collections if c.get_gid() == "rob-lights"] == ["rob-lights"]
    fonts = {round(t.get_fontsize(), 2) for t in ax.texts}
    assert min(fonts) >= F.MIN_FONT_PT


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_every_public_figure_fits(width, res, es):
    made = [
        F.forest_plot(res, width=width),
        F.forest_plot(res, variant="leave_one_out", width=width),
        F.forest_plot(res, variant="cumulative", width=width),
        F.funnel_plot(res, trim_and_fill=True),
        F.evidence_map(width=width),
        F.rob_traffic_light(F.example_rob_judgements()),
        F.rob_summary(F.example_rob_judgements()),
        F.power_curve_plot(
            rs.power_grid(design="ttest", n_per_arm=[20, 40, 80, 160], effect=[0.3, 0.5, 0.8]), hue="effect_size"
        ),
        F.assurance_plot(
            pd.DataFrame({"n_per_arm": [20, 40, 80], "assurance": [0.4, 0.5, 0.7], "power": [0.3, 0.6, 0.9]}),
            max_assurance=0.8,
        ),
    ]
    trial = rs.load_dataset("synthetic_three_arm_trial")
    made += [
        F.raincloud_plot(trial[trial["week"] == 6], value="value", group="arm"),
        F.prepost_plot(trial, subject="participant", visit="visit", value="value", arm="arm"),
    ]
    fit = rs.bayes_meta_analysis(es, method="exact")
    made += [F.posterior_plot(fit, mcid=0.3), F.shrinkage_plot(fit)]
    made.append(F.bubble_plot(rs.meta.dose_response(rs.meta.dose._example(), dose="weeks")))
    for ax in made:
        fig = _resized(ax, width)
        problems = F.layout_problems(fig)
        assert problems == [], f"{getattr(ax.figure, 'number', '')} {ax.get_gid()}: " + "\n".join(problems)


def test_synthetic_mark_is_visible_and_survives_relayout(res, tmp_path):
    ax = F.forest_plot(res, width="double")
    mark = F.mark_synthetic(ax)
    assert mark.get_text() == "SYNTHETIC DATA" and mark.get_visible()
    _clean(ax)
    again = _resized(ax, "single")
    assert [t.get_text() for t in again.texts if t.get_gid() == "synthetic-mark"] == ["SYNTHETIC DATA"]
    _clean(again)
    ax2 = F.funnel_plot(res)
    F.mark_synthetic(ax2)
    _clean(ax2)


@pytest.mark.parametrize("dpi", [300, 600])
def test_tiff_lzw_and_eps_are_deterministic(tmp_path, res, dpi):
    from PIL import Image

    ax = F.forest_plot(res, instrument="NPRS", mcid=True, width="single")  # translucent MCID band
    a = F.save_figure(ax, tmp_path / "a" / "fig", formats=("tiff", "eps"), dpi=dpi)
    b = F.save_figure(ax, tmp_path / "b" / "fig", formats=("tif", "eps"), dpi=dpi)
    assert [p.suffix for p in a] == [".tiff", ".eps"]
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes()
    with Image.open(a[0]) as img:
        assert img.info["compression"] == "tiff_lzw"
        assert abs(img.size[0] - 85 / 25.4 * dpi) < 1
    eps = a[1].read_bytes()
    assert eps.startswith(b"%!PS-Adobe-3.0 EPSF")
    # the MCID band (sky blue #56B4E9 at alpha 0.18) is written as its look on white paper
    sky = np.array([0x56, 0xB4, 0xE9]) / 255
    blended = " ".join(f"{v:.3g}" for v in 0.18 * sky + 0.82)
    assert f"{blended} setrgbcolor".encode() in eps
    # the band stays translucent on screen after saving (EPS blending is undone)
    band = [p for p in ax.patches if p.get_gid() == "mcid-band"][0]
    assert band.get_alpha() == pytest.approx(0.18)


def test_overlap_check_skips_only_pairs_that_cannot_overlap(monkeypatch):
    """layout_problems tests a pair of texts exactly only when their boxes overlap by more than the tolerance
    both ways: every pair it skips overlaps by no more than the tolerance (random rotated boxes), and on a
    crowded figure checking every pair (as it used to) reports the same problems in the same order."""
    import pickle

    import matplotlib.pyplot as plt

    from retrostats.figures import _layout

    rng = np.random.default_rng(20261130)
    shapes = []
    for _ in range(120):
        w, h, a = rng.uniform(1, 60), rng.uniform(1, 15), rng.uniform(0, np.pi)
        local = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        shapes.append((rng.uniform(0, 300, 2) + local @ rot.T, ""))
    depth = {(i, j): _layout._overlap_depth(shapes[i][0], shapes[j][0])
             for i in range(len(shapes)) for j in range(i + 1, len(shapes))}
    for tol in (0.0, 0.5, 3.0):
        kept = _layout._pairs_to_check(shapes, tol)
        assert kept == sorted(kept) and {p for p, d in depth.items() if d > tol} <= set(kept)
        assert sum(d > tol for d in depth.values()) > 20 and len(kept) < 0.2 * len(depth)

    def every_pair(shapes, tolerance_px):
        return [(i, j) for i in range(len(shapes)) for j in range(i + 1, len(shapes))]

    fig, ax = plt.subplots(figsize=(2.5, 2.0))
    for k in range(25):
        ax.text(rng.uniform(-0.1, 1.1), rng.uniform(-0.1, 1.1), f"label {k}", rotation=float(rng.choice([0, 62])),
                fontsize=float(rng.uniform(5, 11)), transform=ax.transAxes)
    blob = pickle.dumps(fig)  # the same figure for both checks (a layout pass may move things)
    plt.close(fig)
    fast = _layout.layout_problems(pickle.loads(blob))
    monkeypatch.setattr(_layout, "_pairs_to_check", every_pair)
    assert _layout.layout_problems(pickle.loads(blob)) == fast
    assert sum("overlap" in p for p in fast) > 5
    plt.close("all")
