"""Participant-level trial analysis: loaders, ANCOVA, MMRM, missing data, responders, synthetic trials.

Examples
--------
>>> import retrostats as rs
>>> d = rs.simulate_trial(n_per_arm=12, seed=1)
>>> rs.ancova(d[d["week"] == 6], outcome="value", baseline="baseline", arm="arm").contrasts.shape
(3, 8)
"""

from __future__ import annotations

from .ancova import AncovaResult, ancova
from .loaders import CANONICAL_COLUMNS, read_participants
from .missing import MIResult, ancova_mi, rubin, tipping_point
from .mmrm import COVARIANCES, MmrmResult, mmrm
from .responders import ResponderResult, responders
from .scales import scale_info
from .secondary import change_score_ttest, mixed_anova
from .summaries import arm_summaries
from .synthetic import CALIBRATION, simulate_trial

__all__ = [
    "read_participants", "CANONICAL_COLUMNS", "ancova", "AncovaResult", "mmrm", "MmrmResult", "COVARIANCES",
    "ancova_mi", "tipping_point", "rubin", "MIResult", "responders", "ResponderResult", "change_score_ttest",
    "mixed_anova", "simulate_trial", "CALIBRATION", "scale_info", "arm_summaries",
]
