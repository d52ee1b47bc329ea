"""``retrostats datasets``: list the shipped datasets, or show one's card (or its data as CSV).

Examples
--------
::

    retrostats datasets list
    retrostats datasets show retro_trials
    retrostats datasets show outcome_scales --csv > scales.csv
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register", "run_datasets"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``datasets`` sub-command to an argparse ``subparsers`` object and return its parser."""
    p = subparsers.add_parser("datasets", help="list or show the shipped datasets")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    dl = dsub.add_parser("list", help="the shipped datasets")
    dl.set_defaults(func=run_datasets, name=None, csv=False)
    ds = dsub.add_parser("show", help="a dataset's card (or its data with --csv)")
    ds.add_argument("name")
    ds.add_argument("--csv", action="store_true", help="print the data as CSV instead of the card")
    ds.set_defaults(func=run_datasets)
    return p


def run_datasets(args: argparse.Namespace) -> int:
    """Handler of ``retrostats datasets``: print the list, a dataset's card or its CSV."""
    if args.action == "list":  # without pandas: the list is printed in a fraction of a second
        from ..datasets import dataset_summaries

        rows = [(d["name"], str(d["n_rows"]), str(d["title"])) for d in dataset_summaries()]
        w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("name", "n_rows", "title"))]
        print(f"{'name':>{w[0]}} {'n_rows':>{w[1]}} {'title':<{w[2]}}".rstrip())
        for name, n, title in rows:
            print(f"{name:>{w[0]}} {n:>{w[1]}} {title:<{w[2]}}".rstrip())
        return 0
    import pandas as pd

    from ..datasets import dataset_info, load_dataset

    if not args.name:
        print("retrostats datasets show: give a dataset NAME (see `retrostats datasets list`)", file=sys.stderr)
        return 2
    if args.csv:
        load_dataset(args.name).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        with pd.option_context("display.max_colwidth", 60, "display.width", 160):
            print(dataset_info(args.name))
    return 0
