"""Fonts embedded in the PDF files of save_figure: every glyph drawn is embedded, and the bytes of a PDF do
not depend on what was saved before it in the same process (the subsets are shared through a cache)."""

from __future__ import annotations

import io
import re
import zlib

import matplotlib.pyplot as plt
import pytest
from fontTools.ttLib import TTFont
from matplotlib.backends import _backend_pdf_ps as pdf_ps

from retrostats import figures as F
from retrostats.figures import _fonts


def _embedded_fonts(pdf: bytes) -> list[TTFont]:
    """The TrueType fonts (FontFile2 streams, carrying /Length1) embedded in a PDF written by matplotlib."""
    fonts = []
    for m in re.finditer(rb"<<([^<>]*/Length1 \d+[^<>]*)>>\s*stream\r?\n", pdf):
        length = int(re.search(rb"/Length (\d+)", m.group(1)).group(1))
        data = pdf[m.end(): m.end() + length]
        if b"/FlateDecode" in m.group(1):
            data = zlib.decompress(data)
        fonts.append(TTFont(io.BytesIO(data)))
    return fonts


def _figure(title: str, label: str):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title(title)
    ax.set_xlabel(label, fontweight="bold")
    ax.plot([0, 1], [0, 1])
    return fig


def _pdf(fig, path) -> bytes:
    F.save_figure(fig, path, formats=("pdf",))
    return path.with_suffix(".pdf").read_bytes()


@pytest.mark.parametrize("title", ["Retro vs forward walking", "Ωmega, é and ÿ: outside the base set"])
def test_every_character_drawn_is_embedded(tmp_path, title):
    fig = _figure(title, "SMD (95% CI) − τ²")
    fonts = _embedded_fonts(_pdf(fig, tmp_path / "f"))
    plt.close(fig)
    assert len(fonts) == 2  # regular and bold
    covered = set().union(*(set(f.getBestCmap()) for f in fonts))
    drawn = {ord(ch) for ch in title + "SMD (95% CI) − τ²" if not ch.isspace()}
    assert drawn <= covered, {chr(c) for c in drawn - covered}


def test_pdf_bytes_do_not_depend_on_what_was_saved_before(tmp_path, monkeypatch):
    # a clock that moves on every time fontTools asks it: a font whose timestamp were recalculated on the way
    # into a PDF (the cache once re-read its subsets that way) would make the bytes differ here
    from fontTools.ttLib.tables import _h_e_a_d

    ticks = iter(range(3_900_000_000, 4_000_000_000, 1000))
    monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda: next(ticks))
    _fonts.clear_subset_cache()
    first = _figure("Retro walking", "Pain (0-10)")
    alone = _pdf(first, tmp_path / "alone")
    # other figures, with and without characters outside the base set, fill the cache
    for i, title in enumerate(["Ωmega", "Quadriceps strength", "Ä ö ü"]):
        other = _figure(title, f"label {i}")
        _pdf(other, tmp_path / f"other{i}")
        plt.close(other)
    again = _pdf(first, tmp_path / "again")
    _fonts.clear_subset_cache()
    cold = _pdf(first, tmp_path / "cold")
    plt.close(first)
    assert alone == again == cold


def test_the_cache_returns_what_matplotlib_would_embed():
    """A cached subset serialises to the same bytes as a fresh one and maps every glyph asked for."""
    from matplotlib.font_manager import findfont, get_font

    path = findfont("DejaVu Sans")
    font = get_font(path)
    gids = {font.get_char_index(ord(c)) for c in "AΩé"}
    with _fonts.lean_font_subsets():
        _fonts.clear_subset_cache()
        with pdf_ps.get_glyphs_subset(path, gids) as made:  # a miss: subset with matplotlib's function
            cold, cold_map = pdf_ps.font_as_file(made.font).getvalue(), dict(made.glyph_index_map)
        with pdf_ps.get_glyphs_subset(path, set(gids)) as hit:  # a hit: read from the cache
            warm, warm_map = pdf_ps.font_as_file(hit.font).getvalue(), dict(hit.glyph_index_map)
    assert cold == warm and cold_map == warm_map
    assert gids <= set(cold_map)
    base = {font.get_char_index(ord(c)) for c in _fonts.BASE_CHARACTERS} - {0}
    assert base <= set(cold_map)  # the shared base set rides along
    assert pdf_ps.get_glyphs_subset.__module__ == "matplotlib.backends._backend_pdf_ps"  # restored on exit
