"""Many independent meta-analyses in one call: ``meta_analysis(data, by="replicate")``.

The groups are stacked by size into ``(groups, k)`` arrays and fitted with one call of the batched
:func:`retrostats.kernels.rma.rma_fit` per distinct ``k`` (no Python loop over groups), which runs exactly the
arithmetic of a single fit on each row: every row of :meth:`MetaAnalysisBatch.to_frame` equals the
:func:`retrostats.meta_analysis` fit of that group alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._display import ResultDisplay, Summary, fmt_num
from ..exceptions import ConvergenceError, DataError
from ..kernels.rma import rma_fit
from ..measures import MEASURES, table_meaning
from ..provenance import Provenance, make_provenance
from .multiarm import check_multiarm

__all__ = ["MetaAnalysisBatch", "fit_by"]

#: per-group result fields, in the order of :meth:`MetaAnalysisBatch.to_frame` (after the group column)
FIELDS = (
    "k",
    "estimate",
    "se",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "tau",
    "i2",
    "h2",
    "q",
    "q_df",
    "q_p_value",
    "df",
)


@dataclass(frozen=True, eq=False)
class MetaAnalysisBatch(ResultDisplay):
    """Independent meta-analyses of many groups (``meta_analysis(..., by=...)``), fitted in one pass.

    Attributes
    ----------
    by : str
        Name of the grouping column.
    groups : ndarray
        The group values, sorted (as ``pandas.groupby``).
    columns : dict of ndarray
        One array per field of :data:`FIELDS` (``k, estimate, se, statistic, p_value, ci_low, ci_high,
        pi_low, pi_high, tau2, tau, i2, h2, q, q_df, q_p_value, df``), aligned with ``groups``.
    method, test : str
        metafor codes; ``confidence_level`` a fraction.
    provenance : Provenance
    """

    by: str
    groups: np.ndarray
    columns: dict
    method: str
    test: str
    confidence_level: float
    provenance: Provenance | None = None
    _frame: list = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return len(self.groups)

    def __getattr__(self, name: str) -> np.ndarray:
        # result fields as arrays: batch.estimate, batch.tau2, ...
        cols = self.__dict__.get("columns", {})
        if name in cols:
            return cols[name]
        raise AttributeError(name)

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the group value, then ``k, estimate, se, ..., method, test,
        confidence_level, df`` at full precision.
        """
        if not self._frame:
            out = {self.by: self.groups}
            for key in FIELDS[:-1]:
                out[key] = self.columns[key]
            out["method"] = self.method
            out["test"] = self.test
            out["confidence_level"] = self.confidence_level
            out["df"] = self.columns["df"]
            self._frame.append(pd.DataFrame(out))
        return self._frame[0].copy()

    def summary(self) -> Summary:
        """A short display: how many groups, the model, and the spread of the pooled estimates."""
        est = self.columns["estimate"]
        header = [
            ("groups", str(len(self))),
            ("by", self.by),
            ("method", self.method),
            ("test", self.test),
            ("studies per group", f"{int(self.columns['k'].min())} to {int(self.columns['k'].max())}"),
            ("estimate (median)", fmt_num(float(np.median(est))) if len(est) else "NA"),
        ]
        return Summary(title="Meta-analyses by group", header=header, notes=[])

    def __repr__(self) -> str:
        return f"MetaAnalysisBatch({len(self)} groups by {self.by!r}, method={self.method!r}, test={self.test!r})"


