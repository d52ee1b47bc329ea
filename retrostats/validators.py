"""Input validation used up front by every public function.

Messages name the argument, the offending value or row and what to do, for example
``"sd1 must be > 0; row 3 (study 'chen2021') has -2.0"``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import DataError

__all__ = [
    "did_you_mean",
    "check_option",
    "check_interval",
    "check_columns",
    "as_float_array",
    "check_probability",
    "check_confidence_level",
    "check_alternative",
    "row_label",
]

ALTERNATIVES = ("two-sided", "less", "greater")


def did_you_mean(value: Any, options: Iterable[str]) -> str:
    """The message tail naming the closest of ``options`` to ``value`` (empty when none is close).

    Examples
    --------
    >>> did_you_mean("pian", ["pain", "function"])
    " Did you mean 'pain'?"
    """
    close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_option(name: str, value: Any, options: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``options``, else raise a ValueError listing them.

    Examples
    --------
    >>> check_option("method", "REML", ["DL", "REML"])
    'REML'
    """
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}.{did_you_mean(value, options)}")
    return value


def check_interval(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> float:
    """Check that a scalar lies in an interval and return it as a float (or int when ``integer``).

    Examples
    --------
    >>> check_interval("alpha", 0.05, 0, 1, low_inclusive=False, high_inclusive=False)
    0.05
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{name} must be a number; got {value!r}.")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}.") from None
    if math.isnan(x):
        raise ValueError(f"{name} must be a number; got NaN.")
    if integer and (not math.isfinite(x) or x != round(x)):
        raise ValueError(f"{name} must be a whole number; got {value!r}.")
    lo_ok = low is None or (x >= low if low_inclusive else x > low)
    hi_ok = high is None or (x <= high if high_inclusive else x < high)
    if not (lo_ok and hi_ok):
        lb = "-inf" if low is None else f"{low:g}"
        hb = "inf" if high is None else f"{high:g}"
        left = "[" if low_inclusive and low is not None else "("
        right = "]" if high_inclusive and high is not None else ")"
        interval = f"{left}{lb}, {hb}{right}"
        raise ValueError(f"{name} must lie in {interval}; got {value!r}.")
    return int(x) if integer else x


def check_probability(name: str, value: Any) -> float:
    """A probability strictly between 0 and 1."""
    return check_interval(name, value, 0.0, 1.0, low_inclusive=False, high_inclusive=False)


def check_confidence_level(value: Any) -> float:
    """``confidence_level`` as a fraction in (0, 1); a percentage such as 95 gets a pointed message."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"confidence_level must be a fraction such as 0.95; got {value!r}.") from None
    if 1 < v < 100:
        raise ValueError(f"confidence_level is a fraction: use {v / 100:g}, not {value!r}.")
    return check_probability("confidence_level", v)


def check_alternative(value: Any) -> str:
    """The ``alternative`` words of scipy: 'two-sided', 'less', 'greater'."""
    return check_option("alternative", value, ALTERNATIVES)


def check_columns(data: pd.DataFrame, columns: Iterable[str | None], *, what: str = "data") -> None:
    """Raise a DataError naming every column of ``columns`` that ``data`` lacks."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame; got {type(data).__name__}.")
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        have = list(map(str, data.columns))
        hints = "".join(did_you_mean(m, have) for m in missing)
        raise DataError(f"{what} has no column(s) {missing}; it has {have}.{hints}")


def row_label(i: int, labels: Sequence[Any] | None = None) -> str:
    """Describe row ``i`` (0-based) for a message: ``"row 3 (study 'chen2021')"``."""
    if labels is not None and i < len(labels) and labels[i] is not None and str(labels[i]) != "nan":
        return f"row {i} (study {str(labels[i])!r})"
    return f"row {i}"


def as_float_array(
    name: str,
    values: Any,
    *,
    labels: Sequence[Any] | None = None,
    positive: bool = False,
    nonnegative: bool = False,
    allow_nan: bool = False,
    finite: bool = True,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
    ndim: int = 1,
) -> np.ndarray:
    """Convert ``values`` to a float array, checking every element and naming the first bad row.

    Parameters
    ----------
    name : str
        The argument's name, used in messages.
    values : array-like or scalar
        The values; a scalar becomes a length-1 array when ``ndim == 1``.
    labels : sequence, optional
        Study labels, used to name the offending row.
    positive, nonnegative, low, high, integer : constraints.
    allow_nan : bool
        Let NaN through (for optional inputs); otherwise NaN is an error.

    Examples
    --------
    >>> as_float_array("sd1", [1.0, 2.5], positive=True)
    array([1. , 2.5])
    >>> as_float_array("sd1", [1.0, -2.0], positive=True, labels=["a", "chen2021"])
    Traceback (most recent call last):
    ...
    retrostats.exceptions.DataError: sd1 must be > 0; row 1 (study 'chen2021') has -2.0
    """
    out = _fast_float(values, ndim)
    if out is None:
        out = _slow_float(name, values, labels, ndim)
    flat = out.ravel()
    if finite and not (positive or nonnegative or integer) and low is None and high is None:
        if np.logical_and.reduce(np.isfinite(flat)):  # the common case, in one pass
            return out
    bad = np.zeros(flat.shape, dtype=bool)
    nan = np.isnan(flat)
    checks: list[tuple[np.ndarray, str]] = []
    if not allow_nan:
        checks.append((nan, "nan"))
    with np.errstate(invalid="ignore"):
        if finite:
            checks.append((np.isinf(flat), "inf"))
        if positive:
            checks.append((~nan & ~(flat > 0), "positive"))
        if nonnegative:
            checks.append((~nan & ~(flat >= 0), "nonnegative"))
        if low is not None:
            checks.append((~nan & ~(flat >= low if low_inclusive else flat > low), "low"))
        if high is not None:
            checks.append((~nan & ~(flat <= high if high_inclusive else flat < high), "high"))
        if integer:
            checks.append((~nan & np.isfinite(flat) & (flat != np.round(flat)), "integer"))
    for mask, _ in checks:
        bad |= mask
    if not bad.any():
        return out
    # name the first offending row, with the message of the first rule it breaks
    i = int(np.flatnonzero(bad)[0])
    x = float(flat[i])
    where = row_label(i, labels)
    for mask, rule in checks:
        if not mask[i]:
            continue
        if rule == "nan":
            raise DataError(f"{name} is missing (NaN); {where}. Drop the row or supply the value.")
        if rule == "inf":
            raise DataError(f"{name} must be finite; {where} has {x}")
        if rule == "positive":
            raise DataError(f"{name} must be > 0; {where} has {x!r}")
        if rule == "nonnegative":
            raise DataError(f"{name} must be >= 0; {where} has {x!r}")
        if rule == "low":
            op = ">=" if low_inclusive else ">"
            raise DataError(f"{name} must be {op} {low:g}; {where} has {x!r}")
        if rule == "high":
            op = "<=" if high_inclusive else "<"
            raise DataError(f"{name} must be {op} {high:g}; {where} has {x!r}")
        raise DataError(f"{name} must be a whole number; {where} has {x!r}")
    raise AssertionError("unreachable")  # pragma: no cover


def _fast_float(values: Any, ndim: int) -> np.ndarray | None:
    """Numeric input converted without a Python loop; None when an element needs the careful path."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiu":  # NumPy-backed: no pd.NA
            arr = values.to_numpy().astype(float)
        elif not (pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)):
            return None
        else:
            arr = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(values)
        if arr.dtype.kind not in "fiu":
            return None
        arr = arr.astype(float)
    if arr.ndim == 0 and ndim == 1:
        arr = arr.reshape(1)
    return arr


