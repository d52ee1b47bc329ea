"""``summary_of_findings()``: a Cochrane-style summary-of-findings table from GRADE profiles."""

from __future__ import annotations

import datetime as _dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..exceptions import MissingExtraError
from .grade import _count

__all__ = ["summary_of_findings", "SummaryOfFindings", "SOF_COLUMNS"]

#: the display columns of the table, in order
SOF_COLUMNS = ("Outcome", "Trials (participants)", "Effect (95% CI)", "Comparison group",
               "Re-expressed", "Certainty", "Footnotes")
_EPOCH = _dt.datetime(2000, 1, 1, tzinfo=_dt.timezone.utc)
_SYMBOLS = {"high": "\u2295\u2295\u2295\u2295", "moderate": "\u2295\u2295\u2295\u2296",
            "low": "\u2295\u2295\u2296\u2296", "very low": "\u2295\u2296\u2296\u2296"}


def _raw(measure: str | None) -> bool:
    """True for a measure in instrument units (asks the measure registry)."""
    from ..measures import get_measure

    return measure is not None and get_measure(measure).scale == "raw"


def _f(x: float, digits: int) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


@dataclass(frozen=True, eq=False)
class SummaryOfFindings:
    """A summary-of-findings table: one row per outcome.

    Attributes
    ----------
    profiles : tuple of GradeProfile
    title : str
    digits : int
        Decimals shown for effects (numbers are held at full precision in ``to_frame()``).
    footnotes : tuple of str
        Numbered footnotes (the reasons of every downgrade), referenced from the rows as ``[n]``.
    """

    profiles: tuple
    title: str = "Summary of findings"
    digits: int = 2
    footnotes: tuple = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """Full-precision numbers, one row per outcome: ``outcome, k, participants, measure, estimate,
        ci_low, ci_high, confidence_level, units, comparison_group, reexpressed_estimate, reexpressed_ci_low,
        reexpressed_ci_high, reexpressed_instrument, certainty, footnotes``.
        """
        rows = []
        for p in self.profiles:
            ins, sd = p.reexpressed if p.reexpressed else (None, math.nan)
            rows.append({
                "outcome": p.outcome, "k": p.k, "participants": p.participants, "measure": p.measure,
                "estimate": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high,
                "confidence_level": p.confidence_level, "units": p.instrument,
                "comparison_group": p.comparison_group,
                "reexpressed_estimate": p.estimate * sd, "reexpressed_ci_low": p.ci_low * sd,
                "reexpressed_ci_high": p.ci_high * sd, "reexpressed_instrument": ins,
                "certainty": p.certainty, "footnotes": " ".join(f"[{i}]" for i in self._refs(p)),
            })
        df = pd.DataFrame(rows)
        for c in ("measure", "units", "comparison_group", "reexpressed_instrument"):
            df[c] = df[c].astype(object)
        return df

    def _refs(self, profile) -> list[int]:
        return [self.footnotes.index(f) + 1 for f in profile.footnotes()]

    def display_frame(self) -> pd.DataFrame:
        """The table as displayed (text cells, rounded to ``digits``)."""
        d = self.digits
        rows = []
        for p in self.profiles:
            lvl = f"{100 * p.confidence_level:g}%"
            units = f" ({p.instrument})" if p.instrument and _raw(p.measure) else ""
            eff = f"{p.measure or 'Effect'} {_f(p.estimate, d)} ({_f(p.ci_low, d)} to {_f(p.ci_high, d)}){units}"
            if lvl != "95%":
                eff += f" [{lvl} CI]"
            re = ""
            if p.reexpressed:
                ins, sd = p.reexpressed
                re = (f"{_f(p.estimate * sd, d)} ({_f(p.ci_low * sd, d)} to {_f(p.ci_high * sd, d)}) {ins} "
                      f"points (SD {sd:g})")
            part = _count(p.participants)
            rows.append({
                "Outcome": p.outcome, "Trials (participants)": f"{p.k} ({part})", "Effect (95% CI)": eff,
                "Comparison group": p.comparison_group or "", "Re-expressed": re,
                "Certainty": f"{_SYMBOLS[p.certainty]} {p.certainty}",
                "Footnotes": " ".join(f"[{i}]" for i in self._refs(p)),
            })
        return pd.DataFrame(rows, columns=list(SOF_COLUMNS))

    def _notes(self) -> list[str]:
        return [f"[{i}] {f}" for i, f in enumerate(self.footnotes, 1)]

    def to_markdown(self) -> str:
        """GitHub-flavoured Markdown table with the numbered footnotes below."""
        df = self.display_frame()
        lines = [f"**{self.title}**", "", "| " + " | ".join(df.columns) + " |", "|" + "---|" * df.shape[1]]
        for r in df.itertuples(index=False):
            lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in r) + " |")
        return "\n".join(lines + [""] + self._notes())

    def to_html(self) -> str:
        """An HTML table (escaped) with the footnotes below."""
        df = self.display_frame()
        out = [f"<table class='sof'><caption>{html.escape(self.title)}</caption><thead><tr>"]
        out += [f"<th>{html.escape(c)}</th>" for c in df.columns]
        out.append("</tr></thead><tbody>")
        for r in df.itertuples(index=False):
            out.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>")
        out.append("</tbody></table>")
        out += [f"<p class='note'>{html.escape(n)}</p>" for n in self._notes()]
        return "\n".join(out)

    def to_latex(self) -> str:
        """A LaTeX ``tabular`` with the footnotes below."""
        from .._display import _tex

        df = self.display_frame()
        cols = "p{2.4cm}" * df.shape[1]
        body = [" & ".join(_tex(c) for c in df.columns) + " \\\\ \\hline"]
        for r in df.itertuples(index=False):
            body.append(" & ".join(_tex(str(v)) for v in r) + " \\\\")
        notes = [f"\\footnotesize {_tex(n)}\\\\" for n in self._notes()]
        return "\n".join([f"\\textbf{{{_tex(self.title)}}}\\\\", f"\\begin{{tabular}}{{{cols}}}", *body,
                          "\\end{tabular}\\\\", *notes])

    def to_docx(self, path: str | Path) -> Path:
        """Write the table (and footnotes) to a Word document with python-docx (extra ``docx``)."""
        try:
            import docx
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            raise MissingExtraError("to_docx needs python-docx: pip install 'retrostats[docx]'.") from exc
        df = self.display_frame()
        doc = docx.Document()
        props = doc.core_properties
        props.author = props.last_modified_by = "retrostats"
        props.created = props.modified = _EPOCH  # fixed, so a second run writes identical bytes
        props.revision = 1
        doc.add_heading(self.title, level=2)
        table = doc.add_table(rows=1, cols=df.shape[1])
        table.style = "Table Grid"
        for cell, name in zip(table.rows[0].cells, df.columns):
            cell.text = str(name)
        for r in df.itertuples(index=False):
            cells = table.add_row().cells
            for cell, v in zip(cells, r):
                cell.text = str(v)
        for n in self._notes():
            doc.add_paragraph(n)
        path = Path(path)
        doc.save(str(path))
        _fix_zip_times(path)
        return path

    def summary(self):
        """The table as a :class:`retrostats._display.Summary` (text, HTML, Markdown, LaTeX)."""
        from .._display import Summary

        return Summary(title=self.title, tables=[("", self.display_frame().set_index("Outcome"))],
                       notes=self._notes())

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return self.to_markdown()


