"""Guard rails of the study-level fits, each called from the fit with a one-line hook."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..exceptions import DataWarning

__all__ = ["warn_extreme_variance_ratio", "VARIANCE_RATIO_LIMIT"]

#: metafor's ``1 / evtol`` (``rma.uni``'s control default ``evtol = 1e-07``)
VARIANCE_RATIO_LIMIT = 1e7


def warn_extreme_variance_ratio(v: np.ndarray, labels: Sequence[str], *, stacklevel: int = 3) -> None:
    """Warn, as metafor does, when the largest sampling variance is >= 1e7 times the smallest.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_extreme_variance_ratio(np.array([1e-9, 0.1, 0.2]), ["a", "b", "c"])
    >>> "'a'" in str(w[0].message)
    True
    """
    v = np.asarray(v, dtype=float)
    if v.size < 2:
        return
    lo, hi = float(np.minimum.reduce(v)), float(np.maximum.reduce(v))
    if not (lo > 0 and hi < np.inf):  # a NaN makes both comparisons false
        return
    ratio = hi / lo
    if ratio >= VARIANCE_RATIO_LIMIT:
        lo, hi = int(np.argmin(v)), int(np.argmax(v))
        warnings.warn(f"the largest sampling variance (study {labels[hi]!r}, {v[hi]:.3g}) is {ratio:.2g} times "
                      f"the smallest (study {labels[lo]!r}, {v[lo]:.3g}); results may be unstable (metafor "
                      "warns at 1e7). Check that the variances are variances (not SDs or SEs) on one scale.",
                      DataWarning, stacklevel=stacklevel)
