"""Routes from a trial's published numbers to arm summaries or a between-arm effect (used by
:func:`retrostats.effects.registry.registry_effect_sizes`).

The names here are public inside the effects wing (the registry module builds on them); they are not part of
the flat ``retrostats`` namespace.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import convert
from ..kernels import escalc as K
from .derivation import format_number as _g
from .derivation import step as _step

__all__ = [
    "Arm",
    "at_week",
    "checked",
    "combine_sides",
    "contrast_route",
    "direction_hint",
    "drop_flagged",
    "equals",
    "md_from_arms",
    "records",
    "Sizes",
]


class _Unreadable:
    """A value that ``astype(float)`` cannot convert; the error is raised where the value is read."""

    def __init__(self, exc: Exception):
        self.exc = exc


def records(frame: pd.DataFrame, raw: tuple[str, ...], floats: dict[str, str]) -> list[dict]:
    """The rows of ``frame`` as dicts: ``raw`` columns as iterating the column gives them, ``floats`` (key ->
    column) as ``frame[column].astype(float)`` gives them. Columns the frame lacks are left out of the dicts.

    Splitting and filtering a few dozen rows as dicts costs microseconds where a DataFrame mask costs a
    fraction of a millisecond. A value that cannot be read as a float raises (:func:`checked`) only where a
    route reads it, as the mask-and-``astype`` code did.
    """
    cols = {key: list(frame[key]) for key in raw if key in frame.columns}
    for key, col in floats.items():
        if col in frame.columns:
            cols[key] = _float_list(frame[col])
    keys = list(cols)
    return [dict(zip(keys, vals)) for vals in zip(*cols.values())] if keys else [{} for _ in range(len(frame))]


def _float_list(col: pd.Series) -> list:
    try:
        return list(col.astype(float))
    except (TypeError, ValueError):  # read each value alone, so only the unreadable ones fail (when read)
        out: list = []
        for i in range(len(col)):
            try:
                out.extend(col.iloc[[i]].astype(float))
            except (TypeError, ValueError) as exc:
                out.append(_Unreadable(exc))
        return out


def checked(values: list) -> list:
    """``values`` (floats from :func:`records`), raising the conversion error of the first unreadable one."""
    for v in values:
        if isinstance(v, _Unreadable):
            raise v.exc
    return values


def equals(x: object, value: object) -> bool:
    """``x == value`` as a pandas column comparison gives it per row (a missing ``x`` is never equal)."""
    if isinstance(x, str):
        return x == value
    return not pd.isna(x) and bool(x is value or x == value)


def at_week(w: float, week: float) -> bool:
    """Whether a row at week ``w`` is at ``week``: a missing ``w`` matches any week, a missing ``week`` matches
    only missing weeks.
    """
    return w != w if week != week else (w == week or w != w)


class Arm:
    """The statistics of one arm (code) for one study/outcome/instrument at the chosen week.

    ``rows`` are that arm's :func:`records` (keys ``timepoint, week, statistic, value`` and, when the frame has
    them, ``change_convention, ambiguous``); ``sizes`` holds the arms' rows with statistic ``n`` over all outcomes
    (read only when no size is printed with the rows themselves).
    """

    def __init__(self, code: str, rows: list[dict], week: float, timepoint: str, sizes: Sizes, study: object):
        self.code = code
        checked([r["week"] for r in rows])
        at = [r for r in rows if equals(r["timepoint"], timepoint) and at_week(r["week"], week)]
        base = [r for r in rows if equals(r["timepoint"], "baseline")]
        self.post = dict(zip([r["statistic"] for r in at], checked([r["value"] for r in at])))
        self.base = dict(zip([r["statistic"] for r in base], checked([r["value"] for r in base])))
        self.sign_steps: list[dict] = []
        if at and "change_convention" in at[0]:
            conv = {r["statistic"]: r["change_convention"] for r in at}
            if conv.get("mean_change") == "pre_minus_post" and "mean_change" in self.post:
                printed = self.post["mean_change"]
                self.post["mean_change"] = -printed
                self.sign_steps.append(_step(
                    "change_sign",
                    f"{code}: the source prints the change as baseline minus follow-up ({_g(printed)}); "
                    f"signed as follow-up minus baseline: {_g(-printed)}",
                    printed=printed,
                ))
        flags = [r["ambiguous"] for part in (at, base) for r in part if "ambiguous" in r]
        self.ambiguous = any(bool(v) for v in flags if not pd.isna(v))
        #: steps that record an arm size derived from the stated allocation (empty when n was printed)
        self.size_steps: list[dict] = []
        self.n, self.n_source = self._size(sizes, study, timepoint)

    def _size(self, sizes, study, timepoint):
        if "n" in self.post:
            return self.post["n"], f"n = {_g(self.post['n'])} at {timepoint}"
        if "n" in self.base:
            return self.base["n"], f"n = {_g(self.base['n'])} at baseline"
        other = sizes.rows(study, self.code)
        derived = [_is_derived(r["derived"]) if "derived" in r else False for r in other]
        printed = [r for r, d in zip(other, derived) if not d]
        if printed:  # a printed size (of any outcome) is preferred over a derived one
            r = sizes.earliest(printed, study, self.code)
            return float(r["value"]), f"n = {_g(float(r['value']))} ({r['outcome']}/{r['instrument']} rows)"
        if any(derived):
            r = other[derived.index(True)]
            n = float(r["value"])
            how = r["derivation"] if "derivation" in r and isinstance(r["derivation"], str) else "see retro_arms"
            self.size_steps.append(_step(
                "n_from_allocation",
                f"{self.code}: n = {_g(n)} DERIVED from the stated total and allocation, not printed: {how}",
                derived=True, n=n,
            ))
            return n, f"n = {_g(n)} (derived from the stated allocation, not printed)"
        return np.nan, "n not reported"

    def final(self, mean_method: str, sd_method: str) -> tuple[float, float, list[dict]] | None:
        """(mean, SD, steps) of the follow-up values, converted as the methods say; None if not derivable."""
        got = _mean_sd(self.post, self.n, "mean", "sd", "se", mean_method, sd_method, self.code)
        return None if got is None else (got[0], got[1], self.size_steps + got[2])

    def change(self, ri: float, mean_method: str, sd_method: str) -> tuple[float, float, list[dict]] | None:
        """(mean change, SD of change, steps), the SD from baseline and follow-up SDs with ``ri`` if needed."""
        got = self._change(ri)
        return None if got is None else (got[0], got[1], self.size_steps + got[2])

    def _change(self, ri: float) -> tuple[float, float, list[dict]] | None:
        if "mean_change" in self.post:
            m, steps = (
                self.post["mean_change"],
                [
                    *self.sign_steps,
                    _step(
                        "mean_change",
                        f"{self.code}: mean change {_g(self.post['mean_change'])} (follow-up minus baseline)",
                    ),
                ],
            )
        elif "mean" in self.post and "mean" in self.base:
            m = self.post["mean"] - self.base["mean"]
            steps = [
                _step(
                    "mean_change",
                    f"{self.code}: mean change = {_g(self.post['mean'])} - {_g(self.base['mean'])}",
                )
            ]
        else:
            return None
        if "sd_change" in self.post:
            return m, self.post["sd_change"], steps
        if "se_change" in self.post and self.n == self.n:
            sd = convert.sd_from_se(self.post["se_change"], self.n)
            return (
                m,
                sd,
                steps
                + [
                    _step(
                        "sd_from_se",
                        f"{self.code}: SD of change {_g(sd)} = SE "
                        f"{_g(self.post['se_change'])} x sqrt({_g(self.n)})",
                    )
                ],
            )
        if "sd" in self.post and "sd" in self.base:
            sd = convert.change_sd(self.base["sd"], self.post["sd"], ri)
            return (
                m,
                sd,
                steps
                + [
                    _step(
                        "assume",
                        f"r = {_g(ri)} assumed between baseline and follow-up",
                        argument="ri",
                        value=ri,
                    ),
                    _step(
                        "change_sd",
                        f"{self.code}: SD of change {_g(sd)} from baseline SD {_g(self.base['sd'])}"
                        f", final SD {_g(self.post['sd'])} and r = {_g(ri)}",
                        r=ri,
                    ),
                ],
            )
        return None


class Sizes:
    """The rows with statistic ``n`` of every study's arms over all outcomes of ``arms`` (split on first use)."""

    _COLUMNS = ("study_id", "arm", "week", "value", "outcome", "instrument", "derived", "derivation")

    def __init__(self, arms: pd.DataFrame):
        self._arms = arms
        self._frame: pd.DataFrame | None = None
        self._by: dict[tuple, list[dict]] = {}

    def rows(self, study: object, code: object) -> list[dict]:
        """The arm's ``n`` rows (raw values, keys as the columns), in the order of the frame."""
        if self._frame is None:
            self._frame = self._arms[self._arms["statistic"] == "n"]
            for r in records(self._frame, self._COLUMNS, {}):
                self._by.setdefault((r["study_id"], r["arm"]), []).append(r)
        return self._by.get((study, code), [])

    def earliest(self, printed: list[dict], study: object, code: object) -> dict | pd.Series:
        """The row ``sort_values("week", na_position="last").iloc[0]`` picks among the arm's printed sizes.

        When the earliest week is shared by several rows (or no week is known), which comes first is left to
        pandas' sort itself, on the frame's rows, so the choice never differs from it.
        """
        weeks = [r["week"] for r in printed]
        known = [w for w in weeks if not pd.isna(w)]
        if known and isinstance(self._arms["week"].dtype, np.dtype) and self._arms["week"].dtype.kind == "f":
            lo = min(known)
            first = [r for r, w in zip(printed, weeks) if not pd.isna(w) and w == lo]
            if len(first) == 1:
                return first[0]
        elif len(printed) == 1:
            return printed[0]
        frame = self._frame
        other = frame[(frame["study_id"] == study) & (frame["arm"] == code)]
        return other[~_derived(other)].sort_values("week", na_position="last").iloc[0]


