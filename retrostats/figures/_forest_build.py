"""Build a :class:`~._forest_layout.ForestLayout` from a result (or a frame) and the measure registry: the
direction of benefit and the "favours" labels, the ratio axis of log-scale measures, the text columns, the
rows (studies, subgroups, diamonds, prediction interval, footnotes) and, through
:func:`~._forest_layout.fit_forest`, the geometry for the figure width. No statistics are computed: a ratio
axis shows the registry's back-transform of the numbers the result holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..measures import MEASURES, EffectMeaning, Measure, axis_label, meaning_of
from ..validators import check_option, did_you_mean
from ._base import MM, figure_width_inches
from ._forest_layout import Column, ForestLayout, fit_forest
from ._rows import Pooled, StudyRows, group_order, heterogeneity_text, pooled_from, study_rows
from .rob import normalise_rob

__all__ = ["forest_layout", "scale_direction", "ci_text"]

_ARMS = ("m1", "sd1", "n1", "m2", "sd2", "n2")


def ci_text(est: float, lo: float, hi: float, digits: int) -> str:
    """``"est [lo, hi]"`` with ``digits`` decimals."""
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


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
            f"{did_you_mean(instrument, scales.index)}"
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


def _variant_rows(obj: Any, variant: str, order: Any) -> tuple[StudyRows, Any]:
    """Point rows for the cumulative / leave-one-out variants and the reference estimate."""
    from ._rows import _float

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


# ------------------------------------------------------------------------------------ meaning and direction
def _ratio_measure(meaning: EffectMeaning, ratio_axis: bool | None) -> Measure | None:
    """The measure whose back-transform labels a ratio axis, or None for a linear axis."""
    m = MEASURES.get(meaning.measure) if meaning.measure else None
    ratio = m is not None and m.scale == "log" and m.back_transform is not None
    if ratio_axis and not ratio:
        raise ValueError(
            "ratio_axis=True needs effects of a measure on the log scale with a back-transform (OR, RR, ROM, "
            f"...; from the result's or the frame's 'measure'); these are {meaning.measure or 'of no measure'}."
        )
    return m if ratio and ratio_axis is not False else None


def _direction(result: Any, data: Any, opts: dict[str, Any]) -> tuple[EffectMeaning, Any, tuple[str, str]]:
    """The effects' meaning, the direction of benefit and the (experimental, comparator) names."""
    meaning = meaning_of(result, data)
    higher_is_better, favours = opts["higher_is_better"], opts["favours"]
    if meaning.favours is not None:
        if higher_is_better is False:
            raise ValueError(
                f"the effects are oriented (positive favours {meaning.favours}); higher_is_better=False "
                "contradicts that: drop it."
            )
        higher_is_better = True  # positive favours the oriented arm, whatever the instrument's direction
        favours = _favour_pair(meaning.favours, favours)
    elif higher_is_better is None and opts["instrument"] is not None:
        higher_is_better = scale_direction(opts["instrument"])[0]
    return meaning, higher_is_better, favours


def _mcid(opts: dict[str, Any], ratio: Measure | None) -> float | None:
    mcid = opts["mcid"]
    if mcid is True:
        if opts["instrument"] is None:
            raise ValueError("mcid=True needs instrument= to look the MCID up in outcome_scales.")
        mcid = scale_direction(opts["instrument"])[1]
    elif mcid is False:
        mcid = None
    if mcid is not None and ratio is not None:
        raise ValueError(
            f"mcid= shades a band in instrument units, which does not apply to {ratio.label} effects drawn as "
            "ratios; drop mcid= (or pass ratio_axis=False to draw the log scale)."
        )
    return mcid


def _favours_texts(higher_is_better: Any, favours: Sequence[str]) -> tuple[str | None, str | None]:
    """The labels under the axis, left and right of the line of no effect (None without a direction)."""
    if higher_is_better is None:
        return None, None
    exp_, comp = (str(f) for f in favours)
    left_txt, right_txt = (comp, exp_) if higher_is_better else (exp_, comp)
    return f"\u2190 favours {left_txt}", f"favours {right_txt} \u2192"


def _pool_to_axis(p: Pooled | None, ratio: Measure | None) -> Pooled | None:
    """A pooled estimate in axis units: the registry's back-transform on a ratio axis (display only)."""
    if p is None or ratio is None:
        return p
    ends = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")
    return replace(p, **{k: ratio.back(getattr(p, k)) for k in ends})


