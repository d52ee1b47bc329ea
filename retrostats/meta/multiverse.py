"""A multiverse of reasonable analysis choices: estimators x tests, and the spread of the results."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..kernels.rma import TESTS
from ..kernels.tau2 import TAU2, TAU2_NAMES
from ..validators import check_option
from .analysis import meta_analysis

__all__ = ["multiverse"]


def multiverse(
    data: pd.DataFrame | None = None,
    *,
    methods: Sequence[str] = ("DL", "REML", "PM"),
    tests: Sequence[str] = ("z", "knha"),
    **kwargs: Any,
) -> pd.DataFrame:
    """Run :func:`meta_analysis` under every combination of ``methods`` and ``tests``.

    Parameters
    ----------
    data : DataFrame, optional
        As :func:`meta_analysis`; other keyword arguments (``yi, vi, mods, confidence_level`` ...)
        pass through.
    methods, tests : sequences of metafor codes

    Returns
    -------
    DataFrame
        One row per analysis with ``method, method_name`` (the estimator's long name), ``test, k,
        estimate, se, ci_low, ci_high, p_value, pi_low, pi_high, tau2, i2``; ``attrs["spread"]`` holds the
        range of the estimates, the widest and narrowest CI, and how many analyses are significant at the
        chosen level.

    Examples
    --------
    >>> mv = multiverse(yi=[-0.5, -0.2, -0.9, -0.4], vi=[0.04, 0.05, 0.09, 0.03])
    >>> mv.shape[0], sorted(mv.attrs["spread"])[2:4]
    (6, ['estimate_max', 'estimate_min'])
    """
    for m in methods:
        check_option("methods", m, list(TAU2))
    for t in tests:
        check_option("tests", t, list(TESTS))
    if "method" in kwargs or "test" in kwargs or "preset" in kwargs:
        raise ValueError("multiverse() varies method and test itself; use methods= and tests=.")
    rows = []
    for m in methods:  # a handful of full analyses
        for t in tests:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the same data warnings would repeat once per analysis
                r = meta_analysis(data, method=m, test=t, **kwargs)
            rows.append(
                {
                    "method": m,
                    "method_name": TAU2_NAMES.get(m, m),
                    "test": t,
                    "k": r.k,
                    "estimate": r.estimate,
                    "se": r.se,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "p_value": r.p_value,
                    "pi_low": r.pi_low,
                    "pi_high": r.pi_high,
                    "tau2": r.tau2,
                    "i2": r.i2,
                }
            )
    out = pd.DataFrame(rows)
    level = kwargs.get("confidence_level", 0.95)
    width = out["ci_high"] - out["ci_low"]
    out.attrs["spread"] = {
        "estimate_min": float(out["estimate"].min()),
        "estimate_max": float(out["estimate"].max()),
        "ci_width_min": float(width.min()),
        "ci_width_max": float(width.max()),
        "n_significant": int((out["p_value"] < 1 - level).sum()),
        "n_analyses": len(out),
    }
    return out
