"""The display object returned by every ``summary()``: text, HTML, Markdown and LaTeX renderings.

Numbers are held at full precision and rounded only here, on display.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

__all__ = ["ResultDisplay", "Summary", "fmt_num", "fmt_p"]


def fmt_num(x: float | None, digits: int = 4) -> str:
    """Format a number for display (``NA`` for missing)."""
    if x is None:
        return "NA"
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if xf != xf:
        return "NA"
    return f"{xf:.{digits}f}"


def fmt_p(p: float | None) -> str:
    """Format a p-value as metafor does: ``<.0001`` below 1e-4."""
    if p is None or p != p:
        return "NA"
    return "<.0001" if p < 1e-4 else f"{p:.4f}"


@dataclass(frozen=True)
class Summary:
    """A rendered summary.

    Attributes
    ----------
    title : str
    header : list of (label, value) pairs shown above the tables
    tables : list of (caption, DataFrame), already formatted for display
    notes : list of str, caveats and method statements shown below
    """

    title: str
    header: Sequence[tuple[str, str]] = field(default_factory=list)
    tables: Sequence[tuple[str, pd.DataFrame]] = field(default_factory=list)
    notes: Sequence[str] = field(default_factory=list)

    def as_text(self) -> str:
        """Plain text."""
        lines = [self.title, "=" * len(self.title)]
        width = max((len(k) for k, _ in self.header), default=0)
        lines += [f"{k.ljust(width)} : {v}" for k, v in self.header]
        for caption, table in self.tables:
            lines += ["", caption, table.to_string()]
        if self.notes:
            lines += [""] + [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def as_markdown(self) -> str:
        """GitHub-flavoured Markdown."""
        out = [f"### {self.title}", ""]
        out += [f"- **{k}**: {v}" for k, v in self.header]
        for caption, table in self.tables:
            out += ["", f"**{caption}**", "", _md_table(table)]
        if self.notes:
            out += [""] + [f"> {n}" for n in self.notes]
        return "\n".join(out)

    def as_html(self) -> str:
        """An HTML fragment."""
        out = [f"<h3>{html.escape(self.title)}</h3>", "<ul>"]
        out += [f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in self.header]
        out.append("</ul>")
        for caption, table in self.tables:
            out.append(f"<p><b>{html.escape(caption)}</b></p>")
            out.append(table.to_html(border=0, escape=True))
        for n in self.notes:
            out.append(f"<p><i>Note: {html.escape(n)}</i></p>")
        return "\n".join(out)

    def as_latex(self) -> str:
        """A LaTeX fragment (tabular environments)."""
        out = [f"\\paragraph{{{_tex(self.title)}}}", "\\begin{itemize}"]
        out += [f"\\item \\textbf{{{_tex(k)}}}: {_tex(v)}" for k, v in self.header]
        out.append("\\end{itemize}")
        for caption, table in self.tables:
            out.append(f"\\textbf{{{_tex(caption)}}}\\\\")
            cols = "l" * (table.shape[1] + 1)
            body = [" & ".join(["", *map(_tex, map(str, table.columns))]) + " \\\\ \\hline"]
            for idx, row in table.iterrows():
                body.append(" & ".join([_tex(str(idx)), *(_tex(str(v)) for v in row)]) + " \\\\")
            out += [f"\\begin{{tabular}}{{{cols}}}", *body, "\\end{tabular}"]
        out += [f"\\textit{{Note: {_tex(n)}}}\\\\" for n in self.notes]
        return "\n".join(out)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()

    def _repr_markdown_(self) -> str:
        return self.as_markdown()


def _md_table(df: pd.DataFrame) -> str:
    cols = ["", *map(str, df.columns)]
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, r in df.iterrows():
        rows.append("| " + " | ".join([str(idx), *map(str, r.tolist())]) + " |")
    return "\n".join(rows)


_TEX = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
        "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def _tex(s: str) -> str:
    return "".join(_TEX.get(c, c) for c in s)


class ResultDisplay:
    """The result protocol shared by every public result: ``summary()``, ``to_frame()``, ``_repr_html_``.

    A result class (a dataclass) inherits this and has a ``provenance`` field. The default ``summary()``
    shows the scalar fields as the header and the table fields as tables; the default ``to_frame()`` is one
    row of the scalar fields. A class with something better to say defines its own; ``_repr_html_`` (what
    Jupyter shows) is always its ``summary()`` as HTML.

    Examples
    --------
    >>> import retrostats as rs
    >>> r = rs.n_for_precision(0.5, sd=1.0)
    >>> r.to_frame().loc[0, "n"] == r.n
    np.True_
    >>> print(r.summary().as_text().splitlines()[0])
    Sample size for a target precision
    """

    #: The summary's title (the class name when empty).
    _summary_title: ClassVar[str] = ""

    def _protocol_fields(self) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
        scalars: dict[str, Any] = {}
        tables: dict[str, pd.DataFrame] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.name.startswith("_") or f.name == "provenance":
                continue
            v = getattr(self, f.name)
            if isinstance(v, pd.DataFrame):
                tables[f.name] = v
            elif isinstance(v, pd.Series):
                tables[f.name] = v.to_frame().T
            elif isinstance(v, (bool, int, float, str)) or v is None:
                scalars[f.name] = v
            elif hasattr(v, "item") and getattr(v, "ndim", 1) == 0:  # numpy scalars
                scalars[f.name] = v.item()
        return scalars, tables

    def to_frame(self) -> pd.DataFrame:
        """One row: the result's scalar fields (tables are left out; see the attributes)."""
        scalars, _ = self._protocol_fields()
        return pd.DataFrame([scalars])

    def summary(self) -> Summary:
        """Printable summary: scalar fields above, tables below, the call as a note."""
        scalars, tables = self._protocol_fields()
        header = [(k, fmt_num(v) if isinstance(v, float) else str(v)) for k, v in scalars.items()]
        shown = [(k, t.map(lambda x: fmt_num(x) if isinstance(x, float) else x)) for k, t in tables.items()]
        prov = getattr(self, "provenance", None)
        notes = [f"call: {prov.call}"] if prov is not None else []
        return Summary(self._summary_title or type(self).__name__, header, shown, notes)

    def _repr_html_(self) -> str:
        return self.summary().as_html()
