"""Trial planning: exact power, fast simulation, evidence-driven sample sizes.

Analytic power (:func:`power_ttest`, :func:`power_ancova`, ...) solves for whichever of effect size, n and
power is left as None. :func:`simulate_power` simulates trials vectorised over trials; :func:`power_grid`
evaluates scenario grids in parallel (joblib or a Dask cluster). :mod:`.evidence` plans from a
meta-analysis: assurance, the size that makes the updated meta-analysis conclusive, and scale units.
"""

from ._result import PowerResult
from .ancova import power_ancova, power_change_score
from .designs import (
    PrecisionResult,
    inflate_for_attrition,
    n_for_precision,
    power_equivalence,
    power_mmrm,
    power_noninferiority,
    power_three_arm,
)
from .evidence import (
    AssuranceResult,
    UpdateResult,
    assurance,
    mcid_effect_size,
    n_for_assurance,
    n_for_conclusive_update,
    predictive,
    to_effect_size,
    to_scale_units,
)
from .grid import power_grid
from .simulation import SimulationResult, simulate_power, visit_correlation
from .ttest import power_ttest

__all__ = [
    "PowerResult",
    "SimulationResult",
    "PrecisionResult",
    "AssuranceResult",
    "UpdateResult",
    "power_ttest",
    "power_ancova",
    "power_change_score",
    "power_three_arm",
    "power_noninferiority",
    "power_equivalence",
    "power_mmrm",
    "inflate_for_attrition",
    "n_for_precision",
    "simulate_power",
    "power_grid",
    "visit_correlation",
    "predictive",
    "assurance",
    "n_for_assurance",
    "n_for_conclusive_update",
    "mcid_effect_size",
    "to_scale_units",
    "to_effect_size",
]
