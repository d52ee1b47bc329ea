"""``grade_profile()``: the five GRADE domains for one outcome, computed where they can be, with reasons.

Each domain is rated by a stated rule from the numbers the fit already holds; every downgrade carries the rule
and its numbers in ``reason``. Rules operationalise the GRADE guidance (thresholds are ours where GRADE asks
for judgement, and are printed with each rating so a reviewer can overrule them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._display import Summary, fmt_num
from ..exceptions import DataError
from ..provenance import Provenance, make_provenance
from ..validators import check_option

__all__ = ["grade_profile", "GradeProfile", "CERTAINTY"]

#: certainty levels from 4 (high) down to 1 (very low)
CERTAINTY = {4: "high", 3: "moderate", 2: "low", 1: "very low"}
_RATING = {0: "not serious", 1: "serious", 2: "very serious"}
DOMAINS = ("risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias")
#: risk of bias: share of the meta-analytic weight from trials at high risk (RoB 2 overall judgement)
ROB_HIGH_SERIOUS, ROB_HIGH_VERY_SERIOUS, ROB_NOT_LOW_SERIOUS = 0.25, 0.50, 0.50
#: inconsistency: I² bands of the Cochrane Handbook (section 10.10.2): 50 % substantial, 75 % considerable
I2_SERIOUS, I2_VERY_SERIOUS = 50.0, 75.0
PUBLICATION_BIAS_MIN_K, EGGER_ALPHA = 10, 0.10


@dataclass(frozen=True, eq=False)
class GradeProfile:
    """A GRADE evidence profile for one outcome.

    Attributes
    ----------
    outcome : str
    domains : DataFrame
        ``domain, rating, downgrade, reason`` for the five domains (``downgrade`` 0, 1 or 2 levels).
    certainty : str
        ``high``, ``moderate``, ``low`` or ``very low``.
    start : str
        Starting level (``high`` for randomised trials).
    k, participants : int, float
    estimate, ci_low, ci_high, confidence_level : float
    measure, instrument, units : str or None
    mcid, ois : float or None
    comparison_group : str or None
        The comparison group's typical value (for the SoF "absolute effect" column), as given.
    reexpressed : tuple or None
        ``(instrument, sd)`` to re-express an SMD in the most familiar instrument's points.
    provenance : Provenance
    """

    outcome: str
    domains: pd.DataFrame
    certainty: str
    start: str
    k: int
    participants: float
    estimate: float
    ci_low: float
    ci_high: float
    confidence_level: float
    measure: str | None = None
    instrument: str | None = None
    units: str | None = None
    mcid: float | None = None
    ois: float | None = None
    comparison_group: str | None = None
    reexpressed: tuple | None = None
    notes: tuple = field(default_factory=tuple)
    provenance: Provenance | None = None

    @property
    def downgrades(self) -> int:
        """Total levels rated down."""
        return int(self.domains["downgrade"].sum())

    def footnotes(self) -> list[str]:
        """One footnote per downgraded domain: the domain, its rating and the reason."""
        d = self.domains[self.domains["downgrade"] > 0]
        return [f"{r.domain.capitalize()} ({r.rating}, -{r.downgrade}): {r.reason}" for r in d.itertuples()]

    def to_frame(self) -> pd.DataFrame:
        """The domains table with the outcome and certainty repeated (tidy)."""
        df = self.domains.copy()
        df.insert(0, "outcome", self.outcome)
        df["certainty"] = self.certainty
        return df

    def summary(self) -> Summary:
        """The profile as a display object."""
        header = [("Outcome", self.outcome), ("Trials (participants)", f"{self.k} ({_count(self.participants)})"),
                  ("Effect", f"{self.measure or 'effect'} {fmt_num(self.estimate, 2)} "
                             f"[{fmt_num(self.ci_low, 2)}, {fmt_num(self.ci_high, 2)}]"),
                  ("Certainty", f"{self.certainty} (start: {self.start}, rated down {self.downgrades})")]
        return Summary(title=f"GRADE evidence profile: {self.outcome}", header=header,
                       tables=[("Domains", self.domains.set_index("domain"))], notes=list(self.notes))

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def _benefit_sign(meta: Any) -> tuple[float, str]:
    """Which sign of the pooled effect is a benefit: the data's orientation, else the instrument's direction."""
    favours = getattr(meta, "favours", None)
    if favours:
        return 1.0, f"positive effects favour {favours} (the data's orientation)"
    instrument = getattr(meta, "instrument", None)
    if instrument:
        from ..datasets import load_dataset

        sc = load_dataset("outcome_scales").set_index("instrument")
        if instrument in sc.index:
            up = bool(sc.loc[instrument, "higher_is_better"])
            return (1.0 if up else -1.0), (f"effects are group 1 minus group 2 on {instrument}, where "
                                           f"{'higher' if up else 'lower'} is better (outcome_scales)")
    return 1.0, "positive effects taken as a benefit (no orientation or instrument recorded; pass direction=)"


def _count(x: float) -> str:
    """A participant count for display: whole numbers as such, derived (fractional) ones to one decimal."""
    return "NA" if x is None or math.isnan(x) else (f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}")


def _judgements(risk_of_bias: Any, labels: list[str]) -> dict[str, str]:
    """Overall RoB 2 judgement per trial, matched to the analysed trials exactly."""
    from ..figures.rob import normalise_rob  # the one RoB 2 vocabulary (pandas only; no pyplot at import)

    if isinstance(risk_of_bias, Mapping):
        frame = pd.DataFrame({"study": list(risk_of_bias), "Overall": list(risk_of_bias.values())})
    elif isinstance(risk_of_bias, pd.Series):
        frame = pd.DataFrame({"study": risk_of_bias.index.astype(str), "Overall": risk_of_bias.to_numpy()})
    elif isinstance(risk_of_bias, pd.DataFrame):
        frame = risk_of_bias
    else:
        raise TypeError("risk_of_bias must be a mapping study -> overall judgement, a Series, a RoB 2 "
                        "DataFrame, or the reviewer's rating 'not serious'/'serious'/'very serious'; got "
                        f"{type(risk_of_bias).__name__}.")
    norm = normalise_rob(frame)
    if "Overall" not in norm.columns:
        raise DataError("risk_of_bias needs an 'Overall' RoB 2 judgement per trial (column 'Overall').")
    missing = [s for s in labels if s not in norm.index]
    extra = [s for s in norm.index if s not in labels]
    if missing or extra:
        raise DataError(
            "risk_of_bias does not match the trials of the analysis: "
            + (f"no judgement for {missing}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"judgements for trials not analysed {extra}" if extra else "")
            + f". The analysed trials are {labels}."
        )
    return {s: str(norm.loc[s, "Overall"]) for s in labels}


def _rob(judgements: dict[str, str], labels: list[str], weights: np.ndarray) -> tuple[int, str]:
    w = weights / weights.sum()
    high = float(sum(wi for s, wi in zip(labels, w) if judgements[s] == "high"))
    not_low = float(sum(wi for s, wi in zip(labels, w) if judgements[s] != "low"))
    nums = (f"{100 * high:.1f}% of the weight from trials at high risk, {100 * not_low:.1f}% from trials not "
            "at low risk (RoB 2 overall")
    if any(judgements[s] == "no information" for s in labels):
        nums += "; 'no information' counted as not low"
    nums += ")"
    if high >= ROB_HIGH_VERY_SERIOUS:
        return 2, f"{nums}; rule: high-risk weight >= {100 * ROB_HIGH_VERY_SERIOUS:g}% -> very serious."
    if high >= ROB_HIGH_SERIOUS or not_low >= ROB_NOT_LOW_SERIOUS:
        return 1, (f"{nums}; rule: high-risk weight >= {100 * ROB_HIGH_SERIOUS:g}% or not-low weight >= "
                   f"{100 * ROB_NOT_LOW_SERIOUS:g}% -> serious.")
    return 0, (f"{nums}; below the thresholds ({100 * ROB_HIGH_SERIOUS:g}% high, "
               f"{100 * ROB_NOT_LOW_SERIOUS:g}% not low) -> not serious.")


def _overlap_all(yi: np.ndarray, vi: np.ndarray, z: float) -> bool:
    lo, hi = yi - z * np.sqrt(vi), yi + z * np.sqrt(vi)
    return bool(np.max(lo) <= np.min(hi))


def _inconsistency(meta: Any, mcid: float | None) -> tuple[int, str]:
    if meta.k < 2:
        return 0, "not assessable: a single trial."
    from scipy import special

    z = float(special.ndtri(0.5 + meta.confidence_level / 2))
    overlap = _overlap_all(np.asarray(meta.yi), np.asarray(meta.vi), z)
    pi_null = meta.pi_low < 0 < meta.pi_high
    nums = (f"I2 = {meta.i2:.1f}%, Q p = {meta.q_p_value:.3g}, prediction interval [{meta.pi_low:.2f}, "
            f"{meta.pi_high:.2f}], trial CIs {'all overlap' if overlap else 'do not all overlap'}")
    if mcid is not None:
        both = meta.pi_low <= -mcid and meta.pi_high >= mcid
        nums += f", PI {'spans' if both else 'does not span'} both -MCID and +MCID ({mcid:g})"
    if meta.i2 >= I2_VERY_SERIOUS and not overlap and pi_null:
        return 2, (f"{nums}; rule: I2 >= {I2_VERY_SERIOUS:g}%, non-overlapping CIs and a PI including no "
                   "effect -> very serious.")
    if meta.i2 >= I2_SERIOUS and (not overlap or pi_null):
        return 1, (f"{nums}; rule: I2 >= {I2_SERIOUS:g}% with non-overlapping CIs or a PI including no "
                   "effect -> serious.")
    return 0, f"{nums}; rule: I2 < {I2_SERIOUS:g}% or consistent direction and overlapping CIs -> not serious."


def _imprecision(lo: float, hi: float, sign: float, mcid: float | None, n: float | None,
                 ois: float | None) -> tuple[int, str]:
    b_lo, b_hi = sorted((sign * lo, sign * hi))  # the CI in benefit units (positive = benefit)
    points = 0
    parts = [f"CI in benefit units [{b_lo:.2f}, {b_hi:.2f}]"]
    if mcid is not None:
        if b_lo <= -mcid and b_hi >= mcid:
            points += 2
            parts.append(f"includes both an important benefit (>= {mcid:g}) and an important harm "
                         f"(<= -{mcid:g}) (2 levels)")
        elif (b_lo < 0 < b_hi) or (b_lo < mcid < b_hi) or (b_lo < -mcid < b_hi):
            points += 1
            crossed = [name for name, thr in (("no effect", 0.0), ("the MCID", mcid), ("-MCID", -mcid))
                       if b_lo < thr < b_hi]
            parts.append("crosses " + " and ".join(crossed) + " (1 level)")
        else:
            parts.append(f"crosses neither no effect nor the MCID ({mcid:g})")
    elif b_lo < 0 < b_hi:
        points += 1
        parts.append("includes no effect (1 level; no MCID given)")
    else:
        parts.append("excludes no effect (no MCID given)")
    if ois is not None and n is not None:
        if n < ois:
            points += 1
            parts.append(f"{_count(n)} participants < OIS {ois:.1f} (1 level)")
        else:
            parts.append(f"{_count(n)} participants >= OIS {ois:.1f}")
    else:
        parts.append("OIS not assessed (give ois= and participants=, or a TSAResult)")
    down = min(points, 2)
    rule = ("rule: one level for a CI crossing a threshold (0 or +-MCID), two for spanning both important "
            "benefit and harm, one for fewer participants than the OIS; at most two.")
    return down, "; ".join(parts) + "; " + rule


def _publication_bias(meta: Any, override: str | None) -> tuple[int, str]:
    if override is not None:
        check_option("publication_bias", override, ("undetected", "suspected", "strongly suspected"))
        d = {"undetected": 0, "suspected": 1, "strongly suspected": 2}[override]
        return d, f"{override} (judgement supplied by the user)."
    if meta.k < PUBLICATION_BIAS_MIN_K:
        return 0, (f"not assessable: k = {meta.k} < {PUBLICATION_BIAS_MIN_K} trials, too few for funnel-plot "
                   "tests (not downgraded; stated).")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eg = meta.egger_test()
    if eg.p_value < EGGER_ALPHA:
        return 1, f"Egger regression test p = {eg.p_value:.3g} < {EGGER_ALPHA:g} -> suspected."
    return 0, f"Egger regression test p = {eg.p_value:.3g} >= {EGGER_ALPHA:g}: no funnel asymmetry detected."


def grade_profile(
    result: Any,
    *,
    risk_of_bias: Any,
    indirectness: str = "no",
    mcid: float | None = None,
    outcome: str = "outcome",
    participants: float | None = None,
    ois: float | None = None,
    direction: str | None = None,
    indirectness_reason: str = "",
    publication_bias: str | None = None,
    start: str = "high",
    comparison_group: str | None = None,
    reexpress: tuple | None = None,
) -> GradeProfile:
    """Rate the certainty of the evidence for one outcome in the five GRADE domains.

    Parameters
    ----------
    result : TSAResult or MetaAnalysisResult
        With a :class:`~retrostats.decision.TSAResult`, the OIS is its required information size, the
        participants its total, the MCID ``|delta|`` and the direction of benefit its own.
    risk_of_bias : mapping, Series, DataFrame or {"not serious", "serious", "very serious"}
        The RoB 2 overall judgement of every analysed trial (``low``, ``some concerns``, ``high``), keyed
        by the trial labels; a RoB 2 frame needs an ``Overall`` column. The domain is then rated from the
        weight of trials at high / not-low risk. A rating string instead is the reviewer's own judgement of
        the domain, recorded as such.
    indirectness : {"no", "serious", "very serious"}
        The reviewer's judgement (GRADE cannot compute it); ``indirectness_reason`` explains it.
    mcid : float, optional
        Minimal important difference (a positive magnitude on the effect's scale).
    outcome : str
    participants, ois : float, optional
        Total participants and optimal information size (with a MetaAnalysisResult).
    direction : {"positive", "negative"}, optional
        Which sign of the effect is a benefit (default: the TSA's; else the data's orientation, else the
        instrument's direction in ``outcome_scales``, else positive; stated in ``notes``).
    publication_bias : {"undetected", "suspected", "strongly suspected"}, optional
        Override the computed rating.
    start : {"high", "low"}
        High for randomised trials, low for observational studies.
    comparison_group : str, optional
        The comparison group's typical value, shown in the SoF table (e.g. ``"mean 5.2 points"``).
    reexpress : (str, float), optional
        Instrument and its SD to re-express an SMD in that instrument's points.

    Returns
    -------
    GradeProfile
        ``domains`` (``domain, rating, downgrade, reason``) and ``certainty``.

    Raises
    ------
    DataError
        Judgements that do not match the analysed trials, a non-positive MCID.

    Notes
    -----
    Rules (each printed in ``reason``): **risk of bias** -- RoB 2 overall judgements weighted by the trials'
    meta-analytic weights; serious when trials at high risk carry >= 25 % of the weight or trials not at low
    risk >= 50 %, very serious when high-risk trials carry >= 50 % (GRADE guidelines 4: rate down when the
    trials contributing most weight are at risk). **Inconsistency** -- serious when I² >= 50 % with
    non-overlapping trial CIs or a prediction interval including no effect; very serious when I² >= 75 %
    with both (GRADE guidelines 7; Handbook I² bands). **Imprecision** -- one level when the CI crosses no
    effect or the MCID, two when it includes both important benefit and harm, one when the participants fall
    short of the OIS, at most two (GRADE guidelines 6). **Publication bias** -- Egger's test at p < 0.10 when
    k >= 10, otherwise "not assessable" (stated, not downgraded). Certainty starts at ``start`` and drops one
    level per downgrade, never below very low. Validated by boundary-case tests of every rule
    (``tests/test_decision_grade.py``).

    References
    ----------
    Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines 6. Rating the quality of evidence --
    imprecision. J Clin Epidemiol 64(12):1283-1293. doi:10.1016/j.jclinepi.2011.01.012
    Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines: 7. Rating the quality of evidence --
    inconsistency. J Clin Epidemiol 64(12):1294-1302. doi:10.1016/j.jclinepi.2011.03.017
    Schünemann H, Brożek J, Guyatt G, Oxman A (eds.) (2013). GRADE Handbook, section 5.
    https://gdt.gradepro.org/app/handbook/handbook.html

    Examples
    --------
    >>> import pandas as pd, retrostats as rs
    >>> d = pd.DataFrame({"study_id": ["a", "b", "c"], "yi": [-0.9, -0.5, -0.7], "vi": [0.09, 0.05, 0.04],
    ...                   "n": [40, 80, 100], "measure": "SMD"})
    >>> tsa = rs.trial_sequential_analysis(d, delta=-0.5)
    >>> p = rs.grade_profile(tsa, risk_of_bias={"a": "high", "b": "low", "c": "low"}, outcome="pain")
    >>> p.certainty, p.domains["downgrade"].tolist()
    ('moderate', [0, 0, 0, 1, 0])
    """
    check_option("indirectness", indirectness, ("no", "serious", "very serious"))
    check_option("start", start, ("high", "low"))
    notes: list[str] = []
    is_tsa = hasattr(result, "required_information_size")
    if direction is not None:
        check_option("direction", direction, ("positive", "negative"))
    meta = result.meta_analysis() if is_tsa else result
    if not hasattr(meta, "i2") or not hasattr(meta, "weights"):
        raise TypeError("result must be a TSAResult or a MetaAnalysisResult.")
    if is_tsa:
        participants = result.total_n if participants is None else participants
        ois = result.required_information_size if ois is None else ois
        mcid = abs(result.delta) if mcid is None else mcid
        sign = float(result.benefit_sign)
        if direction is not None:
            if (direction == "positive") != (sign > 0):
                raise DataError(
                    f"direction={direction!r} contradicts the trial sequential analysis, whose benefit is "
                    f"{'positive' if sign > 0 else 'negative'} (its delta {result.delta:g}); leave direction out "
                    "(the TSA's is used) or run the TSA with the benefit's sign."
                )
    else:
        if direction is not None:
            sign = -1.0 if direction == "negative" else 1.0
        else:
            sign, how = _benefit_sign(meta)
            notes.append(how)
    if mcid is not None:
        mcid = float(mcid)
        if not (math.isfinite(mcid) and mcid > 0):
            raise DataError(f"mcid must be a positive magnitude; got {mcid!r}.")
    labels = [str(s) for s in meta.labels]
    rows = []
    if isinstance(risk_of_bias, str):  # the reviewer's own rating of the domain, as for indirectness
        check_option("risk_of_bias", risk_of_bias, ("not serious", "serious", "very serious"))
        judg: Any = risk_of_bias
        d = {"not serious": 0, "serious": 1, "very serious": 2}[risk_of_bias]
        why = ("judgement supplied by the user for the body of evidence (not computed from per-trial RoB 2 "
               "judgements; pass a mapping trial -> overall judgement to compute it).")
    else:
        judg = _judgements(risk_of_bias, labels)
        d, why = _rob(judg, labels, np.asarray(meta.weights, dtype=float))
    rows.append(("risk of bias", d, why))
    d, why = _inconsistency(meta, mcid)
    rows.append(("inconsistency", d, why))
    d = {"no": 0, "serious": 1, "very serious": 2}[indirectness]
    rows.append(("indirectness", d, (indirectness_reason or "judgement supplied by the user") + "."))
    d, why = _imprecision(meta.ci_low, meta.ci_high, sign, mcid, participants, ois)
    rows.append(("imprecision", d, why))
    d, why = _publication_bias(meta, publication_bias)
    rows.append(("publication bias", d, why))
    domains = pd.DataFrame({"domain": [r[0] for r in rows], "rating": [_RATING[r[1]] for r in rows],
                            "downgrade": [int(r[1]) for r in rows], "reason": [r[2] for r in rows]})
    domains["rating"] = domains["rating"].astype(object)
    if meta.k < PUBLICATION_BIAS_MIN_K and publication_bias is None:
        domains.loc[4, "rating"] = "not assessable"
    if meta.k < 2:
        domains.loc[1, "rating"] = "not assessable"
    level = max(1, (4 if start == "high" else 2) - int(domains["downgrade"].sum()))
    return GradeProfile(
        outcome=outcome, domains=domains, certainty=CERTAINTY[level], start=start, k=int(meta.k),
        participants=float(participants) if participants is not None else math.nan,
        estimate=float(meta.estimate), ci_low=float(meta.ci_low), ci_high=float(meta.ci_high),
        confidence_level=float(meta.confidence_level), measure=getattr(meta, "measure", None),
        instrument=getattr(result, "instrument", None) or getattr(meta, "instrument", None), mcid=mcid, ois=ois,
        comparison_group=comparison_group, reexpressed=tuple(reexpress) if reexpress is not None else None,
        notes=tuple(notes),
        provenance=make_provenance(
            "grade_profile", {"indirectness": indirectness, "mcid": mcid, "ois": ois, "start": start,
                              "publication_bias": publication_bias, "risk_of_bias": judg},
            np.asarray(meta.yi, dtype=float), np.asarray(meta.vi, dtype=float)),
    )
