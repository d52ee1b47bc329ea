"""The derivation trail: how each effect size was computed, as a list of steps held in a ``derivation`` cell.

Every function that computes or changes an effect (:func:`retrostats.effect_sizes`, the binary measures,
the harmonisation helpers, the registry routes) appends :func:`step` dicts; :func:`render_derivation` turns
a trail into numbered text. This module sits below all of them, so none imports another for its steps.

Examples
--------
>>> trail = [step("sd_from_se", "SD 2 = SE 0.5 x sqrt(16)", se=0.5, n=16)]
>>> print(render_derivation(trail))
1. SD 2 = SE 0.5 x sqrt(16)
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

__all__ = ["step", "derivation_steps", "render_derivation", "format_number"]


def step(step: str, text: str, **values: Any) -> dict[str, Any]:
    """One step of a derivation: a machine-readable code, a sentence, and the numbers it used.

    Parameters
    ----------
    step : str
        Short code of what was done (``"sd_from_se"``, ``"assume"``, a measure code).
    text : str
        The sentence shown to readers.
    **values
        The numbers used (NumPy scalars become Python floats so the trail serialises to JSON).

    Returns
    -------
    dict
        ``{"step": step, "text": text, **values}``.

    Examples
    --------
    >>> step("assume", "r = 0.5 assumed for every row", argument="ri", value=np.float64(0.5))
    {'step': 'assume', 'text': 'r = 0.5 assumed for every row', 'argument': 'ri', 'value': 0.5}
    """
    clean = {k: (float(v) if isinstance(v, (np.floating, np.integer)) else v) for k, v in values.items()}
    return {"step": step, "text": text, **clean}


def format_number(x: float) -> str:
    """A number as derivation texts write it: six significant digits (``%.6g``).

    Examples
    --------
    >>> format_number(0.97475432), format_number(30.0), format_number(1e-7)
    ('0.974754', '30', '1e-07')
    """
    return f"{x:.6g}"


def derivation_steps(value: Any) -> list[dict[str, Any]]:
    """The list of step dicts held in a ``derivation`` cell (a JSON string, a list, or missing).

    Examples
    --------
    >>> derivation_steps('[{"step": "sd_from_se", "text": "SD from SE"}]')[0]["step"]
    'sd_from_se'
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            steps = json.loads(value)
        except json.JSONDecodeError:
            return [{"step": "note", "text": value}]
        return steps if isinstance(steps, list) else [steps]
    return list(value)


def render_derivation(value: Any) -> str:
    """Human-readable rendering of a derivation: one numbered line per step.

    Examples
    --------
    >>> print(render_derivation([{"step": "assume_r", "text": "r = 0.5 assumed"}]))
    1. r = 0.5 assumed
    """
    return "\n".join(
        f"{i}. {s.get('text', s.get('step', ''))}" for i, s in enumerate(derivation_steps(value), 1)
    )
