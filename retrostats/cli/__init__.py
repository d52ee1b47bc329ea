"""The ``retrostats`` command line: one module per command, each a thin shell over library calls.

=====================  ============================================================================
module                 command
=====================  ============================================================================
:mod:`.datasets`       ``retrostats datasets list|show``
:mod:`.extraction`     ``retrostats extraction-template``, ``retrostats extraction-check``
:mod:`.reproduce`      ``retrostats reproduce`` (every table, number and figure of the paper)
:mod:`.plan`           ``retrostats plan`` (sample size and power, optionally from the evidence)
:mod:`.meta`           ``retrostats meta`` (effect sizes, meta-analysis, forest and funnel plots)
=====================  ============================================================================

Each command module defines ``register(subparsers)``, which adds its sub-command and sets the handler; the
handlers import the library inside the function, so ``retrostats --help`` stays fast.

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
    python -m retrostats meta --help
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from .._version import __version__
from . import datasets, extraction, meta, plan, reproduce

__all__ = ["main", "run", "build_parser", "COMMANDS"]

#: The command modules, in the order ``retrostats --help`` lists their sub-commands.
COMMANDS = (datasets, extraction, reproduce, plan, meta)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: the top-level options and one sub-command per module of :data:`COMMANDS`.

    Examples
    --------
    >>> args = build_parser().parse_args(["plan", "--effect-size", "0.5"])
    >>> args.command, args.design, args.effect_size
    ('plan', 'ancova', 0.5)
    """
    parser = argparse.ArgumentParser(
        prog="retrostats",
        description="Research data and statistics for trials of retro (backward) walking.",
    )
    parser.add_argument("--version", action="version", version=f"retrostats {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``retrostats`` command (``python -m retrostats`` too); returns the exit status.

    Errors in the user's data or arguments (``DataError``, ``ValueError``, ``OSError`` such as a missing
    file) are printed as one ``retrostats: error: ...`` line on stderr with status 1, not as a traceback.

    Examples
    --------
    >>> main(["plan", "--effect-size", "0.5", "--design", "ttest"])  # doctest: +ELLIPSIS
    Trial plan (retrostats plan)
    ...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from ..exceptions import DataError

    try:
        return int(args.func(args) or 0)
    except (DataError, ValueError, OSError) as exc:  # OSError: missing file, a folder, no permission
        print(f"retrostats: error: {exc}", file=sys.stderr)
        return 1


def run() -> NoReturn:
    """The ``retrostats`` console script and ``python -m retrostats``: :func:`main` on ``sys.argv``, then exit.

    Once :func:`main` has returned, the standard streams are flushed, the exit handlers run (:mod:`atexit`:
    logging, temporary folders, worker processes) and the process ends at once with main's status
    (:func:`os._exit`), skipping the interpreter's teardown: freeing pandas, SciPy and matplotlib module by
    module took 0.5-0.8 s after the last line of ``retrostats reproduce``, time a user waits for nothing.
    Every file retrostats writes is closed before main returns. If main raises, or a thread other than the
    main thread is still running, the process exits the normal way (tracebacks, and the thread is waited
    for). Call :func:`main` to run a command inside Python (it returns the status instead of exiting).
    """
    _leave(main())


def _leave(code: int) -> NoReturn:
    """Exit with ``code`` without the interpreter's teardown (see :func:`run`), or normally where unsafe."""
    import atexit
    import os
    import threading

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None or any(t.is_alive() and not t.daemon for t in threading.enumerate()
                                        if t is not threading.main_thread()):
        raise SystemExit(code)
    _flush()
    run_exit_handlers()
    _flush()
    os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # no stream, a closed pipe (`| head`), a closed file
            pass
