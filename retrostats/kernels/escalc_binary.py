"""Binary-outcome effect sizes from 2x2 tables: metafor 3.8 ``escalc`` ``OR RR RD PETO`` (``vtype="LS"``).

NumPy only, arrays in and arrays out; the frame API (:mod:`retrostats.effects.binary`) validates the counts.
Cells: ``a`` events and ``b`` non-events in group 1, ``c`` events and ``d`` non-events in group 2.

Examples
--------
>>> a, b, c, d, _ = add_to_cells(np.array([0.0]), np.array([10.0]), np.array([3.0]), np.array([7.0]), 0.5, "only0")
>>> float(a[0]), float(d[0])
(0.5, 7.5)
>>> y, v = log_or(a, b, c, d)
>>> round(float(y[0]), 6), round(float(v[0]), 6)
(-2.282382, 2.514286)
"""

from __future__ import annotations

import numpy as np

__all__ = ["add_to_cells", "log_or", "log_rr", "rd", "peto", "from_counts", "BINARY", "TO_OPTIONS"]

Array = np.ndarray

#: metafor's ``to=`` choices for the continuity correction
TO_OPTIONS = ("only0", "all", "if0all", "none")


def add_to_cells(a: Array, b: Array, c: Array, d: Array, add: float, to: str) -> tuple[Array, ...]:
    """Add ``add`` to the four cells as metafor's ``escalc(add=, to=)``; returns ``(a, b, c, d, added)``.

    ``to="only0"`` adds to the tables with a zero cell, ``"all"`` to every table, ``"if0all"`` to every table
    when any has a zero cell, ``"none"`` never. ``added`` is a boolean array marking the changed tables.
    """
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    if to == "all":
        added = np.ones(a.shape, bool)
    elif to == "only0":
        added = zero
    elif to == "if0all":
        added = np.full(a.shape, bool(zero.any()))
    else:
        added = np.zeros(a.shape, bool)
    if add == 0:
        added = np.zeros(a.shape, bool)
    inc = np.where(added, add, 0.0)
    return a + inc, b + inc, c + inc, d + inc, added


def log_or(a: Array, b: Array, c: Array, d: Array) -> tuple[Array, Array]:
    """Log odds ratio ``log(a d / (b c))`` with ``vi = 1/a + 1/b + 1/c + 1/d``."""
    p1, p2 = a / (a + b), c / (c + d)
    return np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2)), 1 / a + 1 / b + 1 / c + 1 / d


def log_rr(a: Array, b: Array, c: Array, d: Array) -> tuple[Array, Array]:
    """Log risk ratio ``log(p1 / p2)`` with ``vi = 1/a - 1/n1 + 1/c - 1/n2``."""
    n1, n2 = a + b, c + d
    return np.log(a / n1) - np.log(c / n2), 1 / a - 1 / n1 + 1 / c - 1 / n2


def rd(a: Array, b: Array, c: Array, d: Array) -> tuple[Array, Array]:
    """Risk difference ``p1 - p2`` with ``vi = p1 (1 - p1) / n1 + p2 (1 - p2) / n2`` (``vtype="LS"``)."""
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2


def peto(a: Array, b: Array, c: Array, d: Array) -> tuple[Array, Array]:
    """Peto's log odds ratio ``(O - E) / V`` with ``vi = 1 / V`` (hypergeometric mean and variance of ``a``)."""
    n1, n2 = a + b, c + d
    n = n1 + n2
    xt, yt = a + c, b + d
    e = xt * n1 / n
    v = xt * yt * (n1 / n) * (n2 / n) / (n - 1)
    return (a - e) / v, 1 / v


#: measure -> (kernel, scale of ``yi``)
BINARY = {"OR": (log_or, "log"), "RR": (log_rr, "log"), "RD": (rd, "identity"), "PETO": (peto, "log")}


def from_counts(measure: str, add: float = 0.5, to: str = "only0"):
    """``kernel(events1, n1, events2, n2) -> (yi, vi)`` for ``measure`` with metafor's default correction.

    The form the measure registry (:mod:`retrostats.measures`) stores; inputs are assumed valid.

    Examples
    --------
    >>> y, v = from_counts("RR")(np.array([4.0]), np.array([20.0]), np.array([9.0]), np.array([21.0]))
    >>> round(float(y[0]), 6)
    -0.76214
    """
    kern = BINARY[measure][0]

    def kernel(events1: Array, n1: Array, events2: Array, n2: Array) -> tuple[Array, Array]:
        a, b, c, d, _ = add_to_cells(events1, n1 - events1, events2, n2 - events2, add, to)
        return kern(a, b, c, d)

    kernel.__name__ = f"{measure.lower()}_from_counts"
    return kernel
