r"""Extraction sheets: a template in the ``retro_arms`` schema, a validating reader, and a merge with the registry.

A filled sheet is read back with every value checked: types, whole-number n >= 1, SD > 0, ordered quartiles,
values inside the instrument's range (an NRS mean of 11 is an error), GRIM consistency of means on
integer-valued scales (a warning), duplicate rows. Errors are :class:`~retrostats.exceptions.DataError`
naming the file, row, column and value and saying what to do. Rows are numbered as a spreadsheet shows them
(the header is row 1).

Examples
--------
>>> import retrostats as rs, tempfile, os
>>> d = tempfile.mkdtemp()
>>> path = rs.extraction_template(os.path.join(d, "sheet.csv"))
>>> with open(path, "a") as fh:
...     _ = fh.write("smith2024,retro,pain,NPRS,baseline,0,mean,6.5,Table 2,https://doi.org/x,,,\n")
>>> rs.read_extraction(path)[["study_id", "statistic", "value"]]
    study_id statistic  value
0  smith2024      mean    6.5
"""

from __future__ import annotations

import difflib
import math
import warnings
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from .._readtable import read_sheet as _read_raw
from ..datasets import load_dataset
from ..datasets.sheets import EXTRACTION_SHEET as SHEET
from ..datasets.sheets import write_template
from ..exceptions import DataError, DataWarning
from ..validators import TRIAL_ID_COLUMNS, trial_id_key

__all__ = [
    "read_extraction",
    "extraction_template",
    "merge_extraction",
    "merge_contrasts",
    "MergedSources",
    "TEMPLATE_COLUMNS",
]

#: Columns of an extraction sheet, in order (the ``retro_arms`` schema minus ``value_text``): the columns of
#: :data:`retrostats.datasets.sheets.EXTRACTION_SHEET`, which holds each column's rules.
TEMPLATE_COLUMNS = SHEET.names
_REQUIRED = [c.name for c in SHEET.columns if c.required]
_KEY = list(SHEET.key)
_LOCATION_STATS = {"mean", "median", "q1", "q3", "min", "max", "ci_low", "ci_high"}
_POSITIVE_STATS = {"sd", "se", "sd_change", "se_change"}
_ORDER = ["min", "q1", "median", "q3", "max"]


def extraction_template(path: str | Path, *, example: bool = False, force: bool = False) -> Path:
    """Write an empty extraction sheet (CSV or XLSX, from the suffix) in the ``retro_arms`` schema.

    Parameters
    ----------
    path : str or Path
        Where to write; ``.csv`` or ``.xlsx``. An XLSX template has a second sheet, ``instructions``, that
        documents each column and its allowed values.
    example : bool
        Add one clearly marked example row (``study_id = example2024``) to show the layout.
    force : bool
        Overwrite ``path`` if it exists (by default an existing file, perhaps a filled sheet, is kept).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        If the suffix is neither ``.csv`` nor ``.xlsx``.
    FileExistsError
        If ``path`` exists and ``force`` is false.
    """
    rows = []
    if example:
        rows.append(["example2024", "retro", "pain", "NPRS", "baseline", 0, "mean", 6.5, "Table 2",
                     "https://doi.org/10.0000/example", False, "example row: delete before use", None, None])
    return write_template(path, pd.DataFrame(rows, columns=TEMPLATE_COLUMNS), SHEET, sheet_name="extraction",
                          force=force)


def _decimals(text: str) -> int:
    s = text.strip()
    return len(s.split(".", 1)[1]) if "." in s else 0


def _grim_consistent(mean_text: str, n: int, items: int = 1) -> bool:
    """GRIM: can a mean printed as ``mean_text`` arise from ``n`` whole-number scores?"""
    try:
        m = Decimal(mean_text.strip())
    except InvalidOperation:
        return True
    d = _decimals(mean_text)
    if d == 0 or n * items >= 10**d:
        return True  # GRIM cannot tell at this precision
    total = float(m) * n * items
    unit = Decimal(1).scaleb(-d)
    for k in (math.floor(total), math.ceil(total)):
        for cand in (k - 1, k, k + 1):
            back = Decimal(cand) / Decimal(n * items)
            if abs(back - m) <= unit / 2:
                return True
    return False


