"""Declared schemas of the shipped datasets: column types, allowed values, ranges, units and meaning.

A schema is checked when a dataset is loaded, when it is built from ``data/raw`` and in the tests.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..exceptions import DataError

if TYPE_CHECKING:  # numpy/pandas are imported inside the methods that use them (fast CLI start)
    import pandas as pd

__all__ = [
    "Column", "Schema", "SCHEMAS", "CELL_MESSAGES", "STATISTICS", "CONTRAST_STATISTICS", "OUTCOMES", "ARM_PATTERN",
    "FLAGS", "is_blank", "blank_cells",
]

STATISTICS = (
    "n", "mean", "sd", "se", "median", "q1", "q3", "min", "max", "ci_low", "ci_high",
    "mean_change", "sd_change", "se_change", "pct_change", "p_within",
    # summaries of a change distribution (not of follow-up values): median and quartiles of the absolute
    # change, and of the percent change from baseline
    "median_change", "q1_change", "q3_change", "median_pct_change", "q1_pct_change", "q3_pct_change",
)
CONTRAST_STATISTICS = ("p_value", "mean_difference", "ci_low", "ci_high", "t", "F", "smd", "effect_size")
OUTCOMES = (
    "pain", "disability", "function", "stiffness", "quadriceps_strength", "hamstring_strength",
    "performance", "balance", "gait_speed", "step_length", "cadence", "endurance", "quality_of_life",
    "proprioception", "flexibility", "cardiorespiratory", "body_composition", "plantar_pressure", "sleep",
    "other",
)
TIMEPOINTS = ("baseline", "post", "followup")
DATA_LEVELS = ("full_text", "abstract", "registry", "none")
DESIGNS = ("rct", "quasi_rct", "crossover", "single_group", "acute_crossover", "other")
ARM_PATTERN = r"^(retro|forward|control|retro_plus|other)\d*$"
_ARM = r"(retro|forward|control|retro_plus|other)\d*"
COMPARISON_PATTERN = rf"^({_ARM} vs {_ARM}|all arms)$"
#: Why a row is kept out of the default effect-size routes (``retrostats.registry_effect_sizes``):
#: ``implausible`` (the printed values cannot all be right as labelled), ``direction_conflict`` (the values
#: point the opposite way to the source's own between-group statement).
FLAGS = ("implausible", "direction_conflict")
ALLOCATION_PATTERN = r"^(equal|\d+(:\d+)+|\d+(\+\d+)*(;\d+(\+\d+)*)+)$"
RELATIONS = ("=", "<", ">", "<=", ">=")


@dataclass(frozen=True)
class Column:
    """One column of a dataset.

    Attributes
    ----------
    name, dtype : the column name and its type (``str``, ``float``, ``int``, ``bool``)
    description : what the column holds
    unit : unit or coding, if any
    required : whether a value must be present in every row
    allowed : the allowed values (strings), if restricted
    pattern : a regular expression every value must match, if restricted
    low, high : inclusive numeric range, if restricted
    hint : what to write in a cell of an extraction sheet (its messages and instructions show it)
    messages : ``(rule, template)`` pairs rewording :data:`CELL_MESSAGES` for this column's sheet cells
    finite : whether a number in a sheet cell must be finite (:meth:`Schema.check_cell`)
    """

    name: str
    dtype: str
    description: str
    unit: str = ""
    required: bool = False
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    low: float | None = None
    high: float | None = None
    hint: str = ""
    messages: tuple[tuple[str, str], ...] = ()
    finite: bool = True


@dataclass(frozen=True)
class Schema:
    """A dataset's schema: title, description, columns, how it is built and where its numbers come from.

    A shipped dataset is one ``Schema`` in :data:`SCHEMAS`: ``built_by`` (the script and raw files that make
    its CSV) and ``sources`` (where its numbers come from) are shown by ``list_datasets()`` and
    ``dataset_info()``; a schema in :data:`SCHEMAS` without them is refused at import.

    Attributes
    ----------
    name, title, description : the dataset's name, one-line title and what it holds
    columns : the columns in order (:class:`Column`)
    key : the columns that identify a row (no two rows share them)
    built_by : how the dataset is built (script and raw inputs)
    sources : where its numbers come from
    """

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default_factory=tuple)
    built_by: str = ""
    sources: str = ""

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    def coerce(self, df: pd.DataFrame) -> pd.DataFrame:
        """Give each column its declared type (strings stay object/str with NaN for missing)."""
        import pandas as pd
        out = df.copy()
        for c in self.columns:
            if c.name not in out.columns:
                continue
            s = out[c.name]
            if c.dtype == "float":
                out[c.name] = pd.to_numeric(s, errors="coerce").astype(float)
            elif c.dtype == "int":
                out[c.name] = pd.to_numeric(s, errors="coerce").astype("Int64")
            elif c.dtype == "bool":
                out[c.name] = s.map(_to_bool).astype("boolean")
            else:
                out[c.name] = s.astype(object).where(s.notna(), None)
        return out

    def validate(self, df: pd.DataFrame, *, source: str = "", row_names: list[str] | None = None) -> pd.DataFrame:
        """Check ``df`` against the schema; raise a :class:`DataError` naming row and column.

        Rows are numbered as in the CSV file (header = row 1, first data row = row 2) unless ``row_names``
        names them (e.g. ``"data/raw/knee/arms.csv, row 7"``).
        """
        import numpy as np
        where = f"{source}: " if source else f"{self.name}: "
        missing = [n for n in self.names if n not in df.columns]
        if missing:
            raise DataError(f"{where}missing column(s) {missing}.")
        extra = [c for c in df.columns if c not in self.names]
        if extra:
            raise DataError(f"{where}unexpected column(s) {extra}; the schema has {self.names}.")
        for c in self.columns:
            s = df[c.name]
            for i, v in enumerate(s.tolist()):
                row = row_names[i] if row_names is not None else i + 2
                if _missing(v):
                    if c.required:
                        raise DataError(f"{where}{_rowtxt(row)}, column {c.name!r}: a value is required.")
                    continue
                if c.dtype in ("float", "int"):
                    try:
                        x = float(v)
                    except (TypeError, ValueError):
                        raise DataError(f"{where}{_rowtxt(row)}, column {c.name!r}: {v!r} is not a number.") from None
                    if c.dtype == "int" and x != round(x):
                        raise DataError(f"{where}{_rowtxt(row)}, column {c.name!r}: {v!r} is not a whole number.")
                    if c.low is not None and x < c.low:
                        raise DataError(f"{where}{_rowtxt(row)}, column {c.name!r}: {v!r} is below {c.low:g}.")
                    if c.high is not None and x > c.high:
                        raise DataError(f"{where}{_rowtxt(row)}, column {c.name!r}: {v!r} is above {c.high:g}.")
                elif c.dtype == "bool":
                    if _to_bool(v) is None:
                        raise DataError(f"{where}{_rowtxt(row)}, column {c.name!r}: {v!r} is not true/false.")
                else:
                    sv = str(v)
                    if c.allowed is not None and sv not in c.allowed:
                        raise DataError(
                            f"{where}{_rowtxt(row)}, column {c.name!r}: {sv!r} is not one of {list(c.allowed)}."
                        )
                    if c.pattern is not None:
                        parts = sv.split(";") if c.name in ("arms", "outcomes") else [sv]
                        for p in parts:
                            if not re.match(c.pattern, p):
                                raise DataError(
                                    f"{where}{_rowtxt(row)}, column {c.name!r}: {p!r} does not match {c.pattern}."
                                )
        if self.key:
            dup = df.duplicated(list(self.key), keep=False)
            if dup.any():
                rows = [row_names[int(i)] if row_names is not None else int(i) + 2
                        for i in np.flatnonzero(dup.to_numpy())]
                raise DataError(f"{where}duplicate rows for key {list(self.key)} at rows {rows[:10]}.")
        return df

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}; it has {self.names}.")

    def check_required(self, row: Mapping[str, Any], *, where: str) -> None:
        """Raise a :class:`DataError` for the first required column without a value in a sheet ``row``."""
        for c in self.columns:
            if c.required and is_blank(row[c.name]):
                raise _cell_error(c, "required", row[c.name], None, where)

    def check_cell(self, name: str, raw: Any, *, where: str) -> Any:
        """A sheet cell checked against column ``name``'s rules, as its type.

        Text is stripped; numbers accept a Unicode minus; booleans are TRUE/FALSE, 1/0 or yes/no in any case.

        Returns
        -------
        str, float, bool or None
            The cell's value; None when the cell is empty and the column optional.

        Raises
        ------
        DataError
            ``"<where>, column '<name>': <message>"``, the message from :data:`CELL_MESSAGES` (or the
            column's ``messages``) for the first rule broken: ``required``, ``number``, ``finite``, ``whole``,
            ``low``, ``high``, ``bool``, ``allowed``, ``pattern``.
        """
        c = self.column(name)
        if is_blank(raw):
            if c.required:
                raise _cell_error(c, "required", raw, None, where)
            return None
        rule, value = _cell_rule(c, str(raw).strip())
        if rule is not None:
            raise _cell_error(c, rule, raw, value, where)
        return value

    def card(self) -> pd.DataFrame:
        """The column documentation as a DataFrame (name, type, unit, required, allowed, description)."""
        import pandas as pd
        return pd.DataFrame(
            [
                {
                    "column": c.name,
                    "type": c.dtype,
                    "unit": c.unit,
                    "required": c.required,
                    "allowed": (", ".join(c.allowed) if c.allowed else (c.pattern or "")),
                    "range": ("" if c.low is None and c.high is None else f"[{c.low}, {c.high}]"),
                    "description": c.description,
                }
                for c in self.columns
            ]
        )


#: How a sheet cell that breaks a rule is reported (a column's ``messages`` may reword a rule): ``raw`` is
#: the cell as written, ``value`` the stripped text (or the number read), ``hint`` what to write.
CELL_MESSAGES = {
    "required": "a value is required; write {hint}.",
    "number": "{raw!r} is not a number; use {hint}.",
    "finite": "{raw!r} is not a finite number.",
    "whole": "{raw!r} is not a whole number.",
    "low": "{raw!r} must be >= {low:g}; use {hint}.",
    "high": "{raw!r} must be <= {high:g}; use {hint}.",
    "bool": "{raw!r} is not TRUE/FALSE.",
    "allowed": "{value!r} is not allowed; use {hint}.{close}",
    "pattern": "{value!r} does not match {pattern}; use {hint}.",
}
_TRUE_WORDS, _FALSE_WORDS = ("true", "1", "yes"), ("false", "0", "no")


def is_blank(v: Any) -> bool:
    """An empty sheet cell: None, NaN/NA (pandas 2 or 3) or only spaces."""
    import pandas as pd
    return v is None or (not isinstance(v, str) and bool(pd.isna(v))) or str(v).strip() == ""


def blank_cells(column: pd.Series) -> Any:
    """Which cells of a column are empty (:func:`is_blank`), as a boolean array; each distinct text is looked at
    once (effect tables and participant data are long, their labels few).

    Examples
    --------
    >>> import pandas as pd
    >>> blank_cells(pd.Series(["retro", None, " ", "retro"])).tolist()
    [False, True, True, False]
    """
    import pandas as pd

    na = column.isna().to_numpy(dtype=bool)
    if column.dtype.kind in "biufcmM":
        return na
    blank = [v for v in pd.unique(column[~na]) if is_blank(v)]
    return na | column.isin(blank).to_numpy(dtype=bool) if blank else na


def _cell_rule(c: Column, text: str) -> tuple[str | None, Any]:
    """``(rule broken or None, value)`` for the stripped text of a non-empty sheet cell."""
    if c.dtype in ("float", "int"):
        try:
            x = float(text.replace("\u2212", "-"))
        except ValueError:
            return "number", text
        return _number_rule(c, x), x
    if c.dtype == "bool":
        s = text.lower()
        return (None, s in _TRUE_WORDS) if s in _TRUE_WORDS + _FALSE_WORDS else ("bool", text)
    if c.allowed is not None and text not in c.allowed:
        return "allowed", text
    if c.pattern is not None and not re.match(c.pattern, text):
        return "pattern", text
    return None, text


def _number_rule(c: Column, x: float) -> str | None:
    if c.finite and not math.isfinite(x):
        return "finite"
    if c.dtype == "int" and math.isfinite(x) and x != round(x):
        return "whole"
    if c.low is not None and x < c.low:
        return "low"
    if c.high is not None and x > c.high:
        return "high"
    return None


def _cell_error(c: Column, rule: str, raw: Any, value: Any, where: str) -> DataError:
    close = ""
    if rule == "allowed":
        match = difflib.get_close_matches(str(value), [str(a) for a in c.allowed or ()], n=1)
        close = f" Did you mean {match[0]!r}?" if match else ""
    template = dict(c.messages).get(rule, CELL_MESSAGES[rule])
    return DataError(f"{where}, column {c.name!r}: " + template.format(
        raw=raw, value=value, hint=c.hint, close=close, low=c.low, high=c.high, pattern=c.pattern))


def _rowtxt(row: Any) -> str:
    return f"row {row}" if isinstance(row, int) else str(row)


def _missing(v: Any) -> bool:
    import pandas as pd
    return v is None or (isinstance(v, float) and v != v) or v is pd.NA or (isinstance(v, str) and v == "")


def _to_bool(v: Any) -> bool | None:
    import numpy as np
    if _missing(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    s = str(v).strip().lower()
    if s in ("true", "1", "yes", "t", "y"):
        return True
    if s in ("false", "0", "no", "f", "n"):
        return False
    return None


_SRC = (
    Column("source_url", "str", "Address of the page where the value was read.", required=True),
    Column("source_location", "str", "Where in the source: e.g. 'abstract, results', 'Table 2'.", required=True),
)

RETRO_TRIALS = Schema(
    "retro_trials",
    "Retro (backward) walking trials: one row per trial publication",
    "Design, population, arms, retro-walking dose, outcomes and the level of data reachable for each trial of "
    "retro walking in the registry. A second publication of the same sample has `duplicate_of` set and "
    "must not be counted twice.",
    (
        Column("study_id", "str", "Study identifier, firstauthorYEAR.", required=True, pattern=r"^[a-z0-9_]+$"),
        Column("citation", "str", "Bibliographic citation.", required=True),
        Column("doi", "str", "Digital object identifier, if any."),
        Column("year", "int", "Publication year.", low=1900, high=2100),
        Column("design", "str", "Study design (empty when the source does not say).", allowed=DESIGNS),
        Column("population", "str", "Knee (OA, knee pain) or other population.", required=True,
               allowed=("knee", "other")),
        Column("condition", "str", "Condition of the participants."),
        Column("country", "str", "Country where the trial ran."),
        Column("n_randomized", "int", "Participants randomized (or enrolled).", "participants", low=1),
        Column("n_analysed", "int", "Participants analysed.", "participants", low=1),
        Column("arms", "str", "Arm codes, ';'-separated (empty when not known).", pattern=ARM_PATTERN),
        Column("arm_labels", "str", "Short descriptions of the arms, same order."),
        Column("retro_dose", "str", "Retro-walking dose as reported (summary)."),
        Column("minutes_per_session", "float", "Retro walking per session.", "min", low=0),
        Column("sessions_per_week", "float", "Sessions per week.", "sessions/week", low=0),
        Column("weeks", "float", "Programme length.", "weeks", low=0),
        Column("speed", "str", "Walking speed as reported."),
        Column("incline", "str", "Treadmill incline as reported."),
        Column("setting", "str", "Where retro walking took place.", allowed=("treadmill", "overground", "mixed")),
        Column("outcomes", "str", "Outcome codes, ';'-separated.", pattern=r"^[a-z_]+$"),
        Column("data_level", "str", "What the numbers come from.", required=True, allowed=DATA_LEVELS),
        Column("source_url", "str", "Where the trial was seen.", required=True),
        Column("source_location", "str", "Where in the source the design facts were read."),
        Column("duplicate_of", "str", "study_id of another report of the same sample."),
        Column("registration", "str", "Trial registration number, if seen."),
        Column("note", "str", "Notes, ambiguities."),
        Column("allocation", "str", "Allocation as stated by the source, used to derive arm sizes that are not "
               "printed: 'equal', a ratio in arm order ('2:1'), or printed subgroup counts per arm "
               "('8+7;7+8', e.g. men + women). Empty when not stated.", pattern=ALLOCATION_PATTERN),
        Column("allocation_source_location", "str", "Where the allocation statement was read."),
    ),
    key=("study_id",),
    built_by="data/build_datasets.py from data/raw/*/trials.csv (hand extraction, see EXTRACTION_LOG.md)",
    sources="Published trial reports, abstracts and registry records; each row has source_url.",
)

RETRO_ARMS = Schema(
    "retro_arms",
    "Arm-level results of retro-walking trials (tidy)",
    "One row per study x arm x outcome x instrument x timepoint x statistic, each value exactly as "
    "published (`value_text`) and as a float (`value`), with its source.",
    (
        Column("study_id", "str", "Study identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Column("arm", "str", "Arm code.", required=True, pattern=ARM_PATTERN),
        Column("outcome", "str", "Outcome domain.", required=True, allowed=OUTCOMES),
        Column("instrument", "str", "Measurement instrument (see outcome_scales).", required=True),
        Column("timepoint", "str", "Baseline, post-intervention or follow-up.", required=True,
               allowed=TIMEPOINTS),
        Column("week", "float", "Weeks since randomisation.", "weeks", low=0),
        Column("statistic", "str", "Which summary the value is.", required=True, allowed=STATISTICS),
        Column("variant", "str", "Measurement variant distinguishing otherwise identical rows "
               "(e.g. 'after exhausting exercise', 'intention to treat'); empty for the main analysis."),
        Column("value", "float", "The value as a float.", "instrument units", required=True),
        Column("value_text", "str", "The value exactly as printed (empty only on derived rows, which were "
               "not printed)."),
        *_SRC,
        Column("ambiguous", "bool", "True when it is unclear what the value is (see note)."),
        Column("note", "str", "Notes."),
        Column("change_convention", "str", "For change statistics: how the printed number is signed. "
               "'post_minus_pre' (follow-up minus baseline, the default meaning) or 'pre_minus_post' (the "
               "source prints a reduction or improvement as a positive number; value keeps the printed sign).",
               allowed=("post_minus_pre", "pre_minus_post")),
        Column("flag", "str", "Why the row is kept out of the default effect-size routes (see note): "
               "'implausible' or 'direction_conflict'; empty for usable rows.", allowed=FLAGS),
        Column("derived", "bool", "True for an arm size derived by the build from the trial's stated total "
               "and allocation (never printed); False for printed values.", required=True),
        Column("derivation", "str", "How a derived value was computed (empty for printed values)."),
    ),
    key=("study_id", "arm", "outcome", "instrument", "timepoint", "week", "statistic", "variant"),
    built_by="data/build_datasets.py from data/raw/*/arms.csv",
    sources="Published trial reports; each value has source_url and source_location.",
)

RETRO_CONTRASTS = Schema(
    "retro_contrasts",
    "Between-arm results of retro-walking trials as published",
    "p-values, mean differences, CIs and test statistics comparing arms, with the relation printed "
    "(`<` for 'p < 0.05').",
    (
        Column("study_id", "str", "Study identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Column("comparison", "str", "Which arms are compared ('retro vs control').", required=True,
               pattern=COMPARISON_PATTERN),
        Column("outcome", "str", "Outcome domain.", required=True, allowed=OUTCOMES),
        Column("instrument", "str", "Instrument.", required=True),
        Column("week", "float", "Weeks since randomisation.", "weeks", low=0),
        Column("statistic", "str", "Which statistic.", required=True, allowed=CONTRAST_STATISTICS),
        Column("variant", "str", "Measurement variant (e.g. 'per protocol'); empty for the main analysis."),
        Column("relation", "str", "How the value relates to the statistic.", required=True, allowed=RELATIONS),
        Column("value", "float", "The value as a float.", required=True),
        Column("value_text", "str", "The value exactly as printed.", required=True),
        *_SRC,
        Column("ambiguous", "bool", "True when it is unclear what the value is."),
        Column("note", "str", "Notes."),
        Column("flag", "str", "Why the row is kept out of the default effect-size routes (see note): "
               "'implausible' or 'direction_conflict'; empty for usable rows.", allowed=FLAGS),
    ),
    key=("study_id", "comparison", "outcome", "instrument", "week", "statistic", "relation", "variant"),
    built_by="data/build_datasets.py from data/raw/*/contrasts.csv",
    sources="Published trial reports; each value has source_url and source_location.",
)

RETRO_REVIEWS = Schema(
    "retro_reviews",
    "Pooled results of systematic reviews of retro walking",
    "One row per pooled result printed by a systematic review or meta-analysis of retro walking; a review "
    "with no reachable pooled numbers has one row with empty numbers.",
    (
        Column("review_id", "str", "Review identifier.", required=True, pattern=r"^[a-z0-9_]+$"),
        Column("citation", "str", "Citation.", required=True),
        Column("doi", "str", "DOI."),
        Column("year", "int", "Year.", low=1900, high=2100),
        Column("population", "str", "Population reviewed."),
        Column("comparison", "str", "Comparison pooled."),
        Column("outcome", "str", "Outcome pooled."),
        Column("instrument", "str", "Instrument, if one."),
        Column("k", "int", "Number of studies pooled.", low=1),
        Column("n_participants", "int", "Participants pooled.", low=1),
        Column("measure", "str", "Effect measure as printed (SMD, MD, ...)."),
        Column("estimate", "float", "Pooled estimate."),
        Column("ci_low", "float", "Lower CI limit."),
        Column("ci_high", "float", "Upper CI limit."),
        Column("i2", "float", "I-squared.", "percent", low=0, high=100),
        Column("p_value", "float", "p-value of the pooled estimate.", low=0, high=1),
        Column("estimate_text", "str", "Estimate as printed."),
        Column("ci_low_text", "str", "Lower limit as printed."),
        Column("ci_high_text", "str", "Upper limit as printed."),
        Column("i2_text", "str", "I-squared as printed."),
        Column("p_value_text", "str", "p-value as printed (may include '<')."),
        Column("model", "str", "Pooling model.", allowed=("random", "fixed")),
        *_SRC,
        Column("ambiguous", "bool", "True when unclear."),
        Column("note", "str", "Notes."),
        Column("comparison_design", "str", "How the pooled comparison was built: 'head_to_head' (retro walking "
               "instead of the comparator) or 'add_on' (retro walking added to the comparator, e.g. retro + "
               "forward vs forward); empty when the source does not say.", allowed=("head_to_head", "add_on")),
    ),
    built_by="data/build_datasets.py from data/raw/reviews/reviews.csv",
    sources="Published systematic reviews; each row has source_url and source_location.",
)

OUTCOME_SCALES = Schema(
    "outcome_scales",
    "Outcome instruments: range, direction and minimal clinically important difference",
    "Each instrument used by retro-walking trials with its range, whether higher is better, its resolution "
    "(for GRIM checks), and an MCID with the cited source where one was seen.",
    (
        Column("instrument", "str", "Instrument code.", required=True),
        Column("outcome", "str", "Outcome domain.", required=True, allowed=OUTCOMES),
        Column("label", "str", "Human-readable name.", required=True),
        Column("unit", "str", "Unit of the score."),
        Column("min", "float", "Lowest possible value (empty if unbounded)."),
        Column("max", "float", "Highest possible value (empty if unbounded)."),
        Column("higher_is_better", "bool", "Direction of benefit.", required=True),
        Column("integer_valued", "bool", "Individual scores are whole numbers (GRIM applies)."),
        Column("mcid", "float", "Minimal clinically important difference, in the instrument's unit."),
        Column("mcid_text", "str", "MCID as printed."),
        Column("mcid_source", "str", "Citation of the MCID."),
        Column("mcid_source_url", "str", "Where the MCID was seen."),
        Column("mcid_source_location", "str", "Where in that source."),
        Column("mcid_population", "str", "Population in which the MCID was estimated (check it fits yours: a "
               "knee-OA value from conservative care is preferred where one was seen)."),
        Column("mcid_relative_pct", "float", "MCID as a percent of the baseline score, where the source prints "
               "one (magnitude).", "percent of baseline", low=0),
        Column("mcid_relative_text", "str", "Relative MCID as printed (sign kept)."),
        Column("mdc", "float", "Minimal detectable change (measurement error, not clinical importance), in the "
               "instrument's unit.", low=0),
        Column("mdc_text", "str", "MDC as printed."),
        Column("mdc_source", "str", "Citation of the MDC (with where it was seen)."),
        Column("note", "str", "Notes."),
    ),
    key=("instrument",),
    built_by="data/build_datasets.py from data/raw/scales.csv and data/raw/reviews/mcid.csv",
    sources="Scale definitions; MCIDs with mcid_source and mcid_source_url.",
)


SYNTHETIC_THREE_ARM_TRIAL = Schema(
    "synthetic_three_arm_trial",
    "SYNTHETIC three-arm trial (retro / forward / control), NPRS pain, participant level",
    "SIMULATED participants, not real data: a three-arm trial of 68 participants with NPRS pain at baseline "
    "and weeks 2, 4 and 6, made by retrostats.simulate_trial() (data/make_synthetic.py, seed 20190401). "
    "Calibrated to the published summaries of Alghadir et al. 2019 (doi:10.1186/s12891-019-2537-9: mean "
    "week-6 pain reduction 1.8 retro vs 1.0 control, p = 0.01; completion 91/87/82%); the baseline mean and "
    "SD, the forward arm's change and the intermediate visits are stated assumptions (see "
    "retrostats.ipd.CALIBRATION). For teaching, notebooks and tests only.",
    (
        Column("participant", "str", "Synthetic participant code.", required=True, pattern=r"^P\d{3}$"),
        Column("arm", "str", "Arm code.", required=True, allowed=("retro", "forward", "control")),
        Column("visit", "str", "Visit label ('baseline', 'week 2', ...).", required=True),
        Column("week", "float", "Weeks since randomisation.", "weeks", required=True, low=0),
        Column("outcome", "str", "Instrument code (see outcome_scales).", required=True, allowed=("NPRS",)),
        Column("value", "float", "Pain score at the visit.", "NPRS points", required=True, low=0, high=10),
        Column("baseline", "float", "The participant's baseline score.", "NPRS points", required=True, low=0,
               high=10),
        Column("source_location", "str", "Where the row comes from: SYNTHETIC, the generating script and its seed.",
               required=True),
    ),
    key=("participant", "week"),
    built_by="data/make_synthetic.py (retrostats.simulate_trial, seed 20190401): SYNTHETIC",
    sources="SYNTHETIC (simulated), calibrated to Alghadir et al. 2019 (doi:10.1186/s12891-019-2537-9); see "
            "retrostats.ipd.CALIBRATION.",
)


def _shipped(*schemas: Schema) -> dict[str, Schema]:
    """The shipped datasets by name; each must say how it is built and where its numbers come from."""
    for s in schemas:
        if not (s.built_by and s.sources):
            raise DataError(f"schema {s.name!r}: a shipped dataset needs built_by= and sources= (how its CSV is "
                            "built and where its numbers come from).")
    return {s.name: s for s in schemas}


#: Every shipped dataset's schema by name: a new dataset is one entry here (its CSV in ``_data/``).
SCHEMAS: dict[str, Schema] = _shipped(
    RETRO_TRIALS, RETRO_ARMS, RETRO_CONTRASTS, RETRO_REVIEWS, OUTCOME_SCALES, SYNTHETIC_THREE_ARM_TRIAL,
)
