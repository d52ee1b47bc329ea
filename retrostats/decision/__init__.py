"""From evidence to decision: trial sequential analysis, GRADE evidence profiles, summary-of-findings tables.

:func:`trial_sequential_analysis` asks whether the accrued trials are conclusive (Lan-DeMets monitoring
boundaries at the heterogeneity-adjusted required information size); :func:`grade_profile` rates the
certainty of the evidence in the five GRADE domains with a stated rule and its numbers for every downgrade;
:func:`summary_of_findings` assembles profiles into a Cochrane-style table (HTML, Markdown, LaTeX, DOCX).
"""

from ._tsa_result import TSAResult
from .grade import GradeProfile, grade_profile
from .sof import SummaryOfFindings, summary_of_findings
from .tsa import alpha_spending_boundaries, diversity, required_information_size, trial_sequential_analysis
from .tsa_binary import binary_information_inputs, trial_sequential_analysis_binary

__all__ = [
    "trial_sequential_analysis",
    "trial_sequential_analysis_binary",
    "binary_information_inputs",
    "TSAResult",
    "required_information_size",
    "diversity",
    "alpha_spending_boundaries",
    "grade_profile",
    "GradeProfile",
    "summary_of_findings",
    "SummaryOfFindings",
]
