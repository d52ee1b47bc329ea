"""Drawing for :func:`retrostats.figures.forest_plot`: the artists (squares, CIs, diamonds, prediction
interval, MCID band, reference lines), the text columns, the RoB 2 columns and the "favours" labels.

``forest.py`` builds the rows, the columns and the layout; this module only draws them.
"""

from __future__ import annotations

import numpy as np

from ._base import PALETTE
from ._forest_layout import _GAP, ForestLayout
from ._layout import MIN_FONT_PT, text_width_mm
from .rob import draw_rob_columns

__all__ = ["ci_text", "draw_forest"]


def ci_text(est: float, lo: float, hi: float, digits: int) -> str:
    """``"est [lo, hi]"`` with ``digits`` decimals."""
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def draw_forest(
    ax,
    rows,
    fit: ForestLayout,
    *,
    rob_frame,
    pool,
    ref,
    variant,
    higher_is_better,
    mcid,
    favours,
    xlabel,
    null,
    xlim,
    digits,
) -> None:
    """Draw the forest plot laid out by :func:`~._forest_layout.fit_forest` into ``ax`` (inside its style
    context, with ``font.size`` set to the layout's font).

    ``fit.rows`` lists the rows top to bottom (``study``, ``header``, ``subdiamond``, ``diamond``, ``pi``,
    ``text``, ``blank``); ``fit.left``/``fit.right`` are the text columns placed outside the axes, whose
    width is ``fit.plot_mm`` (the text columns are positioned in it).
    """
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Polygon
    from matplotlib.transforms import blended_transform_factory

    ink = "#222222"
    layout = list(fit.rows)
    n_rows, n_head, plot_mm = fit.n_rows, fit.n_head, fit.plot_mm
    left, right, super_headers = fit.left, fit.right, fit.super_headers
    small = max(MIN_FONT_PT, fit.font_pt - 1.0)
    ys = {j: n_rows - j for j in range(n_rows)}
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    study_j = [j for j, r in enumerate(layout) if r["kind"] == "study"]
    # artists hold the studies in their input order (offset i = study i), whatever the row layout
    idx = np.arange(len(rows.labels))
    y_st = np.empty(len(rows.labels))
    y_st[[layout[j]["i"] for j in study_j]] = [ys[j] for j in study_j]
    est, lo, hi = rows.estimate, rows.ci_low, rows.ci_high

    # x range from everything drawn
    xs = [lo, hi, est, np.array([null])]
    for r in layout:
        if "pooled" in r:
            p = r["pooled"]
            xs.append(np.array([p.ci_low, p.ci_high, p.pi_low, p.pi_high]))
    if mcid:
        xs.append(np.array([null - abs(mcid), null + abs(mcid)]))
    allx = np.concatenate([np.ravel(x) for x in xs])
    allx = allx[np.isfinite(allx)]
    if xlim is None:
        span = (allx.max() - allx.min()) or 1.0
        xlim = (allx.min() - 0.06 * span, allx.max() + 0.06 * span)
    ax.set_xlim(*xlim)
    top = n_rows + n_head + 0.4
    ax.set_ylim(0.35, top)

    if mcid:
        band = ax.axvspan(
            null - abs(mcid), null + abs(mcid), color=PALETTE["sky"], alpha=0.18, lw=0, zorder=0
        )
        band.set_gid("mcid-band")
        lab = f"|effect| < MCID ({abs(mcid):g})"
        half = (text_width_mm(lab, small) / 2 + 0.3) / plot_mm
        x0, x1 = ax.get_xlim()
        xf = min(max((null - x0) / (x1 - x0), half), 1 - half)  # kept inside the plot area
        ax.text(
            xf,
            n_rows + 0.55,
            lab,
            transform=blended_transform_factory(ax.transAxes, ax.transData),
            ha="center",
            va="bottom",
            fontsize=small,
            color="#335",
            zorder=1,
        )
    ymin_line = min(y_st.min() if y_st.size else 1, 1) - 0.5
    ax.vlines([null], ymin_line, n_rows + 0.5, colors="#555555", lw=0.6, zorder=1).set_gid("null-line")
    if pool is not None and variant == "standard":
        ax.vlines(
            [pool.estimate],
            ymin_line,
            n_rows + 0.5,
            colors=PALETTE["grey"],
            lw=0.5,
            linestyles=(0, (2, 2)),
            zorder=1,
        ).set_gid("pooled-line")
    if ref is not None:
        ax.vlines(
            [ref.estimate],
            ymin_line,
            n_rows + 0.5,
            colors=PALETTE["vermillion"],
            lw=0.6,
            linestyles=(0, (3, 2)),
            zorder=1,
        ).set_gid("reference-line")

    # study CIs and markers
    segs = np.stack([np.column_stack([lo, y_st]), np.column_stack([hi, y_st])], axis=1)
    lc = LineCollection(segs, colors=ink, linewidths=0.7, zorder=2)
    lc.set_gid("study-cis")
    ax.add_collection(lc)
    if rows.marker == "s":
        w = rows.weight[idx]
        if not np.isfinite(w).any():
            w = np.asarray(rows.extra.attrs.get("precision", np.ones(len(rows.labels))), dtype=float)[idx]
        w = np.where(np.isfinite(w), w, np.nanmin(w) if np.isfinite(w).any() else 1.0)
        sizes = 4.0 + 46.0 * w / np.nanmax(w)
        sc = ax.scatter(est, y_st, s=sizes, marker="s", color=PALETTE["blue"], edgecolors="none", zorder=3)
    else:
        sc = ax.scatter(est, y_st, s=10, marker="o", color=PALETTE["blue"], edgecolors="none", zorder=3)
    sc.set_gid("study-squares" if rows.marker == "s" else "study-points")

    # diamonds and the prediction interval
    for j, r in enumerate(layout):
        y = ys[j]
        if r["kind"] in ("diamond", "subdiamond"):
            p = r["pooled"]
            poly = Polygon(
                [(p.ci_low, y), (p.estimate, y + 0.38), (p.ci_high, y), (p.estimate, y - 0.38)],
                closed=True,
                facecolor=ink if r["kind"] == "diamond" else "white",
                edgecolor=ink,
                lw=0.7,
                zorder=3,
            )
            poly.set_gid("pooled-diamond" if r["kind"] == "diamond" else f"subgroup-diamond:{r['group']}")
            ax.add_patch(poly)
        elif r["kind"] == "pi":
            p = r["pooled"]
            (line,) = ax.plot(
                [p.pi_low, p.pi_high],
                [y, y],
                color=PALETTE["vermillion"],
                lw=1.4,
                solid_capstyle="butt",
                zorder=3,
            )
            line.set_gid("prediction-interval")
            ax.plot(
                [p.pi_low, p.pi_low, np.nan, p.pi_high, p.pi_high],
                [y - 0.22, y + 0.22, np.nan, y - 0.22, y + 0.22],
                color=PALETTE["vermillion"],
                lw=0.8,
                zorder=3,
            )

    # text columns
    def mm(x: float) -> float:
        return x / plot_mm

    x = -sum(c.width_mm for c in left)
    head_y = n_rows + 1.0
    for c, col in enumerate(left):
        key, head, wmm, vals = col.key, col.header, col.width_mm, col.values
        is_label = key == "label"
        xpos = mm(x) if is_label else mm(x + wmm - _GAP)
        ha = "left" if is_label else "right"
        ax.text(xpos, head_y, head, transform=trans, ha=ha, va="center", fontweight="bold", clip_on=False)
        for j, r in enumerate(layout):
            if r["kind"] == "study":
                txt = vals[r["i"]]
            elif is_label and r["kind"] in ("header", "diamond", "subdiamond", "pi", "text"):
                txt = r["label"]
            else:
                continue
            weight = "bold" if r["kind"] in ("header", "diamond") else "normal"
            style = "italic" if r["kind"] == "text" else "normal"
            ax.text(
                xpos,
                ys[j],
                txt,
                transform=trans,
                ha=ha,
                va="center",
                clip_on=False,
                fontweight=weight,
                fontstyle=style,
                fontsize=6.0 if r["kind"] == "text" else None,
            )
        for name, c0, c1 in super_headers:
            if c0 == c:
                span_mm = sum(cc.width_mm for cc in left[c0 : c1 + 1])
                ax.text(
                    mm(x + span_mm / 2 + 0.8),
                    head_y + 1.0,
                    name,
                    transform=trans,
                    ha="center",
                    va="center",
                    fontweight="bold",
                    clip_on=False,
                )
        x += wmm
    x = plot_mm
    for col in right:
        key, head, wmm, vals = col.key, col.header, col.width_mm, col.values
        xpos = mm(x + wmm)
        ax.text(
            xpos, head_y, head, transform=trans, ha="right", va="center", fontweight="bold", clip_on=False
        )
        for j, r in enumerate(layout):
            if r["kind"] == "study":
                txt = vals[r["i"]]
            elif key == "ci" and r["kind"] in ("diamond", "subdiamond"):
                p = r["pooled"]
                txt = ci_text(p.estimate, p.ci_low, p.ci_high, digits)
            elif key == "ci" and r["kind"] == "pi":
                p = r["pooled"]
                txt = f"[{p.pi_low:.{digits}f}, {p.pi_high:.{digits}f}]"
            elif key == "weight" and r["kind"] == "diamond":
                txt = "100%"
            else:
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
        x += wmm
    if rob_frame is not None:
        row_y = {layout[j]["i"]: ys[j] for j in study_j}
        draw_rob_columns(
            ax,
            rob_frame,
            rows.labels,
            row_y,
            x0_frac=mm(x + 2.6),
            step_frac=mm(3.6),
            head_y=head_y,
            trans=trans,
        )

    # axes furniture
    ax.spines[["left", "right", "top"]].set_visible(False)
    ax.set_yticks([])
    ax.spines["bottom"].set_bounds(*ax.get_xlim())
    ax.set_xlabel(fit.xlabel, labelpad=10 if higher_is_better is not None else 3)
    # centred under the plot, but moved sideways so that a long label stays inside the figure
    half = text_width_mm(fit.xlabel, ax.xaxis.label.get_fontsize()) / 2 + 0.5
    lo_x, hi_x = (-fit.left_mm + half) / plot_mm, (plot_mm + fit.right_mm - half) / plot_mm
    if lo_x <= hi_x:
        ax.xaxis.label.set_x(min(max(0.5, lo_x), hi_x))
    if higher_is_better is not None:
        exp_, comp = (str(f) for f in favours)
        left_txt, right_txt = (comp, exp_) if higher_is_better else (exp_, comp)
        tr = blended_transform_factory(ax.transData, ax.transAxes)
        ax.annotate(
            f"\u2190 favours {left_txt}",
            xy=(null, 0),
            xycoords=tr,
            xytext=(-3, -17),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=small,
            annotation_clip=False,
        )
        ax.annotate(
            f"favours {right_txt} \u2192",
            xy=(null, 0),
            xycoords=tr,
            xytext=(3, -17),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=small,
            annotation_clip=False,
        )
    if fit.title:
        ax.set_title(fit.title, loc="left", x=-sum(c.width_mm for c in left) / plot_mm, pad=4)
