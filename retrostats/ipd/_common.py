"""Helpers shared by the participant-level analyses: arm order, contrasts, numeric checks, result tables."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError, DataWarning
from ..kernels import _dist
from ..kernels.ols import ADJUSTMENTS, adjust_p, critical_value
from ..validators import check_option

__all__ = ["arm_order", "choose_reference", "contrast_pairs", "numeric_column", "contrast_table",
           "means_table", "ADJUSTMENTS"]

_PRIORITY = {"retro": 0, "retro_plus": 1, "forward": 2, "other": 3, "control": 4}


def _key(a: str) -> tuple[int, str]:
    base = str(a).rstrip("0123456789")
    return (_PRIORITY.get(base, 3), str(a))


def arm_order(arms: Sequence[Any]) -> list[str]:
    """Arms in display order: retro first, then forward, other arms, control last.

    Examples
    --------
    >>> arm_order(["control", "forward", "retro"])
    ['retro', 'forward', 'control']
    """
    return sorted({str(a) for a in arms}, key=_key)


def choose_reference(arms: list[str], reference: str | None) -> str:
    """``reference`` if given (checked), else ``control`` if present, else the last arm in display order."""
    if reference is None:
        return "control" if "control" in arms else arms[-1]
    return check_option("reference", str(reference), arms)


def contrast_pairs(arms: list[str], reference: str) -> list[tuple[str, str]]:
    """All pairwise contrasts: each arm minus the reference, then the other pairs in display order.

    Examples
    --------
    >>> contrast_pairs(["retro", "forward", "control"], "control")
    [('retro', 'control'), ('forward', 'control'), ('retro', 'forward')]
    """
    others = [a for a in arms if a != reference]
    pairs = [(a, reference) for a in others]
    pairs += [(others[i], others[j]) for i in range(len(others)) for j in range(i + 1, len(others))]
    return pairs


def numeric_column(data: pd.DataFrame, column: str, ids: pd.Series, *, what: str) -> np.ndarray:
    """A column as floats; text names the participant and the column (``what`` says which argument)."""
    s = data[column]
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna() & s.notna() & (s.astype(str).str.strip() != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{what} column {column!r} must be numeric; participant {ids.iloc[i]!r} has "
                        f"{s.iloc[i]!r} (text or a symbol?). Fix the value or set it to missing.")
    out = num.to_numpy(dtype=float)
    inf = np.flatnonzero(np.isinf(out))
    if inf.size:
        raise DataError(f"{what} column {column!r} must be finite; participant {ids.iloc[int(inf[0])]!r} has "
                        f"{float(out[int(inf[0])])}. Fix the value or set it to missing.")
    return out


def check_one_arm(subject: pd.Series, arm: pd.Series, column: str) -> None:
    """Raise naming the first participant recorded in two arms."""
    n_arms = pd.DataFrame({"s": subject, "a": arm}).groupby("s", sort=False)["a"].nunique()
    two = n_arms[n_arms > 1]
    if len(two):
        s = two.index[0]
        seen = sorted(map(str, arm[subject == s].unique()))
        raise DataError(f"participant {s!r} is in more than one arm ({seen}) in column {column!r}; "
                        "each participant must have one arm.")


def drop_missing_baseline(df: pd.DataFrame, subject: str, base: np.ndarray, column: str) -> pd.DataFrame:
    """Drop participants with no baseline, with a DataWarning naming them."""
    miss = np.isnan(base)
    if miss.any():
        subj = df[subject].astype(str)
        who = list(pd.unique(subj[miss]))
        with_baseline = set(subj[~miss])
        keep = [w for w in who if w in with_baseline]  # a baseline missing on some of their rows only
        gone = [w for w in who if w not in with_baseline]
        said = []
        if gone:
            said.append(f"{len(gone)} participant(s) have no baseline in column {column!r} and are excluded: "
                        f"{gone[:10]}{' ...' if len(gone) > 10 else ''}")
        if keep:
            said.append(f"{int(miss.sum() - subj[miss].isin(gone).sum())} row(s) of {len(keep)} participant(s) "
                        f"have no baseline in column {column!r} and are excluded, their other rows kept: "
                        f"{keep[:10]}{' ...' if len(keep) > 10 else ''} (a baseline is one value per "
                        "participant: check these rows)")
        warnings.warn("; ".join(said) + ".", DataWarning, stacklevel=3)
        return df.loc[~miss]
    return df


def contrast_table(est: np.ndarray, se: np.ndarray, df: np.ndarray, labels: list[str], *,
                   confidence_level: float, adjust: str, n_means: int) -> pd.DataFrame:
    """One family of contrasts: estimate, se, df, statistic, ci_low, ci_high, p_value (adjusted)."""
    check_option("adjust", adjust, ADJUSTMENTS)
    t = est / se
    p = adjust_p(t, df, adjust, n_means)
    crit = critical_value(confidence_level, df, adjust, len(est), n_means)
    return pd.DataFrame({"contrast": labels, "estimate": est, "se": se, "df": df, "statistic": t,
                         "ci_low": est - crit * se, "ci_high": est + crit * se, "p_value": p})


def means_table(est: np.ndarray, se: np.ndarray, df: np.ndarray, arms: list[str],
                confidence_level: float) -> pd.DataFrame:
    """Adjusted means with unadjusted CIs."""
    crit = _dist.t_ppf(0.5 + confidence_level / 2, df)
    return pd.DataFrame({"arm": arms, "estimate": est, "se": se, "df": df,
                         "ci_low": est - crit * se, "ci_high": est + crit * se})