def _rows_to_axis(rows: StudyRows, ratio: Measure | None) -> StudyRows:
    """Study rows in axis units: the registry's back-transform on a ratio axis (display only)."""
    if ratio is None:
        return rows
    b = ratio.back
    return StudyRows(
        rows.labels, b(rows.estimate), b(rows.ci_low), b(rows.ci_high), rows.weight, rows.marker, rows.extra
    )


# ------------------------------------------------------------------------------------------- text columns
def _arm_columns(extra: Any, arms: Any, arm_labels: Sequence[str], digits: int) -> list[tuple[str, list[Column]]]:
    if arms is None:
        arms = extra is not None and all(c in extra.columns for c in _ARMS)
    if not arms:
        return []
    if extra is None or not all(c in extra.columns for c in _ARMS):
        raise ValueError(f"arms=True needs columns {list(_ARMS)} in data (or in the frame).")
    return [
        (
            str(arm_labels[j]),
            [
                Column(key, head, tuple(_fmt(v, digits, key.startswith("n")) for v in extra[key]))
                for key, head in zip(keys, ("Mean", "SD", "N"))
            ],
        )
        for j, keys in enumerate((_ARMS[:3], _ARMS[3:]))
    ]


def _extra_columns(extra: Any, columns: Any, digits: int) -> list[Column]:
    if columns is None:
        return []
    if extra is None:
        raise ValueError("columns= needs data= (or a frame) holding those columns.")
    items = columns.items() if isinstance(columns, Mapping) else [(c, c) for c in columns]
    out = []
    for key, head in items:
        if key not in extra.columns:
            raise ValueError(f"columns: {key!r} is not a column of the data; columns are {list(extra.columns)}.")
        integer = pd.api.types.is_integer_dtype(extra[key])
        out.append(Column(key, str(head), tuple(_fmt(v, digits, integer) for v in extra[key])))
    return out


def _right_columns(rows: StudyRows, pool: Pooled | None, opts: dict[str, Any], level: float, ratio) -> list[Column]:
    digits = opts["digits"]
    right: list[Column] = []
    if opts["show_weights"] and np.isfinite(rows.weight).any():
        right.append(
            Column(
                "weight",
                "Weight",
                tuple(f"{w:.1f}%" if np.isfinite(w) else "" for w in rows.weight),
                bold_extra=("100%",) if pool is not None else (),
            )
        )
    ci_txt = tuple(ci_text(e, lo, hi, digits) for e, lo, hi in zip(rows.estimate, rows.ci_low, rows.ci_high))
    pooled_txt = (ci_text(pool.estimate, pool.ci_low, pool.ci_high, digits),) if pool is not None else ()
    # a ratio axis names the ratio by the initials of the registry's back label: OR, RR, ROM
    name = "Estimate" if ratio is None else "".join(w[0] for w in ratio.back_label.split()).upper()
    right.append(Column("ci", f"{name} [{100 * level:g}% CI]", ci_txt, bold_extra=pooled_txt))
    return right


# ------------------------------------------------------------------------------------------------ the rows
def _groups(subgroup: Any, extra: Any, n: int) -> list[str] | None:
    if subgroup is None:
        return None
    if isinstance(subgroup, str):
        if extra is None or subgroup not in extra.columns:
            raise ValueError(f"subgroup={subgroup!r} must be a column of data= (or of the frame).")
        groups = [str(g) for g in extra[subgroup]]
    else:
        groups = [str(g) for g in subgroup]
    if len(groups) != n:
        raise ValueError(f"subgroup has {len(groups)} values but there are {n} studies.")
    return groups


def _subgroup_rows(groups: list[str], sub_table: Any, ratio: Measure | None) -> list[dict[str, Any]]:
    plan: list[dict[str, Any]] = []
    for g in group_order(groups):
        plan.append({"kind": "header", "label": g})
        plan += [{"kind": "study", "i": i} for i in range(len(groups)) if groups[i] == g]
        if sub_table is not None and g in {str(x) for x in sub_table.index}:
            srow = sub_table.loc[[x for x in sub_table.index if str(x) == g][0]]
            p = Pooled(float(srow["estimate"]), float(srow["ci_low"]), float(srow["ci_high"]))
            plan.append(
                {
                    "kind": "subdiamond",
                    "label": f"Subtotal (k = {int(srow['k'])}; I\u00b2 = {float(srow['i2']):.0f}%)",
                    "group": g,
                    "pooled": _pool_to_axis(p, ratio),
                }
            )
        plan.append({"kind": "blank"})
    return plan


