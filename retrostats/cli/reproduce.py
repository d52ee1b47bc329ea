"""``retrostats reproduce``: regenerate every table, number and figure of the paper and the HTML report.

Examples
--------
::

    retrostats reproduce --out output
    retrostats reproduce --out output --only fig05 --force
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run_reproduce"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``reproduce`` sub-command to an argparse ``subparsers`` object and return its parser."""
    p = subparsers.add_parser("reproduce", help="regenerate every table, number, figure and the HTML report")
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
    p.set_defaults(func=run_reproduce)
    return p


def run_reproduce(args: argparse.Namespace) -> int:
    """Handler of ``retrostats reproduce``: :func:`retrostats.report.reproduce` with the parsed options."""
    from ..report import reproduce

    reproduce(args.out, quick=args.quick, progress=not args.quiet, only=args.only, jobs=args.jobs,
              force=args.force)
    return 0
