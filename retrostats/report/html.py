"""The self-contained HTML report written by ``retrostats reproduce`` (figures embedded as base64 PNG/SVG)."""

from __future__ import annotations

import html as _html
from pathlib import Path
from typing import TYPE_CHECKING

from .._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Context

__all__ = ["write_report", "table_html", "figure_html"]

_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222;line-height:1.5;font-size:16px}
.layout{display:grid;grid-template-columns:16rem minmax(0,1fr);gap:2rem;max-width:78rem;margin:0 auto;padding:0 1rem}
nav.toc{position:sticky;top:0;align-self:start;max-height:100vh;overflow-y:auto;padding:1rem 0;font-size:.9em}
nav.toc ol{padding-left:1.8rem;margin:.5rem 0} nav.toc li{margin:.25rem 0}
nav.toc a{color:#0b4f8a;text-decoration:none} nav.toc a:hover{text-decoration:underline}
nav.toc button{font:inherit;font-size:.85em;margin:.1rem .2rem .1rem 0;padding:.15rem .5rem;cursor:pointer}
main{min-width:0;padding-bottom:4rem}
h1{font-size:1.6em;margin-top:1rem;overflow-wrap:anywhere}
details.section{border-bottom:1px solid #ddd;margin-top:1.2rem}
details.section>summary{cursor:pointer;list-style-position:outside;margin-left:1rem}
details.section>summary h2{display:inline;font-size:1.25em;margin:0}
p,li,figcaption,dd{overflow-wrap:anywhere}
td{overflow-wrap:anywhere;min-width:4ch}
pre,code{white-space:pre-wrap;overflow-wrap:anywhere}
.table-wrap{max-width:100%;overflow-x:auto;margin:.5em 0}
table{border-collapse:collapse;font-size:.85em} td,th{padding:.2em .6em;border-bottom:1px solid #eee}
th{background:#f4f4f4;text-align:left}
figure{margin:1em 0;max-width:100%} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#444} .note{color:#555;font-size:.9em}
@media (max-width:800px){
 .layout{display:block;padding:0 .75rem}
 nav.toc{position:static;max-height:none;border-bottom:1px solid #ddd}
}
@media print{
 nav.toc{display:none} .layout{display:block;max-width:none;padding:0}
 details.section>summary{list-style:none} body{font-size:11pt}
 figure,table{break-inside:avoid} h2{break-after:avoid} a{color:inherit;text-decoration:none}
}
"""

#: Opens every section before printing and drives the expand / collapse buttons.
_JS = """
function rsAll(open){document.querySelectorAll('details.section').forEach(function(d){d.open=open;});}
window.addEventListener('beforeprint',function(){rsAll(true);});
document.querySelectorAll('nav.toc a').forEach(function(a){a.addEventListener('click',function(){
 var d=document.getElementById(a.getAttribute('href').slice(1)); if(d){d.open=true;}});});
"""


def table_html(df, *, caption: str = "", max_rows: int = 60, float_format: str = "{:.3f}") -> str:
    """Render a DataFrame for the report (rounded on display only)."""
    shown = df.head(max_rows)
    body = shown.to_html(index=False, border=0, na_rep="", float_format=lambda x: float_format.format(x))
    more = f"<p class='note'>{len(df) - max_rows} more rows in the CSV.</p>" if len(df) > max_rows else ""
    cap = f"<p><b>{_html.escape(caption)}</b></p>" if caption else ""
    return cap + f"<div class='table-wrap'>{body}</div>" + more


def figure_html(png_path: Path, caption: str) -> str:
    """Embed a PNG as base64 with a caption."""
    import base64

    data = base64.b64encode(Path(png_path).read_bytes()).decode("ascii")
    return (f"<figure><img alt='{_html.escape(caption)}' src='data:image/png;base64,{data}'/>"
            f"<figcaption>{_html.escape(caption)}</figcaption></figure>")


def write_report(ctx: Context) -> Path:
    """Write ``report.html`` from the context's sections (deterministic: no timestamps).

    The page has a sticky table of contents (a block above the text on narrow screens), one collapsible
    ``<details>`` per section (all open; printing opens any that were closed), wide tables that scroll
    inside their box, notes that wrap, figures scaled to the window and a print stylesheet.
    """
    toc = "".join(f"<li><a href='#s{i}'>{_html.escape(t)}</a></li>" for i, (t, _) in enumerate(ctx.sections))
    body = "".join(
        f"<details class='section' id='s{i}' open><summary><h2>{_html.escape(t)}</h2></summary>{h}</details>"
        for i, (t, h) in enumerate(ctx.sections)
    )
    doc = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>retrostats reproduce report</title><style>{_CSS}</style></head><body><div class='layout'>"
        "<nav class='toc' aria-label='Contents'><b>Contents</b>"
        "<div><button type='button' onclick='rsAll(true)'>expand all</button>"
        "<button type='button' onclick='rsAll(false)'>collapse all</button></div>"
        f"<ol>{toc}</ol></nav><main>"
        "<h1>retrostats: reproducible reanalysis of retro-walking trials</h1>"
        f"<p class='note'>Generated by <code>retrostats reproduce</code> (retrostats {__version__}) from the "
        "shipped datasets. Every number below is computed from the registry; see the tables folder for full "
        f"precision.</p>{body}</main></div><script>{_JS}</script></body></html>\n"
    )
    path = ctx.out / "report.html"
    path.write_text(doc, encoding="utf-8")
    return path
