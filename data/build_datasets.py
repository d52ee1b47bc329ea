"""Build the shipped registry datasets from the hand-entered sources in ``data/raw``.

Run ``python data/build_datasets.py`` from the project root. The output in
``retrostats/datasets/_data/`` is deterministic: a test rebuilds it into a temporary folder and compares the
bytes with the committed files.

Inputs (format in ``data/raw/SCHEMA.md``):
* ``data/raw/<batch>/trials.csv``, ``arms.csv``, ``contrasts.csv`` for every batch folder;
* ``data/raw/reviews/reviews.csv``; ``data/raw/scales.csv`` and ``data/raw/reviews/mcid.csv``.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = ROOT / "retrostats" / "datasets" / "_data"
sys.path.insert(0, str(ROOT))

from retrostats.datasets.schemas import SCHEMAS  # noqa: E402
from retrostats.exceptions import DataError  # noqa: E402

BATCH_COLUMNS = {
    "trials.csv": [
        "study_id", "citation", "doi", "year", "design", "population", "condition", "country",
        "n_randomized", "n_analysed", "arms", "arm_labels", "retro_dose", "minutes_per_session",
        "sessions_per_week", "weeks", "speed", "incline", "setting", "outcomes", "data_level", "source_url",
        "source_location", "duplicate_of", "registration", "note",
    ],
    "arms.csv": [
        "study_id", "arm", "outcome", "instrument", "timepoint", "week", "statistic", "value_text",
        "source_location", "source_url", "ambiguous", "note",
    ],
    "contrasts.csv": [
        "study_id", "comparison", "outcome", "instrument", "week", "statistic", "relation", "value_text",
        "source_location", "source_url", "ambiguous", "note",
    ],
    "reviews.csv": [
        "review_id", "citation", "doi", "year", "population", "comparison", "outcome", "instrument", "k",
        "n_participants", "measure", "estimate_text", "ci_low_text", "ci_high_text", "i2_text",
        "p_value_text", "model", "source_url", "source_location", "ambiguous", "note",
    ],
}

#: Optional trailing columns of the raw files (filled with empty values when a batch omits them):
#: ``variant`` distinguishes rows that share every key column (e.g. 'after exhausting exercise');
#: ``change_convention`` says how a printed change is signed: ``post_minus_pre`` (the schema's
#: definition) or ``pre_minus_post`` (a source printing a reduction as a positive number); empty = as defined
#: (post minus pre) or not stated.
OPTIONAL_COLUMNS = {
    "arms.csv": ["variant", "change_convention"],
    "contrasts.csv": ["variant"],
}

_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})


def parse_number(text: object, *, where: str) -> float:
    """Parse a number as printed ('6.50', '−2.1', '0.001'); raise naming the place when it is not one."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or str(text).strip() == "":
        return math.nan
    s = str(text).strip().translate(_MINUS).replace(",", ".") if re.fullmatch(r"-?\d+,\d+", str(text).strip()) \
        else str(text).strip().translate(_MINUS)
    s = s.rstrip("%").strip()
    try:
        return float(s)
    except ValueError:
        raise DataError(f"{where}: {text!r} is not a number as printed (keep relations like '<' in the "
                        "relation column)") from None


