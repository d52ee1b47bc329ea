"""Drawing for :func:`retrostats.figures.forest_plot`: the artists (squares, CIs, diamonds, prediction
interval, MCID band, reference lines), the text columns, the RoB 2 columns, the "favours" labels and the
ratio axis of log-scale measures.

``_forest_build.py`` builds the :class:`~._forest_layout.ForestLayout`; this module only draws it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._base import PALETTE
from ._forest_build import ci_text
from ._forest_layout import _GAP, ForestLayout
from ._layout import text_width_mm
from .rob import draw_rob_columns

__all__ = ["ci_text", "draw_forest", "ratio_ticks"]

_INK = "#222222"


def ratio_ticks(lo: float, hi: float) -> list[float]:
    """Ticks of a ratio axis between ``lo`` and ``hi`` (> 0): 1-2-5 steps, thinned to at most 7, always 1
    when in range.

    Examples
    --------
    >>> ratio_ticks(0.3, 3.0)
    [0.5, 1.0, 2.0]
    >>> ratio_ticks(0.002, 900.0)
    [0.01, 0.1, 1.0, 10.0, 100.0]
    """
    decades = range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)
    for steps in ((1.0, 2.0, 5.0), (1.0,)):
        ticks = [float(f"{s * 10.0**e:.12g}") for e in decades for s in steps]
        ticks = [t for t in ticks if lo <= t <= hi]
        if len(ticks) <= 7:
            break
    if len(ticks) < 3:  # a narrow range: quarter steps around 1
        extra = [float(f"{s * 10.0**e:.12g}") for e in decades for s in (1.25, 1.5, 2.5, 4.0, 7.5)]
        ticks = sorted(set(ticks) | {t for t in extra if lo <= t <= hi})
    return ticks


def _x_range(ax: Any, L: ForestLayout) -> None:
    """The x limits from everything drawn (multiplicative margins on a ratio axis)."""
    rows = L.studies
    xs = [rows.ci_low, rows.ci_high, rows.estimate, np.array([L.null])]
    for r in L.rows:
        if "pooled" in r:
            p = r["pooled"]
            xs.append(np.array([p.ci_low, p.ci_high, p.pi_low, p.pi_high]))
    if L.mcid:
        xs.append(np.array([L.null - abs(L.mcid), L.null + abs(L.mcid)]))
    allx = np.concatenate([np.ravel(x) for x in xs])
    allx = allx[np.isfinite(allx)]
    xlim = L.xlim
    if L.xscale == "log":
        ax.set_xscale("log")
        allx = allx[allx > 0]
        if xlim is None:
            lo, hi = np.log(allx.min()), np.log(allx.max())
            span = (hi - lo) or 1.0
            xlim = (float(np.exp(lo - 0.06 * span)), float(np.exp(hi + 0.06 * span)))
    elif xlim is None:
        span = (allx.max() - allx.min()) or 1.0
        xlim = (allx.min() - 0.06 * span, allx.max() + 0.06 * span)
    ax.set_xlim(*xlim)
    ax.set_ylim(0.35, L.n_rows + L.n_head + 0.4)


def _draw_mcid(ax: Any, L: ForestLayout) -> None:
    from matplotlib.transforms import blended_transform_factory

    null, mcid, n_rows = L.null, L.mcid, L.n_rows
    band = ax.axvspan(null - abs(mcid), null + abs(mcid), color=PALETTE["sky"], alpha=0.18, lw=0, zorder=0)
    band.set_gid("mcid-band")
    lab = f"|effect| < MCID ({abs(mcid):g})"
    half = (text_width_mm(lab, L.small_pt) / 2 + 0.3) / L.plot_mm
    x0, x1 = ax.get_xlim()
    xf = min(max((null - x0) / (x1 - x0), half), 1 - half)  # kept inside the plot area
    ax.text(
        xf,
        n_rows + 0.55,
        lab,
        transform=blended_transform_factory(ax.transAxes, ax.transData),
        ha="center",
        va="bottom",
        fontsize=L.small_pt,
        color="#335",
        zorder=1,
    )


def _draw_lines(ax: Any, L: ForestLayout, ymin_line: float) -> None:
    """The line of no effect, the pooled estimate (dashed) and the reference estimate of the variants."""
    top = L.n_rows + 0.5
    ax.vlines([L.null], ymin_line, top, colors="#555555", lw=0.6, zorder=1).set_gid("null-line")
    if L.pooled is not None and L.pooled_line:
        ax.vlines(
            [L.pooled.estimate], ymin_line, top, colors=PALETTE["grey"], lw=0.5, linestyles=(0, (2, 2)), zorder=1
        ).set_gid("pooled-line")
    if L.reference is not None:
        ax.vlines(
            [L.reference], ymin_line, top, colors=PALETTE["vermillion"], lw=0.6, linestyles=(0, (3, 2)), zorder=1
        ).set_gid("reference-line")


def _draw_studies(ax: Any, L: ForestLayout, y_st: np.ndarray) -> None:
    """Study CIs and markers (weighted squares, or points for the variants and published rows)."""
    from matplotlib.collections import LineCollection

    rows = L.studies
    est, lo, hi = rows.estimate, rows.ci_low, rows.ci_high
    segs = np.stack([np.column_stack([lo, y_st]), np.column_stack([hi, y_st])], axis=1)
    lc = LineCollection(segs, colors=_INK, linewidths=0.7, zorder=2)
    lc.set_gid("study-cis")
    ax.add_collection(lc)
    if rows.marker == "s":
        idx = np.arange(len(rows.labels))
        w = rows.weight[idx]
        if not np.isfinite(w).any():
            w = np.asarray(rows.extra.attrs.get("precision", np.ones(len(rows.labels))), dtype=float)[idx]
        w = np.where(np.isfinite(w), w, np.nanmin(w) if np.isfinite(w).any() else 1.0)
        sizes = 4.0 + 46.0 * w / np.nanmax(w)
        sc = ax.scatter(est, y_st, s=sizes, marker="s", color=PALETTE["blue"], edgecolors="none", zorder=3)
    else:
        sc = ax.scatter(est, y_st, s=10, marker="o", color=PALETTE["blue"], edgecolors="none", zorder=3)
    sc.set_gid("study-squares" if rows.marker == "s" else "study-points")


def _draw_pooled(ax: Any, L: ForestLayout, ys: dict[int, float]) -> None:
    """Diamonds (pooled and subgroup) and the prediction interval."""
    from matplotlib.patches import Polygon

    for j, r in enumerate(L.rows):
        y = ys[j]
        if r["kind"] in ("diamond", "subdiamond"):
            p = r["pooled"]
            poly = Polygon(
                [(p.ci_low, y), (p.estimate, y + 0.38), (p.ci_high, y), (p.estimate, y - 0.38)],
                closed=True,
                facecolor=_INK if r["kind"] == "diamond" else "white",
                edgecolor=_INK,
                lw=0.7,
                zorder=3,
            )
            poly.set_gid("pooled-diamond" if r["kind"] == "diamond" else f"subgroup-diamond:{r['group']}")
            ax.add_patch(poly)
        elif r["kind"] == "pi":
            p = r["pooled"]
            (line,) = ax.plot(
                [p.pi_low, p.pi_high], [y, y], color=PALETTE["vermillion"], lw=1.4, solid_capstyle="butt", zorder=3
            )
            line.set_gid("prediction-interval")
            ax.plot(
                [p.pi_low, p.pi_low, np.nan, p.pi_high, p.pi_high],
                [y - 0.22, y + 0.22, np.nan, y - 0.22, y + 0.22],
                color=PALETTE["vermillion"],
                lw=0.8,
                zorder=3,
            )


def _left_text(col: Any, r: dict[str, Any]) -> str | None:
    if r["kind"] == "study":
        return col.values[r["i"]]
    if col.key == "label" and r["kind"] in ("header", "diamond", "subdiamond", "pi", "text"):
        return r["label"]
    return None


def _draw_left(ax: Any, L: ForestLayout, ys: dict[int, float], trans: Any) -> None:
    """The text columns left of the plot (labels, arms, extra columns) and the arms' super-headers."""
    x = -sum(c.width_mm for c in L.left)
    head_y = L.n_rows + 1.0
    for c, col in enumerate(L.left):
        is_label = col.key == "label"
        xpos = x / L.plot_mm if is_label else (x + col.width_mm - _GAP) / L.plot_mm
        ha = "left" if is_label else "right"
        ax.text(xpos, head_y, col.header, transform=trans, ha=ha, va="center", fontweight="bold", clip_on=False)
        for j, r in enumerate(L.rows):
            txt = _left_text(col, r)
            if txt is None:
                continue
            ax.text(
                xpos,
                ys[j],
                txt,
                transform=trans,
                ha=ha,
                va="center",
                clip_on=False,
                fontweight="bold" if r["kind"] in ("header", "diamond") else "normal",
                fontstyle="italic" if r["kind"] == "text" else "normal",
                fontsize=L.foot_pt if r["kind"] == "text" else None,
            )
        for name, c0, c1 in L.super_headers:
            if c0 == c:
                span_mm = sum(cc.width_mm for cc in L.left[c0 : c1 + 1])
                ax.text(
                    (x + span_mm / 2 + 0.8) / L.plot_mm,
                    head_y + 1.0,
                    name,
                    transform=trans,
                    ha="center",
                    va="center",
                    fontweight="bold",
                    clip_on=False,
                )
        x += col.width_mm


