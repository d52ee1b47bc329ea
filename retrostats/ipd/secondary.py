"""SECONDARY analyses, for comparison with the primary ANCOVA / MMRM: change-score t-test, mixed ANOVA."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ..kernels._lazy_stats import stats
from ..validators import check_columns
from ._common import arm_order, choose_reference, contrast_pairs, numeric_column

__all__ = ["change_score_ttest", "mixed_anova"]

_LABEL = "secondary"


def change_score_ttest(data: pd.DataFrame, *, outcome: str, baseline: str, arm: str,
                       reference: str | None = None, equal_var: bool = False,
                       confidence_level: float = 0.95) -> pd.DataFrame:
    """SECONDARY analysis: t-tests of change from baseline between arms (Welch by default).

    Less efficient than ANCOVA (which adjusts for baseline rather than subtracting it); reported for
    comparison with trials that publish change scores.

    Returns
    -------
    DataFrame
        ``analysis`` (``"secondary"``), ``method, contrast, estimate, se, df, statistic, ci_low, ci_high,
        p_value``.

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=20, seed=5)
    >>> t = change_score_ttest(d[d["week"] == 6], outcome="value", baseline="baseline", arm="arm")
    >>> t["analysis"].unique().tolist()
    ['secondary']
    """
    check_columns(data, [outcome, baseline, arm], what="data")
    ids = pd.Series([f"row {i}" for i in data.index], index=data.index)
    ch = (numeric_column(data, outcome, ids, what="outcome")
          - numeric_column(data, baseline, ids, what="baseline"))
    a = data[arm].astype(str).to_numpy()
    ok = ~np.isnan(ch) & data[arm].notna().to_numpy()
    arms = arm_order(a[ok])
    ref = choose_reference(arms, reference)
    arms = [x for x in arms if x != ref] + [ref]
    rows = []
    for x1, x2 in contrast_pairs(arms, ref):
        g1, g2 = ch[ok & (a == x1)], ch[ok & (a == x2)]
        if min(g1.size, g2.size) < 2:
            raise DataError(f"arms {x1!r} and {x2!r} need at least two participants with a change score "
                            "each.")
        res = stats.ttest_ind(g1, g2, equal_var=equal_var)
        ci = res.confidence_interval(confidence_level)
        est = g1.mean() - g2.mean()
        rows.append({"analysis": _LABEL, "method": "Welch t-test" if not equal_var else "Student t-test",
                     "contrast": f"{x1} - {x2}", "estimate": est, "se": est / res.statistic,
                     "df": float(res.df), "statistic": float(res.statistic), "ci_low": float(ci.low),
                     "ci_high": float(ci.high), "p_value": float(res.pvalue)})
    return pd.DataFrame(rows)


def mixed_anova(data: pd.DataFrame, *, outcome: str, arm: str, visit: str, subject: str) -> pd.DataFrame:
    """SECONDARY analysis: arm x visit mixed ANOVA (pingouin), complete cases only.

    Returns pingouin's table with an ``analysis`` column (``"secondary"``) first. Participants missing any
    visit are dropped by pingouin (listwise), unlike MMRM.

    Examples
    --------
    >>> import retrostats as rs
    >>> d = rs.simulate_trial(n_per_arm=10, seed=6)
    >>> tab = mixed_anova(d, outcome="value", arm="arm", visit="week", subject="participant")
    >>> tab["Source"].tolist()
    ['arm', 'week', 'Interaction']
    """
    import pingouin as pg

    check_columns(data, [outcome, arm, visit, subject], what="data")
    with warnings.catch_warnings():
        # pingouin 0.5-0.7 calls DataFrame.dropna(inplace=True), deprecated in pandas 3.1; not actionable here
        warnings.filterwarnings("ignore", message="The inplace keyword")
        out = pg.mixed_anova(data=data, dv=outcome, within=visit, between=arm, subject=subject)
    out.insert(0, "analysis", _LABEL)
    return out
