"""Bayesian layer: exact and PyMC random-effects meta-analysis, clinical probabilities, Bayesian ANCOVA.

PyMC and ArviZ are imported only inside the functions that need them (the ``bayes`` extra); the exact
meta-analysis (``method="exact"``) needs only NumPy and SciPy.

Examples
--------
>>> import retrostats as rs
>>> fit = rs.bayes_meta_analysis(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
>>> list(fit.posterior_summary.index)
['mu', 'tau', 'theta_new']
"""

from .ancova import BayesAncovaResult, bayes_ancova
from .clinical import clinical_probabilities, lookup_scale
from .meta import BayesMetaResult, bayes_meta_analysis, prior_sensitivity
from .priors import (
    EMPIRICAL_TAU_PRIORS,
    PriorSpec,
    default_priors,
    empirical_tau_priors,
    parse_mu_prior,
    parse_tau_prior,
)

__all__ = [
    "bayes_meta_analysis",
    "BayesMetaResult",
    "prior_sensitivity",
    "clinical_probabilities",
    "lookup_scale",
    "bayes_ancova",
    "BayesAncovaResult",
    "empirical_tau_priors",
    "EMPIRICAL_TAU_PRIORS",
    "PriorSpec",
    "parse_mu_prior",
    "parse_tau_prior",
    "default_priors",
]
