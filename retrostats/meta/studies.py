r"""Reading a sheet of studies (wide, tidy or precomputed effects) into one row per study.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d) / "s.csv"
...     _ = p.write_text("study,m1,sd1,n1,m2,sd2,n2\nA,3,1,20,4,1,20\nB,2,1,30,3,1.2,30\n")
...     df, kind, notes = read_studies(p)
>>> kind, list(df["study"])
('wide', ['A', 'B'])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_studies", "STUDY_COLUMNS"]

#: The columns of a wide sheet (metafor escalc's ``m1i sd1i n1i m2i sd2i n2i`` without the ``i``).
STUDY_COLUMNS = ("m1", "sd1", "n1", "m2", "sd2", "n2")
_WIDE = STUDY_COLUMNS
_LABELS = ("study", "label", "slab", "author", "study_id", "trial")


def _label_column(df: Any) -> str | None:
    for c in _LABELS:
        if c in df.columns:
            return c
    return None


def _read_table(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str]:
    """The file as a frame, and a note on which workbook sheet was read (for the layout error)."""
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    where = ""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raw = pd.read_excel(path, sheet_name=sheet or 0)
        if sheet is None:
            with pd.ExcelFile(path) as book:
                names = book.sheet_names
            if len(names) > 1:
                where = (f" (first sheet {names[0]!r} read; the workbook also has {names[1:]}: choose with "
                         "--sheet, or sheet=)")
    elif path.suffix.lower() in (".csv", ".txt"):
        raw = pd.read_csv(path)
    else:
        raise DataError(f"{path}: give a .csv or .xlsx file.")
    return raw, where


def _tidy_to_wide(
    df: pd.DataFrame, lab: str, arms: Sequence[str] | None, path: Path, notes: list[str]
) -> pd.DataFrame:
    """One row per study and arm -> one row per study (m1 sd1 n1 of the experimental arm, m2 sd2 n2 of the
    control), every study holding both arms once; arms left out of the comparison are named in ``notes``.
    """
    import pandas as pd

    names = list(dict.fromkeys(df["arm"].astype(str)))
    if arms is None:
        if len(names) != 2:
            raise DataError(
                f"{path}: the arm column holds {names}; say which two to compare with --arms "
                "EXPERIMENTAL CONTROL (arms= in Python)."
            )
        arms = names
        notes.append(
            f"experimental arm {names[0]!r} (first listed), control {names[1]!r}; --arms (arms=) changes it"
        )
    exp, ctl = (str(a) for a in arms)
    for a in (exp, ctl):
        if a not in names:
            raise DataError(f"{path}: no arm {a!r}; arms are {names}.")
    rows = []
    for study, g in df.groupby(df[lab].astype(str), sort=False):
        by = {str(a): r for a, r in zip(g["arm"].astype(str), g.to_dict("records"))}
        if len(g) != len(by):
            raise DataError(f"{path}: study {study!r} lists an arm twice; one row per study and arm.")
        missing = [a for a in (exp, ctl) if a not in by]
        if missing:
            raise DataError(f"{path}: study {study!r} has no row for arm(s) {missing}; add them or drop it.")
        rows.append(
            {
                "study": study,
                **{f"{k}1": by[exp][v] for k, v in (("m", "mean"), ("sd", "sd"), ("n", "n"))},
                **{f"{k}2": by[ctl][v] for k, v in (("m", "mean"), ("sd", "sd"), ("n", "n"))},
            }
        )
    dropped = sorted(set(names) - {exp, ctl})
    if dropped:
        notes.append(f"arms {dropped} are not part of this comparison and were left out")
    notes.append(f"tidy sheet reshaped to one row per study ({len(rows)} studies)")
    out = pd.DataFrame(rows)
    out.attrs["arms"] = (exp, ctl)
    return out


def read_studies(
    path: str | Path, *, sheet: str | None = None, arms: Sequence[str] | None = None
) -> tuple[pd.DataFrame, str, list[str]]:
    r"""Read a CSV/XLSX sheet of studies into one row per study, ready for ``effect_sizes`` or pooling.

    The sheet is **wide** (one row per study, metafor ``escalc`` style: ``m1 sd1 n1 m2 sd2 n2`` or
    ``m1i sd1i n1i m2i sd2i n2i``, group 1 the experimental arm), **tidy** (one row per study and arm:
    ``study arm mean sd n``) or already holds **effects** (``yi`` with ``vi`` or ``sei``). A ``study`` (or
    ``label``, ``slab``, ``author``, ``study_id``, ``trial``) column names the studies. Column names are
    matched case-insensitively.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.txt`` or ``.xlsx``/``.xlsm``/``.xls`` file.
    sheet : str, optional
        The workbook's sheet to read (default: the first; ``--sheet`` of ``retrostats meta``).
    arms : (str, str), optional
        The experimental and control arm of a tidy sheet (``--arms``); needed when it has more than two
        arms, otherwise the first listed arm is taken as experimental (and a note says so).

    Returns
    -------
    (DataFrame, str, list of str)
        ``(frame, kind, notes)``: ``kind`` is ``"wide"``, ``"tidy"`` or ``"effects"``; the frame has a
        ``study`` column and ``m1 sd1 n1 m2 sd2 n2`` (wide/tidy; a tidy sheet's arm names in
        ``frame.attrs["arms"]``) or ``yi vi`` (effects); ``notes`` says what was renamed, reshaped or assumed.

    Raises
    ------
    DataError
        A file that is neither format, a study of a tidy sheet without both arms, duplicate studies.

    Notes
    -----
    Reading only: nothing is computed. The wide layout is metafor's ``escalc`` input, validated against
    metafor through :func:`retrostats.effect_sizes` (``tests/test_cli_meta.py`` pools a sheet end to end).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "s.csv"
    ...     _ = p.write_text("study,arm,mean,sd,n\nA,retro,3,1,20\nA,control,4,1,20\n")
    ...     df, kind, notes = read_studies(p)
    >>> kind, float(df.loc[0, "m1"]), float(df.loc[0, "m2"])
    ('tidy', 3.0, 4.0)
    """
    import pandas as pd

    if arms is not None and (isinstance(arms, str) or len(arms) != 2):
        raise DataError(f"arms must name two arms (experimental, control); got {arms!r}.")
    path = Path(path)
    raw, where = _read_table(path, sheet)
    notes: list[str] = []
    rename = {c: str(c).strip().lower() for c in raw.columns}
    df = raw.rename(columns=rename)
    metafor = {f"{k[:-1]}{k[-1]}i": k for k in _WIDE}  # m1i -> m1 ...
    hits = {c: metafor[c] for c in df.columns if c in metafor and metafor[c] not in df.columns}
    if hits:
        df = df.rename(columns=hits)
        notes.append("read metafor column names " + ", ".join(f"{a} as {b}" for a, b in hits.items()))
    lab = _label_column(df)
    if all(c in df.columns for c in _WIDE):
        kind = "wide"
    elif all(c in df.columns for c in ("arm", "mean", "sd", "n")) and lab is not None:
        kind = "tidy"
    elif "yi" in df.columns and ("vi" in df.columns or "sei" in df.columns):
        kind = "effects"
        if "vi" not in df.columns:
            df = df.assign(vi=pd.to_numeric(df["sei"], errors="coerce") ** 2)
            notes.append("vi computed as sei squared")
    else:
        raise DataError(
            f"{path}: columns {list(raw.columns)} are none of the supported layouts: wide (one row per study: "
            "m1, sd1, n1, m2, sd2, n2 — or metafor's m1i, sd1i, ...), tidy (one row per study and arm: study, "
            f"arm, mean, sd, n) or effect sizes (yi with vi or sei){where}."
        )
    if kind == "tidy":
        out = _tidy_to_wide(df, lab, arms, path, notes)
    else:
        out = df.copy()
        if lab is None:
            out.insert(0, "study", [f"Study {i + 1}" for i in range(len(out))])
            notes.append("no study column: studies named Study 1..k in file order")
        elif lab != "study":
            out = out.rename(columns={lab: "study"}) if "study" not in out.columns else out
            notes.append(f"study labels from column {lab!r}")
        out["study"] = out["study"].astype(str)
    dup = out["study"][out["study"].duplicated()].tolist()
    if dup:
        raise DataError(f"{path}: studies {dup} appear more than once; one row per study (or per study and arm).")
    return out.reset_index(drop=True), kind, notes
