"""Ordinary least squares with classical or HC3 covariance, and multiplicity adjustments as emmeans does them.

Arrays in, arrays out (NumPy/SciPy only).
"""

from __future__ import annotations

import functools

import numpy as np

from . import _dist
from ._lazy_stats import stats

__all__ = ["ols", "ADJUSTMENTS", "adjust_p", "critical_value"]

ADJUSTMENTS = ("none", "tukey", "holm", "bonferroni", "sidak")


def ols(y: np.ndarray, X: np.ndarray, *, vcov_type: str = "classical") -> dict:
    """Least-squares fit of ``y`` on the full-rank design ``X``.

    Parameters
    ----------
    y : (n,) array; X : (n, p) array of full column rank.
    vcov_type : ``"classical"`` (``sigma^2 (X'X)^-1``) or ``"HC3"`` (MacKinnon and White 1985: residuals
        divided by ``1 - h_ii``, as ``sandwich::vcovHC(type = "HC3")``).

    Returns
    -------
    dict with ``beta, vcov, sigma`` (residual SD), ``df`` (``n - p``), ``residuals``, ``leverage``.

    Examples
    --------
    >>> X = np.column_stack([np.ones(5), np.arange(5.0)])
    >>> fit = ols(np.array([1.0, 2.9, 5.1, 7.0, 9.0]), X)
    >>> round(float(fit["beta"][1]), 6)
    2.0
    """
    n, p = X.shape
    Q, R = np.linalg.qr(X)
    beta = np.linalg.solve(R, Q.T @ y)
    resid = y - X @ beta
    df = n - p
    sigma2 = float(resid @ resid) / df if df > 0 else np.nan
    Rinv = np.linalg.solve(R, np.eye(p))
    XtX_inv = Rinv @ Rinv.T
    lev = np.einsum("ij,ij->i", Q, Q)
    if vcov_type == "classical":
        vcov = sigma2 * XtX_inv
    elif vcov_type == "HC3":
        with np.errstate(divide="ignore"):
            w = resid ** 2 / (1.0 - lev) ** 2
        meat = (X * w[:, None]).T @ X
        vcov = XtX_inv @ meat @ XtX_inv
    else:  # pragma: no cover - validated by the frame API
        raise ValueError(f"vcov_type must be 'classical' or 'HC3'; got {vcov_type!r}")
    return {"beta": beta, "vcov": (vcov + vcov.T) / 2, "sigma": float(np.sqrt(sigma2)), "df": df,
            "residuals": resid, "leverage": lev}


def adjust_p(t: np.ndarray, df: np.ndarray, method: str, n_means: int) -> np.ndarray:
    """Two-sided p-values of t statistics within one family, adjusted as emmeans' ``summary(adjust=)``.

    ``tukey`` uses the studentized range for ``n_means`` means (``ptukey(|t| sqrt 2, n_means, df)``);
    ``holm`` and ``bonferroni`` are R's ``p.adjust``; ``sidak`` is ``1 - (1 - p)^m``.

    Examples
    --------
    >>> adjust_p(np.array([2.0, 1.0]), np.array([20.0, 20.0]), "bonferroni", 3).round(4)
    array([0.1185, 0.6585])
    """
    t = np.abs(np.asarray(t, float))
    df = np.broadcast_to(np.asarray(df, float), t.shape)
    p = 2.0 * _dist.t_sf(t, df)
    m = t.size
    if method == "none" or m == 0:
        return p
    if method == "bonferroni":
        return np.minimum(1.0, p * m)
    if method == "sidak":
        return 1.0 - (1.0 - p) ** m
    if method == "holm":
        order = np.argsort(p, kind="mergesort")
        adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
        out = np.empty(m)
        out[order] = adj
        return out
    if method == "tukey":
        if n_means < 3:
            return p
        return np.minimum(1.0, stats.studentized_range.sf(t * np.sqrt(2.0), n_means, df))
    raise ValueError(f"adjust must be one of {ADJUSTMENTS}; got {method!r}")  # pragma: no cover


def critical_value(confidence_level: float, df: np.ndarray, method: str, m: int, n_means: int) -> np.ndarray:
    """Half-width multiplier of simultaneous CIs as emmeans: holm's CIs use bonferroni (as emmeans notes).

    Examples
    --------
    >>> round(float(critical_value(0.95, np.array([np.inf]), "none", 1, 2)[0]), 4)
    1.96
    """
    df = np.asarray(df, float)
    a = 1.0 - confidence_level
    if method == "none" or m <= 1 or (method == "tukey" and n_means < 3):
        return _dist.t_ppf(1 - a / 2, df)
    if method in ("bonferroni", "holm"):
        return _dist.t_ppf(1 - a / (2 * m), df)
    if method == "sidak":
        return _dist.t_ppf((1 + confidence_level ** (1.0 / m)) / 2, df)
    if method == "tukey":
        # each quantile is a root search over a numerical integral (~30 ms): computed once per distinct df (the
        # contrasts of a table usually share theirs) and remembered; SciPy computes an array element by element,
        # so the values are the same
        uniq, inverse = np.unique(df.ravel(), return_inverse=True)
        q = np.array([_studentized_range_ppf(float(confidence_level), int(n_means), float(d)) for d in uniq])
        return q[inverse].reshape(df.shape) / np.sqrt(2.0)
    raise ValueError(f"adjust must be one of {ADJUSTMENTS}; got {method!r}")  # pragma: no cover


@functools.lru_cache(maxsize=4096)
def _studentized_range_ppf(p: float, k: int, df: float) -> float:
    """``stats.studentized_range.ppf(p, k, df)`` for one ``df``, remembered."""
    return float(stats.studentized_range.ppf(p, k, df))
