"""Participant-level figures: raincloud, paired pre-post, and adjusted-mean trajectories from ``mmrm()``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..validators import check_columns
from ._base import PALETTE, new_axes, style_context

__all__ = ["raincloud_plot", "prepost_plot", "trajectory_plot", "ARM_COLOURS"]

#: Arm colours used by every participant-level figure.
ARM_COLOURS: dict[str, str] = {"retro": PALETTE["blue"], "forward": PALETTE["orange"], "control": "#555555"}
_CYCLE = (PALETTE["green"], PALETTE["purple"], PALETTE["sky"], PALETTE["vermillion"])


def _colour(arm: str, i: int) -> str:
    return ARM_COLOURS.get(str(arm), _CYCLE[i % len(_CYCLE)])


def _order(values: pd.Series, order: Sequence[Any] | None) -> list[Any]:
    if order is not None:
        return list(order)
    present = list(dict.fromkeys(values.dropna()))
    known = [a for a in ARM_COLOURS if a in present]
    return known + sorted((a for a in present if a not in ARM_COLOURS), key=str)


def _kde(x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density with Silverman's bandwidth: a display smoother for the cloud's outline."""
    x = x[np.isfinite(x)]
    if x.size < 2 or np.ptp(x) == 0:
        return np.zeros_like(grid)
    sd = x.std(ddof=1)
    iqr = np.subtract(*np.percentile(x, [75, 25]))
    h = 0.9 * min(sd, iqr / 1.34 if iqr > 0 else sd) * x.size ** (-0.2)
    u = (grid[:, None] - x[None, :]) / h
    return np.exp(-0.5 * u * u).sum(axis=1) / (x.size * h * np.sqrt(2 * np.pi))


def raincloud_plot(
    data: pd.DataFrame,
    *,
    value: str,
    group: str,
    order: Sequence[Any] | None = None,
    ax: Any = None,
    ylabel: str | None = None,
    seed: int = 0,
) -> Any:
    """Raincloud plot: each group's density outline (cloud), a box of quartiles and the jittered points.

    Parameters
    ----------
    data : DataFrame
        One row per participant (e.g. one visit of ``simulate_trial()``).
    value, group : str
        Columns: the outcome and the arm.
    order : sequence, optional
        Group order (retro, forward, control first by default).
    ax : Axes, optional
    ylabel : str, optional
    seed : int
        Seed of the horizontal jitter (so the figure is identical on every run).

    Returns
    -------
    matplotlib.axes.Axes
        Points carry gids ``raincloud-points:<group>`` (their y offsets are the data values).

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=10, seed=1)
    >>> ax = raincloud_plot(d[d["week"] == 6], value="value", group="arm")
    >>> sorted(c.get_gid() for c in ax.collections if (c.get_gid() or "").startswith("raincloud-points"))
    ['raincloud-points:control', 'raincloud-points:forward', 'raincloud-points:retro']
    """
    check_columns(data, [value, group])
    groups = _order(data[group], order)
    rng = np.random.default_rng(seed)
    ax = new_axes(ax, width="single", height_mm=60)
    with style_context():
        vals_all = data[value].to_numpy(dtype=float, na_value=np.nan)
        lo, hi = np.nanmin(vals_all), np.nanmax(vals_all)
        pad = 0.1 * (hi - lo or 1.0)
        grid = np.linspace(lo - pad, hi + pad, 200)
        for i, g in enumerate(groups):
            v = data.loc[data[group] == g, value].to_numpy(dtype=float, na_value=np.nan)
            v = v[np.isfinite(v)]
            c = _colour(g, i)
            dens = _kde(v, grid)
            if dens.max() > 0:
                dens = 0.38 * dens / dens.max()
                ax.fill_betweenx(grid, i + 0.05, i + 0.05 + dens, color=c, alpha=0.35, lw=0)
            if v.size:
                q1, med, q3 = np.percentile(v, [25, 50, 75])
                ax.add_patch(_box(i - 0.04, q1, q3, c))
                ax.plot([i - 0.08, i], [med, med], color="#111111", lw=1.0)
            jit = i - 0.14 - 0.16 * rng.random(v.size)
            pts = ax.scatter(jit, v, s=5, color=c, alpha=0.8, edgecolors="none")
            pts.set_gid(f"raincloud-points:{g}")
        ax.set_xticks(range(len(groups)), [str(g) for g in groups])
        ax.set_xlim(-0.5, len(groups) - 0.45)
        ax.set_ylabel(ylabel or value)
    return ax


