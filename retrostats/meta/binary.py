"""Pooling 2x2 tables: :func:`meta_analysis_mh` (metafor ``rma.mh``) and :func:`meta_analysis_peto` (``rma.peto``).

Examples
--------
>>> import retrostats as rs
>>> res = rs.meta_analysis_mh(measure="RR", events1=[4, 6, 3], n1=[20, 20, 20], events2=[9, 10, 4], n2=[21, 20, 20])
>>> round(res.estimate, 4), round(res.exp_estimate, 4)
(-0.5535, 0.5749)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._display import Summary, fmt_num, fmt_p
from ..effects.binary import binary_cells
from ..exceptions import DataError
from ..kernels.escalc_binary import BINARY, add_to_cells
from ..kernels.rma_mh import mh_fit, peto_fit
from ..provenance import Provenance, make_provenance
from ..validators import check_confidence_level, check_option

__all__ = ["meta_analysis_mh", "meta_analysis_peto", "BinaryMetaResult"]

_NAMES = {"OR": "odds ratio", "RR": "risk ratio", "RD": "risk difference", "PETO": "odds ratio (Peto)"}


@dataclass(frozen=True, eq=False)
class BinaryMetaResult:
    """Result of :func:`meta_analysis_mh` or :func:`meta_analysis_peto`, at full precision.

    Attributes
    ----------
    k : int
        Number of tables.
    estimate, se, statistic, p_value, ci_low, ci_high : float
        Pooled effect on metafor's scale (log OR / log RR / RD / log Peto OR), SE, z, p and CI.
    exp_estimate, exp_ci_low, exp_ci_high : float
        Back-transformed (exponentiated) estimate and CI for OR/RR/PETO; NaN for RD.
    q, q_df, q_p_value, i2, h2 : float
        Cochran's Q over the tables with an estimable outcome (double-zero tables left out), I² (percent), H².
    cmh_statistic, cmh_p_value, tarone_statistic, tarone_p_value : float
        Cochran-Mantel-Haenszel test (continuity-corrected) and Tarone's homogeneity test (MH OR only; NaN
        otherwise).
    measure, method : str
        ``"OR"|"RR"|"RD"|"PETO"``; ``"MH"`` or ``"PETO"``.
    yi, vi, labels : per-table outcomes (``escalc`` with ``add=0.5, to="only0"``) for the forest plot.
    """

    k: int
    estimate: float
    se: float
    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    exp_estimate: float
    exp_ci_low: float
    exp_ci_high: float
    q: float
    q_df: int
    q_p_value: float
    i2: float
    h2: float
    cmh_statistic: float
    cmh_p_value: float
    tarone_statistic: float
    tarone_p_value: float
    measure: str
    method: str
    confidence_level: float
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple
    provenance: Provenance | None = None
    pi_low: float = math.nan
    pi_high: float = math.nan

    @property
    def log_scale(self) -> bool:
        """True when ``estimate`` is a log ratio."""
        return self.measure != "RD"

    def to_frame(self) -> pd.DataFrame:
        """One tidy row with every statistic."""
        keys = [
            "method",
            "measure",
            "k",
            "estimate",
            "se",
            "statistic",
            "p_value",
            "ci_low",
            "ci_high",
            "exp_estimate",
            "exp_ci_low",
            "exp_ci_high",
            "q",
            "q_df",
            "q_p_value",
            "i2",
            "h2",
            "cmh_statistic",
            "cmh_p_value",
            "tarone_statistic",
            "tarone_p_value",
            "confidence_level",
        ]
        return pd.DataFrame([{k: getattr(self, k) for k in keys}])

    def summary(self) -> Summary:
        """A :class:`retrostats._display.Summary` naming the method and the scale."""
        lvl = f"{100 * self.confidence_level:g}%"
        name = "Mantel-Haenszel" if self.method == "MH" else "Peto"
        head = [
            (
                "Method",
                f"{name} equal-effects pooling of the {_NAMES[self.measure]} (metafor rma.{self.method.lower()})",
            ),
            (
                "Estimate" + (" (log scale)" if self.log_scale else ""),
                f"{fmt_num(self.estimate)} ({lvl} CI {fmt_num(self.ci_low)} to {fmt_num(self.ci_high)}), "
                f"p = {fmt_p(self.p_value)}",
            ),
        ]
        if self.log_scale:
            head.append(
                (
                    f"{_NAMES[self.measure].capitalize()} (back-transformed)",
                    f"{fmt_num(self.exp_estimate)} ({lvl} CI {fmt_num(self.exp_ci_low)} to "
                    f"{fmt_num(self.exp_ci_high)})",
                )
            )
        head.append(
            (
                "Test for heterogeneity",
                f"Q({self.q_df}) = {fmt_num(self.q, 2)}, p = {fmt_p(self.q_p_value)}, I² = {fmt_num(self.i2, 1)}%",
            )
        )
        if not math.isnan(self.cmh_statistic):
            head.append(
                ("Cochran-Mantel-Haenszel test", f"{fmt_num(self.cmh_statistic, 2)}, p = {fmt_p(self.cmh_p_value)}")
            )
        if not math.isnan(self.tarone_statistic):
            head.append(
                (
                    "Tarone's test for heterogeneity",
                    f"{fmt_num(self.tarone_statistic, 2)}, p = {fmt_p(self.tarone_p_value)}",
                )
            )
        notes = [
            "An equal-effects (common-effect) estimate: it does not model between-study heterogeneity; "
            "report Q and I² beside it and consider meta_analysis() on effect_sizes() as a random-effects check.",
        ]
        if self.q_df + 1 < self.k:
            notes.append(f"{self.k - self.q_df - 1} double-zero table(s) left out of Q (they still count in k).")
        return Summary(f"{name} meta-analysis (k = {self.k})", head, [], notes)

    def plot_forest(self, ax=None, **kwargs):
        """Forest plot of the per-table outcomes with the pooled diamond; delegates to ``forest_plot``."""
        from ..figures import forest_plot

        frame = pd.DataFrame({"study": list(self.labels), "yi": self.yi, "vi": self.vi, "measure": self.measure})
        return forest_plot(frame, ax=ax, pooled=self, **kwargs)

    def __repr__(self) -> str:
        return (
            f"BinaryMetaResult(method={self.method!r}, measure={self.measure!r}, k={self.k}, "
            f"estimate={fmt_num(self.estimate)}, CI [{fmt_num(self.ci_low)}, {fmt_num(self.ci_high)}], "
            f"p={fmt_p(self.p_value)}, I2={fmt_num(self.i2, 1)}%)"
        )

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def _build(fit: dict, a, b, c, d, labels, measure: str, method: str, level: float, prov) -> BinaryMetaResult:
    if not np.isfinite(fit["beta"]):
        name = "Peto odds ratio" if measure == "PETO" else f"{method} {measure}"
        raise DataError(
            f"the {name} cannot be estimated: the tables have no events (or no non-events) in one group overall. "
            "Report the counts instead, or pool risk differences (meta_analysis_mh(..., measure='RD'))."
        )
    aa, bb, cc, dd, _ = add_to_cells(a, b, c, d, 0.5, "only0")
    with np.errstate(all="ignore"):
        yi, vi = BINARY[measure][0](aa, bb, cc, dd)
    ex = (lambda x: math.exp(x)) if measure != "RD" else (lambda x: math.nan)
    return BinaryMetaResult(
        k=len(a),
        estimate=fit["beta"],
        se=fit["se"],
        statistic=float(fit["zval"]),
        p_value=float(fit["pval"]),
        ci_low=float(fit["ci_lb"]),
        ci_high=float(fit["ci_ub"]),
        exp_estimate=ex(fit["beta"]),
        exp_ci_low=ex(fit["ci_lb"]),
        exp_ci_high=ex(fit["ci_ub"]),
        q=fit["qe"],
        q_df=int(fit["k_yi"] - 1),
        q_p_value=fit["qe_p"],
        i2=fit["i2"],
        h2=fit["h2"],
        cmh_statistic=fit.get("cmh", math.nan),
        cmh_p_value=fit.get("cmh_p", math.nan),
        tarone_statistic=fit.get("tarone", math.nan),
        tarone_p_value=fit.get("tarone_p", math.nan),
        measure=measure,
        method=method,
        confidence_level=level,
        yi=yi,
        vi=vi,
        labels=tuple(labels),
        provenance=prov,
    )


def _cells(data, events1, n1, events2, n2, slab):
    a, b, c, d, labels = binary_cells(data, events1, n1, events2, n2, slab)
    if labels is None:
        labels = [f"Study {i + 1}" for i in range(len(a))]
    return a, b, c, d, [str(s) for s in labels]


def meta_analysis_mh(
    data: pd.DataFrame | None = None,
    *,
    measure: str = "OR",
    events1: Any,
    n1: Any,
    events2: Any,
    n2: Any,
    confidence_level: float = 0.95,
    slab: Any = None,
) -> BinaryMetaResult:
    """Mantel-Haenszel pooling of 2x2 tables, as metafor's ``rma.mh`` (defaults).

    Parameters
    ----------
    data : DataFrame, optional
        One row per study; ``events1, n1, events2, n2`` name its columns (else they are array-likes).
    measure : {"OR", "RR", "RD"}
        Odds ratio, risk ratio (both pooled on the log scale) or risk difference.
    events1, n1, events2, n2 : column names or array-likes
        Events and sizes of group 1 (e.g. retro walking) and group 2 (control).
    confidence_level : float
    slab : column name or sequence, optional
        Study labels (default: a ``study_id`` or ``study`` column).

    Returns
    -------
    BinaryMetaResult
        ``k, estimate, se, statistic, p_value, ci_low, ci_high`` (log scale for OR/RR), back-transformed
        ``exp_*``, ``q, q_df, q_p_value, i2``, and for OR ``cmh_statistic, cmh_p_value, tarone_statistic,
        tarone_p_value``.

    Raises
    ------
    DataError
        Negative counts, events above the group size, an empty group, or no events at all in a group.

    Notes
    -----
    The MH estimate uses the raw counts (no continuity correction; tables with zero cells still contribute),
    with the Robins-Breslow-Greenland variance for the OR and Greenland-Robins for RR and RD. Q and I² use
    the per-table outcomes with 0.5 added to tables with a zero cell and double-zero tables left out, as
    metafor. Validated against metafor 3.8.1 ``rma.mh`` at 1e-10 on dat.bcg, dat.nielweise2007 (zero cells,
    a double-zero study), dat.yusuf1985 table 6 and a table set with single and double zeros
    (``tests/reference/r/meta_breadth.R``).

    Examples
    --------
    >>> import retrostats as rs
    >>> res = rs.meta_analysis_mh(measure="OR", events1=[4, 6, 0], n1=[20, 20, 20], events2=[9, 10, 4],
    ...                           n2=[21, 20, 20])
    >>> round(res.exp_estimate, 4), round(res.cmh_statistic, 4)
    (0.2963, 6.0306)
    """
    check_option("measure", measure, ["OR", "RR", "RD"])
    level = check_confidence_level(confidence_level)
    a, b, c, d, labels = _cells(data, events1, n1, events2, n2, slab)
    fit = mh_fit(a, b, c, d, measure, level)
    prov = make_provenance("meta_analysis_mh", {"measure": measure, "confidence_level": level}, a, b, c, d)
    return _build(fit, a, b, c, d, labels, measure, "MH", level, prov)


def meta_analysis_peto(
    data: pd.DataFrame | None = None,
    *,
    events1: Any,
    n1: Any,
    events2: Any,
    n2: Any,
    confidence_level: float = 0.95,
    slab: Any = None,
) -> BinaryMetaResult:
    """Peto's one-step odds ratio, as metafor's ``rma.peto`` (defaults).

    Parameters
    ----------
    data : DataFrame, optional
    events1, n1, events2, n2 : column names or array-likes
    confidence_level : float
    slab : column name or sequence, optional

    Returns
    -------
    BinaryMetaResult
        ``estimate`` is the pooled log odds ratio ``sum(O - E) / sum(V)``; ``q, q_df, i2`` as metafor.

    Raises
    ------
    DataError
        Invalid counts, or no table with both events and non-events.

    Notes
    -----
    Good for rare events with balanced groups (Cochrane Handbook 10.4.4.2); biased for large effects or
    unbalanced groups. Validated against metafor 3.8.1 ``rma.peto`` at 1e-10 (``tests/reference/r/meta_breadth.R``),
    including metafor's dat.yusuf1985 example.

    Examples
    --------
    >>> import retrostats as rs
    >>> res = rs.meta_analysis_peto(events1=[4, 6, 0], n1=[20, 20, 20], events2=[9, 10, 4], n2=[21, 20, 20])
    >>> round(res.exp_estimate, 4)
    0.326
    """
    level = check_confidence_level(confidence_level)
    a, b, c, d, labels = _cells(data, events1, n1, events2, n2, slab)
    fit = peto_fit(a, b, c, d, level)
    prov = make_provenance("meta_analysis_peto", {"confidence_level": level}, a, b, c, d)
    return _build(fit, a, b, c, d, labels, "PETO", "PETO", level, prov)
