"""Paper section "Colophon": the figure list, the colophon (commit, versions) and the rendered paper."""

from __future__ import annotations

import html

import pandas as pd

from ..context import Context, step


@step("colophon", "figure list, colophon and the paper's generated files", cost=0.1, gather=True)
def colophon(ctx: Context) -> None:
    """Write figures.csv, colophon.md (git commit, versions) and, from a source checkout, the paper."""
    from ..paper import render_paper, write_colophon

    figs = pd.DataFrame(ctx.cache.get("figures", []), columns=["figure", "caption"])
    ctx.write_table("figures", figs)
    ctx.number("n_figures", len(figs))
    colophon = write_colophon(ctx)
    try:
        paper = render_paper(ctx)
    except KeyError as exc:  # a partial run (--only) lacks numbers the paper needs: say so, write nothing
        paper = None
        extra = f" The paper was not rendered: {html.escape(str(exc))}"
        print(f"paper not rendered: {exc}", flush=True)
    else:
        extra = f" The paper was rendered to <code>{paper.name}</code>." if paper is not None else ""
    ctx.section(
        "Colophon", f"<pre>{html.escape(colophon)}</pre><p class='note'>{len(figs)} figures.{extra}</p>"
    )
