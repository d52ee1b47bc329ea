"""Fixed-effects design of the MMRM: formula terms, treatment coding, LS-mean grids and Type 3 hypotheses."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError

__all__ = ["parse_formula", "Design", "natural_key", "factor_levels"]


def natural_key(label: str) -> list[tuple[int, float | str]]:
    """Sort key that compares the numbers inside a label by value: ``"week 12"`` after ``"week 4"``."""
    parts = re.split(r"(\d+(?:\.\d+)?)", str(label))
    return [(0, float(p)) if i % 2 else (1, p) for i, p in enumerate(parts) if p != "" or i % 2]


def factor_levels(s: pd.Series) -> list[Any]:
    """Levels of a factor column: a Categorical's order (observed levels), numbers by value, text naturally."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [x for x in s.cat.categories if (s == x).any()]
    num = pd.to_numeric(s, errors="coerce")
    if num.notna().all() and not pd.api.types.is_bool_dtype(s):
        return [x.item() if hasattr(x, "item") else x for x in sorted(pd.unique(s), key=float)]
    return sorted(pd.unique(s.astype(str)), key=natural_key)


def parse_formula(rhs: str) -> tuple[bool, list[tuple[str, ...]]]:
    """Right-hand side ``"a * b + c + a:c"`` -> (intercept, terms); ``1``/``0``/``-1`` set the intercept.

    Examples
    --------
    >>> parse_formula("arm * visit + sex")
    (True, [('arm',), ('visit',), ('arm', 'visit'), ('sex',)])
    """
    s = rhs.split("~")[-1].replace("-1", "+0").replace(" ", "")
    if re.search(r"[()^/|]", s):
        raise ValueError(f"formula {rhs!r}: use +, * and : between column names (no parentheses or functions).")
    intercept, terms = True, []
    for part in filter(None, s.split("+")):
        if part in ("1", "0"):
            intercept = intercept and part == "1"
            continue
        factors = part.split("*")
        for r in range(1, len(factors) + 1):
            for combo in itertools.combinations(factors, r):
                names = tuple(itertools.chain.from_iterable(c.split(":") for c in combo))
                names = tuple(dict.fromkeys(names))
                if set(names) not in [set(t) for t in terms]:
                    terms.append(names)
    return intercept, terms


