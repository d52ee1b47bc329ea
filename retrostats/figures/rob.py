"""Risk-of-bias (RoB 2) figures: traffic-light table and weighted summary bars, from judgements the user
supplies (retrostats ships no real judgements of real trials).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ._base import MM, ROB_COLOURS, new_axes, style_context
from ._layout import wrap_to_width

__all__ = ["rob_traffic_light", "rob_summary", "normalise_rob", "ROB2_DOMAINS", "example_rob_judgements"]

#: The five RoB 2 domains (Sterne et al. 2019, doi:10.1136/bmj.l4898) and the overall judgement.
ROB2_DOMAINS = {
    "D1": "Randomisation process",
    "D2": "Deviations from intended interventions",
    "D3": "Missing outcome data",
    "D4": "Measurement of the outcome",
    "D5": "Selection of the reported result",
    "Overall": "Overall risk of bias",
}
_ALIASES = {
    "low": "low",
    "low risk": "low",
    "+": "low",
    "some concerns": "some concerns",
    "some": "some concerns",
    "some concern": "some concerns",
    "?": "some concerns",
    "high": "high",
    "high risk": "high",
    "-": "high",
    "no information": "no information",
    "ni": "no information",
    "": "no information",
}
_ID_COLUMNS = ("study", "study_id", "label")


def normalise_rob(rob: pd.DataFrame, studies: Sequence[str] | None = None) -> pd.DataFrame:
    """Judgements as a frame indexed by study, one column per domain, values among ``low``, ``some concerns``,
    ``high``, ``no information``; unknown values raise :class:`~retrostats.DataError` naming the cell.

    Examples
    --------
    >>> import pandas as pd
    >>> rob = pd.DataFrame({"study": ["a"], "D1": ["Low"], "Overall": ["Some concerns"]})
    >>> normalise_rob(rob).iloc[0].tolist()
    ['low', 'some concerns']
    """
    if not isinstance(rob, pd.DataFrame):
        raise TypeError(f"rob must be a DataFrame of judgements; got {type(rob).__name__}.")
    frame = rob.copy()
    id_col = next((c for c in _ID_COLUMNS if c in frame.columns), None)
    if id_col is not None:
        frame = frame.set_index(id_col)
    frame.index = [str(s) for s in frame.index]
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0]
        raise DataError(f"rob has two rows for study {dup!r}; give one row per study.")
    out = {}
    for col in frame.columns:
        vals = []
        for study, v in zip(frame.index, frame[col]):
            key = "" if pd.isna(v) else str(v).strip().lower()
            if key not in _ALIASES:
                raise DataError(
                    f"rob: study {study!r}, domain {col!r} has {v!r}; use 'low', 'some concerns', "
                    "'high' or 'no information'."
                )
            vals.append(_ALIASES[key])
        out[str(col)] = vals
    frame = pd.DataFrame(out, index=frame.index, dtype=object)
    if studies is not None:
        frame = frame.reindex([str(s) for s in studies]).fillna("no information")
    return frame


def draw_rob_columns(
    ax: Any,
    rob: pd.DataFrame,
    labels: Sequence[str],
    row_y: dict[int, float],
    *,
    x0_frac: float,
    step_frac: float,
    head_y: float,
    trans: Any,
) -> None:
    """Draw traffic-light columns next to a forest plot (internal)."""
    xs, ys, colours, symbols = [], [], [], []
    for c, col in enumerate(rob.columns):
        x = x0_frac + c * step_frac
        ax.text(
            x,
            head_y,
            str(col) if len(str(col)) <= 3 else str(col)[0],
            transform=trans,
            ha="center",
            va="center",
            fontweight="bold",
            fontsize=6,
            clip_on=False,
        )
        for i, y in row_y.items():
            judgement = rob.iloc[i, c]
            colour, sym = ROB_COLOURS[judgement]
            xs.append(x)
            ys.append(y)
            colours.append(colour)
            symbols.append(sym)
    sc = ax.scatter(
        xs,
        ys,
        s=16,
        c=colours,
        transform=trans,
        clip_on=False,
        edgecolors="#444444",
        linewidths=0.3,
        zorder=4,
    )
    sc.set_gid("rob-lights")
    for x, y, s in zip(xs, ys, symbols):
        if s:
            ax.text(
                x,
                y,
                s,
                transform=trans,
                ha="center",
                va="center",
                fontsize=6,
                fontweight="bold",
                clip_on=False,
                zorder=5,
            )


def rob_traffic_light(rob: pd.DataFrame, *, ax: Any = None, domains: dict[str, str] | None = None) -> Any:
    """RoB 2 traffic-light table: one row per study, one coloured, symbol-marked light per domain.

    Parameters
    ----------
    rob : DataFrame
        Judgements (see :func:`normalise_rob`): a ``study`` column (or index) and one column per domain.
    ax : Axes, optional
    domains : dict, optional
        Domain code -> description for the legend (RoB 2's by default).

    Returns
    -------
    matplotlib.axes.Axes
        The lights are the collection with gid ``rob-lights`` (one point per study x domain, row-major).

    Examples
    --------
    >>> ax = rob_traffic_light(example_rob_judgements())
    >>> len(ax.collections[0].get_offsets())
    24
    """
    frame = normalise_rob(rob)
    n, m = frame.shape
    ax = new_axes(ax, width="single", height_mm=12 + 4.2 * n + 22)
    with style_context():
        yy, xx = np.meshgrid(np.arange(n)[::-1], np.arange(m), indexing="ij")
        colours = [ROB_COLOURS[v][0] for v in frame.to_numpy().ravel()]
        sc = ax.scatter(
            xx.ravel(), yy.ravel(), s=70, c=colours, edgecolors="#444444", linewidths=0.4, zorder=3
        )
        sc.set_gid("rob-lights")
        for x, y, v in zip(xx.ravel(), yy.ravel(), frame.to_numpy().ravel()):
            ax.text(
                x, y, ROB_COLOURS[v][1], ha="center", va="center", fontsize=7, fontweight="bold", zorder=4
            )
        ax.set_xticks(range(m), list(frame.columns))
        ax.xaxis.tick_top()
        ax.set_yticks(range(n), list(frame.index)[::-1])
        ax.set_xlim(-0.6, m - 0.4)
        ax.set_ylim(-0.7, n - 0.3)
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.grid(False)
        names = domains if domains is not None else ROB2_DOMAINS
        legend = "; ".join(f"{k}: {v}" for k, v in names.items() if k in frame.columns)
        keys = "   ".join(
            f"{sym or ' '} {name}"
            for name, (_, sym) in ROB_COLOURS.items()
            if name in set(frame.to_numpy().ravel())
        )
        # keys and domain names under the lights, wrapped to the figure width (domain names at full length)
        text_w = ax.figure.get_size_inches()[0] * MM - 4.0
        ax.figure.supxlabel(
            wrap_to_width(keys, text_w, 6.0) + "\n" + wrap_to_width(legend, text_w, 6.0),
            x=0.01,
            ha="left",
            fontsize=6,
            linespacing=1.3,
        )
    return ax


def rob_summary(rob: pd.DataFrame, *, weights: Any = None, ax: Any = None) -> Any:
    """RoB 2 summary: for each domain, the percentage of studies (or of weight) judged low, some concerns,
    high (horizontal stacked bars).

    Parameters
    ----------
    rob : DataFrame
        Judgements (see :func:`normalise_rob`).
    weights : array-like or Series, optional
        Study weights (e.g. a meta-analysis's percent weights, in the order of ``rob``'s rows or indexed by
        study); unweighted counts by default.
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Bars carry gids ``rob-summary:<judgement>``; their widths are the percentages.

    Examples
    --------
    >>> ax = rob_summary(example_rob_judgements())
    >>> sorted({p.get_gid() for p in ax.patches})[:1]
    ['rob-summary:high']
    """
    frame = normalise_rob(rob)
    if weights is None:
        w = np.ones(len(frame))
    elif isinstance(weights, pd.Series):
        w = weights.reindex(frame.index).to_numpy(dtype=float)
    else:
        w = np.asarray(weights, dtype=float)
    if w.shape != (len(frame),) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() == 0:
        raise ValueError(
            f"weights must be {len(frame)} finite non-negative numbers (one per study) with a positive sum."
        )
    cats = [c for c in ROB_COLOURS if c in set(frame.to_numpy().ravel())]
    pct = pd.DataFrame(
        {c: [(w * (frame[d] == c).to_numpy()).sum() / w.sum() * 100 for d in frame.columns] for c in cats},
        index=frame.columns,
    )
    ax = new_axes(ax, width="single", height_mm=10 + 5 * len(frame.columns) + 22)
    with style_context():
        y = np.arange(len(frame.columns))[::-1]
        left = np.zeros(len(frame.columns))
        for c in cats:
            bars = ax.barh(
                y,
                pct[c].to_numpy(),
                left=left,
                color=ROB_COLOURS[c][0],
                edgecolor="white",
                linewidth=0.4,
                height=0.7,
                label=c,
            )
            for b in bars:
                b.set_gid(f"rob-summary:{c}")
            left = left + pct[c].to_numpy()
        # domain names wrapped to at most 40% of the figure width
        lab_w = 0.4 * ax.figure.get_size_inches()[0] * MM
        labels = [
            wrap_to_width(f"{d}: {ROB2_DOMAINS[d]}" if d in ROB2_DOMAINS else d, lab_w, 6.5)
            for d in frame.columns
        ]
        ax.set_yticks(y, labels)
        ax.set_xlim(0, 100)
        ax.set_xlabel("Studies (%)" if weights is None else "Weight (%)")
        ax.legend(
            ncols=len(cats),
            loc="upper center",
            bbox_to_anchor=(0.35, -0.25),
            handlelength=1,
            columnspacing=1.0,
        )
        ax.tick_params(axis="y", length=0)
    return ax


def example_rob_judgements() -> pd.DataFrame:
    """ILLUSTRATIVE, SYNTHETIC RoB 2 judgements of four invented studies, for examples and tests only.

    These are not judgements of any real trial: the studies are named ``Synthetic A`` to ``Synthetic D``.

    Examples
    --------
    >>> example_rob_judgements()["study"].tolist()
    ['Synthetic A', 'Synthetic B', 'Synthetic C', 'Synthetic D']
    """
    return pd.DataFrame(
        {
            "study": ["Synthetic A", "Synthetic B", "Synthetic C", "Synthetic D"],
            "D1": ["low", "some concerns", "low", "high"],
            "D2": ["low", "low", "some concerns", "some concerns"],
            "D3": ["low", "high", "low", "low"],
            "D4": ["some concerns", "some concerns", "low", "high"],
            "D5": ["low", "low", "low", "some concerns"],
            "Overall": ["some concerns", "high", "some concerns", "high"],
        }
    )
