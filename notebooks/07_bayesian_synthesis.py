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
# # 7. Bayesian synthesis and clinical probabilities
#
# With few trials, tau is barely identified. The exact method integrates the normal-normal model
# numerically (no MCMC; PyMC is not needed). The data are SYNTHETIC study summaries (as in notebook 4).

# %%
import pandas as pd

import retrostats as rs
from retrostats import figures

frames = []
for i, n in enumerate([12, 15, 18, 20, 24, 30]):
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
                "m1": s.loc["retro", "mean"],
                "sd1": s.loc["retro", "std"],
                "n1": s.loc["retro", "count"],
                "m2": s.loc["control", "mean"],
                "sd2": s.loc["control", "std"],
                "n2": s.loc["control", "count"],
            }
        )
    )
es = rs.effect_sizes(
    pd.concat(frames, ignore_index=True),
    measure="SMD",
    m1="m1",
    sd1="sd1",
    n1="n1",
    m2="m2",
    sd2="sd2",
    n2="n2",
)
fit = rs.bayes_meta_analysis(
    es, mu_prior=("normal", 0.0, 2.0), tau_prior=("half-normal", 0.5), method="exact"
)
fit.posterior_summary.round(3)

# %%
ax = figures.posterior_plot(fit, mcid=0.5)

# %%
ax = figures.shrinkage_plot(fit)

# %% [markdown]
# ## Clinical probabilities
# P(benefit) and P(effect beyond an MCID of 0.5 SD), for the average effect and for a new study.

# %%
fit.clinical_probabilities(mcid=0.5, higher_is_better=False)

# %% [markdown]
# ## Prior sensitivity

# %%
rs.bayes.prior_sensitivity(es)

# %% [markdown]
# `method="nuts"` samples the same model with PyMC (the `bayes` extra) and returns the same summary; it is
# not run here to keep the notebook fast.

# %%
import importlib.metadata as md
import sys

print("Python", sys.version.split()[0])
for pkg in ("retrostats", "numpy", "scipy", "pandas"):
    print(pkg, md.version(pkg))