def _right_text(key: str, r: dict[str, Any], values: tuple[str, ...], digits: int) -> str | None:
    if r["kind"] == "study":
        return values[r["i"]]
    if key == "ci" and r["kind"] in ("diamond", "subdiamond"):
        p = r["pooled"]
        return ci_text(p.estimate, p.ci_low, p.ci_high, digits)
    if key == "ci" and r["kind"] == "pi":
        p = r["pooled"]
        return f"[{p.pi_low:.{digits}f}, {p.pi_high:.{digits}f}]"
    if key == "weight" and r["kind"] == "diamond":
        return "100%"
    return None


def _draw_right(ax: Any, L: ForestLayout, ys: dict[int, float], trans: Any) -> float:
    """The text columns right of the plot (weights, estimates); returns where they end (mm)."""
    x = L.plot_mm
    head_y = L.n_rows + 1.0
    for col in L.right:
        xpos = (x + col.width_mm) / L.plot_mm
        ax.text(xpos, head_y, col.header, transform=trans, ha="right", va="center", fontweight="bold", clip_on=False)
        for j, r in enumerate(L.rows):
            txt = _right_text(col.key, r, col.values, L.digits)
            if txt is None:
                continue
            ax.text(
                xpos,
                ys[j],
                txt,
                transform=trans,
                ha="right",
                va="center",
                clip_on=False,
                fontweight="bold" if r["kind"] == "diamond" else "normal",
            )
        x += col.width_mm
    return x