def _check_meaning_per_group(data: pd.DataFrame, by: str) -> None:
    """Refuse a group that mixes measures, instruments or orientations, as a single fit does.

    Groups may differ from one another (one measure per replicate, say); within a group the rules of
    :func:`retrostats.measures.table_meaning` apply. Vectorised: ``table_meaning`` runs once per distinct
    combination of the meaning columns and once on the first mixed group (to raise its message).
    """
    cols = [c for c in ("measure", "instrument", "favours") if c in data.columns]
    if not cols or data.empty:
        return
    group, groups = pd.factorize(data[by], sort=True)
    n_groups = len(groups)

    def distinct(col: str) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        code, values = pd.factorize(data[col], use_na_sentinel=False)  # a missing value counts as a value
        pairs = np.unique(group.astype(np.int64) * (len(values) + 1) + code)
        return np.bincount(pairs // (len(values) + 1), minlength=n_groups), code, values

    wrong = np.zeros(n_groups, dtype=bool)
    if "favours" in cols:  # always refused within one fit, as a mixed measure
        wrong |= distinct("favours")[0] > 1
    if "measure" in cols:
        n_measures, code, values = distinct("measure")
        wrong |= n_measures > 1
    if "instrument" in cols and "measure" in cols:  # refused only where raw units differ
        raw = np.array([bool(getattr(MEASURES.get(m), "rescales_with_instrument", False)) for m in values])
        first = np.full(n_groups, -1)
        first[group[::-1]] = code[::-1]  # the first row's measure of each group
        wrong |= (distinct("instrument")[0] > 1) & raw[first]
    for g in np.flatnonzero(wrong)[:1]:
        table_meaning(data[group == g], what=f"group {groups[g:g + 1].tolist()[0]!r} of {by!r}")
    for _, combo in data[cols].drop_duplicates().iterrows():
        table_meaning(combo.to_frame().T, what=f"the rows of {by!r}")


def fit_by(
    data: pd.DataFrame,
    *,
    by: str,
    y: np.ndarray,
    v: np.ndarray,
    keep: np.ndarray,
    method: str,
    test: str,
    level: float,
    tau2: float | None,
    multiarm: str,
    tol: float,
    maxiter: int,
    args: dict[str, Any],
) -> MetaAnalysisBatch:
    """Fit one meta-analysis per value of ``data[by]`` (rows with ``keep`` false already reported)."""
    g = data[by]
    if bool(g.isna().any()):
        i = int(np.flatnonzero(g.isna().to_numpy())[0])
        raise DataError(f"by column {by!r} is missing in row {i}; give every row a group or drop it.")
    if multiarm != "ignore" and "study_id" in data.columns and "comparison" in data.columns:
        scoped = data[keep].copy()
        scoped["study_id"] = scoped[by].astype(str) + " / " + scoped["study_id"].astype(str)
        check_multiarm(scoped, multiarm=multiarm, stacklevel=4)
    _check_meaning_per_group(data[keep], by)
    codes, uniques = pd.factorize(g, sort=True)
    codes = codes[keep]
    y, v = y[keep], v[keep]
    n_groups = len(uniques)
    counts = np.bincount(codes, minlength=n_groups)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise DataError(
            f"group {uniques[empty[0]]!r} of {by!r} has no studies left (missing yi or vi in all its rows)."
        )
    if test == "knha" and (counts == 1).any():
        one = uniques[np.flatnonzero(counts == 1)[0]]
        raise ValueError(
            f"test='knha' needs at least 2 studies per group; group {one!r} of {by!r} has one. Use test='z' "
            "or drop the group."
        )
    order = np.argsort(codes, kind="stable")  # rows of each group in their original order
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    cols = {key: np.empty(n_groups) for key in FIELDS}
    failed: list = []
    for k in np.unique(counts):  # one batched fit per distinct group size
        gi = np.flatnonzero(counts == k)
        idx = order[starts[gi][:, None] + np.arange(k)[None, :]]
        fit = rma_fit(y[idx], v[idx], method=method, test=test, level=level, tau2=tau2, tol=tol, maxiter=maxiter)
        conv = np.broadcast_to(fit["converged"], gi.shape)
        if not conv.all():
            failed.extend(uniques[gi[~conv]])
        t2 = fit["tau2"]
        cols["k"][gi] = k
        cols["estimate"][gi] = fit["beta"][:, 0]
        cols["se"][gi] = fit["se"][:, 0]
        cols["statistic"][gi] = fit["zval"][:, 0]
        cols["p_value"][gi] = fit["pval"][:, 0]
        cols["ci_low"][gi] = fit["ci_lb"][:, 0]
        cols["ci_high"][gi] = fit["ci_ub"][:, 0]
        cols["pi_low"][gi] = fit["pi_lb"]
        cols["pi_high"][gi] = fit["pi_ub"]
        cols["tau2"][gi] = t2
        cols["tau"][gi] = np.sqrt(t2)
        cols["i2"][gi] = fit["i2"]
        cols["h2"][gi] = fit["h2"]
        cols["q"][gi] = fit["qe"]
        cols["q_df"][gi] = k - 1
        cols["q_p_value"][gi] = fit["qe_p"]
        cols["df"][gi] = fit["ddf"] if test == "knha" else math.nan
    if failed:
        shown = ", ".join(repr(f) for f in failed[:5]) + (" ..." if len(failed) > 5 else "")
        raise ConvergenceError(
            f"the {method} estimator of tau² did not converge in {maxiter} iterations for {len(failed)} "
            f"group(s) of {by!r} ({shown}); increase maxiter or try method='DL' or 'PM'."
        )
    cols["k"] = cols["k"].astype(int)
    cols["q_df"] = cols["q_df"].astype(int)
    prov = make_provenance("meta_analysis", {**args, "by": by}, y, v, codes)
    return MetaAnalysisBatch(
        by=by,
        groups=np.asarray(uniques),
        columns=cols,
        method=method,
        test=test,
        confidence_level=level,
        provenance=prov,
    )
