"""Python scripts that recompute a result from its inputs (``result.to_script()``).

A script is plain, self-contained Python: it imports retrostats, spells out every input number at full
precision (``repr`` of the float64 values, so the numbers round-trip exactly), makes the same call and
prints what it computed. Journals and reviewers can run it without the original files.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

from ._version import __version__

__all__ = ["literal", "render_script", "call_arguments"]


def literal(value: Any) -> str:
    """Python source for ``value`` (numbers at full precision, arrays as lists, NaN as ``float('nan')``).

    Examples
    --------
    >>> literal([0.1, 2.0, float("nan")])
    "[0.1, 2.0, float('nan')]"
    >>> literal(("a", 1))
    "['a', 1]"
    """
    import math

    import numpy as np

    if isinstance(value, (np.ndarray, list, tuple)):
        return "[" + ", ".join(literal(v) for v in np.asarray(value, dtype=object).tolist()) + "]"
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return "float('nan')" if math.isnan(v) else ("float('inf')" if v == math.inf else repr(v))
    if isinstance(value, (np.integer,)):
        return repr(int(value))
    if isinstance(value, (np.bool_,)):
        return repr(bool(value))
    if isinstance(value, (str, int, bool)) or value is None:
        return repr(value)
    raise TypeError(f"cannot write {type(value).__name__} into a script")


def call_arguments(call: str) -> tuple[str, dict[str, Any]]:
    """Function name and keyword arguments of a provenance ``call`` string (literals only).

    Examples
    --------
    >>> call_arguments("power_ttest(effect_size=0.5, n=None, alpha=0.05)")
    ('power_ttest', {'effect_size': 0.5, 'n': None, 'alpha': 0.05})
    """
    try:
        node = ast.parse(call, mode="eval").body
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            raise ValueError(f"not a call: {call!r}")
        return node.func.id, {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    except SyntaxError as exc:
        raise ValueError(f"not a replayable call: {call!r}") from exc


def render_script(
    purpose: str,
    body: Sequence[str],
    *,
    inputs: Mapping[str, Any] | None = None,
    checks: Sequence[str] = (),
) -> str:
    """Assemble a script: a header saying what it recomputes, the inputs as literals, the body, checks.

    Examples
    --------
    >>> src = render_script("adds two numbers", ["total = a + b", "print(total)"], inputs={"a": 1.5, "b": 2})
    >>> ns = {}
    >>> exec(compile(src, "<script>", "exec"), ns)
    3.5
    >>> ns["total"]
    3.5
    """
    lines = [
        f'"""Recomputes {purpose}.',
        "",
        f"Written by retrostats {__version__} (result.to_script()); run it with `python THIS_FILE.py`.",
        "Every input number is spelled out at full precision, so the script needs no other file.",
        '"""',
        "",
        "import retrostats as rs",
        "",
    ]
    for name, value in (inputs or {}).items():
        lines.append(f"{name} = {literal(value)}")
    if inputs:
        lines.append("")
    lines += list(body)
    if checks:
        lines += ["", "# the numbers the original run reported (for comparison)"] + list(checks)
    return "\n".join(lines) + "\n"

