"""``scipy.stats``, imported on first use.

Importing ``scipy.stats`` costs about a second of CPU (it pulls in scipy.optimize, interpolate, ndimage,
spatial and builds a hundred distributions), more than the rest of retrostats' imports together, while the
common paths (meta-analysis, effect sizes, power, figures) compute their quantiles with ``scipy.special``.
Modules write ``from ..kernels._lazy_stats import stats`` and use ``stats.t``, ``stats.gaussian_kde``, ... as
before; the first attribute looked up imports the real module.

Examples
--------
>>> from retrostats.kernels._lazy_stats import stats
>>> round(float(stats.norm.cdf(0.0)), 3)
0.5
"""

from __future__ import annotations

from typing import Any

__all__ = ["stats"]


class _LazyStats:
    """Stands in for the ``scipy.stats`` module until an attribute is first needed."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        import scipy.stats  # the one place it is imported (tests/test_kernels_dist.py checks)

        return getattr(scipy.stats, name)

    def __repr__(self) -> str:
        return "<scipy.stats, imported on first use>"


stats = _LazyStats()