@dataclass
class Design:
    """Treatment-coded design from terms (R's rule for which factors get contrasts) with stored levels."""

    intercept: bool
    terms: list[tuple[str, ...]]
    levels: dict[str, list[Any]]  # factors -> levels, reference first
    means: dict[str, float]  # numeric columns -> mean over the analysed rows
    columns: list[str] = field(default_factory=list)
    term_index: list[int] = field(default_factory=list)  # term of each column (-1 intercept)

    def __post_init__(self) -> None:
        self.columns, self.term_index = (["(Intercept)"] if self.intercept else []), ([-1] if self.intercept else [])
        self._coding = []
        sets = [frozenset(t) for t in self.terms]
        for j, term in enumerate(self.terms):
            coding = {}
            for v in term:
                if v in self.levels:
                    rest = frozenset(term) - {v}
                    coding[v] = "contrast" if (rest in sets or (not rest and self.intercept)) else "full"
            self._coding.append(coding)
            for combo in itertools.product(*[self._labels(v, coding) for v in term]):
                self.columns.append(":".join(combo))
                self.term_index.append(j)
        self.term_index = np.array(self.term_index)

    def _labels(self, v: str, coding: dict[str, str]) -> list[str]:
        if v not in self.levels:
            return [v]
        lv = self.levels[v][1:] if coding[v] == "contrast" else self.levels[v]
        return [f"{v}{x}" for x in lv]

    def _factor_cols(self, data: pd.DataFrame, v: str, coding: str, sum_coding: bool) -> np.ndarray:
        lv = self.levels[v]
        col = data[v]
        if isinstance(lv[0], str):
            key, cats = col.astype(str).to_numpy(), [str(x) for x in lv]
        else:
            key, cats = pd.to_numeric(col).to_numpy(float), [float(x) for x in lv]
        u, inv = np.unique(key, return_inverse=True)
        pos = {c: i for i, c in enumerate(cats)}
        idx = np.array([pos.get(x, -1) for x in u.tolist()], dtype=int)[inv.ravel()]
        if (idx < 0).any():
            bad = col.iloc[int(np.flatnonzero(idx < 0)[0])]
            raise DataError(f"column {v!r} has level {bad!r} that the model was not fitted with ({lv}).")
        E = np.eye(len(lv))[idx]
        if coding == "full":
            return E
        if sum_coding:  # effects coding: reference level -> -1 on every column
            E = E - E[:, [0]]
        return E[:, 1:]

    def matrix(self, data: pd.DataFrame, *, sum_coding: bool = False) -> np.ndarray:
        """The design matrix of ``data`` (columns of every variable in the terms)."""
        n = len(data)
        cols = [np.ones((n, 1))] if self.intercept else []
        for term, coding in zip(self.terms, self._coding):
            block = np.ones((n, 1))
            for v in term:
                if v in self.levels:
                    f = self._factor_cols(data, v, coding[v], sum_coding)
                else:
                    f = pd.to_numeric(data[v]).to_numpy(float)[:, None]
                block = (block[:, :, None] * f[:, None, :]).reshape(n, -1)
            cols.append(block)
        return np.hstack(cols) if cols else np.zeros((n, 0))

    def between(self, data: pd.DataFrame, subject: str, X: np.ndarray) -> np.ndarray:
        """Columns constant within every subject (between-subject effects)."""
        g = pd.DataFrame(X).groupby(data[subject].astype(str).to_numpy()).nunique()
        return (g.max(axis=0) <= 1).to_numpy()

    def grid(self, fixed: list[dict[str, Any]], data: pd.DataFrame, weights: str) -> np.ndarray:
        """LS-mean rows, one per dict of factor values in ``fixed`` (same keys): the other factors averaged
        (``equal`` weights, or ``proportional`` to their frequencies in ``data``), numeric covariates at their
        means.
        """
        used = {v for t in self.terms for v in t}
        keys = list(fixed[0])
        others = [v for v in self.levels if v in used and v not in keys]
        combos = list(itertools.product(*[self.levels[v] for v in others])) or [()]
        nc = len(combos)
        rows = [{**dict(zip(others, c)), **f} for f in fixed for c in combos]
        g = pd.DataFrame(rows, columns=others + keys)
        for v, mu in self.means.items():
            g[v] = mu
        if weights == "equal" or not others:
            w = np.full(nc, 1.0 / nc)
        else:
            k = data[others].astype(str).agg("\r".join, axis=1)
            freq = k.value_counts()
            w = np.array([freq.get("\r".join(map(str, c)), 0) for c in combos], float)
            w /= w.sum()
        return np.einsum("c,fcp->fp", w, self.matrix(g).reshape(len(fixed), nc, -1))

    def type3(self, data: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        """SAS Type 3 hypotheses, one ``L`` per term: the term's columns under effects (sum-to-zero) coding,
        written in this (treatment-coded) parametrisation.
        """
        X = self.matrix(data)
        Xs = self.matrix(data, sum_coding=True)
        M = np.linalg.lstsq(X, Xs, rcond=None)[0]  # Xs = X M exactly (same column space)
        Minv = np.linalg.inv(M)
        out = []
        for j, (t, coding) in enumerate(zip(self.terms, self._coding)):
            # rows as SAS writes them: each non-reference level minus the reference (the basis matters for
            # the multi-df Satterthwaite df): effects -> differences is I + J per contrast-coded factor
            D = np.ones((1, 1))
            for v in t:
                k = len(self.levels[v]) - 1 if coding.get(v) == "contrast" else 0
                D = np.kron(D, np.eye(k) + 1.0) if k else D if v not in self.levels else np.kron(
                    D, np.eye(len(self.levels[v])))
            out.append((":".join(t), D @ Minv[self.term_index == j]))
        return out
