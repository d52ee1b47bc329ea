"""Leave-one-out, influence diagnostics and cumulative meta-analysis, vectorised over studies."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceError

__all__ = ["leave_one_out", "influence", "cumulative"]

#: elements per chunk of case-deletion refits (rows x studies): memory stays O(k), not O(k^2)
_CHUNK = 1 << 20
#: kernel outputs with one entry per study in each refit (O(k^2) in all), not kept
_PER_STUDY = ("weights", "resid")


def _refits(result, y, v, X, mask_rows, what: str) -> dict:
    """Refit ``result``'s model once per row of the mask, a chunk of rows at a time.

    ``mask_rows(start, stop)`` returns rows ``start:stop`` of the 0/1 mask (k columns). The ML/REML
    iterations start from the full fit's tau² (each deletion moves it a little), and only per-refit results
    are kept, so memory is O(k x chunk).
    """
    k = len(y)
    size = max(1, _CHUNK // max(k, 1))
    parts = []
    for s in range(0, k, size):
        m = mask_rows(s, min(k, s + size))
        n = m.shape[0]
        f = result._refit(np.broadcast_to(y, (n, k)), np.broadcast_to(v, (n, k)), X, m, start=result.tau2)
        parts.append({key: val for key, val in f.items() if key not in _PER_STUDY})
    f = {
        key: np.concatenate([np.atleast_1d(pt[key]) for pt in parts]) if np.ndim(val) else val
        for key, val in parts[0].items()
    }
    _check(f, what)
    return f


def _loo_mask(k: int):
    def rows(start: int, stop: int) -> np.ndarray:
        m = np.ones((stop - start, k))
        m[np.arange(stop - start), np.arange(start, stop)] = 0.0
        return m

    return rows


def _frame(f: dict, index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "k": f["k"].astype(int),
            "estimate": f["beta"][:, 0],
            "se": f["se"][:, 0],
            "statistic": f["zval"][:, 0],
            "p_value": f["pval"][:, 0],
            "ci_low": f["ci_lb"][:, 0],
            "ci_high": f["ci_ub"][:, 0],
            "pi_low": f["pi_lb"],
            "pi_high": f["pi_ub"],
            "q": f["qe"],
            "q_p_value": f["qe_p"],
            "tau2": f["tau2"],
            "i2": f["i2"],
            "h2": f["h2"],
        },
        index=index,
    )


def _check(f: dict, what: str) -> None:
    if not bool(np.all(f["converged"])):
        raise ConvergenceError(
            f"{what}: the tau² estimator did not converge for some subsets; "
            "increase maxiter or use method='DL'."
        )


def leave_one_out(result) -> pd.DataFrame:
    """Refit the model leaving out each study in turn (metafor ``leave1out()``), in one batched call.

    Returns
    -------
    DataFrame
        Index: the omitted study; columns ``k, estimate, se, statistic, p_value, ci_low, ci_high, pi_low,
        pi_high, q, q_p_value, tau2, i2, h2``.

    Notes
    -----
    Validated against metafor 3.8.1 ``leave1out()`` (``tests/reference/r/meta_rma.R``).

    Examples
    --------
    >>> import retrostats as rs
    >>> res = rs.meta_analysis(yi=[0.1, 0.5, 0.9], vi=[0.01, 0.02, 0.03], slab=["a", "b", "c"], method="DL")
    >>> res.leave_one_out()["estimate"].round(4).tolist()
    [0.6875, 0.4875, 0.2875]
    """
    if not result.int_only:
        raise ValueError("leave_one_out() applies to models without moderators (as metafor's leave1out()).")
    k = result.k
    if k < 2:
        raise ValueError("leave_one_out() needs at least 2 studies (leaving out the only one leaves none).")
    f = _refits(result, result.yi, result.vi, None, _loo_mask(k), "leave_one_out()")
    return _frame(f, pd.Index(result.labels, name="omitted"))


def cumulative(result, order: Any = None) -> pd.DataFrame:
    """Cumulative meta-analysis (metafor ``cumul()``): add the studies one at a time.

    Parameters
    ----------
    order : array-like, optional
        Sort keys, one per study (e.g. publication years); ties keep the fitted order. Default: fitted order.

    Returns
    -------
    DataFrame
        Index: the study added at each step; columns as :func:`leave_one_out`.

    Examples
    --------
    >>> import retrostats as rs
    >>> res = rs.meta_analysis(yi=[0.1, 0.5, 0.9], vi=[0.01, 0.02, 0.03], slab=["a", "b", "c"], method="DL")
    >>> res.cumulative(order=[2003, 2001, 2002])["k"].tolist()
    [1, 2, 3]
    """
    if not result.int_only:
        raise ValueError("cumulative() applies to models without moderators (as metafor's cumul()).")
    k = result.k
    if order is None:
        ix = np.arange(k)
    else:
        keys = np.asarray(order)
        if keys.shape != (k,):
            raise ValueError(f"order must have one key per study ({k}); got {keys.shape[0]}.")
        ix = np.argsort(keys, kind="stable")
    y, v = result.yi[ix], result.vi[ix]
    f = _refits(
        result, y, v, None, lambda a, b: (np.arange(k)[None, :] <= np.arange(a, b)[:, None]) * 1.0, "cumulative()"
    )
    return _frame(f, pd.Index([result.labels[i] for i in ix], name="added"))


def influence(result) -> pd.DataFrame:
    """Case-deletion influence diagnostics (metafor ``influence.rma.uni``), batched over deletions.

    Returns
    -------
    DataFrame
        Index: study; columns ``rstudent`` (externally studentized residual), ``dffits``, ``cook_d``,
        ``cov_r`` (covariance ratio), ``tau2_del``, ``q_del``, ``hat``, ``weight`` (percent), one
        ``dfbs_<term>``
        per coefficient, and ``influential`` (metafor's flag: any of ``|dffits| > 3 sqrt(p/(k-p))``,
        ``pchisq(cook_d, p) > 0.5``, ``hat > 3p/k``, any ``|dfbs| > 1``). A study whose deletion leaves
        the moderators not estimable gets NaN (``influential``: ``<NA>``, nullable boolean), except ``hat``
        and ``weight``, as metafor's NA, with a DataWarning.

    Notes
    -----
    Viechtbauer and Cheung (2010), doi:10.1002/jrsm.11. Validated against metafor 3.8.1 ``influence()``.

    Examples
    --------
    >>> import retrostats as rs
    >>> res = rs.meta_analysis(yi=[0.1, 0.5, 0.9, 0.3], vi=[0.01, 0.02, 0.03, 0.02], method="DL")
    >>> list(res.influence().columns[:4])
    ['rstudent', 'dffits', 'cook_d', 'cov_r']
    """
    from ..kernels._lazy_stats import stats

    k, X, y, v = result.k, result.X, result.yi, result.vi
    p = X.shape[1]
    if k - 1 < p:
        raise ValueError(f"influence() needs more than {p} studies.")
    # as metafor: a deletion that leaves the moderators rank deficient gives NA (refit with all studies,
    # then blanked, so the batched linear algebra stays regular)
    ok = np.array([np.linalg.matrix_rank(np.delete(X, i, axis=0)) == p for i in range(k)])
    loo = _loo_mask(k)
    if not ok.all():
        import warnings

        from ..exceptions import DataWarning

        warnings.warn(f"influence(): leaving out {[result.labels[i] for i in np.flatnonzero(~ok)]} makes the "
                      "moderators not estimable (a level or value only that study has); their rows are NaN, "
                      "as metafor's NA.", DataWarning, stacklevel=3)

        def loo(start: int, stop: int, _rows=loo) -> np.ndarray:
            m = _rows(start, stop)
            m[~ok[start:stop]] = 1.0
            return m

    f = _refits(result, y, v, X, loo, "influence()")
    beta_full = result.coefficients["estimate"].to_numpy()
    vb_full = result.vcov
    w = 1 / (v + result.tau2)
    a_inv = np.linalg.inv((X * w[:, None]).T @ X)
    hat = np.einsum("ki,ij,kj->k", X, a_inv, X) * w
    tau2_del, s2w = f["tau2"], f["s2w"]
    delpred = np.einsum("ki,ki->k", X, f["beta"])
    vdelpred = np.einsum("ki,kij,kj->k", X, f["vb"], X)
    pred_full = X @ beta_full
    dffits = (pred_full - delpred) / np.sqrt(s2w * hat * (tau2_del + v))
    vb_del = np.empty((k, p, p))
    for s in range(0, k, max(1, _CHUNK // k)):  # X' W_del X, a chunk of deletions at a time
        wdel = 1 / (v[None, :] + tau2_del[s : s + max(1, _CHUNK // k), None])
        vb_del[s : s + len(wdel)] = np.linalg.inv(np.einsum("ki,bk,kj->bij", X, wdel, X))
    dfb = beta_full[None, :] - f["beta"]
    dfbs = dfb / np.sqrt(s2w[:, None] * np.diagonal(vb_del, axis1=1, axis2=2))
    svb = np.linalg.inv(vb_full)
    cook = np.einsum("bi,ij,bj->b", dfb, svb, dfb)
    cov_r = np.linalg.det(f["vb"]) / np.linalg.det(vb_full)
    resid = y - delpred
    resid = np.where(np.abs(resid) < 100 * np.finfo(float).eps, 0.0, resid)
    rstudent = resid / np.sqrt(v * s2w + vdelpred + tau2_del * s2w)
    out = pd.DataFrame(
        {
            "rstudent": rstudent,
            "dffits": dffits,
            "cook_d": cook,
            "cov_r": cov_r,
            "tau2_del": tau2_del,
            "q_del": f["qe"],
            "hat": hat,
            "weight": result.weights,
        },
        index=pd.Index(result.labels, name="study"),
    )
    for j, name in enumerate(result.coefficients.index):
        out[f"dfbs_{name}"] = dfbs[:, j]
    out.loc[~ok, [c for c in out.columns if c not in ("weight", "hat")]] = np.nan
    out["influential"] = (
        (np.abs(dffits) > 3 * np.sqrt(p / (k - p)))
        | (stats.chi2.cdf(cook, p) > 0.5)
        | (hat > 3 * p / k)
        | np.any(np.abs(dfbs) > 1, axis=1)
    )
    if not ok.all():
        out["influential"] = out["influential"].astype("boolean")
        out.loc[~ok, "influential"] = pd.NA
    return out
