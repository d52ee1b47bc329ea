"""Exceptions and warnings raised by retrostats.

Every public function validates its input up front and raises one of these, with a message that names the
argument, the offending value or row, and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "ConvergenceError",
    "RetrostatsWarning",
    "DataWarning",
    "SmallSampleWarning",
    "ConvergenceWarning",
    "MissingExtraError",
]


class DataError(ValueError):
    """Bad data: a value, row, column or file that cannot be used as given."""


class ConvergenceError(RuntimeError):
    """An iterative estimator did not converge."""


class MissingExtraError(ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class RetrostatsWarning(UserWarning):
    """Base class of every warning retrostats issues."""


class DataWarning(RetrostatsWarning):
    """Data that can be used but deserve a look (dropped rows, GRIM inconsistencies, mixed scales)."""


class SmallSampleWarning(RetrostatsWarning):
    """A method is used with fewer studies or participants than it needs to be reliable."""


class ConvergenceWarning(RetrostatsWarning):
    """An iterative method converged poorly (e.g. R-hat, divergences, a boundary estimate)."""


def require_extra(module: str, extra: str):
    """Import an optional dependency or raise an ImportError naming the extra.

    Examples
    --------
    >>> np = require_extra("numpy", "core")
    >>> np.__name__
    'numpy'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised by monkeypatch in tests
        raise MissingExtraError(
            f"{module!r} is needed here but is not installed; install it with "
            f"`pip install 'retrostats[{extra}]'`."
        ) from exc