def _ratio_axis(ax: Any) -> None:
    """Ticks of a log axis labelled as ratios (0.5, 1, 2), no minor ticks."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.xaxis.set_major_locator(FixedLocator(ratio_ticks(*ax.get_xlim())))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


def _draw_furniture(ax: Any, L: ForestLayout) -> None:
    """Spines, the axis label (kept inside the figure), the favours labels and the title."""
    from matplotlib.transforms import blended_transform_factory

    ax.spines[["left", "right", "top"]].set_visible(False)
    ax.set_yticks([])
    if L.xscale == "log":
        _ratio_axis(ax)
    ax.spines["bottom"].set_bounds(*ax.get_xlim())
    has_favours = L.favours_left is not None or L.favours_right is not None
    ax.set_xlabel(L.xlabel, labelpad=10 if has_favours else 3)
    # centred under the plot, but moved sideways so that a long label stays inside the figure
    half = text_width_mm(L.xlabel, ax.xaxis.label.get_fontsize()) / 2 + 0.5
    lo_x, hi_x = (-L.left_mm + half) / L.plot_mm, (L.plot_mm + L.right_mm - half) / L.plot_mm
    if lo_x <= hi_x:
        ax.xaxis.label.set_x(min(max(0.5, lo_x), hi_x))
    tr = blended_transform_factory(ax.transData, ax.transAxes)
    for text, dx, ha in ((L.favours_left, -3, "right"), (L.favours_right, 3, "left")):
        if text is not None:
            ax.annotate(
                text,
                xy=(L.null, 0),
                xycoords=tr,
                xytext=(dx, -17),
                textcoords="offset points",
                ha=ha,
                va="center",
                fontsize=L.small_pt,
                annotation_clip=False,
            )
    if L.title:
        ax.set_title(L.title, loc="left", x=-sum(c.width_mm for c in L.left) / L.plot_mm, pad=4)


def draw_forest(ax: Any, layout: ForestLayout) -> None:
    """Draw ``layout`` (a :class:`~._forest_layout.ForestLayout`) into ``ax``, inside the style context
    with ``font.size`` set to the layout's font.

    ``layout.rows`` lists the rows top to bottom; ``layout.left``/``layout.right`` are the text columns
    placed outside the axes, whose width is ``layout.plot_mm`` (the text columns are positioned in it).
    """
    from matplotlib.transforms import blended_transform_factory

    L = layout
    n_rows = L.n_rows
    ys = {j: n_rows - j for j in range(n_rows)}
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    study_j = [j for j, r in enumerate(L.rows) if r["kind"] == "study"]
    # artists hold the studies in their input order (offset i = study i), whatever the row layout
    y_st = np.empty(len(L.studies.labels))
    y_st[[L.rows[j]["i"] for j in study_j]] = [ys[j] for j in study_j]

    _x_range(ax, L)
    if L.mcid:
        _draw_mcid(ax, L)
    _draw_lines(ax, L, min(y_st.min() if y_st.size else 1, 1) - 0.5)
    _draw_studies(ax, L, y_st)
    _draw_pooled(ax, L, ys)
    _draw_left(ax, L, ys, trans)
    x = _draw_right(ax, L, ys, trans)
    if L.rob is not None:
        row_y = {L.rows[j]["i"]: ys[j] for j in study_j}
        draw_rob_columns(
            ax,
            L.rob,
            L.studies.labels,
            row_y,
            x0_frac=(x + 2.6) / L.plot_mm,
            step_frac=3.6 / L.plot_mm,
            head_y=n_rows + 1.0,
            trans=trans,
        )
    _draw_furniture(ax, L)
