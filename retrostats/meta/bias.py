"""Small-study / publication-bias tools: regression test, rank test, trim and fill (metafor)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._display import ResultDisplay
from ..exceptions import ConvergenceError, SmallSampleWarning
from ..kernels._lazy_stats import stats
from ..kernels.kendall import kendall_tau
from ..kernels.rma import rma_fit
from ..kernels.rma_linalg import wls
from ..provenance import Provenance, make_provenance
from ..validators import check_option

__all__ = [
    "EggerResult",
    "RankTestResult",
    "TrimFillResult",
    "egger_test",
    "rank_test",
    "trim_and_fill",
    "FUNNEL_MIN_K",
]

#: below this many studies funnel-based tests are underpowered (Sterne et al. 2011, doi:10.1136/bmj.d4002)
FUNNEL_MIN_K = 10


def _warn_small(result, what: str, stacklevel: int) -> None:
    if result.k < FUNNEL_MIN_K:
        warnings.warn(
            f"{what} with only {result.k} studies: funnel-based tests and adjustments have little "
            f"power below {FUNNEL_MIN_K} studies (Sterne et al. 2011); a non-significant result is "
            "not evidence of no bias.",
            SmallSampleWarning,
            stacklevel=stacklevel + 1,
        )


@dataclass(frozen=True)
class EggerResult(ResultDisplay):
    """Regression test for funnel-plot asymmetry.

    Attributes
    ----------
    statistic, p_value : float
        Test of the predictor's coefficient (z, or t with ``df``).
    df : float
        Residual df for t-tests, NaN for z.
    model, predictor : str
    limit_estimate, ci_low, ci_high : float
        The intercept (the effect as the standard error goes to 0) and its CI, for ``sei``/``vi`` predictors.
    provenance : Provenance
        The test's call and a checksum of the effects it read.
    """

    _summary_title = "Regression test for funnel-plot asymmetry"

    statistic: float
    p_value: float
    df: float
    model: str
    predictor: str
    limit_estimate: float
    ci_low: float
    ci_high: float
    provenance: Provenance | None = field(default=None, repr=False, compare=False)


def egger_test(result, *, model: str = "rma", predictor: str = "sei", stacklevel: int = 2) -> EggerResult:
    """Egger-type regression test (metafor ``regtest()``).

    Parameters
    ----------
    result : MetaAnalysisResult
    model : {"rma", "lm"}
        ``"rma"`` (metafor's default): the fitted model with the predictor added as a moderator, same
        method and test. ``"lm"``: the classic Egger test, a weighted least-squares regression of ``yi`` on
        the predictor with weights ``1/vi`` and a multiplicative dispersion (t-test, ``k - p - 1`` df).
    predictor : {"sei", "vi"}

    Returns
    -------
    EggerResult

    Warns
    -----
    SmallSampleWarning
        With fewer than 10 studies.

    Notes
    -----
    Validated against metafor 3.8.1 ``regtest()`` (both models).

    Examples
    --------
    >>> import retrostats as rs, warnings
    >>> res = rs.meta_analysis(yi=[0.1, 0.5, 0.9, 0.2, 0.4], vi=[0.01, 0.02, 0.09, 0.02, 0.05])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     round(res.egger_test().p_value, 4)
    0.0164
    """
    check_option("model", model, ["rma", "lm"])
    check_option("predictor", predictor, ["sei", "vi"])
    _warn_small(result, "egger_test()", stacklevel)
    pred = np.sqrt(result.vi) if predictor == "sei" else result.vi
    X = np.column_stack([result.X, pred])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(
            f"the design is no longer of full rank after adding {predictor!r} (all studies have "
            "the same variance?); the regression test cannot be run."
        )
    p = result.X.shape[1]
    if model == "rma":
        f = rma_fit(
            result.yi,
            result.vi,
            X,
            method=result.method,
            test=result.test,
            level=result.confidence_level,
            tau2=result.tau2 if result.tau2_fixed else None,  # as regtest(): a fixed tau² stays fixed
            tol=result.tol,
            maxiter=result.maxiter,
        )
        stat, pval = float(f["zval"][p]), float(f["pval"][p])
        df = float(f["ddf"]) if result.test == "knha" else math.nan
        est, lo, hi = float(f["beta"][0]), float(f["ci_lb"][0]), float(f["ci_ub"][0])
    else:
        w = 1 / result.vi
        beta, a_inv, e = wls(result.yi, w, X)
        df = float(result.k - X.shape[1])
        s2 = float(np.sum(w * e * e)) / df
        se = np.sqrt(s2 * np.diag(a_inv))
        stat = float(beta[p] / se[p])
        pval = float(2 * stats.t.sf(abs(stat), df))
        crit = stats.t.isf((1 - result.confidence_level) / 2, df)
        est, lo, hi = float(beta[0]), float(beta[0] - crit * se[0]), float(beta[0] + crit * se[0])
    if not result.int_only:
        est = lo = hi = math.nan
    prov = make_provenance("egger_test", {"model": model, "predictor": predictor}, result.yi, result.vi, result.X)
    return EggerResult(stat, pval, df, model, predictor, est, lo, hi, prov)


@dataclass(frozen=True)
class RankTestResult(ResultDisplay):
    """Begg and Mazumdar's rank correlation test: ``statistic`` is Kendall's tau, ``p_value`` two-sided;
    ``provenance`` the test's call and a checksum of the effects.
    """

    _summary_title = "Rank correlation test for funnel-plot asymmetry"

    statistic: float
    p_value: float
    provenance: Provenance | None = field(default=None, repr=False, compare=False)


def rank_test(result, *, stacklevel: int = 2) -> RankTestResult:
    """Rank correlation test for funnel-plot asymmetry (metafor ``ranktest()``).

    Kendall's tau between the standardised deviates ``(y - mu_EE) / sqrt(v - 1/sum(1/v))`` and ``v``; the
    exact null distribution without ties and k < 50, else the normal approximation with tie correction
    (R's ``cor.test``). Begg and Mazumdar (1994), doi:10.2307/2533446. Validated against metafor 3.8.1.

    Examples
    --------
    >>> import retrostats as rs, warnings
    >>> res = rs.meta_analysis(yi=[0.1, 0.5, 0.9, 0.2, 0.4], vi=[0.01, 0.02, 0.09, 0.02, 0.05])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     rt = res.rank_test()
    >>> round(rt.statistic, 4), round(rt.p_value, 4)
    (0.7379, 0.077)
    """
    _warn_small(result, "rank_test()", stacklevel)
    y, v = result.yi, result.vi
    w = 1 / v
    theta = np.sum(w * y) / np.sum(w)
    ystar = (y - theta) / np.sqrt(v - 1 / np.sum(w))
    tau, p = kendall_tau(ystar, v)  # exact p without ties and k < 50, else normal with tie correction
    prov = make_provenance("rank_test", {}, y, v)
    return RankTestResult(tau, p, prov)


@dataclass(frozen=True)
class TrimFillResult(ResultDisplay):
    """Trim-and-fill result.

    Attributes
    ----------
    k0, se_k0 : int, float
        Estimated number of missing studies and its SE.
    side : str
        Side on which studies were imputed (``"left"`` or ``"right"``).
    estimator : str
        ``"L0"`` or ``"R0"``.
    estimate, se, ci_low, ci_high, p_value, tau2 : float
        The model refitted with the filled studies.
    filled : DataFrame
        The imputed studies (``yi, vi``).
    fit : MetaAnalysisResult
        The refitted model (or the original when ``k0 == 0``).
    provenance : Provenance
        The call and a checksum of the effects it read.
    """

    _summary_title = "Trim and fill"

    k0: int
    se_k0: float
    side: str
    estimator: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    tau2: float
    filled: pd.DataFrame
    fit: object
    provenance: Provenance | None = field(default=None, repr=False, compare=False)


def _refit_filled(result, y: np.ndarray, v: np.ndarray, k0: int, test: str):
    """The intercept-only model refitted to the observed and filled studies, as ``meta_analysis`` fits it.

    The fit is the kernel's and the result is built by the fitted result's own class, so this verb does not
    import the module that defines ``meta_analysis`` (which imports the result class: an import circle).
    """
    X = np.ones((len(y), 1))
    f = rma_fit(y, v, X, method=result.method, test=test, level=result.confidence_level, tol=result.tol,
                maxiter=result.maxiter)
    if not bool(np.all(f["converged"])):
        raise ConvergenceError(
            f"trim_and_fill(): the {result.method} estimator of tau² did not converge on the filled data in "
            f"{result.maxiter} iterations; increase maxiter or fit with method='DL' or 'PM'."
        )
    args = {"method": result.method, "test": test, "confidence_level": result.confidence_level}
    return type(result).from_fit(
        f,
        y=y,
        v=v,
        X=X,
        names=["intercept"],
        labels=[*result.labels, *(f"Filled {i + 1}" for i in range(k0))],
        method=result.method,
        test=test,
        level=result.confidence_level,
        preset=None,
        tau2_fixed=False,
        r2=np.nan,
        subgroups=None,
        subgroup_test=None,
        provenance=make_provenance("meta_analysis", args, y, v, X),
        tol=result.tol,
        maxiter=result.maxiter,
    )


def trim_and_fill(
    result, *, estimator: str = "L0", side: str | None = None, test: str = "z", stacklevel: int = 2
) -> TrimFillResult:
    """Duval and Tweedie's trim and fill (metafor ``trimfill()``).

    Parameters
    ----------
    result : MetaAnalysisResult
        An intercept-only model.
    estimator : {"L0", "R0"}
    side : {"left", "right"}, optional
        Where studies are missing. By default chosen as metafor does: from the sign of the slope of
        ``sqrt(vi)``
        in a meta-regression with the same estimator (negative slope: missing on the right).
    test : {"z", "knha"}
        Test of the refitted model; metafor's ``trimfill()`` refits with its default ``"z"``.

    Returns
    -------
    TrimFillResult

    Notes
    -----
    Duval and Tweedie (2000), doi:10.1111/j.0006-341X.2000.00455.x. Validated against metafor 3.8.1.

    Examples
    --------
    >>> import retrostats as rs, warnings
    >>> res = rs.meta_analysis(yi=[0.1, 0.5, 0.9, 0.2, 0.4], vi=[0.01, 0.02, 0.09, 0.02, 0.05])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     tf = res.trim_and_fill()
    >>> tf.k0, tf.side
    (2, 'left')
    """
    check_option("estimator", estimator, ["L0", "R0"])
    check_option("test", test, ["z", "knha"])
    if side is not None:
        check_option("side", side, ["left", "right"])
    if not result.int_only:
        raise ValueError("trim_and_fill() applies to models without moderators (as metafor's trimfill()).")
    if result.k == 1:
        raise ValueError("trim_and_fill() needs at least 2 studies.")
    _warn_small(result, "trim_and_fill()", stacklevel)
    opts = {"method": result.method, "tol": result.tol, "maxiter": result.maxiter}
    y0, v0 = result.yi, result.vi
    if side is None:
        f = rma_fit(y0, v0, np.column_stack([np.ones(result.k), np.sqrt(v0)]), **opts)
        side = "right" if f["beta"][1] < 0 else "left"
    y = -y0 if side == "right" else y0.copy()
    ix = np.argsort(y, kind="stable")
    y, v = y[ix], v0[ix]
    k = len(y)
    k0, k0_prev, it = 0, -1, 0
    se_k0 = math.nan
    beta = math.nan
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > 100:
            raise ConvergenceError("the trim-and-fill algorithm did not converge in 100 iterations.")
        f = rma_fit(y[: k - k0], v[: k - k0], **opts)
        beta = float(f["beta"][0])
        yc = y - beta
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(yc), kind="stable")] = np.arange(1, k + 1)
        signed = np.sign(yc) * ranks
        if estimator == "R0":
            neg = -signed[signed < 0]
            k0f = (k - (neg.max() if neg.size else 0)) - 1
            se_k0 = math.sqrt(2 * max(0, k0f) + 2)
        else:
            sr = signed[signed > 0].sum()
            k0f = (4 * sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (
                k * (k + 1) * (2 * k + 1)
                + 10 * k0f**3
                + 27 * k0f**2
                + 17 * k0f
                - 18 * k * k0f**2
                - 18 * k * k0f
                + 6 * k**2 * k0f
            ) / 24
            se_k0 = 4 * math.sqrt(var_sr) / (2 * k - 1)
        k0 = int(max(0, np.round(k0f)))
        se_k0 = max(0.0, se_k0)
    if k0 > 0:
        fill_y = 2 * beta - y[k - k0 :]
        if side == "right":
            fill_y = -fill_y
        fill_v = v[k - k0 :]
        fit = _refit_filled(result, np.concatenate([y0, fill_y]), np.concatenate([v0, fill_v]), k0, test)
    else:
        fill_y = fill_v = np.empty(0)
        fit = result
    filled = pd.DataFrame({"yi": fill_y, "vi": fill_v}, index=[f"Filled {i + 1}" for i in range(k0)])
    return TrimFillResult(
        k0=k0,
        se_k0=float(se_k0),
        side=side,
        estimator=estimator,
        estimate=fit.estimate,
        se=fit.se,
        ci_low=fit.ci_low,
        ci_high=fit.ci_high,
        p_value=fit.p_value,
        tau2=fit.tau2,
        filled=filled,
        fit=fit,
        provenance=make_provenance(
            "trim_and_fill", {"estimator": estimator, "side": side, "test": test}, result.yi, result.vi
        ),
    )
