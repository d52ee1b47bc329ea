"""Forest plots: weighted squares, pooled diamond, prediction interval, arm columns, subgroups, MCID shading,
direction labels, RoB 2 columns, and cumulative / leave-one-out variants.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..measures import axis_label, meaning_of
from ..validators import _suggest, check_option
from ._base import MM, figure_width_inches, remember_layout, style_context
from ._forest_draw import ci_text, draw_forest
from ._forest_layout import Column, fit_forest
from ._rows import Pooled, group_order, heterogeneity_text, pooled_from, study_rows
from .rob import normalise_rob

__all__ = ["forest_plot", "scale_direction"]

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
            f"{_suggest(instrument, scales.index)}"
        )
    row = scales.loc[instrument]
    hib = row["higher_is_better"]
    return (bool(hib) if not pd.isna(hib) else None), float(row["mcid"])


def _reports_pi(result: Any) -> bool:
    """Whether the result's preset reports a prediction interval (results without a preset do)."""
    from ..meta.presets import PRESETS

    preset = getattr(result, "preset", None)
    return preset is None or preset not in PRESETS or bool(PRESETS[preset].prediction_interval)


def _favour_pair(arm: str, favours: Sequence[str]) -> tuple[str, str]:
    """(experimental, comparator) names for oriented effects: the arm a positive value favours first."""
    names = [str(f) for f in favours]
    if arm in names:
        return arm, names[1 - names.index(arm)] if len(names) == 2 else "comparator"
    return arm, names[1] if len(names) == 2 and names[1] != arm else "comparator"


