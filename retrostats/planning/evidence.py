"""Planning from the evidence: assurance over a meta-analytic predictive distribution, the size of trial
that makes an updated meta-analysis conclusive, and translation between standardised and scale units.

Evidence is accepted from any object with ``estimate, se, tau2`` attributes (``retrostats.meta_analysis``
results), or with a ``predictive_sample(size, seed)`` method (the Bayesian layer), or as an explicit normal
``mean``/``sd`` for the effect in a new trial. Planning works in SD units: the evidence's recorded ``measure``
is looked up in :mod:`retrostats.measures`; standardized evidence is used as it stands, evidence in
instrument units (``MD``) is divided by ``outcome_sd=`` (required then), other scales are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._display import ResultDisplay
from ..exceptions import DataError
from ..kernels.power import solve_increasing
from ..provenance import Provenance, make_provenance
from ..validators import check_confidence_level, check_interval, check_option, check_probability, did_you_mean
from ._assure import assurance_at
from ._assure import expect as _expect
from ._assure import success_power as _success_power
from .simulation import check_r

__all__ = [
    "Predictive",
    "predictive",
    "assurance",
    "n_for_assurance",
    "AssuranceResult",
    "n_for_conclusive_update",
    "UpdateResult",
    "mcid_effect_size",
    "to_scale_units",
    "to_effect_size",
]


@dataclass(frozen=True)
class Predictive:
    """The distribution of the true effect (SMD) in a new trial: normal ``(mean, sd)`` or draws."""

    mean: float
    sd: float
    draws: np.ndarray | None = None
    source: str = "normal"


@dataclass(frozen=True)
class _InSDUnits:
    """Evidence re-expressed in SD units: a raw-scale meta-analysis divided by the outcome SD."""

    estimate: float
    se: float
    tau2: float
    measure: str
    source: str


@dataclass(frozen=True)
class _DrawsInSDUnits:
    """A predictive-sample source in instrument units, re-expressed in SD units."""

    evidence: Any
    outcome_sd: float

    def predictive_sample(self, size: int, seed: Any = None) -> np.ndarray:
        return np.asarray(self.evidence.predictive_sample(size, seed), dtype=float) / self.outcome_sd


def _sd_units(evidence: Any, outcome_sd: float | None = None) -> Any:
    """Planning works in SD units: pass standardized evidence through, divide raw-scale evidence by ``outcome_sd``.

    The scale of the evidence is its recorded ``measure`` looked up in :mod:`retrostats.measures`; evidence
    without a recorded measure is taken as standardized (the documented convention of this module).
    """
    from ..measures import get_measure

    measure = getattr(evidence, "measure", None)
    if not isinstance(measure, str):
        if outcome_sd is not None:
            raise DataError(
                "outcome_sd= converts instrument-unit evidence to SD units, but the evidence records no "
                "measure; fit it on an effect table with a 'measure' column, or drop outcome_sd."
            )
        return evidence
    m = get_measure(measure)
    if m.standardized:
        if outcome_sd is not None:
            raise DataError(
                f"the evidence is {measure} ({m.label}), already in SD units; outcome_sd= would divide it "
                "again: drop outcome_sd."
            )
        return evidence
    if m.scale != "raw":
        raise DataError(
            f"the evidence is {measure} ({m.label}, {m.scale} scale); planning here works in SD units of a "
            "continuous outcome and cannot use it."
        )
    if outcome_sd is None:
        raise DataError(
            f"the evidence is {measure} ({m.label}) in instrument units, not a standardized effect; planning "
            "works in SD units: pass "
            "outcome_sd= (the outcome's between-participant SD in the same units), or fit SMDs."
        )
    sd = check_interval("outcome_sd", outcome_sd, 0.0, None, low_inclusive=False)
    if hasattr(evidence, "predictive_sample"):  # e.g. a Bayesian fit: its draws, divided by the SD
        return _DrawsInSDUnits(evidence, sd)
    for a in ("estimate", "se", "tau2"):
        if not hasattr(evidence, a):
            raise TypeError(f"evidence must have estimate, se and tau2; it lacks {a!r}.")
    est, se, tau2 = (float(getattr(evidence, a)) for a in ("estimate", "se", "tau2"))
    return _InSDUnits(est / sd, se / sd, tau2 / (sd * sd), measure, type(evidence).__name__)


def predictive(
    evidence: Any = None,
    *,
    mean: float | None = None,
    sd: float | None = None,
    n_draws: int = 20000,
    seed: int | None = None,
    outcome_sd: float | None = None,
) -> Predictive:
    """Build the predictive distribution of a new trial's true effect.

    From a meta-analysis (``estimate, se, tau2``): normal with mean ``estimate`` and variance
    ``se^2 + tau2`` (Higgins, Thompson & Spiegelhalter 2009). From an object with
    ``predictive_sample(size, seed)``: its draws. Or explicit ``mean``/``sd``. Evidence in instrument
    units (its ``measure`` is on the raw scale, e.g. ``MD``) is divided by ``outcome_sd``, which is
    required then and refused for standardized evidence.

    Examples
    --------
    >>> class MA:  # any object with these fields works, e.g. retrostats.meta_analysis(...)
    ...     estimate, se, tau2 = -0.6, 0.15, 0.04
    >>> p = predictive(MA())
    >>> round(p.mean, 2), round(p.sd, 4)
    (-0.6, 0.25)
    """
    if evidence is None:
        if mean is None or sd is None:
            raise ValueError("give evidence (a meta-analysis result) or both mean and sd of the effect.")
        m = check_interval("mean", mean)
        s = check_interval("sd", sd, 0.0, None)
        return Predictive(mean=m, sd=s, source="explicit")
    evidence = _sd_units(evidence, outcome_sd)
    if hasattr(evidence, "predictive_sample"):
        draws = np.asarray(evidence.predictive_sample(n_draws, seed), dtype=float).ravel()
        if draws.size < 2 or not np.all(np.isfinite(draws)):
            raise DataError("predictive_sample returned fewer than 2 finite draws.")
        return Predictive(
            mean=float(draws.mean()), sd=float(draws.std(ddof=1)), draws=draws, source=type(evidence).__name__
        )
    missing = [a for a in ("estimate", "se", "tau2") if not hasattr(evidence, a)]
    if missing:
        raise TypeError(
            f"evidence must have estimate, se and tau2 (a meta-analysis result) or a "
            f"predictive_sample(size, seed) method; {type(evidence).__name__} lacks {missing}."
        )
    est, se, tau2 = (float(getattr(evidence, a)) for a in ("estimate", "se", "tau2"))
    if not (math.isfinite(est) and se > 0 and tau2 >= 0):
        raise DataError(
            f"evidence has estimate={est}, se={se}, tau2={tau2}; need finite estimate, se > 0, tau2 >= 0."
        )
    source = evidence.source if isinstance(evidence, _InSDUnits) else type(evidence).__name__
    return Predictive(mean=est, sd=math.sqrt(se * se + tau2), source=source)


def _direction(pred: Predictive, direction: str) -> float:
    check_option("direction", direction, ("auto", "positive", "negative"))
    if direction == "auto":
        return -1.0 if pred.mean < 0 else 1.0
    return 1.0 if direction == "positive" else -1.0


def assurance(
    evidence: Any = None,
    *,
    n_per_arm: float,
    mean: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    design: str = "ttest",
    r: float | None = None,
    ratio: float = 1.0,
    direction: str = "auto",
    n_draws: int = 20000,
    seed: int | None = None,
    outcome_sd: float | None = None,
) -> float:
    """Assurance: power averaged over the predictive distribution of the effect (O'Hagan et al. 2005).

    Success is a two-sided significant result at ``alpha`` in the favourable ``direction`` (``"auto"``:
    the sign of the predictive mean; a negative SMD is a benefit for pain). A normal predictive is
    integrated by 80-point Gauss-Hermite quadrature; draws are averaged.

    References
    ----------
    O'Hagan, A., Stevens, J. W., & Campbell, M. J. (2005). Assurance in clinical trial design.
    Pharmaceutical Statistics 4, 187-201. https://doi.org/10.1002/pst.175

    Examples
    --------
    >>> round(assurance(mean=0.5, sd=0.0, n_per_arm=64), 4)  # no uncertainty: the one-tail power
    0.8015
    >>> round(assurance(mean=0.5, sd=0.3, n_per_arm=64), 3)
    0.667
    """
    pred = predictive(evidence, mean=mean, sd=sd, n_draws=n_draws, seed=seed, outcome_sd=outcome_sd)
    n_per_arm = check_interval("n_per_arm", n_per_arm, 2.0, None)
    alpha = check_probability("alpha", alpha)
    design = check_option("design", design, ("ttest", "ancova"))
    if design == "ancova":
        if r is None:
            raise ValueError("design='ancova' needs r, the baseline-outcome correlation.")
        r = check_r(r)
    sgn = _direction(pred, direction)
    return float(assurance_at(pred, n_per_arm, direction=sgn, alpha=alpha, design=design, r=r, ratio=ratio)[0])


@dataclass(frozen=True)
class AssuranceResult(ResultDisplay):
    """Sample size for a target assurance.

    Attributes
    ----------
    n : float
        Group-1 size (unrounded); ``n_per_arm`` rounds up.
    assurance : float
        Assurance at ``n``.
    max_assurance : float
        The limit as n grows: the predictive probability that the effect is in the favourable direction.
    power_at_mean : float
        Conventional power at ``n`` for the predictive mean.
    predictive_mean, predictive_sd, alpha : float
    design : str
    provenance : Provenance
        The call and a checksum of the predictive distribution's mean and SD.
    """

    _summary_title = "Sample size for a target assurance"

    n: float
    assurance: float
    max_assurance: float
    power_at_mean: float
    predictive_mean: float
    predictive_sd: float
    alpha: float
    design: str
    provenance: Provenance | None = field(default=None, repr=False, compare=False)

    @property
    def n_per_arm(self) -> int:
        """Group-1 size rounded up."""
        return int(math.ceil(self.n - 1e-9))

    def to_frame(self) -> pd.DataFrame:
        """One tidy row."""
        d = super().to_frame().iloc[0].to_dict()
        d["n_per_arm"] = self.n_per_arm
        return pd.DataFrame([d])


def n_for_assurance(
    evidence: Any = None,
    *,
    target: float = 0.8,
    mean: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    design: str = "ttest",
    r: float | None = None,
    ratio: float = 1.0,
    direction: str = "auto",
    n_draws: int = 20000,
    seed: int | None = None,
    outcome_sd: float | None = None,
) -> AssuranceResult:
    """Smallest n per arm whose assurance reaches ``target``.

    Examples
    --------
    >>> res = n_for_assurance(mean=0.5, sd=0.2, target=0.7)
    >>> res.n_per_arm, round(res.max_assurance, 4)
    (61, 0.9938)
    """
    pred = predictive(evidence, mean=mean, sd=sd, n_draws=n_draws, seed=seed, outcome_sd=outcome_sd)
    target = check_probability("target", target)
    alpha = check_probability("alpha", alpha)
    design = check_option("design", design, ("ttest", "ancova"))
    if design == "ancova":
        if r is None:
            raise ValueError("design='ancova' needs r, the baseline-outcome correlation.")
        r = check_r(r)
    sgn = _direction(pred, direction)

    def a(n: float) -> float:
        return float(assurance_at(pred, n, direction=sgn, alpha=alpha, design=design, r=r, ratio=ratio)[0])

    limit = (
        _expect(pred, lambda th: (sgn * th > 0).astype(float))
        if pred.draws is not None
        else (float(special.ndtr(sgn * pred.mean / pred.sd)) if pred.sd > 0 else 1.0)
    )
    if target >= limit:
        raise ValueError(
            f"assurance {target:g} cannot be reached: even an infinite trial succeeds only when the "
            f"effect is in the favourable direction, which has predictive probability {limit:.3f}. "
            "Lower the target or gather more evidence."
        )
    n = solve_increasing(a, target, 2.0 / min(1.0, ratio) + 1e-9, 1e7, xtol=1e-8, rtol=1e-10)
    if n is None:
        raise ValueError(f"assurance {target:g} is not reached with n up to 1e7 per arm.")
    pm = float(
        _success_power(np.array([pred.mean]), n, direction=sgn, alpha=alpha, design=design, r=r, ratio=ratio)[
            0
        ]
    )
    return AssuranceResult(
        n=n,
        assurance=a(n),
        max_assurance=limit,
        power_at_mean=pm,
        predictive_mean=pred.mean,
        predictive_sd=pred.sd,
        alpha=alpha,
        design=design,
        provenance=make_provenance(
            "n_for_assurance",
            {"target": target, "alpha": alpha, "design": design, "r": r, "ratio": ratio, "direction": direction,
             "n_draws": n_draws, "seed": seed},
            pred.mean, pred.sd,
        ),
    )


@dataclass(frozen=True)
class UpdateResult(ResultDisplay):
    """A new trial that makes the updated meta-analysis conclusive.

    Attributes
    ----------
    n_per_arm : int
        Participants per arm of the new trial (0 when the current interval already excludes ``threshold``).
    updated_se : float
        SE of the pooled estimate after adding the trial.
    probability : float
        Probability (over the predictive distribution of the new result) that the updated confidence
        interval excludes ``threshold`` on the favourable side.
    threshold, estimate, se, tau2, confidence_level : float
    criterion : str
        ``"expected"`` (the new trial observes the current estimate) or ``"probability"``.
    provenance : Provenance
        The call and a checksum of the current estimate, SE and tau².
    """

    _summary_title = "A new trial that makes the meta-analysis conclusive"

    n_per_arm: int
    updated_se: float
    probability: float
    threshold: float
    estimate: float
    se: float
    tau2: float
    confidence_level: float
    criterion: str
    provenance: Provenance | None = field(default=None, repr=False, compare=False)


def n_for_conclusive_update(
    evidence: Any,
    *,
    threshold: float = 0.0,
    confidence_level: float = 0.95,
    target: float | None = None,
    outcome_sd: float | None = None,
) -> UpdateResult:
    """Size of a new two-arm trial after which the random-effects meta-analysis excludes ``threshold``.

    The new trial's SMD has variance ``v = 2/n + d^2/(4n)`` (``escalc`` SMD, large sample) and enters with
    weight ``1 / (v + tau2)``, ``tau2`` held at its current value, so the updated SE is
    ``(1/se^2 + 1/(v + tau2))^{-1/2}`` (Sutton et al. 2007; Roloff et al. 2013). With ``target=None`` the
    new trial is assumed to observe the current estimate and n is the smallest for which the updated
    ``confidence_level`` interval excludes ``threshold``. With ``target`` (e.g. 0.8), n is the smallest for
    which that happens with probability ``target`` when the new result is drawn from its predictive
    distribution ``N(estimate, se^2 + tau2 + v)``. ``threshold`` is 0 (no effect) or an MCID in SMD units
    (see :func:`mcid_effect_size`), on the side of the current estimate. Evidence in instrument units
    (e.g. a meta-analysis of ``MD``) is divided by ``outcome_sd`` first (required then).

    References
    ----------
    Sutton, A. J., Cooper, N. J., Jones, D. R., Lambert, P. C., Thompson, J. R., & Abrams, K. R. (2007).
    Evidence-based sample size calculations based upon updated meta-analysis. Stat Med 26, 2479-2500.
    https://doi.org/10.1002/sim.2704

    Examples
    --------
    >>> class MA:
    ...     estimate, se, tau2 = 0.35, 0.2, 0.01
    >>> n_for_conclusive_update(MA()).n_per_arm
    14
    """
    evidence = _sd_units(evidence, outcome_sd)
    for a in ("estimate", "se", "tau2"):
        if not hasattr(evidence, a):
            raise TypeError(
                f"evidence must have estimate, se and tau2 (a meta-analysis result); it lacks {a!r}."
            )
    est, se, tau2 = (float(getattr(evidence, a)) for a in ("estimate", "se", "tau2"))
    threshold = check_interval("threshold", threshold)
    cl = check_confidence_level(confidence_level)
    if target is not None:
        target = check_probability("target", target)
    z = float(special.ndtri(0.5 + cl / 2.0))
    sgn = 1.0 if est >= threshold else -1.0
    gap = sgn * (est - threshold)
    w0 = 1.0 / se**2

    def upd_se(n: float) -> float:
        if n == 0:
            return se
        v = 2.0 / n + est * est / (4.0 * n)
        return 1.0 / math.sqrt(w0 + 1.0 / (v + tau2))

    def prob(n: float) -> float:
        if n == 0:
            return float(gap - z * se > 0)
        v = 2.0 / n + est * est / (4.0 * n)
        w1 = 1.0 / (v + tau2)
        spread = w1 / (w0 + w1) * math.sqrt(se * se + tau2 + v)
        return float(special.ndtr((gap - z * upd_se(n)) / spread))

    def ok(n: int) -> bool:
        return (gap - z * upd_se(n) > 0) if target is None else prob(n) >= target

    if gap - z * se > 0 and target is None:
        n = 0  # the current meta-analysis already excludes the threshold
    elif ok(2):
        n = 2
    else:
        hi = 4
        while not ok(hi):
            hi *= 2
            if hi > 2**30:
                lim = 1.0 / math.sqrt(w0 + (1.0 / tau2 if tau2 > 0 else np.inf))
                raise ValueError(
                    f"no single trial makes the meta-analysis exclude {threshold:g}: with tau2 = {tau2:g} "
                    "a new "
                    f"trial adds at most weight 1/tau2, so the pooled SE cannot fall below {lim:.4g}. Plan "
                    "several trials or reconsider the threshold."
                )
        lo = hi // 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if ok(mid) else (mid, hi)
        n = hi
    return UpdateResult(
        n_per_arm=n,
        updated_se=upd_se(n),
        probability=prob(n),
        threshold=threshold,
        estimate=est,
        se=se,
        tau2=tau2,
        confidence_level=cl,
        criterion="expected" if target is None else "probability",
        provenance=make_provenance(
            "n_for_conclusive_update",
            {"threshold": threshold, "confidence_level": cl, "target": target, "outcome_sd": outcome_sd},
            [est, se, tau2],
        ),
    )


def _scale_row(instrument: str, scales: pd.DataFrame | None) -> pd.Series:
    if scales is None:
        from ..datasets import load_dataset

        scales = load_dataset("outcome_scales")
    hit = scales[scales["instrument"] == instrument]
    if hit.empty:
        raise DataError(
            f"instrument {instrument!r} is not in outcome_scales; known: "
            f"{sorted(map(str, scales['instrument']))}.{did_you_mean(instrument, scales['instrument'].astype(str))}"
        )
    return hit.iloc[0]


def mcid_effect_size(
    instrument: str, sd: float, *, mcid: float | None = None, scales: pd.DataFrame | None = None
) -> float:
    """The MCID of ``instrument`` as a standardised effect: ``mcid / sd`` (positive = a worthwhile benefit).

    ``mcid`` defaults to the ``outcome_scales`` value; ``sd`` is the between-participant SD of the
    instrument in the population to be studied.

    Examples
    --------
    >>> mcid_effect_size("NPRS", 2.0, mcid=1.5, scales=pd.DataFrame({"instrument": ["NPRS"],
    ...                  "mcid": [float("nan")], "higher_is_better": [False]}))
    0.75
    """
    sd = check_interval("sd", sd, 0.0, None, low_inclusive=False)
    if mcid is None:
        row = _scale_row(instrument, scales)
        value = row.get("mcid")
        if value is None or pd.isna(value):
            raise DataError(f"outcome_scales has no MCID for {instrument!r}; pass mcid= with a cited value.")
        mcid = float(value)
    mcid = check_interval("mcid", mcid, 0.0, None, low_inclusive=False)
    return mcid / sd


def to_scale_units(
    effect_size: float, sd: float, instrument: str | None = None, *, scales: pd.DataFrame | None = None
) -> float:
    """A standardised benefit in scale units: ``effect_size * sd``, signed as the instrument improves.

    With ``instrument`` a positive ``effect_size`` (a benefit) becomes a negative difference on scales
    where lower is better (pain, WOMAC), using ``outcome_scales.higher_is_better``.

    Examples
    --------
    >>> sc = pd.DataFrame({"instrument": ["NPRS"], "mcid": [float("nan")], "higher_is_better": [False]})
    >>> to_scale_units(0.5, 2.0, "NPRS", scales=sc)
    -1.0
    """
    sd = check_interval("sd", sd, 0.0, None, low_inclusive=False)
    sign = 1.0
    if instrument is not None:
        sign = 1.0 if bool(_scale_row(instrument, scales)["higher_is_better"]) else -1.0
    return sign * float(effect_size) * sd


def to_effect_size(
    difference: float, sd: float, instrument: str | None = None, *, scales: pd.DataFrame | None = None
) -> float:
    """Inverse of :func:`to_scale_units`: a difference in scale units as a standardised benefit."""
    sd = check_interval("sd", sd, 0.0, None, low_inclusive=False)
    sign = 1.0
    if instrument is not None:
        sign = 1.0 if bool(_scale_row(instrument, scales)["higher_is_better"]) else -1.0
    return sign * float(difference) / sd
