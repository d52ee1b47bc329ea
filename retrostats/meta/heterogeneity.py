"""Q-profile confidence intervals for tau², tau, I² and H² (metafor ``confint.rma.uni``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceError
from ..kernels import _dist
from ..kernels.tau2 import q_root

__all__ = ["heterogeneity_ci"]


def heterogeneity_ci(result) -> pd.DataFrame:
    """Q-profile confidence intervals for the heterogeneity parameters.

    Parameters
    ----------
    result : MetaAnalysisResult
        A random-effects fit (any estimator except ``EE``) without a fixed tau².

    Returns
    -------
    DataFrame
        Index ``tau2, tau, i2, h2``; columns ``estimate, ci_low, ci_high``. I² in percent.

    Raises
    ------
    ValueError
        For an equal-effects model, a fixed tau², or k = 1 (as metafor).

    Notes
    -----
    The bounds solve ``Q(tau2) = chi2_{k-p}`` quantiles at ``(1 + level)/2`` (lower bound) and
    ``(1 - level)/2`` (upper bound), where ``Q(tau2) = sum w (y - X b)^2`` with ``w = 1 / (v + tau2)``
    (Viechtbauer 2007, doi:10.1002/sim.2514); a bound is 0 when ``Q(0)`` is already below its target.
    I² and H² bounds use the fit's typical within-study variance. Validated against metafor 3.8.1
    ``confint()`` (``tests/reference/r/meta_rma.R``) to 1e-6.

    Examples
    --------
    >>> import retrostats as rs
    >>> res = rs.meta_analysis(yi=[0.1, 0.5, 0.9, 0.2], vi=[0.01, 0.02, 0.03, 0.02], method="DL")
    >>> list(res.heterogeneity_ci().index)
    ['tau2', 'tau', 'i2', 'h2']
    """
    if result.method == "EE":
        raise ValueError(
            "heterogeneity_ci() needs a random-effects model; this fit has method='EE' "
            "(no tau²). Refit with e.g. method='REML'."
        )
    if result.tau2_fixed:
        raise ValueError("heterogeneity_ci() needs an estimated tau²; this fit fixed tau2=.")
    if result.k == 1:
        raise ValueError("heterogeneity_ci() needs at least 2 studies.")
    df = result.k - result.X.shape[1]
    a = 1 - result.confidence_level
    targets = np.array([_dist.chi2_isf(a / 2, df), _dist.chi2_ppf(a / 2, df)])
    k = result.k
    y = np.broadcast_to(result.yi, (2, k))
    v = np.broadcast_to(result.vi, (2, k))
    bounds, ok = q_root(targets, y, v, result.X, np.ones((2, k)), tol=result.tol, maxiter=result.maxiter)
    if not np.all(ok):
        raise ConvergenceError("the Q-profile search for the tau² confidence bounds did not converge.")
    lo, hi = (float(b) for b in bounds)
    vt = result.vt
    tab = pd.DataFrame(
        {
            "estimate": [result.tau2, result.tau, result.i2, result.h2],
            "ci_low": [lo, np.sqrt(lo), 100 * lo / (vt + lo), lo / vt + 1],
            "ci_high": [hi, np.sqrt(hi), 100 * hi / (vt + hi), hi / vt + 1],
        },
        index=pd.Index(["tau2", "tau", "i2", "h2"]),
    )
    return tab
