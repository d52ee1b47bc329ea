"""The layout of a forest plot (:class:`ForestLayout`) and its fitting to a figure width: text columns sized
from their text, fonts between 7 and 6 pt, labels abbreviated, arm columns compacted and footnotes wrapped
until everything fits.

:func:`retrostats.figures.forest_layout` (``_forest_build.py``) builds the rows and the columns from the data
and the measure registry and calls :func:`fit_forest` for the geometry; ``_forest_draw.py`` draws the result.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..exceptions import RetrostatsWarning
from ..validators import did_you_mean
from ._layout import MIN_FONT_PT, abbreviate, text_width_mm, wrap_to_width

__all__ = ["Column", "ForestLayout", "fit_forest", "ROW_MM"]

#: Height of one forest row in mm.
ROW_MM = 3.3
_GAP = 2.2  # mm between text columns
_MIN_PLOT = 26.0  # mm: narrowest plot area
_MIN_LABEL = 14.0  # mm: narrowest study-label column before arm columns are compacted / dropped
_ROB_STEP = 3.6  # mm per RoB 2 domain
_EDGE = 1.0  # mm kept free at the left and right figure edges
_FOOT_PT = 6.0


@dataclass(frozen=True)
class Column:
    """A text column of a forest plot: key, header, values per study, width (mm) and alignment."""

    key: str
    header: str
    values: tuple[str, ...]
    width_mm: float = 0.0
    bold_extra: tuple[str, ...] = ()  # bold texts drawn in the column (pooled row)

    def measured(self, size: float) -> Column:
        w = max(
            [text_width_mm(self.header, size, bold=True)]
            + [text_width_mm(v, size) for v in self.values]
            + [text_width_mm(v, size, bold=True) for v in self.bold_extra]
        )
        return replace(self, width_mm=w + _GAP)


@dataclass(frozen=True)
class ForestLayout:
    """Everything the drawing of a forest plot needs, laid out for one figure width (lengths in mm).

    Built by :func:`retrostats.figures.forest_layout` from the data and the measure registry, drawn by
    :func:`retrostats.figures.forest_plot` (``layout=``). Change fields with :meth:`replace` (or pass
    ``layout={"field": value, ...}`` to ``forest_plot``): those changes survive when
    :func:`~retrostats.figures.save_figure` lays the figure out again for another width. Changing a field
    does not fit the geometry again (a larger ``font_pt`` keeps the column widths measured for the fitted
    font); for another width pass ``width=`` to ``forest_layout``.

    Attributes
    ----------
    rows : tuple of dict
        The rows top to bottom (``kind``: ``study`` with the study's index ``i``; ``header``, ``subdiamond``,
        ``diamond`` and ``pi`` with a ``label`` and their ``pooled`` numbers; ``text`` footnotes; ``blank``).
    left, right : tuple of Column
        The text columns left of the plot (the study labels first) and right of it (weights, estimates),
        each with its ``header``, ``values`` and ``width_mm``.
    super_headers : tuple of (str, int, int)
        Headers spanning left columns ``first`` to ``last`` (the arm names over their mean/SD/n columns).
    labels : tuple of str
        Study labels as drawn (possibly abbreviated).
    font_pt : float
        Font size of the columns and rows; footnotes use ``foot_pt``, the favours and MCID labels
        ``small_pt``.
    fig_width_mm, left_mm, right_mm, rob_mm, plot_mm : float
        Figure width, the widths of the text left and right of the plot, the RoB columns, the plot itself.
    title : str or None
    notes : tuple of str
        What fitting changed (footnotes such as ``"PI: prediction interval"``).
    xlabel : str
        The axis label (wrapped to the figure width).
    favours_left, favours_right : str or None
        The direction labels under the axis (``"\u2190 favours retro"``); None draws none.
    null : float
        Where the line of no effect is drawn, in axis units (1 on a ratio axis).
    xscale : {"linear", "log"}
        ``"log"`` for a ratio axis (ticks labelled as ratios).
    xlim : (float, float) or None
        Axis limits in axis units; None: from everything drawn.
    mcid : float or None
        Half-width of the shaded MCID band around ``null``.
    digits : int
        Decimals of the numbers in the columns.
    row_mm, foot_pt : float
        Height of a row; font size of the footnotes.
    studies, pooled : StudyRows, Pooled or None
        The numbers drawn (in axis units), as read from the result.
    reference : float or None
        The full-data estimate drawn as a reference line (cumulative and leave-one-out variants).
    pooled_line : bool
        Draw a dashed line at the pooled estimate.
    rob : DataFrame or None
        RoB 2 judgements drawn right of the columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from retrostats.figures import forest_layout
    >>> df = pd.DataFrame({"study": ["a", "b"], "yi": [-0.8, -0.3], "vi": [0.10, 0.05]})
    >>> lay = forest_layout(df, higher_is_better=False)
    >>> [c.header for c in lay.left + lay.right], lay.favours_left, lay.font_pt
    (['Study', 'Estimate [95% CI]'], '\u2190 favours retro', 7.0)
    >>> lay.replace(font_pt=6.5).overrides
    {'font_pt': 6.5}
    """

    rows: tuple[dict[str, Any], ...]
    left: tuple[Column, ...]
    right: tuple[Column, ...]
    super_headers: tuple[tuple[str, int, int], ...]
    labels: tuple[str, ...]  # study labels as drawn (possibly abbreviated)
    font_pt: float
    fig_width_mm: float
    left_mm: float
    right_mm: float
    rob_mm: float
    plot_mm: float
    title: str | None
    notes: tuple[str, ...] = ()  # what the fitting changed (for warnings / tests)
    xlabel: str = ""  # wrapped to the figure width
    favours_left: str | None = None
    favours_right: str | None = None
    null: float = 0.0
    xscale: str = "linear"
    xlim: tuple[float, float] | None = None
    mcid: float | None = None
    digits: int = 2
    row_mm: float = ROW_MM
    foot_pt: float = _FOOT_PT
    studies: Any = field(default=None, repr=False)
    pooled: Any = field(default=None, repr=False)
    reference: float | None = None
    pooled_line: bool = False
    rob: Any = field(default=None, repr=False)
    build: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    overrides: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_head(self) -> int:
        return 2 if self.super_headers else 1

    @property
    def title_lines(self) -> int:
        return 0 if not self.title else self.title.count("\n") + 1

    @property
    def small_pt(self) -> float:
        """Font size of the favours and MCID labels (one point below ``font_pt``, at least 6 pt)."""
        return max(MIN_FONT_PT, self.font_pt - 1.0)

    def height_mm(self) -> tuple[float, float, float]:
        """(figure height, axes bottom, axes height) in mm."""
        axes_h = (self.n_rows + self.n_head + 0.9) * self.row_mm
        bottom = 12.5 + 3.0 * self.xlabel.count("\n")
        top = 1.5 + 3.6 * self.title_lines
        return bottom + axes_h + top, bottom, axes_h

    def replace(self, **changes: Any) -> ForestLayout:
        """A copy with ``changes`` applied and remembered (re-applied when the figure is laid out again).

        Raises
        ------
        ValueError
            A name that is not a field.
        """
        names = [f.name for f in fields(self) if f.name not in ("build", "overrides")]
        for key in changes:
            if key not in names:
                raise ValueError(f"ForestLayout has no field {key!r}; fields are {names}.{did_you_mean(key, names)}")
        return replace(self, **changes, overrides={**self.overrides, **changes})


@dataclass(frozen=True)
class _Spec:
    """What :func:`fit_forest` fits: the texts, before any abbreviation."""

    labels: list[str]
    rows: list[dict[str, Any]]
    left_extra: list[Column]
    arms: list[tuple[str, list[Column]]]
    right: list[Column]
    rob_cols: int
    title: str | None
    plot_mm_given: float | None


def _abbreviated(spec: _Spec, size: float, label_max: float) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Study labels and row labels cut to ``label_max`` (the pooled method and "PI" moved to footnotes)."""
    notes = []
    lrows = [dict(r) for r in spec.rows]
    study = [abbreviate(s, label_max - _GAP, size) for s in spec.labels]
    room = label_max - _GAP
    for r in lrows:
        if r["kind"] == "diamond" and text_width_mm(r["label"], size, bold=True) > room:
            head, _, rest = r["label"].partition(" (")
            if rest:
                r["label"] = head
                notes.append(f"{head}: {rest.rstrip(')')}")
        if r["kind"] == "pi" and text_width_mm(r["label"], size) > room:
            r["label"] = "PI"
            notes.append("PI: prediction interval")
        if r["kind"] in ("header", "diamond", "subdiamond", "pi"):
            r["label"] = abbreviate(r["label"], room, size, bold=r["kind"] != "pi")
    if study != list(spec.labels):
        notes.append("study labels abbreviated")
    return study, lrows, notes


