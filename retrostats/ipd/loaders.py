"""Read participant-level trial data (CSV, XLSX, SPSS .sav, Stata .dta; long or wide) into one long frame."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from .._readtable import normalise_decimal, read_table
from ..datasets.schemas import ARM_PATTERN
from ..exceptions import DataError, DataWarning
from ..validators import check_columns, check_option
from .scales import scale_info

__all__ = ["read_participants", "CANONICAL_COLUMNS"]

#: Columns of the canonical long frame, in order.
CANONICAL_COLUMNS = ("participant", "arm", "visit", "week", "outcome", "value", "baseline")


def read_participants(
    source: str | PathLike | pd.DataFrame,
    *,
    layout: str = "long",
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, float] | None = None,
    instrument: str | None = None,
    arm_labels: Mapping[object, str] | None = None,
    baseline_week: float = 0.0,
    sheet: str | int | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    baseline_column: str | None = None,
) -> pd.DataFrame:
    """Read participant-level data into the canonical long frame, validated.

    Parameters
    ----------
    source : path or DataFrame
        A ``.csv``, ``.xlsx``, SPSS ``.sav`` (value labels applied) or Stata ``.dta`` file, or a DataFrame.
    layout : {"long", "wide"}
        ``long``: one row per participant and visit. ``wide``: one row per participant, one column per visit
        (named in ``values``).
    columns : mapping, optional
        Canonical name -> column in the file: ``participant``, ``arm`` and, for ``long``, ``week`` and
        ``value``. Unmapped names are looked up as-is.
    values : mapping, required for ``wide``
        Column in the file -> week, e.g. ``{"nprs0": 0, "nprs6": 6}``.
    instrument : str, optional
        An instrument of ``load_dataset("outcome_scales")``; values outside its range are errors.
    arm_labels : mapping, optional
        Recode arms, e.g. ``{"BW": "retro", "FW": "forward", 3: "control"}``; arms must end as retro,
        forward, control, retro_plus or other (optionally numbered).
    baseline_week : float
        The week that is baseline (default 0).
    sheet : str or int, optional
        Excel sheet.
    sep, decimal : str, optional
        CSV separator and decimal mark. Default: detected from the header (a semicolon-separated file, as
        European Excel writes, is read with decimal commas).
    baseline_column : str, optional
        Long data whose baseline sits in a column on every row (ADaM ``BASE``; map ``value`` to ``AVAL`` or
        ``CHG``). The baseline then comes from this column (constant within participant), not from the rows at
        ``baseline_week``; arms are kept as written (``PBO``, ``TRT``: no recoding needed), and a ``visit``
        entry in ``columns`` (ADaM ``AVISIT``) keeps the visit labels as written.

    Returns
    -------
    DataFrame
        ``participant, arm, visit, week, outcome, value, baseline``: one row per participant and visit with
        an observed value; ``visit`` is ``"baseline"`` or ``"week 6"``; ``baseline`` repeats the
        participant's baseline value (NaN if missing). Participant ids are text as written (``"001"`` stays
        ``"001"``; numeric ids in SPSS/Stata files become ``"1"``).

    Raises
    ------
    DataError
        A file that cannot be read, missing columns, text in the values, a participant in two arms, duplicated
        participant-visit rows, missing or unknown arms, values outside the instrument's range, XLSX formula
        cells without a saved value; each message names the file, the row, the participant and the column.

    Warns
    -----
    DataWarning
        Participants without a baseline value; rows without a participant id (dropped, named by row).

    Examples
    --------
    >>> wide = pd.DataFrame({"id": [1, 2, 3, 4], "group": ["retro", "control", "retro", "control"],
    ...                      "pain0": [6, 7, 5, 6], "pain6": [3, 6, 4, 5]})
    >>> d = read_participants(wide, layout="wide", columns={"participant": "id", "arm": "group"},
    ...                       values={"pain0": 0, "pain6": 6}, instrument="NPRS")
    >>> d.loc[d["week"] == 6, ["participant", "arm", "value", "baseline"]].to_numpy().tolist()
    [['1', 'retro', 3.0, 6.0], ['2', 'control', 6.0, 7.0], ['3', 'retro', 4.0, 5.0], ['4', 'control', 5.0,
    6.0]]
    """
    check_option("layout", layout, ["long", "wide"])
    cmap = _column_map(columns, baseline_column)
    where, raw, dec = _read_source(source, layout, cmap, values, baseline_column, sheet=sheet, sep=sep,
                                   decimal=decimal)
    if layout == "wide":
        long = _melt_wide(raw, cmap, values, where)
    else:
        long = _long_rows(raw, cmap, baseline_column, where, dec)
    del raw
    long = _drop_rows_without_id(long, cmap, where)
    long["participant"] = _map_unique(long["participant"], _id)
    long["arm"] = _map_unique(long["arm"], lambda a: _arm(a, arm_labels))
    _check_arms(long, cmap, where, as_written=baseline_column is not None)
    long["value"] = _numeric_values(long, dec, where)
    _check_one_arm_and_one_row_per_visit(long, cmap, where)
    if instrument is not None:
        _check_range(long, instrument, where)
    long["baseline"] = _baselines(long, baseline_week, baseline_column, where)
    long = long.loc[long["value"].notna()]
    if baseline_column is not None and "visit" in cmap:
        visit = _map_unique(long["_visit"], lambda v: str(v).strip())
    else:
        visit = _map_unique(long["week"], lambda w: "baseline" if w == baseline_week else f"week {w:g}")
    label = instrument if instrument is not None else cmap["value"] if layout == "long" else "value"
    order = _participant_week_order(long)
    # the output built here, not in a helper, so each input column is freed as soon as it is converted
    # (a helper's caller would keep them alive): peak memory near the output's size
    long = long[["participant", "arm", "week", "value", "baseline"]]
    cols = {"visit": _as_object(visit, order)}
    del visit
    for c in ("participant", "arm"):
        cols[c] = _as_object(long.pop(c), order)
    for c in ("week", "value", "baseline"):
        cols[c] = long.pop(c).to_numpy(float)[order]
    cols["outcome"] = np.full(len(order), label, dtype=object)
    del long
    # object dtype on pandas 2 and 3 (pandas 3 would infer its str dtype, copying every column)
    return pd.DataFrame({c: pd.Series(cols.pop(c), dtype=None if c in ("week", "value", "baseline") else object,
                                      copy=False) for c in CANONICAL_COLUMNS}, copy=False)


def _column_map(columns: Mapping[str, str] | None, baseline_column: str | None) -> dict[str, str]:
    """Canonical name -> column in the file (``visit`` only with ``baseline_column``)."""
    cmap = {"participant": "participant", "arm": "arm", "week": "week", "value": "value"}
    if columns:
        unknown = set(columns) - set(cmap) - ({"visit"} if baseline_column is not None else set())
        if unknown:
            raise ValueError(f"columns has unknown canonical name(s) {sorted(unknown)}; use {sorted(cmap)}.")
        cmap.update(columns)
    return cmap


def _read_source(source: str | PathLike | pd.DataFrame, layout: str, cmap: dict[str, str],
                 values: Mapping[str, float] | None, baseline_column: str | None, *, sheet: str | int | None,
                 sep: str | None, decimal: str | None) -> tuple[str, pd.DataFrame, str]:
    """``(where, raw, decimal mark)``: the table with a ``_row`` column numbering rows as its source does.

    A file's rows are numbered as a spreadsheet numbers them (header = row 1); a DataFrame's by its index.
    Only the columns the layout needs are read from a file.
    """
    if isinstance(source, pd.DataFrame):
        raw = source.copy(deep=False)
        raw["_row"] = raw.index
        return "data", raw, decimal or "."
    need = [cmap["participant"], cmap["arm"], *(values or [])]
    if layout == "long":
        need += [cmap["week"], cmap["value"]]
        need += [c for c in (baseline_column, cmap.get("visit")) if c is not None]
    raw, dec = read_table(Path(source), sheet=sheet, sep=sep, decimal=decimal,
                          dtype={cmap["participant"]: str, cmap["arm"]: str}, usecols=need,
                          categories=[cmap["participant"], cmap["arm"]])
    raw["_row"] = np.arange(2, len(raw) + 2, dtype=np.int32)
    return str(source), raw, dec


def _melt_wide(raw: pd.DataFrame, cmap: dict[str, str], values: Mapping[str, float] | None,
               where: str) -> pd.DataFrame:
    """One row per participant and visit column of a wide table (``_col`` names the column read)."""
    if not values:
        raise ValueError("layout='wide' needs values={column: week, ...} naming the visit columns.")
    check_columns(raw, [cmap["participant"], cmap["arm"], *values], what=where)
    long = raw.melt(id_vars=["_row", cmap["participant"], cmap["arm"]], value_vars=list(values),
                    var_name="_col", value_name="value")
    long["week"] = long["_col"].map(dict(values)).astype(float)
    return long.rename(columns={cmap["participant"]: "participant", cmap["arm"]: "arm"})


def _long_rows(raw: pd.DataFrame, cmap: dict[str, str], baseline_column: str | None, where: str,
               dec: str) -> pd.DataFrame:
    """A long table under canonical names, its weeks checked to be finite numbers."""
    extra = [c for c in (baseline_column, cmap.get("visit")) if c is not None]
    check_columns(raw, [cmap[k] for k in ("participant", "arm", "week", "value")] + extra, what=where)
    long = raw.rename(columns={cmap[k]: k for k in ("participant", "arm", "week", "value")})
    if baseline_column is not None:
        long["_base"] = raw[baseline_column].to_numpy()
        long["_visit"] = raw[cmap["visit"]].to_numpy() if "visit" in cmap else None
    long["_col"] = pd.Categorical.from_codes(np.zeros(len(long), dtype=np.int8), [cmap["value"]])
    wk = pd.to_numeric(normalise_decimal(long["week"], dec), errors="coerce")
    bad = (wk.isna() | ~np.isfinite(wk.astype(float))).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{where}, row {long['_row'].iloc[i]}: column {cmap['week']!r} must hold numeric "
                        f"weeks; participant {long['participant'].iloc[i]!r} has {long['week'].iloc[i]!r}.")
    long["week"] = wk.astype(float)
    return long


def _drop_rows_without_id(long: pd.DataFrame, cmap: dict[str, str], where: str) -> pd.DataFrame:
    """Rows without a participant id dropped (a warning names them); no rows left is an error."""
    no_id = long["participant"].isna()
    blank = [u for u in pd.unique(long["participant"].dropna()) if str(u).strip() == ""]
    if blank:
        no_id |= long["participant"].isin(blank)
    if no_id.any():
        rows = sorted(np.asarray(pd.unique(long.loc[no_id, "_row"])).tolist())
        warnings.warn(f"{where}: {len(rows)} row(s) have no participant id in column {cmap['participant']!r} "
                      f"and are excluded: rows {rows[:10]}{' ...' if len(rows) > 10 else ''}.", DataWarning,
                      stacklevel=3)
        long = long.loc[~no_id]
    if long.empty:
        raise DataError(f"{where}: no data rows (only a header, or every row without a participant id).")
    return long.reset_index(drop=True)


def _check_arms(long: pd.DataFrame, cmap: dict[str, str], where: str, *, as_written: bool) -> None:
    """Every row has an arm, and (unless arms are kept as written, ADaM) a known arm code."""
    arm = long["arm"]
    bad_arm = arm.isna()
    if not as_written:
        bad_arm |= arm.isin([a for a in arm.cat.categories if not re.match(ARM_PATTERN, a)])
    if bad_arm.any():
        r = long.loc[bad_arm].iloc[0]
        what = "no arm (empty cell)" if pd.isna(r["arm"]) else f"unknown arm {r['arm']!r}"
        raise DataError(f"{where}, row {r['_row']}: participant {r['participant']!r} has {what} in column "
                        f"{cmap['arm']!r}; arms must be retro, forward, control, retro_plus or other "
                        "(optionally numbered). Fill it in or recode with arm_labels={...}.")


def _numeric_values(long: pd.DataFrame, dec: str, where: str) -> pd.Series:
    """The values as finite floats (empty cells NaN); text or infinity is an error naming the row."""
    vals = normalise_decimal(long["value"], dec)
    num = pd.to_numeric(vals, errors="coerce")
    text = np.array(num.isna() & vals.notna(), dtype=bool)
    if text.any():
        text[text] = vals[text].astype(object).map(lambda v: str(v).strip() != "").to_numpy(bool)
    if text.any():
        r = long.loc[text].iloc[0]
        raise DataError(f"{where}, row {r['_row']}: participant {r['participant']!r}, column {r['_col']!r} "
                        f"holds {r['value']!r}, which is not a number. Fix it or leave the cell empty.")
    del vals, text
    num = num.astype(float)
    inf = np.isinf(num.to_numpy())
    if inf.any():
        r = long.loc[inf].iloc[0]
        raise DataError(f"{where}, row {r['_row']}: participant {r['participant']!r}, column {r['_col']!r} "
                        f"holds {num[inf].iloc[0]!r}; values must be finite.")
    return num


def _check_one_arm_and_one_row_per_visit(long: pd.DataFrame, cmap: dict[str, str], where: str) -> None:
    """Each participant in one arm, with at most one row per week."""
    pc = long["participant"].cat.codes.to_numpy().astype(np.int64)
    n_arm = max(len(long["arm"].cat.categories), 1)
    pairs = np.unique(pc * n_arm + long["arm"].cat.codes.to_numpy())
    two = np.bincount(pairs // n_arm, minlength=len(long["participant"].cat.categories)) > 1
    del pairs
    if two.any():
        p = long["participant"].cat.categories[int(np.flatnonzero(two)[0])]
        raise DataError(f"{where}: participant {p!r} appears in more than one arm "
                        f"({sorted(long.loc[long['participant'] == p, 'arm'].unique())}) in column "
                        f"{cmap['arm']!r}.")
    wc, wu = pd.factorize(long["week"])
    key = pc * max(len(wu), 1) + wc
    del wc, pc
    srt = np.sort(key)
    twice = srt[1:][srt[1:] == srt[:-1]]
    del srt
    if twice.size:
        r = long.loc[key == twice[0]].iloc[0]
        raise DataError(f"{where}, row {r['_row']}: participant {r['participant']!r} has more than one row at "
                        f"week {r['week']:g} (column {r['_col']!r}); keep one row per participant and visit.")


def _check_range(long: pd.DataFrame, instrument: str, where: str) -> None:
    """Every value inside the instrument's range (``outcome_scales``)."""
    sc = scale_info(instrument)
    out = (long["value"] < sc["min"]) | (long["value"] > sc["max"])
    if out.any():
        r = long.loc[out].iloc[0]
        raise DataError(f"{where}, row {r['_row']}: participant {r['participant']!r}, column {r['_col']!r} "
                        f"has {r['value']:g}, outside the {instrument} range [{sc['min']:g}, {sc['max']:g}].")


