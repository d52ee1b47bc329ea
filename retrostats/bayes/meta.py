"""Bayesian random-effects meta-analysis (normal-normal hierarchical model), exact or by NUTS."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._display import ResultDisplay, Summary, fmt_num
from ..exceptions import DataError
from ..kernels.bayes_exact import exact_posterior
from ..measures import table_meaning
from ..provenance import Provenance, make_provenance
from ..validators import as_float_array, check_columns, check_interval, check_option
from .priors import PriorSpec, default_priors, parse_mu_prior, parse_tau_prior

__all__ = ["bayes_meta_analysis", "BayesMetaResult", "prior_sensitivity"]

_QUANTITIES = ("mu", "tau", "theta_new")
#: the signature's defaults; left as they are (these very objects), the priors are chosen by the data's scale
_DEFAULT_MU = ("normal", 0.0, 2.0)
_DEFAULT_TAU = ("half-normal", 0.5)
SUMMARY_COLUMNS = ["mean", "sd", "median", "q025", "q975", "hpd_low", "hpd_high"]


def _summarise(post: Any, quantity: str) -> dict[str, float]:
    mean, sd = post.tau_moments() if quantity == "tau" else post.moments(quantity)
    med, q025, q975 = (float(x) for x in post.ppf(quantity, np.array([0.5, 0.025, 0.975])))
    row = {"mean": mean, "sd": sd, "median": med, "q025": q025, "q975": q975}
    row["hpd_low"], row["hpd_high"] = post.shortest_interval(quantity, 0.95, start=(q025, q975))
    return row


def _study_summaries(post: Any, k: int, labels: list[str]) -> pd.DataFrame:
    """Posterior mean, sd and quantiles of every study's shrunken effect, in one vectorised pass."""
    idx = np.arange(k)
    mean, sd = post.moments("theta", idx)
    q = np.asarray(post.ppf("theta", np.array([0.5, 0.025, 0.975]), idx)).reshape(k, 3)
    return pd.DataFrame(
        {"mean": mean, "sd": sd, "median": q[:, 0], "q025": q[:, 1], "q975": q[:, 2]},
        index=pd.Index(labels, name="study"),
    )


