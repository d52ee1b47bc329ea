"""Shared figure machinery: the shipped style, journal sizes, colours, new axes and :func:`save_figure`.

Nothing here changes matplotlib's global state: the style is applied through ``matplotlib.rc_context``
inside each function, and ``matplotlib.pyplot`` is imported only inside functions.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl

from .._version import __version__

__all__ = [
    "STYLE",
    "PALETTE",
    "DATA_LEVEL_COLOURS",
    "ROB_COLOURS",
    "MM",
    "COLUMN_WIDTH_MM",
    "style_context",
    "new_axes",
    "save_figure",
    "figure_width_inches",
]

#: The shipped style file (Okabe-Ito palette, 7 pt DejaVu Sans, embedded TrueType fonts).
STYLE = Path(__file__).with_name("retrostats.mplstyle")

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "orange": "#E69F00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#999999",
}
#: Colours of the registry's ``data_level`` (most to least complete).
DATA_LEVEL_COLOURS: dict[str, str] = {
    "full_text": PALETTE["blue"],
    "abstract": PALETTE["sky"],
    "registry": PALETTE["orange"],
    "none": "#DDDDDD",
}
#: RoB 2 judgements: colour and a symbol so that the plot never relies on colour alone.
ROB_COLOURS: dict[str, tuple[str, str]] = {
    "low": (PALETTE["green"], "+"),
    "some concerns": (PALETTE["yellow"], "?"),
    "high": (PALETTE["vermillion"], "\u2212"),
    "no information": ("#BBBBBB", ""),
}
#: Millimetres per inch.
MM = 25.4
#: Journal column widths in millimetres.
COLUMN_WIDTH_MM: dict[str, float] = {"single": 85.0, "double": 180.0}

_METADATA = {
    "pdf": {
        "Creator": f"retrostats {__version__}",
        "Producer": "retrostats",
        "CreationDate": None,
        "ModDate": None,
    },
    "svg": {"Creator": f"retrostats {__version__}", "Date": None},
    "png": {"Software": f"retrostats {__version__}"},
}


def figure_width_inches(width: str | float) -> float:
    """Width in inches of a journal column (``"single"`` 85 mm, ``"double"`` 180 mm) or of a width in mm.

    Examples
    --------
    >>> round(figure_width_inches("single"), 3)
    3.346
    >>> round(figure_width_inches(180), 3)
    7.087
    """
    if isinstance(width, str):
        if width not in COLUMN_WIDTH_MM:
            raise ValueError(f"width must be 'single', 'double' or a number of millimetres; got {width!r}.")
        return COLUMN_WIDTH_MM[width] / MM
    w = float(width)
    if not w > 0:
        raise ValueError(f"width must be a positive number of millimetres; got {width!r}.")
    return w / MM


@contextlib.contextmanager
def style_context(rc: dict[str, Any] | None = None) -> Iterator[None]:
    """Apply the shipped style (and ``rc`` overrides) for the duration of a ``with`` block only.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> before = mpl.rcParams["font.size"]
    >>> with style_context():
    ...     inside = mpl.rcParams["font.size"]
    >>> inside, mpl.rcParams["font.size"] == before
    (7.0, True)
    """
    with mpl.rc_context(fname=str(STYLE), rc=rc):
        yield


def new_axes(
    ax: Any = None,
    *,
    width: str | float = "single",
    height_mm: float = 60.0,
    margins_mm: tuple[float, float, float, float] = (14.0, 11.0, 4.0, 3.0),
) -> Any:
    """Return ``ax`` or a new styled Axes on a figure of the given journal width and height (mm), with
    fixed margins (left, bottom, top, right, in mm) so that labels are never cut.
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    # a pyplot figure, so that notebooks display it; callers that make many figures close them
    # (save_figure(..., close=True))
    with style_context():
        w_mm = figure_width_inches(width) * MM
        fig = plt.figure(figsize=(w_mm / MM, height_mm / MM))
        left, bottom, top, right = margins_mm
        ax = fig.add_axes(
            (left / w_mm, bottom / height_mm, 1 - (left + right) / w_mm, 1 - (bottom + top) / height_mm)
        )
    return ax