def _box(x: float, q1: float, q3: float, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.04, q1), 0.08, q3 - q1, facecolor="white", edgecolor=colour, lw=0.8, zorder=3)


def _natural_key(label: str) -> list[tuple[int, float | str]]:
    parts = re.split(r"(\d+(?:\.\d+)?)", label)
    return [(0, float(p)) if i % 2 else (1, p) for i, p in enumerate(parts) if p != "" or i % 2]


def _visit_order(v: pd.Series) -> list[Any]:
    """Visits in time order: numbers by value; ``baseline`` then labels by their number.

    ``week 12`` comes after ``week 4``; labels without numbers keep their order of first appearance.
    """
    seen = list(dict.fromkeys(v.dropna()))
    if pd.to_numeric(pd.Series(seen, dtype=object), errors="coerce").notna().all():
        return sorted(seen, key=float)
    rest = [x for x in seen if str(x).strip().lower() != "baseline"]
    if all(re.search(r"\d", str(x)) for x in rest):
        return [x for x in seen if x not in rest] + sorted(rest, key=lambda x: _natural_key(str(x)))
    return seen


def prepost_plot(
    data: pd.DataFrame,
    *,
    subject: str,
    visit: str,
    value: str,
    arm: str | None = None,
    pre: Any = None,
    post: Any = None,
    order: Sequence[Any] | None = None,
    ax: Any = None,
    ylabel: str | None = None,
) -> Any:
    """Paired pre-post plot: one line per participant from ``pre`` to ``post``, the arm's mean in bold.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per participant and visit.
    subject, visit, value : str
        Columns.
    arm : str, optional
        Column of the arm; each arm gets its own pair of columns.
    pre, post : optional
        The two visits (default: the first and last in time: numeric visits by value, ``baseline`` first and
        labels such as ``week 6`` by their number, other labels in order of first appearance).
    order : sequence, optional
    ax : Axes, optional
    ylabel : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Lines carry gids ``prepost-lines:<arm>`` (segments (pre, post) per participant with both values) and
        ``prepost-mean:<arm>``.

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=8, seed=2)
    >>> ax = prepost_plot(d, subject="participant", visit="visit", value="value", arm="arm",
    ...                   pre="baseline", post="week 6")
    >>> len([c for c in ax.collections if (c.get_gid() or "").startswith("prepost-lines")])
    3
    """
    check_columns(data, [subject, visit, value] + ([arm] if arm else []))
    visits = _visit_order(data[visit])
    pre = visits[0] if pre is None else pre
    post = visits[-1] if post is None else post
    for name, v in (("pre", pre), ("post", post)):
        if v not in visits:
            raise ValueError(f"{name}={v!r} is not a value of column {visit!r}; values are {visits}.")
    d = data[data[visit].isin([pre, post])]
    arms = _order(d[arm], order) if arm else [None]
    from matplotlib.collections import LineCollection

    ax = new_axes(ax, width="single", height_mm=60, margins_mm=(14.0, 9.0, 7.0, 3.0))
    with style_context():
        ticks, labels = [], []
        for i, a in enumerate(arms):
            sub = d if a is None else d[d[arm] == a]
            wide = sub.pivot_table(index=subject, columns=visit, values=value, aggfunc="first")
            wide = wide.reindex(columns=[pre, post]).dropna()
            x0, x1 = 3.6 * i, 3.6 * i + 1.6
            c = _colour(a, i) if a is not None else PALETTE["blue"]
            segs = np.stack(
                [
                    np.column_stack([np.full(len(wide), x0), wide[pre]]),
                    np.column_stack([np.full(len(wide), x1), wide[post]]),
                ],
                axis=1,
            )
            lc = LineCollection(segs, colors=c, linewidths=0.5, alpha=0.45)
            lc.set_gid(f"prepost-lines:{a}")
            ax.add_collection(lc)
            (mean_line,) = ax.plot(
                [x0, x1], [wide[pre].mean(), wide[post].mean()], color=c, lw=2.0, marker="o", ms=3.5
            )
            mean_line.set_gid(f"prepost-mean:{a}")
            ticks += [x0, x1]
            labels += [str(pre), str(post)]
            if a is not None:
                ax.text(
                    x0 + 0.8,
                    1.02,
                    str(a),
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="bottom",
                    fontweight="bold",
                    color=c,
                )
        ax.set_xticks(ticks, labels)
        ax.set_xlim(-0.6, 3.6 * len(arms) - 1.4)
        ax.autoscale(axis="y")
        ax.set_ylabel(ylabel or value)
    return ax


