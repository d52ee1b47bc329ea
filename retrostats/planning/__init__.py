"""Trial planning: exact power, fast simulation, evidence-driven sample sizes.

Analytic power (:func:`power_ttest`, :func:`power_ancova`, ...) solves for whichever of effect size, n and
power is left as None. :func:`simulate_power` simulates trials vectorised over trials; :func:`power_grid`
evaluates scenario grids in parallel (joblib or a Dask cluster). :mod:`.evidence` plans from a
meta-analysis: assurance, the size that makes the updated meta-analysis conclusive, and scale units.
"""

from ._result import PowerResult
from .ttest import power_ttest

__all__ = ["PowerResult", "power_ttest"]
