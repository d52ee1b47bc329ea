"""Shared figure machinery: the shipped style, journal sizes, colours, new axes and :func:`save_figure`.

Nothing here changes matplotlib's global state: the style is applied through ``matplotlib.rc_context``
inside each function, and ``matplotlib.pyplot`` is imported only inside functions.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl

from .._version import __version__
from ._fonts import lean_font_subsets
from ._png import save_png

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
    "remember_layout",
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
    "tiff": None,
    "eps": {"Creator": f"retrostats {__version__}"},
}
#: Pillow options for the raster formats it writes (PNG files are written by ``_png.save_png``)
_PIL_KWARGS = {"tiff": {"compression": "tiff_lzw"}}


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
    orig = dict(mpl.rcParams.copy())
    del orig["backend"]
    try:
        _update_raw({k: list(v) if isinstance(v, list) else v for k, v in _style_params().items()})
        if rc:
            mpl.rcParams.update(rc)
        yield
    finally:
        _update_raw(orig)


@functools.lru_cache(maxsize=1)
def _style_params() -> dict[str, Any]:
    """The rcParams the shipped style sets: matplotlib's defaults updated from ``retrostats.mplstyle``.

    What ``matplotlib.rc_context(fname=STYLE)`` applies, parsed and validated once per process instead of
    on every figure function call (reading and validating the file was a tenth of ``retrostats reproduce``).
    """
    import warnings

    with warnings.catch_warnings():
        # as matplotlib.rc_file: its deprecation notices (3.11 deprecates the module that holds the list of
        # parameters a style never sets) are not the user's to act on
        warnings.simplefilter("ignore", mpl.MatplotlibDeprecationWarning)
        from matplotlib.style.core import STYLE_BLACKLIST

        params = mpl.rc_params_from_file(str(STYLE), use_default_template=True)
    return {k: params[k] for k in params if k not in STYLE_BLACKLIST}


def _update_raw(params: dict[str, Any]) -> None:
    """Write already validated rcParams (what ``rc_context`` does when it restores them)."""
    update = getattr(mpl.rcParams, "_update_raw", None)
    if update is not None:
        update(params)
    else:  # pragma: no cover - matplotlib < 3.10
        dict.update(mpl.rcParams, params)


def new_axes(
    ax: Any = None,
    *,
    width: str | float = "single",
    height_mm: float = 60.0,
    margins_mm: tuple[float, float, float, float] = (14.0, 11.0, 4.0, 3.0),
) -> Any:
    """Return ``ax`` or a new styled Axes on a figure of the given journal width and height (mm).

    The figure uses matplotlib's constrained layout (pads of 1 mm), so the margins grow or shrink to fit the
    tick labels, axis labels, titles and legends at whatever width the figure is drawn or saved: labels are
    never cut when :func:`save_figure` resizes the figure to another journal column. ``margins_mm`` is
    accepted for compatibility and no longer used (the layout engine sizes the margins).
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    # a pyplot figure, so that notebooks display it; callers that make many figures close them
    # (save_figure(..., close=True))
    with style_context():
        w_mm = figure_width_inches(width) * MM
        fig = plt.figure(figsize=(w_mm / MM, height_mm / MM), layout="constrained")
        fig.get_layout_engine().set(w_pad=1.0 / MM, h_pad=1.0 / MM, wspace=0.02, hspace=0.02)
        ax = fig.add_subplot()
    return ax


