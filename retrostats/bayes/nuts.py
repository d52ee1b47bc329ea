"""PyMC (NUTS) fits: the non-centred normal-normal hierarchical model and a draw-based posterior.

PyMC and ArviZ are imported inside the functions only (the ``bayes`` extra).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceError, ConvergenceWarning, require_extra
from ..kernels._lazy_stats import stats

__all__ = ["DrawPosterior", "meta_model", "sample_meta", "check_convergence", "run_sampler"]

RHAT_MAX = 1.01


@dataclass(frozen=True)
class DrawPosterior:
    """Posterior represented by MCMC draws (flattened over chains)."""

    draws: dict[str, np.ndarray]  # "mu", "tau", "theta_new": (n,), "theta": (k, n)
    mu_logpdf0: float  # log prior density of mu at 0 (Savage-Dickey)

    def _x(self, quantity: str, study=None) -> np.ndarray:
        return self.draws["theta"][study] if quantity == "theta" else self.draws[quantity]

    def moments(self, quantity: str, study=None):
        """Mean and standard deviation of the draws (arrays when ``study`` is an array of indices)."""
        x = self._x(quantity, study)
        if x.ndim > 1:
            return np.mean(x, axis=-1), np.std(x, axis=-1, ddof=1)
        return float(np.mean(x)), float(np.std(x, ddof=1))

    def tau_moments(self) -> tuple[float, float]:
        """Mean and standard deviation of tau."""
        return self.moments("tau")

    def cdf(self, quantity: str, x, study: int | None = None):
        """Empirical CDF at ``x`` (a scalar or an array)."""
        d = np.sort(self._x(quantity, study))
        out = np.searchsorted(d, np.asarray(x, dtype=float), side="right") / d.size
        return out if np.ndim(x) else float(out)

    def ppf(self, quantity: str, p, study=None):
        """Empirical quantile(s); ``(len(study), len(p))`` when ``study`` is an array of indices."""
        q = np.quantile(self._x(quantity, study), p, axis=-1)
        return np.moveaxis(q, 0, -1) if np.ndim(q) > 1 else q if np.ndim(q) else float(q)

    def pdf(self, quantity: str, x, study: int | None = None):
        """Gaussian kernel density estimate of the draws at ``x`` (reflected at 0 for tau).

        Bandwidth by Silverman's robust rule, ``0.9 min(sd, IQR / 1.349) n^(-1/5)``: the IQR keeps the peak of
        heavy-tailed posteriors (theta_new, tau) from being smoothed away.
        """
        d = self._x(quantity, study)
        xa = np.atleast_1d(np.asarray(x, dtype=float))
        sd = float(np.std(d, ddof=1))
        iqr = float(np.subtract(*np.percentile(d, [75, 25])))
        spread = min(sd, iqr / 1.349) if iqr > 0 else sd
        factor = 0.9 * spread * d.size ** (-0.2) / sd if sd > 0 else None
        if quantity == "tau":  # reflect at 0; the mirrored sample doubles n, so keep the bandwidth of the draws
            both = np.concatenate([d, -d])
            kde = stats.gaussian_kde(both, bw_method=factor * sd / float(np.std(both, ddof=1)) if factor else None)
            out = np.where(xa >= 0, 2.0 * kde(xa), 0.0)
        else:
            out = stats.gaussian_kde(d, bw_method=factor)(xa)
        return out.reshape(np.shape(x)) if np.ndim(x) else float(out[0])

    def shortest_interval(self, quantity: str, level: float = 0.95, study: int | None = None, start=None):
        """Shortest interval containing ``level`` of the sorted draws (``start`` is not needed here)."""
        x = np.sort(self._x(quantity, study))
        m = int(math.ceil(level * x.size))
        widths = x[m - 1 :] - x[: x.size - m + 1]
        i = int(np.argmin(widths))
        return float(x[i]), float(x[i + m - 1])

    def sample(self, quantity: str, size: int, rng: np.random.Generator) -> np.ndarray:
        """Predictive draws: resample (mu, tau) pairs and add a fresh normal deviate."""
        idx = rng.integers(0, self.draws["mu"].size, size=size)
        if quantity == "mu":
            return self.draws["mu"][idx]
        return self.draws["mu"][idx] + self.draws["tau"][idx] * rng.standard_normal(size)

    def log_bayes_factor_mu0(self) -> float:
        """Natural log of the Savage-Dickey BF01 with a Gaussian kernel density estimate of p(mu = 0 | y)."""
        dens = float(stats.gaussian_kde(self.draws["mu"])(0.0)[0])
        return (math.log(dens) if dens > 0 else -math.inf) - self.mu_logpdf0

    def bayes_factor_mu0(self) -> float:
        """Savage-Dickey BF01 with a Gaussian kernel density estimate of p(mu = 0 | y)."""
        return math.exp(self.log_bayes_factor_mu0())


def meta_model(y: np.ndarray, v: np.ndarray, mu_spec: Any, tau_spec: Any):
    """The PyMC model: ``theta_i = mu + tau * eta_i`` with ``eta_i ~ N(0, 1)`` (non-centred)."""
    pm = require_extra("pymc", "bayes")
    import pytensor.tensor as pt

    with pm.Model(coords={"study": np.arange(y.size)}) as model:
        mf, mp = mu_spec.family, mu_spec.params
        mu = (
            pm.Normal("mu", mp[0], mp[1])
            if mf == "normal"
            else pm.StudentT("mu", nu=mp[2], mu=mp[0], sigma=mp[1])
        )
        tf, tp = tau_spec.family, tau_spec.params
        if tf == "half-normal":
            tau = pm.HalfNormal("tau", sigma=tp[0])
        elif tf == "half-cauchy":
            tau = pm.HalfCauchy("tau", beta=tp[0])
        elif tf == "half-student-t":
            tau = pm.HalfStudentT("tau", nu=tp[1], sigma=tp[0])
        elif tf == "uniform":
            tau = pm.Uniform("tau", lower=tp[0], upper=tp[1])
        elif tf == "log-normal":
            tau = pm.LogNormal("tau", mu=tp[0], sigma=tp[1])
        elif tf == "log-normal-tau2":
            tau = pm.LogNormal("tau", mu=tp[0] / 2.0, sigma=tp[1] / 2.0)
        elif tf == "log-t-tau2":
            log_tau2 = pm.StudentT("log_tau2", nu=tp[2], mu=tp[0], sigma=tp[1])
            tau = pm.Deterministic("tau", pt.exp(log_tau2 / 2.0))
        else:  # pragma: no cover - parse_tau_prior rejects unknown families first
            raise ValueError(f"unknown tau prior {tf!r}")
        eta = pm.Normal("eta", 0.0, 1.0, dims="study")
        theta = pm.Deterministic("theta", mu + tau * eta, dims="study")
        pm.Normal("y", mu=theta, sigma=np.sqrt(v), observed=y, dims="study")
    return model


def run_sampler(model: Any, *, draws: int, tune: int, chains: int, random_seed: int | None, **kwargs: Any):
    """``pm.sample`` with one core, no progress bar, and failures turned into a ConvergenceError."""
    pm = require_extra("pymc", "bayes")
    try:
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)  # PyMC's own chain-count advice; we check below
            return pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=1,
                random_seed=random_seed,
                progressbar=False,
                compute_convergence_checks=False,
                **kwargs,
            )
    except (pm.exceptions.SamplingError, FloatingPointError, ValueError) as exc:
        raise ConvergenceError(
            f"NUTS sampling failed: {exc}. Check the data for extreme values, use a more "
            "informative prior, or use method='exact'."
        ) from exc


def check_convergence(idata: Any, var_names: list[str], *, stacklevel: int = 3) -> pd.DataFrame:
    """R-hat, ESS and MCSE of ``var_names``; a ConvergenceWarning on divergences or R-hat > 1.01."""
    az = require_extra("arviz", "bayes")
    summ = az.summary(idata, var_names=var_names, kind="diagnostics")
    diag = summ[["r_hat", "ess_bulk", "ess_tail", "mcse_mean"]].copy()
    n_div = int(np.asarray(idata.sample_stats["diverging"]).sum())
    diag["n_divergences"] = n_div
    problems = []
    if n_div > 0:
        problems.append(f"{n_div} divergent transition(s)")
    bad = diag.index[diag["r_hat"] > RHAT_MAX].tolist()
    if bad:
        problems.append(f"R-hat > {RHAT_MAX} for {bad} (max {diag['r_hat'].max():.3f})")
    if problems:
        warnings.warn(
            "NUTS converged poorly: " + "; ".join(problems) + ". Increase tune/draws, or use "
            "method='exact' for the meta-analysis model.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    return diag


def sample_meta(y, v, mu_spec, tau_spec, *, draws: int, tune: int, chains: int, random_seed: int | None):
    """Sample the meta-analysis model; returns (DrawPosterior, InferenceData, diagnostics)."""
    from ..kernels.bayes_priors import mu_logpdf

    model = meta_model(y, v, mu_spec, tau_spec)
    idata = run_sampler(
        model, draws=draws, tune=tune, chains=chains, random_seed=random_seed, target_accept=0.95
    )
    post = idata.posterior
    mu = np.asarray(post["mu"]).ravel()
    tau = np.asarray(post["tau"]).ravel()
    theta = np.asarray(post["theta"]).reshape(-1, y.size).T
    rng = np.random.default_rng(random_seed)
    theta_new = mu + tau * rng.standard_normal(mu.size)
    idata.posterior["theta_new"] = (("chain", "draw"), theta_new.reshape(post["mu"].shape))
    diag = check_convergence(idata, ["mu", "tau"], stacklevel=4)
    dp = DrawPosterior(
        {"mu": mu, "tau": tau, "theta": theta, "theta_new": theta_new},
        float(mu_logpdf(mu_spec.family, mu_spec.params, 0.0)),
    )
    return dp, idata, diag
