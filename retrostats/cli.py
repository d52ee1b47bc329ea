"""The ``retrostats`` command line.

Examples
--------
::

    retrostats --version
    retrostats datasets list
    retrostats datasets show retro_trials
    retrostats extraction-template my_sheet.xlsx
    retrostats extraction-check my_sheet.xlsx
    retrostats reproduce --out output
    retrostats plan --help
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._version import __version__

__all__ = ["main", "build_parser"]

#: Modules that add sub-commands: each defines ``register(subparsers)``.
_PLUGINS = ("retrostats.planning.cli", "retrostats.cli_meta")


def _datasets(args: argparse.Namespace) -> int:
    if args.action == "list":  # without pandas: the list is printed in a fraction of a second
        from .datasets import dataset_summaries

        rows = [(d["name"], str(d["n_rows"]), str(d["title"])) for d in dataset_summaries()]
        w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("name", "n_rows", "title"))]
        print(f"{'name':>{w[0]}} {'n_rows':>{w[1]}} {'title':<{w[2]}}".rstrip())
        for name, n, title in rows:
            print(f"{name:>{w[0]}} {n:>{w[1]}} {title:<{w[2]}}".rstrip())
        return 0
    import pandas as pd

    from .datasets import dataset_info, load_dataset

    if not args.name:
        print("retrostats datasets show: give a dataset NAME (see `retrostats datasets list`)", file=sys.stderr)
        return 2
    if args.csv:
        load_dataset(args.name).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        with pd.option_context("display.max_colwidth", 60, "display.width", 160):
            print(dataset_info(args.name))
    return 0


def _template(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .effects.extraction import extraction_template

    if Path(args.path).exists() and not args.force:
        print(f"retrostats extraction-template: {args.path} exists (a filled sheet?); not overwritten. "
              "Choose another name or pass --force.", file=sys.stderr)
        return 1
    p = extraction_template(args.path, example=args.example, force=args.force)
    print(f"wrote {p}; fill one row per study x arm x outcome x timepoint x statistic, then check it with "
          f"`retrostats extraction-check {p}`")
    return 0


def _check(args: argparse.Namespace) -> int:
    import warnings

    from .effects.extraction import read_extraction
    from .exceptions import DataError, RetrostatsWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RetrostatsWarning)
        try:
            df = read_extraction(args.path)
        except DataError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    print(f"{args.path}: {len(df)} rows valid ({df['study_id'].nunique()} studies)")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from .report import reproduce

    reproduce(args.out, quick=args.quick, progress=not args.quiet, only=args.only, jobs=args.jobs,
              force=args.force)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (sub-commands from the plugins included)."""
    parser = argparse.ArgumentParser(
        prog="retrostats",
        description="Research data and statistics for trials of retro (backward) walking.",
    )
    parser.add_argument("--version", action="version", version=f"retrostats {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("datasets", help="list or show the shipped datasets")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    dl = dsub.add_parser("list", help="the shipped datasets")
    dl.set_defaults(func=_datasets, name=None, csv=False)
    ds = dsub.add_parser("show", help="a dataset's card (or its data with --csv)")
    ds.add_argument("name")
    ds.add_argument("--csv", action="store_true", help="print the data as CSV instead of the card")
    ds.set_defaults(func=_datasets)

    p = sub.add_parser("extraction-template", help="write an extraction sheet (CSV or XLSX)")
    p.add_argument("path")
    p.add_argument("--example", action="store_true", help="include one example row")
    p.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    p.set_defaults(func=_template)

    p = sub.add_parser("extraction-check", help="validate a filled extraction sheet")
    p.add_argument("path")
    p.set_defaults(func=_check)

    p = sub.add_parser("reproduce", help="regenerate every table, number, figure and the HTML report")
    p.add_argument("--out", default="output", help="output folder (default: output)")
    p.add_argument("--quick", action="store_true", help="small simulations (for tests)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--only", nargs="*", default=None,
                   help="run only these steps (names, or paper figures: fig05 runs the step drawing it)")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty folder that reproduce did not create")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes for independent steps (default: 2 unless the machine is busy; 1 = none)",
    )
    p.set_defaults(func=_reproduce)

    for mod in _PLUGINS:
        try:
            plugin = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise
            continue
        plugin.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``retrostats`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from .exceptions import DataError

    try:
        return int(args.func(args) or 0)
    except (DataError, ValueError, OSError) as exc:  # OSError: missing file, a folder, no permission
        print(f"retrostats: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