def _fmt(v: Any, digits: int, integer: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, str):
        return v
    v = float(v)
    return f"{v:.0f}" if integer and v.is_integer() else f"{v:.{digits}f}"


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
    subgroup : str, sequence or False, optional
        Each study's subgroup (a column of ``data``/the frame, or values in study order). Subgroup diamonds
        come from ``result.subgroups`` and the interaction test from ``result.subgroup_test``. By default
        a result of ``meta_analysis(..., subgroup=...)`` is grouped by its stored ``subgroup_labels``;
        ``False`` draws it ungrouped.
    rob : DataFrame, optional
        RoB 2 judgements supplied by the user: one row per study (``study``/``study_id`` column or index),
        one column per domain (e.g. ``D1 … D5, Overall``), values ``low``, ``some concerns``, ``high``.
    pooled : result or mapping, optional
        A pooled estimate to draw as the diamond when ``result`` is a frame.
    instrument : str, optional
        Take the direction of benefit (and, with ``mcid=True``, the MCID) from ``outcome_scales``. When the
        effects are oriented (the result's ``favours``, or a frame's ``favours`` column, reads
        ``"positive favours <arm>"``, as :func:`retrostats.registry_effect_sizes` writes it), the direction
        comes from that orientation and the instrument only gives the MCID.
    higher_is_better : bool, optional
        Direction of benefit on the outcome; with effects computed as retro minus control, effects right
        of ``null`` favour retro when higher is better. Sets the "favours" labels. Oriented effects take
        it from their orientation (``False`` is refused for them).
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
    call_kwargs = {k: v for k, v in locals().items() if k not in ("result", "ax")}
    check_option("variant", variant, ["standard", "cumulative", "leave_one_out"])
    meaning = meaning_of(result, data)
    if meaning.favours is not None:
        if higher_is_better is False:
            raise ValueError(
                f"the effects are oriented (positive favours {meaning.favours}); higher_is_better=False "
                "contradicts that: drop it."
            )
        higher_is_better = True  # positive favours the oriented arm, whatever the instrument's direction
        favours = _favour_pair(meaning.favours, favours)
    elif higher_is_better is None and instrument is not None:
        higher_is_better = scale_direction(instrument)[0]
    if xlabel is None and variant == "standard":
        xlabel = axis_label(meaning, favours)
    if mcid is True:
        if instrument is None:
            raise ValueError("mcid=True needs instrument= to look the MCID up in outcome_scales.")
        mcid = scale_direction(instrument)[1]
    elif mcid is False:
        mcid = None
    is_frame = isinstance(result, pd.DataFrame)
    if subgroup is False:
        subgroup = None
    elif subgroup is None and variant == "standard" and not is_frame:
        subgroup = list(getattr(result, "subgroup_labels", ())) or None
    if variant == "standard":
        rows = study_rows(result, labels=labels)
        ref = None
        pool = pooled_from(pooled if pooled is not None else (None if is_frame else result))
    else:
        rows, ref = _variant_rows(result, variant, order, digits)
        pool = pooled_from(pooled if pooled is not None else ref) if variant == "leave_one_out" else None
    if pool is not None and not is_frame and not _reports_pi(result):
        pool.pi_low = pool.pi_high = math.nan  # the preset does not report a prediction interval
    extra = data if data is not None else (result if is_frame else None)
    if extra is not None and len(extra) != len(rows.labels):
        raise ValueError(f"data has {len(extra)} rows but there are {len(rows.labels)} studies; align them.")

    # ---- text columns (sized from their text by fit_forest)
    arm_cols: list[tuple[str, list[Column]]] = []
    if arms is None:
        arms = extra is not None and all(c in extra.columns for c in _ARMS)
    if arms:
        if extra is None or not all(c in extra.columns for c in _ARMS):
            raise ValueError(f"arms=True needs columns {list(_ARMS)} in data (or in the frame).")
        for j, keys in enumerate((_ARMS[:3], _ARMS[3:])):
            arm_cols.append(
                (
                    str(arm_labels[j]),
                    [
                        Column(key, head, tuple(_fmt(v, digits, key.startswith("n")) for v in extra[key]))
                        for key, head in zip(keys, ("Mean", "SD", "N"))
                    ],
                )
            )
    extra_cols: list[Column] = []
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
            extra_cols.append(Column(key, str(head), tuple(_fmt(v, digits, integer) for v in extra[key])))
    has_w = show_weights and np.isfinite(rows.weight).any()
    right: list[Column] = []
    if has_w:
        right.append(
            Column(
                "weight",
                "Weight",
                tuple(f"{w:.1f}%" if np.isfinite(w) else "" for w in rows.weight),
                bold_extra=("100%",) if pool is not None else (),
            )
        )
    level = getattr(result, "confidence_level", 0.95) if not is_frame else 0.95
    ci_txt = tuple(ci_text(e, lo, hi, digits) for e, lo, hi in zip(rows.estimate, rows.ci_low, rows.ci_high))
    pooled_txt = (ci_text(pool.estimate, pool.ci_low, pool.ci_high, digits),) if pool is not None else ()
    right.append(Column("ci", f"Estimate [{100 * level:g}% CI]", ci_txt, bold_extra=pooled_txt))
    rob_frame = normalise_rob(rob, rows.labels) if rob is not None else None

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
                "label": f"Final estimate {ci_text(ref.estimate, ref.ci_low, ref.ci_high, digits)}",
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
    # ---- geometry: fit the columns to the width, then make the figure
    given_plot = None
    if ax is not None:
        fig = ax.figure
        given_plot = ax.get_position().width * fig.get_size_inches()[0] * MM
        width = fig.get_size_inches()[0] * MM
    elif width is not None:
        width = figure_width_inches(width) * MM
    fit, keep_rob, _ = fit_forest(
        labels=[str(s) for s in rows.labels],
        rows=layout,
        left_extra=extra_cols,
        arms=arm_cols,
        right=right,
        rob_cols=rob_frame.shape[1] if rob_frame is not None else 0,
        width_mm=width,
        title=title,
        plot_mm_given=given_plot,
        xlabel=xlabel or ("Effect (retro \u2212 control)" if variant == "standard" else "Pooled estimate"),
    )
    if not keep_rob:
        rob_frame = None
    made_here = ax is None
    if ax is None:
        import matplotlib.pyplot as plt

        fig_h_mm, bottom_mm, axes_h = fit.height_mm()
        fig_w_mm = fit.fig_width_mm
        with style_context():
            fig = plt.figure(figsize=(fig_w_mm / MM, fig_h_mm / MM))
            ax = fig.add_axes(
                (fit.left_mm / fig_w_mm, bottom_mm / fig_h_mm, fit.plot_mm / fig_w_mm, axes_h / fig_h_mm)
            )
    with style_context({"font.size": fit.font_pt}):
        draw_forest(
            ax,
            rows,
            fit,
            rob_frame=rob_frame,
            pool=pool,
            ref=ref,
            variant=variant,
            higher_is_better=higher_is_better,
            mcid=mcid,
            favours=favours,
            xlabel=xlabel,
            null=null,
            xlim=xlim,
            digits=digits,
        )
    if made_here:
        kwargs = dict(call_kwargs)
        remember_layout(ax, lambda w_mm: forest_plot(result, **{**kwargs, "width": w_mm}))
    return ax
