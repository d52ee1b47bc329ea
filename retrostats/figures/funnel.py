"""Contour-enhanced funnel plot with trim-and-fill points and the small-k caveat."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ..measures import axis_label, meaning_of
from ._base import PALETTE, style_context
from ._rows import pooled_from

__all__ = ["funnel_plot"]

_SHADES = ("#FFFFFF", "#DDDDDD", "#BBBBBB", "#999999")


def _z(level: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


def funnel_plot(
    result: Any,
    *,
    ax: Any = None,
    contours: Sequence[float] = (0.90, 0.95, 0.99),
    trim_and_fill: Any = False,
    pooled: Any = None,
    null: float = 0.0,
    min_k: int = 10,
    xlabel: str | None = None,
    legend: bool = True,
) -> Any:
    """Contour-enhanced funnel plot (Peters et al. 2008) of a meta-analysis.

    Parameters
    ----------
    result : MetaAnalysisResult or DataFrame
        A fitted result, or a frame with ``yi`` and ``vi`` (or ``sei``).
    ax : Axes, optional
    contours : sequence of float
        Confidence levels of the significance contours around ``null`` (two-sided, normal): the shaded
        bands mark where a study's own test would be significant at 10 %, 5 % and 1 %.
    trim_and_fill : bool or TrimFillResult
        ``True`` calls ``result.trim_and_fill()`` (metafor's ``trimfill()`` defaults); a result of that
        verb is drawn as given. Imputed studies are open circles, the adjusted estimate a dashed line.
    pooled : result or mapping, optional
        Pooled estimate for the centre line when ``result`` is a frame.
    null : float
        Centre of the significance contours.
    min_k : int
        Below this many studies the plot states that funnel asymmetry cannot be judged reliably
        (Sterne et al. 2011, doi:10.1136/bmj.d4002).
    xlabel : str, optional
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes
        Points carry gids ``funnel-studies`` (offsets ``yi, sei``) and ``funnel-filled``; lines
        ``funnel-estimate`` and ``funnel-filled-estimate``; the caveat text ``small-k-caveat``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"yi": [-0.8, -0.3, -0.5], "vi": [0.10, 0.05, 0.08]})
    >>> ax = funnel_plot(df)
    >>> [t.get_gid() for t in ax.texts]
    ['small-k-caveat']
    """
    if isinstance(result, pd.DataFrame):
        y = result["yi"].to_numpy(dtype=float)
        se = (
            np.sqrt(result["vi"].to_numpy(dtype=float))
            if "vi" in result.columns
            else result["sei"].to_numpy(dtype=float)
        )
        pool = pooled_from(pooled)
    elif hasattr(result, "yi") and hasattr(result, "vi"):
        y = np.asarray(result.yi, dtype=float)
        se = np.sqrt(np.asarray(result.vi, dtype=float))
        pool = pooled_from(pooled if pooled is not None else result)
    else:
        raise TypeError(
            "funnel_plot() takes a MetaAnalysisResult or a DataFrame with yi and vi (or sei); "
            f"got {type(result).__name__}."
        )
    levels = sorted(float(c) for c in contours)
    if any(not 0 < c < 1 for c in levels):
        raise ValueError(f"contours must be confidence levels in (0, 1); got {list(contours)}.")
    tf = None
    if trim_and_fill is True:
        if isinstance(result, pd.DataFrame):
            raise ValueError(
                "trim_and_fill=True needs a MetaAnalysisResult (or pass a trim_and_fill() result)."
            )
        tf = result.trim_and_fill()
    elif trim_and_fill is not False and trim_and_fill is not None:
        tf = trim_and_fill
    fy = np.asarray(tf.filled["yi"], dtype=float) if tf is not None else np.empty(0)
    fse = np.sqrt(np.asarray(tf.filled["vi"], dtype=float)) if tf is not None else np.empty(0)
    if ax is None:
        from ._base import new_axes

        ax = new_axes(width="single", height_mm=62)
    with style_context():
        ymax = 1.08 * float(np.nanmax(np.concatenate([se, fse]))) if len(se) else 1.0
        zs = [_z(c) for c in levels]
        half = max(zs) * ymax
        centre = pool.estimate if pool is not None else null
        allx = np.concatenate([y, fy, [null - half * 0.35, null + half * 0.35, centre]])
        lo, hi = float(np.nanmin(allx)), float(np.nanmax(allx))
        pad = 0.08 * (hi - lo or 1.0)
        xlim = (min(lo - pad, null - 0.5 * half), max(hi + pad, null + 0.5 * half))
        ax.add_patch(_rect(xlim, ymax, _SHADES[len(zs)], "contour-outer"))
        for z, c, shade in zip(
            sorted(zs, reverse=True), sorted(levels, reverse=True), _SHADES[len(zs) - 1 :: -1]
        ):
            tri = _triangle(null, z, ymax, shade)
            tri.set_gid(f"contour-{c:g}")
            ax.add_patch(tri)
        if pool is not None:
            (ln,) = ax.plot([pool.estimate, pool.estimate], [0, ymax], color="#222222", lw=0.8, zorder=3)
            ln.set_gid("funnel-estimate")
            z95 = _z(0.95)
            ax.plot(
                [pool.estimate - z95 * ymax, pool.estimate, pool.estimate + z95 * ymax],
                [ymax, 0, ymax],
                color="#222222",
                lw=0.5,
                ls=(0, (3, 2)),
                zorder=3,
            )
        sc = ax.scatter(
            y, se, s=14, color=PALETTE["blue"], edgecolors="white", linewidths=0.4, zorder=4, label="studies"
        )
        sc.set_gid("funnel-studies")
        if tf is not None:
            fsc = ax.scatter(
                fy,
                fse,
                s=14,
                facecolors="white",
                edgecolors=PALETTE["vermillion"],
                linewidths=0.8,
                zorder=4,
                label=f"trim and fill (k0 = {tf.k0})",
            )
            fsc.set_gid("funnel-filled")
            if tf.k0 > 0:
                (fl,) = ax.plot(
                    [tf.estimate, tf.estimate],
                    [0, ymax],
                    color=PALETTE["vermillion"],
                    lw=0.8,
                    ls=(0, (4, 2)),
                    zorder=3,
                    label="adjusted",
                )
                fl.set_gid("funnel-filled-estimate")
        ax.set_xlim(*xlim)
        ax.set_ylim(ymax, 0)
        ax.set_ylabel("Standard error")
        ax.set_xlabel(xlabel or axis_label(meaning_of(result)))
        k = len(y)
        if k < min_k:
            t = ax.text(
                0.02,
                0.02,
                f"k = {k} < {min_k}: too few studies to judge funnel asymmetry",
                transform=ax.transAxes,
                ha="left",
                va="bottom",
                fontsize=6,
                fontstyle="italic",
                color="#7A2E00",
                zorder=5,
            )
            t.set_gid("small-k-caveat")
        if legend:
            from matplotlib.patches import Patch

            ps = [1 - c for c in levels]
            names = (
                [f"p > {ps[0]:g}"]
                + [f"{ps[i + 1]:g} < p \u2264 {ps[i]:g}" for i in range(len(ps) - 1)]
                + [f"p \u2264 {ps[-1]:g}"]
            )
            handles = [
                Patch(facecolor=_SHADES[i], edgecolor="#888888", lw=0.3, label=names[i])
                for i in range(len(names))
            ]
            h, _ = ax.get_legend_handles_labels()
            ax.legend(
                handles=handles + h,
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                fontsize=6,
                handlelength=1.2,
            )
    return ax


def _rect(xlim: tuple[float, float], ymax: float, colour: str, gid: str) -> Any:
    from matplotlib.patches import Rectangle

    r = Rectangle((xlim[0], 0), xlim[1] - xlim[0], ymax, facecolor=colour, edgecolor="none", zorder=0)
    r.set_gid(gid)
    return r


def _triangle(centre: float, z: float, ymax: float, colour: str) -> Any:
    from matplotlib.patches import Polygon

    return Polygon(
        [(centre, 0), (centre - z * ymax, ymax), (centre + z * ymax, ymax)],
        closed=True,
        facecolor=colour,
        edgecolor="none",
        zorder=1,
    )
