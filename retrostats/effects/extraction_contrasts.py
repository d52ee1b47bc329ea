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

import difflib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..datasets import load_dataset
from ..datasets.schemas import CONTRAST_STATISTICS, OUTCOMES, RELATIONS
from ..exceptions import DataError

__all__ = ["contrast_template", "read_contrasts", "CONTRAST_COLUMNS"]

#: columns of the between-arm sheet, in order (the ``retro_contrasts`` schema minus ``value_text``)
CONTRAST_COLUMNS = [
    "study_id", "comparison", "outcome", "instrument", "week", "statistic", "variant", "relation", "value",
    "source_location", "source_url", "ambiguous", "note",
]
_REQUIRED = ["study_id", "comparison", "outcome", "instrument", "statistic", "value"]
_KEY = ["study_id", "comparison", "outcome", "instrument", "week", "statistic", "variant"]
_COMPARISON = r"^(retro|forward|control|retro_plus|other)\d* vs (retro|forward|control|retro_plus|other)\d*$"
_HELP = {
    "study_id": "a study identifier such as 'smith2024' (lower case letters, digits, underscores)",
    "comparison": "'<arm> vs <arm>' with arms retro, forward, control, retro_plus, other (e.g. 'retro vs control')",
    "outcome": f"one of {', '.join(OUTCOMES)}",
    "instrument": "an instrument code from rs.load_dataset('outcome_scales')",
    "statistic": f"one of {', '.join(CONTRAST_STATISTICS)} (a mean difference is first arm minus second)",
    "relation": f"one of {', '.join(RELATIONS)} ('<' for 'p < 0.05'); empty means '='",
    "value": "the number exactly as printed (e.g. 0.04), without units or symbols",
}


def contrast_template(path: str | Path) -> Path:
    """Write an empty between-arm extraction sheet (CSV or XLSX, from the suffix).

    Parameters
    ----------
    path : str or Path
        Where to write; ``.csv`` or ``.xlsx`` (an XLSX sheet gets an ``instructions`` sheet).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        If the suffix is neither ``.csv`` nor ``.xlsx``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(f"path must end in .csv or .xlsx; got {str(p)!r}.")
    df = pd.DataFrame(columns=CONTRAST_COLUMNS)
    p.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        df.to_csv(p, index=False, lineterminator="\n")
    else:
        info = pd.DataFrame(
            [{"column": c, "required": c in _REQUIRED, "what to write": _HELP.get(c, "")} for c in CONTRAST_COLUMNS]
        )
        with pd.ExcelWriter(p, engine="openpyxl") as xl:
            df.to_excel(xl, sheet_name="between_arms", index=False)
            info.to_excel(xl, sheet_name="instructions", index=False)
            ws = xl.sheets["between_arms"]
            col = CONTRAST_COLUMNS.index("value") + 1
            for row in range(2, 2002):  # text cells keep the printed digits
                ws.cell(row=row, column=col).number_format = "@"
    return p


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def _hint(value: str, options: Any) -> str:
    close = difflib.get_close_matches(value, [str(o) for o in options], n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def read_contrasts(  # noqa: C901
    source: str | Path | pd.DataFrame, *, scales: pd.DataFrame | None = None
) -> pd.DataFrame:
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
    """
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
    raw = raw[~raw.map(_empty).all(axis=1)].reset_index(drop=True)
    if raw.empty:
        raise DataError(f"{name}: the sheet has no data rows.")
    sc = (load_dataset("outcome_scales") if scales is None else scales).set_index("instrument")

    def err(i: int, col: str, msg: str) -> DataError:
        return DataError(f"{name}, row {i + 2}, column {col!r}: {msg}")

    out = raw.copy()
    values, weeks, texts, rel = np.empty(len(raw)), np.full(len(raw), np.nan), [], []
    for i, r in raw.iterrows():
        for c in _REQUIRED:
            if _empty(r[c]):
                raise err(i, c, f"a value is required; write {_HELP[c]}.")
        sid = str(r["study_id"]).strip()
        if not re.match(r"^[a-z0-9_]+$", sid):
            raise err(i, "study_id", f"{sid!r} is not a valid identifier; use {_HELP['study_id']}.")
        comp = re.sub(r"\s+", " ", str(r["comparison"]).strip())
        if not re.match(_COMPARISON, comp):
            raise err(i, "comparison", f"{comp!r} is not a comparison; use {_HELP['comparison']}.")
        for c, allowed in (("outcome", OUTCOMES), ("statistic", CONTRAST_STATISTICS)):
            v = str(r[c]).strip()
            if v not in allowed:
                raise err(i, c, f"{v!r} is not allowed; use {_HELP[c]}.{_hint(v, allowed)}")
        inst = str(r["instrument"]).strip()
        if inst not in sc.index:
            raise err(i, "instrument", f"{inst!r} is not a known instrument.{_hint(inst, sc.index)}")
        relation = "=" if _empty(r["relation"]) else str(r["relation"]).strip()
        if relation not in RELATIONS:
            raise err(i, "relation", f"{relation!r} is not allowed; use {_HELP['relation']}.")
        text = str(r["value"]).strip().replace("\u2212", "-")
        try:
            x = float(text)
        except ValueError:
            raise err(i, "value", f"{r['value']!r} is not a number; {_HELP['value']}.") from None
        if not math.isfinite(x):
            raise err(i, "value", f"{r['value']!r} is not a finite number.")
        stat = str(r["statistic"]).strip()
        if stat == "p_value" and not 0 <= x <= 1:
            raise err(i, "value", f"a p-value must lie in [0, 1]; got {text}.")
        if stat == "F" and x < 0:
            raise err(i, "value", f"an F statistic cannot be negative; got {text}.")
        if not _empty(r["week"]):
            try:
                weeks[i] = float(str(r["week"]).strip())
            except ValueError:
                raise err(i, "week", f"{r['week']!r} is not a number of weeks.") from None
            if weeks[i] < 0:
                raise err(i, "week", f"{r['week']!r} must be >= 0.")
        if _empty(r["source_url"]) and _empty(r["source_location"]):
            raise err(i, "source_location", "every value needs a source: fill source_url and/or source_location.")
        values[i] = x
        texts.append(text)
        rel.append(relation)
        fixed = [sid, comp, str(r["outcome"]).strip(), inst, stat]
        out.loc[i, ["study_id", "comparison", "outcome", "instrument", "statistic"]] = fixed
    out["value"], out["value_text"], out["week"], out["relation"] = values, texts, weeks, rel
    out["variant"] = [None if _empty(v) else str(v).strip() for v in out["variant"]]
    out["ambiguous"] = [
        False if _empty(v) else str(v).strip().lower() in ("true", "1", "yes") for v in out["ambiguous"]
    ]
    dup = out[_KEY].astype(str).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = [int(j) + 2 for j in np.flatnonzero(dup)]
        raise DataError(f"{name}, rows {rows}: duplicate rows for the same study, comparison, outcome, "
                        "instrument, week and statistic; keep one.")
    for _, g in out.groupby(["study_id", "comparison", "outcome", "instrument", "week", "variant"], dropna=False):
        got = dict(zip(g["statistic"], zip(g.index, g["value"])))
        if "ci_low" in got and "ci_high" in got and got["ci_low"][1] > got["ci_high"][1]:
            raise err(int(got["ci_high"][0]), "value", "ci_high is below ci_low; swap them or check the source.")
    cols = list(load_dataset("retro_contrasts").columns)
    return out.reindex(columns=cols).reset_index(drop=True)
