"""What a reproduce step is and what it writes into: :class:`Context`, :class:`Step`, the :func:`step`
decorator and :func:`check_steps`.

The step modules (``retrostats/report/steps/``) import this module, never :mod:`.pipeline`, which imports them:
no import circle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Context", "Step", "step", "check_steps"]


@dataclass
class Context:
    """What steps share: the output folders, the collected numbers and the report's sections."""

    out: Path
    quick: bool = False
    numbers: dict[str, Any] = field(default_factory=dict)
    sections: list[tuple[str, str]] = field(default_factory=list)  # (title, html)
    files: list[Path] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def tables(self) -> Path:
        """Folder of CSV tables."""
        p = self.out / "tables"
        p.mkdir(parents=True, exist_ok=True)
        return p

    @property
    def figures(self) -> Path:
        """Folder of figures."""
        p = self.out / "figures"
        p.mkdir(parents=True, exist_ok=True)
        return p

    def write_table(self, name: str, df: pd.DataFrame, *, index: bool = False) -> Path:
        """Write a CSV table deterministically (10 significant digits, newline line ends)."""
        path = self.tables / f"{name}.csv"
        df.to_csv(path, index=index, lineterminator="\n", float_format="%.10g")
        self.files.append(path)
        return path

    def number(self, key: str, value: Any) -> Any:
        """Record a number for the paper (``numbers.json`` and ``numbers.tex``)."""
        if hasattr(value, "item"):
            value = value.item()
        self.numbers[key] = value
        return value

    def section(self, title: str, html: str) -> None:
        """Add a section to the HTML report."""
        self.sections.append((title, html))


@dataclass(frozen=True)
class Step:
    """One step of the pipeline, made by :func:`step`; calling it runs it on a :class:`Context`.

    Attributes
    ----------
    name : str
        What ``--only`` and the progress lines call it.
    func : callable
        ``func(ctx)`` writes the step's tables, numbers, figures and report section.
    description : str
        One line for the progress output.
    needs : tuple of str
        Earlier steps whose ``ctx.cache`` entries it reads (they run in the same worker, before it).
    cost : float
        Expected seconds of a ``--quick`` run on a quiet two-core machine; the scheduler starts the most
        expensive chains of steps first, so that two workers finish at about the same time.
    gather : bool
        The step reads what every other step recorded (the figure list, the numbers): it runs last, in the
        main process, after the workers' results are merged.
    """

    name: str
    func: Callable[[Context], None]
    description: str = ""
    needs: tuple[str, ...] = ()
    cost: float = 1.0
    gather: bool = False

    def __call__(self, ctx: Context) -> None:
        """Run the step on ``ctx``."""
        self.func(ctx)


def step(
    name: str, description: str = "", *, needs: tuple[str, ...] = (), cost: float = 1.0, gather: bool = False
) -> Callable[[Callable[[Context], None]], Step]:
    """Make a function a pipeline :class:`Step` (decorator); list it in ``retrostats.report.steps.STEPS``.

    The decorated name is the :class:`Step` (still callable with a context); the order of the steps is the
    order of that list, nothing else.
    """
    def deco(func: Callable[[Context], None]) -> Step:
        text = description or (func.__doc__ or "").strip().splitlines()[0]
        return Step(name, func, text, tuple(needs), float(cost), bool(gather))

    return deco


def check_steps(listed: Any) -> list[Step]:
    """The steps of ``listed`` after checking them: each a :class:`Step`, names unique, every ``needs`` an
    earlier step, gathering steps last.

    Raises
    ------
    TypeError
        An entry is not a :class:`Step` (a plain function: decorate it with :func:`step`).
    ValueError
        Two steps share a name, a step needs one that is not listed before it, or a gathering step is
        followed by an ordinary one.

    Examples
    --------
    >>> a = step("a", "first")(lambda ctx: None)
    >>> b = step("b", "second", needs=("a",))(lambda ctx: None)
    >>> [s.name for s in check_steps([a, b])]
    ['a', 'b']
    >>> check_steps([b, a])
    Traceback (most recent call last):
    ...
    ValueError: reproduce step 'b' needs ['a'], which are not listed before it.
    """
    out: list[Step] = []
    for i, s in enumerate(listed):
        if not isinstance(s, Step):
            raise TypeError(f"reproduce step #{i + 1} is {s!r}, not a Step; decorate its function with "
                            "@step(name, description) in its module under retrostats/report/steps/.")
        seen = [t.name for t in out]
        if s.name in seen:
            raise ValueError(f"two reproduce steps are named {s.name!r}; rename one.")
        missing = [n for n in s.needs if n not in seen]
        if missing:
            raise ValueError(f"reproduce step {s.name!r} needs {missing}, which are not listed before it.")
        if out and out[-1].gather and not s.gather:
            raise ValueError(f"reproduce step {s.name!r} is listed after the gathering step {out[-1].name!r}; "
                             "gathering steps read what every other step recorded, so they come last.")
        out.append(s)
    return out
