"""Responder analysis at the minimal clinically important difference: RD, RR, OR and NNT with CIs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._display import ResultDisplay
from ..exceptions import DataError, DataWarning
from ..kernels._lazy_stats import stats
from ..provenance import Provenance, make_provenance
from ..validators import check_columns, check_confidence_level, check_interval
from ._common import arm_order, choose_reference, contrast_pairs, numeric_column
from .scales import scale_info

__all__ = ["responders", "ResponderResult"]


@dataclass(frozen=True)
class ResponderResult(ResultDisplay):
    """Responders by arm and between-arm comparisons.

    Attributes
    ----------
    proportions : DataFrame
        ``arm, n, responders, proportion, ci_low, ci_high`` (Wilson score interval).
    contrasts : DataFrame
        ``contrast, measure`` (``RD, RR, OR, NNT``), ``estimate, ci_low, ci_high``. RD: Wald; RR and OR:
        on the log scale (Katz, Woolf); NNT = 1 / RD with the RD limits inverted (Altman 1998; when the RD
        interval includes 0 the NNT interval runs through infinity and is reported as NaN limits).
    mcid : float
    higher_is_better : bool
    confidence_level : float
    provenance : Provenance
        The call and a checksum of the responder counts.
    """

    _summary_title = "Responders (improvement by at least the MCID)"

    proportions: pd.DataFrame
    contrasts: pd.DataFrame
    mcid: float
    higher_is_better: bool
    confidence_level: float
    provenance: Provenance | None = field(default=None, repr=False, compare=False)


def responders(data: pd.DataFrame, *, outcome: str, baseline: str, arm: str, instrument: str | None = None,
               mcid: float | None = None, higher_is_better: bool | None = None, reference: str | None = None,
               confidence_level: float = 0.95) -> ResponderResult:
    """Proportion of each arm improving by at least the MCID, and RD, RR, OR, NNT between arms.

    Parameters
    ----------
    data : DataFrame
        One row per participant (complete cases are used).
    outcome, baseline, arm : str
        Column names.
    instrument : str, optional
        Instrument in ``load_dataset("outcome_scales")``: gives the direction and the shipped MCID.
    mcid : float, optional
        Explicit MCID (required when the instrument has none shipped, or no instrument is given).
    higher_is_better : bool, optional
        Direction when no instrument is given.
    reference : str, optional
        Reference arm (default ``"control"``).
    confidence_level : float

    Returns
    -------
    ResponderResult

    Notes
    -----
    A responder improves by at least ``mcid`` from baseline in the direction of benefit. When a cell is zero,
    0.5 is added to every cell of that comparison for RR and OR (with a warning).

    References
    ----------
    Altman DG (1998) Confidence intervals for the number needed to treat. BMJ 317:1309-1312.
    doi:10.1136/bmj.317.7168.1309

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=30, arms=("retro", "control"), seed=4)
    >>> r = rs.responders(d[d["week"] == 6], outcome="value", baseline="baseline", arm="arm",
    ...                   instrument="NPRS")
    >>> list(r.contrasts["measure"])
    ['RD', 'RR', 'OR', 'NNT']
    """
    check_columns(data, [outcome, baseline, arm], what="data")
    cl = check_confidence_level(confidence_level)
    if instrument is not None:
        sc = scale_info(instrument)
        hib = sc["higher_is_better"]
        if higher_is_better is not None and bool(higher_is_better) != bool(hib):
            raise ValueError(
                f"higher_is_better={higher_is_better!r} contradicts outcome_scales for {instrument!r} "
                f"(higher_is_better={bool(hib)}); drop one of the two."
            )
        if mcid is None:
            if sc["mcid"] is None:
                raise DataError(f"outcome_scales has no MCID for {instrument!r}; pass mcid= with a cited "
                                "value.")
            mcid = sc["mcid"]
    else:
        if mcid is None or higher_is_better is None:
            raise ValueError("without instrument=, give both mcid= and higher_is_better=.")
        hib = bool(higher_is_better)
    mcid = check_interval("mcid", mcid, 0, low_inclusive=False)
    df = data.loc[data[arm].notna()].copy()
    ids = pd.Series([f"row {i}" for i in df.index], index=df.index)
    y = numeric_column(df, outcome, ids, what="outcome")
    b = numeric_column(df, baseline, ids, what="baseline")
    ok = ~(np.isnan(y) | np.isnan(b))
    if not ok.all():
        warnings.warn(f"{int((~ok).sum())} participant(s) with a missing outcome or baseline are excluded.",
                      DataWarning, stacklevel=2)
    imp = (y - b) * (1.0 if hib else -1.0)
    resp = imp >= mcid - 1e-12
    a = df[arm].astype(str).to_numpy()
    arms = arm_order(a[ok])
    ref = choose_reference(arms, reference)
    arms = [x for x in arms if x != ref] + [ref]
    z = stats.norm.ppf(0.5 + cl / 2)
    n = np.array([np.sum(ok & (a == x)) for x in arms], dtype=float)
    k = np.array([np.sum(ok & (a == x) & resp) for x in arms], dtype=float)
    if (n == 0).any():
        raise DataError(f"arm {arms[int(np.argmin(n))]!r} has no participants with data.")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    props = pd.DataFrame({"arm": arms, "n": n.astype(int), "responders": k.astype(int), "proportion": p,
                          "ci_low": centre - half, "ci_high": centre + half})
    rows = []
    for x1, x2 in contrast_pairs(arms, ref):
        i, j = arms.index(x1), arms.index(x2)
        rd = p[i] - p[j]
        se_rd = np.sqrt(p[i] * (1 - p[i]) / n[i] + p[j] * (1 - p[j]) / n[j])
        lab = f"{x1} - {x2}"
        rows.append((lab, "RD", rd, rd - z * se_rd, rd + z * se_rd))
        a1, b1, a2, b2 = k[i], n[i] - k[i], k[j], n[j] - k[j]
        if min(a1, b1, a2, b2) == 0:
            warnings.warn(f"{lab}: a zero cell; 0.5 added to every cell for RR and OR.", DataWarning,
                          stacklevel=2)
            a1, b1, a2, b2 = a1 + 0.5, b1 + 0.5, a2 + 0.5, b2 + 0.5
        lrr = np.log((a1 / (a1 + b1)) / (a2 / (a2 + b2)))
        se_rr = np.sqrt(1 / a1 - 1 / (a1 + b1) + 1 / a2 - 1 / (a2 + b2))
        rows.append((lab, "RR", np.exp(lrr), np.exp(lrr - z * se_rr), np.exp(lrr + z * se_rr)))
        lor = np.log(a1 * b2 / (b1 * a2))
        se_or = np.sqrt(1 / a1 + 1 / b1 + 1 / a2 + 1 / b2)
        rows.append((lab, "OR", np.exp(lor), np.exp(lor - z * se_or), np.exp(lor + z * se_or)))
        lo, hi = rd - z * se_rd, rd + z * se_rd
        nnt = 1 / rd if rd != 0 else np.inf
        if lo > 0 or hi < 0:
            rows.append((lab, "NNT", nnt, 1 / hi, 1 / lo))
        else:
            rows.append((lab, "NNT", nnt, np.nan, np.nan))
    con = pd.DataFrame(rows, columns=["contrast", "measure", "estimate", "ci_low", "ci_high"])
    prov = make_provenance(
        "responders",
        {"outcome": outcome, "baseline": baseline, "arm": arm, "instrument": instrument, "mcid": float(mcid),
         "higher_is_better": hib, "reference": reference, "confidence_level": cl},
        props["n"], props["responders"],
    )
    return ResponderResult(props, con, float(mcid), hib, cl, prov)
