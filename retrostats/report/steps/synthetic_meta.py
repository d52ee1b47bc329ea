"""Paper section "Meta-analysis with all diagnostics (synthetic demonstration)": figures 4 to 6.

The registry yields too few standardized effect sizes to pool, so the meta-analytic diagnostics are shown on
ten SYNTHETIC trials made by ``simulate_trial``, named as such everywhere.
"""

from __future__ import annotations

import warnings

import pandas as pd

from .._shared import SYNTH_NOTE, F, p_text, panel_title, warnings_html
from .._shared import save_step_figure as _fig
from ..context import Context, step
from ..html import table_html


def _synthetic_studies(quick: bool) -> pd.DataFrame:
    """SYNTHETIC study summaries: two-arm NPRS trials made by simulate_trial, summarised at the last visit."""
    from ...ipd import arm_summaries, simulate_trial

    k = 10
    sizes = [12, 15, 18, 20, 24, 30, 36, 45, 60, 80]
    rows = []
    for i in range(k):
        d = simulate_trial(
            n_per_arm=sizes[i],
            arms=("retro", "control"),
            weeks=(0, 6),
            change={"retro": 2.0 + 0.15 * (i % 4), "control": 1.0},
            seed=1000 + i,
        )
        last = arm_summaries(d[d["week"] == 6], outcome="value", arm="arm").set_index("arm")
        rows.append(
            {
                "study": f"Synthetic {i + 1:02d}",
                "setting": "treadmill" if i % 2 else "overground",
                "m1": last.loc["retro", "mean"],
                "sd1": last.loc["retro", "sd"],
                "n1": int(last.loc["retro", "n"]),
                "m2": last.loc["control", "mean"],
                "sd2": last.loc["control", "sd"],
                "n2": int(last.loc["control", "n"]),
            }
        )
    return pd.DataFrame(rows)


@step("synthetic_meta", "meta-analysis with all diagnostics (synthetic demonstration)", cost=2.3)
def synthetic_meta(ctx: Context) -> None:
    """Figures 4-6: forest (arms, subgroups, RoB), contour funnel with trim and fill, leave-one-out."""
    from ...effects import effect_sizes
    from ...meta import meta_analysis

    studies = _synthetic_studies(ctx.quick)
    es = effect_sizes(studies, measure="SMD", m1="m1", sd1="sd1", n1="n1", m2="m2", sd2="sd2", n2="n2")
    ctx.write_table("synthetic_effect_sizes", es)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = meta_analysis(es, preset="cochrane", slab="study", subgroup="setting")
        egger = res.egger_test()
        rank = res.rank_test()
        tf = res.trim_and_fill()
        loo = res.leave_one_out()
        cum = res.cumulative()
        hci = res.heterogeneity_ci()
    ctx.cache["synthetic_meta"] = (es, res)
    ctx.write_table("synthetic_meta", res.to_frame())
    ctx.write_table("synthetic_leave_one_out", loo, index=True)
    ctx.write_table("synthetic_cumulative", cum, index=True)
    ctx.write_table("synthetic_heterogeneity_ci", hci, index=True)
    for key in ("k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "p_value"):
        ctx.number(f"synth_{key}", getattr(res, key))
    ctx.number("synth_egger_p", egger.p_value)
    ctx.number("synth_rank_p", rank.p_value)
    ctx.number("synth_trimfill_k0", tf.k0)
    ctx.number("synth_subgroup_p", res.subgroup_test["p_value"])
    rob = F.example_rob_judgements()
    rob = pd.concat([rob] * 3, ignore_index=True).iloc[: len(es)].assign(study=list(es["study"]))
    parts = [
        f"<p class='note'><b>{SYNTH_NOTE}</b> The risk-of-bias columns are ILLUSTRATIVE judgements "
        "(retrostats.figures.example_rob_judgements), not assessments of any trial.</p>"
    ]
    ax = F.forest_plot(
        res,
        data=es,
        subgroup="setting",
        rob=rob,
        instrument="NPRS",
        width="double",
        xlabel="SMD, Hedges' g (retro \u2212 control)",
        title="SYNTHETIC demonstration: retro walking vs control, pain (NPRS)",
    )
    parts.append(
        _fig(
            ctx,
            ax,
            "fig04_forest_synthetic",
            "Forest plot with arm columns, subgroup diamonds and "
            "interaction test, prediction interval, direction labels and illustrative RoB 2 columns "
            "(synthetic data).",
            width="double",
            synthetic=True,
        )
    )
    ax = F.funnel_plot(res, trim_and_fill=tf, xlabel="SMD (retro \u2212 control)")
    panel_title(ax, "SYNTHETIC demonstration", loc="left")
    parts.append(
        _fig(
            ctx,
            ax,
            "fig05_funnel_synthetic",
            "Contour-enhanced funnel plot (90/95/99%) with trim-and-fill imputed studies (synthetic data).",
            synthetic=True,
        )
    )
    ax = F.forest_plot(
        res,
        variant="leave_one_out",
        higher_is_better=False,
        title="SYNTHETIC: leave one out",
        xlabel="Pooled SMD without the study",
    )
    parts.append(
        _fig(ctx, ax, "fig06_leave_one_out_synthetic", "Leave-one-out analysis (synthetic data).", synthetic=True)
    )
    parts.append(table_html(res.to_frame(), caption="Pooled estimate (Cochrane preset: REML, Hartung-Knapp)"))
    parts.append(
        f"<p>Egger test p = {p_text(egger.p_value)}; rank test p = {p_text(rank.p_value)}; trim and fill "
        f"imputes k0 = {tf.k0} studies on the {tf.side}.</p>"
    )
    ctx.section(
        "Meta-analysis and diagnostics (synthetic demonstration)", "".join(parts) + warnings_html(caught)
    )
