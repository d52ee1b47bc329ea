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
# # 2. The evidence registry: what the trials report
#
# Every number in the registry is traceable to its source (`source_url`, `source_location`) and carries the
# text exactly as printed (`value_text`). `data_level` says what the numbers come from: at present all
# trials were read from abstracts (or registries), so arm-level means with SDs are rare.

# %%
import pandas as pd

import retrostats as rs
from retrostats import figures

trials = rs.load_dataset("retro_trials")
arms = rs.load_dataset("retro_arms")
contrasts = rs.load_dataset("retro_contrasts")
primary = trials[trials["duplicate_of"].isna()]
pd.crosstab(primary["population"], primary["data_level"], margins=True)

# %% [markdown]
# ## Which statistics are printed?

# %%
arms["statistic"].value_counts()

# %%
contrasts.groupby(["statistic", "relation"]).size()

# %% [markdown]
# ## The evidence map
# Cells: a trial reports the outcome, coloured by data level. Filled dots: arm-level means and SDs (usable for
# effect sizes); open dots: other numbers only (p-values, percentage changes).

# %%
cells = figures.evidence_cells()
cells.groupby(["numbers"]).size()

# %%
ax = figures.evidence_map()

# %% [markdown]
# ## Knee trials only, with their doses

# %%
knee = primary[primary["population"] == "knee"]
knee[
    [
        "study_id",
        "year",
        "n_randomized",
        "arms",
        "minutes_per_session",
        "sessions_per_week",
        "weeks",
        "data_level",
    ]
].sort_values("year")

# %% [markdown]
# ## Published reviews
# What systematic reviews report as pooled effects (exactly as printed; not re-pooled here).

# %%
reviews = rs.load_dataset("retro_reviews")
knee_smd = reviews[(reviews["population"] == "knee") & reviews["measure"].isin(["SMD", "Hedges g"])].dropna(
    subset=["ci_low"]
)
ax = figures.forest_plot(
    knee_smd.reset_index(drop=True),
    labels="review_id",
    subgroup="outcome",
    xlabel="Published pooled SMD (as printed)",
)

# %%
import importlib.metadata as md
import sys

print("Python", sys.version.split()[0])
for pkg in ("retrostats", "numpy", "pandas", "matplotlib"):
    print(pkg, md.version(pkg))
