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
import math
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii  # what json.dumps writes for a str (ensure_ascii=True)
from typing import Any

import numpy as np

__all__ = ["step", "derivation_steps", "render_derivation", "format_number", "Trail"]


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


class Trail:
    """The derivation chains of many rows, each distinct chain held (and encoded as JSON) once.

    Row ``i``'s chain is ``chains[codes[i]]``. Rows that share a chain (e.g. every row with one sample size)
    share one list and one JSON text, so building the ``derivation`` column costs one encoding per distinct
    chain, not per row. Chains are lists of :func:`step` dicts and are not changed after they are added.

    Parameters
    ----------
    chains : sequence of list of dict
        The distinct chains.
    codes : array_like of int
        For each row, the index of its chain.

    Examples
    --------
    >>> trail = Trail.single_steps("MD", ["MD from means", "MD from medians"], [0, 0, 1])
    >>> trail[2]
    [{'step': 'MD', 'text': 'MD from medians'}]
    >>> trail.replace(0, [step("note", "typed by hand")])
    >>> trail.to_json()
    ['[{"step": "note", "text": "typed by hand"}]', '[{"step": "MD", "text": "MD from means"}]', \
'[{"step": "MD", "text": "MD from medians"}]']
    """

    __slots__ = ("chains", "codes", "_texts")

    def __init__(self, chains: Sequence[list[dict[str, Any]]], codes: Any):
        self.chains = list(chains)
        self.codes = np.array(codes, dtype=np.intp).reshape(-1)
        self._texts: list[str | None] = [None] * len(self.chains)

    @classmethod
    def single_steps(cls, code: str, texts: Sequence[str], codes: Any, **values: Sequence[float]) -> Trail:
        """Chains of one step each, ``step(code, text, **values)`` per text, with their JSON written directly.

        ``values`` give one float per chain for each name (e.g. ``ri=[0.5, 0.7]``). The JSON is the text
        ``json.dumps`` writes for the same chain, built without encoding a list of dicts:
        ``[{"step": <code>, "text": <text>, <name>: <value>}]`` with strings escaped and floats written as
        ``json.dumps`` writes them.
        """
        names = list(values)
        columns = [[float(v) for v in values[k]] for k in names]
        rows = list(zip(*columns)) if names else [()] * len(texts)
        trail = cls([[{"step": code, "text": t, **dict(zip(names, row))}] for t, row in zip(texts, rows)], codes)
        head = '[{"step": ' + encode_basestring_ascii(code) + ', "text": '
        keys = [", " + encode_basestring_ascii(k) + ": " for k in names]
        trail._texts = [head + encode_basestring_ascii(t) + "".join(map(_json_float_item, keys, row)) + "}]"
                        for t, row in zip(texts, rows)]
        return trail

    @classmethod
    def per_row(cls, rows: Sequence[list[dict[str, Any]]]) -> Trail:
        """One chain per row; rows holding the same list object share it (and its encoding)."""
        index: dict[int, int] = {}
        chains: list[list[dict[str, Any]]] = []
        codes = []
        for chain in rows:
            j = index.setdefault(id(chain), len(chains))
            if j == len(chains):
                chains.append(chain)
            codes.append(j)
        return cls(chains, codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i: int) -> list[dict[str, Any]]:
        return self.chains[self.codes[i]]

    def replace(self, i: int, chain: list[dict[str, Any]]) -> None:
        """Give row ``i`` its own chain."""
        self.chains.append(chain)
        self._texts.append(None)
        self.codes[i] = len(self.chains) - 1

    def prepend(self, steps: list[dict[str, Any]]) -> Trail:
        """A trail whose every chain starts with ``steps`` (e.g. a value assumed for every row)."""
        trail = Trail([steps + c for c in self.chains], self.codes)
        if steps:
            lead = json.dumps(steps)[:-1]  # "[<steps>" : a chain's JSON goes on after ", "
            trail._texts = [None if t is None else (lead + "]" if t == "[]" else lead + ", " + t[1:])
                            for t in self._texts]
        else:
            trail._texts = list(self._texts)
        return trail

    def to_json(self) -> list[str]:
        """The ``derivation`` cell of every row: its chain as JSON text (``json.dumps`` of the list of steps)."""
        texts = [json.dumps(c) if t is None else t for t, c in zip(self._texts, self.chains)]
        return np.array(texts, dtype=object)[self.codes].tolist()


def _json_float_item(key: str, value: float) -> str:
    """``key`` then ``value`` as ``json.dumps`` writes a float (its repr; NaN and infinities as JSON words)."""
    return key + (float.__repr__(value) if math.isfinite(value) else json.dumps(value))


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
