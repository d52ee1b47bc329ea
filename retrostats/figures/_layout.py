"""Layout tools shared by the figure functions: text measurement, wrapping and abbreviation to a width in
millimetres, the "SYNTHETIC DATA" mark, and :func:`layout_problems`, the check that no text of a figure is
clipped by its edge, overlaps another text or is set below the minimum font size.
"""

from __future__ import annotations

import functools
import math
import textwrap
from typing import Any

from ._base import MM, mark_synthetic, style_context

__all__ = ["MIN_FONT_PT", "layout_problems", "mark_synthetic", "text_width_mm", "wrap_to_width", "abbreviate"]

#: Smallest font size any retrostats figure uses (journals ask for 6-7 pt at print size).
MIN_FONT_PT = 6.0
_PT_MM = MM / 72.0


@functools.lru_cache(maxsize=1)
def _renderer() -> Any:
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(10, 10, 720)  # 720 dpi (ten pixels a point): hinting does not distort the widths


@functools.lru_cache(maxsize=64)
def _font(size: float, bold: bool, italic: bool) -> Any:
    """The shipped style's font at ``size`` (made under the style once per size and weight: entering the style
    copies every rcParam, which took longer than measuring a text; nothing here changes the font).
    """
    from matplotlib.font_manager import FontProperties

    with style_context():
        return FontProperties(size=size, weight="bold" if bold else "normal", style="italic" if italic else "normal")


@functools.lru_cache(maxsize=8192)
def _width_pt(text: str, size: float, bold: bool, italic: bool) -> float:
    prop = _font(size, bold, italic)
    widest = max(
        (_renderer().get_text_width_height_descent(line, prop, ismath=False)[0] for line in text.split("\n")),
        default=0.0,
    )
    return widest / 10.0 * 1.03  # points, with 3% for hinting at screen resolutions


def text_width_mm(text: str, size: float = 7.0, *, bold: bool = False, italic: bool = False) -> float:
    """Width in millimetres of ``text`` (the longest of its lines) in the shipped font at ``size`` points.

    Examples
    --------
    >>> text_width_mm("Study 1") < text_width_mm("Study 1", bold=True) < text_width_mm("Study 10", bold=True)
    True
    """
    return _width_pt(str(text), float(size), bool(bold), bool(italic)) * _PT_MM


