"""Reading user files (CSV, XLSX, SPSS, Stata) so that every failure names the file, and European CSVs work.

Shared by :func:`~retrostats.read_participants` and :func:`~retrostats.read_extraction`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .exceptions import DataError

__all__ = ["sniff_csv", "read_table", "check_xlsx_formulas", "normalise_decimal"]

_SNIFF_BYTES = 65536


def sniff_csv(path: Path, sep: str | None = None, decimal: str | None = None,
              encoding: str = "utf-8-sig") -> tuple[str, str]:
    r"""The separator and decimal mark of a CSV: ``sep`` and ``decimal`` if given, else detected.

    A header with more semicolons than commas (outside quotes) is European Excel's CSV: ``sep=";"`` and
    ``decimal=","``; a header with tabs and no commas is tab-separated; otherwise ``","`` and ``"."``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "x.csv"
    ...     _ = p.write_text("id;arm;value\n1;retro;6,5\n", encoding="utf-8")
    ...     sniff_csv(p)
    (';', ',')
    """
    if sep is None:
        try:
            with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
                head = fh.readline(_SNIFF_BYTES)
        except OSError as exc:
            raise DataError(f"{path}: could not be opened ({exc}).") from None
        counts = {s: 0 for s in (",", ";", "\t")}
        inside = False
        for ch in head:  # a quote-aware scan of the header
            if ch == '"':
                inside = not inside
            elif not inside and ch in counts:
                counts[ch] += 1
        if counts[";"] > counts[","] and counts[";"] >= counts["\t"]:
            sep = ";"
        elif counts["\t"] > counts[","]:
            sep = "\t"
        else:
            sep = ","
        if decimal is None:
            decimal = "," if sep == ";" else "."
    return sep, "." if decimal is None else decimal


def normalise_decimal(s: pd.Series, decimal: str) -> pd.Series:
    """Text numbers written with a decimal comma (``"6,5"``) as ``"6.5"``; other cells unchanged."""
    if decimal != "," or s.dtype.kind in "biufc":
        return s
    txt = s.astype("object")
    mask = txt.map(lambda v: isinstance(v, str))
    if not mask.any():
        return s
    conv = txt[mask].str.strip().str.replace(r"^([+\-\u2212]?\d*),(\d+)$", r"\1.\2", regex=True)
    out = txt.copy()
    out[mask] = conv
    return out


def check_xlsx_formulas(path: Path, sheet: str | int | None, frame: pd.DataFrame) -> None:
    """Refuse formula cells that have no saved value (openpyxl reads them as empty, so rows would vanish).

    Only scanned when the frame has empty cells, the only way such cells show.
    """
    if not bool(frame.isna().to_numpy().any()):
        return
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        wv = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is reported with the file's name
        raise DataError(f"{path}: could not be read as XLSX ({type(exc).__name__}: {exc}).") from None
    try:
        name = wb.sheetnames[sheet] if isinstance(sheet, int) else (sheet or wb.sheetnames[0])
        for r_f, r_v in zip(wb[name].iter_rows(), wv[name].iter_rows()):
            for cf, cv in zip(r_f, r_v):
                if isinstance(cf.value, str) and cf.value.startswith("=") and cv.value is None:
                    raise DataError(f"{path}, sheet {name!r}, cell {cf.coordinate}: formula {cf.value!r} has no "
                                    "saved value (the file was written by a program that does not compute "
                                    "formulas). Open and save it in Excel or LibreOffice, or export it as CSV.")
    finally:
        wb.close()
        wv.close()


_CHUNK_ROWS = 100_000


def _check_csv_header(path: Path, sep: str) -> None:
    """Refuse repeated column names (pandas would silently rename the second ``value`` to ``value.1``)."""
    import csv

    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        line = fh.readline(_SNIFF_BYTES)
    names = [c.strip() for c in next(csv.reader([line], delimiter=sep), [])]
    dups = sorted({c for c in names if c and names.count(c) > 1})
    if dups:
        raise DataError(f"{path}: column name(s) {dups} appear more than once in the header; rename them.")


def _read_csv_categorical(path: Path, sep: str, dec: str, cats: list[str], cols: list[str],
                          na: dict) -> pd.DataFrame:
    """Read a CSV in chunks, turning the text columns ``cats`` into categoricals chunk by chunk."""
    from pandas.api.types import union_categoricals

    strip = {str(c).strip(): c for c in cols}
    raw_cats = [strip[c] for c in cats if c in strip]
    parts = []
    with pd.read_csv(path, sep=sep, decimal=dec, dtype={c: str for c in raw_cats}, encoding="utf-8-sig",
                     usecols=cols, chunksize=_CHUNK_ROWS, **na) as reader:
        for chunk in reader:
            for c in raw_cats:
                chunk[c] = chunk[c].astype("category")
            parts.append(chunk)
    if not parts:
        return pd.read_csv(path, sep=sep, decimal=dec, dtype={c: str for c in raw_cats}, encoding="utf-8-sig",
                           usecols=cols, nrows=0)
    if len(parts) == 1:
        return parts[0]
    merged = {c: union_categoricals([p[c] for p in parts]) for c in raw_cats}
    rest = pd.concat([p.drop(columns=raw_cats) for p in parts], ignore_index=True)
    for c in raw_cats:
        rest[c] = merged[c]
    return rest[list(parts[0].columns)]


def read_table(path: Path, *, sheet: str | int | None = None, sep: str | None = None,
               decimal: str | None = None, dtype: Mapping[str, Any] | type | None = None,
               text_na: bool = False, usecols: list[str] | None = None,
               categories: list[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Read a CSV/XLSX/SAV/DTA file; every failure is a :class:`DataError` naming the file.

    Returns the frame and the decimal mark in use (``","`` for European CSVs). ``text_na=True`` keeps
    strings such as ``"NA"`` as text (only empty cells are missing), for sheets read as text. ``usecols``
    reads only those columns of a CSV (the others are never parsed; memory stays near the file's size) when
    they are all present; otherwise every column is read so that the caller can say which are missing.
    ``categories``: columns read as text and kept as categoricals, in chunks, so that a long file's repeated
    ids and arm labels take a few bytes a row.
    """
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    if not path.is_file():
        raise DataError(f"{path}: is not a file.")
    ext = path.suffix.lower()
    na = {"keep_default_na": False, "na_values": [""]} if text_na else {}
    kind = {".csv": "CSV", ".txt": "CSV", ".xlsx": "XLSX", ".xlsm": "XLSX", ".xls": "XLS", ".sav": "SPSS",
            ".dta": "Stata"}.get(ext)
    if kind is None:
        raise DataError(f"{path}: unknown file type {ext!r}; use .csv, .xlsx, .sav (SPSS) or .dta (Stata).")
    dec = "."
    try:
        if kind == "CSV":
            sep, dec = sniff_csv(path, sep, decimal)
            _check_csv_header(path, sep)
            cols = None
            if usecols:
                head = pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig")
                present = [str(c).strip() for c in head.columns]
                if all(c in present for c in usecols):
                    cols = [c for c in head.columns if str(c).strip() in usecols]
            if categories and cols is not None:
                df = _read_csv_categorical(path, sep, dec, list(categories), cols, na)
            else:
                df = pd.read_csv(path, sep=sep, decimal=dec, dtype=dtype, encoding="utf-8-sig", usecols=cols,
                                 **na)
        elif kind in ("XLSX", "XLS"):
            df = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=dtype, **na)
            if kind == "XLSX":
                check_xlsx_formulas(path, sheet, df)
        elif kind == "SPSS":
            import pyreadstat

            df, _ = pyreadstat.read_sav(str(path), apply_value_formats=True)
        else:
            df = pd.read_stata(path)
    except (DataError, FileNotFoundError, ImportError, KeyboardInterrupt, MemoryError):
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty (no header row).") from None
    except Exception as exc:  # noqa: BLE001 - a reader's raw error becomes one that names the file
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise DataError(f"{path}: could not be read as {kind} ({type(exc).__name__}: {msg[:200]}). Check that "
                        f"the file is a valid {kind} file (re-export it if needed).") from None
    if df.shape[1] == 0 or (df.columns.size and all(str(c).startswith("Unnamed") for c in df.columns)):
        raise DataError(f"{path}: no header row with column names found.")
    df.columns = [str(c).strip() for c in df.columns]
    dups = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dups:
        raise DataError(f"{path}: column name(s) {dups} appear more than once; rename them.")
    return df, dec
