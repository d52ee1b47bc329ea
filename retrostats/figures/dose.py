"""Bubble plot of a meta-regression on one moderator: effects sized by weight, the fitted line, CI and PI bands."""

from __future__ import annotations

from typing import Any

from ._base import PALETTE, new_axes, style_context

__all__ = ["bubble_plot"]


def bubble_plot(
    result: Any,
    *,
    ax: Any = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    show_pi: bool = True,
    labels: bool = False,
) -> Any:
    """Bubble plot of a :class:`retrostats.meta.DoseResponseResult` (metafor ``regplot``).

    Parameters
    ----------
    result : DoseResponseResult
        From :func:`retrostats.meta.dose_response`: ``data`` (``dose, yi, vi, weight``) and ``predictions``
        (``dose, pred, ci_low, ci_high, pi_low, pi_high``).
    ax : Axes, optional
    xlabel, ylabel : str, optional
        Default: the dose name and the measure.
    show_pi : bool
        Draw the prediction band.
    labels : bool
        Write the study labels beside the bubbles.

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry gids ``dose-bubbles`` (offsets = dose, yi), ``dose-fit``, ``dose-ci``, ``dose-pi``.

    Examples
    --------
    >>> import retrostats as rs
    >>> res = rs.meta.dose_response(rs.meta.dose._example(), dose="weeks")
    >>> ax = bubble_plot(res)
    >>> sorted(c.get_gid() for c in ax.collections if c.get_gid())
    ['dose-bubbles', 'dose-ci', 'dose-pi']
    """
    d, p = result.data, result.predictions
    ax = new_axes(ax, height_mm=65.0)
    with style_context():
        w = d["weight"].to_numpy(dtype=float)
        size = 20 + 280 * w / w.max()
        if show_pi:
            ax.fill_between(
                p["dose"],
                p["pi_low"],
                p["pi_high"],
                color=PALETTE["blue"],
                alpha=0.10,
                lw=0,
                gid="dose-pi",
                label="prediction interval",
            )
        ax.fill_between(
            p["dose"],
            p["ci_low"],
            p["ci_high"],
            color=PALETTE["blue"],
            alpha=0.25,
            lw=0,
            gid="dose-ci",
            label=f"{100 * result.fit.confidence_level:g}% CI",
        )
        ax.plot(p["dose"], p["pred"], color=PALETTE["blue"], lw=1.2, gid="dose-fit")
        ax.scatter(d["dose"], d["yi"], s=size, facecolor="none", edgecolor="black", lw=0.8, gid="dose-bubbles")
        ax.axhline(0.0, color="grey", lw=0.6, ls=":")
        if labels:
            for x, y, lab in zip(d["dose"], d["yi"], d["study_id"]):
                ax.annotate(str(lab), (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(xlabel or result.dose_label)
        ax.set_ylabel(ylabel or (result.measure or "effect size"))
        ax.legend(loc="best", fontsize=6, frameon=False)
    return ax
