"""``retrostats meta``: from a sheet of studies to a pooled result, forest and funnel plots in one command.

Examples
--------
::

    retrostats meta examples/readme_smd.csv --measure SMD --preset cochrane --instrument NPRS
    retrostats meta studies.xlsx --measure MD --out pain_meta --force
    retrostats meta arms.csv --measure SMD --arms retro control      # tidy: one row per study x arm

The sheet is either **wide** (one row per study, metafor ``escalc`` style: ``m1 sd1 n1 m2 sd2 n2`` or
``m1i sd1i n1i m2i sd2i n2i``, group 1 the experimental arm), **tidy** (one row per study and arm:
``study arm mean sd n``) or already holds effect sizes (``yi`` with ``vi`` or ``sei``); it is read by
:func:`retrostats.meta.read_studies`. A ``study`` (or ``label``, ``author``, ``study_id``, ``trial``)
column names the studies.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["register", "run_meta"]

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


def _prepare_out(out: Path, force: bool) -> None:
    from ..exceptions import DataError

    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out} is a file; give a folder.")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DataError(f"--out {out} already holds files; choose another folder or pass --force to overwrite.")
    out.mkdir(parents=True, exist_ok=True)


def _script(kind: str, frame: Any, args: argparse.Namespace, res: Any) -> str:
    from .._scripts import render_script
    from ..meta.studies import STUDY_COLUMNS as _WIDE

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

    from .. import figures as F
    from ..effects import effect_sizes
    from ..meta import meta_analysis
    from ..meta.studies import STUDY_COLUMNS as _WIDE
    from ..meta.studies import read_studies

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    width: Any = args.width if args.width in ("single", "double") else float(args.width)
    from ..planning.scales import check_instrument

    if args.instrument is not None:  # before any work: a misspelt instrument, with a suggestion
        check_instrument(args.instrument, name="--instrument")
    frame, kind, notes = read_studies(args.data, sheet=args.sheet, arms=args.arms)
    _settle_measure(args, frame, kind, notes)
    if args.instrument is not None:
        _check_instrument_range(frame, kind, args)
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
    # the studies meta_analysis pooled (a row without yi or vi was dropped with a DataWarning, said below)
    pooled = (tidy["yi"].notna() & tidy["vi"].notna()).to_numpy()
    tidy["weight_percent"] = np.nan
    tidy.loc[pooled, "weight_percent"] = np.asarray(res.weights, dtype=float)
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


def _check_instrument_range(frame: Any, kind: str, args: argparse.Namespace) -> None:
    """Refuse numbers that cannot be on ``--instrument``: an arm mean that is neither a value of the scale nor a
    change on it (e.g. 0-100 mm means labelled NPRS, 0-10), or an MD larger than the scale's range.
    """
    from ..datasets import load_dataset
    from ..exceptions import DataError

    scale = load_dataset("outcome_scales").set_index("instrument").loc[args.instrument]
    lo, hi = float(scale["min"]), float(scale["max"])
    if np.isnan(lo) or np.isnan(hi):
        return
    if kind == "effects":
        cols = ["yi"] if args.measure == "MD" else []
    else:
        cols = [c for c in ("m1", "m2") if c in frame.columns]
    bad = []
    for c in cols:
        x = frame[c].to_numpy(dtype=float)
        impossible = np.abs(x) > hi - lo if c == "yi" else ((x < lo) | (x > hi)) & (np.abs(x) > hi - lo)
        bad += [f"{frame['study'].iloc[i]!r} ({c} = {x[i]:g})" for i in np.flatnonzero(impossible)]
    if bad:
        raise DataError(
            f"--instrument {args.instrument} runs from {lo:g} to {hi:g}, but {', '.join(bad)} cannot be a value "
            "or a change on it: the numbers look like another instrument's (e.g. VAS_100 for 0-100 mm). Give the "
            "instrument they were measured on."
        )


def _settle_measure(args: argparse.Namespace, frame: Any, kind: str, notes: list[str]) -> None:
    """The measure of the analysis: --measure, else the sheet's own 'measure' column (an earlier run's
    effect_sizes.csv read back; --measure may not contradict it on precomputed effects), else SMD, saying which.
    """
    from ..exceptions import DataError

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
    from ..measures import MEASURES
    from ..validators import check_option

    check_option("--measure", args.measure, list(MEASURES))  # before --out is created


def _derivation_text(d: Any) -> str:
    import json

    if isinstance(d, str) and d.startswith("["):
        try:
            return "; ".join(str(s.get("text", s)) for s in json.loads(d))
        except (ValueError, AttributeError):
            return d
    return str(d)
