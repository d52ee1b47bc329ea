"""Binary-outcome effect sizes (``OR RR RD PETO``) for :func:`retrostats.effect_sizes`.

Responder rates (MCID reached), adverse events and dropout are reported as events out of randomised
participants per arm. :func:`binary_effect_sizes` turns them into metafor's ``escalc`` measures with the same
continuity correction (``add=0.5, to="only0"``) and records it in each row's derivation.

Examples
--------
>>> import retrostats as rs
>>> es = rs.effect_sizes(measure="OR", events1=[4, 0], n1=[20, 25], events2=[9, 3], n2=[21, 24])
>>> es[["yi", "vi"]].round(4)
       yi      vi
0 -1.0986  0.5069
1 -2.1165  2.3714
>>> print(rs.effects.render_derivation(es["derivation"][1]))
1. 0.5 added to every cell of this 2x2 table (it has a zero cell; add=0.5, to='only0') [metafor escalc]
2. OR (log odds ratio) from events and group sizes [metafor escalc]
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ..kernels import escalc as K
from ..kernels.escalc_binary import BINARY, TO_OPTIONS, add_to_cells
from ..validators import as_float_array, check_option, row_label
from .derivation import derivation_steps
from .derivation import step as _step

__all__ = ["binary_effect_sizes", "BINARY_MEASURES", "binary_cells"]

#: binary measures computed by :func:`retrostats.effect_sizes`
BINARY_MEASURES = tuple(BINARY)
_TEXT = {
    "OR": "OR (log odds ratio)",
    "RR": "RR (log risk ratio)",
    "RD": "RD (risk difference)",
    "PETO": "PETO (Peto's log odds ratio, (O - E) / V)",
}


def _resolve(data: pd.DataFrame | None, value: Any, name: str, k: int | None) -> Any:
    if value is None:
        raise DataError(f"binary measures need {name!r} (events1, n1, events2, n2); pass a column name or values.")
    if isinstance(value, str):
        if data is None:
            raise DataError(f"{name}={value!r} is text; pass data= to use column names.")
        if value not in data.columns:
            raise DataError(f"data has no column {value!r} for {name}; it has {list(map(str, data.columns))}.")
        return data[value]
    if np.ndim(value) == 0 and k is not None:
        return np.full(k, value, dtype=float)
    return value


def binary_cells(
    data: pd.DataFrame | None, events1: Any, n1: Any, events2: Any, n2: Any, labels: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list | None]:
    """Validated 2x2 cells ``(a, b, c, d, labels)`` from events and group sizes.

    Raises
    ------
    DataError
        Missing or non-numeric counts, negative counts, events larger than the group size, or a table whose
        two groups are both empty; the message names the row.
    """
    k = len(data) if data is not None else None
    if labels is None and data is not None:
        labels = next((c for c in ("study_id", "study") if c in data.columns), None)
    if isinstance(labels, str) and data is not None:
        labels = data[labels].tolist()
    labels = None if labels is None else list(labels)
    raw = {
        nm: _resolve(data, v, nm, k) for nm, v in (("events1", events1), ("n1", n1), ("events2", events2), ("n2", n2))
    }
    arr = {nm: as_float_array(nm, v, labels=labels) for nm, v in raw.items()}
    sizes = {len(v) for v in arr.values()}
    if len(sizes) != 1:
        raise DataError(f"events1, n1, events2 and n2 have different lengths ({sorted(sizes)}).")
    for nm, v in arr.items():
        bad = np.flatnonzero(v < 0)
        if bad.size:
            raise DataError(f"{nm} must not be negative; {row_label(bad[0], labels)} has {v[bad[0]]!r}.")
    for ev, n in (("events1", "n1"), ("events2", "n2")):
        bad = np.flatnonzero(arr[ev] > arr[n])
        if bad.size:
            i = bad[0]
            raise DataError(
                f"{ev} is larger than {n} in {row_label(i, labels)} ({arr[ev][i]:g} events out of "
                f"{arr[n][i]:g}); check the extraction (events are counted within the group)."
            )
    bad = np.flatnonzero((arr["n1"] == 0) | (arr["n2"] == 0))
    if bad.size:
        raise DataError(
            f"{row_label(bad[0], labels)} has an empty group (n1 = {arr['n1'][bad[0]]:g}, "
            f"n2 = {arr['n2'][bad[0]]:g}); a 2x2 table needs participants in both groups. Drop the row."
        )
    a, c = arr["events1"], arr["events2"]
    return a, arr["n1"] - a, c, arr["n2"] - c, labels


def binary_effect_sizes(
    data: pd.DataFrame | None,
    *,
    measure: str,
    events1: Any,
    n1: Any,
    events2: Any,
    n2: Any,
    add: float = 0.5,
    to: str = "only0",
    labels: Any = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """``OR, RR, RD, PETO`` with metafor's continuity correction; called by :func:`retrostats.effect_sizes`.

    Parameters
    ----------
    data : DataFrame, optional
        When given, ``events1, n1, events2, n2`` name its columns.
    measure : {"OR", "RR", "RD", "PETO"}
        ``yi`` is the log odds ratio, log risk ratio, risk difference or Peto's log odds ratio (group 1 vs 2).
    events1, n1, events2, n2 : column names or array-likes
        Events and group sizes (metafor's ``ai, n1i, ci, n2i``).
    add : float
        Added to every cell of the tables chosen by ``to`` (metafor's ``add``).
    to : {"only0", "all", "if0all", "none"}
        Which tables get ``add``: those with a zero cell, all, all when any has a zero cell, none.
    labels : column name or sequence, optional
    confidence_level : float

    Returns
    -------
    DataFrame
        As :func:`retrostats.effect_sizes`: ``yi, vi, sei, ci_low, ci_high, measure, derivation``.

    Raises
    ------
    DataError
        Invalid counts (see :func:`binary_cells`) or a non-finite outcome (a zero cell with ``to="none"``).

    Notes
    -----
    ``vi`` is the large-sample variance (``vtype="LS"``). Double-zero tables (no events, or only events, in
    both groups) get an effect size here, as with metafor's ``escalc``; their derivation says so, and
    :func:`retrostats.meta_analysis_mh` / :func:`retrostats.meta_analysis_peto` leave them out of Q as
    metafor does. Validated against metafor 3.8.1 ``escalc`` at 1e-10 (``tests/reference/r/meta_breadth.R``).

    Examples
    --------
    >>> es = binary_effect_sizes(None, measure="RD", events1=[4], n1=[20], events2=[9], n2=[21])
    >>> round(float(es["yi"][0]), 6), round(float(es["vi"][0]), 6)
    (-0.228571, 0.019662)
    """
    check_option("measure", measure, BINARY_MEASURES)
    check_option("to", to, TO_OPTIONS)
    add = float(as_float_array("add", add, nonnegative=True)[0])
    a0, b0, c0, d0, labs = binary_cells(data, events1, n1, events2, n2, labels)
    a, b, c, d, added = add_to_cells(a0, b0, c0, d0, add, to)
    kern, _scale = BINARY[measure]
    with np.errstate(all="ignore"):
        yi, vi = kern(a, b, c, d)
    bad = np.flatnonzero(~np.isfinite(yi) | ~np.isfinite(vi) | ~(vi > 0))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{measure} is not finite for {row_label(i, labs)} (events {a0[i]:g}/{a0[i] + b0[i]:g} vs "
            f"{c0[i]:g}/{c0[i] + d0[i]:g}, to={to!r}); use to='only0' (metafor's default) to add {add:g} to "
            "tables with a zero cell, or drop the row."
        )
    double0 = ((a0 == 0) & (c0 == 0)) | ((b0 == 0) & (d0 == 0))
    sei, lo, hi = K.normal_ci(yi, vi, confidence_level)
    if data is not None:
        out = data.copy()
    else:
        out = pd.DataFrame({"events1": a0, "n1": a0 + b0, "events2": c0, "n2": c0 + d0})
        if labs is not None:
            out.insert(0, "study", labs)

    why = {"only0": "it has a zero cell", "all": "to='all'", "if0all": "some table has a zero cell"}
    base = _step(measure, f"{_TEXT[measure]} from events and group sizes [metafor escalc]")
    chains = []
    for i in range(len(yi)):
        ch = []
        if added[i]:
            ch.append(
                _step(
                    "continuity",
                    f"{add:g} added to every cell of this 2x2 table ({why[to]}; add={add:g}, to={to!r}) "
                    "[metafor escalc]",
                    add=add,
                    to=to,
                )
            )
        if double0[i]:
            ch.append(
                _step(
                    "double_zero",
                    "double-zero table (both groups with no events, or both with only events): it carries no "
                    "information on the OR/RR; Mantel-Haenszel and Peto pooling leave it out of Q",
                )
            )
        chains.append(ch + [base])
    prior = [derivation_steps(v) for v in out["derivation"]] if "derivation" in out.columns else None
    for name, col in zip(("yi", "vi", "sei", "ci_low", "ci_high"), (yi, vi, sei, lo, hi)):
        out[name] = col
    out["measure"] = measure
    out["derivation"] = [json.dumps((prior[i] if prior else []) + ch) for i, ch in enumerate(chains)]
    return out
