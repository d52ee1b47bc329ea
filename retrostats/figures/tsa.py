"""The trial sequential analysis figure: cumulative z-curve, monitoring boundaries and the RIS line."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import PALETTE, new_axes, style_context

__all__ = ["tsa_plot"]


def tsa_plot(
    result: Any,
    *,
    ax: Any = None,
    ylim: float | None = None,
    title: str | None = None,
    xlabel: str = "Cumulative number of participants",
    favours: tuple[str, str] | None = None,
) -> Any:
    """Draw a :class:`~retrostats.decision.TSAResult`: z-curve, boundaries at the looks, +-z_{1-alpha/2}, RIS.

    Parameters
    ----------
    result : TSAResult
    ax : Axes, optional
    ylim : float, optional
        The z axis shows ``[-ylim, ylim]`` (default: room for the curve and the finite boundaries, 4 to 8);
        boundaries beyond it (or infinite, at tiny fractions) are clipped.
    title, xlabel : str, optional
    favours : (str, str), optional
        Labels of the benefit and harm sides (e.g. ``("retro", "control")``), written by the axis.

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry gids ``tsa:z``, ``tsa:boundary_upper``, ``tsa:boundary_lower``, ``tsa:conventional``,
        ``tsa:ris`` and, with futility, ``tsa:futility_upper``/``tsa:futility_lower``.

    Notes
    -----
    Draws only what the result holds: the boundaries are those computed at the observed looks (joined by
    lines, as the TSA program draws them), the conventional threshold is ``result.z_conventional``. Tested
    by the artists' data against the result (``tests/test_decision_tsa.py``).

    Examples
    --------
    >>> import pandas as pd, retrostats as rs
    >>> d = pd.DataFrame({"yi": [-0.9, -0.5], "vi": [0.09, 0.05], "n": [40, 80], "measure": "SMD"})
    >>> ax = tsa_plot(rs.trial_sequential_analysis(d, delta=-0.5))
    >>> sorted(l.get_gid() for l in ax.lines if l.get_gid())[:2]
    ['tsa:boundary_lower', 'tsa:boundary_upper']
    """
    mon = result.monitoring
    ax = new_axes(ax, width="single", height_mm=65)
    x = np.concatenate([[0.0], mon["cumulative_n"].to_numpy(dtype=float)])
    z = np.concatenate([[0.0], mon["z"].to_numpy(dtype=float)])
    up = mon["z_boundary_upper"].to_numpy(dtype=float)
    xs = mon["cumulative_n"].to_numpy(dtype=float)
    if ylim is None:
        finite = np.concatenate([np.abs(z), up[np.isfinite(up)]])
        ylim = float(min(8.0, max(4.0, 1.15 * finite.max())))
    shown = np.isfinite(up) & (up <= ylim)
    ris = float(result.required_information_size)
    crit = float(result.z_conventional)
    with style_context():
        ax.axhline(0, color=PALETTE["grey"], lw=0.6)
        for s in (1, -1):
            ax.axhline(s * crit, color=PALETTE["grey"], lw=0.8, ls="--", gid="tsa:conventional" if s > 0 else None)
        ax.plot(xs[shown], up[shown], color=PALETTE["vermillion"], lw=1.2, marker="s", ms=3,
                gid="tsa:boundary_upper", label="Monitoring boundary")
        ax.plot(xs[shown], -up[shown], color=PALETTE["vermillion"], lw=1.2, marker="s", ms=3,
                gid="tsa:boundary_lower")
        if result.futility:
            fu = mon["futility_upper"].to_numpy(dtype=float)
            ok = np.isfinite(fu) & (fu > 0)
            ax.plot(xs[ok], fu[ok], color=PALETTE["orange"], lw=1.0, ls="-.", gid="tsa:futility_upper",
                    label="Futility boundary")
            ax.plot(xs[ok], -fu[ok], color=PALETTE["orange"], lw=1.0, ls="-.", gid="tsa:futility_lower")
        ax.plot(x, np.clip(z, -ylim, ylim), color=PALETTE["blue"], lw=1.4, marker="o", ms=3.5, gid="tsa:z",
                label="Cumulative z-curve")
        ax.axvline(ris, color=PALETTE["black"], lw=1.0, ls=":", gid="tsa:ris",
                   label=f"RIS = {ris:.0f}")
        ax.set_xlim(0, max(ris, float(x[-1])) * 1.08)
        ax.set_ylim(-ylim, ylim)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Cumulative z")
        if favours is not None:
            top, bottom = (favours if result.benefit_sign > 0 else favours[::-1])
            ax.text(0.01, 0.98, f"favours {top}", transform=ax.transAxes, va="top", fontsize=7)
            ax.text(0.01, 0.02, f"favours {bottom}", transform=ax.transAxes, va="bottom", fontsize=7)
        ax.legend(loc="best", fontsize=6, frameon=False)
        if title:
            ax.set_title(title)
    return ax
