"""Paper section "Participant-level reanalysis (synthetic three-arm trial)": figures 11 to 13."""

from __future__ import annotations

from ...datasets import load_dataset
from .._shared import F
from .._shared import save_step_figure as _fig
from ..context import Context, step
from ..html import table_html


@step("participants", "participant-level reanalysis of the synthetic three-arm trial", cost=1.0)
def participants(ctx: Context) -> None:
    """Figures 11-13: raincloud, paired pre-post, MMRM adjusted-mean trajectories (SYNTHETIC trial)."""
    from ...ipd import ancova, mmrm

    d = load_dataset("synthetic_three_arm_trial")
    post = d[d["week"] > 0]
    fit = mmrm(post, outcome="value", arm="arm", visit="visit", subject="participant", baseline="baseline")
    wk6 = d[d["week"] == 6]
    anc = ancova(wk6, outcome="value", baseline="baseline", arm="arm")
    ctx.write_table("synthetic_trial_mmrm_contrasts", fit.contrasts)
    ctx.write_table("synthetic_trial_mmrm_means", fit.adjusted_means)
    ctx.write_table("synthetic_trial_ancova", anc.contrasts)
    c = fit.contrasts.set_index(["visit", "contrast"]).loc[("week 6", "retro - control")]
    for key in ("estimate", "ci_low", "ci_high", "p_value"):
        ctx.number(f"trial_mmrm_{key}", c[key])
    note = "<p class='note'><b>SYNTHETIC</b> participant data (dataset synthetic_three_arm_trial).</p>"
    parts = [note]
    ax = F.raincloud_plot(wk6, value="value", group="arm", ylabel="NPRS pain at week 6")
    parts.append(
        _fig(ctx, ax, "fig11_raincloud", "Week-6 pain by arm (synthetic three-arm trial).", synthetic=True)
    )
    ax = F.prepost_plot(
        d,
        subject="participant",
        visit="visit",
        value="value",
        arm="arm",
        pre="baseline",
        post="week 6",
        ylabel="NPRS pain",
    )
    parts.append(
        _fig(ctx, ax, "fig12_prepost", "Baseline to week 6, one line per participant (synthetic).", synthetic=True)
    )
    weeks = dict(
        zip(fit.adjusted_means["visit"], fit.adjusted_means["visit"].str.extract(r"(\d+)")[0].astype(float))
    )
    ax = F.trajectory_plot(fit, x=weeks, ylabel="Adjusted mean NPRS (95% CI)")
    ax.set_xlabel("Week")
    parts.append(
        _fig(
            ctx,
            ax,
            "fig13_mmrm_trajectories",
            "MMRM adjusted means by visit and arm, unstructured covariance (synthetic).",
            synthetic=True,
        )
    )
    parts.append(table_html(fit.contrasts, caption="MMRM contrasts"))
    ctx.section("Participant-level reanalysis (synthetic three-arm trial)", "".join(parts))