def abbreviate(text: str, width_mm: float, size: float = 7.0, *, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so that it fits ``width_mm`` (unchanged when it fits).

    Examples
    --------
    >>> abbreviate("Short", 40.0)
    'Short'
    >>> s = abbreviate("A very long study label that cannot fit", 20.0)
    >>> s.endswith("\u2026") and text_width_mm(s) <= 20.0
    True
    """
    text = str(text)
    if text_width_mm(text, size, bold=bold) <= width_mm:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if text_width_mm(text[:mid].rstrip() + "\u2026", size, bold=bold) <= width_mm:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "\u2026"


def wrap_to_width(
    text: str, width_mm: float, size: float = 7.0, *, bold: bool = False, italic: bool = False
) -> str:
    """``text`` with line breaks between words so that every line fits ``width_mm`` where possible.

    Examples
    --------
    >>> wrap_to_width("one two three four five six", 12.0).count(chr(10)) >= 2
    True
    >>> wrap_to_width("fits", 50.0)
    'fits'
    """
    out = []
    for para in str(text).split("\n"):
        if text_width_mm(para, size, bold=bold, italic=italic) <= width_mm:
            out.append(para)
            continue
        chars = max(8, len(para))
        while chars > 8:  # the widest character count whose wrapped lines all fit
            lines = textwrap.wrap(para, chars, break_long_words=False) or [""]
            if all(text_width_mm(t, size, bold=bold, italic=italic) <= width_mm for t in lines):
                break
            chars -= 1
        out.extend(textwrap.wrap(para, chars, break_long_words=False) or [""])
    return "\n".join(out)


def _drawn_texts(fig: Any) -> list[Any]:
    """Every visible, non-empty text the renderer draws (tick labels outside the view are skipped)."""
    from matplotlib.text import Text

    out = []
    tick_labels: set[int] = set()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_visible():
                continue
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) or 1.0
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                for lab in (tick.label1, tick.label2):
                    tick_labels.add(id(lab))
                    loc = tick.get_loc()
                    inside = loc is not None and lo - 1e-9 * span <= loc <= hi + 1e-9 * span
                    if inside and tick.get_visible() and lab.get_visible() and lab.get_text().strip():
                        out.append(lab)
    for t in fig.findobj(Text):
        if id(t) in tick_labels or not t.get_visible() or not t.get_text().strip():
            continue
        if (t.get_alpha() is not None and t.get_alpha() == 0) or t.axes is not None and not t.axes.get_visible():
            continue
        out.append(t)
    return out


def layout_problems(fig: Any, *, min_font: float = MIN_FONT_PT, tolerance_px: float = 0.5) -> list[str]:
    """Texts of a figure that are clipped by its edge, overlap another text, or are set below ``min_font``.

    The figure is laid out as the Agg renderer draws it (``Figure.draw_without_rendering``: every layout step
    of a draw, no pixels) and every drawn text's bounding box (``Text.get_window_extent``) is compared with the
    figure's and with the other texts'. An empty list means the layout is clean.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
    min_font : float
        Smallest allowed font size in points.
    tolerance_px : float
        Boxes may touch or overlap by this many pixels (at the figure's dpi) without being reported.

    Returns
    -------
    list of str
        One message per problem, naming the texts.

    Examples
    --------
    >>> import retrostats as rs
    >>> from retrostats.figures import funnel_plot
    >>> layout_problems(funnel_plot(rs.meta_analysis(yi=[0.1, 0.5, 0.3, 0.4], vi=[0.02, 0.03, 0.02, 0.05])))
    []
    """
    fig = getattr(fig, "figure", fig) if not hasattr(fig, "savefig") else fig
    if not hasattr(fig.canvas, "get_renderer"):  # a closed pyplot figure: draw it with Agg
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    # the text boxes are those of a full ``canvas.draw()`` (the same layout code runs, with the same Agg
    # renderer and text metrics) without rasterising the figure, which took 2/3 of the time
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    texts = _drawn_texts(fig)
    shapes = []
    problems = []
    for t in texts:
        bb = t.get_window_extent(renderer)
        patch = t.get_bbox_patch()
        if patch is not None:  # a text drawn in a box: the box must fit too
            from matplotlib.transforms import Bbox

            bb = Bbox.union([bb, patch.get_window_extent(renderer)])
        label = repr(t.get_text()[:40])
        if t.get_fontsize() < min_font - 1e-9:
            problems.append(f"font {t.get_fontsize():g} pt < {min_font:g} pt: {label}")
        if (
            bb.x0 < -tolerance_px
            or bb.y0 < -tolerance_px
            or bb.x1 > W + tolerance_px
            or bb.y1 > H + tolerance_px
        ):
            problems.append(
                f"clipped by the figure edge: {label} at x {bb.x0:.0f}..{bb.x1:.0f} of {W:.0f}, "
                f"y {bb.y0:.0f}..{bb.y1:.0f} of {H:.0f} px"
            )
        shapes.append((_corners(t, bb, renderer), label))
    for i, j in _pairs_to_check(shapes, tolerance_px):
        (a, la), (b, lb) = shapes[i], shapes[j]
        depth = _overlap_depth(a, b)
        if depth > tolerance_px:
            problems.append(f"texts overlap: {la} and {lb} (by {depth:.1f} px)")
    return problems


def _pairs_to_check(shapes: list, tolerance_px: float) -> list[tuple[int, int]]:
    """The pairs ``i < j`` (in order) whose axis-aligned boxes overlap by more than ``tolerance_px`` both ways.

    Two convex shapes penetrate no deeper than their boxes overlap along x or along y (moving one by either
    overlap separates them), so no other pair can overlap by more than the tolerance: skipping them changes
    nothing reported, and a figure with n texts needs a handful of exact tests instead of n (n - 1) / 2.
    """
    import numpy as np

    if len(shapes) < 2:
        return []
    corners = np.stack([np.asarray(c, dtype=float) for c, _ in shapes])  # (n, 4, 2)
    lo, hi = corners.min(axis=1), corners.max(axis=1)
    over = np.minimum(hi[:, None, :], hi[None, :, :]) - np.maximum(lo[:, None, :], lo[None, :, :])
    close = (over > tolerance_px).all(axis=2)
    i, j = np.nonzero(np.triu(close, k=1))
    return list(zip(i.tolist(), j.tolist()))


def _corners(t: Any, bb: Any, renderer: Any) -> Any:
    """The four corners (pixels) of a text's box, rotated like the text."""
    import numpy as np

    angle = math.radians(t.get_rotation() % 180)
    if abs(math.sin(angle)) < 1e-9:
        return np.array([[bb.x0, bb.y0], [bb.x1, bb.y0], [bb.x1, bb.y1], [bb.x0, bb.y1]])
    from matplotlib.text import Text

    probe = Text(0, 0, t.get_text(), fontproperties=t.get_fontproperties(), linespacing=t.get_linespacing())
    probe.set_figure(t.get_figure(root=True))
    ub = probe.get_window_extent(renderer)
    w, h = ub.width, ub.height
    c = np.array([(bb.x0 + bb.x1) / 2, (bb.y0 + bb.y1) / 2])
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    local = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
    return c + local @ rot.T


def _overlap_depth(a: Any, b: Any) -> float:
    """Smallest penetration of two convex quadrilaterals along their edge normals (0 when apart)."""
    import numpy as np

    depth = math.inf
    for poly in (a, b):
        for k in range(4):
            edge = poly[(k + 1) % 4] - poly[k]
            n = np.array([-edge[1], edge[0]])
            norm = float(np.hypot(*n))
            if norm == 0:
                continue
            n = n / norm
            pa, pb = a @ n, b @ n
            d = min(pa.max(), pb.max()) - max(pa.min(), pb.min())
            if d <= 0:
                return 0.0
            depth = min(depth, d)
    return 0.0 if depth == math.inf else float(depth)