def _check_formats(formats: Sequence[str]) -> list[str]:
    if isinstance(formats, str):
        formats = (formats,)
    out = []
    for f in formats:
        f = str(f).lower().lstrip(".")
        f = "tiff" if f == "tif" else f
        if f not in _METADATA:
            raise ValueError(f"formats must be among 'pdf', 'svg', 'png', 'tiff', 'eps'; got {f!r}.")
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
    """Write a figure as PDF, SVG and PNG (and TIFF, EPS) with fixed metadata: identical bytes every run.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
        The figure (an Axes is replaced by its figure).
    path_stem : path
        Output path without suffix; folders are created. ``figures/forest`` writes ``figures/forest.pdf``...
        A path ending in one of the formats' suffixes (``forest.png``) is read as its stem.
    formats : sequence of str
        Any of ``"pdf"``, ``"svg"``, ``"png"``, ``"tiff"`` (LZW-compressed) and ``"eps"`` (translucent
        colours blended on white, as EPS has no transparency; fonts embedded as Type 3).
    dpi : int
        Resolution of the PNG and TIFF (300 or 600 for journals).
    width : {"single", "double"} or float, optional
        Lay the figure out for a journal column (85 or 180 mm) or a width in mm before saving; the height
        is kept unless ``height_mm`` is given. Figures in constrained layout re-fit their labels; forest
        plots are drawn again for the new width (their text columns are sized in mm).
    height_mm : float, optional
        New height in millimetres.
    close : bool
        Close the figure after saving (frees memory when making many figures).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Raises
    ------
    ValueError
        An unknown format, a non-positive ``dpi`` or width.

    Notes
    -----
    PDF files carry no creation date, SVG files no date and a fixed ``svg.hashsalt`` (so element ids are
    stable), PNG files a fixed ``Software`` entry; fonts are the bundled DejaVu Sans. Under these settings
    matplotlib writes byte-identical files for identical figures (checked by ``tests/test_figures.py``).
    PNG files hold the pixels matplotlib draws, written by :mod:`retrostats.figures._png` (RGB when every pixel is
    opaque, no row filters, zlib level 3: a quarter of the CPU of matplotlib's own PNG writer).
    TIFF files are LZW-compressed without a date; EPS files carry a fixed creation date. A figure with a
    layout engine (constrained layout) is laid out once for all formats, measuring text as the PNG does, and
    its engine is off while the formats are drawn (each is drawn once), so every format has the same layout.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import retrostats as rs
    >>> from retrostats.figures import funnel_plot
    >>> ax = funnel_plot(rs.meta_analysis(yi=[0.1, 0.5, 0.3, 0.4], vi=[0.02, 0.03, 0.02, 0.05]))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     files = save_figure(ax, pathlib.Path(d) / "funnel", formats=("pdf", "png"), width="double")
    ...     [p.suffix for p in files]
    ['.pdf', '.png']
    """
    fig = getattr(fig, "figure", fig) if not hasattr(fig, "savefig") else fig
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure or Axes; got {type(fig).__name__}.")
    orig = fig
    fmts = _check_formats(formats)
    if int(dpi) <= 0:
        raise ValueError(f"dpi must be a positive integer; got {dpi!r}.")
    if width is not None or height_mm is not None:
        w_in, h_in = fig.get_size_inches()
        if width is not None:
            w_in = figure_width_inches(width)
        if height_mm is not None:
            h_in = float(height_mm) / MM
        fig = _relayout(orig, w_in, h_in)
    stem = Path(path_stem)
    if stem.suffix.lower().lstrip(".") in _METADATA or stem.suffix.lower() == ".tif":
        stem = stem.with_suffix("")  # "fig.png" means the stem "fig", not "fig.png.pdf"
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    # svg.hashsalt makes SVG ids deterministic; the style is re-applied so save-time rcParams match
    with style_context({"svg.hashsalt": "retrostats"}), _laid_out_once(fig, int(dpi)):
        for f in fmts:
            path = stem.with_name(stem.name + "." + f)
            if f == "eps":
                # Type 3 fonts (embedded, subsetted): matplotlib's Type 42 embedding takes ~30 s per figure
                with _eps_context(fig), mpl.rc_context({"ps.fonttype": 3}):
                    fig.savefig(path, format=f, dpi=int(dpi), metadata=_METADATA[f])
            elif f == "png":
                save_png(fig, path, int(dpi), _METADATA[f])  # the pixels matplotlib draws, written by us
            else:
                extra = {"pil_kwargs": _PIL_KWARGS[f]} if f in _PIL_KWARGS else {}
                with lean_font_subsets() if f == "pdf" else contextlib.nullcontext():
                    fig.savefig(path, format=f, dpi=int(dpi), metadata=_METADATA[f], **extra)
            written.append(path)
    if close or fig is not orig:
        import matplotlib.pyplot as plt

        if fig is not orig:
            plt.close(fig)  # the re-laid-out copy; the caller's figure is untouched
        if close:
            plt.close(orig)
    return written


