"""retrostats: research data and statistics for trials of retro (backward) walking.

The public namespace is flat and curated (``__all__``); names load lazily so that ``import retrostats``
stays light (no PyMC, seaborn or pyplot at import).

Examples
--------
>>> import retrostats as rs
>>> rs.load_dataset("outcome_scales").set_index("instrument").loc["NPRS", "max"]
np.float64(10.0)
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__ as __version__
from .exceptions import ConvergenceError as ConvergenceError
from .exceptions import ConvergenceWarning as ConvergenceWarning
from .exceptions import DataError as DataError
from .exceptions import DataWarning as DataWarning
from .exceptions import MissingExtraError as MissingExtraError
from .exceptions import RetrostatsWarning as RetrostatsWarning
from .exceptions import SmallSampleWarning as SmallSampleWarning

# name -> module that defines it. Each block belongs to one layer; add a name to its block.
_LAZY: dict[str, str] = {
    # data
    "list_datasets": "retrostats.datasets",
    "load_dataset": "retrostats.datasets",
    "dataset_info": "retrostats.datasets",
    "registry_changelog": "retrostats.datasets",
    "read_extraction": "retrostats.effects.extraction",
    "extraction_template": "retrostats.effects.extraction",
    "merge_extraction": "retrostats.effects.extraction",
    "merge_contrasts": "retrostats.effects.extraction",
    "contrast_template": "retrostats.effects.extraction_contrasts",
    "read_contrasts": "retrostats.effects.extraction_contrasts",
    # effect sizes
    "Measure": "retrostats.measures",
    "get_measure": "retrostats.measures",
    "register_measure": "retrostats.measures",
    "effect_sizes": "retrostats.effects",
    "sensitivity": "retrostats.effects",
    "registry_effect_sizes": "retrostats.effects.registry",
    # meta-analysis
    "meta_analysis": "retrostats.meta",
    "MetaAnalysisResult": "retrostats.meta",
    "MetaAnalysisBatch": "retrostats.meta",
    "multiverse": "retrostats.meta",
    "meta_analysis_mh": "retrostats.meta",
    "meta_analysis_peto": "retrostats.meta",
    "meta_analysis_mv": "retrostats.meta",
    "impute_covariance": "retrostats.meta",
    "dose_response": "retrostats.meta",
    # planning
    "power_ttest": "retrostats.planning",
    "simulate_power": "retrostats.planning",
    "power_grid": "retrostats.planning",
    "power_ancova": "retrostats.planning",
    "power_change_score": "retrostats.planning",
    "power_three_arm": "retrostats.planning",
    "power_noninferiority": "retrostats.planning",
    "power_equivalence": "retrostats.planning",
    "power_mmrm": "retrostats.planning",
    "inflate_for_attrition": "retrostats.planning",
    "n_for_precision": "retrostats.planning",
    "assurance": "retrostats.planning",
    "n_for_assurance": "retrostats.planning",
    "assurance_curve": "retrostats.planning",
    "max_assurance": "retrostats.planning",
    "n_for_conclusive_update": "retrostats.planning",
    # evidence to decision
    "trial_sequential_analysis": "retrostats.decision",
    "trial_sequential_analysis_binary": "retrostats.decision",
    "grade_profile": "retrostats.decision",
    "summary_of_findings": "retrostats.decision",
    # participant-level data
    "read_participants": "retrostats.ipd",
    "ancova": "retrostats.ipd",
    "mmrm": "retrostats.ipd",
    "simulate_trial": "retrostats.ipd",
    "arm_summaries": "retrostats.ipd",
    "responders": "retrostats.ipd",
    "ancova_mi": "retrostats.ipd",
    "tipping_point": "retrostats.ipd",
    # bayes (PyMC is imported only inside the functions)
    "bayes_meta_analysis": "retrostats.bayes",
    "prior_sensitivity": "retrostats.bayes",
    "clinical_probabilities": "retrostats.bayes",
    "bayes_ancova": "retrostats.bayes",
    "empirical_tau_priors": "retrostats.bayes",
    # output
    "save_figure": "retrostats.figures",
    "forest_plot": "retrostats.figures",
    "funnel_plot": "retrostats.figures",
    "bubble_plot": "retrostats.figures",
    "evidence_map": "retrostats.figures",
    "rob_traffic_light": "retrostats.figures",
    "rob_summary": "retrostats.figures",
    "tsa_plot": "retrostats.figures",
    "reproduce": "retrostats.report",
}
_SUBMODULES = ("convert", "figures", "kernels", "datasets", "validators", "meta", "planning", "ipd", "bayes",
               "report", "effects", "extraction", "exceptions", "measures", "decision", "derivation")

__all__ = sorted(
    [
        "__version__",
        "ConvergenceError",
        "ConvergenceWarning",
        "DataError",
        "DataWarning",
        "MissingExtraError",
        "RetrostatsWarning",
        "SmallSampleWarning",
        *_LAZY,
        *_SUBMODULES,
    ]
)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"retrostats.{name}")
    raise AttributeError(f"module 'retrostats' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
