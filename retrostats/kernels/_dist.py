"""The t, chi-squared and normal tail functions the common paths need, from ``scipy.special``.

Each returns what the ``scipy.stats`` method of the same name returns, bit for bit, boundaries and invalid
arguments included (``tests/test_kernels_dist.py`` compares them on a grid with infinite, zero, negative and
NaN arguments): ``scipy.stats`` computes them with the same special functions inside a distribution wrapper
whose import costs about a second (see :mod:`retrostats.kernels._lazy_stats`).

Examples
--------
>>> round(float(t_isf(0.025, 10)), 6)
2.228139
>>> float(chi2_sf(-1.0, 3))
1.0
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["t_ppf", "t_isf", "t_cdf", "t_sf", "chi2_sf", "chi2_isf", "chi2_ppf", "norm_isf"]


def _out(value: np.ndarray):
    """A 0-d result as a NumPy scalar (as scipy.stats returns it), an array as it is."""
    return value[()] if value.ndim == 0 else value


def t_ppf(q, df):
    """``scipy.stats.t.ppf(q, df)``: lower-tail quantile of Student's t."""
    q, df = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(df, dtype=float))
    out = np.asarray(special.stdtrit(df, q), dtype=float)
    out = np.where(q == 0.0, -np.inf, out)
    out = np.where(q == 1.0, np.inf, out)
    out = np.where((df > 0) & (q >= 0.0) & (q <= 1.0), out, np.nan)
    return _out(out)


def t_isf(q, df):
    """``scipy.stats.t.isf(q, df)``: upper-tail quantile of Student's t."""
    return -t_ppf(q, df)


def t_cdf(x, df):
    """``scipy.stats.t.cdf(x, df)``: lower-tail probability of Student's t."""
    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df, dtype=float))
    out = np.asarray(special.stdtr(df, x), dtype=float)
    return _out(np.where(df > 0, out, np.nan))


def t_sf(x, df):
    """``scipy.stats.t.sf(x, df)``: upper-tail probability of Student's t."""
    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df, dtype=float))
    out = np.asarray(special.stdtr(df, -x), dtype=float)
    return _out(np.where(df > 0, out, np.nan))


def chi2_sf(x, df):
    """``scipy.stats.chi2.sf(x, df)``: upper-tail probability of chi-squared (1 below the support)."""
    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df, dtype=float))
    out = np.asarray(special.chdtrc(df, np.maximum(x, 0.0)), dtype=float)
    out = np.where(x == np.inf, 0.0, out)
    return _out(np.where((df > 0) & ~np.isnan(x), out, np.nan))


def chi2_isf(q, df):
    """``scipy.stats.chi2.isf(q, df)``: upper-tail quantile of chi-squared."""
    q, df = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(df, dtype=float))
    out = np.asarray(special.chdtri(df, q), dtype=float)
    return _out(np.where((df > 0) & (q >= 0.0) & (q <= 1.0), out, np.nan))


def chi2_ppf(q, df):
    """``scipy.stats.chi2.ppf(q, df)``: lower-tail quantile of chi-squared."""
    q, df = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(df, dtype=float))
    out = np.asarray(2.0 * special.gammaincinv(df / 2.0, q), dtype=float)
    out = np.where(q == 1.0, np.inf, np.where(q == 0.0, 0.0, out))
    return _out(np.where((df > 0) & (q >= 0.0) & (q <= 1.0), out, np.nan))


def norm_isf(q):
    """``scipy.stats.norm.isf(q)``: upper-tail quantile of the standard normal."""
    q = np.asarray(q, dtype=float)
    out = np.asarray(-special.ndtri(q), dtype=float)
    return _out(np.where((q >= 0.0) & (q <= 1.0), out, np.nan))
