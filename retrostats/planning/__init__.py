"""Trial planning: exact power, fast simulation, evidence-driven sample sizes.

Analytic power (:func:`power_ttest`, :func:`power_ancova`, ...) solves for whichever of effect size, n and
power is left as None. :func:`simulate_power` simulates trials vectorised over trials; :func:`power_grid`
evaluates scenario grids in parallel (joblib or a Dask cluster). :mod:`.evidence` plans from a
meta-analysis: assurance, the size that makes the updated meta-analysis conclusive, and scale units.
"""

import importlib
from typing import Any

# name -> submodule; loaded on first use so that `retrostats plan --help` stays fast
_LAZY = {
    "PowerResult": "_result",
    "power_ancova": "ancova",
    "power_change_score": "ancova",
    "PrecisionResult": "designs",
    "inflate_for_attrition": "designs",
    "n_for_precision": "designs",
    "power_equivalence": "designs",
    "power_mmrm": "mmrm_power",
    "power_noninferiority": "designs",
    "power_three_arm": "designs",
    "AssuranceResult": "evidence",
    "UpdateResult": "evidence",
    "assurance": "evidence",
    "mcid_effect_size": "evidence",
    "n_for_assurance": "evidence",
    "assurance_curve": "curves",
    "max_assurance": "curves",
    "n_for_conclusive_update": "evidence",
    "predictive": "evidence",
    "to_effect_size": "evidence",
    "to_scale_units": "evidence",
    "power_grid": "grid",
    "SimulationResult": "simulation",
    "simulate_power": "simulation",
    "visit_correlation": "simulation",
    "power_ttest": "ttest",
    "check_instrument": "scales",
    "registry_sd": "scales",
    "scale_unit": "scales",
}

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
    "assurance_curve",
    "max_assurance",
    "n_for_conclusive_update",
    "mcid_effect_size",
    "to_scale_units",
    "to_effect_size",
    "check_instrument",
    "registry_sd",
    "scale_unit",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
