# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Meta-analysis of retro walking vs usual care: pain, disability, quadriceps strength
#
# First we ask the registry how many trials give a standardized effect size for each outcome. Because every
# trial was read from its abstract, at most one trial per outcome does. In instrument units more is
# possible: two trials give a mean difference in NPRS points for pain, which we pool with the Cochrane preset.
# The full set of diagnostics is then shown on a SYNTHETIC demonstration set.

# %%
import warnings

import pandas as pd

import retrostats as rs
from retrostats import figures

rows = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for outcome in ("pain", "disability", "quadriceps_strength"):
        es = rs.registry_effect_sizes(outcome=outcome, comparison="retro vs control", measure="SMD")
        rows.append({"outcome": outcome, "trials_with_numbers": len(es), "usable": int(es["usable"].sum())})
pd.DataFrame(rows)

# %% [markdown]
# ## Pain in NPRS points: the registry's own numbers, pooled (real data)
# Each row carries the derivation of its number; with two abstract-level trials the result is fragile, and
# the summary says so.

# %%
pain = rs.registry_effect_sizes(outcome="pain", comparison="retro vs control", measure="MD", instrument="NPRS")
pain = pain[pain["usable"]].reset_index(drop=True)
print(rs.effects.render_derivation(pain.loc[0, "derivation"]))
pain_res = rs.meta_analysis(pain, preset="cochrane", slab="study_id")
pain_res.summary()

# %%
ax = figures.forest_plot(pain_res, higher_is_better=True, instrument="NPRS", mcid=True,
                         xlabel="Mean difference in NPRS points (positive favours retro)")

# %% [markdown]
# ## A SYNTHETIC demonstration set
# Ten simulated two-arm NPRS trials (`simulate_trial`), summarised as published trials would be.

# %%
frames = []
for i, n in enumerate([12, 15, 18, 20, 24, 30, 36, 45, 60, 80]):
    d = rs.simulate_trial(
        n_per_arm=n,
        arms=("retro", "control"),
        weeks=(0, 6),
        change={"retro": 2.0 + 0.15 * (i % 4), "control": 1.0},
        seed=1000 + i,
    )
    s = d[d["week"] == 6].groupby("arm")["value"].agg(["mean", "std", "count"])
    frames.append(
        pd.DataFrame(
            {
                "study": [f"Synthetic {i + 1:02d}"],
                "setting": ["treadmill" if i % 2 else "overground"],
                "m1": s.loc["retro", "mean"],
                "sd1": s.loc["retro", "std"],
                "n1": s.loc["retro", "count"],
                "m2": s.loc["control", "mean"],
                "sd2": s.loc["control", "std"],
                "n2": s.loc["control", "count"],
            }
        )
    )
studies = pd.concat(frames, ignore_index=True)
es = rs.effect_sizes(studies, measure="SMD", m1="m1", sd1="sd1", n1="n1", m2="m2", sd2="sd2", n2="n2")
res = rs.meta_analysis(es, preset="cochrane", slab="study", subgroup="setting")
res.summary()

# %%
ax = figures.forest_plot(res, data=es, subgroup="setting", instrument="NPRS")

# %% [markdown]
# ## Heterogeneity, small-study effects, influence

# %%
res.heterogeneity_ci()

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # k = 10: the tests warn that they are underpowered
    egger, rank, tf = res.egger_test(), res.rank_test(), res.trim_and_fill()
print(egger, rank, tf.k0, sep="\n")

# %%
ax = figures.funnel_plot(res, trim_and_fill=tf)

# %%
ax = figures.forest_plot(res, variant="leave_one_out")

# %%
ax = figures.forest_plot(res, variant="cumulative")

# %%
res.permutation_test(n_perm=200, seed=1)

# %%
rs.multiverse(es, slab="study") if hasattr(rs, "multiverse") else None

# %%
import importlib.metadata as md
import sys

print("Python", sys.version.split()[0])
for pkg in ("retrostats", "numpy", "scipy", "pandas", "matplotlib"):
    print(pkg, md.version(pkg))