def _footnotes(result: Any, groups: Any, ref: Pooled | None, opts: dict[str, Any], is_frame: bool):
    plan: list[dict[str, Any]] = []
    digits, variant = opts["digits"], opts["variant"]
    if ref is not None and variant == "cumulative":
        final = ci_text(ref.estimate, ref.ci_low, ref.ci_high, digits)
        plan.append({"kind": "text", "label": f"Final estimate {final}"})
    if opts["show_heterogeneity"] and not is_frame and variant == "standard":
        txt = heterogeneity_text(result)
        if txt:
            plan.append({"kind": "text", "label": txt})
        test = getattr(result, "subgroup_test", None)
        if groups is not None and test:
            p = test["p_value"]
            plan.append(
                {
                    "kind": "text",
                    "label": "Test for subgroup differences: "
                    f"Q = {test['q']:.2f}, df = {test['df']}, " + ("p < 0.001" if p < 0.001 else f"p = {p:.3f}"),
                }
            )
    return plan


def _row_plan(result: Any, groups: Any, pool: Pooled | None, ref: Pooled | None, n: int, opts, ratio, is_frame):
    """The rows top to bottom: studies (grouped, with subtotals), the diamond, the PI, footnotes."""
    if groups is None:
        plan = [{"kind": "study", "i": i} for i in range(n)]
    else:
        plan = _subgroup_rows(groups, getattr(result, "subgroups", None) if not is_frame else None, ratio)
    if pool is not None:
        plan.append({"kind": "diamond", "label": pool.label, "pooled": pool})
        if np.isfinite(pool.pi_low) and np.isfinite(pool.pi_high):
            plan.append({"kind": "pi", "label": "Prediction interval", "pooled": pool})
    return plan + _footnotes(result, groups, ref, opts, is_frame)


# ------------------------------------------------------------------------------------------------ assembly
def _studies(result: Any, opts: dict[str, Any], is_frame: bool):
    """Study rows, the pooled estimate (None without one) and the reference estimate of the variants."""
    variant, pooled = opts["variant"], opts["pooled"]
    if variant == "standard":
        rows = study_rows(result, labels=opts["labels"])
        ref = None
        pool = pooled_from(pooled if pooled is not None else (None if is_frame else result))
    else:
        rows, ref = _variant_rows(result, variant, opts["order"])
        pool = pooled_from(pooled if pooled is not None else ref) if variant == "leave_one_out" else None
    if pool is not None and not is_frame and not _reports_pi(result):
        pool.pi_low = pool.pi_high = math.nan  # the preset does not report a prediction interval
    return rows, pool, (pooled_from(ref) if ref is not None else None)


def _subgroup_option(result: Any, opts: dict[str, Any], is_frame: bool) -> Any:
    subgroup = opts["subgroup"]
    if subgroup is False:
        return None
    if subgroup is None and opts["variant"] == "standard" and not is_frame:
        return list(getattr(result, "subgroup_labels", ())) or None
    return subgroup


def _width(ax: Any, width: Any) -> tuple[float | None, float | None]:
    """(figure width, plot width) in mm: a given Axes' sizes, or the width asked for."""
    if ax is not None:
        fig = ax.figure
        return fig.get_size_inches()[0] * MM, ax.get_position().width * fig.get_size_inches()[0] * MM
    return (figure_width_inches(width) * MM if width is not None else None), None


def _fallback_xlabel(variant: str, ratio: Measure | None) -> str:
    if variant == "standard":
        return "Effect (retro \u2212 control)"
    return "Pooled estimate" if ratio is None else f"Pooled {ratio.back_label}"


_DEFAULTS: dict[str, Any] = dict(
    variant="standard", labels=None, data=None, columns=None, arms=None, arm_labels=("Retro", "Control"),
    subgroup=None, rob=None, pooled=None, instrument=None, higher_is_better=None, mcid=None,
    favours=("retro", "control"), xlabel=None, null=0.0, digits=2, order=None, show_weights=True,
    show_heterogeneity=True, xlim=None, width=None, title=None, ratio_axis=None,
)


