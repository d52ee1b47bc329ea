"""PNG files for :func:`retrostats.figures.save_figure`: matplotlib draws the pixels, this module writes the file.

matplotlib hands the drawn RGBA buffer to Pillow, which filters every row adaptively (five filters tried
per row) before compressing four bytes per pixel: about a second of CPU for the paper's 25 million pixels.
Our figures are flat colours on an opaque white background, where the adaptive filters gain nothing, so
here the pixels matplotlib drew (``savefig(format="raw")``: the same drawing as its PNG) are written

* as RGB when every pixel is opaque (RGBA otherwise), without row filters (PNG filter type 0),
* compressed by zlib at level 3 in one ``IDAT`` chunk,
* with the resolution (``pHYs``, pixels per metre as Pillow rounds them) and the ``tEXt`` entries given,

about a quarter of the CPU and smaller files. The pixels are those of matplotlib's own PNG
(``tests/test_figures.py`` decodes both and compares them), and a file depends only on the figure.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["save_png", "encode_png"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_LEVEL = 3


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))  # over the type and the data, without joining them first
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc & 0xFFFFFFFF)


def encode_png(rgba: np.ndarray, dpi: float, text: dict[str, str] | None = None) -> bytes:
    """The PNG file of an ``(height, width, 4)`` ``uint8`` RGBA image at ``dpi``, with ``tEXt`` entries.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((2, 3, 4), 255, np.uint8)
    >>> png = encode_png(img, 300, {"Software": "retrostats"})
    >>> png[1:4], png[25]  # the signature, and colour type 2 (RGB): every pixel is opaque
    (b'PNG', 2)
    """
    rgba = np.asarray(rgba)
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4 or 0 in rgba.shape[:2]:
        raise ValueError(f"an image of shape (height, width, 4) and dtype uint8 is needed; got {rgba.shape} "
                         f"{rgba.dtype}.")
    height, width = rgba.shape[:2]
    opaque = bool((rgba[:, :, 3] == 255).all())
    pixels = rgba[:, :, :3] if opaque else rgba
    rows = np.empty((height, 1 + width * pixels.shape[2]), np.uint8)
    rows[:, 0] = 0  # filter type 0 (none) on every row
    rows[:, 1:] = pixels.reshape(height, -1)
    ppm = int(float(dpi) / 0.0254 + 0.5)  # pixels per metre, rounded as Pillow rounds them
    out = [_SIGNATURE, _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6, 0, 0, 0)),
           _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))]
    for key, value in (text or {}).items():
        out.append(_chunk(b"tEXt", key.encode("latin-1") + b"\0" + str(value).encode("latin-1")))
    out += [_chunk(b"IDAT", zlib.compress(rows, _LEVEL)), _chunk(b"IEND", b"")]  # rows: a contiguous buffer
    return b"".join(out)


def save_png(fig: Any, path: str | Path, dpi: int, text: dict[str, str] | None = None) -> Path:
    """Draw ``fig`` at ``dpi`` as matplotlib's PNG would (``savefig(format="raw")``) and write it to ``path``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="raw", dpi=dpi)
    width, height = (int(v) for v in fig.get_size_inches() * dpi)  # as the Agg canvas sizes itself
    raw = np.frombuffer(buf.getbuffer(), np.uint8)
    if raw.size != width * height * 4:
        raise RuntimeError(f"matplotlib drew {raw.size} bytes for a {width} x {height} px figure")
    path = Path(path)
    path.write_bytes(encode_png(raw.reshape(height, width, 4), dpi, text))
    return path
