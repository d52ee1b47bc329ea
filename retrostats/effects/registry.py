"""From the registry (``retro_arms``, ``retro_contrasts``) to analysis-ready effect sizes, one row per trial.

For a chosen outcome and comparison, :func:`registry_effect_sizes` takes each trial's published numbers by
the first route that works and records it, or says why the trial cannot be used:

1. ``final_values``: post-intervention mean, SD and n in both arms (SDs from SE/CI, means and SDs from
   medians when needed, several arms of one kind combined with the Cochrane formula);
2. ``change_scores``: mean change and its SD in both arms (SD of change from SE, or from baseline and final
   SDs with an assumed r);
3. ``contrast``: a between-arm result: t or F, an exact p-value with the direction taken from the mean
   difference or the arm means, a mean difference with its CI or exact p.

Examples
--------
>>> import pandas as pd
>>> arms = pd.DataFrame({
...     "study_id": "chen2021", "arm": ["retro"] * 3 + ["control"] * 3, "outcome": "pain",
...     "instrument": "NPRS", "timepoint": "post", "week": 4.0,
...     "statistic": ["n", "mean", "sd"] * 2, "value": [16, 1.56, 0.63, 16, 2.25, 0.86]})
>>> es = registry_effect_sizes(arms, outcome="pain", measure="MD")
>>> es[["study_id", "route", "yi"]].round(2)
   study_id         route    yi
0  chen2021  final_values  0.69
"""

from __future__ import annotations

import json
import re
import warnings
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from .. import convert
from ..datasets import load_dataset
from ..exceptions import DataError, DataWarning
from ..kernels import escalc as K
from ..measures import get_measure, measure_codes
from ..validators import check_confidence_level, check_option, did_you_mean
from .derivation import format_number as _g
from .derivation import step as _step
from .escalc import effect_sizes
from .harmonise import check_smd_mixing, harmonise_direction, rescale_factor
from .routes import (
    Arm,
    Sizes,
    at_week,
    checked,
    combine_sides,
    contrast_route,
    direction_hint,
    drop_flagged,
    equals,
    md_from_arms,
    records,
)

__all__ = ["registry_effect_sizes", "ROUTES"]

ROUTES = ("final_values", "change_scores", "contrast", "none")
_ARM_KINDS = ("retro", "forward", "control", "retro_plus", "other")
_ARM_RAW = ("study_id", "arm", "instrument", "timepoint", "statistic", "change_convention", "ambiguous")
_CON_RAW = ("study_id", "instrument", "statistic", "relation", "value")
_TEXT = (
    "study_id",
    "comparison",
    "outcome",
    "instrument",
    "route",
    "reason",
    "basis",
    "measure",
    "favours",
    "direction_known",
    "ambiguous",
    "derivation",
)
_COLUMNS = [
    "study_id",
    "comparison",
    "outcome",
    "instrument",
    "week",
    "route",
    "usable",
    "reason",
    "basis",
    "n1",
    "m1",
    "sd1",
    "n2",
    "m2",
    "sd2",
    "yi",
    "vi",
    "sei",
    "ci_low",
    "ci_high",
    "measure",
    "favours",
    "direction_known",
    "ambiguous",
    "derivation",
    "doi",
    "registration",
]


