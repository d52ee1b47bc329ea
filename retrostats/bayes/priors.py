"""Prior specifications for the Bayesian random-effects model: parsing, validation and empirical priors.

A prior is written as a tuple ``(family, *parameters)``:

mu
    ``("normal", mean, sd)``, ``("student-t", location, scale, df)`` (alias ``"t"``).
tau
    ``("half-normal", scale)``, ``("half-cauchy", scale)``, ``("half-student-t", scale, df)``,
    ``("uniform", upper)`` or ``("uniform", lower, upper)``, ``("log-normal", meanlog, sdlog)`` (on tau),
    ``("log-normal-tau2", meanlog, sdlog)`` and ``("log-t-tau2", location, scale, df)`` (on tau^2), or
    the name
    of a published empirical prior (see :data:`EMPIRICAL_TAU_PRIORS`), e.g. ``"rhodes2015"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..exceptions import DataError
from ..kernels.bayes_priors import MU_FAMILIES, TAU_FAMILIES
from ..validators import did_you_mean

__all__ = [
    "PriorSpec",
    "parse_mu_prior",
    "parse_tau_prior",
    "EMPIRICAL_TAU_PRIORS",
    "empirical_tau_priors",
    "default_priors",
]

_ALIASES = {
    "t": "student-t",
    "student_t": "student-t",
    "halfnormal": "half-normal",
    "half_normal": "half-normal",
    "halfcauchy": "half-cauchy",
    "half_cauchy": "half-cauchy",
    "lognormal": "log-normal",
    "log_normal": "log-normal",
    "half-t": "half-student-t",
}

_PARAM_NAMES = {
    "normal": ("mean", "sd"),
    "student-t": ("location", "scale", "df"),
    "half-normal": ("scale",),
    "half-cauchy": ("scale",),
    "half-student-t": ("scale", "df"),
    "uniform": ("lower", "upper"),
    "log-normal": ("meanlog", "sdlog"),
    "log-normal-tau2": ("meanlog", "sdlog"),
    "log-t-tau2": ("location", "scale", "df"),
}
_POSITIVE = {"sd", "scale", "df", "sdlog"}

#: Published empirical heterogeneity priors. The numbers were read in bayesmeta 3.4 (R/bayesmeta.R,
#: ``RhodesEtAlParameters`` / ``TurnerEtAlParameters`` and the marginal settings), which transcribes the
#: papers' tables; the papers' own tables were not seen in a tool result.
EMPIRICAL_TAU_PRIORS: dict[str, dict[str, Any]] = {
    "rhodes2015": {
        "prior": ("log-t-tau2", -3.44, 2.59, 5.0),
        "measure": "SMD",
        "setting": "any continuous outcome, any comparison (marginal setting, Sec. 3.3)",
        "citation": "Rhodes KM, Turner RM, Higgins JPT. J Clin Epidemiol 2015;68:52-60",
        "doi": "10.1016/j.jclinepi.2014.08.012",
    },
    "rhodes2015_pain_function_nonpharma": {
        "prior": ("log-t-tau2", -3.02, 2.27, 5.0),
        "measure": "SMD",
        "setting": "general physical health / adverse event / pain / quality of life / functioning; "
        "non-pharmacological intervention (any comparator); medical area other (Table 3)",
        "citation": "Rhodes KM, Turner RM, Higgins JPT. J Clin Epidemiol 2015;68:52-60",
        "doi": "10.1016/j.jclinepi.2014.08.012",
    },
    "turner2015": {
        "prior": ("log-normal-tau2", -2.56, 1.74),
        "measure": "log OR",
        "setting": "any binary outcome, any comparison (marginal setting)",
        "citation": "Turner RM, Jackson D, Wei Y, Thompson SG, Higgins JPT. Stat Med 2015;34:984-998",
        "doi": "10.1002/sim.6381",
    },
    "turner2015_pain_nonpharma_control": {
        "prior": ("log-normal-tau2", -2.05, 1.71),
        "measure": "log OR",
        "setting": "pain; non-pharmacological vs placebo / control (Table IV)",
        "citation": "Turner RM, Jackson D, Wei Y, Thompson SG, Higgins JPT. Stat Med 2015;34:984-998",
        "doi": "10.1002/sim.6381",
    },
}


@dataclass(frozen=True)
class PriorSpec:
    """A validated prior: ``family`` (kernel name), ``params`` (floats) and a readable ``label``."""

    family: str
    params: tuple[float, ...]
    label: str

    def as_tuple(self) -> tuple:
        """The prior as ``(family, *params)``."""
        return (self.family, *self.params)


def empirical_tau_priors() -> pd.DataFrame:
    """The published empirical heterogeneity priors available by name.

    Returns
    -------
    DataFrame
        Index ``name``; columns ``family, location, scale, df, measure, setting, citation, doi``; the
        location and scale are on log(tau^2).

    Examples
    --------
    >>> empirical_tau_priors().loc["rhodes2015", "family"]
    'log-t-tau2'
    """
    rows = []
    for name, e in EMPIRICAL_TAU_PRIORS.items():
        fam, *par = e["prior"]
        rows.append(
            {
                "name": name,
                "family": fam,
                "location": par[0],
                "scale": par[1],
                "df": par[2] if len(par) > 2 else math.nan,
                "measure": e["measure"],
                "setting": e["setting"],
                "citation": e["citation"],
                "doi": e["doi"],
            }
        )
    return pd.DataFrame(rows).set_index("name")


def _parse(argname: str, spec: Any, families: dict[str, int], kind: str) -> PriorSpec:
    if isinstance(spec, PriorSpec):
        return spec
    if isinstance(spec, str):
        spec = (spec,)
    if not isinstance(spec, (tuple, list)) or not spec or not isinstance(spec[0], str):
        raise ValueError(f"{argname} must be a tuple such as ('{next(iter(families))}', ...); got {spec!r}.")
    name = spec[0].strip().lower()
    name = _ALIASES.get(name, name)
    if name not in families:
        shown = ", ".join(repr(f) for f in families)
        raise ValueError(
            f"{argname}: unknown {kind} prior {spec[0]!r}; use one of {shown}.{did_you_mean(name, families)}"
        )
    params = list(spec[1:])
    if name == "uniform" and len(params) == 1:
        params = [0.0, params[0]]
    need = _PARAM_NAMES[name]
    if len(params) != len(need):
        raise ValueError(
            f"{argname}: {name!r} takes {len(need)} parameter(s) {need}; got {len(params)} "
            f"({tuple(params)!r})."
        )
    vals = []
    for pname, p in zip(need, params):
        try:
            x = float(p)
        except (TypeError, ValueError):
            raise ValueError(f"{argname}: parameter {pname!r} must be a number; got {p!r}.") from None
        if math.isnan(x):
            raise ValueError(f"{argname}: parameter {pname!r} is NaN.")
        if math.isinf(x):
            raise ValueError(
                f"{argname}: parameter {pname!r} is {x}: that prior is improper (it does not "
                "integrate to one); give a finite value."
            )
        if pname in _POSITIVE and not x > 0:
            raise ValueError(f"{argname}: parameter {pname!r} must be > 0; got {x!r}.")
        vals.append(x)
    if name == "uniform" and not (0.0 <= vals[0] < vals[1]):
        raise ValueError(
            f"{argname}: 'uniform' needs 0 <= lower < upper; got lower={vals[0]!r}, upper={vals[1]!r}."
        )
    label = f"{name}(" + ", ".join(f"{n}={v:g}" for n, v in zip(need, vals)) + ")"
    return PriorSpec(name, tuple(vals), label)


def parse_mu_prior(spec: Any) -> PriorSpec:
    """Validate a prior for mu.

    Examples
    --------
    >>> parse_mu_prior(("normal", 0, 2)).label
    'normal(mean=0, sd=2)'
    >>> parse_mu_prior(("normal", 0, -1))
    Traceback (most recent call last):
    ...
    ValueError: mu_prior: parameter 'sd' must be > 0; got -1.0.
    """
    return _parse("mu_prior", spec, MU_FAMILIES, "mu")


def parse_tau_prior(spec: Any) -> PriorSpec:
    """Validate a prior for tau, resolving published empirical priors by name.

    Examples
    --------
    >>> parse_tau_prior("rhodes2015").label
    'log-t-tau2(location=-3.44, scale=2.59, df=5) [rhodes2015, doi:10.1016/j.jclinepi.2014.08.012]'
    >>> parse_tau_prior(("uniform", 2)).params
    (0.0, 2.0)
    """
    if isinstance(spec, str) and spec.strip().lower() in EMPIRICAL_TAU_PRIORS:
        e = EMPIRICAL_TAU_PRIORS[spec.strip().lower()]
        base = _parse("tau_prior", e["prior"], TAU_FAMILIES, "tau")
        return PriorSpec(base.family, base.params, f"{base.label} [{spec.strip().lower()}, doi:{e['doi']}]")
    if isinstance(spec, str) and spec.strip().lower() not in TAU_FAMILIES:
        opts = [*TAU_FAMILIES, *EMPIRICAL_TAU_PRIORS]
        raise ValueError(
            f"tau_prior: unknown prior {spec!r}; use a tuple such as ('half-normal', 0.5) or one of "
            f"the empirical priors {list(EMPIRICAL_TAU_PRIORS)}.{did_you_mean(spec, opts)}"
        )
    return _parse("tau_prior", spec, TAU_FAMILIES, "tau")


#: raw-scale defaults: the SD-scale defaults N(0, 2) and HN(0.5) times a typical outcome SD, taken as a quarter
#: of the instrument's range (a bounded score's SD rarely exceeds it)
_RANGE_TO_SD = 0.25


def default_priors(
    measure: str | None, instrument: str | None = None, scales: pd.DataFrame | None = None
) -> tuple[tuple, tuple, str]:
    """Default ``(mu_prior, tau_prior, note)`` for effects of ``measure``, sized to the measure's scale.

    The scale comes from the measure registry (:mod:`retrostats.measures`): SD-unit and log-ratio effects
    get ``normal(0, 2)`` and ``half-normal(0.5)``; raw effects (instrument units) get the same priors
    multiplied by a typical outcome SD of a quarter of the instrument's range in ``outcome_scales``
    (NPRS 0-10: ``normal(0, 5)``, ``half-normal(1.25)``). Re-expressing an instrument (NPRS to VAS mm)
    rescales the priors with the data, so posterior probabilities do not change. Unknown measures get
    the SD-scale defaults, and the note says so.

    Raises
    ------
    DataError
        Raw-scale effects whose instrument is unknown or has no finite range: pass ``mu_prior=`` and
        ``tau_prior=`` on the effects' scale.

    Examples
    --------
    >>> default_priors("SMD")[:2]
    (('normal', 0.0, 2.0), ('half-normal', 0.5))
    >>> default_priors("MD", "NPRS")[:2]
    (('normal', 0.0, 5.0), ('half-normal', 1.25))
    """
    from ..measures import SCALES, get_measure

    sd_mu, sd_tau = SCALES["sd"].mu_prior, SCALES["sd"].tau_prior
    if measure is None:
        return sd_mu, sd_tau, (
            "default priors sized for standardized effects (SD units): the data record no measure; pass "
            "priors on your effects' scale if they are not SMDs"
        )
    m = get_measure(measure)
    sc = SCALES[m.scale]
    if sc.mu_prior is not None:
        return sc.mu_prior, sc.tau_prior, f"default priors for the {m.scale} scale of {measure} ({sc.description})"
    how = (
        "pass mu_prior= and tau_prior= on that scale, e.g. mu_prior=('normal', 0, 2 * SD) and "
        "tau_prior=('half-normal', SD / 2) for an outcome SD of SD"
    )
    if instrument is None:
        raise DataError(
            f"the effects are {measure} ({m.label}) in instrument units, but no single instrument is known "
            f"(no 'instrument' column with one value), so default priors cannot be sized; {how}."
        )
    if scales is None:
        from ..datasets import load_dataset

        scales = load_dataset("outcome_scales")
    hit = scales[scales["instrument"].astype(str) == str(instrument)]
    lo = float(hit["min"].iloc[0]) if len(hit) and "min" in hit and not pd.isna(hit["min"].iloc[0]) else math.nan
    hi = float(hit["max"].iloc[0]) if len(hit) and "max" in hit and not pd.isna(hit["max"].iloc[0]) else math.nan
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise DataError(
            f"the effects are {measure} ({m.label}) in {instrument} units, which has no finite range in "
            f"outcome_scales, so default priors cannot be sized; {how}."
        )
    sd = _RANGE_TO_SD * (hi - lo)
    mu = ("normal", 0.0, sd_mu[2] * sd)
    tau = ("half-normal", sd_tau[1] * sd)
    note = (
        f"default priors sized from the {instrument} range {lo:g} to {hi:g}: the SD-scale defaults "
        f"normal(0, {sd_mu[2]:g}) and half-normal({sd_tau[1]:g}) times a typical SD of a quarter of the range "
        f"({sd:g} {instrument} units)"
    )
    return mu, tau, note


#: a given prior this many times narrower than the default for the effects' raw scale is reported
_NARROW = 10.0


def narrow_prior_problem(mu: PriorSpec, tau: PriorSpec, measure: str | None, instrument: str | None) -> str | None:
    """Why priors given for raw-scale effects look sized for another scale (e.g. SMD priors on millimetres).

    ``None`` unless the effects are in instrument units with a known range and the prior on mu (normal or
    Student t) or on tau (half-normal, half-Cauchy or half-Student t) is more than ten times narrower than
    the default for that scale (:func:`default_priors`).

    Examples
    --------
    >>> mu, tau = parse_mu_prior(("normal", 0, 2)), parse_tau_prior(("half-normal", 0.5))
    >>> narrow_prior_problem(mu, tau, "MD", "VAS_100").startswith("mu_prior normal(mean=0, sd=2)")
    True
    >>> narrow_prior_problem(mu, tau, "MD", "NPRS") is None
    True
    """
    from ..measures import MEASURES

    m = MEASURES.get(measure) if measure else None
    if m is None or m.scale != "raw" or instrument is None:
        return None
    try:
        d_mu, d_tau, _ = default_priors(measure, instrument)
    except DataError:
        return None
    given = []
    if mu.family in ("normal", "student-t") and mu.params[1] * _NARROW < d_mu[2]:
        given.append(f"mu_prior {mu.label} (default normal(0, {d_mu[2]:g}))")
    if tau.family in ("half-normal", "half-cauchy", "half-student-t") and tau.params[0] * _NARROW < d_tau[1]:
        given.append(f"tau_prior {tau.label} (default half-normal({d_tau[1]:g}))")
    if not given:
        return None
    return (
        f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} more than {_NARROW:g} times narrower than "
        f"the default for {measure} in {instrument} units: priors sized for standardized effects (SD units)? "
        "Such a prior, not the data, decides the posterior. Pass priors on the effects' own scale (or "
        "standardized effects)"
    )

