"""Exact posterior of the normal-normal hierarchical model by numerical integration (NumPy/SciPy only).

Model: ``y_i ~ N(theta_i, v_i)``, ``theta_i ~ N(mu, tau^2)``, ``mu ~ p(mu)``, ``tau ~ p(tau)``, with ``mu``
and ``tau`` independent a priori (the bayesmeta approach, Röver 2020, doi:10.18637/jss.v093.i06).

Integration over tau
    Composite Gauss-Legendre rule in ``s = log(tau)`` on ``[log(tau_lo), s_hi]``; panel boundaries combine an
    even grid with the quantiles of a coarse first scan, so the rule follows the posterior's bulk. Below
    ``tau_lo = 1e-5 * sqrt(min v)`` the likelihood is constant to ~1e-10 relative, so that region is one
    atom at
    ``tau = 0`` whose mass is ``L(0) * F_prior(tau_lo)`` (exact, and it handles priors such as log-t on tau^2
    whose density is unbounded at 0).
Integration over mu
    Normal prior: ``mu | tau, y`` is conjugate normal. Student-t prior: the t is a scale mixture of normals
    (precision ``lambda ~ Gamma(df/2, rate=df/2)``), integrated by the trapezoid rule in ``log(lambda)``,
    which converges geometrically because the integrand is analytic in a strip of half-width pi.

Every marginal posterior (mu, theta_new, the shrunken study effects) is then an explicit mixture of normals,
so densities, CDFs and quantiles are evaluated without sampling (:mod:`retrostats.kernels.bayes_mixture`:
Newton on log F in the tails, vectorised over probabilities and over all studies at once).

Summaries of tau
    Within each panel the posterior density of ``s = log(tau)`` is known at the 16 Gauss nodes; its
    degree-15 Legendre interpolant (exact discrete orthogonality at the nodes) integrates analytically to the
    panel's quadrature mass, so the CDF inside a panel needs no new likelihood evaluations. Quantiles solve
    the interpolant by Newton (vectorised over probabilities), then take one Newton step on the exact CDF
    (Gauss-Legendre from the panel start). Shortest intervals: Newton on the two ends (mass = level, equal
    log density) from the equal-tailed interval, with a vectorised grid of lower-tail masses as fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .bayes_mixture import logsumexp as _lse
from .bayes_mixture import mix_cdf, mix_eval, mix_pdf, mix_ppf, prune
from .bayes_mixture import norm_logpdf as _norm_logpdf
from .bayes_mixture import shortest_interval as _shortest
from .bayes_priors import (
    mu_logpdf,
    mu_scale_mixture,
    tau_cdf,
    tau_logpdf,
    tau_ppf,
    tau_support,
)

__all__ = ["ExactPosterior", "exact_posterior"]  # the prior families: kernels/bayes_priors.py

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)
_LOG_2PI = math.log(2.0 * math.pi)


# ------------------------------------------------------------------------------------------- likelihood
def _conditional(y, v, tau, m0, s0, lam):
    """Log p(y | tau, lambda) (mu integrated out) and the normal moments of mu | tau, lambda, y.

    Arrays ``tau`` (J,) and ``lam`` (L,) give outputs of shape (J, L).
    """
    var = v[None, :] + (tau * tau)[:, None]  # (J, k)
    w = 1.0 / var
    a = w.sum(axis=1)  # (J,)
    yhat = (w * y[None, :]).sum(axis=1) / a
    rss = (w * (y[None, :] - yhat[:, None]) ** 2).sum(axis=1)
    base = -0.5 * (np.log(var).sum(axis=1) + y.size * _LOG_2PI) - 0.5 * rss + 0.5 * (_LOG_2PI - np.log(a))
    p0 = (s0 * s0) / lam  # prior variance of mu, (L,)
    tot = 1.0 / a[:, None] + p0[None, :]
    loglik = base[:, None] - 0.5 * (_LOG_2PI + np.log(tot)) - 0.5 * (yhat[:, None] - m0) ** 2 / tot
    prec = a[:, None] + 1.0 / p0[None, :]
    mean = (a[:, None] * yhat[:, None] + m0 / p0[None, :]) / prec
    return loglik, mean, 1.0 / prec


# ---------------------------------------------------------------------------------------- posterior
_LEG_V = np.polynomial.legendre.legvander(_GL_NODES, 15)  # (16, 16): P_n at the Gauss nodes
_LEG_SCALE = (2.0 * np.arange(16) + 1.0) / 2.0
_LEG_GRID = np.linspace(-1.0, 1.0, 33)


def _legendre(x: np.ndarray, deg: int) -> np.ndarray:
    """(n, deg + 1) table of P_0..P_deg at ``x`` by the three-term recurrence (a lean legvander)."""
    out = np.empty((deg + 1, x.size))
    out[0] = 1.0
    out[1] = x
    for n in range(1, deg):
        out[n + 1] = ((2 * n + 1) * x * out[n] - n * out[n - 1]) / (n + 1)
    return out.T


_LEG_TABLE = _legendre(_LEG_GRID, 16).T  # (17, 33)


@dataclass(frozen=True)
class ExactPosterior:
    """The joint posterior discretised in tau (and lambda): a weighted mixture of normals for mu.

    Attributes
    ----------
    tau : (J,) tau at each node (the first node is the atom at 0)
    logw : (J, L) normalised log weight of each (tau, lambda) component
    mean, var : (J, L) moments of mu given that component
    log_marginal : log p(y) (all normalising constants kept)
    """

    y: np.ndarray
    v: np.ndarray
    mu_family: str
    mu_params: tuple[float, ...]
    tau_family: str
    tau_params: tuple[float, ...]
    tau: np.ndarray
    logw: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    log_marginal: float
    panels: np.ndarray  # (P+1,) panel boundaries in log(tau)
    atom_logmass: float  # log of the unnormalised mass below tau_lo
    tau_lo: float
    panel_logmass: np.ndarray  # (P,) log of the unnormalised mass of each panel
    log_prior_mass: np.ndarray  # (J,) log prior mass carried by each tau node (atom, then quadrature nodes)

    # --- mixtures ----------------------------------------------------------------------------------
    def components(self, quantity: str, study=None):
        """(log weights, means, sds) of the normal mixture of ``mu``, ``theta_new`` or study ``study``.

        ``study`` an int gives (N,) arrays; an array of study indices gives (len, N) means and sds.
        """
        logw = self.logw.ravel()
        t2 = np.broadcast_to((self.tau**2)[:, None], self.mean.shape).ravel()
        m, var = self.mean.ravel(), self.var.ravel()
        if quantity == "mu":
            return logw, m, np.sqrt(var)
        if quantity == "theta_new":
            return logw, m, np.sqrt(var + t2)
        if quantity == "theta":
            vi, yi = self.v[study], self.y[study]
            if np.ndim(study):
                vi, yi = vi[:, None], yi[:, None]
            b = vi / (vi + t2)
            return logw, (1.0 - b) * yi + b * m, np.sqrt((1.0 - b) * vi + b * b * var)
        raise ValueError(quantity)

    def moments(self, quantity: str, study=None):
        """Posterior mean and standard deviation (arrays when ``study`` is an array of indices)."""
        logw, m, sd = self.components(quantity, study)
        w = np.exp(logw)
        mean = m @ w
        sd_ = np.sqrt(np.maximum((sd * sd + (m - np.asarray(mean)[..., None]) ** 2) @ w, 0.0))
        return (float(mean), float(sd_)) if np.ndim(mean) == 0 else (mean, sd_)

    # --- tau ---------------------------------------------------------------------------------------
    @cached_property
    def _lam(self) -> tuple[np.ndarray, np.ndarray]:
        return mu_scale_mixture(self.mu_family, self.mu_params)

    @cached_property
    def _atom(self) -> float:
        return math.exp(self.atom_logmass - self.log_marginal)

    @cached_property
    def _panel_cum(self) -> np.ndarray:
        """(P+1,) posterior CDF of tau at the panel boundaries."""
        mass = np.exp(self.panel_logmass - self.log_marginal)
        return self._atom + np.concatenate([[0.0], np.cumsum(mass)])

    def _tau_logpost(self, tau: np.ndarray) -> np.ndarray:
        tau = np.atleast_1d(np.asarray(tau, dtype=float))
        lam, lw = self._lam
        ll, _, _ = _conditional(self.y, self.v, tau, self.mu_params[0], self.mu_params[1], lam)
        return tau_logpdf(self.tau_family, self.tau_params, tau) + _lse(ll + lw, axis=1) - self.log_marginal

    def tau_pdf(self, tau):
        """Marginal posterior density of tau (vectorised)."""
        t = np.asarray(tau, dtype=float)
        out = np.zeros(t.shape)
        pos = t > 0
        out[pos] = np.exp(self._tau_logpost(t[pos]))
        if np.any(t == 0):
            out[t == 0] = np.exp(self._tau_logpost(np.zeros(1)))[0]
        return out

    def _tau_cdf_s(self, s: np.ndarray) -> np.ndarray:
        """Posterior CDF of tau at ``tau = exp(s)``, ``s`` inside the panels: Gauss-Legendre from the panel start."""
        i = np.clip(np.searchsorted(self.panels, s, side="right") - 1, 0, len(self.panels) - 2)
        a = self.panels[i]
        half = (s - a) / 2.0
        nodes = a[:, None] + half[:, None] * (_GL_NODES + 1.0)
        lp = self._tau_logpost(np.exp(nodes.ravel())).reshape(nodes.shape) + nodes
        return self._panel_cum[i] + np.exp(lp) @ _GL_WEIGHTS * half

    def tau_cdf(self, tau):
        """Marginal posterior CDF of tau (vectorised), integrated exactly panel by panel."""
        t = np.asarray(tau, dtype=float)
        out = np.zeros(t.shape)
        with np.errstate(divide="ignore"):
            s = np.log(np.maximum(t, 0.0))
        low = (t > 0) & (s <= self.panels[0])
        if low.any():  # below tau_lo the posterior is proportional to the prior
            prior_lo = float(tau_cdf(self.tau_family, self.tau_params, self.tau_lo))
            if prior_lo > 0:
                out[low] = self._atom * tau_cdf(self.tau_family, self.tau_params, t[low]) / prior_lo
        out[s >= self.panels[-1]] = 1.0
        mid = (s > self.panels[0]) & (s < self.panels[-1])
        if mid.any():
            out[mid] = self._tau_cdf_s(s[mid])
        return np.minimum(out, 1.0)

    @cached_property
    def _tau_poly(self) -> tuple[np.ndarray, np.ndarray]:
        """Per panel, the degree-15 Legendre interpolant of the density at its 16 Gauss nodes (local variable
        x in [-1, 1]) and its antiderivative from -1: (P, 16) and (P, 17) coefficients. Needs no new
        likelihood evaluations; the interpolant integrates to the panel's quadrature mass exactly.
        """
        node_mass = np.exp(_lse(self.logw[1:], axis=1)).reshape(len(self.panels) - 1, -1)
        coef = (node_mass @ _LEG_V) * _LEG_SCALE
        return coef, np.polynomial.legendre.legint(coef, lbnd=-1.0, axis=1)

    def tau_ppf(self, p):
        """Posterior quantile(s) of tau: Newton on the panel interpolant, then exact Newton polishing."""
        pa = np.atleast_1d(np.asarray(p, dtype=float))
        out = np.empty(pa.shape)
        low = pa <= self._atom
        if low.any():  # below tau_lo the posterior is proportional to the prior
            prior_lo = float(tau_cdf(self.tau_family, self.tau_params, self.tau_lo))
            out[low] = tau_ppf(self.tau_family, self.tau_params, pa[low] / self._atom * prior_lo)
        q = pa[~low]
        if q.size:
            cum = self._panel_cum
            i = np.clip(np.searchsorted(cum, q) - 1, 0, len(cum) - 2)
            coef, anti = self._tau_poly
            target = q - cum[i]
            table = anti[i] @ _LEG_TABLE  # the interpolant's CDF on 33 points per panel: a close start
            k = np.clip(np.sum(table < target[:, None], axis=1), 1, _LEG_GRID.size - 1)
            t0, t1 = np.take_along_axis(table, np.stack([k - 1, k], axis=1), axis=1).T
            frac = np.clip((target - t0) / np.where(t1 > t0, t1 - t0, 1.0), 0.0, 1.0)
            x = _LEG_GRID[k - 1] + frac * (_LEG_GRID[1] - _LEG_GRID[0])
            xl, xh = np.full(q.shape, -1.0), np.ones(q.shape)
            for _ in range(60):  # safeguarded Newton on the polynomial CDF within the panel
                vand = _legendre(x, 16)
                f = np.sum(vand * anti[i], axis=1) - target
                d = np.sum(vand[:, :16] * coef[i], axis=1)
                xl, xh = np.where(f < 0, x, xl), np.where(f > 0, x, xh)
                nx = x - f / np.where(d > 0, d, np.inf)
                nx = np.where((nx > xl) & (nx < xh), nx, 0.5 * (xl + xh))
                conv = np.abs(nx - x) <= 1e-14
                x = nx
                if conv.all():
                    break
            a, b = self.panels[i], self.panels[i + 1]
            s = a + (b - a) * (x + 1.0) / 2.0
            for _ in range(4):  # Newton on the exact CDF (the interpolant agrees with it to ~1e-15: one step)
                f = self._tau_cdf_s(s) - q
                d = np.exp(self._tau_logpost(np.exp(s)) + s)
                ns = np.clip(s - f / np.where(d > 0, d, np.inf), a, b)
                done = np.abs(ns - s) <= 1e-13 * np.maximum(1.0, np.abs(s))
                s = ns
                if done.all():
                    break
            out[~low] = np.exp(s)
        return out if np.ndim(p) else float(out[0])

    def tau_moments(self) -> tuple[float, float]:
        """Posterior mean and standard deviation of tau."""
        w = np.exp(_lse(self.logw, axis=1))
        mean = float(np.sum(w * self.tau))
        return mean, math.sqrt(max(float(np.sum(w * (self.tau - mean) ** 2)), 0.0))

    # --- generic access ----------------------------------------------------------------------------
    def cdf(self, quantity: str, x, study: int | None = None):
        """Posterior CDF of ``mu``, ``tau``, ``theta_new`` or ``theta`` (study ``study``) at ``x``."""
        out = self.tau_cdf(x) if quantity == "tau" else mix_cdf(x, *self.components(quantity, study))
        return out if np.ndim(x) else float(out)

    def pdf(self, quantity: str, x, study: int | None = None):
        """Posterior density at ``x`` (a scalar or an array)."""
        out = self.tau_pdf(x) if quantity == "tau" else mix_pdf(x, *self.components(quantity, study))
        return out if np.ndim(x) else float(out)

    def ppf(self, quantity: str, p, study=None):
        """Posterior quantile(s); ``p`` a scalar or an array (``study`` may be an array for ``theta``)."""
        if quantity == "tau":
            return self.tau_ppf(p)
        logw, m, sd = self.components(quantity, study)
        out = mix_ppf(p, *prune(logw, m, sd))
        return out if np.ndim(p) else out[..., 0] if np.ndim(out) > 1 else float(out[0])

    def _tau_eval(self, x: np.ndarray):
        """CDF, density and d log density / dtau of the posterior of tau (for the shortest interval)."""
        x = np.asarray(x, dtype=float)
        h = 1e-6 * np.maximum(x, self.tau_lo)
        lp = self._tau_logpost(np.concatenate([x, x + h, np.maximum(x - h, 0.0)]))
        n = x.size
        with np.errstate(invalid="ignore"):
            slope = (lp[n : 2 * n] - lp[2 * n :]) / (x + h - np.maximum(x - h, 0.0))
        return self.tau_cdf(x), np.exp(lp[:n]), slope

    def shortest_interval(self, quantity: str, level: float = 0.95, study=None, start=None):
        """Shortest (highest-density, for unimodal posteriors) interval with posterior mass ``level``.

        ``start``, optional, is a guess at the two ends (the equal-tailed interval serves well).
        """
        if quantity == "tau":
            lower = tau_support(self.tau_family, self.tau_params)[0]
            return _shortest(self.tau_ppf, self._tau_eval, level, lower, start)
        w, m, sd = prune(*self.components(quantity, study))
        return _shortest(
            lambda q: mix_ppf(q, w, m, sd), lambda x: mix_eval(x, w, m, sd), level, -math.inf, start
        )

    def sample(self, quantity: str, size: int, rng: np.random.Generator) -> np.ndarray:
        """Independent draws from the posterior of ``mu`` or ``theta_new``."""
        logw, m, sd = self.components(quantity)
        idx = rng.choice(logw.size, size=size, p=np.exp(logw - _lse(logw)))
        return m[idx] + sd[idx] * rng.standard_normal(size)

    def log_marginal_mu0(self) -> float:
        """Log p(y | mu = 0), integrating tau over its prior (for the Bayes factor cross-check)."""
        return float(_lse(self._log_point_lik(0.0)))

    def _log_point_lik(self, mu: float) -> np.ndarray:
        # marginal likelihood with mu fixed: sum over the same tau nodes, weighted by the prior mass per node
        var = self.v[None, :] + (self.tau**2)[:, None]
        ll = -0.5 * (np.log(var).sum(axis=1) + self.y.size * _LOG_2PI) - 0.5 * (
            ((self.y - mu) ** 2) / var
        ).sum(1)
        return ll + self.log_prior_mass

    def log_bayes_factor_mu0(self) -> float:
        """Natural log of BF01 for mu = 0 (Savage-Dickey), in log space so that it neither under- nor overflows."""
        logw, m, sd = self.components("mu")
        log_post = float(_lse(logw + _norm_logpdf((0.0 - m) / sd) - np.log(sd)))
        return log_post - float(mu_logpdf(self.mu_family, self.mu_params, 0.0))

    def bayes_factor_mu0(self) -> float:
        """BF01 for mu = 0 by the Savage-Dickey density ratio p(mu = 0 | y) / p(mu = 0)."""
        with np.errstate(over="ignore"):
            return float(np.exp(self.log_bayes_factor_mu0()))

    def log_bayes_factor_tau0(self) -> float:
        """Natural log of BF01 for tau = 0: log p(y | tau = 0) - log p(y)."""
        lam, lw = self._lam
        ll, _, _ = _conditional(self.y, self.v, np.zeros(1), self.mu_params[0], self.mu_params[1], lam)
        return float(_lse(ll[0] + lw)) - self.log_marginal

    def bayes_factor_tau0(self) -> float:
        """BF01 for tau = 0: p(y | tau = 0) / p(y)."""
        with np.errstate(over="ignore"):
            return float(np.exp(self.log_bayes_factor_tau0()))


def exact_posterior(
    y, v, mu_family: str, mu_params, tau_family: str, tau_params, *, n_panels: int = 48
) -> ExactPosterior:
    """Discretise the posterior of the normal-normal hierarchical model (see the module docstring).

    Parameters
    ----------
    y, v : array of shape (k,)
        Estimates and their (positive) sampling variances.
    mu_family, mu_params : prior of mu (``MU_FAMILIES``), e.g. ``"normal", (0.0, 2.0)``.
    tau_family, tau_params : prior of tau (``TAU_FAMILIES``), e.g. ``"half-normal", (0.5,)``.
    n_panels : int
        Gauss-Legendre panels (16 nodes each) over log(tau).

    Examples
    --------
    >>> post = exact_posterior([0.1, 0.3, 0.5], [0.01, 0.02, 0.04], "normal", (0.0, 2.0),
    ...                        "half-normal", (0.5,))
    >>> round(post.moments("mu")[0], 4)
    0.2607
    """
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    mu_params = tuple(float(p) for p in mu_params)
    tau_params = tuple(float(p) for p in tau_params)
    m0, s0 = mu_params[0], mu_params[1]
    lam, lw_lam = mu_scale_mixture(mu_family, mu_params)
    sup_lo, sup_hi = tau_support(tau_family, tau_params)
    tau_lo = max(1e-5 * math.sqrt(float(v.min())), sup_lo)
    spread = float(np.sqrt(v.max())) + float(np.ptp(y)) + abs(m0) + s0
    s_max = math.log(sup_hi) if math.isfinite(sup_hi) else math.log(1e3 * spread)
    s_min = math.log(tau_lo)

    def logpost_s(s):  # unnormalised log density of log(tau), mu integrated out
        t = np.exp(s)
        ll, _, _ = _conditional(y, v, t, m0, s0, lam)
        return tau_logpdf(tau_family, tau_params, t) + _lse(ll + lw_lam, axis=1) + s

    # first scan: where is the posterior mass? trim the upper end, place half the panels at its quantiles
    scan = np.linspace(s_min, s_max, 801)
    lp = logpost_s(scan)
    top = np.max(lp)
    keep = np.nonzero(lp > top - 70.0)[0]
    if not math.isfinite(sup_hi) and keep[-1] < scan.size - 1:
        s_max = float(scan[min(keep[-1] + 2, scan.size - 1)])
    scan = np.linspace(s_min, s_max, 801)
    lp = logpost_s(scan)
    cum = np.cumsum(np.exp(lp - np.max(lp)))
    cum /= cum[-1]
    qs = np.interp(np.linspace(0.0, 1.0, n_panels // 2 + 1)[1:-1], cum, scan)
    panels = np.unique(np.concatenate([np.linspace(s_min, s_max, n_panels // 2 + 1), qs]))
    panels = panels[np.concatenate([[True], np.diff(panels) > 1e-9 * (s_max - s_min)])]
    a, b = panels[:-1, None], panels[1:, None]
    s_nodes = (a + (b - a) * (_GL_NODES[None, :] + 1.0) / 2.0).ravel()
    log_gw = np.log(((b - a) / 2.0 * _GL_WEIGHTS[None, :]).ravel())
    tau_nodes = np.concatenate([[0.0], np.exp(s_nodes)])
    ll, mean, var = _conditional(y, v, tau_nodes, m0, s0, lam)
    ll = ll + lw_lam[None, :]
    prior_lo = float(tau_cdf(tau_family, tau_params, tau_lo))
    log_prior_mass = np.concatenate(
        [
            [math.log(prior_lo) if prior_lo > 0 else -np.inf],
            tau_logpdf(tau_family, tau_params, tau_nodes[1:]) + s_nodes + log_gw,
        ]
    )
    logjoint = ll + log_prior_mass[:, None]
    log_marginal = float(_lse(logjoint))
    panel_logmass = _lse(logjoint[1:].reshape(len(panels) - 1, -1), axis=1)
    return ExactPosterior(
        y=y,
        v=v,
        mu_family=mu_family,
        mu_params=mu_params,
        tau_family=tau_family,
        tau_params=tau_params,
        tau=tau_nodes,
        logw=logjoint - log_marginal,
        mean=mean,
        var=var,
        log_marginal=log_marginal,
        panels=panels,
        atom_logmass=float(_lse(logjoint[0])),
        tau_lo=tau_lo,
        panel_logmass=panel_logmass,
        log_prior_mass=log_prior_mass,
    )
