"""The extraction sheets' rules, as schemas derived from the datasets they feed.

The arm-level sheet (:func:`retrostats.read_extraction`) is the ``retro_arms`` schema and the between-arm
sheet (:func:`retrostats.read_contrasts`) the ``retro_contrasts`` schema, each without the columns a reader
fills in itself (``value_text``; ``flag``, ``derived``, ``derivation`` for arms), with the differences a
sheet needs stated here: what to write in each cell (``hint``, shown in messages and in the XLSX
instructions), the wording of a broken rule, and rules that differ (a source needs ``source_url`` or
``source_location``, not both; an empty relation means ``=``; a sheet compares two arms, never "all arms").
The readers validate every cell through :meth:`~retrostats.datasets.schemas.Schema.check_cell`.

Examples
--------
>>> EXTRACTION_SHEET.check_cell("timepoint", " post ", where="sheet.csv, row 2")
'post'
>>> EXTRACTION_SHEET.check_cell("ambiguous", "Yes", where="sheet.csv, row 2")
True
>>> EXTRACTION_SHEET.check_cell("ambiguous", "maybe", where="sheet.csv, row 2")
Traceback (most recent call last):
...
retrostats.exceptions.DataError: sheet.csv, row 2, column 'ambiguous': 'maybe' is not TRUE/FALSE.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .schemas import (
    CONTRAST_STATISTICS,
    OUTCOMES,
    RELATIONS,
    RETRO_ARMS,
    RETRO_CONTRASTS,
    STATISTICS,
    TIMEPOINTS,
    Schema,
)

__all__ = ["EXTRACTION_SHEET", "CONTRAST_SHEET", "SHEET_COMPARISON_PATTERN", "write_template"]

_ARMS = r"(retro|forward|control|retro_plus|other)\d*"
#: A between-arm sheet compares two arms (the registry's ``all arms`` rows are not entered by users).
SHEET_COMPARISON_PATTERN = rf"^{_ARMS} vs {_ARMS}$"


def _sheet(dataset: Schema, name: str, title: str, columns: dict[str, dict[str, Any]],
           key: tuple[str, ...]) -> Schema:
    """The sheet's columns: the dataset's, in the sheet's order, with the sheet's changes."""
    return Schema(name, title, f"A user's extraction sheet read into {dataset.name}; its columns are "
                  f"{dataset.name}'s with what to write in each cell.",
                  tuple(replace(dataset.column(c), **changes) for c, changes in columns.items()), key=key)


def _reword(**templates: str) -> tuple[tuple[str, str], ...]:
    return tuple(templates.items())


_STUDY_ID = {"hint": "a study identifier such as 'smith2024' (lower case letters, digits, underscores)",
             "messages": _reword(pattern="{value!r} is not a valid identifier; use {hint}.")}
_INSTRUMENT = {"hint": "an instrument code from rs.load_dataset('outcome_scales')"}
_OUTCOME = {"hint": f"one of {', '.join(OUTCOMES)}"}
_VALUE_MESSAGES = _reword(number="{raw!r} is not a number; {hint}.")
_EITHER_SOURCE = {"required": False}  # a value needs source_url and/or source_location (checked by the reader)

#: The arm-level extraction sheet (``extraction_template``, ``read_extraction``): ``retro_arms`` without
#: ``value_text`` and the registry-only columns; key as ``retro_arms``.
EXTRACTION_SHEET = _sheet(RETRO_ARMS, "extraction_sheet", "Arm-level extraction sheet", {
    "study_id": _STUDY_ID,
    "arm": {"hint": "an arm code: retro, forward, control, retro_plus or other (a digit may follow: retro2)",
            "messages": _reword(pattern="{value!r} is not an arm code; use {hint}.")},
    "outcome": _OUTCOME,
    "instrument": _INSTRUMENT,
    "timepoint": {"hint": f"one of {', '.join(TIMEPOINTS)}"},
    "week": {"hint": "weeks since randomisation, a number >= 0 (0 at baseline), or empty",
             "messages": _reword(finite="{raw!r} must be >= 0; use {hint}.")},
    "statistic": {"hint": f"one of {', '.join(STATISTICS)}"},
    "value": {"hint": "the number exactly as printed (e.g. 6.50), without units or symbols",
              "messages": _VALUE_MESSAGES},
    "source_location": {**_EITHER_SOURCE, "hint": "where in the source, e.g. 'Table 2'"},
    "source_url": {**_EITHER_SOURCE, "hint": "the address of the source"},
    "ambiguous": {"hint": "TRUE when unclear what the number is (explain in note)"},
    "note": {"hint": "free text"},
    "variant": {"hint": "optional: distinguishes rows that share everything else (e.g. 'after exhausting exercise')"},
    "change_convention": {
        "hint": "optional, for change statistics: post_minus_pre (default) or pre_minus_post when the source "
                "prints a reduction as a positive number",
        "messages": _reword(allowed="{value!r} is not allowed; use post_minus_pre or pre_minus_post (or leave it "
                                    "empty)."),
    },
}, key=RETRO_ARMS.key)

#: The between-arm sheet (``contrast_template``, ``read_contrasts``): ``retro_contrasts`` without
#: ``value_text``; an empty relation means ``=``; the key leaves out ``relation`` (one value per statistic).
CONTRAST_SHEET = _sheet(RETRO_CONTRASTS, "contrast_sheet", "Between-arm extraction sheet", {
    "study_id": _STUDY_ID,
    "comparison": {"pattern": SHEET_COMPARISON_PATTERN,
                   "hint": "'<arm> vs <arm>' with arms retro, forward, control, retro_plus, other "
                           "(e.g. 'retro vs control')",
                   "messages": _reword(pattern="{value!r} is not a comparison; use {hint}.")},
    "outcome": _OUTCOME,
    "instrument": _INSTRUMENT,
    "week": {"messages": _reword(number="{raw!r} is not a number of weeks.", low="{raw!r} must be >= 0.",
                                 finite="{raw!r} must be a finite number of weeks >= 0 (or empty).")},
    "statistic": {"hint": f"one of {', '.join(CONTRAST_STATISTICS)} (a mean difference is first arm minus second)"},
    "variant": {},
    "relation": {"required": False, "hint": f"one of {', '.join(RELATIONS)} ('<' for 'p < 0.05'); empty means '='",
                 "messages": _reword(allowed="{value!r} is not allowed; use {hint}.")},
    "value": {"hint": "the number exactly as printed (e.g. 0.04), without units or symbols",
              "messages": _VALUE_MESSAGES},
    "source_location": _EITHER_SOURCE,
    "source_url": _EITHER_SOURCE,
    "ambiguous": {},
    "note": {},
}, key=("study_id", "comparison", "outcome", "instrument", "week", "statistic", "variant"))


def write_template(path: Any, frame: Any, sheet: Schema, *, sheet_name: str, force: bool = False) -> Any:
    """Write an extraction sheet (``frame``, its columns ``sheet``'s) as CSV, or as XLSX with an ``instructions``
    sheet from the columns' hints and the ``value`` column formatted as text (a typed "6.50" keeps its printed
    digits; 2,000 rows are prepared). An existing file is kept unless ``force``; the file is written aside and
    moved into place, so ``path`` never holds a half-written sheet.

    Raises
    ------
    ValueError
        If the suffix is neither ``.csv`` nor ``.xlsx``.
    FileExistsError
        If ``path`` exists and ``force`` is false.
    """
    from pathlib import Path

    import pandas as pd

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(f"path must end in .csv or .xlsx; got {str(p)!r}.")
    if p.exists() and not force:
        raise FileExistsError(f"{p} exists (a filled sheet?); not overwritten. Choose another name or pass "
                              "force=True.")
    p.parent.mkdir(parents=True, exist_ok=True)
    part = p.with_name(p.name + ".part")
    if suffix == ".csv":
        frame.to_csv(part, index=False, lineterminator="\n")
    else:
        info = pd.DataFrame([{"column": c.name, "required": c.required, "what to write": c.hint}
                             for c in sheet.columns])
        with pd.ExcelWriter(part, engine="openpyxl") as xl:
            frame.to_excel(xl, sheet_name=sheet_name, index=False)
            info.to_excel(xl, sheet_name="instructions", index=False)
            ws = xl.sheets[sheet_name]
            col = list(frame.columns).index("value") + 1
            for row in range(2, 2002):
                ws.cell(row=row, column=col).number_format = "@"
    part.replace(p)
    return p
