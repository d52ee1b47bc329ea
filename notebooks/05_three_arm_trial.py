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
# # 5. Reanalysis of a SYNTHETIC three-arm trial: ANCOVA, MMRM, responders
#
# `synthetic_three_arm_trial` holds simulated participants (retro, forward, control; NPRS pain at baseline
# and weeks 2, 4, 6), calibrated to published summaries. It is for teaching: not real data.

# %%
import retrostats as rs
from retrostats import figures

trial = rs.load_dataset("synthetic_three_arm_trial")
trial.groupby(["arm", "visit"])["value"].agg(["count", "mean", "std"]).round(2)

# %%
ax = figures.prepost_plot(
    trial,
    subject="participant",
    visit="visit",
    value="value",
    arm="arm",
    pre="baseline",
    post="week 6",
    ylabel="NPRS pain",
)

# %% [markdown]
# ## ANCOVA at week 6 (baseline-adjusted), as R `lm` + `emmeans`

# %%
week6 = trial[trial["week"] == 6]
anc = rs.ancova(week6, outcome="value", baseline="baseline", arm="arm")
anc.contrasts.round(3)

# %%
ax = figures.raincloud_plot(week6, value="value", group="arm", ylabel="NPRS pain at week 6")

# %% [markdown]
# ## MMRM over all visits (unstructured covariance, REML), as `nlme::gls` + `emmeans`

# %%
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
ax = figures.trajectory_plot(fit, x={"week 2": 2, "week 4": 4, "week 6": 6})

# %% [markdown]
# ## Responders: reaching the NPRS MCID

# %%
rs.responders(week6, outcome="value", baseline="baseline", arm="arm", instrument="NPRS")

# %%
import importlib.metadata as md
import sys

print("Python", sys.version.split()[0])
for pkg in ("retrostats", "numpy", "scipy", "pandas", "statsmodels"):
    print(pkg, md.version(pkg))
