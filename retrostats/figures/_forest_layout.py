"""Layout of a forest plot for a given figure width: text columns sized from their text, fonts between 7 and
6 pt, labels abbreviated, arm columns compacted and footnotes wrapped until everything fits.

:func:`fit_forest` returns a :class:`ForestLayout` (everything :func:`~._forest_draw.draw_forest` needs);
``forest.py`` builds the rows and columns, ``_forest_draw.py`` draws them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

from ..exceptions import RetrostatsWarning
from ._layout import abbreviate, text_width_mm, wrap_to_width

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
    """Everything a forest plot's drawing needs, laid out for one figure width (all lengths in mm).

    ``rows`` lists the rows top to bottom as dicts (``kind``: ``study``, ``header``, ``subdiamond``,
    ``diamond``, ``pi``, ``text``, ``blank``); ``left``/``right`` are the text columns outside the plot;
    ``super_headers`` are ``(name, first, last)`` spans over left columns.
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

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_head(self) -> int:
        return 2 if self.super_headers else 1

    @property
    def title_lines(self) -> int:
        return 0 if not self.title else self.title.count("\n") + 1

    def height_mm(self) -> tuple[float, float, float]:
        """(figure height, axes bottom, axes height) in mm."""
        axes_h = (self.n_rows + self.n_head + 0.9) * ROW_MM
        bottom = 12.5 + 3.0 * self.xlabel.count("\n")
        top = 1.5 + 3.6 * self.title_lines
        return bottom + axes_h + top, bottom, axes_h


def _row_text(r: dict[str, Any]) -> tuple[str, bool]:
    return r["label"], r["kind"] in ("header", "diamond")


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

    def attempt(size: float, arm_mode: str, keep_rob: bool, label_max: float | None, W: float):
        notes = []
        study = list(labels)
        lrows = [dict(r) for r in rows]
        if label_max is not None:
            study = [abbreviate(s, label_max - _GAP, size) for s in labels]
            for r in lrows:
                if r["kind"] == "diamond" and text_width_mm(r["label"], size, bold=True) > label_max - _GAP:
                    head, _, rest = r["label"].partition(" (")
                    if rest:
                        r["label"] = head
                        notes.append(f"{head}: {rest.rstrip(')')}")
                if r["kind"] == "pi" and text_width_mm(r["label"], size) > label_max - _GAP:
                    r["label"] = "PI"
                    notes.append("PI: prediction interval")
                if r["kind"] in ("header", "diamond", "subdiamond", "pi"):
                    r["label"] = abbreviate(r["label"], label_max - _GAP, size, bold=r["kind"] != "pi")
            if study != list(labels):
                notes.append("study labels abbreviated")
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
        for name, cols in arms if arm_mode != "none" else []:
            if arm_mode == "compact":
                m, s, n = cols
                vals = tuple(f"{a} ({b})" if a and b else a or b for a, b in zip(m.values, s.values))
                cols = [Column(m.key + "_sd", "Mean (SD)", vals), n]
            supers.append((name, len(left), len(left) + len(cols) - 1))
            left += [c.measured(size) for c in cols]
        left += [c.measured(size) for c in left_extra]
        rgt = [c.measured(size) for c in right]
        rob_mm = _ROB_STEP * rob_cols + 1.0 if keep_rob and rob_cols else 0.0
        left_mm = sum(c.width_mm for c in left) + _EDGE
        right_mm = sum(c.width_mm for c in rgt) + rob_mm + _EDGE
        if plot_mm_given is not None:
            plot = plot_mm_given
        else:
            plot = W - left_mm - right_mm - 1.0
        ttl = wrap_to_width(title, W - 2 * _EDGE, 8.0, bold=True) if title else None
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

    def finish(layout: ForestLayout) -> ForestLayout:
        # footnotes (heterogeneity, tests, the pooled method) wrap to the figure width, one row per line
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

    arm_modes = ["full", "compact"] if arms else ["none"]
    if width_mm is None:
        for key in ("single", "double"):
            W = COLUMN_WIDTH_MM[key]
            for size in (7.0, 6.5):
                for mode in arm_modes:
                    lay, ok = attempt(size, mode, True, None, W)
                    if ok:
                        return finish(lay), True, bool(arms)
        width_mm = COLUMN_WIDTH_MM["double"]
    W = float(width_mm)
    for size in (7.0, 6.5, 6.0):
        for mode in arm_modes:
            lay, ok = attempt(size, mode, True, None, W)
            if ok:
                return finish(lay), True, bool(arms)
    # abbreviate labels: the label column gets what the other columns leave
    size = 6.0
    for keep_rob, mode in [(True, m) for m in arm_modes] + [(False, m) for m in arm_modes] + [(False, "none")]:
        lay, _ = attempt(size, mode, keep_rob, None, W)
        others = lay.left_mm - lay.left[0].width_mm + lay.right_mm
        room = W - others - _MIN_PLOT - 1.0
        if room >= _MIN_LABEL:
            lay, ok = attempt(size, mode, keep_rob, room, W)
            if ok:
                dropped = []
                if rob_cols and not keep_rob:
                    dropped.append("the risk-of-bias columns")
                if arms and mode == "none":
                    dropped.append("the arm columns (means, SDs, n)")
                if dropped:
                    warnings.warn(
                        f"forest_plot: {' and '.join(dropped)} do not fit {W:.0f} mm and are not drawn; "
                        "use width='double' (180 mm) to show them.",
                        RetrostatsWarning,
                        stacklevel=4,
                    )
                return finish(lay), keep_rob, mode != "none"
    raise ValueError(
        f"a forest plot of these columns does not fit {W:.0f} mm (even at 6 pt with abbreviated labels); "
        "use a wider figure (width='double' or a number of mm) or fewer columns."
    )
