"""The evidence map: trials x outcomes, coloured by what the numbers come from (``data_level``)."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import pandas as pd

from ._base import DATA_LEVEL_COLOURS, new_axes, style_context

__all__ = ["evidence_map", "evidence_cells"]

_LEVEL_NAMES = {
    "full_text": "full text",
    "abstract": "abstract only",
    "registry": "trial registry only",
    "none": "no results seen",
}


def evidence_cells(
    trials: pd.DataFrame | None = None,
    arms: pd.DataFrame | None = None,
    contrasts: pd.DataFrame | None = None,
    *,
    population: str | None = None,
    include_duplicates: bool = False,
) -> pd.DataFrame:
    """The cells of the evidence map: one row per trial x outcome named by the trial.

    Parameters
    ----------
    trials, arms, contrasts : DataFrame, optional
        ``retro_trials``, ``retro_arms``, ``retro_contrasts`` (the shipped datasets by default).
    population : str, optional
        Keep one ``population`` (e.g. ``"knee"``).
    include_duplicates : bool
        Keep secondary publications (``duplicate_of`` set).

    Returns
    -------
    DataFrame
        ``study_id, year, population, outcome, data_level`` and ``numbers``: ``"mean_sd"`` when arm-level
        means with SDs were extracted for the outcome, ``"other"`` when only other numbers (p-values,
        percentage changes, ...), ``"none"`` when the outcome is only named.

    Examples
    --------
    >>> cells = evidence_cells(population="knee")
    >>> sorted(cells["numbers"].unique())
    ['mean_sd', 'none', 'other']
    """
    from ..datasets import load_dataset

    trials = load_dataset("retro_trials") if trials is None else trials
    arms = load_dataset("retro_arms") if arms is None else arms
    contrasts = load_dataset("retro_contrasts") if contrasts is None else contrasts
    t = trials if include_duplicates else trials[trials["duplicate_of"].isna()]
    if population is not None:
        t = t[t["population"] == population]
    t = t.sort_values(["population", "year", "study_id"], kind="stable")
    named = t.assign(outcome=t["outcomes"].fillna("").str.split(";")).explode("outcome")[
        ["study_id", "year", "population", "outcome", "data_level"]
    ]
    named = named[named["outcome"].astype(str).str.len() > 0]
    # outcomes that have numbers but were not listed in `outcomes` still belong on the map
    with_numbers = pd.concat([arms[["study_id", "outcome"]], contrasts[["study_id", "outcome"]]])
    with_numbers = with_numbers[with_numbers["study_id"].isin(t["study_id"])].drop_duplicates()
    extra = with_numbers.merge(t[["study_id", "year", "population", "data_level"]], on="study_id")
    cells = pd.concat([named, extra[named.columns]]).drop_duplicates(["study_id", "outcome"])
    stats = arms.groupby(["study_id", "outcome"])["statistic"].agg(lambda s: set(s))
    has_msd = {k for k, s in stats.items() if {"mean", "sd"} <= s or {"mean_change", "sd_change"} <= s}
    has_any = set(map(tuple, with_numbers[["study_id", "outcome"]].to_numpy()))
    keys = list(zip(cells["study_id"], cells["outcome"]))
    cells = cells.assign(
        numbers=["mean_sd" if k in has_msd else ("other" if k in has_any else "none") for k in keys]
    )
    return cells.reset_index(drop=True)


def evidence_map(
    trials: pd.DataFrame | None = None,
    arms: pd.DataFrame | None = None,
    contrasts: pd.DataFrame | None = None,
    *,
    population: str | None = None,
    include_duplicates: bool = False,
    ax: Any = None,
    width: str | float = "double",
) -> Any:
    """Evidence map of the registry: one row per trial, one column per outcome.

    A cell is coloured by the trial's ``data_level`` (what the numbers come from) when the trial reports
    the outcome; a filled dot marks arm-level means with SDs (usable for effect sizes), an open dot other
    numbers only (p-values, percentage changes), no dot an outcome that is named but has no numbers.

    Parameters
    ----------
    trials, arms, contrasts : DataFrame, optional
        The registry tables (the shipped datasets by default).
    population : str, optional
        Keep one population (``"knee"`` or ``"other"``).
    include_duplicates : bool
        Keep secondary publications.
    ax : Axes, optional
    width : {"single", "double"} or float

    Returns
    -------
    matplotlib.axes.Axes
        The cells are the collection with gid ``evidence-cells`` (x = outcome column, y = trial row), the dots
        ``evidence-mean-sd`` and ``evidence-other``. The trial and outcome names are texts placed as tick
        labels would be (gids ``evidence-row-label`` and ``evidence-column-label``; the axes have no ticks),
        and the grid is two line collections (``evidence-grid-rows``, ``evidence-grid-columns``): drawn this
        way the 91-row map takes a quarter less time to save in three formats.

    Examples
    --------
    >>> ax = evidence_map(population="knee")
    >>> ax.get_gid()
    'evidence-map'
    """
    cells = evidence_cells(
        trials, arms, contrasts, population=population, include_duplicates=include_duplicates
    )
    if cells.empty:
        raise ValueError("no trial matches: the evidence map would be empty (check population=).")
    counts = cells["outcome"].value_counts()
    outcomes = sorted(counts.index, key=lambda o: (o == "other", -counts[o], o))
    studies = list(dict.fromkeys(cells["study_id"]))
    pops = dict(zip(cells["study_id"], cells["population"]))
    col = {o: i for i, o in enumerate(outcomes)}
    row = {s: len(studies) - 1 - i for i, s in enumerate(studies)}
    x = cells["outcome"].map(col).to_numpy(dtype=float)
    y = cells["study_id"].map(row).to_numpy(dtype=float)
    ax = new_axes(ax, width=width, height_mm=2.9 * len(studies) + 44)
    with style_context():
        colours = [DATA_LEVEL_COLOURS.get(v, "#DDDDDD") for v in cells["data_level"]]
        sc = ax.scatter(x, y, s=30, marker="s", c=colours, edgecolors="none", zorder=2)
        sc.set_gid("evidence-cells")
        for kind, face in (("mean_sd", "#111111"), ("other", "white")):
            sel = (cells["numbers"] == kind).to_numpy()
            d = ax.scatter(
                x[sel],
                y[sel],
                s=6,
                marker="o",
                facecolors=face,
                edgecolors="#111111",
                linewidths=0.5,
                zorder=3,
            )
            d.set_gid(f"evidence-{kind.replace('_', '-')}")
        # the row and column names are texts placed where tick labels go, and the grid is two line
        # collections: with ~110 ticks, matplotlib's per-draw tick machinery (a tick object per label, its
        # lines and gridline drawn one by one, in every format) cost more than the texts themselves
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlim(-0.6, len(outcomes) - 0.4)
        ax.set_ylim(-0.6, len(studies) - 0.4)
        grid = {"lw": 0.3, "color": "#EEEEEE", "zorder": 0.5}
        ax.vlines(range(len(outcomes)), -0.6, len(studies) - 0.4, **grid).set_gid("evidence-grid-columns")
        ax.hlines(range(len(studies)), -0.6, len(outcomes) - 0.4, **grid).set_gid("evidence-grid-rows")
        pad = mpl.rcParams["xtick.major.pad"]
        top, _, _ = ax.get_xaxis_text2_transform(pad)
        colsize = 6.0 if (85.0 - 30.0) / max(len(outcomes), 1) < 4.5 else mpl.rcParams["xtick.labelsize"]
        for i, o in enumerate(outcomes):
            ax.text(i, 1, o.replace("_", " "), transform=top, rotation=62, rotation_mode="anchor", ha="left",
                    va="bottom", fontsize=colsize, gid="evidence-column-label")
        left, _, _ = ax.get_yaxis_text1_transform(mpl.rcParams["ytick.major.pad"])
        for i, study in enumerate(studies):
            ax.text(0, len(studies) - 1 - i, study, transform=left, ha="right", va="center_baseline", fontsize=6,
                    gid="evidence-row-label")
        for s in ax.spines.values():
            s.set_visible(False)
        # population separators
        order = [pops[s] for s in studies]
        for i in range(1, len(order)):
            if order[i] != order[i - 1]:
                ax.axhline(len(studies) - i - 0.5, color="#666666", lw=0.6)
        for pop in dict.fromkeys(order):
            first = order.index(pop)
            ax.text(
                len(outcomes) - 0.45,
                len(studies) - 1 - first,
                pop,
                ha="right",
                va="center",
                fontsize=6,
                fontstyle="italic",
                color="#444444",
                zorder=4,
            )
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], ls="", marker="s", ms=5, color=c, label=_LEVEL_NAMES[k])
            for k, c in DATA_LEVEL_COLOURS.items()
            if k in set(cells["data_level"])
        ]
        handles += [
            Line2D([], [], ls="", marker="o", ms=3, mfc="#111111", mec="#111111", label="means and SDs"),
            Line2D([], [], ls="", marker="o", ms=3, mfc="white", mec="#111111", label="other numbers"),
        ]
        ax.legend(
            handles=handles,
            ncols=3,
            loc="upper center",
            bbox_to_anchor=(0.45, -0.004),
            fontsize=6,
            handletextpad=0.3,
            columnspacing=1.0,
        )
        ax.set_gid("evidence-map")
    return ax


def level_counts(cells: pd.DataFrame) -> pd.DataFrame:
    """Trials by ``data_level`` and numbers available (a table that goes with the map)."""
    return (
        cells.groupby(["data_level", "numbers"])
        .size()
        .rename("cells")
        .reset_index()
        .sort_values(["data_level", "numbers"])
        .reset_index(drop=True)
    )
