"""Paper section "Figures for risk of bias": figures 14 and 15 (illustrative judgements)."""

from __future__ import annotations

from .._shared import F
from .._shared import save_step_figure as _fig
from ..context import Context, step


@step("rob", "RoB 2 figures (illustrative judgements)", cost=0.7)
def rob(ctx: Context) -> None:
    """Figure 14: RoB 2 traffic lights and summary for ILLUSTRATIVE synthetic judgements."""
    rob = F.example_rob_judgements()
    ax = F.rob_traffic_light(rob)
    parts = [
        "<p class='note'><b>ILLUSTRATIVE</b> judgements of invented studies: retrostats ships no risk-of-"
        "bias judgements of real trials; pass your own table to rob_traffic_light()/forest_plot(rob=).</p>",
        _fig(
            ctx, ax, "fig14_rob_traffic_light", "RoB 2 traffic-light plot (illustrative judgements).", synthetic=True
        ),
    ]
    ax = F.rob_summary(rob)
    parts.append(
        _fig(ctx, ax, "fig15_rob_summary", "RoB 2 summary (illustrative judgements).", synthetic=True)
    )
    ctx.section("Risk of bias figures (illustrative)", "".join(parts))
