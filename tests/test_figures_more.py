"""Figures beyond forest/funnel: each draws exactly the numbers of its input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

import retrostats as rs
from retrostats import figures as F
from retrostats.exceptions import DataError


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _gid(ax, gid, kind="collections"):
    found = [a for a in getattr(ax, kind) if a.get_gid() == gid]
    assert len(found) == 1, f"expected one artist {gid!r}, found {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def trial():
    return rs.load_dataset("synthetic_three_arm_trial")


def test_evidence_map_cells_match_the_registry():
    trials = rs.load_dataset("retro_trials")
    cells = F.evidence_cells(population="knee")
    primary = trials[trials["duplicate_of"].isna() & (trials["population"] == "knee")]
    assert set(cells["study_id"]) <= set(primary["study_id"])
    # every outcome a trial lists is a cell
    listed = {
        (s, o)
        for s, out in zip(primary["study_id"], primary["outcomes"].fillna(""))
        for o in out.split(";")
        if o
    }
    assert listed <= set(zip(cells["study_id"], cells["outcome"]))
    ax = F.evidence_map(population="knee")
    sc = _gid(ax, "evidence-cells")
    assert len(sc.get_offsets()) == len(cells)
    level = dict(zip(primary["study_id"], primary["data_level"]))
    expected = [F.DATA_LEVEL_COLOURS[level[s]].lower() for s in cells["study_id"]]
    assert [to_hex(c) for c in sc.get_facecolors()] == expected
    n_msd = len(_gid(ax, "evidence-mean-sd").get_offsets())
    assert n_msd == int((cells["numbers"] == "mean_sd").sum())
    # a mean_sd cell really has arm means and SDs in retro_arms
    arms = rs.load_dataset("retro_arms")
    for s, o in cells.loc[cells["numbers"] == "mean_sd", ["study_id", "outcome"]].itertuples(index=False):
        st = set(arms.loc[(arms["study_id"] == s) & (arms["outcome"] == o), "statistic"])
        assert {"mean", "sd"} <= st or {"mean_change", "sd_change"} <= st
    with pytest.raises(ValueError, match="empty"):
        F.evidence_map(population="nobody")


def test_trajectory_plot_draws_adjusted_means(trial):
    fit = rs.mmrm(
        trial[trial["week"] > 0],
        outcome="value",
        arm="arm",
        visit="visit",
        subject="participant",
        baseline="baseline",
    )
    ax = F.trajectory_plot(fit)
    for arm in ("retro", "forward", "control"):
        m = fit.adjusted_means[fit.adjusted_means["arm"] == arm]
        line = _gid(ax, f"trajectory:{arm}", "lines")
        np.testing.assert_array_equal(line.get_ydata(), m["estimate"].to_numpy())
        segs = np.array(_gid(ax, f"trajectory-ci:{arm}").get_segments())
        np.testing.assert_array_equal(segs[:, 0, 1], m["ci_low"].to_numpy())
        np.testing.assert_array_equal(segs[:, 1, 1], m["ci_high"].to_numpy())
    with pytest.raises(TypeError, match="mmrm"):
        F.trajectory_plot(object())
    # regression: the axis label said 95% whatever the fit's confidence level; a partial x raised KeyError
    assert ax.get_ylabel() == "Adjusted mean (95% CI)"
    fit90 = rs.mmrm(trial[trial["week"] > 0], outcome="value", arm="arm", visit="visit", subject="participant",
                    baseline="baseline", confidence_level=0.9)
    assert F.trajectory_plot(fit90).get_ylabel() == "Adjusted mean (90% CI)"
    with pytest.raises(ValueError, match="week 6"):
        F.trajectory_plot(fit, x={"week 2": 2, "week 4": 4})


def test_raincloud_and_prepost_draw_the_participants(trial):
    wk6 = trial[trial["week"] == 6]
    ax = F.raincloud_plot(wk6, value="value", group="arm")
    for arm in ("retro", "forward", "control"):
        y = _gid(ax, f"raincloud-points:{arm}").get_offsets()[:, 1]
        np.testing.assert_array_equal(np.sort(y), np.sort(wk6.loc[wk6["arm"] == arm, "value"].to_numpy()))
    ax = F.prepost_plot(
        trial, subject="participant", visit="visit", value="value", arm="arm", pre="baseline", post="week 6"
    )
    segs = np.array(_gid(ax, "prepost-lines:retro").get_segments())
    wide = trial[trial["arm"] == "retro"].pivot_table(index="participant", columns="visit", values="value")
    wide = wide[["baseline", "week 6"]].dropna()
    np.testing.assert_array_equal(segs[:, 0, 1], wide["baseline"].to_numpy())
    np.testing.assert_array_equal(segs[:, 1, 1], wide["week 6"].to_numpy())
    with pytest.raises(ValueError, match="post='week 9'"):
        F.prepost_plot(trial, subject="participant", visit="visit", value="value", post="week 9")


def test_prepost_default_visits_are_baseline_and_last(trial):
    # regression: the default pre/post were the first and last visit in order of appearance, so a first
    # participant without a baseline row made the plot run from "week 2" back to "baseline"
    d = trial[~((trial["participant"] == trial["participant"].iloc[0]) & (trial["week"] == 0))]
    assert d["visit"].iloc[0] != "baseline"
    ax = F.prepost_plot(d, subject="participant", visit="visit", value="value", arm="arm")
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["baseline", "week 6"]
    relabelled = trial.assign(visit=trial["visit"].replace({"week 2": "week 12"}))  # 12 is the last visit
    ax = F.prepost_plot(relabelled, subject="participant", visit="visit", value="value")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["baseline", "week 12"]
    ax = F.prepost_plot(trial.iloc[::-1], subject="participant", visit="week", value="value")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.0", "6.0"]


def test_power_and_assurance_curves():
    g = rs.power_grid(design="ttest", n_per_arm=[20, 40, 60], effect=[0.3, 0.5])
    ax = F.power_curve_plot(g, hue="effect_size")
    for d in (0.3, 0.5):
        line = _gid(ax, f"power:{d}", "lines")
        np.testing.assert_array_equal(line.get_ydata(), g.loc[g["effect_size"] == d, "power"].to_numpy())
    curve = pd.DataFrame({"n_per_arm": [80, 20, 40], "assurance": [0.7, 0.4, 0.5], "power": [0.9, 0.3, 0.6]})
    ax = F.assurance_plot(curve, max_assurance=0.8)
    np.testing.assert_array_equal(_gid(ax, "assurance", "lines").get_ydata(), [0.4, 0.5, 0.7])  # sorted by n
    assert _gid(ax, "target", "lines").get_ydata()[0] == 0.8
    assert _gid(ax, "max-assurance", "lines").get_ydata()[0] == 0.8


def test_posterior_and_shrinkage_draw_the_posterior():
    fit = rs.bayes_meta_analysis(yi=[-1.2, -0.4, -0.9, -0.5], vi=[0.2, 0.3, 0.25, 0.1])
    ax = F.posterior_plot(fit, quantities=("mu", "theta_new"), mcid=0.5)
    ps = fit.posterior_summary
    for q in ("mu", "theta_new"):
        bar = _gid(ax, f"interval:{q}", "lines")
        np.testing.assert_array_equal(bar.get_xdata(), [ps.loc[q, "q025"], ps.loc[q, "q975"]])
        line = _gid(ax, f"posterior:{q}", "lines")
        x, d = line.get_xdata(), line.get_ydata()
        # the drawn curve is a density: it integrates to ~1 over the plotted 0.2%-99.8% range
        mass = np.sum(0.5 * (d[1:] + d[:-1]) * np.diff(x))
        assert 0.99 < mass < 1.0 + 1e-6  # 0.4 % of the mass lies outside the plotted range
    ax = F.shrinkage_plot(fit)
    se = fit.study_effects
    np.testing.assert_array_equal(_gid(ax, "observed").get_offsets()[:, 0], se["yi"].to_numpy())
    np.testing.assert_array_equal(_gid(ax, "shrunken").get_offsets()[:, 0], se["mean"].to_numpy())


def test_rob_figures():
    rob = F.example_rob_judgements()
    assert all(s.startswith("Synthetic") for s in rob["study"])  # never real trials
    ax = F.rob_traffic_light(rob)
    lights = _gid(ax, "rob-lights")
    judged = rob.set_index("study").to_numpy().ravel()
    assert [to_hex(c) for c in lights.get_facecolors()] == [F.ROB_COLOURS[j][0].lower() for j in judged]
    ax = F.rob_summary(rob)
    high = [p for p in ax.patches if p.get_gid() == "rob-summary:high"]
    np.testing.assert_allclose(
        [p.get_width() for p in high], [(rob[d] == "high").mean() * 100 for d in rob.columns[1:]]
    )
    w = pd.Series([1.0, 3.0, 0.0, 0.0], index=rob["study"])
    ax = F.rob_summary(rob, weights=w)
    low = [p.get_width() for p in ax.patches if p.get_gid() == "rob-summary:low"]
    assert low[0] == 25.0  # D1: study A (weight 1) low, B (weight 3) some concerns
    with pytest.raises(DataError, match="two rows for study"):
        F.rob_traffic_light(pd.concat([rob, rob]))
    with pytest.raises(ValueError, match="weights"):
        F.rob_summary(rob, weights=[1, 2])


def test_evidence_map_names_every_trial_and_outcome_where_tick_labels_go():
    # the names are texts at the tick-label places (not ticks: ~110 tick objects cost a quarter of the save)
    cells = F.evidence_cells(population="knee")
    ax = F.evidence_map(population="knee")
    rows = [t for t in ax.texts if t.get_gid() == "evidence-row-label"]
    cols = [t for t in ax.texts if t.get_gid() == "evidence-column-label"]
    studies = list(dict.fromkeys(cells["study_id"]))
    assert [t.get_text() for t in rows] == studies
    assert [t.get_position()[1] for t in rows] == list(range(len(studies) - 1, -1, -1))  # first trial on top
    assert {t.get_text() for t in cols} == {o.replace("_", " ") for o in cells["outcome"]}
    assert not ax.get_xticks().size and not ax.get_yticks().size
    fig = ax.figure
    fig.canvas.draw()
    box = ax.get_window_extent()
    assert all(t.get_window_extent().x1 <= box.x0 for t in rows)  # left of the map
    assert all(t.get_window_extent().y0 >= box.y1 for t in cols)  # above it
    assert F.layout_problems(fig) == []
