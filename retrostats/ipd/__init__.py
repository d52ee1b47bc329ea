"""Participant-level trial analysis: loaders, ANCOVA, MMRM, missing data, responders, synthetic trials."""

from __future__ import annotations

from .mmrm import MmrmResult, mmrm

__all__ = ["mmrm", "MmrmResult"]
