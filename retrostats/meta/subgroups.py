"""Subgroup analysis: separate pooled estimates per subgroup and the between-subgroup Q test."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceError
from ..kernels import _dist
from ..kernels.rma import rma_fit

__all__ = ["subgroup_analysis"]


def subgroup_analysis(
    y: np.ndarray,
    v: np.ndarray,
    groups: np.ndarray,
    *,
    method: str,
    test: str,
    level: float,
    tol: float,
    maxiter: int,
) -> tuple[pd.DataFrame, dict]:
    """Pool each subgroup separately (its own tau²) and test the difference between subgroups.

    The between-subgroup test is Cochran's Q of the subgroup estimates with their variances
    (``Q_between = sum (mu_g - mu_bar)^2 / se_g^2``, df = G - 1), as RevMan and the Cochrane Handbook
    (section 10.11.3) do; equal to metafor's ``rma(est, sei=se, method="EE")`` QE.

    Returns
    -------
    table : DataFrame
        Index: subgroup; columns ``k, estimate, se, statistic, p_value, ci_low, ci_high, pi_low, pi_high,
        tau2, i2, q, q_p_value``.
    test : dict
        ``q, df, p_value`` of the between-subgroup test.
    """
    levels = sorted(set(groups))
    rows = []
    for g in levels:  # one small fit per subgroup (a handful of subgroups at most)
        sel = groups == g
        if test == "knha" and sel.sum() < 2:
            raise ValueError(f"subgroup {g!r} has a single study; test='knha' needs 2 or more per subgroup.")
        f = rma_fit(y[sel], v[sel], method=method, test=test, level=level, tol=tol, maxiter=maxiter)
        if not bool(np.all(f["converged"])):
            raise ConvergenceError(f"the tau² estimator did not converge in subgroup {g!r}.")
        rows.append(
            {
                "k": int(sel.sum()),
                "estimate": float(f["beta"][0]),
                "se": float(f["se"][0]),
                "statistic": float(f["zval"][0]),
                "p_value": float(f["pval"][0]),
                "ci_low": float(f["ci_lb"][0]),
                "ci_high": float(f["ci_ub"][0]),
                "pi_low": float(f["pi_lb"]),
                "pi_high": float(f["pi_ub"]),
                "tau2": float(f["tau2"]),
                "i2": float(f["i2"]),
                "q": float(f["qe"]),
                "q_p_value": float(f["qe_p"]),
            }
        )
    table = pd.DataFrame(rows, index=pd.Index(levels, name="subgroup"))
    est, se = table["estimate"].to_numpy(), table["se"].to_numpy()
    w = 1 / se**2
    mu = np.sum(w * est) / np.sum(w)
    q = float(np.sum(w * (est - mu) ** 2))
    df = len(levels) - 1
    return table, {"q": q, "df": df, "p_value": float(_dist.chi2_sf(q, df)) if df > 0 else float("nan")}
