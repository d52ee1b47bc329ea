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

import numpy as np
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
    "trials.csv": ["allocation", "allocation_source_location"],
    "arms.csv": ["variant", "change_convention", "flag"],
    "contrasts.csv": ["variant", "flag"],
    "reviews.csv": ["comparison_design"],
}
#: Optional columns of ``data/raw/reviews/mcid.csv``: ``relative_text`` (an MCID printed as a percent of baseline),
#: ``mdc_text``/``mdc_unit`` (a minimal detectable change printed by the same source), ``knee_oa_fit`` (``true`` when
#: the source population is knee OA treated conservatively: such a row is preferred over the first listed one).
MCID_OPTIONAL = ["relative_text", "mdc_text", "mdc_unit", "knee_oa_fit"]
CHANGELOG = RAW / "CHANGELOG.md"

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


def _arm_sizes(text: str, arms: list[str], total: float, where: str) -> list[tuple[int, str]]:
    """Per-arm sizes and their derivation text from an allocation statement (see ``ALLOCATION_PATTERN``)."""
    k = len(arms)
    if "+" in text or ";" in text:
        parts = text.split(";")
        if len(parts) != k:
            raise DataError(f"{where}: allocation {text!r} gives {len(parts)} arms, the trial has {k} ({arms})")
        out = []
        for arm, part in zip(arms, parts):
            counts = [int(x) for x in part.split("+")]
            out.append((sum(counts), f"{' + '.join(map(str, counts))} = {sum(counts)} (subgroup counts printed for arm "
                                     f"{arm}, summed)"))
        if total == total and sum(n for n, _ in out) != total:
            raise DataError(f"{where}: allocation {text!r} sums to {sum(n for n, _ in out)}, n_randomized is {total:g}")
        return out
    if total != total:
        raise DataError(f"{where}: allocation {text!r} needs n_randomized to derive arm sizes")
    ratio = [1] * k if text == "equal" else [int(x) for x in text.split(":")]
    if len(ratio) != k:
        raise DataError(f"{where}: allocation ratio {text!r} has {len(ratio)} parts, the trial has {k} arms ({arms})")
    out = []
    for r in ratio:
        n = total * r / sum(ratio)
        if n != int(n):
            raise DataError(f"{where}: n_randomized {total:g} cannot be split {text!r} into whole arms; leave the arm "
                            "sizes unknown")
        what = (f"{total:g} / {k} = {int(n)} (equal allocation stated)" if text == "equal"
                else f"{total:g} x {r}/{sum(ratio)} = {int(n)} (allocation ratio {text} stated, in arm order)")
        out.append((int(n), what))
    return out


