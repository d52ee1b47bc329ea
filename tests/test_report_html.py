"""The HTML report a person reads: sticky contents, collapsible sections, wrapped notes, scrolling tables,
figures scaled to the window, a print stylesheet; and, in headless Chromium at 1280 px and 390 px wide, no
horizontal overflow (the page's scrollWidth never exceeds the window's innerWidth)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import retrostats as rs
from retrostats.report.html import figure_html, table_html, write_report
from retrostats.report.pipeline import Context

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A report with what breaks layouts: a wide registry table with URLs, an unbroken 600-character note,
    a long preformatted block and a 180 mm figure at 300 dpi."""
    import matplotlib.pyplot as plt

    out = tmp_path_factory.mktemp("report")
    ctx = Context(out=out)
    ax = rs.figures.evidence_map(width="double")
    (png,) = rs.figures.save_figure(ax, out / "figures" / "map", formats=("png",), dpi=300)
    plt.close("all")
    trials = rs.load_dataset("retro_trials").head(8)
    ctx.section("Evidence map", figure_html(png, "Evidence map of the registry") + table_html(trials, caption="Trials"))
    ctx.section("Notes", "<p class='note'>" + "unbroken" * 75 + " https://example.org/" + "x" * 300 + "</p>")
    ctx.section("Colophon", "<pre>" + "retrostats reproduce --out output " * 30 + "</pre>")
    return write_report(ctx)


def test_report_structure(report):
    text = report.read_text(encoding="utf-8")
    assert "<meta name='viewport'" in text
    assert text.count("<details class='section'") == 3 and "<nav class='toc'" in text
    assert "position:sticky" in text and "@media print" in text and "beforeprint" in text
    assert ".table-wrap{max-width:100%;overflow-x:auto" in text and "overflow-wrap:anywhere" in text
    assert "figure img{max-width:100%;height:auto" in text
    for i in range(3):
        assert f"href='#s{i}'" in text and f"id='s{i}'" in text


def _scroll_widths(page: Path, widths: tuple[int, ...], tmp: Path) -> dict[int, dict]:
    """scrollWidth and innerWidth of ``page`` shown in frames of each of ``widths`` px, in one Chromium run
    (Chromium's window has a minimum width of 500 px, so the page is measured inside iframes of the exact
    widths, one below the other; each reports when it has loaded)."""
    doc = html.escape(page.read_text(encoding="utf-8"), quote=True)
    frames = "".join(
        f"<iframe id='f{w}' style='display:block;width:{w}px;height:900px;border:0' srcdoc=\"{doc}\"></iframe>"
        for w in widths
    )
    outer = (
        "<!DOCTYPE html><html><body style='margin:0'>" + frames + "<script>"
        + "".join(
            f"document.getElementById('f{w}').addEventListener('load',function(){{"
            "var w=this.contentWindow,e=w.document.documentElement;var p=document.createElement('pre');"
            f"p.id='probe{w}';p.textContent=JSON.stringify({{scroll:e.scrollWidth,inner:w.innerWidth}});"
            "document.body.appendChild(p);});"
            for w in widths
        )
        + "</script></body></html>"
    )
    f = tmp / "outer.html"
    f.write_text(outer, encoding="utf-8")
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
        f"--user-data-dir={tmp / 'profile'}", f"--window-size={max(*widths, 800)},1000",
        "--virtual-time-budget=10000", "--dump-dom", f.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=240).stdout
    got = {}
    for w in widths:
        m = re.search(rf'<pre id="probe{w}">(.*?)</pre>', dom)
        assert m, f"Chromium did not run the probe of the {w} px frame: {dom[-300:]!r}"
        got[w] = json.loads(html.unescape(m.group(1)))
    return got


@pytest.mark.slow
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="headless Chromium (/usr/bin/chromium) is not installed")
def test_no_horizontal_overflow_in_chromium(report, tmp_path):
    # a desktop and a phone width, measured in one Chromium run (a run costs ~2 s of CPU)
    for width, got in _scroll_widths(report, (1280, 390), tmp_path).items():
        assert got["inner"] == width, (width, got)
        assert got["scroll"] <= got["inner"], (width, got)