def read_extraction(path: str | Path, *, scales: pd.DataFrame | None = None, sep: str | None = None,
                    decimal: str | None = None) -> pd.DataFrame:
    """Read a filled extraction sheet (CSV or XLSX) into the ``retro_arms`` schema, validating every cell.

    Parameters
    ----------
    path : str or Path
        A sheet written by :func:`extraction_template` and filled in.
    scales : DataFrame, optional
        Instrument definitions (default: the shipped ``outcome_scales``).
    sep, decimal : str, optional
        CSV separator and decimal mark. Default: detected from the header (a semicolon-separated sheet, as
        European Excel saves CSV, is read with decimal commas: ``6,50`` is 6.50).

    Returns
    -------
    DataFrame
        The ``retro_arms`` columns: ``study_id, arm, outcome, instrument, timepoint, week, statistic,
        value`` (float), ``value_text`` (as written), ``source_location, source_url, ambiguous, note``.

    Raises
    ------
    DataError
        Naming the file, row (as a spreadsheet numbers it), column and value, and what to do.

    Warns
    -----
    DataWarning
        A mean on an integer-valued scale that no whole-number scores of the given n could produce (GRIM),
        naming the row.

    Notes
    -----
    Each cell is checked by the sheet's schema (:data:`retrostats.datasets.sheets.EXTRACTION_SHEET`, the
    ``retro_arms`` columns with what to write in each); this function adds the checks that need the
    instrument or the other rows: the instrument's range, the statistic's own limits (n, SD, p), ordered
    summaries, duplicates and GRIM.
    """
    p = Path(path)
    raw = _sheet_rows(_read_raw(p, sep, decimal), p)
    scales = load_dataset("outcome_scales") if scales is None else scales
    sc = scales.set_index("instrument")
    values, weeks, texts = _check_rows(raw, p, sc)
    out = _typed(raw, p, values, weeks, texts)
    keyframe = out[list(SHEET.key)].astype(str)
    dup = keyframe.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = [int(j) + 2 for j in np.flatnonzero(dup)]
        raise DataError(f"{p}, rows {rows}: duplicate rows for the same study, arm, outcome, instrument, "
                        "timepoint, week and statistic; keep one (or flag the second as a different week).")
    _check_arm_summaries(out, p, sc)
    # registry-only columns: an extracted value is printed (never derived) and unflagged
    for c, default in (("flag", None), ("derived", False), ("derivation", None)):
        if c not in out.columns:
            out[c] = default
    cols = list(load_dataset("retro_arms").columns)
    return out[cols].reset_index(drop=True)


def _sheet_rows(raw: pd.DataFrame, p: Path) -> pd.DataFrame:
    """The sheet's columns in order (absent optional ones empty), without empty rows."""
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise DataError(f"{p}: missing column(s) {missing}; start from `retrostats extraction-template`.")
    unknown = [c for c in raw.columns if c not in TEMPLATE_COLUMNS]
    if unknown:
        raise DataError(f"{p}: unknown column(s) {unknown}; the sheet's columns are {TEMPLATE_COLUMNS}.")
    for c in TEMPLATE_COLUMNS:
        if c not in raw.columns:
            raw[c] = None
    raw = raw[TEMPLATE_COLUMNS]
    raw = raw[~raw.isna().all(axis=1)].reset_index(drop=True)
    if raw.empty:
        raise DataError(f"{p}: the sheet has no data rows.")
    return raw


