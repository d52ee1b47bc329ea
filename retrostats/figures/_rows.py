"""Turn a meta-analysis result or a tidy frame into the rows a forest plot draws (no statistics computed).

The only arithmetic here is display arithmetic: a study's confidence interval ``yi ± z·sqrt(vi)`` (the
normal quantile from the standard library, as metafor's ``forest()`` draws it) when the input gives only
``yi`` and ``vi``, and marker areas proportional to the weights the result holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError

__all__ = ["Pooled", "StudyRows", "study_rows", "pooled_from", "LABEL_COLUMNS"]

#: Columns tried, in order, for the study labels of a frame.
LABEL_COLUMNS = ("label", "study", "study_id", "slab", "review_id")


@dataclass
class Pooled:
    """A pooled estimate to draw as a diamond (and an optional prediction interval)."""

    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float = math.nan
    pi_high: float = math.nan
    label: str = "Pooled estimate"
    text: str = ""


@dataclass
class StudyRows:
    """Per-study numbers as drawn."""

    labels: list[str]
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    weight: np.ndarray  # percent, NaN when unknown
    marker: str = "s"  # "s" weighted squares, "o" points (cumulative / leave-one-out / published rows)
    extra: pd.DataFrame = field(default_factory=pd.DataFrame)


def _is_result(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("yi", "vi", "estimate", "ci_low", "ci_high", "weights", "labels"))


def _z(level: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


def _labels(frame: pd.DataFrame, labels: Any) -> list[str]:
    if labels is None:
        for c in LABEL_COLUMNS:
            if c in frame.columns:
                return [str(s) for s in frame[c]]
        return [str(s) for s in frame.index]
    if isinstance(labels, str):
        if labels not in frame.columns:
            raise ValueError(
                f"labels={labels!r} is not a column of the data; columns are {list(frame.columns)}."
            )
        return [str(s) for s in frame[labels]]
    out = [str(s) for s in labels]
    if len(out) != len(frame):
        raise ValueError(f"labels has {len(out)} entries but the data has {len(frame)} rows.")
    return out


def _float(frame: pd.DataFrame, col: str) -> np.ndarray:
    try:
        return pd.to_numeric(frame[col], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(f"column {col!r} must be numeric to be drawn ({exc}).") from None


def study_rows(obj: Any, *, labels: Any = None, confidence_level: float | None = None) -> StudyRows:
    """Rows of a forest plot from a ``MetaAnalysisResult`` or a frame with ``yi, vi`` (or ``sei``) or with
    ``estimate, ci_low, ci_high``.
    """
    if _is_result(obj):
        level = float(confidence_level or obj.confidence_level)
        y = np.asarray(obj.yi, dtype=float)
        se = np.sqrt(np.asarray(obj.vi, dtype=float))
        lab = list(obj.labels) if labels is None else [str(s) for s in labels]
        if len(lab) != len(y):
            raise ValueError(f"labels has {len(lab)} entries but the result has {len(y)} studies.")
        return StudyRows(lab, y, y - _z(level) * se, y + _z(level) * se, np.asarray(obj.weights, dtype=float))
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(
            "forest_plot() takes a MetaAnalysisResult or a DataFrame with columns yi and vi (or sei), "
            f"or estimate, ci_low and ci_high; got {type(obj).__name__}."
        )
    frame = obj
    lab = _labels(frame, labels)
    if "yi" in frame.columns and (
        {"vi", "sei"} & set(frame.columns) or {"ci_low", "ci_high"} <= set(frame.columns)
    ):
        y = _float(frame, "yi")
        se = (
            np.sqrt(_float(frame, "vi"))
            if "vi" in frame.columns
            else (_float(frame, "sei") if "sei" in frame.columns else np.full(len(y), np.nan))
        )
        if {"ci_low", "ci_high"} <= set(frame.columns):
            lo, hi = _float(frame, "ci_low"), _float(frame, "ci_high")
        else:
            z = _z(confidence_level or 0.95)
            lo, hi = y - z * se, y + z * se
        if "weight" in frame.columns:
            w = _float(frame, "weight")
        else:  # relative precision, only to size the squares (no weight column is printed)
            w = np.full(len(y), np.nan)
        rows = StudyRows(lab, y, lo, hi, w, "s", frame.copy(deep=False))  # attrs below: not on the user's frame
        rows.extra.attrs["size_from"] = "weight" if "weight" in frame.columns else "precision"
        rows.extra.attrs["precision"] = 1 / se**2
        return rows
    if {"estimate", "ci_low", "ci_high"} <= set(frame.columns):
        w = _float(frame, "weight") if "weight" in frame.columns else np.full(len(frame), np.nan)
        return StudyRows(
            lab,
            _float(frame, "estimate"),
            _float(frame, "ci_low"),
            _float(frame, "ci_high"),
            w,
            "s" if "weight" in frame.columns else "o",
            frame,
        )
    raise DataError(
        "forest_plot() needs columns yi and vi (or sei, or ci_low/ci_high), or estimate, ci_low and "
        f"ci_high; the data has {list(frame.columns)}."
    )


def pooled_from(obj: Any, *, digits: int = 2) -> Pooled | None:
    """A :class:`Pooled` from a result or a mapping with ``estimate, ci_low, ci_high`` (``pi_*`` optional)."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        get = obj.get
    elif isinstance(obj, pd.Series):
        get = obj.get
    else:

        def get(key: str, default: Any = None) -> Any:
            return getattr(obj, key, default)

    try:
        est, lo, hi = (float(get(k)) for k in ("estimate", "ci_low", "ci_high"))
    except (TypeError, ValueError):
        raise ValueError(
            "pooled must have estimate, ci_low and ci_high (a result, a mapping or a Series)."
        ) from None
    p = Pooled(
        est,
        lo,
        hi,
        float(get("pi_low", math.nan) if get("pi_low", None) is not None else math.nan),
        float(get("pi_high", math.nan) if get("pi_high", None) is not None else math.nan),
    )
    method = get("method", None)
    if method is not None:
        test = get("test", None)
        p.label = f"Pooled ({method}{', Hartung-Knapp' if test == 'knha' else ''})"
    return p


def heterogeneity_text(obj: Any) -> str:
    """The heterogeneity line under a forest plot (from the numbers the result holds)."""
    if not all(hasattr(obj, a) for a in ("tau2", "i2", "q", "q_df", "q_p_value")):
        return ""
    p = obj.q_p_value
    ptxt = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    return (
        f"Heterogeneity: \u03c4\u00b2 = {obj.tau2:.3f}; I\u00b2 = {obj.i2:.0f}%; "
        f"Q = {obj.q:.2f}, df = {obj.q_df}, {ptxt}"
    )


def group_order(groups: Sequence[Any]) -> list[Any]:
    """Subgroup levels in order of first appearance."""
    seen: list[Any] = []
    for g in groups:
        if g not in seen:
            seen.append(g)
    return seen
