"""Planning figures: power curves (analytic or simulated, with Monte-Carlo bands) and assurance curves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..validators import check_columns
from ._base import PALETTE, new_axes, style_context

__all__ = ["power_curve_plot", "assurance_plot"]

_COLOURS = (
    PALETTE["blue"],
    PALETTE["vermillion"],
    PALETTE["green"],
    PALETTE["orange"],
    PALETTE["purple"],
    PALETTE["sky"],
    PALETTE["black"],
)


def power_curve_plot(
    grid: pd.DataFrame,
    *,
    x: str = "n_per_arm",
    y: str = "power",
    hue: str | None = None,
    target: float | None = 0.8,
    ax: Any = None,
    xlabel: str | None = None,
    hue_format: str = "{}",
) -> Any:
    """Power against sample size (or any column), one line per value of ``hue``.

    Parameters
    ----------
    grid : DataFrame
        E.g. :func:`retrostats.power_grid` output (``n_per_arm, effect_size, r, power, mcse``). Rows with a
        finite ``mcse`` get a ±2 MCSE band.
    x, y, hue : str
        Columns.
    target : float, optional
        Horizontal reference (e.g. 80 % power).
    ax : Axes, optional
    xlabel : str, optional
    hue_format : str
        Format of the legend labels, e.g. ``"d = {:.2f}"``.

    Returns
    -------
    matplotlib.axes.Axes
        Lines carry gids ``power:<hue value>`` with the grid's ``x``/``y`` as their data.

    Examples
    --------
    >>> import retrostats as rs
    >>> g = rs.power_grid(design="ttest", n_per_arm=[20, 40, 60], effect=[0.3, 0.5])
    >>> ax = power_curve_plot(g, hue="effect_size")
    >>> len([l for l in ax.lines if (l.get_gid() or "").startswith("power:")])
    2
    """
    check_columns(grid, [x, y] + ([hue] if hue else []))
    ax = new_axes(ax, width="single", height_mm=55)
    levels = list(dict.fromkeys(grid[hue])) if hue else [None]
    with style_context():
        for i, lev in enumerate(levels):
            g = grid if lev is None else grid[grid[hue] == lev]
            g = g.sort_values(x, kind="stable")
            xs, ys = g[x].to_numpy(dtype=float), g[y].to_numpy(dtype=float)
            c = _COLOURS[i % len(_COLOURS)]
            (line,) = ax.plot(
                xs,
                ys,
                color=c,
                lw=1.1,
                marker="o" if len(xs) < 12 else None,
                ms=2.5,
                label=hue_format.format(lev) if lev is not None else None,
            )
            line.set_gid(f"power:{lev}")
            if "mcse" in g.columns and np.isfinite(g["mcse"].to_numpy(dtype=float)).any():
                m = g["mcse"].to_numpy(dtype=float)
                ax.fill_between(xs, ys - 2 * m, ys + 2 * m, color=c, alpha=0.2, lw=0)
        if target is not None:
            ax.axhline(target, color="#777777", lw=0.6, ls=(0, (3, 2))).set_gid("target")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(xlabel or x.replace("_", " "))
        ax.set_ylabel(y.replace("_", " ").capitalize())
        if hue:
            ax.legend(title=hue.replace("_", " "), loc="lower right")
    return ax


def assurance_plot(
    curve: pd.DataFrame,
    *,
    x: str = "n_per_arm",
    assurance: str = "assurance",
    power: str | None = "power",
    max_assurance: float | None = None,
    target: float | None = 0.8,
    ax: Any = None,
    xlabel: str | None = None,
) -> Any:
    """Assurance (power averaged over the predictive distribution) and conventional power against n.

    Parameters
    ----------
    curve : DataFrame
        One row per sample size: ``x``, ``assurance`` and optionally ``power`` (at the predictive mean).
    x, assurance, power : str
        Columns (``power=None`` to omit it).
    max_assurance : float, optional
        The limit of assurance as n grows (the predictive probability of a benefit), drawn as a line.
    target : float, optional
    ax : Axes, optional
    xlabel : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Lines with gids ``assurance``, ``power-at-mean`` and ``max-assurance``.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"n_per_arm": [20, 40, 80], "assurance": [0.4, 0.55, 0.65],
    ...                   "power": [0.5, 0.8, 0.97]})
    >>> ax = assurance_plot(c, max_assurance=0.75)
    >>> [l.get_gid() for l in ax.lines]
    ['assurance', 'power-at-mean', 'max-assurance', 'target']
    """
    check_columns(curve, [x, assurance] + ([power] if power else []))
    c = curve.sort_values(x, kind="stable")
    ax = new_axes(ax, width="single", height_mm=55)
    with style_context():
        (a,) = ax.plot(c[x], c[assurance], color=PALETTE["blue"], lw=1.3, label="assurance")
        a.set_gid("assurance")
        if power:
            (p,) = ax.plot(
                c[x],
                c[power],
                color=PALETTE["vermillion"],
                lw=1.0,
                ls=(0, (4, 2)),
                label="power at the predictive mean",
            )
            p.set_gid("power-at-mean")
        if max_assurance is not None:
            m = ax.axhline(
                max_assurance, color=PALETTE["green"], lw=0.8, ls=(0, (1, 1.5)), label="limit: P(benefit)"
            )
            m.set_gid("max-assurance")
        if target is not None:
            ax.axhline(target, color="#999999", lw=0.5).set_gid("target")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(xlabel or x.replace("_", " "))
        ax.set_ylabel("Probability of success")
        ax.legend(loc="lower right")
    return ax
