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
# # 3. Effect sizes from incomplete reporting
#
# Trials of retro walking often print medians, confidence intervals or only p-values. `retrostats.convert`
# holds the standard conversions (Cochrane Handbook, Wan 2014, Luo 2018); `registry_effect_sizes` applies
# them to the registry and records, per trial, the route taken or why no effect size exists.

# %%
import warnings

import retrostats as rs
from retrostats import convert

# %% [markdown]
# ## Conversions, one line each

# %%
print("SD from a 95% CI of a mean (n = 20):", convert.sd_from_ci(3.1, 5.3, 20))
print("SE of a difference from its exact p-value:", convert.se_from_p(-1.2, 0.03, df=38))
print("Mean from median and IQR (Luo):", convert.mean_from_median(4.0, q1=3.0, q3=6.0, n=25))
print("SD from median and IQR (Wan):", convert.sd_from_median(4.0, q1=3.0, q3=6.0, n=25))
print("Two arms combined:", convert.combine_groups(15, 4.0, 1.2, 14, 4.6, 1.4))

# %% [markdown]
# ## The registry: routes and reasons
# For pain, retro walking vs control.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the DataWarnings are listed in the `reason` column
    pain = rs.registry_effect_sizes(outcome="pain", comparison="retro vs control", measure="SMD")
pain[["study_id", "instrument", "route", "usable", "yi", "vi", "reason"]]

# %% [markdown]
# ## Sensitivity to the assumed pre-post correlation r
# Change-score effect sizes need r; `sensitivity()` reruns them over assumed values (illustrative numbers).

# %%
rs.sensitivity(
    r=(0.3, 0.5, 0.7),
    measure="SMCC",
    m1=[5.8, 6.1],
    m2=[3.9, 4.8],
    sd1=[1.5, 1.7],
    sd2=[1.6, 1.8],
    n=[20, 24],
)

# %%
import importlib.metadata as md
import sys

print("Python", sys.version.split()[0])
for pkg in ("retrostats", "numpy", "scipy", "pandas"):
    print(pkg, md.version(pkg))
