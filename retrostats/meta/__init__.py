"""Meta-analysis with metafor parity: :func:`meta_analysis`, :class:`MetaAnalysisResult`, :func:`multiverse`.

Examples
--------
>>> import retrostats as rs
>>> res = rs.meta_analysis(yi=[-0.5, -0.2, -0.9, -0.4], vi=[0.04, 0.05, 0.09, 0.03], preset="cochrane")
>>> res.method, res.test
('REML', 'knha')
"""

from .analysis import meta_analysis
from .batch import MetaAnalysisBatch
from .bias import EggerResult, RankTestResult, TrimFillResult
from .binary import BinaryMetaResult, meta_analysis_mh, meta_analysis_peto
from .dose import DoseResponseResult, dose_response
from .multiarm import shared_groups, split_shared_groups
from .multilevel import MultilevelResult, che_sensitivity, impute_covariance, meta_analysis_mv
from .multiverse import multiverse
from .permutation import PermutationResult
from .presets import PRESETS
from .result import MetaAnalysisResult
from .studies import read_studies

__all__ = [
    "meta_analysis",
    "MetaAnalysisResult",
    "MetaAnalysisBatch",
    "multiverse",
    "shared_groups",
    "split_shared_groups",
    "EggerResult",
    "RankTestResult",
    "TrimFillResult",
    "PermutationResult",
    "PRESETS",
    "meta_analysis_mh",
    "meta_analysis_peto",
    "BinaryMetaResult",
    "meta_analysis_mv",
    "impute_covariance",
    "che_sensitivity",
    "MultilevelResult",
    "dose_response",
    "DoseResponseResult",
    "read_studies",
]
