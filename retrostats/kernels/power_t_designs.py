"""Power kernels for the one-sample / paired t test and the two-sample t test with fixed group sizes.

NumPy/SciPy only; the frame API in :mod:`retrostats.planning.ttest_designs` validates inputs. Conventions as
R ``pwr`` (Champely 2020): two-sided power counts both rejection tails.
"""

from __future__ import annotations

import numpy as np

from ._dist import t_cdf, t_isf
from .power import t_power, two_sample_ncp

__all__ = ["one_sample_power", "two_sample_power_n1n2", "mmrm_t_power"]


def one_sample_power(d, n, alpha, alternative: str = "two-sided") -> np.ndarray:
    """Power of the one-sample (or paired, on the differences) t test: noncentral t with ``n - 1`` df and
    noncentrality ``d * sqrt(n)``, as ``pwr.t.test(type = "one.sample" | "paired")``.

    Examples
    --------
    >>> round(float(one_sample_power(0.5, 20, 0.05)), 6)
    0.564504
    """
    d, n = np.asarray(d, dtype=float), np.asarray(n, dtype=float)
    return t_power(d * np.sqrt(n), n - 1.0, alpha, alternative)


def two_sample_power_n1n2(d, n1, n2, alpha, alternative: str = "two-sided") -> np.ndarray:
    """Power of the pooled two-sample t test with group sizes ``n1`` and ``n2`` (``pwr.t2n.test``)."""
    n1, n2 = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    return t_power(two_sample_ncp(d, n1, n2), n1 + n2 - 2.0, alpha, alternative)


def mmrm_t_power(z, df, alpha, alternative: str = "two-sided") -> np.ndarray:
    """Power ``F_t(z - t_{1 - a}; df)`` with ``a = alpha / 2`` two-sided (one tail), the t analogue of the
    normal formula (3) of Lu, Luo & Chen (2008): it inverts ``N = (t_{1-a, df} + t_{power, df})^2 V``.

    ``z`` is the effect over its standard error, taken positive in the direction of the alternative.

    Examples
    --------
    >>> round(float(mmrm_t_power(2.8, 1e12, 0.05)), 4)  # df -> infinity: the normal formula
    0.7995
    """
    z, df = np.asarray(z, dtype=float), np.asarray(df, dtype=float)
    a = np.asarray(alpha, dtype=float) / (2.0 if alternative == "two-sided" else 1.0)
    return t_cdf(z - t_isf(a, df), df)