def _fix_zip_times(path: Path) -> None:
    """Rewrite the DOCX (a zip) with fixed member timestamps so that regenerated files are byte-identical."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            z.writestr(fixed, data)


def summary_of_findings(profiles: Sequence, *, title: str = "Summary of findings", digits: int = 2
                        ) -> SummaryOfFindings:
    """Assemble GRADE profiles into a summary-of-findings table (Cochrane style), one row per outcome.

    Parameters
    ----------
    profiles : GradeProfile or sequence of GradeProfile
    title : str
    digits : int
        Decimals shown for effects.

    Returns
    -------
    SummaryOfFindings
        ``to_frame()`` (full precision), ``display_frame()``, ``to_html()``, ``to_markdown()``,
        ``to_latex()``, ``to_docx(path)``. Columns: outcome; trials and participants; the effect with its CI
        in the instrument's units (or the SMD); the comparison group's value; the SMD re-expressed in the most
        familiar instrument's points (effect x SD, as Cochrane Handbook section 15.5.3.2 suggests);
        certainty (GRADE symbols); footnotes with every downgrade's rule and numbers.

    Raises
    ------
    ValueError
        No profiles.
    TypeError
        Something other than a GradeProfile.

    Notes
    -----
    Rounding happens only in the renderings (``digits``); ``to_frame()`` keeps full precision. The DOCX is
    written with fixed timestamps so a second run writes identical bytes. Validated by opening the DOCX with
    python-docx and comparing every cell with ``display_frame()`` and the numbers with ``to_frame()``
    (``tests/test_decision_sof.py``).

    Examples
    --------
    >>> import pandas as pd, retrostats as rs
    >>> d = pd.DataFrame({"study_id": ["a", "b"], "yi": [-0.9, -0.5], "vi": [0.09, 0.05], "n": [40, 80],
    ...                   "measure": "SMD"})
    >>> p = rs.grade_profile(rs.trial_sequential_analysis(d, delta=-0.5), risk_of_bias={"a": "low", "b": "low"},
    ...                      outcome="pain", reexpress=("NPRS", 2.0))
    >>> sof = rs.summary_of_findings([p])
    >>> sof.display_frame().loc[0, "Re-expressed"]
    '-1.30 (-2.06 to -0.54) NPRS points (SD 2)'
    """
    if hasattr(profiles, "domains"):
        profiles = [profiles]
    profiles = tuple(profiles)
    if not profiles:
        raise ValueError("summary_of_findings needs at least one GradeProfile.")
    for p in profiles:
        if not hasattr(p, "domains") or not hasattr(p, "certainty"):
            raise TypeError(f"profiles must be GradeProfile objects; got {type(p).__name__}.")
    notes: list[str] = []
    for p in profiles:
        for f in p.footnotes():
            if f not in notes:
                notes.append(f)
    return SummaryOfFindings(profiles=profiles, title=title, digits=int(digits), footnotes=tuple(notes))