def _left_columns(spec: _Spec, study: list[str], lrows: list[dict[str, Any]], size: float, arm_mode: str):
    """The measured left columns (labels, arms, extra columns) and the arm super-headers."""
    lab = Column(
        "label",
        "Study",
        tuple(study),
        bold_extra=tuple(r["label"] for r in lrows if r["kind"] in ("header", "diamond")),
    ).measured(size)
    plain = [r["label"] for r in lrows if r["kind"] in ("subdiamond", "pi")]
    lab = replace(lab, width_mm=max([lab.width_mm] + [text_width_mm(t, size) + _GAP for t in plain]))
    left = [lab]
    supers = []
    for name, cols in spec.arms if arm_mode != "none" else []:
        if arm_mode == "compact":
            m, s, n = cols
            vals = tuple(f"{a} ({b})" if a and b else a or b for a, b in zip(m.values, s.values))
            cols = [Column(m.key + "_sd", "Mean (SD)", vals), n]
        supers.append((name, len(left), len(left) + len(cols) - 1))
        left += [c.measured(size) for c in cols]
    left += [c.measured(size) for c in spec.left_extra]
    return left, supers


def _attempt(spec: _Spec, size: float, arm_mode: str, keep_rob: bool, label_max: float | None, W: float):
    """The layout at one font size / arm mode / RoB choice / label width, and whether its plot is wide enough."""
    if label_max is not None:
        study, lrows, notes = _abbreviated(spec, size, label_max)
    else:
        study, lrows, notes = list(spec.labels), [dict(r) for r in spec.rows], []
    left, supers = _left_columns(spec, study, lrows, size, arm_mode)
    rgt = [c.measured(size) for c in spec.right]
    rob_mm = _ROB_STEP * spec.rob_cols + 1.0 if keep_rob and spec.rob_cols else 0.0
    left_mm = sum(c.width_mm for c in left) + _EDGE
    right_mm = sum(c.width_mm for c in rgt) + rob_mm + _EDGE
    plot = spec.plot_mm_given if spec.plot_mm_given is not None else W - left_mm - right_mm - 1.0
    ttl = wrap_to_width(spec.title, W - 2 * _EDGE, 8.0, bold=True) if spec.title else None
    layout = ForestLayout(
        rows=tuple(lrows),
        left=tuple(left),
        right=tuple(rgt),
        super_headers=tuple(supers),
        labels=tuple(study),
        font_pt=size,
        fig_width_mm=W,
        left_mm=left_mm,
        right_mm=right_mm,
        rob_mm=rob_mm,
        plot_mm=plot,
        title=ttl,
        notes=tuple(notes),
    )
    return layout, plot >= _MIN_PLOT


