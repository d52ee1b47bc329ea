"""Instrument facts (range, direction, whole-number scores, MCID) from the shipped ``outcome_scales``."""

from __future__ import annotations

import math
from typing import Any

from ..datasets import load_dataset
from ..validators import check_option

__all__ = ["scale_info"]


def scale_info(instrument: str) -> dict[str, Any]:
    """The row of ``outcome_scales`` for ``instrument`` as a dict (``min``/``max`` are -inf/inf if unbounded).

    Examples
    --------
    >>> s = scale_info("NPRS")
    >>> s["min"], s["max"], s["higher_is_better"]
    (0.0, 10.0, False)
    """
    scales = load_dataset("outcome_scales")
    check_option("instrument", instrument, list(scales["instrument"]))
    row = scales.loc[scales["instrument"] == instrument].iloc[0]
    lo, hi = row["min"], row["max"]
    mcid = row["mcid"]
    return {
        "instrument": instrument,
        "min": -math.inf if lo != lo else float(lo),
        "max": math.inf if hi != hi else float(hi),
        "higher_is_better": bool(row["higher_is_better"]),
        "integer_valued": bool(row["integer_valued"]) if row["integer_valued"] is not None
        and str(row["integer_valued"]) != "<NA>" else False,
        "mcid": None if mcid != mcid else float(mcid),
        "mcid_source": row.get("mcid_source"),
    }
