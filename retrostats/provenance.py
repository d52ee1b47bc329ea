"""Provenance recorded by every fit: package version, the normalised call and a checksum of the inputs.

Modelled on metafor's ``rma.uni`` (``version``, ``call``, ``chksumyi``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._version import __version__

__all__ = ["Provenance", "make_provenance", "checksum"]


_F8 = np.dtype("<f8")
_sha256 = hashlib.sha256


def _as_f8(a: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=float), dtype="<f8")


def checksum(*arrays: Any) -> str:
    """SHA-256 (first 16 hex digits) of the inputs' float64 bytes, stable across runs and platforms.

    Examples
    --------
    >>> checksum([1.0, 2.0]) == checksum(np.array([1.0, 2.0]))
    True
    """
    h = _sha256()
    for a in arrays:
        if a is None:
            h.update(b"None")
            continue
        arr = a if type(a) is np.ndarray and a.dtype == _F8 and a.flags.c_contiguous else _as_f8(a)
        h.update(repr(arr.shape).encode())
        h.update(arr)  # the buffer of a C-contiguous array: its bytes, as arr.tobytes()
    return h.hexdigest()[:16]


def _fmt(v: Any) -> str:
    if v is None or isinstance(v, (str, float, int)):
        return repr(v)
    if isinstance(v, (np.ndarray, list, tuple)) and np.size(v) > 6:
        return f"<{type(v).__name__} len={np.size(v)}>"
    if hasattr(v, "shape") and hasattr(v, "columns"):
        return f"<DataFrame {v.shape[0]}x{v.shape[1]}>"
    return repr(v)


@dataclass(frozen=True)
class Provenance:
    """Where a result came from."""

    version: str
    call: str
    checksum: str

    def to_dict(self) -> dict[str, str]:
        """The three fields as a dict."""
        return {"version": self.version, "call": self.call, "checksum": self.checksum}


def make_provenance(function: str, arguments: dict[str, Any], *arrays: Any) -> Provenance:
    """Build a :class:`Provenance` from a function name, its arguments and the numeric inputs.

    Examples
    --------
    >>> p = make_provenance("meta_analysis", {"method": "REML"}, [0.1, 0.2], [0.01, 0.02])
    >>> p.call
    "meta_analysis(method='REML')"
    """
    call = f"{function}(" + ", ".join([f"{k}={_fmt(v)}" for k, v in arguments.items()]) + ")"
    prov = object.__new__(Provenance)  # Provenance(...) without the frozen __init__'s three setattr calls
    prov.__dict__.update(version=__version__, call=call, checksum=checksum(*arrays))
    return prov