def _baselines(long: pd.DataFrame, baseline_week: float, baseline_column: str | None, where: str) -> np.ndarray:
    """Each row's participant baseline: the value at ``baseline_week`` or the baseline column.

    Participants without one are named in a warning (their baseline is NaN).
    """
    if baseline_column is not None:
        base = _baseline_from_column(long, baseline_column, where)
    else:
        pcodes = long["participant"].cat.codes.to_numpy()
        at_base = (long["week"] == baseline_week).to_numpy()
        per_participant = np.full(len(long["participant"].cat.categories), np.nan)
        per_participant[pcodes[at_base]] = long["value"].to_numpy()[at_base]
        base = per_participant[pcodes]
    nobase = pd.unique(long.loc[np.isnan(base), "participant"].astype(object))
    if len(nobase):
        src = f"column {baseline_column!r}" if baseline_column is not None else f"week {baseline_week:g}"
        warnings.warn(f"{len(nobase)} participant(s) have no baseline value ({src}): "
                      f"{list(nobase[:10])}{' ...' if len(nobase) > 10 else ''}; ANCOVA and MMRM will "
                      "exclude them.", DataWarning, stacklevel=3)
    return base


def _participant_week_order(long: pd.DataFrame) -> np.ndarray:
    """Row order by participant, then week, stably: participants numerically when every id is a number."""
    cats = pd.Series(long["participant"].cat.categories)
    num = pd.to_numeric(cats, errors="coerce")
    rank = np.argsort(np.argsort((num if num.notna().all() else cats).to_numpy(), kind="stable"), kind="stable")
    return np.lexsort((long["week"].to_numpy(), rank[long["participant"].cat.codes.to_numpy()]))