def trajectory_plot(
    result: Any,
    *,
    ax: Any = None,
    x: dict[Any, float] | None = None,
    order: Sequence[Any] | None = None,
    ylabel: str | None = None,
    dodge: float = 0.08,
) -> Any:
    """Adjusted means by visit and arm with their confidence intervals, from :func:`retrostats.mmrm`.

    Parameters
    ----------
    result : MmrmResult or DataFrame
        The fit (its ``adjusted_means``: ``visit, arm, estimate, ci_low, ci_high``) or that frame.
    ax : Axes, optional
    x : dict, optional
        Visit -> position (e.g. week); visits are equally spaced in their order otherwise.
    order : sequence, optional
        Arm order.
    ylabel : str, optional
    dodge : float
        Horizontal offset between arms, as a fraction of the visit spacing.

    Returns
    -------
    matplotlib.axes.Axes
        One line per arm with gid ``trajectory:<arm>`` (y data = the adjusted means) and its interval bars
        ``trajectory-ci:<arm>``.

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=10, seed=1)
    >>> fit = rs.mmrm(d[d["week"] > 0], outcome="value", arm="arm", visit="visit", subject="participant",
    ...               baseline="baseline")
    >>> ax = trajectory_plot(fit)
    >>> sorted(l.get_gid() for l in ax.lines if (l.get_gid() or "").startswith("trajectory:"))
    ['trajectory:control', 'trajectory:forward', 'trajectory:retro']
    """
    means = result if isinstance(result, pd.DataFrame) else getattr(result, "adjusted_means", None)
    if means is None:
        raise TypeError(
            "trajectory_plot() takes an mmrm() result (with adjusted_means) or its adjusted_means "
            f"frame; got {type(result).__name__}."
        )
    check_columns(means, ["visit", "arm", "estimate", "ci_low", "ci_high"], what="adjusted means")
    visits = list(dict.fromkeys(means["visit"]))
    if x is not None and any(v not in x for v in visits):
        raise ValueError(f"x has no position for visit(s) {[v for v in visits if v not in x]}; give every "
                         f"visit of the adjusted means a position, e.g. {{visit: week}}.")
    pos = {v: float(i) for i, v in enumerate(visits)} if x is None else {v: float(x[v]) for v in visits}
    spacing = min(np.diff(sorted(pos.values()))) if len(pos) > 1 else 1.0
    arms = _order(means["arm"], order)
    from matplotlib.collections import LineCollection

    ax = new_axes(ax, width="single", height_mm=58)
    with style_context():
        for i, a in enumerate(arms):
            m = means[means["arm"] == a]
            xs = m["visit"].map(pos).to_numpy(dtype=float) + (i - (len(arms) - 1) / 2) * dodge * spacing
            c = _colour(a, i)
            (line,) = ax.plot(
                xs, m["estimate"].to_numpy(dtype=float), color=c, marker="o", ms=3, lw=1.1, label=str(a)
            )
            line.set_gid(f"trajectory:{a}")
            segs = np.stack([np.column_stack([xs, m["ci_low"]]), np.column_stack([xs, m["ci_high"]])], axis=1)
            lc = LineCollection(segs, colors=c, linewidths=0.8)
            lc.set_gid(f"trajectory-ci:{a}")
            ax.add_collection(lc)
        ax.set_xticks(list(pos.values()), [str(v) for v in visits])
        level = getattr(result, "confidence_level", 0.95)  # a bare frame does not say: the default level
        ax.set_ylabel(ylabel or f"Adjusted mean ({100 * level:g}% CI)")
        ax.legend(loc="best")
    return ax
