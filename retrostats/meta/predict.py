"""Verbs shared by meta-analytic model results: predictions, Wald and likelihood-ratio tests, fit statistics.

:class:`ModelVerbs` is mixed into :class:`retrostats.meta.MetaAnalysisResult` and
:class:`retrostats.meta.MultilevelResult`. A result provides ``coefficients``, ``vcov``, ``X``,
``confidence_level``, ``loglik``, ``method`` and the private hooks ``_t_df`` (t df or None),
``_pi_var`` (the heterogeneity added to the prediction variance) and ``_n_parms`` / ``_n_ll``.

Examples
--------
>>> import retrostats as rs
>>> res = rs.meta_analysis(yi=[-0.5, -0.2, -0.9, -0.4, -0.1], vi=[0.04, 0.05, 0.09, 0.03, 0.05],
...                        mods=[10, 20, 30, 25, 5])
>>> res.predict(newmods=[15])[["pred", "ci_low", "ci_high"]].round(4)
     pred  ci_low  ci_high
0 -0.3485 -0.5696  -0.1274
>>> stat, df, p = res.wald_test([1])
>>> round(stat, 4), df
(1.4942, 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..kernels._lazy_stats import stats

__all__ = ["ModelVerbs"]


class ModelVerbs:
    """Mixin: ``predict``, ``wald_test``, ``likelihood_ratio_test``, ``aic``, ``bic``, ``aicc``, ``robust``."""

    # ---------------------------------------------------------------- hooks (overridden by the results)
    @property
    def _t_df(self) -> float | None:  # pragma: no cover - overridden
        return None

    @property
    def _pi_var(self) -> float:  # pragma: no cover - overridden
        return 0.0

    # ---------------------------------------------------------------- fit statistics
    @property
    def aic(self) -> float:
        """Akaike's information criterion, ``-2 loglik + 2 parms`` (metafor ``AIC``)."""
        return -2 * self.loglik + 2 * self._n_parms

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``-2 loglik + parms log(n)``; ``n = k - p`` under REML (metafor)."""
        return -2 * self.loglik + self._n_parms * math.log(self._n_ll)

    @property
    def aicc(self) -> float:
        """Corrected AIC as metafor's ``fitstats``."""
        n = max(self._n_ll, self._n_parms + 2)
        return -2 * self.loglik + 2 * self._n_parms * n / (n - self._n_parms - 1)

    # ---------------------------------------------------------------- predictions
    def _newx(self, newmods: Any) -> np.ndarray:
        names = list(self.coefficients.index)
        p = len(names)
        if newmods is None:
            return self.X[:1] if p == 1 else self.X
        if isinstance(newmods, pd.DataFrame):
            missing = [c for c in names[1:] if c not in newmods.columns]
            if missing:
                raise ValueError(f"newmods lacks moderator column(s) {missing}; the model has {names[1:]}.")
            arr = newmods[names[1:]].to_numpy(dtype=float)
        else:
            arr = np.asarray(newmods, dtype=float)
            if arr.ndim == 1:
                arr = arr[:, None] if p == 2 else arr[None, :]
        if arr.ndim != 2 or arr.shape[1] not in (p - 1, p):
            raise ValueError(f"newmods needs {p - 1} value(s) per row (moderators {names[1:]}); got shape {arr.shape}.")
        return arr if arr.shape[1] == p else np.column_stack([np.ones(len(arr)), arr])

    def predict(self, newmods: Any = None, transform: Callable | None = None) -> pd.DataFrame:
        """Predicted effects with CIs and prediction intervals (metafor ``predict``).

        Parameters
        ----------
        newmods : array-like or DataFrame, optional
            Moderator values (one row per prediction, without the intercept; a 1-d array for a single
            moderator; a DataFrame with the moderator names as columns). Default: the average effect of an
            intercept-only model, or the fitted value of every study.
        transform : callable, optional
            Applied to ``pred`` and the interval bounds (e.g. ``numpy.exp`` for log ratios); ``se`` is then NaN.

        Returns
        -------
        DataFrame
            ``pred, se, ci_low, ci_high, pi_low, pi_high``; the interval uses ``se^2 + tau2`` (``+ sum(sigma2)``
            for multilevel fits) and the t quantile under Knapp-Hartung or ``test="t"``.

        Notes
        -----
        Validated against metafor 3.8.1 ``predict`` (``tests/reference/r/meta_breadth.R``) at 1e-10 / 1e-6.
        """
        x = self._newx(newmods)
        beta = self.coefficients["estimate"].to_numpy()
        pred = x @ beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self.vcov, x))
        a = 1 - self.confidence_level
        df = self._t_df
        crit = stats.norm.isf(a / 2) if df is None else stats.t.isf(a / 2, df)
        pse = np.sqrt(se**2 + self._pi_var)
        out = pd.DataFrame(
            {
                "pred": pred,
                "se": se,
                "ci_low": pred - crit * se,
                "ci_high": pred + crit * se,
                "pi_low": pred - crit * pse,
                "pi_high": pred + crit * pse,
            }
        )
        if transform is not None:
            for c in ("pred", "ci_low", "ci_high", "pi_low", "pi_high"):
                out[c] = np.asarray(transform(out[c].to_numpy()), dtype=float)
            out["se"] = np.nan
        return out

    # ---------------------------------------------------------------- tests
    def _positions(self, coefs: Sequence[Any]) -> list[int]:
        names = list(self.coefficients.index)
        if isinstance(coefs, (str, int, np.integer)):
            coefs = [coefs]
        pos = []
        for c in coefs:
            if isinstance(c, (int, np.integer)):
                if not 0 <= int(c) < len(names):
                    raise ValueError(f"coefficient position {c} is out of range; the model has {names}.")
                pos.append(int(c))
            elif c in names:
                pos.append(names.index(c))
            else:
                raise ValueError(f"unknown coefficient {c!r}; the model has {names}.")
        if len(set(pos)) != len(pos):
            raise ValueError(f"coefficients listed twice in {list(coefs)}.")
        return pos

    def wald_test(self, coefs: Sequence[Any]) -> tuple[float, Any, float]:
        """Wald test that the listed coefficients are all zero (metafor ``anova(fit, btt=)``).

        Parameters
        ----------
        coefs : sequence of str or int
            Names as in ``coefficients.index`` (or 0-based positions).

        Returns
        -------
        (statistic, df, p_value)
            Chi-square with ``m`` df, or (Knapp-Hartung / ``test="t"``) F with ``(m, df)``.
        """
        pos = self._positions(coefs)
        b = self.coefficients["estimate"].to_numpy()[pos]
        vb = self.vcov[np.ix_(pos, pos)]
        qm = float(b @ np.linalg.solve(vb, b))
        m = len(pos)
        if self._t_df is None:
            return qm, m, float(stats.chi2.sf(qm, m))
        f = qm / m
        return f, (m, self._t_df), float(stats.f.sf(f, m, self._t_df))

    def likelihood_ratio_test(self, other: Any) -> tuple[float, int, float]:
        """Likelihood-ratio test of this fit against a nested ``other`` (metafor ``anova(full, reduced)``).

        Returns
        -------
        (statistic, df, p_value)
            ``2 |loglik_full - loglik_reduced|`` on the difference in parameter counts.

        Raises
        ------
        ValueError
            Different estimation methods, different numbers of estimates, or REML fits with different
            fixed effects (their restricted likelihoods are not comparable: refit both with ``method="ML"``).
        """
        if self.method != other.method:
            raise ValueError(f"the fits use different methods ({self.method} vs {other.method}); refit one.")
        if len(self.yi) != len(other.yi) or not np.allclose(self.yi, other.yi):
            raise ValueError("the two fits use different data; a likelihood-ratio test needs the same studies.")
        if self.method == "REML" and (self.X.shape != other.X.shape or not np.allclose(self.X, other.X)):
            raise ValueError(
                "REML fits with different moderators are not comparable by a likelihood-ratio test; refit both "
                "with method='ML'."
            )
        full, red = (self, other) if self._n_parms >= other._n_parms else (other, self)
        df = full._n_parms - red._n_parms
        if df == 0:
            raise ValueError("the two fits have the same number of parameters; they are not nested.")
        lrt = max(0.0, 2 * (full.loglik - red.loglik))
        return lrt, df, float(stats.chi2.sf(lrt, df))

    def robust(self, adjust: str = "CR2", cluster: Any = None, data: Any = None):
        """Cluster-robust inference (clubSandwich CR2, metafor ``robust()`` CR1); see :mod:`retrostats.meta.robust`."""
        from .robust import robust

        return robust(self, adjust=adjust, cluster=cluster, data=data)
