"""Render report.html in headless Chromium, take a screenshot, and confirm that the figures are visible.

Usage:  python paper/check_report_render.py [REPORT_HTML] [--screenshot PNG]

Without REPORT_HTML, a quick `retrostats reproduce` is run into a temporary folder first. The check renders
the report twice (as written, and with every embedded image blanked) and requires (1) a non-trivial share of
non-white pixels and (2) that the images change a clear share of the page: figures that failed to decode
would leave both renderings the same. Exits 0 on success, 1 on failure, 77 (skip) when Chromium is absent.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1200,3000",
]
SKIP = 77


def screenshot(html: Path, png: Path, workdir: Path) -> None:
    """One headless Chromium screenshot of ``html`` (a fresh, empty profile each time)."""
    profile = Path(tempfile.mkdtemp(prefix="profile_", dir=workdir))
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}", html.resolve().as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    if not png.exists():
        raise RuntimeError(f"Chromium wrote no screenshot for {html}")


def pixel_stats(png: Path, blank: Path) -> tuple[float, float]:
    """(non-white share of the page, share of pixels that the images change)."""
    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(blank).convert("RGB"), dtype=np.int16)
    nonwhite = float((a.min(axis=2) < 245).mean())
    changed = float((np.abs(a - b).max(axis=2) > 16).mean())
    return nonwhite, changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", help="report.html (default: run a quick reproduce)")
    parser.add_argument("--screenshot", default=None, help="where to keep the screenshot PNG")
    parser.add_argument("--min-nonwhite", type=float, default=0.02)
    parser.add_argument("--min-changed", type=float, default=0.02)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"SKIP: {CHROMIUM} is absent (install Debian's `chromium` package to run this check)")
        return SKIP
    work = Path(tempfile.mkdtemp(prefix="render_check_"))
    try:
        if args.report:
            report = Path(args.report)
        else:
            from retrostats.report import reproduce

            reproduce(work / "out", quick=True, progress=False)
            report = work / "out" / "report.html"
        html = report.read_text(encoding="utf-8")
        n_img = html.count("src='data:image/png;base64,")
        blanked = re.sub(r"src='data:image/png;base64,[^']*'", "src=''", html)
        blank_html = work / "blank.html"
        blank_html.write_text(blanked, encoding="utf-8")
        shot = Path(args.screenshot) if args.screenshot else work / "report.png"
        screenshot(report, shot, work)
        screenshot(blank_html, work / "blank.png", work)
        nonwhite, changed = pixel_stats(shot, work / "blank.png")
        print(f"{report}: {n_img} embedded figures; screenshot {shot}")
        print(
            f"non-white pixels {nonwhite:.1%} (need >= {args.min_nonwhite:.0%}); "
            f"pixels drawn by the figures {changed:.1%} (need >= {args.min_changed:.0%})"
        )
        ok = n_img >= 8 and nonwhite >= args.min_nonwhite and changed >= args.min_changed
        print("OK: figures are visible" if ok else "FAIL: figures are not visible")
        return 0 if ok else 1
    finally:
        if args.screenshot is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
