r"""The between-arm extraction sheet: a user's published contrasts in the ``retro_contrasts`` schema.

Trials often report what happened *between* the arms (a p-value, perhaps only "p < 0.05", a mean
difference with its CI, a t or F statistic) rather than each arm's mean and SD. This sheet gives those
results a place, so that a user's extraction can be as rich as the registry's, and
:func:`retrostats.merge_extraction` merges it with the shipped ``retro_contrasts``.

Examples
--------
>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> path = contrast_template(os.path.join(d, "between.csv"))
>>> with open(path, "a") as fh:
...     _ = fh.write("smith2024,retro vs control,pain,NPRS,4,p_value,,<,0.05,Table 3,https://doi.org/x,,\n")
>>> read_contrasts(path)[["study_id", "statistic", "relation", "value"]]
    study_id statistic relation  value
0  smith2024   p_value        <   0.05
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets import load_dataset
from ..datasets.schemas import is_blank
from ..datasets.sheets import CONTRAST_SHEET as SHEET
from ..datasets.sheets import write_template
from ..exceptions import DataError
from ..validators import did_you_mean

__all__ = ["contrast_template", "read_contrasts", "CONTRAST_COLUMNS"]

#: columns of the between-arm sheet, in order (the ``retro_contrasts`` schema minus ``value_text``): the columns of
#: :data:`retrostats.datasets.sheets.CONTRAST_SHEET`, which holds each column's rules
CONTRAST_COLUMNS = SHEET.names
_REQUIRED = [c.name for c in SHEET.columns if c.required]


def contrast_template(path: str | Path, *, force: bool = False) -> Path:
    """Write an empty between-arm extraction sheet (CSV or XLSX, from the suffix).

    Parameters
    ----------
    path : str or Path
        Where to write; ``.csv`` or ``.xlsx`` (an XLSX sheet gets an ``instructions`` sheet).
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
    return write_template(path, pd.DataFrame(columns=CONTRAST_COLUMNS), SHEET, sheet_name="between_arms",
                          force=force)


def read_contrasts(source: str | Path | pd.DataFrame, *, scales: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read a filled between-arm sheet (CSV, XLSX or a frame) into the ``retro_contrasts`` schema.

    Parameters
    ----------
    source : path or DataFrame
        A sheet written by :func:`contrast_template` and filled in, or a frame with its columns.
    scales : DataFrame, optional
        Instrument definitions (default: the shipped ``outcome_scales``).

    Returns
    -------
    DataFrame
        The ``retro_contrasts`` columns: ``study_id, comparison, outcome, instrument, week, statistic,
        variant, relation, value`` (float), ``value_text`` (as written), ``source_url, source_location,
        ambiguous, note``.

    Raises
    ------
    DataError
        Naming the file, row (as a spreadsheet numbers it), column and value, and what to do: unknown
        comparison, outcome, statistic, relation or instrument ("did you mean"), a p-value outside
        [0, 1], ``ci_high`` below ``ci_low``, duplicate rows, a value without a source.

    Notes
    -----
    Each cell is checked by the sheet's schema (:data:`retrostats.datasets.sheets.CONTRAST_SHEET`, the
    ``retro_contrasts`` columns with what to write in each); this function adds the instrument, the
    statistic's own limits (p in [0, 1], F >= 0), duplicates and ordered confidence limits.
    """
    name, raw = _sheet_rows(source)
    sc = (load_dataset("outcome_scales") if scales is None else scales).set_index("instrument")
    out = _check_rows(raw, name, sc)
    dup = out[list(SHEET.key)].astype(str).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = [int(j) + 2 for j in np.flatnonzero(dup)]
        raise DataError(f"{name}, rows {rows}: duplicate rows for the same study, comparison, outcome, "
                        "instrument, week and statistic; keep one.")
    for _, g in out.groupby(["study_id", "comparison", "outcome", "instrument", "week", "variant"], dropna=False):
        got = dict(zip(g["statistic"], zip(g.index, g["value"])))
        if "ci_low" in got and "ci_high" in got and got["ci_low"][1] > got["ci_high"][1]:
            raise DataError(f"{name}, row {int(got['ci_high'][0]) + 2}, column 'value': ci_high is below ci_low; "
                            "swap them or check the source.")
    cols = list(load_dataset("retro_contrasts").columns)
    return out.reindex(columns=cols).reset_index(drop=True)


def _sheet_rows(source: str | Path | pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """``(name, rows)``: the sheet's columns in order (absent optional ones empty), without empty rows."""
    from .._readtable import read_sheet as _read_raw

    if isinstance(source, pd.DataFrame):
        name, raw = "contrasts", source.astype(object).where(source.notna(), None).copy()
    else:
        name, raw = str(source), _read_raw(Path(source))
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {missing}; start from contrast_template().")
    unknown = [c for c in raw.columns if c not in CONTRAST_COLUMNS and c != "value_text"]
    if unknown:
        raise DataError(f"{name}: unknown column(s) {unknown}; the sheet's columns are {CONTRAST_COLUMNS}.")
    for c in CONTRAST_COLUMNS:
        if c not in raw.columns:
            raw[c] = None
    raw = raw[CONTRAST_COLUMNS]
    raw = raw[~raw.map(is_blank).all(axis=1)].reset_index(drop=True)
    if raw.empty:
        raise DataError(f"{name}: the sheet has no data rows.")
    return name, raw


