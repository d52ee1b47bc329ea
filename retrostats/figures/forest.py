"""Forest plots: weighted squares, pooled diamond, prediction interval, arm columns, subgroups, MCID shading,
direction labels, RoB 2 columns, ratio axes for log-scale measures, and cumulative / leave-one-out variants.

:func:`forest_plot` builds a :class:`ForestLayout` with :func:`forest_layout` (``_forest_build.py``: the
rows, columns and labels from the data and the measure registry; ``_forest_layout.py``: the geometry for the
figure width) and draws it (``_forest_draw.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ._base import MM, remember_layout, style_context
from ._forest_build import _DEFAULTS, forest_layout, scale_direction
from ._forest_draw import draw_forest
from ._forest_layout import ForestLayout

__all__ = ["forest_plot", "forest_layout", "scale_direction", "ForestLayout"]


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays, frames
        return False


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
    ratio_axis: bool | None = None,
    layout: ForestLayout | Mapping[str, Any] | None = None,
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
        it from their orientation (``False`` is refused for them). For binary measures (RR, OR, RD, ...)
        it says whether the event is a good one (a response: True) or a harm (False).
    mcid : float or True, optional
        Shade effects smaller than the minimal clinically important difference (``±mcid`` around ``null``);
        ``True`` takes it from ``instrument``. Only meaningful for effects on the instrument's scale (MD).
    favours : (str, str)
        Names of the experimental and comparator arms for the "favours" labels.
    xlabel, title : str, optional
    null : float
        Line of no effect, in the units of ``yi`` (on a ratio axis it is drawn at its back-transform:
        0 at a ratio of 1).
    digits : int
        Decimals printed.
    order : optional
        Order for ``variant="cumulative"`` (passed to ``result.cumulative``).
    show_weights, show_heterogeneity : bool
    xlim : (float, float), optional
        Axis limits in the axis' units (ratios on a ratio axis).
    width : {"single", "double"} or float, optional
        Figure width for a new figure (chosen from the columns when omitted).
    ratio_axis : bool, optional
        Draw effects of a log-scale measure (the registry's ``scale="log"``: OR, RR, PETO, ROM) as ratios
        on a log axis: the registry's back-transform of the numbers, ticks labelled as ratios
        (``0.5, 1, 2``), the line of no effect at 1 and the estimates column in ratios. By default on for
        those measures; ``False`` draws the log scale. A frame's numbers are read on the measure's own
        scale (log, as :func:`retrostats.effect_sizes` writes them), never as printed ratios.
    layout : ForestLayout or mapping, optional
        A layout from :func:`forest_layout` (drawn as it is; pass no other options), or field overrides
        applied to the layout built from the options (e.g. ``{"font_pt": 6.5, "favours_right": None}``;
        see :class:`ForestLayout` for the fields). Overrides are kept when :func:`save_figure` lays the
        figure out again for another width.

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

    Binary outcomes are drawn on a ratio axis, labelled by the measure registry:

    >>> import retrostats as rs
    >>> es = rs.effect_sizes(measure="OR", events1=[4, 6, 3], n1=[20, 20, 20], events2=[9, 10, 4],
    ...                      n2=[21, 20, 20])
    >>> ax = forest_plot(rs.meta_analysis(es), higher_is_better=True)
    >>> ax.get_xscale(), ax.get_xlabel()
    ('log', 'Odds ratio (retro vs control)')
    >>> sorted(t.get_text() for t in ax.texts if "favours" in t.get_text())
    ['favours retro →', '← favours control']

    A layout's fields can be changed before drawing:

    >>> from retrostats.figures import forest_layout
    >>> lay = forest_layout(df, higher_is_better=False).replace(favours_right="favours usual care →")
    >>> ax = forest_plot(df, layout=lay)
    """
    options = {k: v for k, v in locals().items() if k not in ("result", "ax", "layout")}
    if isinstance(layout, ForestLayout):
        changed = [k for k, v in options.items() if v is not _DEFAULTS[k] and not _same(v, _DEFAULTS[k])]
        if changed:
            raise ValueError(
                f"forest_plot() got a ForestLayout and options {changed}: a layout is drawn as it is; pass "
                "those options to forest_layout() (or change the layout's fields with layout.replace())."
            )
        lay, options, overrides = layout, dict(layout.build), dict(layout.overrides)
    else:
        if layout is not None and not isinstance(layout, Mapping):
            raise TypeError(
                f"layout must be a ForestLayout (from forest_layout()) or a mapping of its fields; got "
                f"{type(layout).__name__}."
            )
        overrides = dict(layout or {})
        lay = forest_layout(result, ax=ax, **options)
        if overrides:
            lay = lay.replace(**overrides)
    made_here = ax is None
    if ax is None:
        import matplotlib.pyplot as plt

        fig_h_mm, bottom_mm, axes_h = lay.height_mm()
        fig_w_mm = lay.fig_width_mm
        with style_context():
            fig = plt.figure(figsize=(fig_w_mm / MM, fig_h_mm / MM))
            ax = fig.add_axes(
                (lay.left_mm / fig_w_mm, bottom_mm / fig_h_mm, lay.plot_mm / fig_w_mm, axes_h / fig_h_mm)
            )
    with style_context({"font.size": lay.font_pt}):
        draw_forest(ax, lay)
    if made_here:
        remember_layout(ax, lambda w_mm: forest_plot(result, **{**options, "width": w_mm}, layout=overrides))
    return ax