def _slow_float(name: str, values: Any, labels: Sequence[Any] | None, ndim: int) -> np.ndarray:
    """Element by element, naming the first element that is not a number."""
    if isinstance(values, pd.Series):
        raw = values.to_numpy(dtype=object)
    else:
        raw = np.asarray(values, dtype=object)
    if raw.ndim == 0:
        raw = raw.reshape(1) if ndim == 1 else raw
    flat = raw.ravel()
    out = np.empty(flat.shape, dtype=float)
    for i, v in enumerate(flat):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            out[i] = np.nan
            continue
        if isinstance(v, (bool, np.bool_)):
            raise DataError(f"{name} must be numeric; {row_label(i, labels)} has {v!r}")
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            raise DataError(
                f"{name} must be numeric; {row_label(i, labels)} has {v!r} (text or a symbol?)"
            ) from None
    return out.reshape(raw.shape)


#: columns that identify a trial across study ids (a DOI, a trial registration id)
TRIAL_ID_COLUMNS = ("doi", "registration")


def trial_id_key(value: Any) -> str | None:
    """A DOI or registration id as compared across tables: stripped, lower case, without a DOI URL prefix.

    Used to find one trial entered under two study ids (in a review's data or between an extraction and the
    registry). Missing or empty values give None (they are never compared).

    Examples
    --------
    >>> trial_id_key(" https://doi.org/10.1/ABC "), trial_id_key("doi:10.1/abc"), trial_id_key(float("nan"))
    ('10.1/abc', '10.1/abc', None)
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip().lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text or None