def _baseline_from_column(long: pd.DataFrame, column: str, where: str) -> np.ndarray:
    """The baseline column as floats, checked to be numeric and constant within participant."""
    num = pd.to_numeric(long["_base"], errors="coerce")
    text = num.isna() & long["_base"].notna() & (long["_base"].astype(str).str.strip() != "")
    if text.any():
        r = long.loc[text].iloc[0]
        raise DataError(f"{where}, row {r['_row']}: participant {r['participant']!r}, column {column!r} holds "
                        f"{r['_base']!r}, which is not a number.")
    varying = num.groupby(long["participant"], observed=True).nunique() > 1
    if varying.any():
        raise DataError(f"{where}: baseline column {column!r} varies within participant "
                        f"{varying.index[varying][0]!r}; it must hold the participant's baseline on every row.")
    return num.groupby(long["participant"], observed=True).transform("first").to_numpy(float)


def _as_object(s: pd.Series, order: np.ndarray) -> np.ndarray:
    """A categorical column as an object array (shared strings: 8 bytes a row), in ``order``."""
    return np.asarray(s.cat.categories, dtype=object)[s.cat.codes.to_numpy()[order]]


def _map_unique(s: pd.Series, func) -> pd.Series:
    """``s.map(func)`` evaluated once per distinct value, as a categorical (compact on long files)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    mapped = [func(u) for u in uniq]
    keep = [m is not None for m in mapped]
    new_codes, new_uniq = pd.factorize(pd.Series([m for m in mapped if m is not None], dtype=object))
    table = np.full(len(mapped) + 1, -1, dtype=np.int64)
    table[np.flatnonzero(keep)] = new_codes
    cat = pd.Categorical.from_codes(table[codes], categories=pd.Index(new_uniq, dtype=object))
    return pd.Series(cat, index=s.index)


def _arm(a: object, labels: Mapping[object, str] | None) -> str | None:
    if labels:
        if a in labels:
            a = labels[a]
        else:
            key = _id(a)
            for k, v in labels.items():
                if _id(k) == key:
                    a = v
                    break
    s = str(a).strip()
    return s or None


def _id(p: object) -> str:
    if isinstance(p, (float, np.floating)) and float(p).is_integer():
        return str(int(p))
    return str(p).strip()
