"""``retrostats extraction-template`` and ``retrostats extraction-check``: write a blank extraction sheet,
then validate the filled one (errors name the file, row and column).

Examples
--------
::

    retrostats extraction-template my_sheet.xlsx --example
    retrostats extraction-check my_sheet.xlsx
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register", "run_template", "run_check"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``extraction-template`` and ``extraction-check``; return the check's parser."""
    p = subparsers.add_parser("extraction-template", help="write an extraction sheet (CSV or XLSX)")
    p.add_argument("path")
    p.add_argument("--example", action="store_true", help="include one example row")
    p.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    p.set_defaults(func=run_template)

    p = subparsers.add_parser("extraction-check", help="validate a filled extraction sheet")
    p.add_argument("path")
    p.set_defaults(func=run_check)
    return p


def run_template(args: argparse.Namespace) -> int:
    """Handler of ``retrostats extraction-template``: write the sheet unless a file is there already."""
    from pathlib import Path

    from ..effects.extraction import extraction_template

    if Path(args.path).exists() and not args.force:
        print(f"retrostats extraction-template: {args.path} exists (a filled sheet?); not overwritten. "
              "Choose another name or pass --force.", file=sys.stderr)
        return 1
    p = extraction_template(args.path, example=args.example, force=args.force)
    print(f"wrote {p}; fill one row per study x arm x outcome x timepoint x statistic, then check it with "
          f"`retrostats extraction-check {p}`")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Handler of ``retrostats extraction-check``: read the sheet, print its warnings and the verdict."""
    import warnings

    from ..effects.extraction import read_extraction
    from ..exceptions import DataError, RetrostatsWarning

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