@contextlib.contextmanager
def _laid_out_once(fig: Any, dpi: int) -> Iterator[None]:
    """Lay ``fig`` out once for all the formats being saved, and switch its layout engine off meanwhile.

    With a layout engine (constrained layout), every ``savefig`` draws the figure twice (a layout pass, then
    the drawing), each time running the engine from wherever the last save left the axes: six draws for three
    formats, and a layout that depends on what was saved before. Here the engine runs once, measuring text
    as the PNG's own layout pass does (Agg at ``dpi``), from the positions the figure had before its first
    save; each format is then drawn once at those positions. On exit the positions go back to where they
    were and the engine is restored, so every save of the figure starts from the same state: a PNG saved
    alone and one saved after the PDF and SVG are the same bytes. The PDF and SVG take the raster text
    metrics (their margins may move by a fraction of a point from a layout with their own metrics). A figure
    without a layout engine is saved as before.
    """
    engine = fig.get_layout_engine()
    if engine is None or not fig.axes:
        yield
        return
    start = _positions(fig)
    old_dpi = fig.dpi
    fig.dpi = dpi
    try:
        engine.execute(fig)
    finally:
        fig.dpi = old_dpi
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)  # positions stay where the engine put them
    try:
        yield
    finally:
        _restore_positions(fig, start)
        fig.set_layout_engine(engine)


def _positions(fig: Any) -> tuple[list, list, list]:
    """What the layout engine moves: every Axes' original and active position, every subfigure's box, and the
    position of every text of the figure and its subfigures.
    """
    axes = [(a, a.get_position(original=True).frozen(), a.get_position(original=False).frozen()) for a in fig.axes]
    subfigs, texts = [], []
    figs = [fig]
    while figs:  # the figure and its subfigures: the engine sizes the subfigures and places their titles too
        f = figs.pop()
        for sub in getattr(f, "subfigs", []):
            subfigs.append((sub, sub.bbox_relative.get_points().copy()))
            figs.append(sub)
        texts += [(t, t.get_position()) for t in f.texts]
        for name in ("_suptitle", "_supxlabel", "_supylabel"):
            t = getattr(f, name, None)
            if t is not None and t not in f.texts:
                texts.append((t, t.get_position()))
    return axes, subfigs, texts


def _restore_positions(fig: Any, saved: tuple[list, list, list]) -> None:
    axes, subfigs, texts = saved
    for sub, points in subfigs:
        sub.bbox_relative.set_points(points)
    for a, original, active in axes:
        in_layout = a.get_in_layout()  # set_position takes an Axes out of the layout; it stays as it was
        a.set_position(original, which="original")
        a.set_position(active, which="active")
        a.set_in_layout(in_layout)
    for t, xy in texts:
        t.set_position(xy)


def remember_layout(ax: Any, redraw: Any) -> None:
    """Record how a figure function laid out its figure, so :func:`save_figure` can lay it out again.

    ``redraw(width_in, height_in_or_None)`` must return a new Axes drawn for that width. Figure functions
    whose text is placed in millimetres (forest plots) call this when they made the figure themselves;
    the artists present now are remembered, so that a figure the user has drawn on is never redrawn.
    """
    fig = ax.figure
    fig._retrostats_redraw = redraw
    fig._retrostats_signature = _signature(fig)


def _signature(fig: Any) -> tuple:
    return tuple(len(a.get_children()) for a in fig.axes) + (len(fig.texts), len(fig.axes))


def _relayout(fig: Any, w_in: float, h_in: float) -> Any:
    """Resize ``fig``; a retrostats figure laid out in mm is drawn again for the new width."""
    old_w = fig.get_size_inches()[0]
    redraw = getattr(fig, "_retrostats_redraw", None)
    if abs(old_w - w_in) * MM < 0.1 or redraw is None:
        fig.set_size_inches(w_in, h_in)
        return fig
    if _signature(fig) != getattr(fig, "_retrostats_signature", None):
        import warnings

        from ..exceptions import RetrostatsWarning

        warnings.warn(
            f"this figure was laid out for {old_w * MM:.0f} mm and has been drawn on since, so it is only "
            f"resized to {w_in * MM:.0f} mm (text columns may crowd); pass width= to the figure function "
            "to lay it out for that width.",
            RetrostatsWarning,
            stacklevel=3,
        )
        fig.set_size_inches(w_in, h_in)
        return fig
    new = redraw(w_in * MM).figure
    mark = getattr(fig, "_retrostats_synthetic", None)
    if mark:
        mark_synthetic(new.axes[0], mark)
    return new


