"""Guard rails of the participant-level fits: no silently dropped rows, no perfect fits, no baseline rows
fitted as outcomes, no unconverged REML fits that look ordinary.

Each guard is one function called from ``ancova``/``mmrm`` with a one-line hook.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..datasets.schemas import blank_cells
from ..exceptions import ConvergenceError, DataError, DataWarning

__all__ = ["drop_incomplete_rows", "check_residual_variance", "drop_baseline_visit", "check_converged",
           "RESIDUAL_VARIANCE_RATIO"]

#: residual variance at or below this fraction of the outcome's variance is an (essentially) perfect fit
RESIDUAL_VARIANCE_RATIO = 1e-10


def _row_names(df: pd.DataFrame, rows: pd.Series, subject: str | None) -> list[str]:
    idx = df.index[rows.to_numpy()]
    if subject is not None and subject in df.columns:
        subj = df.loc[rows.to_numpy(), subject]
        return [f"row {i} (participant {s!r})" if pd.notna(s) else f"row {i}" for i, s in zip(idx, subj)]
    return [f"row {i}" for i in idx]


def _listing(names: list[str]) -> str:
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def drop_incomplete_rows(data: pd.DataFrame, columns: Mapping[str, str | None], *, subject: str | None = None,
                         stacklevel: int = 3) -> pd.DataFrame:
    """Rows with a missing value in any of ``columns`` (role -> column), dropped with a DataWarning naming them.

    Examples
    --------
    >>> d = pd.DataFrame({"arm": ["retro", None], "y": [1.0, 2.0]})
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     out = drop_incomplete_rows(d, {"arm": "arm"})
    >>> len(out), "row 1" in str(w[0].message)
    (1, True)
    """
    cols = {role: c for role, c in columns.items() if c is not None}
    if not cols:
        return data.copy()
    miss = pd.DataFrame({c: blank_cells(data[c]) for c in cols.values()}, index=data.index)  # blank = missing
    bad = miss.any(axis=1)
    if not bad.any():
        return data.copy()
    roles = [role for role, c in cols.items() if miss[c].any()]
    names = _row_names(data, bad, subject)
    warnings.warn(f"{len(names)} row(s) with a missing {' or '.join(roles)} "
                  f"(column(s) {[cols[r] for r in roles]}) are excluded: {_listing(names)}. Fill them in to "
                  "use these rows.", DataWarning, stacklevel=stacklevel)
    return data.loc[~bad].copy()


def check_residual_variance(y: np.ndarray, X: np.ndarray, *, outcome: str, terms: str) -> None:
    """Refuse an outcome that is constant or (almost) perfectly predicted by the fixed effects.

    The least-squares residual variance is compared with the outcome's variance; at or below
    :data:`RESIDUAL_VARIANCE_RATIO` every standard error and p-value would be meaningless (R's ``summary.lm``
    warns "essentially perfect fit").

    Raises
    ------
    DataError
        Naming the outcome column and what to check (e.g. that it is not the baseline column).

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 5.0]])
    >>> check_residual_variance(np.array([1.0, 3.0, 2.0, 6.0]), X, outcome="y", terms="arm")
    >>> try:
    ...     check_residual_variance(X[:, 1] * 2, X, outcome="y", terms="arm")
    ... except DataError as e:
    ...     print(str(e)[:36])
    outcome column 'y' is predicted almo
    """
    y = np.asarray(y, dtype=float)
    var_y = float(np.var(y))
    scale = max(float(np.mean(y) ** 2), var_y, np.finfo(float).tiny)
    if var_y <= 1e-24 * scale:
        raise DataError(f"outcome column {outcome!r} is constant ({y[0]:g} in all {len(y)} analysed rows): "
                        "there is nothing to compare. Check that the right column is the outcome.")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    dfr = max(len(y) - X.shape[1], 1)
    ratio = float(resid @ resid / dfr) / var_y
    if ratio <= RESIDUAL_VARIANCE_RATIO:
        raise DataError(f"outcome column {outcome!r} is predicted almost exactly by {terms} (residual variance "
                        f"{ratio:.2g} times the outcome's): standard errors and p-values would be meaningless. "
                        "Check that the outcome is not the baseline column (or a copy of it) and that no "
                        "covariate is derived from the outcome.")


def drop_baseline_visit(df: pd.DataFrame, *, outcome: str, visit: str, subject: str, baseline: str | None,
                        stacklevel: int = 3) -> pd.DataFrame:
    """Drop the rows of the baseline visit (the outcome there *is* the baseline covariate), with a DataWarning.

    A visit is the baseline visit when it is labelled ``"baseline"`` or when its outcome equals the
    ``baseline`` column on every row (as :func:`~retrostats.read_participants` returns week 0).
    """
    if baseline is None or df.empty:
        return df
    lab = df[visit].astype(str).str.strip().str.lower()
    y = pd.to_numeric(df[outcome], errors="coerce")
    b = pd.to_numeric(df[baseline], errors="coerce")
    same = (y == b) | (y.isna() & b.isna())
    per_visit = pd.DataFrame({"v": lab, "same": same, "both": y.notna() & b.notna()}).groupby("v", sort=False)
    agg = per_visit.agg(all_same=("same", "all"), n=("both", "sum"))
    base_levels = [v for v, r in agg.iterrows() if v == "baseline" or (r["all_same"] and r["n"] >= 2)]
    if not base_levels:
        return df
    drop = lab.isin(base_levels)
    if drop.all():
        return df  # nothing else to fit; the later checks say so
    shown = sorted(pd.unique(df.loc[drop.to_numpy(), visit].astype(str)))
    names = _row_names(df, drop, subject)
    warnings.warn(f"visit(s) {shown} in column {visit!r} are the baseline (the outcome equals column "
                  f"{baseline!r} there or the visit is labelled 'baseline'); MMRM models the change after "
                  f"baseline, so these {len(names)} row(s) are excluded: {_listing(names)}. Pass only the "
                  "post-baseline visits to silence this.", DataWarning, stacklevel=stacklevel)
    return df.loc[~drop.to_numpy()]


def check_converged(fit: Any, *, what: str = "the REML fit") -> None:
    """Raise :class:`ConvergenceError` when an iterative fit did not converge (no ordinary-looking numbers)."""
    if not getattr(fit, "converged", True):
        g = np.asarray(getattr(fit, "grad", [np.nan]), dtype=float)
        raise ConvergenceError(f"{what} did not converge (max |gradient| {np.nanmax(np.abs(g)):.2g}); its "
                               "estimates, standard errors and p-values would be unreliable. Try "
                               "covariance='cs', check for baseline rows, constant or duplicated outcomes, or "
                               "visits with very few participants.")


def check_arm_labels(arms: pd.Series, column: str) -> None:
    """Refuse arm labels that differ only in case or surrounding spaces (``"retro"``, ``"Retro "``): each
    would be fitted as an arm of its own, a participant or two each.

    Examples
    --------
    >>> check_arm_labels(pd.Series(["retro", "control", "retro"]), "arm")
    >>> check_arm_labels(pd.Series(["retro", "control", "Retro "]), "arm")
    Traceback (most recent call last):
    ...
    retrostats.exceptions.DataError: column 'arm' has arm labels that differ only in case or spaces: ['Retro ', ...
    """
    labels = pd.unique(arms.astype(str))
    seen: dict[str, list[str]] = {}
    for lab in labels:
        seen.setdefault(lab.strip().casefold(), []).append(lab)
    clash = next((sorted(v) for v in seen.values() if len(v) > 1), None)
    if clash:
        raise DataError(f"column {column!r} has arm labels that differ only in case or spaces: {clash}; write each "
                        "arm one way.")

