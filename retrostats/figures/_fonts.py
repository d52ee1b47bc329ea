"""Embedding fonts into the PDF files that :func:`retrostats.figures.save_figure` writes: lean, shared subsets.

matplotlib embeds each TrueType font a PDF uses as a Type 42 subset made by fontTools, once per font per file:
a run of ``retrostats reproduce`` made 44 subsets of three DejaVu fonts, and parsing the 700 kB fonts for each
was a fifth of the run. Here, while a PDF is written,

* the OpenType layout tables (GSUB, GPOS, kern, ...) are dropped before subsetting: a PDF viewer never reads
  them (text is already positioned when the PDF is drawn);
* every subset of a font also carries a fixed set of characters (printable ASCII and the symbols our figures
  use, :data:`BASE_CHARACTERS`), so that most figures ask for the same subset, which is made once per process
  and then reused (a small cache keyed by the font and the glyphs).

A PDF's bytes depend only on the figure: a figure whose glyphs are all in the base set embeds the base subset,
any other the base set plus its own glyphs, whether or not the subset came from the cache (``tests/test_figures.py``
checks a figure saved after others, and after the cache is cleared, against itself).
"""

from __future__ import annotations

import contextlib
import functools
from collections import OrderedDict
from collections.abc import Iterator
from io import BytesIO
from typing import Any

__all__ = ["BASE_CHARACTERS", "lean_font_subsets", "clear_subset_cache"]

#: OpenType tables dropped from embedded subsets (layout: a PDF viewer never reads them).
_LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern")

#: Characters every embedded subset carries: printable ASCII, then the symbols and ligatures our figures
#: draw (degree, plus-minus, superscripts, micro, middle dot, times, dashes, arrows, minus, inequalities,
#: the Greek letters of the statistics, and the ff/fi/fl ligatures matplotlib's text layout substitutes).
BASE_CHARACTERS: str = "".join(chr(c) for c in range(0x20, 0x7F)) + (
    "\u00b0\u00b1\u00b2\u00b3\u00b5\u00b7\u00d7\u2013\u2014\u2190\u2192\u2212\u2264\u2265"
    "\u03b1\u03b2\u03b4\u03b8\u03bc\u03c3\u03c4\u0394\ufb00\ufb01\ufb02"
)

_CACHE_SIZE = 16
#: (font path, face index, API, glyphs or characters) -> (subset font bytes, glyph index map or None)
_SUBSETS: OrderedDict[tuple, tuple[bytes, dict | None]] = OrderedDict()


def clear_subset_cache() -> None:
    """Forget the font subsets made so far in this process (the next PDF makes its subsets anew)."""
    _SUBSETS.clear()


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _base_glyphs(fontfile: Any, face_index: int) -> frozenset[int]:
    """Glyph indices of :data:`BASE_CHARACTERS` in ``fontfile`` (characters the font lacks are left out), once
    per font face (``face_index`` is in the key: a font path compares equal whatever its face).
    """
    from matplotlib.font_manager import get_font

    font = get_font(fontfile)
    gids = (font.get_char_index(ord(ch)) for ch in BASE_CHARACTERS)
    return frozenset(int(g) for g in gids if g)


def _subset_bytes(original: Any, fontfile: Any, request: Any) -> tuple[str, bytes, dict | None]:
    """Subset with matplotlib's own function; return what it returned as (kind, font bytes, glyph map)."""
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    made = original(fontfile, request)
    if isinstance(made, BytesIO):
        return "bytes", made.getvalue(), None
    if hasattr(made, "save"):
        with made:
            return "font", pdf_ps.font_as_file(made).getvalue(), None
    with made as results:
        return "results", pdf_ps.font_as_file(results.font).getvalue(), dict(results.glyph_index_map)


def _shared_subsets(original: Any) -> Any:
    """Wrap matplotlib's ``get_glyphs_subset`` so that it subsets the base set plus the glyphs asked for,
    once per distinct request; each call gets a fresh font object read from the cached bytes.
    """
    from fontTools.ttLib import TTFont
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    def get_glyphs_subset(fontfile: Any, glyphs: Any) -> Any:
        by_characters = isinstance(glyphs, str)  # matplotlib < 3.11 asks by characters, later by glyph index
        if by_characters:
            wanted: frozenset = frozenset(glyphs) | frozenset(BASE_CHARACTERS)
        else:
            wanted = frozenset(int(g) for g in glyphs) | _base_glyphs(fontfile, getattr(fontfile, "face_index", 0))
        key = (str(fontfile), getattr(fontfile, "face_index", 0), by_characters, wanted)
        hit = _SUBSETS.get(key)
        if hit is None:
            hit = _SUBSETS[key] = _subset_bytes(original, fontfile, "".join(sorted(wanted)) if by_characters
                                                else set(wanted))
            while len(_SUBSETS) > _CACHE_SIZE:
                _SUBSETS.popitem(last=False)
        else:
            _SUBSETS.move_to_end(key)
        kind, data, index_map = hit
        if kind == "bytes":  # matplotlib < 3.9 returned the subset as a file
            return BytesIO(data)
        # as fontTools' subsetter loads fonts: a recalculated timestamp would make the PDF depend on the clock
        font = TTFont(BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
        if kind == "font":  # matplotlib 3.9-3.10 returned the font
            return font
        return pdf_ps.SubsetResults(font, dict(index_map))._as_cm()

    return get_glyphs_subset


@contextlib.contextmanager
def lean_font_subsets() -> Iterator[None]:
    """While a PDF is written, fonts are subset without layout tables, with the base characters, and shared.

    The embedded glyphs cover every glyph the figure draws (and the base set); widths and the output's
    determinism are unchanged. matplotlib's and fontTools' state is restored on exit. Without a matplotlib
    that subsets through ``matplotlib.backends._backend_pdf_ps.get_glyphs_subset``, only the layout tables
    are dropped.

    Examples
    --------
    >>> import io, matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set_title("retro vs forward")
    >>> with lean_font_subsets():
    ...     fig.savefig(io.BytesIO(), format="pdf")
    >>> plt.close(fig)
    """
    try:
        from fontTools import subset
    except ImportError:  # pragma: no cover - matplotlib requires fontTools
        yield
        return
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    original_load = subset.load_font

    def load_font(*args: Any, **kwargs: Any) -> Any:
        font = original_load(*args, **kwargs)
        for tag in _LAYOUT_TABLES:
            if tag in font:
                del font[tag]
        return font

    original_subset = getattr(pdf_ps, "get_glyphs_subset", None)
    subset.load_font = load_font
    if original_subset is not None:
        pdf_ps.get_glyphs_subset = _shared_subsets(original_subset)
    try:
        yield
    finally:
        subset.load_font = original_load
        if original_subset is not None:
            pdf_ps.get_glyphs_subset = original_subset
