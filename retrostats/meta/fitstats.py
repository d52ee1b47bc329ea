"""Likelihood-based statistics of a univariate fit (metafor ``rma.uni``): ``loglik``, ``se_tau2`` and the
profile-likelihood CI of tau², mixed into :class:`retrostats.meta.MetaAnalysisResult` with the shared verbs of
:class:`retrostats.meta.predict.ModelVerbs`.

Examples
--------
>>> import retrostats as rs
>>> res = rs.meta_analysis(yi=[-0.5, -0.2, -0.9, -0.4, -0.1], vi=[0.04, 0.05, 0.09, 0.03, 0.05], method="ML")
>>> round(res.loglik, 4), round(res.aic, 4)
(0.1711, 3.6578)
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels._lazy_stats import stats
from ..kernels._roots import brentq
from .predict import ModelVerbs

__all__ = ["UnivariateVerbs", "uni_loglik"]

LOG2PI = math.log(2 * math.pi)


def uni_loglik(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float, reml: bool) -> float:
    """Metafor's ML or REML (with ``+ 1/2 log|X'X|``) log-likelihood at ``tau2``, ``beta`` profiled out."""
    w = 1 / (v + tau2)
    xtwx = X.T @ (w[:, None] * X)
    beta = np.linalg.solve(xtwx, X.T @ (w * y))
    rss = float(np.sum(w * (y - X @ beta) ** 2))
    k, p = X.shape
    if not reml:
        return -0.5 * (k * LOG2PI + float(np.sum(np.log(v + tau2))) + rss)
    return -0.5 * ((k - p) * LOG2PI + float(np.sum(np.log(v + tau2))) + np.linalg.slogdet(xtwx)[1] + rss) + 0.5 * float(
        np.linalg.slogdet(X.T @ X)[1]
    )


class UnivariateVerbs(ModelVerbs):
    """Hooks and likelihood verbs for :class:`MetaAnalysisResult`."""

    @property
    def _t_df(self) -> float | None:
        return self.df if self.test == "knha" else None

    @property
    def _pi_var(self) -> float:
        return float(self.tau2)

    @property
    def _n_parms(self) -> int:
        return self.X.shape[1] + (0 if self.method == "EE" or self.tau2_fixed else 1)

    @property
    def _n_ll(self) -> int:
        return self.k - (self.X.shape[1] if self.method == "REML" else 0)

    @property
    def loglik(self) -> float:
        """Log-likelihood at the estimates: restricted for ``REML``, else maximum likelihood (metafor ``logLik``)."""
        return uni_loglik(self.yi, self.vi, self.X, self.tau2, self.method == "REML")

    @property
    def se_tau2(self) -> float:
        """Standard error of tau² from the expected information (``REML``/``ML`` fits; NaN otherwise).

        ``sqrt(2 / tr(P P))`` under REML and ``sqrt(2 / sum(w^2))`` under ML, as metafor's ``se.tau2``.
        """
        w = 1 / (self.vi + self.tau2)
        if self.method == "ML":
            return math.sqrt(2 / float(np.sum(w**2)))
        if self.method != "REML":
            return math.nan
        WX = w[:, None] * self.X
        P = np.diag(w) - WX @ np.linalg.solve(self.X.T @ WX, WX.T)
        return math.sqrt(2 / float(np.sum(P * P)))

    def tau2_profile_ci(self, confidence_level: float | None = None) -> tuple[float, float, float]:
        """Profile-likelihood CI for tau² (metafor ``confint(type="PL")``): ``(tau2, ci_low, ci_high)``.

        The bounds solve ``2 (ll(tau2_hat) - ll(tau2)) = chi2_{1, level}``; the lower bound is 0 when
        ``ll(0)`` is within that distance. Only for ``REML``/``ML`` fits.
        """
        if self.method not in ("REML", "ML"):
            raise ValueError(f"a profile-likelihood CI needs method='REML' or 'ML'; this fit uses {self.method}.")
        level = self.confidence_level if confidence_level is None else confidence_level
        reml = self.method == "REML"
        target = self.loglik - stats.chi2.ppf(level, 1) / 2

        def f(t2: float) -> float:
            return uni_loglik(self.yi, self.vi, self.X, t2, reml) - target

        t_hat = self.tau2
        lo = 0.0 if f(0.0) >= 0 else brentq(f, 0.0, t_hat, xtol=1e-14, rtol=1e-14, maxiter=1000)
        hi = max(t_hat, 1e-4 * float(np.var(self.yi)) + 1e-8) * 2 + 0.01
        while f(hi) > 0:
            hi *= 2
        hi = brentq(f, t_hat, hi, xtol=1e-14, rtol=1e-14, maxiter=1000)
        return t_hat, lo, hi