def _check_rows(raw: pd.DataFrame, name: str, sc: pd.DataFrame) -> pd.DataFrame:
    """Every row's cells checked (schema, instrument, the statistic's limits, a source), as typed columns."""
    out = raw.copy()
    values, weeks, texts, rel = np.empty(len(raw)), np.full(len(raw), np.nan), [], []
    for i, r in raw.iterrows():
        where = f"{name}, row {i + 2}"
        SHEET.check_required(r, where=where)
        comparison = re.sub(r"\s+", " ", str(r["comparison"]).strip())  # 'retro  vs control' as one space
        fixed = [SHEET.check_cell("study_id", r["study_id"], where=where),
                 SHEET.check_cell("comparison", comparison, where=where),
                 SHEET.check_cell("outcome", r["outcome"], where=where)]
        stat = SHEET.check_cell("statistic", r["statistic"], where=where)
        inst = str(r["instrument"]).strip()
        if inst not in sc.index:
            raise DataError(f"{where}, column 'instrument': {inst!r} is not a known instrument."
                            f"{did_you_mean(inst, sc.index)}")
        rel.append("=" if is_blank(r["relation"]) else SHEET.check_cell("relation", r["relation"], where=where))
        x = SHEET.check_cell("value", r["value"], where=where)
        text = str(r["value"]).strip().replace("\u2212", "-")  # as printed, for value_text
        if stat == "p_value" and not 0 <= x <= 1:
            raise DataError(f"{where}, column 'value': a p-value must lie in [0, 1]; got {text}.")
        if stat == "F" and x < 0:
            raise DataError(f"{where}, column 'value': an F statistic cannot be negative; got {text}.")
        week = SHEET.check_cell("week", r["week"], where=where)
        weeks[i] = np.nan if week is None else week
        if SHEET.check_cell("source_url", r["source_url"], where=where) is None and SHEET.check_cell(
                "source_location", r["source_location"], where=where) is None:
            raise DataError(f"{where}, column 'source_location': every value needs a source: fill source_url "
                            "and/or source_location.")
        values[i] = x
        texts.append(text)
        out.loc[i, ["study_id", "comparison", "outcome", "instrument", "statistic"]] = [*fixed, inst, stat]
    out["value"], out["value_text"], out["week"], out["relation"] = values, texts, weeks, rel
    out["variant"] = [None if is_blank(v) else str(v).strip() for v in out["variant"]]
    out["ambiguous"] = [bool(SHEET.check_cell("ambiguous", v, where=f"{name}, row {i + 2}"))
                        for i, v in enumerate(out["ambiguous"].tolist())]
    return out
