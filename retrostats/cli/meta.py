"""``retrostats meta``: from a sheet of studies to a pooled result, forest and funnel plots in one command.

Examples
--------
::

    retrostats meta examples/readme_smd.csv --measure SMD --preset cochrane --instrument NPRS
    retrostats meta studies.xlsx --measure MD --out pain_meta --force
    retrostats meta arms.csv --measure SMD --arms retro control      # tidy: one row per study x arm

The sheet is either **wide** (one row per study, metafor ``escalc`` style: ``m1 sd1 n1 m2 sd2 n2`` or
``m1i sd1i n1i m2i sd2i n2i``, group 1 the experimental arm), **tidy** (one row per study and arm:
``study arm mean sd n``) or already holds effect sizes (``yi`` with ``vi`` or ``sei``). A ``study``
(or ``label``, ``author``, ``study_id``, ``trial``) column names the studies.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

__all__ = ["register", "run_meta", "read_studies"]

_WIDE = ("m1", "sd1", "n1", "m2", "sd2", "n2")
_LABELS = ("study", "label", "slab", "author", "study_id", "trial")
_PRESETS = ("metafor", "revman5", "cochrane")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``meta`` sub-command to an argparse ``subparsers`` object and return its parser."""
    p = subparsers.add_parser(
        "meta",
        help="effect sizes, meta-analysis, forest and funnel plots from a CSV/XLSX of studies",
        description="Read one row per study (wide, metafor escalc style), one row per study and arm (tidy) "
        "or precomputed yi/vi; compute the effect sizes with their derivations, pool them with a preset, "
        "and write the summary (text and HTML), forest and funnel plots, tidy CSVs and a script that "
        "recomputes everything.",
    )
    p.add_argument("data", help="CSV or XLSX file of studies")
    p.add_argument("--measure", default=None,
                   help="effect measure (metafor escalc name: SMD, MD, SMDH, ROM; default SMD, or an effects sheet's "
                   "'measure' column)")
    p.add_argument("--preset", choices=_PRESETS, default="metafor", help="analysis preset (default: metafor)")
    p.add_argument("--sheet", default=None, help="XLSX sheet name (default: the first)")
    p.add_argument("--arms", nargs=2, metavar=("EXPERIMENTAL", "CONTROL"), help="arm names of a tidy sheet")
    p.add_argument("--instrument", help="outcome_scales instrument (direction of benefit; MCID band for MD)")
    p.add_argument("--favours", nargs=2, metavar=("EXPERIMENTAL", "CONTROL"), default=None,
                   help="arm names for the forest plot's 'favours' labels")
    p.add_argument("--width", default="single", help="figure width: single (85 mm), double (180 mm) or mm")
    p.add_argument("--formats", default="pdf,svg,png", help="figure formats (pdf,svg,png,tiff,eps)")
    p.add_argument("--dpi", type=int, default=300, help="raster resolution (300 or 600)")
    p.add_argument("--out", default="meta_output", metavar="DIR", help="output folder (default: meta_output)")
    p.add_argument("--force", action="store_true", help="write into DIR even if it holds files")
    p.set_defaults(func=run_meta)
    return p


def _label_column(df: Any) -> str | None:
    for c in _LABELS:
        if c in df.columns:
            return c
    return None


