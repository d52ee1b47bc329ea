"""Helpers shared by the reproduce steps: saving a step's figure, the warnings it raised, titles and notes."""

from __future__ import annotations

import html
from typing import Any

from .context import Context
from .html import figure_html

__all__ = ["F", "save_step_figure", "warnings_html", "panel_title", "p_text", "SYNTH_NOTE"]


class _Figures:
    """``retrostats.figures``, imported on first use: listing the steps (``--only``, the scheduler, the main
    process of a run with workers) then imports no plotting or statistics code.
    """

    def __getattr__(self, name: str) -> Any:
        from .. import figures

        return getattr(figures, name)


#: the figure functions, as ``F.forest_plot(...)``
F = _Figures()


def save_step_figure(
    ctx: Context, ax: Any, name: str, caption: str, *, width: str | None = None, synthetic: bool = False
) -> str:
    """Save a figure (PDF, SVG, PNG at 300 dpi), close it, record the files; return its report HTML.

    ``synthetic=True`` puts the visible "SYNTHETIC DATA" mark on the figure first.
    """
    if synthetic:
        from ..figures import mark_synthetic

        mark_synthetic(ax)
    files = F.save_figure(ax, ctx.figures / name, formats=("pdf", "svg", "png"), dpi=300, width=width, close=True)
    ctx.files.extend(files)
    ctx.cache.setdefault("figures", []).append((name, caption))
    return figure_html(files[-1], f"{name}: {caption}")


def warnings_html(caught: list) -> str:
    """The distinct messages of caught warnings as a report note ('' when there were none)."""
    msgs = list(dict.fromkeys(str(w.message) for w in caught))
    if not msgs:
        return ""
    return "<p class='note'>Warnings raised: " + "; ".join(html.escape(m) for m in msgs) + "</p>"


#: what every synthetic section and figure says about its data
SYNTH_NOTE = (
    "SYNTHETIC DEMONSTRATION: simulated trials made by retrostats.simulate_trial(); not evidence about "
    "retro walking."
)


def panel_title(ax: Any, text: str, loc: str = "left") -> None:
    """Set a panel title in the shipped style (titles added after a figure function returns)."""
    with F.style_context():
        ax.set_title(text, loc=loc)


def p_text(x: float) -> str:
    """A p-value as the report prints it."""
    return "< 0.001" if x < 0.001 else f"{x:.3f}"
