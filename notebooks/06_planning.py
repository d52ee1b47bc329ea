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
# # 6. Planning the next retro-vs-forward trial: power, simulation, assurance
#
# The only published retro-vs-forward standardized estimate in the registry's reviews is for disability
# (chen2020cjter, SMD -0.43, 95% CI -0.94 to -0.08, as printed). We use it to size a two-arm ANCOVA trial.

# %%
import math

import pandas as pd

import retrostats as rs
from retrostats import figures, planning

rev = rs.load_dataset("retro_reviews")
row = rev[(rev["review_id"] == "chen2020cjter") & (rev["comparison"] == "retro vs forward")].iloc[0]
d = abs(row["estimate"])
se = (row["ci_high"] - row["ci_low"]) / (2 * 1.96)
d, round(se, 3)

# %% [markdown]
# ## Analytic power: t-test and ANCOVA with a baseline correlation

# %%
print(rs.power_ttest(effect_size=d, power=0.8))
print(planning.power_ancova(effect_size=d, power=0.8, r=0.5))

# %% [markdown]
# ## Simulation (small here; vectorised over trials) agrees with the analytic power

# %%
sim = rs.simulate_power("ancova", n_per_arm=66, effect=d, sd=1.0, r=0.5, n_sims=2000, seed=1)
sim.power, sim.mcse

# %%
grid = rs.power_grid(design="ancova", n_per_arm=list(range(10, 151, 10)), effect=[0.3, d, 0.6], r=0.5)
ax = figures.power_curve_plot(grid, hue="effect_size", hue_format="d = {:.2f}")

# %% [markdown]
# ## Assurance: power averaged over what we believe about the effect
# The review did not report heterogeneity, so the predictive SD here is only the estimate's SE (optimistic).

# %%
ns = list(range(10, 301, 20))
curve = pd.DataFrame(
    {
        "n_per_arm": ns,
        "assurance": [planning.assurance(mean=d, sd=se, n_per_arm=n, design="ancova", r=0.5) for n in ns],
        "power": [planning.power_ancova(effect_size=d, n=n, r=0.5).power for n in ns],
    }
)
ax = figures.assurance_plot(curve, max_assurance=0.5 * math.erfc(-d / se / math.sqrt(2)))

# %%
planning.n_for_assurance(mean=d, sd=se, target=0.7, design="ancova", r=0.5)

# %%
import importlib.metadata as md
import sys

print("Python", sys.version.split()[0])
for pkg in ("retrostats", "numpy", "scipy", "pandas"):
    print(pkg, md.version(pkg))
