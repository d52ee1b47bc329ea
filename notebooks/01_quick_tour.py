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
# # 1. A quick tour of retrostats
#
# retrostats bundles a registry of retro (backward) walking trials, effect sizes from incomplete reporting,
# meta-analysis with metafor parity, trial planning, participant-level models, Bayesian synthesis and
# journal-ready figures. This tour touches each layer once, with small numbers so that it runs in seconds.

# %%
import tempfile
from pathlib import Path

import retrostats as rs
from retrostats import figures

rs.list_datasets()[["name", "n_rows", "title"]]

# %% [markdown]
# ## The registry: what the trials report

# %%
trials = rs.load_dataset("retro_trials")
trials["data_level"].value_counts()

# %%
ax = figures.evidence_map(population="knee")

# %% [markdown]
# ## Effect sizes and a meta-analysis
# Four invented studies (not retro-walking data) show the calls; `effect_sizes` follows metafor's `escalc`.

# %%
demo = rs.effect_sizes(
    measure="SMD",
    m1=[3.1, 4.0, 2.8, 3.6],
    sd1=[1.2, 1.5, 1.1, 1.4],
    n1=[20, 32, 18, 40],
    m2=[4.2, 4.6, 4.0, 4.1],
    sd2=[1.3, 1.4, 1.2, 1.5],
    n2=[20, 30, 19, 41],
)
res = rs.meta_analysis(demo, method="REML", test="knha")
res

# %%
ax = res.plot_forest(higher_is_better=False)

# %% [markdown]
# ## Planning and participant-level data

# %%
rs.power_ttest(effect_size=0.5, power=0.8)

# %%
trial = rs.load_dataset("synthetic_three_arm_trial")  # SYNTHETIC participants
fit = rs.mmrm(
    trial[trial["week"] > 0],
    outcome="value",
    arm="arm",
    visit="visit",
    subject="participant",
    baseline="baseline",
)
fit.contrasts.round(3)

# %%
ax = figures.trajectory_plot(fit)

# %% [markdown]
# ## Saving a figure for a journal
# `save_figure` writes PDF, SVG and PNG sized to a journal column (85 or 180 mm), identically on every run.

# %%
out = Path(tempfile.mkdtemp())
figures.save_figure(ax, out / "trajectories", width="single")

# %%
import importlib.metadata as md
import sys

print("Python", sys.version.split()[0])
for pkg in ("retrostats", "numpy", "scipy", "pandas", "statsmodels", "matplotlib"):
    print(pkg, md.version(pkg))