def forest_layout(result: Any, *, ax: Any = None, **options: Any) -> ForestLayout:
    """The layout of a forest plot of ``result``, built from the data and the measure registry.

    Everything :func:`forest_plot` draws (columns with their headers and widths, fonts, the axis and
    "favours" labels, the ratio axis, the rows, the geometry for the figure width) as one
    :class:`ForestLayout`; change fields with :meth:`ForestLayout.replace` and draw it with
    ``forest_plot(result, layout=...)``.

    Parameters
    ----------
    result : MetaAnalysisResult or DataFrame
        As for :func:`forest_plot`.
    ax : Axes, optional
        Lay out for this Axes (its figure's width and its own width as the plot area).
    **options
        The keyword arguments of :func:`forest_plot` (``variant``, ``labels``, ``data``, ``columns``,
        ``arms``, ``arm_labels``, ``subgroup``, ``rob``, ``pooled``, ``instrument``, ``higher_is_better``,
        ``mcid``, ``favours``, ``xlabel``, ``null``, ``digits``, ``order``, ``show_weights``,
        ``show_heterogeneity``, ``xlim``, ``width``, ``title``, ``ratio_axis``).

    Returns
    -------
    ForestLayout

    Raises
    ------
    ValueError
        An unknown option, or the errors :func:`forest_plot` names.

    Notes
    -----
    On a ratio axis (measures whose registry scale is ``log`` and which have a back-transform, e.g. OR, RR,
    ROM; ``ratio_axis=None`` chooses it) every number drawn or printed is the registry's back-transform of
    the result's (as metafor's ``forest(..., atransf=exp)`` labels a log-scale fit); validated against the
    result's own numbers in ``tests/test_forest_layout.py`` (markers, intervals, diamond and printed
    estimates equal ``exp`` of the estimates and interval ends).

    Examples
    --------
    >>> import retrostats as rs
    >>> es = rs.effect_sizes(measure="RR", events1=[4, 6], n1=[20, 20], events2=[9, 10], n2=[21, 20])
    >>> lay = forest_layout(rs.meta_analysis(es))
    >>> lay.xscale, lay.null, lay.xlabel, lay.right[-1].header
    ('log', 1.0, 'Risk ratio (retro vs control)', 'RR [95% CI]')
    """
    unknown = [k for k in options if k not in _DEFAULTS]
    if unknown:
        raise ValueError(
            f"forest_layout() got unknown option(s) {unknown}; options are {list(_DEFAULTS)}."
            f"{did_you_mean(unknown[0], _DEFAULTS)}"
        )
    opts = {**_DEFAULTS, **options}
    check_option("variant", opts["variant"], ["standard", "cumulative", "leave_one_out"])
    data, variant, is_frame = opts["data"], opts["variant"], isinstance(result, pd.DataFrame)
    meaning, higher_is_better, favours = _direction(result, data, opts)
    ratio = _ratio_measure(meaning, opts["ratio_axis"])
    xlabel = opts["xlabel"]
    if xlabel is None and variant == "standard":
        xlabel = axis_label(meaning, favours, back=ratio is not None)
    mcid = _mcid(opts, ratio)
    rows, pool, ref = _studies(result, opts, is_frame)
    rows, pool, ref = _rows_to_axis(rows, ratio), _pool_to_axis(pool, ratio), _pool_to_axis(ref, ratio)
    extra = data if data is not None else (result if is_frame else None)
    if extra is not None and len(extra) != len(rows.labels):
        raise ValueError(f"data has {len(extra)} rows but there are {len(rows.labels)} studies; align them.")
    level = getattr(result, "confidence_level", 0.95) if not is_frame else 0.95
    right = _right_columns(rows, pool, opts, level, ratio)
    rob = normalise_rob(opts["rob"], rows.labels) if opts["rob"] is not None else None
    groups = _groups(_subgroup_option(result, opts, is_frame), extra, len(rows.labels))
    plan = _row_plan(result, groups, pool, ref, len(rows.labels), opts, ratio, is_frame)
    width_mm, plot_mm = _width(ax, opts["width"])
    fit, keep_rob, _ = fit_forest(
        labels=[str(s) for s in rows.labels],
        rows=plan,
        left_extra=_extra_columns(extra, opts["columns"], opts["digits"]),
        arms=_arm_columns(extra, opts["arms"], opts["arm_labels"], opts["digits"]),
        right=right,
        rob_cols=rob.shape[1] if rob is not None else 0,
        width_mm=width_mm,
        title=opts["title"],
        plot_mm_given=plot_mm,
        xlabel=xlabel or _fallback_xlabel(variant, ratio),
    )
    left_txt, right_txt = _favours_texts(higher_is_better, favours)
    xlim = opts["xlim"]
    return replace(
        fit,
        favours_left=left_txt,
        favours_right=right_txt,
        null=ratio.back(opts["null"]) if ratio is not None else opts["null"],
        xscale="log" if ratio is not None else "linear",
        xlim=tuple(xlim) if xlim is not None else None,
        mcid=mcid,
        digits=opts["digits"],
        studies=rows,
        pooled=pool,
        reference=ref.estimate if ref is not None else None,
        pooled_line=pool is not None and variant == "standard",
        rob=rob if keep_rob else None,
        build=dict(options),
    )