def _check_rows(raw: pd.DataFrame, p: Path, sc: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every row's cells checked (schema, instrument, the statistic's limits, a source); values and weeks."""
    values = np.empty(len(raw))
    weeks = np.full(len(raw), np.nan)
    texts: list[str] = []
    for i, r in raw.iterrows():
        where = f"{p}, row {i + 2}"
        SHEET.check_required(r, where=where)
        for c in ("study_id", "arm", "outcome", "timepoint", "statistic"):
            SHEET.check_cell(c, r[c], where=where)
        inst = str(r["instrument"]).strip()
        if inst not in sc.index:
            close = difflib.get_close_matches(inst, list(sc.index), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DataError(f"{where}, column 'instrument': {inst!r} is not a known instrument.{hint} Known: "
                            f"{', '.join(sc.index)}.")
        x = SHEET.check_cell("value", r["value"], where=where)
        text = str(r["value"]).strip().replace("\u2212", "-")  # as printed, for value_text and GRIM
        values[i] = x
        texts.append(text)
        w = SHEET.check_cell("week", r["week"], where=where)
        if w is not None:
            weeks[i] = w
        problem = _value_problem(str(r["statistic"]).strip(), x, text, inst, sc)
        if problem:
            raise DataError(f"{where}, column 'value': {problem}")
        if SHEET.check_cell("source_url", r["source_url"], where=where) is None and SHEET.check_cell(
                "source_location", r["source_location"], where=where) is None:
            raise DataError(f"{where}, column 'source_location': every value needs a source: fill source_url "
                            "and/or source_location (e.g. 'Table 2').")
    return values, weeks, texts


def _value_problem(stat: str, x: float, text: str, inst: str, sc: pd.DataFrame) -> str | None:
    """What is wrong with value ``x`` for its statistic (n, SD, p, the instrument's range), if anything."""
    if stat == "n" and (x != round(x) or x < 1):
        return f"n must be a whole number >= 1; got {text}."
    if stat in _POSITIVE_STATS and not x > 0:
        return (f"{stat} must be > 0; got {text}. If the source prints 0 or a negative value, check whether it is "
                "a different statistic and flag it as ambiguous.")
    if stat == "p_within" and not 0 <= x <= 1:
        return f"a p-value must lie in [0, 1]; got {text}."
    if stat not in _LOCATION_STATS and stat != "mean_change":
        return None
    lo, hi = sc.loc[inst, "min"], sc.loc[inst, "max"]
    if stat in _LOCATION_STATS and ((pd.notna(lo) and x < lo) or (pd.notna(hi) and x > hi)):
        return (f"{stat} {text} lies outside the {inst} range [{lo:g}, {hi:g}]; check the instrument (e.g. "
                "VAS_100 for a 0-100 mm scale) or the value.")
    if stat == "mean_change" and pd.notna(lo) and pd.notna(hi) and abs(x) > hi - lo:
        return f"a change of {text} is larger than the {inst} range allows."
    return None


def _typed(raw: pd.DataFrame, p: Path, values: np.ndarray, weeks: np.ndarray, texts: list[str]) -> pd.DataFrame:
    """The checked rows with text stripped, values and weeks as floats, ``ambiguous`` as bool."""
    out = raw.copy()
    for c in ("study_id", "arm", "outcome", "instrument", "timepoint", "statistic"):
        out[c] = out[c].astype(str).str.strip()
    for c in ("variant", "change_convention"):
        # object dtype: under pandas 3 a list of str and None would become a str column holding NaN
        out[c] = pd.Series([SHEET.check_cell(c, v, where=f"{p}, row {i + 2}") for i, v in enumerate(out[c])],
                           index=out.index, dtype=object)
    out["value"] = values
    out["value_text"] = texts
    out["week"] = weeks
    out["ambiguous"] = [bool(SHEET.check_cell("ambiguous", v, where=f"{p}, row {i + 2}"))
                        for i, v in enumerate(out["ambiguous"].tolist())]
    return out


def _check_arm_summaries(out: pd.DataFrame, p: Path, sc: pd.DataFrame) -> None:
    """Within an arm at a time: min <= q1 <= median <= q3 <= max, ci_low <= ci_high, GRIM-consistent means."""
    def err(i: int, msg: str) -> DataError:
        return DataError(f"{p}, row {i + 2}, column 'value': {msg}")

    group_cols = ["study_id", "arm", "outcome", "instrument", "timepoint", "week", "variant"]
    for _, g in out.groupby(group_cols, dropna=False, sort=False):
        stats = dict(zip(g["statistic"], zip(g.index, g["value"])))
        present = [s for s in _ORDER if s in stats]
        for a, b in zip(present, present[1:]):
            if stats[a][1] > stats[b][1]:
                raise err(int(stats[b][0]), f"{b} {stats[b][1]:g} is below {a} {stats[a][1]:g} of the same arm; "
                          f"summaries must be ordered {' <= '.join(_ORDER)}.")
        if "ci_low" in stats and "ci_high" in stats and stats["ci_low"][1] > stats["ci_high"][1]:
            raise err(int(stats["ci_high"][0]), "ci_high is below ci_low; swap them or check the source.")
        if "mean" in stats and "n" in stats and bool(sc.loc[g["instrument"].iloc[0], "integer_valued"]):
            i_mean = stats["mean"][0]
            n = int(stats["n"][1])
            if not _grim_consistent(out.loc[i_mean, "value_text"], n):
                warnings.warn(
                    f"{p}, row {int(i_mean) + 2}, column 'value': mean {out.loc[i_mean, 'value_text']} cannot "
                    f"arise from {n} whole-number scores on {g['instrument'].iloc[0]} (GRIM); check the mean, "
                    "the n, or whether the value is a change score.",
                    DataWarning,
                    stacklevel=3,
                )


def _merge(reg: pd.DataFrame, ext: pd.DataFrame, key: list[str], on_conflict: str, what: str) -> pd.DataFrame:
    """Registry rows plus extraction rows; a key given by both is a conflict (duplicates within one side are not)."""
    reg, ext = reg.copy(), ext.copy()
    reg["origin"] = "registry"
    ext["origin"] = "extraction"

    def keys(frame: pd.DataFrame) -> pd.Series:
        def cell(v: object) -> str:
            return "" if pd.isna(v) else str(float(v)) if isinstance(v, (int, float, np.number)) else str(v)

        return pd.Series(["|".join(map(cell, row)) for row in frame[key].itertuples(index=False)], index=frame.index)

    k_reg, k_ext = keys(reg), keys(ext)
    clash_ext = k_ext.isin(set(k_reg)).to_numpy()
    if clash_ext.any():
        if on_conflict == "error":
            first = ext.loc[clash_ext, key].iloc[0].to_dict()
            raise DataError(f"{int(clash_ext.sum())} extraction row(s) duplicate registry rows ({what}), e.g. "
                            f"{first}; pass on_conflict='keep_registry' or 'keep_extraction'.")
        if on_conflict == "keep_registry":
            ext = ext[~clash_ext]
        else:
            reg = reg[~k_reg.isin(set(k_ext[clash_ext])).to_numpy()]
    return _stack(reg, ext)


def _stack(reg: pd.DataFrame, ext: pd.DataFrame) -> pd.DataFrame:
    """Registry rows then extraction rows, with the same column dtypes on pandas 2 and 3.

    pandas 2 and 3 type a column differently when one side is empty or all missing; such a column takes the
    other side's dtype first, so the merged frame does not depend on the pandas version.
    """
    columns = list(dict.fromkeys([*reg.columns, *ext.columns]))
    if ext.empty or reg.empty:
        return (reg if ext.empty else ext).reindex(columns=columns).reset_index(drop=True)
    reg, ext = reg.reindex(columns=columns), ext.reindex(columns=columns)
    casts_reg, casts_ext = {}, {}
    for col in columns:
        a_na, b_na = reg[col].isna().all(), ext[col].isna().all()
        if reg[col].dtype == ext[col].dtype or a_na == b_na:
            continue
        target, casts = (ext[col].dtype, casts_reg) if a_na else (reg[col].dtype, casts_ext)
        if target.kind in "Of" or str(target).startswith("string"):
            casts[col] = target
        else:  # bool or integer with missing values: object on both sides (never NaN cast to True or 0)
            casts_reg[col] = casts_ext[col] = object
    if casts_reg:
        reg = reg.astype(casts_reg)
    if casts_ext:
        ext = ext.astype(casts_ext)
    return pd.concat([reg, ext], ignore_index=True)


def _check_same_trials(trials: pd.DataFrame, ext_ids: set[str]) -> pd.DataFrame:
    """Refuse an extracted study that is a registry trial under another id (same DOI or registration)."""
    if "study_id" not in trials.columns or not any(c in trials.columns for c in TRIAL_ID_COLUMNS):
        raise DataError("trials must have a study_id column and a doi and/or registration column.")
    reg = load_dataset("retro_trials")
    for col in TRIAL_ID_COLUMNS:
        if col not in trials.columns:
            continue
        known = {}
        for sid, val in zip(reg["study_id"], reg[col]):
            key = trial_id_key(val)
            if key is not None:
                known.setdefault(key, str(sid))
        for sid, val in zip(trials["study_id"].astype(str), trials[col]):
            key = trial_id_key(val)
            if key is not None and key in known and known[key] != sid:
                where = "the extraction" if sid in ext_ids else "trials"
                raise DataError(
                    f"study {sid!r} of {where} has {col} {key!r}, which is registry trial {known[key]!r}: the "
                    f"same trial would be pooled twice. Use study_id {known[key]!r} for it (conflicting values "
                    "then follow on_conflict=) or drop it."
                )
    return trials


class MergedSources:
    """What :func:`merge_extraction` attaches to the merged arms (``attrs["merged_sources"]``).

    Attributes
    ----------
    contrasts : DataFrame
        The merged between-arm results (``retro_contrasts`` columns plus ``origin``).
    trials : DataFrame or None
        The ``trials`` given (``study_id`` with ``doi``/``registration``).

    Notes
    -----
    Held by identity (copies share it, comparisons are by identity), so that pandas can carry it through
    filtering and concatenation cheaply.
    """

    def __init__(self, contrasts: pd.DataFrame, trials: pd.DataFrame | None) -> None:
        self.contrasts, self.trials = contrasts, trials

    def __deepcopy__(self, memo: dict) -> MergedSources:
        return self

    def __repr__(self) -> str:
        return f"MergedSources({len(self.contrasts)} between-arm rows)"


def merge_contrasts(
    contrasts: str | Path | pd.DataFrame | None = None, *, on_conflict: str = "error"
) -> pd.DataFrame:
    """The shipped ``retro_contrasts`` merged with a user's between-arm sheet (or alone when None).

    Returns ``retro_contrasts`` columns plus ``origin``; pass it to
    :func:`retrostats.registry_effect_sizes` as ``contrasts=``. Conflicts follow ``on_conflict`` as in
    :func:`merge_extraction`.
    """
    from ..validators import check_option
    from .extraction_contrasts import read_contrasts

    check_option("on_conflict", on_conflict, ["error", "keep_registry", "keep_extraction"])
    reg = load_dataset("retro_contrasts")
    if contrasts is None:
        return reg.assign(origin="registry")
    key = ["study_id", "comparison", "outcome", "instrument", "week", "statistic", "variant"]
    return _merge(reg, read_contrasts(contrasts), key, on_conflict, "between-arm")


def merge_extraction(
    extraction: str | Path | pd.DataFrame,
    *,
    contrasts: str | Path | pd.DataFrame | None = None,
    trials: pd.DataFrame | None = None,
    on_conflict: str = "error",
) -> pd.DataFrame:
    """Combine a user's extraction with the shipped registry (``retro_arms`` and ``retro_contrasts``) in one call.

    Parameters
    ----------
    extraction : path or DataFrame
        An arm-level sheet path (read with :func:`read_extraction`) or a frame already read.
    contrasts : path or DataFrame, optional
        The user's between-arm results (p-values with their relation, mean differences, CIs, t or F), a
        sheet from :func:`retrostats.extraction_contrasts.contrast_template` or a frame in the
        ``retro_contrasts`` schema; merged with the shipped ``retro_contrasts``.
    trials : DataFrame, optional
        ``study_id`` with ``doi`` and/or ``registration`` of the extracted studies: a study that is a
        registry trial under another id is refused (it would be pooled twice).
    on_conflict : {"error", "keep_registry", "keep_extraction"}
        What to do when both give a value for the same study/arm/outcome/instrument/timepoint/week/statistic
        (or the same between-arm result).

    Returns
    -------
    DataFrame
        ``retro_arms`` columns plus ``origin`` (``registry`` or ``extraction``). ``attrs["merged_sources"]``
        is a :class:`MergedSources` holding the merged between-arm results (``.contrasts``, as
        :func:`merge_contrasts` returns them) and ``.trials``; :func:`retrostats.registry_effect_sizes`
        uses them, so no registry between-arm result is lost.

    Raises
    ------
    DataError
        Conflicting rows with ``on_conflict="error"``; an extracted study that duplicates a registry trial
        (same DOI or registration id under another study id).
    """
    from ..validators import check_option

    check_option("on_conflict", on_conflict, ["error", "keep_registry", "keep_extraction"])
    ext = read_extraction(extraction) if not isinstance(extraction, pd.DataFrame) else extraction.copy()
    merged_c = merge_contrasts(contrasts, on_conflict=on_conflict)
    if trials is not None:
        ids = set(ext["study_id"].astype(str)) | set(merged_c.loc[merged_c["origin"] == "extraction", "study_id"])
        _check_same_trials(trials, ids)
    arms = _merge(load_dataset("retro_arms"), ext, _KEY, on_conflict, "arm")
    arms.attrs["merged_sources"] = MergedSources(merged_c, None if trials is None else trials.copy())
    return arms
