"""Read participant-level trial data (CSV, XLSX, SPSS .sav, Stata .dta; long or wide) into one long frame."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets.schemas import ARM_PATTERN
from ..exceptions import DataError, DataWarning
from ..validators import check_columns, check_option
from .scales import scale_info

__all__ = ["read_participants", "CANONICAL_COLUMNS"]

#: Columns of the canonical long frame, in order.
CANONICAL_COLUMNS = ("participant", "arm", "visit", "week", "outcome", "value", "baseline")


def _read_file(path: Path, sheet: str | int | None) -> pd.DataFrame:
    ext = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    if ext in (".csv", ".txt"):
        return pd.read_csv(path)
    if ext in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path, sheet_name=0 if sheet is None else sheet)
    if ext == ".sav":
        import pyreadstat

        df, _ = pyreadstat.read_sav(str(path), apply_value_formats=True)
        return df
    if ext == ".dta":
        return pd.read_stata(path)
    raise DataError(f"{path}: unknown file type {ext!r}; use .csv, .xlsx, .sav (SPSS) or .dta (Stata).")


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
        participant's baseline value (NaN if missing).

    Raises
    ------
    DataError
        Missing columns, text in the values, a participant in two arms, duplicated participant-visit rows,
        unknown arms, values outside the instrument's range; each message names the participant and column.

    Warns
    -----
    DataWarning
        Participants without a baseline value.

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
    where = str(source) if not isinstance(source, pd.DataFrame) else "data"
    raw = source.copy() if isinstance(source, pd.DataFrame) else _read_file(Path(source), sheet)
    cmap = {"participant": "participant", "arm": "arm", "week": "week", "value": "value"}
    if columns:
        unknown = set(columns) - set(cmap) - ({"visit"} if baseline_column is not None else set())
        if unknown:
            raise ValueError(f"columns has unknown canonical name(s) {sorted(unknown)}; use {sorted(cmap)}.")
        cmap.update(columns)
    if layout == "wide":
        if not values:
            raise ValueError("layout='wide' needs values={column: week, ...} naming the visit columns.")
        check_columns(raw, [cmap["participant"], cmap["arm"], *values], what=where)
        long = raw.melt(id_vars=[cmap["participant"], cmap["arm"]], value_vars=list(values),
                        var_name="_col", value_name="value")
        long["week"] = long["_col"].map(dict(values)).astype(float)
        long = long.rename(columns={cmap["participant"]: "participant", cmap["arm"]: "arm"})
    else:
        extra = [c for c in (baseline_column, cmap.get("visit")) if c is not None]
        check_columns(raw, [cmap[k] for k in ("participant", "arm", "week", "value")] + extra, what=where)
        long = raw.rename(columns={cmap[k]: k for k in ("participant", "arm", "week", "value")})
        if baseline_column is not None:
            long["_base"] = raw[baseline_column].to_numpy()
            long["_visit"] = raw[cmap["visit"]].to_numpy() if "visit" in cmap else None
        long["_col"] = cmap["value"]
        wk = pd.to_numeric(long["week"], errors="coerce")
        if wk.isna().any():
            i = int(np.flatnonzero(wk.isna().to_numpy())[0])
            raise DataError(f"{where}: column {cmap['week']!r} must hold numeric weeks; participant "
                            f"{long['participant'].iloc[i]!r} has {long['week'].iloc[i]!r}.")
        long["week"] = wk.astype(float)
    long = long.loc[long["participant"].notna()].copy()
    long["participant"] = [_id(p) for p in long["participant"]]
    arm = long["arm"]
    if arm_labels:
        arm = arm.map(lambda a: arm_labels.get(a, arm_labels.get(_id(a), a)) if pd.notna(a) else a)
    long["arm"] = [None if pd.isna(a) else str(a).strip() for a in arm]
    if baseline_column is not None:  # trial data (ADaM): arms kept as written
        bad_arm = long["arm"].map(lambda a: a is None)
    else:
        bad_arm = long["arm"].map(lambda a: a is None or not re.match(ARM_PATTERN, a))
    if bad_arm.any():
        r = long.loc[bad_arm].iloc[0]
        raise DataError(f"{where}: participant {r['participant']!r} has unknown arm {r['arm']!r} in column "
                        f"{cmap['arm']!r}; arms must be retro, forward, control, retro_plus or other "
                        "(optionally numbered). Recode with arm_labels={...}.")
    # text in the values
    num = pd.to_numeric(long["value"], errors="coerce")
    text = num.isna() & long["value"].notna() & (long["value"].astype(str).str.strip() != "")
    if text.any():
        r = long.loc[text].iloc[0]
        raise DataError(f"{where}: participant {r['participant']!r}, column {r['_col']!r} holds "
                        f"{r['value']!r}, which is not a number. Fix it or leave the cell empty.")
    long["value"] = num.astype(float)
    two = long.groupby("participant")["arm"].nunique()
    if (two > 1).any():
        p = two.index[two > 1][0]
        raise DataError(f"{where}: participant {p!r} appears in more than one arm "
                        f"({sorted(long.loc[long['participant'] == p, 'arm'].unique())}) in column "
                        f"{cmap['arm']!r}.")
    dup = long.duplicated(["participant", "week"], keep=False)
    if dup.any():
        r = long.loc[dup].iloc[0]
        raise DataError(f"{where}: participant {r['participant']!r} has more than one row at week "
                        f"{r['week']:g} (column {r['_col']!r}); keep one row per participant and visit.")
    if instrument is not None:
        sc = scale_info(instrument)
        out = (long["value"] < sc["min"]) | (long["value"] > sc["max"])
        if out.any():
            r = long.loc[out].iloc[0]
            raise DataError(f"{where}: participant {r['participant']!r}, column {r['_col']!r} has "
                            f"{r['value']:g}, "
                            f"outside the {instrument} range [{sc['min']:g}, {sc['max']:g}].")
    long["outcome"] = instrument if instrument is not None else cmap["value"] if layout == "long" else "value"
    if baseline_column is not None:
        long["baseline"] = _baseline_from_column(long, baseline_column, where)
    else:
        base = long.loc[long["week"] == baseline_week].set_index("participant")["value"]
        long["baseline"] = long["participant"].map(base).astype(float)
    nobase = pd.unique(long.loc[long["baseline"].isna(), "participant"])
    if len(nobase):
        src = f"column {baseline_column!r}" if baseline_column is not None else f"week {baseline_week:g}"
        warnings.warn(f"{len(nobase)} participant(s) have no baseline value ({src}): "
                      f"{list(nobase[:10])}{' ...' if len(nobase) > 10 else ''}; ANCOVA and MMRM will "
                      "exclude them.", DataWarning, stacklevel=2)
    long = long.loc[long["value"].notna()]
    if baseline_column is not None and "visit" in cmap:
        long["visit"] = [str(v).strip() for v in long["_visit"]]
    else:
        long["visit"] = ["baseline" if w == baseline_week else f"week {w:g}" for w in long["week"]]
    long = long.sort_values(["participant", "week"], kind="mergesort", key=_sort_key).reset_index(drop=True)
    return long[list(CANONICAL_COLUMNS)]


def _baseline_from_column(long: pd.DataFrame, column: str, where: str) -> pd.Series:
    """The baseline column as floats, checked to be numeric and constant within participant."""
    num = pd.to_numeric(long["_base"], errors="coerce")
    text = num.isna() & long["_base"].notna() & (long["_base"].astype(str).str.strip() != "")
    if text.any():
        r = long.loc[text].iloc[0]
        raise DataError(f"{where}: participant {r['participant']!r}, column {column!r} holds {r['_base']!r}, "
                        "which is not a number.")
    varying = num.groupby(long["participant"]).nunique() > 1
    if varying.any():
        raise DataError(f"{where}: baseline column {column!r} varies within participant "
                        f"{varying.index[varying][0]!r}; it must hold the participant's baseline on every row.")
    first = num.groupby(long["participant"]).transform("first")
    return first.astype(float)


def _id(p: object) -> str:
    if isinstance(p, (float, np.floating)) and float(p).is_integer():
        return str(int(p))
    return str(p).strip()


def _sort_key(s: pd.Series) -> pd.Series:
    if s.name == "participant":
        num = pd.to_numeric(s, errors="coerce")
        return num if num.notna().all() else s
    return s
