"""Forest plots: weighted squares, pooled diamond, prediction interval, arm columns, subgroups, MCID shading,
direction labels, RoB 2 columns, and cumulative / leave-one-out variants.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..validators import check_option
from ._base import MM, PALETTE, figure_width_inches, style_context
from ._rows import Pooled, group_order, heterogeneity_text, pooled_from, study_rows
from .rob import draw_rob_columns, normalise_rob

__all__ = ["forest_plot", "scale_direction"]

_ROW_MM = 3.3
_ARMS = ("m1", "sd1", "n1", "m2", "sd2", "n2")


def scale_direction(instrument: str) -> tuple[bool, float]:
    """``(higher_is_better, mcid)`` of an instrument from the shipped ``outcome_scales``.

    Examples
    --------
    >>> scale_direction("NPRS")
    (False, 1.0)
    """
    from ..datasets import load_dataset

    scales = load_dataset("outcome_scales").set_index("instrument")
    if instrument not in scales.index:
        raise ValueError(
            f"instrument {instrument!r} is not in outcome_scales; known: {sorted(scales.index)[:12]}..."
        )
    row = scales.loc[instrument]
    hib = row["higher_is_better"]
    return (bool(hib) if not pd.isna(hib) else None), float(row["mcid"])


def _fmt(v: Any, digits: int, integer: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, str):
        return v
    v = float(v)
    return f"{v:.0f}" if integer and v.is_integer() else f"{v:.{digits}f}"


def _ci_text(est: float, lo: float, hi: float, digits: int) -> str:
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _variant_rows(obj: Any, variant: str, order: Any, digits: int):
    """Point rows for the cumulative / leave-one-out variants and the reference estimate."""
    from ._rows import StudyRows, _float

    if isinstance(obj, pd.DataFrame):
        frame, ref = obj, None
    else:
        frame = obj.cumulative(order) if variant == "cumulative" else obj.leave_one_out()
        ref = obj
    prefix = "+ " if variant == "cumulative" else "omitting "
    labels = [prefix + str(s) for s in (frame["study"] if "study" in frame.columns else frame.index)]
    rows = StudyRows(
        labels,
        _float(frame, "estimate"),
        _float(frame, "ci_low"),
        _float(frame, "ci_high"),
        np.full(len(frame), np.nan),
        "o",
        frame,
    )
    return rows, ref


def forest_plot(
    result: Any,
    *,
    ax: Any = None,
    variant: str = "standard",
    labels: Any = None,
    data: pd.DataFrame | None = None,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    arms: bool | None = None,
    arm_labels: Sequence[str] = ("Retro", "Control"),
    subgroup: Any = None,
    rob: pd.DataFrame | None = None,
    pooled: Any = None,
    instrument: str | None = None,
    higher_is_better: bool | None = None,
    mcid: float | bool | None = None,
    favours: Sequence[str] = ("retro", "control"),
    xlabel: str | None = None,
    null: float = 0.0,
    digits: int = 2,
    order: Any = None,
    show_weights: bool = True,
    show_heterogeneity: bool = True,
    xlim: Sequence[float] | None = None,
    width: str | float | None = None,
    title: str | None = None,
) -> Any:
    """Forest plot of a meta-analysis (or of any rows with estimates and intervals).

    Parameters
    ----------
    result : MetaAnalysisResult or DataFrame
        A result of :func:`retrostats.meta_analysis`, or a frame with ``yi`` and ``vi`` (or ``sei``; optional
        ``ci_low, ci_high, weight``) or with ``estimate, ci_low, ci_high`` (e.g. published reviews, or the
        output of ``leave_one_out()``). Labels come from ``labels`` or a ``label/study/study_id`` column.
    ax : Axes, optional
        Draw into this Axes (text columns are placed outside it, left and right); a new figure sized to a
        journal column otherwise.
    variant : {"standard", "cumulative", "leave_one_out"}
        ``cumulative`` draws ``result.cumulative(order)``, ``leave_one_out`` draws ``result.leave_one_out()``
        (each with the full-data estimate as reference).
    labels : str or sequence, optional
        Study labels (a column name of a frame).
    data : DataFrame, optional
        Extra per-study columns aligned with the result's studies (same order), for ``columns``/``arms``.
    columns : sequence or mapping, optional
        Extra text columns left of the plot (name, or name -> header).
    arms : bool, optional
        Show per-arm columns ``m1, sd1, n1, m2, sd2, n2`` (mean, SD, n of each arm) under ``arm_labels``;
        by default shown when those columns are present.
    subgroup : str or sequence, optional
        Each study's subgroup (a column of ``data``/the frame, or values in study order). Subgroup diamonds
        come from ``result.subgroups`` and the interaction test from ``result.subgroup_test``.
    rob : DataFrame, optional
        RoB 2 judgements supplied by the user: one row per study (``study``/``study_id`` column or index),
        one column per domain (e.g. ``D1 … D5, Overall``), values ``low``, ``some concerns``, ``high``.
    pooled : result or mapping, optional
        A pooled estimate to draw as the diamond when ``result`` is a frame.
    instrument : str, optional
        Take the direction of benefit (and, with ``mcid=True``, the MCID) from ``outcome_scales``.
    higher_is_better : bool, optional
        Direction of benefit on the outcome; with effects computed as retro minus control, effects right
        of ``null`` favour retro when higher is better. Sets the "favours" labels.
    mcid : float or True, optional
        Shade effects smaller than the minimal clinically important difference (``±mcid`` around ``null``);
        ``True`` takes it from ``instrument``. Only meaningful for effects on the instrument's scale (MD).
    favours : (str, str)
        Names of the experimental and comparator arms for the "favours" labels.
    xlabel, title : str, optional
    null : float
        Line of no effect.
    digits : int
        Decimals printed.
    order : optional
        Order for ``variant="cumulative"`` (passed to ``result.cumulative``).
    show_weights, show_heterogeneity : bool
    xlim : (float, float), optional
    width : {"single", "double"} or float, optional
        Figure width for a new figure (chosen from the columns when omitted).

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry ids (``Artist.get_gid()``): ``study-squares`` (offsets = estimates, rows),
        ``study-cis``, ``pooled-diamond`` (vertices ``ci_low, estimate, ci_high``), ``prediction-interval``,
        ``subgroup-diamond:<name>``, ``mcid-band``.

    Examples
    --------
    >>> import pandas as pd
    >>> from retrostats.figures import forest_plot
    >>> df = pd.DataFrame({"study": ["a2019", "b2020", "c2021"], "yi": [-0.8, -0.3, -0.5],
    ...                    "vi": [0.10, 0.05, 0.08]})
    >>> ax = forest_plot(df, pooled={"estimate": -0.5, "ci_low": -0.8, "ci_high": -0.2},
    ...                  higher_is_better=False)
    >>> [a.get_gid() for a in ax.patches if a.get_gid()]
    ['pooled-diamond']
    """
    check_option("variant", variant, ["standard", "cumulative", "leave_one_out"])
    if higher_is_better is None and instrument is not None:
        higher_is_better = scale_direction(instrument)[0]
    if mcid is True:
        if instrument is None:
            raise ValueError("mcid=True needs instrument= to look the MCID up in outcome_scales.")
        mcid = scale_direction(instrument)[1]
    elif mcid is False:
        mcid = None
    is_frame = isinstance(result, pd.DataFrame)
    if variant == "standard":
        rows = study_rows(result, labels=labels)
        ref = None
        pool = pooled_from(pooled if pooled is not None else (None if is_frame else result))
    else:
        rows, ref = _variant_rows(result, variant, order, digits)
        pool = pooled_from(pooled if pooled is not None else ref) if variant == "leave_one_out" else None
    extra = data if data is not None else (result if is_frame else None)
    if extra is not None and len(extra) != len(rows.labels):
        raise ValueError(f"data has {len(extra)} rows but there are {len(rows.labels)} studies; align them.")

    # ---- text columns: (key, header, width_mm, values)
    left: list[tuple[str, str, float, list[str]]] = []
    row_labels = list(rows.labels) + ["Prediction interval" if pool is not None else ""]
    if pool is not None:
        row_labels.append(pool.label + "  ")  # bold
    if subgroup is not None:
        row_labels.append("Subtotal (k = 10; I\u00b2 = 10%)")
    lab_w = min(52.0, 2.0 + 1.3 * max(len(s) for s in row_labels + ["Study"]))
    left.append(("label", "Study", lab_w, list(rows.labels)))
    super_headers: list[tuple[str, int, int]] = []
    if arms is None:
        arms = extra is not None and all(c in extra.columns for c in _ARMS)
    if arms:
        if extra is None or not all(c in extra.columns for c in _ARMS):
            raise ValueError(f"arms=True needs columns {list(_ARMS)} in data (or in the frame).")
        for j, (m, s, n) in enumerate((_ARMS[:3], _ARMS[3:])):
            super_headers.append((str(arm_labels[j]), len(left), len(left) + 2))
            for key, head in ((m, "Mean"), (s, "SD"), (n, "N")):
                left.append(
                    (
                        key,
                        head,
                        7.0 if key.startswith("n") else 9.0,
                        [_fmt(v, digits, key.startswith("n")) for v in extra[key]],
                    )
                )
    if columns is not None:
        if extra is None:
            raise ValueError("columns= needs data= (or a frame) holding those columns.")
        items = columns.items() if isinstance(columns, Mapping) else [(c, c) for c in columns]
        for key, head in items:
            if key not in extra.columns:
                raise ValueError(
                    f"columns: {key!r} is not a column of the data; columns are {list(extra.columns)}."
                )
            integer = pd.api.types.is_integer_dtype(extra[key])
            vals = [_fmt(v, digits, integer) for v in extra[key]]
            left.append((key, str(head), 2.0 + 1.3 * max(len(str(head)), *(len(v) for v in vals)), vals))
    has_w = show_weights and np.isfinite(rows.weight).any()
    right: list[tuple[str, str, float, list[str]]] = []
    if has_w:
        right.append(("weight", "Weight", 12.0, [f"{w:.1f}%" if np.isfinite(w) else "" for w in rows.weight]))
    level = getattr(result, "confidence_level", 0.95) if not is_frame else 0.95
    ci_txt = [_ci_text(e, lo, hi, digits) for e, lo, hi in zip(rows.estimate, rows.ci_low, rows.ci_high)]
    longest = max(
        [len(t) for t in ci_txt]
        + [len(_ci_text(pool.estimate, pool.ci_low, pool.ci_high, digits)) if pool is not None else 0, 18]
    )
    right.append(("ci", f"Estimate [{100 * level:g}% CI]", 3.0 + 1.3 * longest, ci_txt))
    rob_frame = normalise_rob(rob, rows.labels) if rob is not None else None
    rob_w = 4.0 * rob_frame.shape[1] + 2 if rob_frame is not None else 0.0

    # ---- the row layout, top to bottom
    layout: list[dict[str, Any]] = []
    groups = None
    if subgroup is not None:
        if isinstance(subgroup, str):
            if extra is None or subgroup not in extra.columns:
                raise ValueError(f"subgroup={subgroup!r} must be a column of data= (or of the frame).")
            groups = [str(g) for g in extra[subgroup]]
        else:
            groups = [str(g) for g in subgroup]
        if len(groups) != len(rows.labels):
            raise ValueError(f"subgroup has {len(groups)} values but there are {len(rows.labels)} studies.")
    sub_table = getattr(result, "subgroups", None) if not is_frame else None
    if groups is None:
        layout += [{"kind": "study", "i": i} for i in range(len(rows.labels))]
    else:
        for g in group_order(groups):
            layout.append({"kind": "header", "label": g})
            layout += [{"kind": "study", "i": i} for i in range(len(groups)) if groups[i] == g]
            if sub_table is not None and g in {str(x) for x in sub_table.index}:
                srow = sub_table.loc[[x for x in sub_table.index if str(x) == g][0]]
                layout.append(
                    {
                        "kind": "subdiamond",
                        "label": f"Subtotal (k = {int(srow['k'])}; I\u00b2 = {float(srow['i2']):.0f}%)",
                        "group": g,
                        "pooled": Pooled(
                            float(srow["estimate"]), float(srow["ci_low"]), float(srow["ci_high"])
                        ),
                    }
                )
            layout.append({"kind": "blank"})
    if pool is not None:
        layout.append({"kind": "diamond", "label": pool.label, "pooled": pool})
        if np.isfinite(pool.pi_low) and np.isfinite(pool.pi_high):
            layout.append({"kind": "pi", "label": "Prediction interval", "pooled": pool})
    if ref is not None and variant == "cumulative":
        layout.append(
            {
                "kind": "text",
                "label": f"Final estimate {_ci_text(ref.estimate, ref.ci_low, ref.ci_high, digits)}",
            }
        )
    if show_heterogeneity and not is_frame and variant == "standard":
        txt = heterogeneity_text(result)
        if txt:
            layout.append({"kind": "text", "label": txt})
        test = getattr(result, "subgroup_test", None)
        if groups is not None and test:
            p = test["p_value"]
            layout.append(
                {
                    "kind": "text",
                    "label": "Test for subgroup differences: "
                    f"Q = {test['q']:.2f}, df = {test['df']}, "
                    + ("p < 0.001" if p < 0.001 else f"p = {p:.3f}"),
                }
            )
    n_rows = len(layout)
    n_head = 2 if super_headers else 1

    # ---- geometry
    left_mm = sum(c[2] for c in left) + 1.0
    right_mm = sum(c[2] for c in right) + rob_w + 1.0
    if ax is None:
        import matplotlib.pyplot as plt

        if width is None:
            width = "single" if left_mm + right_mm + 38 <= 85 else "double"
        fig_w_mm = figure_width_inches(width) * MM
        plot_mm = max(30.0, fig_w_mm - left_mm - right_mm - 3)
        axes_h = (n_rows + n_head + 0.9) * _ROW_MM
        fig_h_mm = axes_h + 17 + (5 if title else 0)
        with style_context():
            fig = plt.figure(figsize=(fig_w_mm / MM, fig_h_mm / MM))
            ax = fig.add_axes(
                ((left_mm + 1) / fig_w_mm, 15 / fig_h_mm, plot_mm / fig_w_mm, axes_h / fig_h_mm)
            )
    else:
        fig = ax.figure
        plot_mm = ax.get_position().width * fig.get_size_inches()[0] * MM

    with style_context():
        _draw(
            ax,
            rows,
            layout,
            left,
            right,
            super_headers,
            rob_frame,
            n_head,
            plot_mm,
            pool,
            ref,
            variant,
            higher_is_better,
            mcid,
            favours,
            xlabel,
            null,
            xlim,
            title,
            n_rows,
            right_mm - rob_w,
            digits,
        )
    return ax


def _draw(
    ax,
    rows,
    layout,
    left,
    right,
    super_headers,
    rob_frame,
    n_head,
    plot_mm,
    pool,
    ref,
    variant,
    higher_is_better,
    mcid,
    favours,
    xlabel,
    null,
    xlim,
    title,
    n_rows,
    right_text_mm,
    digits,
) -> None:
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Polygon
    from matplotlib.transforms import blended_transform_factory

    ink = "#222222"
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
        ax.text(
            null,
            n_rows + 0.55,
            f"|effect| < MCID ({abs(mcid):g})",
            ha="center",
            va="bottom",
            fontsize=5.5,
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

    x = -sum(c[2] for c in left) - 1.0
    head_y = n_rows + 1.0
    for c, (key, head, wmm, vals) in enumerate(left):
        is_label = key == "label"
        xpos = mm(x + 0.5) if is_label else mm(x + wmm - 0.8)
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
                fontsize=5.8 if r["kind"] == "text" else None,
            )
        for name, c0, c1 in super_headers:
            if c0 == c:
                span_mm = sum(cc[2] for cc in left[c0 : c1 + 1])
                ax.text(
                    mm(x + span_mm / 2),
                    head_y + 1.0,
                    name,
                    transform=trans,
                    ha="center",
                    va="center",
                    fontweight="bold",
                    clip_on=False,
                )
        x += wmm
    x = plot_mm + 1.0
    for key, head, wmm, vals in right:
        xpos = mm(x + wmm - 0.5)
        ax.text(
            xpos, head_y, head, transform=trans, ha="right", va="center", fontweight="bold", clip_on=False
        )
        for j, r in enumerate(layout):
            if r["kind"] == "study":
                txt = vals[r["i"]]
            elif key == "ci" and r["kind"] in ("diamond", "subdiamond"):
                p = r["pooled"]
                txt = _ci_text(p.estimate, p.ci_low, p.ci_high, digits)
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
            x0_frac=mm(x + 2.0),
            step_frac=mm(4.0),
            head_y=head_y,
            trans=trans,
        )

    # axes furniture
    ax.spines[["left", "right", "top"]].set_visible(False)
    ax.set_yticks([])
    ax.spines["bottom"].set_bounds(*ax.get_xlim())
    ax.set_xlabel(
        xlabel or ("Effect (retro \u2212 control)" if variant == "standard" else "Pooled estimate"),
        labelpad=11 if higher_is_better is not None else 3,
    )
    if higher_is_better is not None:
        exp_, comp = (str(f) for f in favours)
        left_txt, right_txt = (comp, exp_) if higher_is_better else (exp_, comp)
        tr = blended_transform_factory(ax.transData, ax.transAxes)
        ax.annotate(
            f"\u2190 favours {left_txt}",
            xy=(null, 0),
            xycoords=tr,
            xytext=(-3, -15),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=5.8,
            annotation_clip=False,
        )
        ax.annotate(
            f"favours {right_txt} \u2192",
            xy=(null, 0),
            xycoords=tr,
            xytext=(3, -15),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=5.8,
            annotation_clip=False,
        )
    if title:
        ax.set_title(title, loc="left", x=-(sum(c[2] for c in left) + 1.0) / plot_mm, pad=4)
