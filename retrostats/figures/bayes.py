"""Bayesian figures: posterior densities (with MCID and prior) and the shrinkage forest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..measures import axis_label, meaning_of
from ..validators import check_columns
from ._base import PALETTE, new_axes, style_context

__all__ = ["posterior_plot", "shrinkage_plot"]

_QCOLOURS = {"mu": PALETTE["blue"], "theta_new": PALETTE["vermillion"], "tau": PALETTE["green"]}
_QLABELS = {
    "mu": "\u03bc (average effect)",
    "theta_new": "\u03b8 new (a new study's effect)",
    "tau": "\u03c4 (between-study SD)",
}


def _density(result: Any, quantity: str, grid: np.ndarray) -> np.ndarray:
    """Posterior density on ``grid`` as the result provides it (exact: its mixture density; NUTS: a
    histogram of the draws).
    """
    dens = getattr(result, "density", None)
    if callable(dens):
        return np.asarray(dens(quantity, grid), dtype=float)
    post = getattr(result, "_posterior", None)
    if post is not None and hasattr(post, "pdf"):
        return np.array([post.pdf(quantity, float(g)) for g in grid])
    idata = getattr(result, "idata", None)
    if idata is not None:
        draws = np.asarray(idata.posterior[quantity]).ravel()
        h, edges = np.histogram(draws, bins=grid, density=True)
        return np.interp(grid, 0.5 * (edges[1:] + edges[:-1]), h)
    raise TypeError("posterior_plot() needs a bayes_meta_analysis() result (exact or NUTS).")


def posterior_plot(
    result: Any,
    *,
    quantities: Sequence[str] = ("mu", "theta_new"),
    ax: Any = None,
    mcid: float | None = None,
    null: float = 0.0,
    xlim: Sequence[float] | None = None,
    n_grid: int = 301,
    xlabel: str | None = None,
) -> Any:
    """Posterior densities of ``mu``, ``theta_new`` (and/or ``tau``) with 95 % intervals and MCID lines.

    Parameters
    ----------
    result : BayesMetaResult
        From :func:`retrostats.bayes_meta_analysis`.
    quantities : sequence of str
        Among ``mu``, ``theta_new``, ``tau``.
    ax : Axes, optional
    mcid : float, optional
        Draw ``null ± mcid`` (the MCID on the effect's scale) as reference lines.
    null : float
    xlim : (float, float), optional
        Range of the density grid (from the posterior quantiles by default).
    n_grid : int
    xlabel : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Density lines carry gids ``posterior:<quantity>``; interval bars ``interval:<quantity>`` span the
        result's ``q025``-``q975``.

    Examples
    --------
    >>> import retrostats as rs
    >>> fit = rs.bayes_meta_analysis(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
    >>> ax = posterior_plot(fit)
    >>> [l.get_gid() for l in ax.lines if (l.get_gid() or "").startswith("posterior:")]
    ['posterior:mu', 'posterior:theta_new']
    """
    ps = result.posterior_summary
    for q in quantities:
        if q not in ps.index:
            raise ValueError(f"quantities: {q!r} is not in the posterior summary ({list(ps.index)}).")
    if xlim is None:
        lo = min(float(result.quantile(q, 0.002)) for q in quantities)
        hi = max(float(result.quantile(q, 0.998)) for q in quantities)
        xlim = (lo, hi)
    grid = np.linspace(float(xlim[0]), float(xlim[1]), int(n_grid))
    ax = new_axes(ax, width="single", height_mm=55)
    with style_context():
        top = 0.0
        dens_all = {
            q: _density(result, q, np.clip(grid, 1e-12, None) if q == "tau" else grid) for q in quantities
        }
        top = max(float(np.nanmax(d)) for d in dens_all.values())
        for j, q in enumerate(quantities):
            c = _QCOLOURS.get(q, PALETTE["purple"])
            d = dens_all[q]
            (line,) = ax.plot(grid, d, color=c, lw=1.2, label=_QLABELS.get(q, q))
            line.set_gid(f"posterior:{q}")
            ax.fill_between(grid, 0, d, color=c, alpha=0.12, lw=0)
            y = -0.06 * top * (j + 1)
            (bar,) = ax.plot(
                [ps.loc[q, "q025"], ps.loc[q, "q975"]], [y, y], color=c, lw=2.0, solid_capstyle="butt"
            )
            bar.set_gid(f"interval:{q}")
            ax.plot(
                [ps.loc[q, "median"] if "median" in ps.columns else ps.loc[q, "mean"]],
                [y],
                marker="o",
                color="white",
                mec=c,
                ms=3,
            )
        ax.axvline(null, color="#555555", lw=0.6)
        if mcid is not None:
            for s in (-1, 1):
                ax.axvline(null + s * abs(mcid), color="#555555", lw=0.6, ls=(0, (3, 2)))
            for s, name in ((-1, "\u2212MCID"), (1, "+MCID")):
                if not xlim[0] <= null + s * abs(mcid) <= xlim[1]:
                    continue  # the line is off the plot: no label beside the figure
                ax.text(
                    null + s * abs(mcid),
                    top * 1.1,
                    name,
                    ha="center",
                    va="top",
                    fontsize=6,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
                )
        ax.set_xlim(*xlim)
        ax.set_ylim(-0.06 * top * (len(quantities) + 1), top * 1.45)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(xlabel or axis_label(meaning_of(result)))
        ax.set_ylabel("Posterior density")
        ax.legend(loc="upper left", fontsize=6)
    return ax


def shrinkage_plot(
    result: Any, *, ax: Any = None, labels: Sequence[str] | None = None, xlabel: str | None = None
) -> Any:
    """Shrinkage forest: each study's observed effect (open, ± 1.96 SE) and its posterior (filled, 95 %
    interval), then the posterior of ``mu`` and ``theta_new``.

    Parameters
    ----------
    result : BayesMetaResult
        Its ``study_effects`` (``yi, sei, mean, q025, q975``) and ``posterior_summary`` are drawn.
    ax : Axes, optional
    labels : sequence, optional
        Study labels (the ``study_effects`` index by default).
    xlabel : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Points carry gids ``observed`` (offsets ``yi``) and ``shrunken`` (offsets = posterior means).

    Examples
    --------
    >>> import retrostats as rs
    >>> fit = rs.bayes_meta_analysis(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
    >>> ax = shrinkage_plot(fit)
    >>> sorted(c.get_gid() for c in ax.collections if c.get_gid() in ("observed", "shrunken"))
    ['observed', 'shrunken']
    """
    se = result.study_effects
    check_columns(se, ["yi", "sei", "mean", "q025", "q975"], what="study_effects")
    ps = result.posterior_summary
    lab = [str(s) for s in (se.index if labels is None else labels)]
    k = len(se)
    ax = new_axes(ax, width="single", height_mm=20 + 5.2 * (k + 3), margins_mm=(16.0, 11.0, 8.0, 3.0))
    with style_context():
        y = np.arange(k, 0, -1) + 2.0
        yi, sei = se["yi"].to_numpy(dtype=float), se["sei"].to_numpy(dtype=float)
        off = 0.18
        ax.hlines(
            y + off, yi - 1.959963984540054 * sei, yi + 1.959963984540054 * sei, color="#888888", lw=0.8
        )
        o = ax.scatter(
            yi,
            y + off,
            s=14,
            facecolors="white",
            edgecolors="#555555",
            linewidths=0.8,
            zorder=3,
            label="observed (\u00b1 1.96 SE)",
        )
        o.set_gid("observed")
        ax.hlines(y - off, se["q025"], se["q975"], color=PALETTE["blue"], lw=1.2)
        s = ax.scatter(
            se["mean"], y - off, s=14, color=PALETTE["blue"], zorder=3, label="posterior (95% CrI)"
        )
        s.set_gid("shrunken")
        for j, q in enumerate(("mu", "theta_new")):
            if q in ps.index:
                yy = 1.5 - j
                c = _QCOLOURS[q]
                ax.hlines(yy, ps.loc[q, "q025"], ps.loc[q, "q975"], color=c, lw=2.0)
                ax.scatter([ps.loc[q, "mean"]], [yy], marker="D", s=16, color=c, zorder=3).set_gid(
                    f"summary:{q}"
                )
        ax.axvline(0, color="#555555", lw=0.6)
        ax.set_yticks(
            list(y) + [1.5, 0.5][: sum(q in ps.index for q in ("mu", "theta_new"))],
            lab + ["\u03bc", "\u03b8 new"][: sum(q in ps.index for q in ("mu", "theta_new"))],
        )
        ax.set_ylim(0, k + 3)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(xlabel or axis_label(meaning_of(result)))
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
    return ax