def _check_formats(formats: Sequence[str]) -> list[str]:
    if isinstance(formats, str):
        formats = (formats,)
    out = []
    for f in formats:
        f = str(f).lower().lstrip(".")
        if f not in _METADATA:
            raise ValueError(f"formats must be among 'pdf', 'svg', 'png'; got {f!r}.")
        out.append(f)
    return out


def save_figure(
    fig: Any,
    path_stem: str | Path,
    formats: Sequence[str] = ("pdf", "svg", "png"),
    dpi: int = 300,
    width: str | float | None = None,
    *,
    height_mm: float | None = None,
    close: bool = False,
) -> list[Path]:
    """Write a figure as PDF, SVG and PNG with fixed metadata, so every run writes identical bytes.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
        The figure (an Axes is replaced by its figure).
    path_stem : path
        Output path without suffix; folders are created. ``figures/forest`` writes ``figures/forest.pdf``...
        A path ending in one of the formats' suffixes (``forest.png``) is read as its stem.
    formats : sequence of str
        Any of ``"pdf"``, ``"svg"``, ``"png"``.
    dpi : int
        Resolution of the PNG (300 or 600 for journals).
    width : {"single", "double"} or float, optional
        Resize to a journal column (85 or 180 mm) or to a width in mm before saving; the height is kept
        unless ``height_mm`` is given.
    height_mm : float, optional
        New height in millimetres.
    close : bool
        Close the figure after saving (frees memory when making many figures).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Notes
    -----
    PDF files carry no creation date, SVG files no date and a fixed ``svg.hashsalt`` (so element ids are
    stable), PNG files a fixed ``Software`` entry; fonts are the bundled DejaVu Sans. Under these settings
    matplotlib writes byte-identical files for identical figures (checked by ``tests/test_figures.py``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from retrostats.figures import evidence_map
    >>> ax = evidence_map()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     files = save_figure(ax, pathlib.Path(d) / "map", formats=("svg",), width="double")
    ...     [p.suffix for p in files]
    ['.svg']
    """
    fig = getattr(fig, "figure", fig) if not hasattr(fig, "savefig") else fig
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure or Axes; got {type(fig).__name__}.")
    fmts = _check_formats(formats)
    if int(dpi) <= 0:
        raise ValueError(f"dpi must be a positive integer; got {dpi!r}.")
    if width is not None or height_mm is not None:
        w_in, h_in = fig.get_size_inches()
        if width is not None:
            w_in = figure_width_inches(width)
        if height_mm is not None:
            h_in = float(height_mm) / MM
        fig.set_size_inches(w_in, h_in)
    stem = Path(path_stem)
    if stem.suffix.lower().lstrip(".") in _METADATA:  # "fig.png" means the stem "fig", not "fig.png.pdf"
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    # svg.hashsalt makes SVG ids deterministic; the style is re-applied so save-time rcParams match
    with style_context({"svg.hashsalt": "retrostats"}):
        for f in fmts:
            path = stem.with_name(stem.name + "." + f)
            with _lean_font_subsets() if f == "pdf" else contextlib.nullcontext():
                fig.savefig(path, format=f, dpi=int(dpi), metadata=_METADATA[f])
            written.append(path)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return written


_LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern")


@contextlib.contextmanager
def _lean_font_subsets() -> Iterator[None]:
    """While a PDF is written, fonts are subset without their OpenType layout tables.

    matplotlib embeds a subset of each TrueType font (Type 42) by glyph index; positioning and kerning are
    already done when the PDF is drawn, so a PDF viewer never reads GSUB/GPOS/GDEF/kern. Subsetting those
    tables (fontTools) was most of the time spent saving a PDF. The font is loaded as before and the layout
    tables are dropped before subsetting; the embedded glyphs, widths and the output's determinism are
    unchanged. matplotlib's state is restored on exit.
    """
    try:
        from fontTools import subset
    except ImportError:  # pragma: no cover - matplotlib requires fontTools
        yield
        return
    original = subset.load_font

    def load_font(*args: Any, **kwargs: Any):
        font = original(*args, **kwargs)
        for tag in _LAYOUT_TABLES:
            if tag in font:
                del font[tag]
        return font

    subset.load_font = load_font
    try:
        yield
    finally:
        subset.load_font = original


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file (used to compare runs)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
