"""Arm-level summaries of participant data: what a trial report prints (n, mean, SD per arm).

They turn participant-level data (a simulated trial, a shared data set) into the summaries that
:func:`retrostats.effect_sizes` and the extraction sheet take, so that a reanalysis and a meta-analysis start
from the same numbers.
"""

from __future__ import annotations

import warnings

import pandas as pd

from ..exceptions import DataError, DataWarning
from ..validators import check_columns

__all__ = ["arm_summaries"]


def arm_summaries(data: pd.DataFrame, *, outcome: str = "value", arm: str = "arm") -> pd.DataFrame:
    """Participants, mean and SD of ``outcome`` in each arm (one row per arm, arms sorted).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant at the time point summarised (select a visit first, e.g.
        ``data[data["week"] == 6]``).
    outcome : str
        The numeric outcome column.
    arm : str
        The arm column.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm``, ``n`` (participants with a value), ``mean`` and ``sd`` (sample SD, ``ddof=1``; NaN
        for an arm of one).

    Raises
    ------
    DataError
        A column is missing, ``outcome`` is not numeric, or no row has a value.

    Warns
    -----
    DataWarning
        Rows without a value of ``outcome`` are left out; the warning names them.

    Notes
    -----
    Validated against ``numpy.mean`` and ``numpy.std(ddof=1)`` per arm in ``tests/test_ipd_summaries.py``;
    the SD is the one published trial reports print (and :func:`retrostats.effect_sizes` expects).

    Examples
    --------
    >>> d = pd.DataFrame({"arm": ["a", "a", "b", "b", "b"], "value": [1.0, 3.0, 2.0, 4.0, 6.0]})
    >>> arm_summaries(d)
      arm  n  mean   sd
    0   a  2   2.0  1.414214
    1   b  3   4.0  2.000000
    """
    check_columns(data, [outcome, arm])
    if not pd.api.types.is_numeric_dtype(data[outcome]):
        raise DataError(f"outcome column {outcome!r} must be numeric; got dtype {data[outcome].dtype}.")
    missing = data[outcome].isna() | data[arm].isna()
    if missing.any():
        rows = [str(i) for i in data.index[missing]]
        warnings.warn(f"{len(rows)} row(s) without a value of {outcome!r} or {arm!r} are left out of the arm "
                      f"summaries: rows {rows[:10]}{' ...' if len(rows) > 10 else ''}.", DataWarning, stacklevel=2)
        data = data.loc[~missing]
    if data.empty:
        raise DataError(f"no row has a value of {outcome!r}; nothing to summarise.")
    stats = data.groupby(arm, sort=True)[outcome].agg(["mean", "std", "count"])
    return pd.DataFrame({"arm": stats.index.astype(object), "n": stats["count"].to_numpy(int),
                         "mean": stats["mean"].to_numpy(float), "sd": stats["std"].to_numpy(float)})