@dataclass(frozen=True)
class BayesMetaResult(ResultDisplay):
    """Posterior of the normal-normal hierarchical model.

    Attributes
    ----------
    k : int
        Number of studies.
    method : str
        ``"exact"`` (numerical integration) or ``"nuts"`` (PyMC).
    mu_prior, tau_prior : PriorSpec
        The priors used.
    posterior_summary : DataFrame
        Index ``mu, tau, theta_new``; columns ``mean, sd, median, q025, q975`` (equal-tailed 95% interval)
        and ``hpd_low, hpd_high`` (shortest 95% interval).
    study_effects : DataFrame
        One row per study: ``yi, sei`` and the posterior ``mean, sd, median, q025, q975`` of its shrunken
        effect theta_i.
    bayes_factors : DataFrame
        Index ``mu=0, tau=0``; columns ``log_bf01`` (computed in log space, so that data far from the
        prior give a finite log rather than an underflow), ``bf01`` (evidence for the point hypothesis;
        may be 0 or inf in floating point) and ``bf10``.
    log_marginal_likelihood : float
        log p(y) (exact method; NaN for NUTS).
    instrument, measure : str or None
        Taken from the data's ``instrument``/``measure`` columns when they hold one value.
    favours : str or None
        The arm a positive effect favours when the data were oriented (``"positive favours <arm>"``).
    prior_note : str
        Where default priors came from (e.g. sized from the instrument's range); empty for priors given.
    harmonised : bool
        True when the data come already oriented so that positive effects mean benefit (a ``favours`` column
        reading ``"positive favours ..."`` in every row, as :func:`retrostats.registry_effect_sizes` and
        :func:`retrostats.effects.harmonise_direction` write it); clinical probabilities then take
        positive as the benefit direction whatever the instrument's own direction.
    idata : arviz.InferenceData or None
        The NUTS draws (``method="nuts"``).
    diagnostics : DataFrame or None
        NUTS only: ``r_hat, ess_bulk, ess_tail, mcse_mean`` for mu and tau, and ``n_divergences``.
    provenance : Provenance
    """

    k: int
    method: str
    mu_prior: PriorSpec
    tau_prior: PriorSpec
    posterior_summary: pd.DataFrame
    study_effects: pd.DataFrame
    bayes_factors: pd.DataFrame
    log_marginal_likelihood: float
    instrument: str | None
    measure: str | None
    provenance: Provenance
    idata: Any = None
    diagnostics: pd.DataFrame | None = None
    harmonised: bool = False
    prior_note: str = ""
    favours: str | None = None
    _posterior: Any = field(default=None, repr=False, compare=False)

    # --- distribution access ---------------------------------------------------------------------
    def cdf(self, quantity: str, x: float) -> float:
        """Posterior CDF of ``mu``, ``tau`` or ``theta_new`` at ``x``."""
        check_option("quantity", quantity, _QUANTITIES)
        return float(self._posterior.cdf(quantity, float(x)))

    def density(self, quantity: str, x: Any) -> Any:
        """Posterior density of ``mu``, ``tau`` or ``theta_new`` at the points ``x`` (vectorised).

        Exact method: the density of the normal mixture (``mu``, ``theta_new``) or of the quadrature over tau,
        with no sampling. NUTS: a Gaussian kernel density estimate of the draws (reflected at 0 for tau).

        Parameters
        ----------
        quantity : {"mu", "tau", "theta_new"}
        x : float or array-like
            Where to evaluate; any shape.

        Returns
        -------
        ndarray of the shape of ``x`` (a float for a scalar ``x``).

        Examples
        --------
        >>> fit = bayes_meta_analysis(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
        >>> grid = np.linspace(-6.0, 4.5, 2101)
        >>> dens = fit.density("mu", grid)
        >>> dens.shape
        (2101,)
        >>> round(float(np.trapezoid(dens, grid)), 6)  # a density: integrates to 1
        1.0
        """
        check_option("quantity", quantity, _QUANTITIES)
        xa = np.asarray(x, dtype=float)
        if not np.isfinite(xa).all():
            raise ValueError("x must hold finite numbers (the points at which to evaluate the density).")
        out = np.asarray(self._posterior.pdf(quantity, xa), dtype=float).reshape(xa.shape)
        return float(out) if out.ndim == 0 else out

    def quantile(self, quantity: str, q: float) -> float:
        """Posterior quantile of ``mu``, ``tau`` or ``theta_new``."""
        check_option("quantity", quantity, _QUANTITIES)
        return float(
            self._posterior.ppf(
                quantity, check_interval("q", q, 0, 1, low_inclusive=False, high_inclusive=False)
            )
        )

    def probability(
        self, quantity: str = "mu", threshold: float = 0.0, alternative: str = "greater"
    ) -> float:
        """Posterior probability that ``quantity`` is greater (or less) than ``threshold``.

        Examples
        --------
        >>> fit = bayes_meta_analysis(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
        >>> round(fit.probability("mu", 0.0, "less"), 3)
        0.986
        """
        check_option("alternative", alternative, ("greater", "less"))
        p = self.cdf(quantity, check_interval("threshold", threshold))
        return 1.0 - p if alternative == "greater" else p

    def predictive_sample(self, size: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Draws of theta_new, the true effect in a new study (for trial planning / assurance).

        Examples
        --------
        >>> fit = bayes_meta_analysis(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
        >>> fit.predictive_sample(5, seed=1).shape
        (5,)
        """
        size = int(check_interval("size", size, 1, integer=True))
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return self._posterior.sample("theta_new", size, rng)

    def clinical_probabilities(self, mcid: float | None = None, **kwargs: Any) -> pd.DataFrame:
        """P(effect beyond the MCID) and P(benefit); see :func:`retrostats.bayes.clinical_probabilities`."""
        from .clinical import clinical_probabilities

        return clinical_probabilities(self, mcid=mcid, **kwargs)

    # --- display ---------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Tidy posterior summary: one row per quantity (mu, tau, theta_new, then each study)."""
        a = self.posterior_summary.reset_index(names="quantity")
        b = self.study_effects.drop(columns=["yi", "sei"]).reset_index(names="quantity")
        b["quantity"] = "theta[" + b["quantity"].astype(str) + "]"
        return pd.concat([a, b], ignore_index=True)

    def summary(self) -> Summary:
        """Printable summary."""
        tab = self.posterior_summary.map(fmt_num)
        bf = self.bayes_factors.map(fmt_num)
        notes = [
            "q025/q975: equal-tailed 95% interval; hpd_low/hpd_high: shortest 95% interval.",
            "theta_new: the true effect in a new study (predictive distribution).",
        ]
        if self.method == "exact":
            notes.append("Computed by numerical integration (no Monte-Carlo error).")
        if self.prior_note:
            notes.append(self.prior_note[0].upper() + self.prior_note[1:] + ".")
        effect = self.measure or "not recorded"
        if self.measure and self.instrument:
            effect += f" on {self.instrument}"
        return Summary(
            title="Bayesian random-effects meta-analysis",
            header=[
                ("studies", str(self.k)),
                ("effect measure", effect),
                ("method", self.method),
                ("mu prior", self.mu_prior.label),
                ("tau prior", self.tau_prior.label),
            ],
            tables=[("Marginal posteriors", tab), ("Bayes factors", bf)],
            notes=notes,
        )

    def __repr__(self) -> str:
        return self.summary().as_text()


def _is_harmonised(data: pd.DataFrame | None) -> bool:
    if data is None or "favours" not in data.columns or not len(data):
        return False
    fav = data["favours"].astype(str)
    return bool(fav.str.startswith("positive favours").all())


def _one_value(data: pd.DataFrame | None, column: str) -> str | None:
    if data is None or column not in data.columns:
        return None
    vals = pd.unique(data[column].dropna().astype(str))
    return str(vals[0]) if len(vals) == 1 else None


def _read_inputs(data, yi, vi, slab):
    if data is not None:
        check_columns(data, [yi, vi] + ([slab] if isinstance(slab, str) else []), what="data")
        if slab is None and "study_id" in data.columns:
            slab = "study_id"
        labels = [str(x) for x in (data[slab] if isinstance(slab, str) else range(1, len(data) + 1))]
        y_raw, v_raw = data[yi], data[vi]
        names = (str(yi), str(vi))
    else:
        if yi is None or vi is None or isinstance(yi, str) or isinstance(vi, str):
            raise ValueError(
                "without data, give yi and vi as arrays of numbers (estimates and sampling variances)."
            )
        y_raw, v_raw = yi, vi
        n = np.size(yi)
        labels = [str(x) for x in (slab if slab is not None else range(1, n + 1))]
        names = ("yi", "vi")
    y = as_float_array(names[0], y_raw, labels=labels)
    v = as_float_array(names[1], v_raw, labels=labels)
    if y.shape != v.shape:
        raise DataError(f"yi and vi must have the same length; got {y.size} and {v.size}.")
    for i, x in enumerate(v):
        if not x > 0:
            raise DataError(
                f"{names[1]} must be > 0; row {i} (study {labels[i]!r}) has {float(x)!r}. A zero or negative "
                "sampling variance is impossible: check the SD and sample size behind it."
            )
    if y.size < 2:
        who = f" (study {labels[0]!r})" if labels else ""
        raise DataError(
            f"a random-effects meta-analysis needs at least 2 studies; got {y.size}{who}. With one "
            "study the heterogeneity tau is informed by its prior alone: report that study's "
            "estimate instead."
        )
    return y, v, labels


def _check_prior_scale(mu_spec: PriorSpec, tau_spec: PriorSpec, meaning: Any) -> None:
    """A DataWarning when given priors are far narrower than the effects' raw scale (SMD priors on millimetres).

    Effects that record no measure get the SD-unit defaults with a note in the summary saying so.
    """
    import warnings

    from ..exceptions import DataWarning
    from .priors import narrow_prior_problem

    problem = narrow_prior_problem(mu_spec, tau_spec, meaning.measure, meaning.instrument)
    if problem:
        warnings.warn(problem + ".", DataWarning, stacklevel=3)


def bayes_meta_analysis(
    data: pd.DataFrame | None = None,
    *,
    yi: Any = "yi",
    vi: Any = "vi",
    mu_prior: Any = _DEFAULT_MU,
    tau_prior: Any = _DEFAULT_TAU,
    method: str = "exact",
    draws: int = 2000,
    tune: int = 1000,
    chains: int = 2,
    random_seed: int | None = None,
    slab: Any = None,
) -> BayesMetaResult:
    """Bayesian random-effects meta-analysis of the normal-normal hierarchical model.

    ``y_i ~ N(theta_i, v_i)``, ``theta_i ~ N(mu, tau^2)``, ``mu ~ mu_prior``, ``tau ~ tau_prior``.

    Parameters
    ----------
    data : DataFrame, optional
        One row per study; ``yi``/``vi`` name its columns. Without ``data`` they are array-likes.
    yi, vi : str or array-like
        Estimates and sampling variances (> 0), e.g. the output of :func:`retrostats.effect_sizes`.
    mu_prior : tuple, optional
        ``("normal", mean, sd)`` or ``("student-t", location, scale, df)``. Left at its default, the prior
        depends on the scale of the data's ``measure`` (see :func:`retrostats.bayes.default_priors`):
        ``normal(0, 2)`` for standardized (SD-unit) and log-ratio effects and for data without a measure; for effects in
        instrument units (``MD``), sized from the instrument's range, or refused when it has none. The
        summary states which was used.
    tau_prior : tuple or str, optional
        Default ``half-normal(0.5)`` on the SD scale, sized like ``mu_prior`` otherwise;
        ``("half-normal", scale)``, ``("half-cauchy", scale)``, ``("half-student-t", scale, df)``,
        ``("uniform", upper)``, ``("log-normal", meanlog, sdlog)``, ``("log-normal-tau2", ...)``,
        ``("log-t-tau2", location, scale, df)`` or a published prior by name (see
        :func:`retrostats.bayes.empirical_tau_priors`, e.g. ``"rhodes2015"``).
    method : {"exact", "nuts"}
        Numerical integration (fast, no Monte-Carlo error) or PyMC's NUTS sampler (needs the ``bayes`` extra).
    draws, tune, chains, random_seed : NUTS settings (ignored by the exact method).
    slab : str or sequence, optional
        Study labels (a column name with ``data``); defaults to the ``study_id`` column when present.

    Returns
    -------
    BayesMetaResult
        With ``posterior_summary`` (index ``mu, tau, theta_new``; columns ``mean, sd, median, q025, q975,
        hpd_low, hpd_high``), ``study_effects``, ``bayes_factors`` and the verbs ``probability``,
        ``predictive_sample``, ``clinical_probabilities``, ``summary``, ``to_frame``.

    Raises
    ------
    DataError
        Fewer than 2 studies, missing or non-positive variances, missing columns.
    ValueError
        An unknown, improper or invalid prior (e.g. a negative scale).
    MissingExtraError
        ``method="nuts"`` without PyMC installed.

    Notes
    -----
    The exact method integrates over tau numerically (composite Gauss-Legendre in log tau) with mu
    conjugate given tau (a Student-t mu prior is integrated as a scale mixture of normals), as bayesmeta
    does; every marginal is a mixture of normals, so CDFs and quantiles are exact to quadrature error.
    The Bayes factor for ``mu = 0`` is the Savage-Dickey ratio ``p(mu=0 | y) / p(mu=0)`` (valid because
    mu and tau are independent a priori); for ``tau = 0`` it is ``p(y | tau=0) / p(y)`` from marginal
    likelihoods. Validated against an independent quadrature written in R (``integrate``), a brute-force
    grid in the tests, a long NUTS run, and the bayesmeta vignette's eight-schools example.

    References
    ----------
    Röver C (2020). Bayesian random-effects meta-analysis using the bayesmeta R package. J Stat Softw 93(6).
    doi:10.18637/jss.v093.i06

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"yi": [-1.2, -0.4, -0.9], "vi": [0.2, 0.3, 0.25]})
    >>> fit = bayes_meta_analysis(d)
    >>> fit.posterior_summary.loc["mu", ["mean", "q025", "q975"]].round(3).tolist()
    [-0.844, -1.541, -0.118]
    """
    method = check_option("method", method, ("exact", "nuts"))
    meaning = table_meaning(data, what="data")
    prior_note = ""
    if mu_prior is _DEFAULT_MU or tau_prior is _DEFAULT_TAU:
        d_mu, d_tau, prior_note = default_priors(meaning.measure, meaning.instrument)
        mu_prior = d_mu if mu_prior is _DEFAULT_MU else mu_prior
        tau_prior = d_tau if tau_prior is _DEFAULT_TAU else tau_prior
    mu_spec = parse_mu_prior(mu_prior)
    tau_spec = parse_tau_prior(tau_prior)
    _check_prior_scale(mu_spec, tau_spec, meaning)
    if method == "nuts":
        draws = int(check_interval("draws", draws, 10, integer=True))
        tune = int(check_interval("tune", tune, 0, integer=True))
        chains = int(check_interval("chains", chains, 1, integer=True))
    y, v, labels = _read_inputs(data, yi, vi, slab)
    prov = make_provenance(
        "bayes_meta_analysis",
        {
            "mu_prior": mu_spec.as_tuple(),
            "tau_prior": tau_spec.as_tuple(),
            "method": method,
            **(
                {"draws": draws, "tune": tune, "chains": chains, "random_seed": random_seed}
                if method == "nuts"
                else {}
            ),
        },
        y,
        v,
    )
    idata = diagnostics = None
    if method == "exact":
        post = exact_posterior(y, v, mu_spec.family, mu_spec.params, tau_spec.family, tau_spec.params)
        log_ml = post.log_marginal
        log_bf = {"mu=0": post.log_bayes_factor_mu0(), "tau=0": post.log_bayes_factor_tau0()}
    else:
        from .nuts import sample_meta

        post, idata, diagnostics = sample_meta(
            y, v, mu_spec, tau_spec, draws=draws, tune=tune, chains=chains, random_seed=random_seed
        )
        log_ml = math.nan
        log_bf = {"mu=0": post.log_bayes_factor_mu0(), "tau=0": math.nan}
    summary = pd.DataFrame([_summarise(post, q) for q in _QUANTITIES], index=list(_QUANTITIES))[
        SUMMARY_COLUMNS
    ]
    studies = _study_summaries(post, y.size, labels)
    studies.insert(0, "sei", np.sqrt(v))
    studies.insert(0, "yi", y)
    lb = pd.Series(log_bf, dtype=float)
    with np.errstate(over="ignore"):
        bayes_factors = pd.DataFrame({"log_bf01": lb, "bf01": np.exp(lb), "bf10": np.exp(-lb)})
    return BayesMetaResult(
        k=int(y.size),
        method=method,
        mu_prior=mu_spec,
        tau_prior=tau_spec,
        posterior_summary=summary,
        study_effects=studies,
        bayes_factors=bayes_factors,
        log_marginal_likelihood=log_ml,
        instrument=meaning.instrument if meaning.instrument is not None else _one_value(data, "instrument"),
        measure=meaning.measure,
        provenance=prov,
        idata=idata,
        diagnostics=diagnostics,
        harmonised=_is_harmonised(data),
        prior_note=prior_note,
        favours=meaning.favours,
        _posterior=post,
    )


def prior_sensitivity(
    data: pd.DataFrame | None = None,
    *,
    yi: Any = "yi",
    vi: Any = "vi",
    mu_priors: dict[str, Any] | None = None,
    tau_priors: dict[str, Any] | None = None,
    threshold: float = 0.0,
    alternative: str = "less",
) -> pd.DataFrame:
    """Exact posterior under every combination of the given priors: a prior-sensitivity table.

    Parameters
    ----------
    data, yi, vi : as in :func:`bayes_meta_analysis`.
    mu_priors, tau_priors : dict of label -> prior
        Defaults: mu ``normal(0, 2)``; tau half-normal 0.5 and 1, half-Cauchy 0.5, and ``rhodes2015`` (for
        standardized effects); for effects in instrument units the same shapes sized as
        :func:`retrostats.bayes.default_priors` sizes them (no ``rhodes2015``).
    threshold, alternative : the event whose posterior probability is reported (``P(mu < 0)`` by default).

    Returns
    -------
    DataFrame
        One row per prior pair: ``mu_prior, tau_prior`` (labels), ``mu_mean, mu_q025, mu_q975, tau_median,
        theta_new_q025, theta_new_q975, p_mu`` (the probability of the event) and ``bf10_mu``
        (against mu = 0).

    Examples
    --------
    >>> tab = prior_sensitivity(yi=[-1.2, -0.4, -0.9], vi=[0.2, 0.3, 0.25])
    >>> tab.shape
    (4, 10)
    """
    meaning = table_meaning(data, what="data")
    d_mu, d_tau, _ = default_priors(meaning.measure, meaning.instrument)
    unit = d_tau[1] / 0.5  # 1 on the SD scale; a typical outcome SD for instrument units
    if not mu_priors:
        mu_priors = {f"normal(0, {d_mu[2]:g})": d_mu}
    if not tau_priors:
        tau_priors = {
            f"half-normal({0.5 * unit:g})": ("half-normal", 0.5 * unit),
            f"half-normal({unit:g})": ("half-normal", unit),
            f"half-cauchy({0.5 * unit:g})": ("half-cauchy", 0.5 * unit),
        }
        if unit == 1.0 and (meaning.measure is None or meaning.scale == "sd"):
            tau_priors["rhodes2015"] = "rhodes2015"  # an empirical prior for SMDs only
    rows = []
    for mu_label, mp in mu_priors.items():
        for tau_label, tp in tau_priors.items():
            fit = bayes_meta_analysis(data, yi=yi, vi=vi, mu_prior=mp, tau_prior=tp)
            s = fit.posterior_summary
            rows.append(
                {
                    "mu_prior": mu_label,
                    "tau_prior": tau_label,
                    "mu_mean": s.loc["mu", "mean"],
                    "mu_q025": s.loc["mu", "q025"],
                    "mu_q975": s.loc["mu", "q975"],
                    "tau_median": s.loc["tau", "median"],
                    "theta_new_q025": s.loc["theta_new", "q025"],
                    "theta_new_q975": s.loc["theta_new", "q975"],
                    "p_mu": fit.probability("mu", threshold, alternative),
                    "bf10_mu": fit.bayes_factors.loc["mu=0", "bf10"],
                }
            )
    return pd.DataFrame(rows)