def derive_arm_sizes(arms: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """Rows ``n`` for arms whose size is not printed but follows from the stated total and allocation.

    Each row is flagged ``derived`` and says how it was computed in ``derivation``; ``value_text`` stays empty
    (nothing was printed). Arms with a printed ``n`` (any outcome) are left alone, but a printed size that
    contradicts the allocation is an error.
    """
    out = []
    for _, t in trials[trials["allocation"].notna()].iterrows():
        where = f"{t['_file']}, row {t['_row']} ({t['study_id']})"
        codes = str(t["arms"]).split(";") if isinstance(t["arms"], str) else []
        if not codes:
            raise DataError(f"{where}: allocation given but no arms")
        total = float(t["n_randomized"]) if isinstance(t["n_randomized"], str) else math.nan
        sizes = _arm_sizes(t["allocation"], codes, total, where)
        printed = arms[(arms["study_id"] == t["study_id"]) & (arms["statistic"] == "n")]
        for code, (n, how) in zip(codes, sizes):
            seen = printed[printed["arm"] == code]
            if len(seen):
                if (seen["value"] != n).any() and not seen["variant"].notna().any():
                    raise DataError(f"{where}: arm {code} has a printed n {sorted(seen['value'])} that contradicts "
                                    f"the allocation ({n})")
                continue
            out.append({
                "_file": t["_file"], "_row": t["_row"], "study_id": t["study_id"], "arm": code, "outcome": "other",
                "instrument": "arm_n", "timepoint": "baseline", "week": "0", "statistic": "n", "value_text": None,
                "value": float(n), "source_location": t["allocation_source_location"], "source_url": t["source_url"],
                "ambiguous": "false", "variant": None, "change_convention": None, "flag": None,
                "note": "DERIVED arm size (not printed): see derivation",
                "derived": True, "derivation": f"n = {how}; total and allocation from {t['source_location']} and "
                                              f"{t['allocation_source_location']}",
            })
    return pd.DataFrame(out)


def build_arms() -> pd.DataFrame:
    df = _values(_read_batch("arms.csv"))
    missing = df["value_text"].isna()
    if missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        raise DataError(f"{df['_file'].iloc[i]}, row {df['_row'].iloc[i]}: value_text is required (the value as "
                        "printed); derived values are made by the build, never entered")
    df["derived"], df["derivation"] = False, None
    derived = derive_arm_sizes(df, _read_batch("trials.csv"))
    if len(derived):
        df = pd.concat([df, derived[df.columns]], ignore_index=True)
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
    for c in ("mcid", "mcid_text", "mcid_source", "mcid_source_url", "mcid_source_location", "mcid_population",
              "mcid_relative_pct", "mcid_relative_text", "mdc", "mdc_text", "mdc_source"):
        scales[c] = None
    mcid_path = RAW / "reviews" / "mcid.csv"
    if mcid_path.exists():
        m = pd.read_csv(mcid_path, dtype=str, keep_default_na=False, na_values=[""])
        for c in MCID_OPTIONAL:
            if c not in m.columns:
                m[c] = None
        m["_row"] = range(2, len(m) + 2)
        unknown = sorted(set(m["instrument"]) - set(scales["instrument"]))
        if unknown:
            raise DataError(f"{mcid_path}: instrument(s) {unknown} are not in scales.csv")
        # per instrument: the first knee-OA (conservative care) row with a value, else the first row with one;
        # the same rule for the relative MCID and the MDC, which may come from other rows
        fit = m["knee_oa_fit"].fillna("").str.lower().eq("true")
        m = pd.concat([m[fit], m[~fit]])
        for ins, rows in m.groupby("instrument", sort=False):
            hit = scales["instrument"] == ins
            r = _first(rows, "mcid_text")
            if r is not None:
                unit_note = f" ({r['mcid_unit']})" if isinstance(r.get("mcid_unit"), str) and r["mcid_unit"] else ""
                scales.loc[hit, "mcid_text"] = r["mcid_text"]
                # an MCID is a magnitude: a source printing it as a signed change (e.g. -19.9 mm) keeps its sign
                # in mcid_text, and `mcid` holds the absolute value
                scales.loc[hit, "mcid"] = abs(parse_number(r["mcid_text"], where=f"{mcid_path}, row {r['_row']}"))
                scales.loc[hit, "mcid_source"] = r["mcid_source"]
                scales.loc[hit, "mcid_source_url"] = r["source_url"]
                scales.loc[hit, "mcid_source_location"] = f"{r['source_location']}{unit_note}"
                scales.loc[hit, "mcid_population"] = r["population"]
            rel = _first(rows, "relative_text")
            if rel is not None:
                where = f"{mcid_path}, row {rel['_row']}"
                scales.loc[hit, "mcid_relative_text"] = rel["relative_text"]
                scales.loc[hit, "mcid_relative_pct"] = abs(parse_number(rel["relative_text"], where=where))
                if r is None or r["_row"] != rel["_row"]:
                    scales.loc[hit, "note"] = _join(scales.loc[hit, "note"].iloc[0],
                                                    f"relative MCID from {rel['mcid_source']} ({rel['source_url']}; "
                                                    f"population: {rel['population']})")
            mdc = _first(rows, "mdc_text")
            if mdc is not None:
                unit = f" {mdc['mdc_unit']}" if isinstance(mdc.get("mdc_unit"), str) and mdc["mdc_unit"] else ""
                scales.loc[hit, "mdc_text"] = mdc["mdc_text"]
                scales.loc[hit, "mdc"] = abs(parse_number(mdc["mdc_text"], where=f"{mcid_path}, row {mdc['_row']}"))
                scales.loc[hit, "mdc_source"] = (f"{mdc['mcid_source']}; seen at {mdc['source_url']} "
                                                 f"({mdc['source_location']}{unit}; population: {mdc['population']})")
    return _fmt(scales, "outcome_scales")


def _first(rows: pd.DataFrame, col: str):
    have = rows[rows[col].notna()]
    return None if have.empty else have.iloc[0]


def _join(a: object, b: str) -> str:
    return b if not isinstance(a, str) or not a else f"{a}; {b}"


def build_changelog(out_dir: Path) -> Path:
    """Copy the registry changelog (``data/raw/CHANGELOG.md``) next to the datasets it describes."""
    path = out_dir / "registry_changelog.md"
    path.write_bytes(CHANGELOG.read_bytes())
    return path


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
    written.append(build_changelog(out_dir))
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