def read_studies(path: str | Path, *, sheet: str | None = None, arms: Any = None) -> tuple[Any, str, list[str]]:
    r"""Read a sheet of studies into one row per study.

    Returns ``(frame, kind, notes)``: ``kind`` is ``"wide"``, ``"tidy"`` or ``"effects"``; the frame has a
    ``study`` column and ``m1 sd1 n1 m2 sd2 n2`` (wide/tidy) or ``yi vi`` (effects); ``notes`` says what was
    renamed, reshaped or assumed.

    Raises
    ------
    DataError
        A file that is neither format, a study of a tidy sheet without both arms, duplicate studies.

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

    from .exceptions import DataError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    where = ""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raw = pd.read_excel(path, sheet_name=sheet or 0)
        if sheet is None:
            with pd.ExcelFile(path) as book:
                names = book.sheet_names
            if len(names) > 1:
                where = f" (first sheet {names[0]!r} read; the workbook also has {names[1:]}: choose with --sheet)"
    elif path.suffix.lower() in (".csv", ".txt"):
        raw = pd.read_csv(path)
    else:
        raise DataError(f"{path}: give a .csv or .xlsx file.")
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
        names = list(dict.fromkeys(df["arm"].astype(str)))
        if arms is None:
            if len(names) != 2:
                raise DataError(
                    f"{path}: the arm column holds {names}; say which two to compare with --arms EXPERIMENTAL "
                    "CONTROL."
                )
            arms = names
            notes.append(f"experimental arm {names[0]!r} (first listed), control {names[1]!r}; --arms changes it")
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


def _prepare_out(out: Path, force: bool) -> None:
    from .exceptions import DataError

    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out} is a file; give a folder.")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DataError(f"--out {out} already holds files; choose another folder or pass --force to overwrite.")
    out.mkdir(parents=True, exist_ok=True)


def _script(kind: str, frame: Any, args: argparse.Namespace, res: Any) -> str:
    from ._scripts import render_script

    cols = ["study", *(_WIDE if kind != "effects" else ("yi", "vi"))]
    inputs = {c: frame[c].tolist() for c in cols}
    body = ["import pandas as pd", "", "data = pd.DataFrame({" + ", ".join(f"{c!r}: {c}" for c in cols) + "})"]
    if kind == "effects":
        body.append("es = data")
    else:
        body.append(
            f"es = rs.effect_sizes(data, measure={args.measure!r}, "
            + ", ".join(f"{c}={c!r}" for c in _WIDE)
            + ', labels="study")'
        )
    body += [
        f'res = rs.meta_analysis(es, yi="yi", vi="vi", slab="study", preset={args.preset!r})',
        "print(res.summary().as_text())",
    ]
    return render_script(
        f"the meta-analysis written by `retrostats meta {Path(args.data).name}` ({args.measure}, preset "
        f"{args.preset!r})",
        body,
        inputs=inputs,
        checks=[
            f"reported = {{'estimate': {float(res.estimate)!r}, 'se': {float(res.se)!r}, "
            f"'tau2': {float(res.tau2)!r}}}",
        ],
    )


def run_meta(args: argparse.Namespace) -> int:
    """Handler of ``retrostats meta``: compute, pool, draw, write, and say what was done."""
    import html

    from . import figures as F
    from .effects import effect_sizes
    from .meta import meta_analysis

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    width: Any = args.width if args.width in ("single", "double") else float(args.width)
    frame, kind, notes = read_studies(args.data, sheet=args.sheet, arms=args.arms)
    _settle_measure(args, frame, kind, notes)
    out = Path(args.out)
    _prepare_out(out, args.force)
    said: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if kind == "effects":
            es = frame.copy()
            es["measure"] = args.measure
            es["derivation"] = "given (yi, vi read from the sheet)"
        else:
            es = effect_sizes(frame, measure=args.measure, **{c: c for c in _WIDE}, labels="study")
        res = meta_analysis(es, yi="yi", vi="vi", slab="study", preset=args.preset)
        fkw: dict[str, Any] = {"width": width}
        if args.instrument:
            fkw["instrument"] = args.instrument
            if args.measure == "MD":
                fkw["mcid"] = True
        if args.favours:
            fkw["favours"] = tuple(args.favours)
        elif frame.attrs.get("arms"):
            fkw["favours"] = tuple(frame.attrs["arms"])  # a tidy sheet names its arms: label with them
        if kind != "effects" and F.figure_width_inches(width) * 25.4 >= 150:
            fkw["data"] = es  # arm columns (means, SDs, n) where they fit
        ax = F.forest_plot(res, **fkw)
        forest = F.save_figure(ax, out / "forest", formats=formats, dpi=args.dpi, close=True)
        ax = F.funnel_plot(res, trim_and_fill=res.k >= 10)
        funnel = F.save_figure(ax, out / "funnel", formats=formats, dpi=args.dpi, width=width, close=True)
    for w in caught:
        msg = str(w.message)
        if msg not in said:
            said.append(msg)
    tidy = es.copy()
    tidy["derivation"] = [_derivation_text(d) for d in tidy["derivation"]]
    tidy["weight_percent"] = res.weights
    tidy.to_csv(out / "effect_sizes.csv", index=False, lineterminator="\n")
    res.to_frame().to_csv(out / "pooled.csv", index=False, lineterminator="\n")
    summary = res.summary()
    text = summary.as_text()
    deriv = "\n".join(f"  {s}: {d}" for s, d in zip(tidy["study"], tidy["derivation"]))
    (out / "summary.txt").write_text(
        text + f"\n\nEffect sizes ({args.measure}) and how each was derived:\n{deriv}\n", encoding="utf-8"
    )
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
        "content='width=device-width, initial-scale=1'><title>retrostats meta</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.45}"
        "img{max-width:100%;height:auto}table{border-collapse:collapse;display:block;overflow-x:auto}"
        "td,th{padding:.2rem .5rem;border-bottom:1px solid #ddd}p,li{overflow-wrap:anywhere}</style></head><body>"
        f"<h1>Meta-analysis of {html.escape(Path(args.data).name)}</h1>{summary.as_html()}"
        f"<h2>Forest plot</h2><img src='forest.{'svg' if 'svg' in formats else formats[0]}' alt='Forest plot'>"
        f"<h2>Funnel plot</h2><img src='funnel.{'svg' if 'svg' in formats else formats[0]}' alt='Funnel plot'>"
        "<h2>Effect sizes and their derivation</h2><ul>"
        + "".join(
            f"<li><b>{html.escape(s)}</b>: {html.escape(d)}</li>" for s, d in zip(tidy["study"], tidy["derivation"])
        )
        + "</ul></body></html>\n"
    )
    (out / "summary.html").write_text(page, encoding="utf-8")
    (out / "reproduce_meta.py").write_text(_script(kind, frame, args, res), encoding="utf-8")
    written = [
        "summary.txt",
        "summary.html",
        "effect_sizes.csv",
        "pooled.csv",
        "reproduce_meta.py",
        *(p.name for p in forest + funnel),
    ]
    print(f"retrostats meta: read {len(frame)} studies from {args.data} ({kind} sheet)")
    for n in notes:
        print(f"  - {n}")
    how = "given" if kind == "effects" else f"computed from arm means, SDs and sizes ({args.measure}, metafor escalc)"
    print(f"  - effect sizes {how}; derivation per study in effect_sizes.csv")
    print(f"  - pooled with preset {args.preset!r} ({res.method}, test {res.test})")
    for m in said:
        print(f"note: {m}", file=sys.stderr)
    print()
    print(text)
    print()
    print(f"wrote {len(written)} files to {out}: " + ", ".join(written))
    print(f"recompute with: python {out / 'reproduce_meta.py'}")
    return 0


def _settle_measure(args: argparse.Namespace, frame: Any, kind: str, notes: list[str]) -> None:
    """The measure of the analysis: --measure, else the sheet's own 'measure' column (an earlier run's
    effect_sizes.csv read back; --measure may not contradict it on precomputed effects), else SMD, saying which.
    """
    from .exceptions import DataError

    have = []
    if "measure" in frame.columns:  # e.g. the effect_sizes.csv of an earlier run, read back
        have = sorted({str(v) for v in frame["measure"].dropna()})
        if len(have) > 1 and (kind == "effects" or args.measure is None):
            raise DataError(f"{args.data}: the 'measure' column mixes {have}; pool one measure at a time.")
        if have and args.measure is not None and args.measure != have[0] and kind == "effects":
            raise DataError(f"--measure {args.measure} but {args.data} says its effects are {have[0]} (column "
                            "'measure'); drop --measure or correct the sheet.")
    if args.measure is None:
        args.measure = have[0] if have else "SMD"
        if have:
            notes.append(f"measure {args.measure} from the sheet's 'measure' column")
        elif kind == "effects":
            notes.append("measure SMD assumed (the default); pass --measure MD for mean differences in "
                         "instrument units")
        else:
            notes.append("measure SMD (the default; --measure changes it)")


def _derivation_text(d: Any) -> str:
    import json

    if isinstance(d, str) and d.startswith("["):
        try:
            return "; ".join(str(s.get("text", s)) for s in json.loads(d))
        except (ValueError, AttributeError):
            return d
    return str(d)