def registry_effect_sizes(
    arms: pd.DataFrame | None = None,
    contrasts: pd.DataFrame | None = None,
    *,
    outcome: str,
    comparison: str = "retro vs control",
    measure: str = "SMD",
    timepoint: str = "post",
    week: float | None = None,
    instrument: str | None = None,
    target_instrument: str | None = None,
    ri: float = 0.5,
    mean_method: str = "luo",
    sd_method: str = "wan",
    scales: pd.DataFrame | None = None,
    confidence_level: float = 0.95,
    include_flagged: bool = False,
) -> pd.DataFrame:
    """Effect sizes for one outcome and comparison from the registry, with the route taken per trial.

    Parameters
    ----------
    arms, contrasts : DataFrame, optional
        Frames in the ``retro_arms`` / ``retro_contrasts`` schema (default: the shipped datasets). When
        ``contrasts`` is omitted and ``arms`` comes from :func:`retrostats.merge_extraction`, the merged
        between-arm results it carries (``arms.attrs["merged_sources"]``) are used, or the shipped
        ``retro_contrasts`` when ``arms`` has the registry's rows (an ``origin`` column).
    outcome : str
        Outcome code, e.g. ``"pain"``, ``"disability"``, ``"quadriceps_strength"``.
    comparison : str
        ``"A vs B"`` with arm kinds ``retro, forward, control, retro_plus, other``; arms ``retro1, retro2``
        count as ``retro`` and are combined. Positive effects favour A after harmonisation.
    measure : str
        A two-group measure of :mod:`retrostats.measures` (``MD, SMD, SMDH, ROM`` built in) for the
        arm-level routes; contrast routes give ``MD`` or ``SMD`` only.
    timepoint, week : which follow-up (default: the latest week at ``timepoint`` per trial).
    instrument : str, optional
        Use only this instrument; default: per trial, the first instrument with a usable route (listed
        instruments of ``outcome_scales`` first).
    target_instrument : str, optional
        For ``MD``: rescale each trial's scores to this instrument (e.g. ``VAS_100`` to ``VAS_10``).
    ri : float
        Correlation assumed between baseline and follow-up when an SD of change must be imputed.
    mean_method, sd_method : conversion methods for medians (see :mod:`retrostats.convert`).
    scales : DataFrame, optional
        ``outcome_scales`` (default: the shipped one) for direction and rescaling.
    confidence_level : float
    include_flagged : bool
        Use registry rows that carry a ``flag`` (``implausible``, ``direction_conflict``; see the ``retro_arms``
        card). By default they are left out and the trial's ``reason`` says so.

    Returns
    -------
    DataFrame
        One row per trial with numbers for the outcome: ``study_id, comparison, outcome, instrument, week,
        route`` (one of :data:`ROUTES`), ``usable``, ``reason`` (why not, or notes), ``basis`` (``final``,
        ``change``, ``contrast``), the arm summaries used ``n1, m1, sd1, n2, m2, sd2``, ``yi, vi, sei,
        ci_low, ci_high, measure``, ``favours``, ``direction_known``, ``ambiguous`` (a value used is flagged
        ambiguous in the registry), ``derivation`` (JSON steps) and ``doi``, ``registration`` (from
        ``retro_trials`` or the ``trials`` given to :func:`retrostats.merge_extraction`), with which
        :func:`retrostats.meta_analysis` refuses one trial pooled under two study ids.

    Raises
    ------
    DataError
        An outcome, comparison arm or instrument that the data do not have (with "did you mean").

    Warns
    -----
    DataWarning
        When standardized differences from change scores and final values are mixed.
    """
    check_option("measure", measure, [c for c in measure_codes(family="two-group") if get_measure(c).kernel])
    check_option("timepoint", timepoint, ("post", "followup"))
    check_option("mean_method", mean_method, convert.MEAN_METHODS)
    check_option("sd_method", sd_method, convert.SD_METHODS)
    cl = check_confidence_level(confidence_level)
    if not -1 < float(ri) < 1:
        raise ValueError(f"ri must lie in (-1, 1); got {ri!r}.")
    m = re.match(r"^(\w+?) vs (\w+?)$", comparison)
    if not m:
        raise ValueError(f"comparison must look like 'retro vs control'; got {comparison!r}.")
    kind_a, kind_b = m.group(1), m.group(2)
    for kind in (kind_a, kind_b):
        if kind not in _ARM_KINDS:
            raise DataError(
                f"comparison {comparison!r}: {kind!r} is not an arm kind; use {', '.join(_ARM_KINDS)}."
                f"{did_you_mean(kind, _ARM_KINDS)}"
            )
    shipped = arms is None
    arms = load_dataset("retro_arms") if shipped else arms
    sources = arms.attrs.get("merged_sources")
    if contrasts is None and sources is not None:
        contrasts = sources.contrasts  # merge_extraction(): the merged between-arm results
    elif contrasts is None and "origin" in arms.columns and (arms["origin"] == "registry").any():
        contrasts = load_dataset("retro_contrasts")  # the registry's rows keep their between-arm results
    if contrasts is None:
        contrasts = (
            load_dataset("retro_contrasts")
            if shipped
            else pd.DataFrame(
                columns=[
                    "study_id",
                    "comparison",
                    "outcome",
                    "instrument",
                    "week",
                    "statistic",
                    "relation",
                    "value",
                ]
            )
        )
    for name, frame, cols in (
        (
            "arms",
            arms,
            ("study_id", "arm", "outcome", "instrument", "timepoint", "week", "statistic", "value"),
        ),
        (
            "contrasts",
            contrasts,
            ("study_id", "comparison", "outcome", "instrument", "week", "statistic", "relation", "value"),
        ),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataError(f"{name} lacks column(s) {missing} of the registry schema.")
    _check_known("outcome", outcome, set(arms["outcome"].dropna()) | set(contrasts["outcome"].dropna()))
    a, flagged_a = drop_flagged(arms[arms["outcome"] == outcome], include_flagged)
    c, flagged_c = drop_flagged(
        contrasts[(contrasts["outcome"] == outcome) & (contrasts["comparison"] == comparison)], include_flagged
    )
    flagged = {k: v for d in (flagged_a, flagged_c) for k, v in d.items()}
    scale_names = _shipped_scale_names() if scales is None else set(scales["instrument"])
    if instrument is not None:
        have = set(a["instrument"].dropna()) | set(c["instrument"].dropna())
        _check_known("instrument", instrument, have, f" for outcome {outcome!r}", scale_names)
    rows = []
    # split once into plain rows per study (pandas masks per trial and arm cost far more than the work)
    sa_all = _by_study(records(a, _ARM_RAW, {"week": "week", "value": "value"}))
    sc_all = _by_study(records(c, _CON_RAW, {"week": "week", "fvalue": "value"}))
    codes = _by_study(records(arms, ("study_id", "arm"), {}))
    sizes = Sizes(arms)

    for study in sorted(set(a["study_id"]) | set(c["study_id"]) | set(flagged)):
        sa, sc = sa_all.get(study, []), sc_all.get(study, [])
        arm_codes = {r["arm"] for r in codes.get(study, [])}
        instruments = sorted(
            {r["instrument"] for r in sa} | {r["instrument"] for r in sc}, key=lambda i: (i not in scale_names, i)
        )
        if instrument is not None:
            instruments = [i for i in instruments if i == instrument]
        tried = []
        for ins in instruments:
            row = _one(
                study,
                ins,
                [r for r in sa if equals(r["instrument"], ins)],
                arm_codes,
                sizes,
                [r for r in sc if equals(r["instrument"], ins)],
                kind_a,
                kind_b,
                measure,
                timepoint,
                week,
                ri,
                mean_method,
                sd_method,
            )
            tried.append(row)
            if row["usable"]:
                break
        if not tried:
            tried = [
                dict(
                    study_id=study,
                    instrument=instrument,
                    route="none",
                    usable=False,
                    reason="" if study in flagged else f"no rows for instrument {instrument!r}",
                    derivation="[]",
                )
            ]
        best = tried[-1] if tried[-1]["usable"] else tried[0]
        others = [f"{r['instrument']}: {r['reason']}" for r in tried if r is not best]
        if others and best["usable"]:
            best["reason"] = "; ".join(
                x for x in [best.get("reason", "")] + ["not used " + o for o in others] if x
            )
        if study in flagged:
            note = f"rows flagged {flagged[study]} left out (include_flagged=True uses them)"
            best["reason"] = "; ".join(x for x in (best.get("reason", ""), note) if x)
        rows.append({"comparison": comparison, "outcome": outcome, **best})
    out = pd.DataFrame(rows, columns=_COLUMNS)
    for col in _COLUMNS:  # as .astype({...}) would, but only the columns whose inferred dtype is not the one wanted
        dtype = np.dtype(bool) if col == "usable" else np.dtype(object) if col in _TEXT else np.dtype(float)
        if out[col].dtype != dtype:
            out[col] = out[col].astype(dtype)
    out = _finish(out, measure, target_instrument, scales, kind_a, cl)
    ids = _trial_ids(arms)
    for col in ("doi", "registration"):
        out[col] = pd.Series([ids.get(str(s), {}).get(col) for s in out["study_id"]], index=out.index, dtype=object)
    return out


def _by_study(rows: list[dict]) -> dict[Any, list[dict]]:
    """The rows of each study in their order, as ``frame[frame["study_id"] == study]`` gives them."""
    out: dict[Any, list[dict]] = {}
    for r in rows:
        if not pd.isna(r["study_id"]):
            out.setdefault(r["study_id"], []).append(r)
    return out


def _check_known(what: str, value: str, have: set, where: str = "", known: set | None = None) -> None:
    """An outcome or instrument the data do not have is a typo until shown otherwise: say so."""
    if value in have:
        return
    pool = sorted(map(str, have | (known or set())))
    listed = sorted(map(str, have))
    raise DataError(
        f"{what} {value!r} has no rows in the data{where}; it has {listed}.{did_you_mean(value, pool)}"
    )


def _trial_ids(arms: pd.DataFrame) -> dict[str, dict[str, str]]:
    """study_id -> {doi, registration} from retro_trials, updated by merge_extraction(trials=...)."""
    sources = arms.attrs.get("merged_sources")
    if sources is None or sources.trials is None:
        return _shipped_trial_ids()  # read only
    out = {study: dict(ids) for study, ids in _shipped_trial_ids().items()}
    _add_trial_ids(out, sources.trials)
    return out


@cache
def _shipped_trial_ids() -> dict[str, dict[str, str]]:
    """The shipped retro_trials' ids (read once; callers must not change the dicts)."""
    out: dict[str, dict[str, str]] = {}
    _add_trial_ids(out, load_dataset("retro_trials"))
    return out


@cache
def _shipped_scale_names() -> frozenset:
    return frozenset(load_dataset("outcome_scales")["instrument"])


def _add_trial_ids(out: dict[str, dict[str, str]], *frames: pd.DataFrame) -> None:
    for t in frames:
        for col in ("doi", "registration"):
            if col in t.columns:
                for sid, val in zip(t["study_id"], t[col]):
                    if not pd.isna(val):
                        out.setdefault(str(sid), {})[col] = str(val)


def _one(
    study, ins, rows, arm_codes, sizes, con, kind_a, kind_b, measure, timepoint, week, ri, mean_method, sd_method
):
    base = dict(study_id=study, instrument=ins, usable=False, route="none", basis=None, ambiguous=False)
    post = [r for r in rows if equals(r["timepoint"], timepoint)]
    weeks = [w for w in checked([r["week"] for r in post]) if w == w]
    wk = float(week) if week is not None else (float(max(weeks)) if len(weeks) else np.nan)
    if week is None and not len(post) and len(con):
        cw = [w for w in checked([r["week"] for r in con]) if w == w]
        wk = float(max(cw)) if len(cw) else np.nan
    base["week"] = wk
    sides = []
    for kind in (kind_a, kind_b):
        codes = sorted(x for x in arm_codes if re.fullmatch(rf"{kind}\d*", str(x)))
        arm_rows = [[r for r in rows if equals(r["arm"], code)] for code in codes]
        sides.append([Arm(code, got, wk, timepoint, sizes, study) for code, got in zip(codes, arm_rows)])
    base["ambiguous"] = any(arm.ambiguous for side in sides for arm in side)
    no_arm = (
        "" if sides[0] and sides[1] else f"no {kind_a if not sides[0] else kind_b} arm in the arm-level rows"
    )
    sized = [[arm for arm in side if arm.n == arm.n] for side in sides]
    for basis, getter in (
        []
        if no_arm
        else (
            ("final", lambda arm: arm.final(mean_method, sd_method)),
            ("change", lambda arm: arm.change(ri, mean_method, sd_method)),
        )
    ):
        got = [[getter(arm) for arm in side] for side in sized]
        if all(side and all(x is not None for x in side) for side in got):
            combined = [
                combine_sides([(arm.n, *x) for arm, x in zip(sized[j], got[j])], (kind_a, kind_b)[j])
                for j in range(2)
            ]
            (n1, m1, sd1, st1), (n2, m2, sd2, st2) = combined
            steps = [
                _step(
                    "source",
                    f"{study}: {ins}, {timepoint} week {_g(wk)}; {basis} values; "
                    + "; ".join(f"{arm.code} {arm.n_source}" for s in sized for arm in s),
                )
            ]
            return {
                **base,
                "route": "final_values" if basis == "final" else "change_scores",
                "usable": True,
                "basis": basis,
                "n1": n1,
                "m1": m1,
                "sd1": sd1,
                "n2": n2,
                "m2": m2,
                "sd2": sd2,
                "reason": "",
                "derivation": json.dumps(steps + st1 + st2),
            }
    n1, n2 = (
        sum(arm.n for arm in side) if side and all(arm.n == arm.n for arm in side) else np.nan
        for side in sides
    )
    hint = direction_hint(sides) if not no_arm else np.nan
    if measure in ("MD", "SMD") and len(con):
        cw = con
        if wk == wk:
            checked([r["week"] for r in con])
            cw = [r for r in con if at_week(r["week"], wk)]
        res, why = contrast_route(cw, n1, n2, hint, measure, md_from_arms(sides) if not no_arm else None)
        if res is not None:
            yi, vi, steps = res
            steps = (
                [_step("source", f"{study}: {ins}, week {_g(wk)}; between-arm result, n {_g(n1)} and {_g(n2)}")]
                + [st for side in sides for arm in side for st in arm.size_steps]
                + steps
            )
            return {
                **base,
                "route": "contrast",
                "usable": True,
                "basis": "contrast",
                "n1": n1,
                "n2": n2,
                "yi": yi,
                "vi": vi,
                "reason": "",
                "derivation": json.dumps(steps),
            }
        return {**base, "reason": f"{no_arm}; between-arm result: {why}" if no_arm else why}
    if no_arm:
        return {**base, "reason": f"{no_arm} and no between-arm result"}
    if any(arm.n != arm.n for side in sides for arm in side):
        return {**base, "reason": "arm sizes not reported"}
    stats_seen = sorted({s for side in sides for arm in side for s in arm.post})
    return {
        **base,
        "reason": f"arm statistics {stats_seen or 'none'} at {timepoint} give no mean and SD"
        + (f" for measure {measure}" if len(con) else " and there is no between-arm result"),
    }


def _finish(out: pd.DataFrame, measure, target_instrument, scales, kind_a, cl) -> pd.DataFrame:
    arm_rows = out["usable"] & out["basis"].isin(["final", "change"])
    raw = get_measure(measure).rescales_with_instrument  # instrument units: rescaling and mixing matter
    if raw and target_instrument is not None:
        # arm summaries are rescaled before the MD is computed; a published MD (contrast route) directly
        for i in np.flatnonzero(out["usable"].to_numpy()):
            ins = out.at[i, "instrument"]
            if ins == target_instrument:
                continue
            try:
                fct = rescale_factor(ins, target_instrument, scales)
            except ValueError as exc:
                out.loc[i, ["usable", "route", "reason"]] = [False, "none", f"cannot rescale: {exc}"]
                out.loc[i, ["yi", "vi"]] = np.nan
                continue
            for col in ("m1", "sd1", "m2", "sd2", "yi"):  # yi is NaN on arm rows (computed below)
                out.at[i, col] = out.at[i, col] * fct
            out.at[i, "vi"] = out.at[i, "vi"] * fct * fct
            steps = json.loads(out.at[i, "derivation"]) + [
                _step(
                    "rescale",
                    f"rescaled {ins} to {target_instrument} (x {_g(fct)}) using outcome_scales ranges",
                    factor=fct,
                )
            ]
            out.at[i, "derivation"] = json.dumps(steps)
        arm_rows = out["usable"] & out["basis"].isin(["final", "change"])
    if measure == "ROM":  # a ratio of means needs positive means: mean changes (often < 0) cannot be used
        bad = arm_rows & ~((out["m1"] > 0) & (out["m2"] > 0))
        for i in np.flatnonzero(bad.to_numpy()):
            out.loc[i, ["usable", "route", "reason"]] = [
                False,
                "none",
                f"measure 'ROM' needs positive means; the {out.at[i, 'basis']} values are "
                f"{_g(out.at[i, 'm1'])} and {_g(out.at[i, 'm2'])} (use MD or SMD)",
            ]
        arm_rows = arm_rows & ~bad
    if arm_rows.any():
        sub = out[arm_rows].reset_index()
        es = effect_sizes(
            sub,
            measure=measure,
            m1="m1",
            sd1="sd1",
            n1="n1",
            m2="m2",
            sd2="sd2",
            n2="n2",
            labels="study_id",
            confidence_level=cl,
        )
        for col in ("yi", "vi", "derivation"):
            _put(out, col, sub["index"].to_numpy(), es[col].to_numpy())
    out["measure"] = np.where(
        out["usable"],
        np.where(out["basis"] == "contrast", np.where(measure == "MD", "MD", "SMD"), measure),
        None,
    )
    yi, vi = out["yi"].astype(float).to_numpy(), out["vi"].astype(float).to_numpy()
    sei, lo, hi = K.normal_ci(yi, vi, cl)
    out["yi"], out["vi"], out["sei"], out["ci_low"], out["ci_high"] = yi, vi, sei, lo, hi
    usable = out[out["usable"]]
    if len(usable):
        harm = harmonise_direction(usable, scales=scales, favours=kind_a)
        for col in ("yi", "ci_low", "ci_high", "derivation", "favours", "direction_known"):
            _put(out, col, usable.index.to_numpy(), harm[col].to_numpy())
        check_smd_mixing(out[out["usable"]], stacklevel=4)
        if raw and usable["instrument"].nunique() > 1 and target_instrument is None:
            warnings.warn(
                f"mean differences on different instruments {sorted(usable['instrument'].unique())}; "
                "pass target_instrument= or use an SMD.",
                DataWarning,
                stacklevel=3,
            )
    out["derivation"] = out["derivation"].fillna("[]")
    return out


def _put(out: pd.DataFrame, col: str, at: np.ndarray, values: np.ndarray) -> None:
    """``out.loc[at, col] = values`` for a frame with a RangeIndex, without pandas' cost per ``.loc`` call.

    Only where the values fit the column as they are (same dtype, or an object column); else ``.loc`` does it.
    """
    current = out[col]
    if current.dtype != values.dtype and current.dtype != object:
        out.loc[at, col] = values
        return
    new = current.to_numpy(copy=True)
    new[at] = values
    out[col] = pd.Series(new, index=out.index, dtype=current.dtype)
