"""``trial_sequential_analysis_binary()``: TSA of 2x2 tables (risk ratio), RIS from the control risk and RRR."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ..kernels.escalc_binary import from_counts
from ..kernels.rma import METHODS
from ..kernels.spending import SPENDING
from ..validators import check_option, check_probability
from ._tsa_result import TSAResult
from .tsa import HETEROGENEITY, analyse

__all__ = ["trial_sequential_analysis_binary", "binary_information_inputs"]


def binary_information_inputs(control_risk: float, rrr: float) -> tuple[float, float]:
    """``(delta, sd)`` that put the binary RIS in the continuous form ``4 z^2 sd^2 / delta^2``.

    ``p_e = p_c (1 - RRR)``, ``delta = p_c - p_e`` and ``sd^2 = P(1 - P)`` with ``P = (p_c + p_e) / 2``
    (Wetterslev et al. 2008; the TSA manual's dichotomous information size).

    Examples
    --------
    >>> d, s = binary_information_inputs(0.2, 0.25)
    >>> round(d, 4), round(s * s, 6)
    (0.05, 0.144375)
    """
    pc = check_probability("control_risk", control_risk)
    rrr = float(rrr)
    if not math.isfinite(rrr) or rrr == 0 or rrr >= 1:
        raise DataError(f"rrr must be a non-zero relative risk reduction below 1 (negative for an increase); got "
                        f"{rrr!r}.")
    pe = pc * (1 - rrr)
    if not 0 < pe < 1:
        raise DataError(f"control_risk {pc:g} and rrr {rrr:g} give an intervention risk of {pe:g}, outside (0, 1).")
    p = (pc + pe) / 2
    return pc - pe, math.sqrt(p * (1 - p))


def trial_sequential_analysis_binary(
    data: pd.DataFrame | None = None,
    *,
    events1: Any = "events1",
    n1: Any = "n1",
    events2: Any = "events2",
    n2: Any = "n2",
    rrr: float,
    control_risk: float | None = None,
    alpha: float = 0.05,
    beta: float = 0.2,
    heterogeneity: str = "D2",
    boundary: str = "obf",
    method: str = "DL",
    z_curve: str = "random",
    futility: bool = False,
    slab: Any = None,
) -> TSAResult:
    """Trial sequential analysis of a binary outcome on the risk-ratio scale (TSA software's dichotomous TSA).

    Parameters
    ----------
    data : DataFrame, optional
        One row per trial, in the order they accrued; ``events1, n1, events2, n2`` name its columns (group 1
        the intervention, group 2 the control).
    rrr : float
        The relative risk reduction to detect (e.g. 0.25); negative for a relative increase (e.g. of
        responders). Zero or >= 1 is an error.
    control_risk : float, optional
        Risk in the control group; default the pooled observed control risk ``sum(events2) / sum(n2)``
        (stated in the notes).
    alpha, beta, heterogeneity, boundary, futility : as :func:`trial_sequential_analysis`.
    method : str
        tau² estimator of the random-effects model on log RR (DL by default, as TSA software).
    z_curve : {"random", "MH"}
        The cumulative z from the random-effects model (default) or from Mantel-Haenszel fixed-effect pooling
        (:func:`retrostats.meta_analysis_mh`); D², the estimates and the TSA-adjusted CI use the random-effects
        fit either way.
    slab : str or sequence, optional

    Returns
    -------
    TSAResult
        As :func:`trial_sequential_analysis`, with ``measure="RR"`` (estimates on the log scale), ``delta`` the
        risk difference ``p_c - p_e`` and ``sd`` ``sqrt(P(1 - P))``.

    Raises
    ------
    DataError
        Invalid counts (named by row), ``rrr`` zero or >= 1, an impossible intervention risk.

    Notes
    -----
    ``RIS = 4 (z_{1-alpha/2} + z_{1-beta})^2 P(1 - P) / (p_c - p_e)^2 / (1 - D2)`` with ``p_e = p_c(1 - RRR)``
    and ``P`` their mean; per-trial log RR and variances are metafor's ``escalc("RR")`` (0.5 added to tables
    with a zero cell). Boundaries, capping and crossing as for continuous outcomes. Validated by hand
    computation of the RIS and against cumulative :func:`retrostats.meta_analysis_mh` refits
    (``tests/test_decision_tsa_binary.py``).

    Examples
    --------
    >>> import retrostats as rs
    >>> t = rs.decision.trial_sequential_analysis_binary(events1=[4, 6, 5], n1=[50, 60, 55],
    ...                                                  events2=[10, 12, 11], n2=[50, 60, 55], rrr=0.3)
    >>> round(t.required_information_size, 1), t.measure
    (1230.5, 'RR')
    """
    from ..effects.binary import binary_cells

    check_option("heterogeneity", heterogeneity, HETEROGENEITY)
    check_option("boundary", boundary, list(SPENDING))
    check_option("method", method, list(METHODS))
    check_option("z_curve", z_curve, ("random", "MH"))
    alpha = check_probability("alpha", alpha)
    beta = check_probability("beta", beta)
    if data is not None:
        data = data.reset_index(drop=True)
    a, b, c, d, labels = binary_cells(data, events1, n1, events2, n2, slab)
    labels = [f"Study {i + 1}" for i in range(len(a))] if labels is None else [str(s) for s in labels]
    notes: list[str] = []
    if control_risk is None:
        control_risk = float(np.sum(c) / np.sum(c + d))
        notes.append(f"control risk = the pooled observed control-group risk {control_risk:.4f}")
    delta, sd = binary_information_inputs(control_risk, rrr)
    y, v = from_counts("RR")(a, a + b, c, c + d)
    zs = None
    if z_curve == "MH":
        from ..meta import meta_analysis_mh

        zs = np.array([meta_analysis_mh(events1=a[:j], n1=(a + b)[:j], events2=c[:j], n2=(c + d)[:j],
                                        measure="RR").statistic for j in range(1, a.size + 1)])
        notes.append("z-curve: cumulative Mantel-Haenszel risk ratio")
    sgn = -1.0 if rrr > 0 else 1.0
    notes.append(f"benefit is a {'lower' if rrr > 0 else 'higher'} risk in group 1 (RRR = {rrr:g}); "
                 f"delta is the risk difference {delta:.4g}")
    args = {"rrr": rrr, "control_risk": control_risk, "alpha": alpha, "beta": beta,
            "heterogeneity": heterogeneity, "boundary": boundary, "method": method, "z_curve": z_curve,
            "futility": futility}
    return analyse(np.asarray(y, dtype=float), np.asarray(v, dtype=float), a + b + c + d, labels, delta=delta,
                   sd=sd, alpha=alpha, beta=beta, heterogeneity=heterogeneity, boundary=boundary, method=method,
                   test="z", futility=futility, measure="RR", instrument=None, sgn=sgn, notes=notes, args=args,
                   z_curve=zs, function="trial_sequential_analysis_binary")