def mark_synthetic(ax: Any, text: str = "SYNTHETIC DATA") -> Any:
    """Put a visible "SYNTHETIC DATA" mark in the top-right corner of the figure of ``ax``.

    The mark is a bold vermillion label in its own band at the top right of the figure
    (a constrained-layout figure reserves it as a suptitle; other figures grow by 4.5 mm), so it overlaps
    nothing; it carries the gid ``synthetic-mark``. Figures drawn from synthetic datasets (the reproduce
    steps' demonstrations) call it. Returns the text artist.

    Examples
    --------
    >>> from retrostats.figures import funnel_plot
    >>> import retrostats as rs
    >>> res = rs.meta_analysis(rs.effect_sizes(measure="MD", m1=[1, 2, 3], sd1=[1, 1, 1], n1=[9, 9, 9],
    ...                                         m2=[1, 1, 1], sd2=[1, 1, 1], n2=[9, 9, 9]))
    >>> mark_synthetic(funnel_plot(res)).get_text()
    'SYNTHETIC DATA'
    """
    fig = getattr(ax, "figure", ax)
    for t in fig.texts:
        if t.get_gid() == "synthetic-mark":
            return t
    clean = _signature(fig) == getattr(fig, "_retrostats_signature", None)
    style = {
        "ha": "right",
        "va": "top",
        "fontsize": 6.5,
        "fontweight": "bold",
        "color": PALETTE["vermillion"],
    }
    with style_context():
        engine = fig.get_layout_engine()
        if engine is not None and type(engine).__name__ == "ConstrainedLayoutEngine":
            t = fig.suptitle(text, x=0.995, **style)  # no y: the layout places it and reserves its height
        else:
            band_mm = 4.5  # grow the figure at the top; everything keeps its place measured from the bottom
            w_in, h_in = fig.get_size_inches()
            new_h = h_in + band_mm / MM
            for a in fig.axes:
                p = a.get_position()
                a.set_position((p.x0, p.y0 * h_in / new_h, p.width, p.height * h_in / new_h))
            for other in fig.texts:
                x, y = other.get_position()
                other.set_position((x, y * h_in / new_h))
            fig.set_size_inches(w_in, new_h)
            t = fig.text(0.995, 1 - 0.4 / MM / new_h, text, **style)
    t.set_gid("synthetic-mark")
    fig._retrostats_synthetic = text  # save_figure's re-layout keeps the mark
    if clean:
        fig._retrostats_signature = _signature(fig)
    return t


@contextlib.contextmanager
def _eps_context(fig: Any) -> Iterator[None]:
    """EPS has no transparency: blend translucent colours on white (what they look like on paper) for the
    duration of the save, and fix the creation date so every run writes the same bytes.
    """
    import os

    from matplotlib.colors import to_rgba, to_rgba_array

    def flat(c: Any, alpha: float | None) -> Any:
        arr = to_rgba_array(c)
        a = arr[:, 3:4] * (1.0 if alpha is None else alpha)
        out = arr.copy()
        out[:, :3] = a * arr[:, :3] + (1 - a)
        out[:, 3] = 1.0
        return out

    undo = []
    for art in fig.findobj():
        alpha = art.get_alpha() if hasattr(art, "get_alpha") else None
        for getter, setter in (("get_facecolor", "set_facecolor"), ("get_edgecolor", "set_edgecolor")):
            if not (hasattr(art, getter) and hasattr(art, setter)):
                continue
            try:
                c = getattr(art, getter)()
                arr = to_rgba_array(c)
            except (ValueError, TypeError):
                continue
            if arr.size and ((alpha is not None and alpha < 1) or (arr[:, 3] < 1).any()):
                if (arr[:, 3] == 0).all():
                    continue  # fully transparent stays invisible
                undo.append((art, setter, c, alpha))
                new = flat(c, None)  # face and edge colours already carry the artist's alpha
                getattr(art, setter)(new if len(new) > 1 else to_rgba(new[0]))
        if hasattr(art, "get_color") and hasattr(art, "set_color") and alpha is not None and alpha < 1:
            if type(art).__name__ in ("Line2D", "Text"):
                undo.append((art, "set_color", art.get_color(), alpha))
                art.set_color(to_rgba(flat(art.get_color(), alpha)[0]))
    alphas = [(a, a.get_alpha()) for a, *_ in undo]
    for a, _ in alphas:
        a.set_alpha(None)
    old_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        yield
    finally:
        if old_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old_epoch
        for art, setter, c, _ in reversed(undo):
            getattr(art, setter)(c)
        for a, al in alphas:
            a.set_alpha(al)


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file (used to compare runs)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