def parse_p(text: object) -> float:
    """A p-value printed as a plain number gives that number; '<0.001' and the like give NaN."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return math.nan
    s = str(text).strip().translate(_MINUS)
    try:
        return float(s)
    except ValueError:
        return math.nan


BATCHES: list[str] | None = None  # None = every folder of data/raw


def _read_batch(kind: str) -> pd.DataFrame:
    frames = []
    for path in sorted(RAW.glob(f"*/{kind}")):
        if BATCHES is not None and path.parent.name not in BATCHES:
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
        expected = BATCH_COLUMNS[kind]
        optional = OPTIONAL_COLUMNS.get(kind, [])
        for c in optional:
            if c not in df.columns:
                df[c] = None
        expected = [*expected, *optional]
        df = df[[c for c in df.columns if c not in optional] + optional]
        if list(df.columns) != expected:
            raise DataError(f"{path}: columns {list(df.columns)} differ from the raw schema {expected} "
                            "(data/raw/SCHEMA.md)")
        df.insert(0, "_file", str(path.relative_to(ROOT)))
        df.insert(1, "_row", range(2, len(df) + 2))
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["_file", "_row", *BATCH_COLUMNS[kind]])
    return pd.concat(frames, ignore_index=True)


def _values(df: pd.DataFrame, text_col: str = "value_text", out_col: str = "value") -> pd.DataFrame:
    df = df.copy()
    df[out_col] = [parse_number(t, where=f"{f}, row {r}, column {text_col!r}")
                   for t, f, r in zip(df[text_col], df["_file"], df["_row"])]
    return df


def _fmt(df: pd.DataFrame, schema_name: str) -> pd.DataFrame:
    schema = SCHEMAS[schema_name]
    names = [f"{f}, row {r}" for f, r in zip(df["_file"], df["_row"])]
    df = df[schema.names].copy()
    schema.validate(df.astype(object).where(df.notna(), None), source=f"build {schema_name}", row_names=names)
    for c in schema.columns:
        if c.dtype == "int":
            df[c.name] = pd.to_numeric(df[c.name]).astype("Int64")
        elif c.dtype == "float":
            df[c.name] = pd.to_numeric(df[c.name]).astype(float)
        elif c.dtype == "bool":
            df[c.name] = df[c.name].map(
                lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) or v == ""
                else str(v).strip().lower() in ("true", "1", "yes"))
    return df


def build_trials() -> pd.DataFrame:
    df = _read_batch("trials.csv")
    df = df.sort_values("study_id", kind="mergesort")
    return _fmt(df, "retro_trials")


def build_arms() -> pd.DataFrame:
    df = _values(_read_batch("arms.csv"))
    keys = ["study_id", "arm", "outcome", "instrument", "timepoint", "week", "statistic", "variant"]
    df = df.sort_values(keys, kind="mergesort", key=lambda s: s.astype(str))
    return _fmt(df, "retro_arms")


def build_contrasts() -> pd.DataFrame:
    df = _values(_read_batch("contrasts.csv"))
    keys = ["study_id", "comparison", "outcome", "instrument", "week", "statistic", "relation", "variant"]
    df = df.sort_values(keys, kind="mergesort", key=lambda s: s.astype(str))
    return _fmt(df, "retro_contrasts")


def build_reviews() -> pd.DataFrame:
    df = _read_batch("reviews.csv")
    for text_col, col in (("estimate_text", "estimate"), ("ci_low_text", "ci_low"), ("ci_high_text", "ci_high"),
                          ("i2_text", "i2")):
        df = _values(df, text_col, col)
    df["p_value"] = [parse_p(t) for t in df["p_value_text"]]
    return _fmt(df, "retro_reviews")


def build_scales() -> pd.DataFrame:
    scales = pd.read_csv(RAW / "scales.csv", dtype=str, keep_default_na=False, na_values=[""])
    scales.insert(0, "_file", "data/raw/scales.csv")
    scales.insert(1, "_row", range(2, len(scales) + 2))
    for c in ("mcid", "mcid_text", "mcid_source", "mcid_source_url", "mcid_source_location"):
        scales[c] = None
    mcid_path = RAW / "reviews" / "mcid.csv"
    if mcid_path.exists():
        m = pd.read_csv(mcid_path, dtype=str, keep_default_na=False, na_values=[""])
        m = m[m["mcid_text"].notna()]
        for i, r in m.iterrows():
            hit = scales["instrument"] == r["instrument"]
            if not hit.any():
                raise DataError(f"{mcid_path}, row {i + 2}: instrument {r['instrument']!r} is not in scales.csv")
            if scales.loc[hit, "mcid_text"].notna().any():
                continue  # the first MCID listed for an instrument is the one shipped; others stay in the log
            unit_note = f" ({r['mcid_unit']})" if isinstance(r.get("mcid_unit"), str) and r["mcid_unit"] else ""
            scales.loc[hit, "mcid_text"] = r["mcid_text"]
            # an MCID is a magnitude: a source printing it as a signed change (e.g. -19.9 mm) keeps its sign
            # in mcid_text, and `mcid` holds the absolute value
            scales.loc[hit, "mcid"] = abs(parse_number(r["mcid_text"], where=f"{mcid_path}, row {i + 2}"))
            scales.loc[hit, "mcid_source"] = r["mcid_source"]
            scales.loc[hit, "mcid_source_url"] = r["source_url"]
            where = f"{r['source_location']}{unit_note}; population: {r['population']}"
            scales.loc[hit, "mcid_source_location"] = where
    return _fmt(scales, "outcome_scales")


BUILDERS = {
    "retro_trials": build_trials,
    "retro_arms": build_arms,
    "retro_contrasts": build_contrasts,
    "retro_reviews": build_reviews,
    "outcome_scales": build_scales,
}


def build(out_dir: Path = OUT) -> list[Path]:
    """Build every dataset into ``out_dir``; return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fn in BUILDERS.items():
        df = fn()
        path = out_dir / f"{name}.csv"
        df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--batches", nargs="*", default=None, help="only these data/raw folders (default: all)")
    args = ap.parse_args(argv)
    global BATCHES
    BATCHES = args.batches
    for p in build(args.out):
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