def _finish(layout: ForestLayout, xlabel: str) -> ForestLayout:
    """Footnotes (heterogeneity, tests, the pooled method) and the axis label wrapped to the figure width."""
    avail = layout.fig_width_mm - 2 * _EDGE - 0.5
    out: list[dict[str, Any]] = []
    for r in layout.rows:
        if r["kind"] == "text":
            for line in wrap_to_width(r["label"], avail, _FOOT_PT, italic=True).split("\n"):
                out.append({"kind": "text", "label": line})
        else:
            out.append(r)
    for note in layout.notes:
        if note != "study labels abbreviated":
            for line in wrap_to_width(note, avail, _FOOT_PT, italic=True).split("\n"):
                out.append({"kind": "text", "label": line})
    wrapped = wrap_to_width(xlabel, layout.fig_width_mm - 2 * _EDGE - 1.0, 7.0) if xlabel else ""
    return replace(layout, rows=tuple(out), xlabel=wrapped)


def _abbreviating(spec: _Spec, W: float, arm_modes: list[str]) -> tuple[ForestLayout, bool, bool]:
    """At 6 pt, give the label column what the other columns leave, dropping RoB and arm columns if need be."""
    size = 6.0
    for keep_rob, mode in [(True, m) for m in arm_modes] + [(False, m) for m in arm_modes] + [(False, "none")]:
        lay, _ = _attempt(spec, size, mode, keep_rob, None, W)
        others = lay.left_mm - lay.left[0].width_mm + lay.right_mm
        room = W - others - _MIN_PLOT - 1.0
        if room < _MIN_LABEL:
            continue
        lay, ok = _attempt(spec, size, mode, keep_rob, room, W)
        if not ok:
            continue
        dropped = []
        if spec.rob_cols and not keep_rob:
            dropped.append("the risk-of-bias columns")
        if spec.arms and mode == "none":
            dropped.append("the arm columns (means, SDs, n)")
        if dropped:
            warnings.warn(
                f"forest_plot: {' and '.join(dropped)} do not fit {W:.0f} mm and are not drawn; "
                "use width='double' (180 mm) to show them.",
                RetrostatsWarning,
                stacklevel=5,
            )
        return lay, keep_rob, mode != "none"
    raise ValueError(
        f"a forest plot of these columns does not fit {W:.0f} mm (even at 6 pt with abbreviated labels); "
        "use a wider figure (width='double' or a number of mm) or fewer columns."
    )