def _is_derived(v: object) -> bool:
    return bool(v) if isinstance(v, (bool, np.bool_)) else str(v).lower() == "true"


def _derived(rows: pd.DataFrame) -> pd.Series:
    """Boolean mask of rows whose value was derived by the registry build, not printed.

    E.g. an arm size from the stated allocation; all False for frames without a ``derived`` column.
    """
    if "derived" not in rows.columns:
        return pd.Series(False, index=rows.index)
    return rows["derived"].map(_is_derived).astype(bool)


def drop_flagged(frame: pd.DataFrame, include: bool) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rows without a ``flag`` (or all rows when ``include``), and per study the flags of the rows left out."""
    if include or "flag" not in frame.columns:
        return frame, {}
    flags = list(frame["flag"])
    flagged = np.array([isinstance(v, str) and v != "" for v in flags], dtype=bool)
    if not flagged.any():
        return frame.loc[~flagged], {}
    by_study: dict = {}
    for study, flag, left_out in zip(frame["study_id"], flags, flagged):
        if left_out and not pd.isna(study):
            by_study.setdefault(study, set()).add(flag)
    return frame.loc[~flagged], {str(study): ", ".join(sorted(got)) for study, got in by_study.items()}


def _mean_sd(s: dict, n: float, mk: str, sk: str, sek: str, mean_method: str, sd_method: str, code: str):
    steps: list[dict] = []
    med = {k: s.get(k) for k in ("q1", "q3", "min", "max")}
    have_median = (
        "median" in s
        and n == n
        and (
            (med["q1"] is not None and med["q3"] is not None)
            or (med["min"] is not None and med["max"] is not None)
        )
    )
    kw = dict(q1=med["q1"], q3=med["q3"], minimum=med["min"], maximum=med["max"], n=n)
    if mk in s:
        m = s[mk]
    elif have_median:
        m = convert.mean_from_median(s["median"], method=mean_method, **kw)
        sk_test = convert.skewness_test(s["median"], **kw)
        steps.append(
            _step(
                "mean_from_median",
                f"{code}: mean {_g(m)} from the median ({mean_method} method, "
                f"scenario {sk_test['scenario']}); skewness test statistic {sk_test['statistic']:.3f} "
                f"vs critical {sk_test['critical_value']:.3f}: "
                f"{'SKEWED, conversion questionable' if sk_test['skewed'] else 'no evidence of skew'}",
                method=mean_method,
                skewed=sk_test["skewed"],
            )
        )
    else:
        return None
    if sk in s:
        sd = s[sk]
    elif sek in s and n == n:
        sd = convert.sd_from_se(s[sek], n)
        steps.append(_step("sd_from_se", f"{code}: SD {_g(sd)} = SE {_g(s[sek])} x sqrt({_g(n)})"))
    elif "ci_low" in s and "ci_high" in s and n == n and n >= 2:
        sd = convert.sd_from_ci(s["ci_low"], s["ci_high"], n)
        steps.append(
            _step(
                "sd_from_ci",
                f"{code}: SD {_g(sd)} from the 95% CI {_g(s['ci_low'])} to "
                f"{_g(s['ci_high'])} (t, {_g(n - 1)} df)",
            )
        )
    elif have_median:
        sd = convert.sd_from_median(s["median"], method=sd_method, **kw)
        steps.append(
            _step(
                "sd_from_median",
                f"{code}: SD {_g(sd)} from the quartiles/range ({sd_method} method)",
                method=sd_method,
            )
        )
    else:
        return None
    return m, sd, steps


def combine_sides(side: list[tuple[float, float, float, list[dict]]], label: str):
    """Combine the (n, mean, sd, steps) of several arms of one kind (Cochrane formula)."""
    n, m, sd, steps = side[0]
    steps = list(steps)
    for n2, m2, sd2, st2 in side[1:]:
        n, m, sd = convert.combine_groups(n, m, sd, n2, m2, sd2)
        steps += st2
    if len(side) > 1:
        steps.append(
            _step(
                "combine_groups",
                f"{len(side)} {label} arms combined into one (Cochrane formula): "
                f"n {_g(n)}, mean {_g(m)}, SD {_g(sd)}",
            )
        )
    return n, m, sd, steps


def contrast_route(con: list[dict], n1: float, n2: float, sign_hint: float, measure: str,
                   arm_md: tuple[float, list[dict]] | None = None):
    """(yi, vi, steps) from between-arm statistics, or (None, reason).

    ``con`` are :func:`records` of the between-arm rows (keys ``statistic, relation, value`` and the float
    ``fvalue``). ``arm_md`` is a mean difference computed from the arms' means or mean changes; it is used (for
    the MD) when no mean difference is published, with its SE from the exact between-arm p-value.
    """
    exact = [r for r in con if equals(r["relation"], "=")]
    val: dict[str, float] = {}
    for s, v in zip([r["statistic"] for r in exact], checked([r["fvalue"] for r in exact])):
        val.setdefault(s, v)  # several values for one statistic: the first is used
    known_n = n1 == n1 and n2 == n2
    if not known_n and measure != "MD":
        return None, "arm sizes not reported"
    df = n1 + n2 - 2 if known_n else None
    dist = f"two-sided t, df {_g(df)}" if known_n else \
        "two-sided normal approximation (arm sizes not reported, so no t degrees of freedom)"
    md = val.get("mean_difference")
    md_steps = [_step("contrast", f"published mean difference {_g(md)}")] if md is not None else []
    if md is None and arm_md is not None and "p_value" in val and measure == "MD":
        md, md_steps = arm_md
    se, steps = None, []
    if md is not None and "ci_low" in val and "ci_high" in val:
        se = convert.se_from_ci(val["ci_low"], val["ci_high"], df=df)
        steps.append(_step("se_from_ci", f"SE {_g(se)} of the MD from its 95% CI ({dist})"))
    elif md is not None and "p_value" in val and 0 < val["p_value"] < 1 and md != 0:
        se = convert.se_from_p(md, val["p_value"], df=df)
        steps.append(
            _step(
                "se_from_p",
                f"SE {_g(se)} from p = {_g(val['p_value'])}, {dist}",
                p_value=val["p_value"],
                df=df,
            )
        )
    if measure == "MD":
        if md is None or se is None:
            return None, ("arm sizes not reported; " if not known_n else "") + _why_not(con, val)
        return (md, se**2, md_steps + steps), None
    if "t" in val:
        t = val["t"]
        steps = [_step("contrast", f"published t = {_g(t)}")]
    elif "F" in val and sign_hint == sign_hint and sign_hint != 0:
        t = np.sign(sign_hint) * np.sqrt(val["F"])
        steps = [
            _step("t_from_F", f"t = {_g(t)} from F = {_g(val['F'])} (1 numerator df), sign from the means")
        ]
    elif md is not None and se is not None:
        t = md / se
        steps += [_step("t_from_md", f"t = MD {_g(md)} / SE {_g(se)} = {_g(t)}")]
    elif "p_value" in val and 0 < val["p_value"] < 1 and sign_hint == sign_hint and sign_hint != 0:
        t = np.sign(sign_hint) * float(K.t_from_p(val["p_value"], df))
        steps = [
            _step(
                "t_from_p",
                f"t = {_g(t)} from exact p = {_g(val['p_value'])}, two-sided t, df {_g(df)}; "
                "direction from the arm means",
                p_value=val["p_value"],
                df=df,
            )
        ]
    else:
        return None, _why_not(con, val)
    yi, vi = K.t_to_smd(np.array([t]), np.array([n1]), np.array([n2]))
    steps.append(
        _step(
            "SMD_from_t",
            f"SMD (Hedges' g, exact correction) from t = {_g(t)}, n {_g(n1)} and {_g(n2)}"
            " [metafor escalc ti=, vtype LS]",
            t=t,
        )
    )
    return (float(yi[0]), float(vi[0]), steps), None


def _why_not(con: list[dict], val: dict) -> str:
    if len(con) and not len(val):
        shown = ", ".join(f"{r['statistic']} {r['relation']} {r['value']:g}" for r in con)
        return f"between-arm result only as an inequality ({shown}); an exact value is needed"
    if val:
        return f"between-arm statistics {sorted(val)} are not enough (no SD, SE, CI, t, or direction)"
    return "no SD, SE, CI, median summary or between-arm statistic"


def md_from_arms(sides) -> tuple[float, list[dict]] | None:
    """MD (A - B) from one arm per side: mean changes, else follow-up means; None if neither is given."""
    if len(sides[0]) != 1 or len(sides[1]) != 1:
        return None
    a, b = sides[0][0], sides[1][0]
    for key, what in (("mean_change", "mean changes"), ("mean", "follow-up means")):
        if key in a.post and key in b.post:
            md = a.post[key] - b.post[key]
            return md, [*a.sign_steps, *b.sign_steps, _step(
                "md_from_arms", f"MD {_g(md)} = {a.code} {_g(a.post[key])} - {b.code} {_g(b.post[key])} "
                f"({what}); its SE from the between-arm p-value")]
    return None


def direction_hint(sides) -> float:
    """Sign of (arm A - arm B) from whatever means or mean changes are reported, NaN if unknown."""
    for key in ("mean", "mean_change", "median"):
        vals = [[arm.post.get(key) for arm in side] for side in sides]
        if all(v is not None for side in vals for v in side):
            return float(np.sign(np.mean(vals[0]) - np.mean(vals[1])))
    return np.nan