def fit_forest(
    *,
    labels: list[str],
    rows: list[dict[str, Any]],
    left_extra: list[Column],
    arms: list[tuple[str, list[Column]]],
    right: list[Column],
    rob_cols: int,
    width_mm: float | None,
    title: str | None,
    plot_mm_given: float | None = None,
    xlabel: str = "",
) -> tuple[ForestLayout, bool, bool]:
    """Lay a forest plot out for ``width_mm`` (``None``: the narrowest journal width that fits).

    Returns the layout and whether the RoB columns and the arm columns are kept. Tries, in order: fonts
    7, 6.5 and 6 pt; arm columns as ``Mean (SD)`` and ``N``; abbreviated study labels (with the pooled
    method moved to a footnote); then drops the RoB columns and the arm columns with a warning.
    """
    from ._base import COLUMN_WIDTH_MM

    spec = _Spec(labels, rows, left_extra, arms, right, rob_cols, title, plot_mm_given)
    arm_modes = ["full", "compact"] if arms else ["none"]
    tries: list[tuple[float, float]] = []
    if width_mm is None:
        tries = [(COLUMN_WIDTH_MM[key], size) for key in ("single", "double") for size in (7.0, 6.5)]
        width_mm = COLUMN_WIDTH_MM["double"]
    W = float(width_mm)
    tries += [(W, size) for size in (7.0, 6.5, 6.0)]
    for w, size in tries:
        for mode in arm_modes:
            lay, ok = _attempt(spec, size, mode, True, None, w)
            if ok:
                return _finish(lay, xlabel), True, bool(arms)
    lay, keep_rob, keep_arms = _abbreviating(spec, W, arm_modes)
    return _finish(lay, xlabel), keep_rob, keep_arms
