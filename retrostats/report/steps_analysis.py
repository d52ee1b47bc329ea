"""Reproduce steps for the analyses and figures of the paper.

Each step uses only the public API (``load_dataset``, ``registry_effect_sizes``, ``effect_sizes``,
``meta_analysis``, ``power_grid``/``power_ancova``/``assurance``, ``ancova``/``mmrm``,
``bayes_meta_analysis(method="exact")``) and the figure functions. Where the registry yields too few
effect sizes to pool, the step says so in the report instead of inventing data; the meta-analytic and
Bayesian figures are then drawn for a SYNTHETIC demonstration set, named as such everywhere.
"""

from __future__ import annotations

import html
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .. import figures as F
from ..datasets import load_dataset
from . import steps_registry  # noqa: F401  (registers the registry step first, whatever the import order)
from ._shared import save_step_figure as _fig
from ._shared import warnings_html as _warnings_html
from .html import table_html
from .pipeline import Context, step

#: Outcomes and comparisons analysed from the registry.
OUTCOMES = ("pain", "disability", "quadriceps_strength", "function", "balance", "gait_speed")
COMPARISONS = ("retro vs control", "retro vs forward")
SYNTH_NOTE = (
    "SYNTHETIC DEMONSTRATION: simulated trials made by retrostats.simulate_trial(); not evidence about "
    "retro walking."
)


def _title(ax: Any, text: str, loc: str = "left") -> None:
    """Set a panel title in the shipped style (titles added after a figure function returns)."""
    with F.style_context():
        ax.set_title(text, loc=loc)


def _p(x: float) -> str:
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


@step("evidence_map", "evidence map of the registry (trials x outcomes by data level)", order=10)
def evidence_map_step(ctx: Context) -> None:
    """Figure 1: trials x outcomes coloured by what the numbers come from."""
    cells = F.evidence_cells()
    ctx.write_table("evidence_cells", cells)
    ctx.number("n_evidence_cells", len(cells))
    ctx.number("n_cells_mean_sd", int((cells["numbers"] == "mean_sd").sum()))
    ax = F.evidence_map(width="double")
    h = _fig(
        ctx,
        ax,
        "fig01_evidence_map",
        "Evidence map: registry trials (rows) by outcomes (columns), coloured "
        "by data level; filled dots mark arm-level means with SDs.",
        width="double",
    )
    ctx.section(
        "Evidence map",
        f"<p>{len(cells)} trial-outcome cells; {ctx.numbers['n_cells_mean_sd']} with "
        "arm-level means and SDs.</p>" + h,
    )


@step("reviews", "published pooled estimates of systematic reviews", order=20)
def reviews_step(ctx: Context) -> None:
    """Figure 2: the pooled standardized estimates that published reviews report for knee trials."""
    rev = load_dataset("retro_reviews")
    std = rev[
        (rev["population"] == "knee")
        & rev["measure"].isin(["SMD", "Hedges g"])
        & rev["ci_low"].notna()
        & rev["ci_high"].notna()
    ].copy()
    std = std.sort_values(["outcome", "comparison", "year", "review_id"], kind="stable")
    std["label"] = std["review_id"] + " (" + std["comparison"].str.replace("retro vs ", "vs ") + ")"
    ctx.write_table(
        "published_reviews_smd",
        std[
            [
                "review_id",
                "comparison",
                "outcome",
                "measure",
                "estimate",
                "ci_low",
                "ci_high",
                "i2",
                "source_url",
            ]
        ],
    )
    ctx.number("n_review_estimates_knee_smd", len(std))
    ax = F.forest_plot(
        # printed estimates side by side, not pooled: reviews report "SMD" or "Hedges g" (both standardized
        # mean differences), which the forest plot would otherwise refuse to mix as one measure
        std.reset_index(drop=True).drop(columns=["measure"]),
        labels="label",
        subgroup="outcome",
        xlabel="Published pooled SMD (as printed; sign as in each review)",
        show_weights=False,
    )
    h = _fig(
        ctx,
        ax,
        "fig02_published_reviews",
        "Pooled standardized effects reported by systematic reviews of "
        "retro walking in knee conditions (numbers as printed; not re-pooled).",
    )
    ctx.section(
        "Published reviews",
        "<p>Standardized pooled estimates exactly as the reviews print them; their "
        "sign conventions differ by outcome (pain and disability: negative favours retro walking; "
        "strength: positive).</p>" + h,
    )


@step("registry_effects", "effect sizes from the registry and what can be pooled", order=30)
def registry_effects_step(ctx: Context) -> None:
    """Effect sizes per trial for each outcome and comparison, with the route taken or why there is none."""
    from ..effects.registry import registry_effect_sizes
    from ..meta import meta_analysis

    frames = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for comp in COMPARISONS:
            for oc in OUTCOMES:
                es = registry_effect_sizes(outcome=oc, comparison=comp, measure="SMD")
                if len(es):
                    frames.append(es)
    es = pd.concat(frames, ignore_index=True)
    cols = [
        c
        for c in (
            "study_id",
            "comparison",
            "outcome",
            "instrument",
            "week",
            "route",
            "usable",
            "reason",
            "n1",
            "m1",
            "sd1",
            "n2",
            "m2",
            "sd2",
            "yi",
            "vi",
            "ci_low",
            "ci_high",
            "favours",
        )
        if c in es.columns
    ]
    ctx.write_table("registry_effect_sizes", es[cols])
    usable = es[es["usable"].astype(bool)].reset_index(drop=True)
    counts = (
        es.assign(usable=es["usable"].astype(bool))
        .groupby(["comparison", "outcome"])["usable"]
        .agg(trials="size", usable="sum")
        .reset_index()
    )
    ctx.write_table("registry_usable_counts", counts)
    ctx.number("n_registry_effect_rows", len(es))
    ctx.number("n_registry_usable", len(usable))
    ctx.number("max_usable_per_outcome", int(counts["usable"].max()))
    parts = [table_html(counts, caption="Trials with numbers, and with a usable effect size, per outcome")]
    pooled_any = False
    for (comp, oc), g in usable.groupby(["comparison", "outcome"], sort=True):
        if len(g) >= 2:
            pooled_any = True
            res = meta_analysis(g, preset="cochrane", slab="study_id")
            key = f"{comp.replace(' vs ', '_vs_')}_{oc}"
            ctx.write_table(f"meta_{key}", res.to_frame())
            ax = F.forest_plot(res)  # direction and axis label from the effects' measure and orientation
            parts.append(_fig(ctx, ax, f"fig_registry_{key}", f"Registry meta-analysis, {comp}, {oc}."))
    # a row whose direction of benefit is unknown cannot be drawn under "positive favours retro"
    known = usable[usable["direction_known"].astype(str).str.lower() == "true"].reset_index(drop=True)
    unknown = usable.loc[usable["direction_known"].astype(str).str.lower() != "true", "study_id"].tolist()
    if len(known):
        ax = F.forest_plot(
            known,
            labels="study_id",
            subgroup=[f"{c}: {o}" for c, o in zip(known["comparison"], known["outcome"])],
        )
        left_out = (
            f" Not drawn, because the direction of benefit of their instrument is unknown: {', '.join(unknown)}."
            if unknown
            else ""
        )
        parts.append(
            _fig(
                ctx,
                ax,
                "fig03_registry_effects",
                "Every usable effect size in the registry whose direction of benefit is known, by outcome (one "
                f"trial each: nothing to pool).{left_out}",
            )
        )
    if not pooled_any:
        parts.insert(
            0,
            "<p><b>No standardized (SMD) meta-analysis of the registry is possible yet.</b> All trial numbers "
            f"come from abstracts; at most {int(counts['usable'].max())} trial per outcome and comparison yields "
            "a standardized effect size (the others report only p-values, percentage changes or no group "
            "sizes; see <code>tables/registry_effect_sizes.csv</code> for the reason per trial). Mean "
            "differences on a shared instrument can be pooled where published p-values allow: see the section "
            "'Pooled mean differences from the registry (real data)'. The full diagnostics below use a clearly "
            "labelled synthetic demonstration set.</p>",
        )
    ctx.number("registry_meta_possible", pooled_any)
    ctx.section("Effect sizes from the registry", "".join(parts) + _warnings_html(caught))


def _synthetic_studies(quick: bool) -> pd.DataFrame:
    """SYNTHETIC study summaries: two-arm NPRS trials made by simulate_trial, summarised at the last visit."""
    from ..ipd import simulate_trial

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
        last = d[d["week"] == 6].groupby("arm")["value"].agg(["mean", "std", "count"])
        rows.append(
            {
                "study": f"Synthetic {i + 1:02d}",
                "setting": "treadmill" if i % 2 else "overground",
                "m1": last.loc["retro", "mean"],
                "sd1": last.loc["retro", "std"],
                "n1": int(last.loc["retro", "count"]),
                "m2": last.loc["control", "mean"],
                "sd2": last.loc["control", "std"],
                "n2": int(last.loc["control", "count"]),
            }
        )
    return pd.DataFrame(rows)


@step("synthetic_meta", "meta-analysis with all diagnostics (synthetic demonstration)", order=40)
def synthetic_meta_step(ctx: Context) -> None:
    """Figures 4-6: forest (arms, subgroups, RoB), contour funnel with trim and fill, leave-one-out."""
    from ..effects import effect_sizes
    from ..meta import meta_analysis

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
    _title(ax, "SYNTHETIC demonstration", loc="left")
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
        f"<p>Egger test p = {_p(egger.p_value)}; rank test p = {_p(rank.p_value)}; trim and fill "
        f"imputes k0 = {tf.k0} studies on the {tf.side}.</p>"
    )
    ctx.section(
        "Meta-analysis and diagnostics (synthetic demonstration)", "".join(parts) + _warnings_html(caught)
    )


@step(
    "bayes",
    "exact Bayesian meta-analysis and clinical probabilities (synthetic demonstration)",
    order=50,
    needs=("synthetic_meta",),
)
def bayes_step(ctx: Context) -> None:
    """Figures 7-8: posterior densities with the MCID, and the shrinkage forest (exact method, no PyMC)."""
    from ..bayes import bayes_meta_analysis

    if "synthetic_meta" not in ctx.cache:
        synthetic_meta_step(ctx)
    es, _ = ctx.cache["synthetic_meta"]
    fit = bayes_meta_analysis(
        es,
        yi="yi",
        vi="vi",
        slab="study",
        mu_prior=("normal", 0.0, 2.0),
        tau_prior=("half-normal", 0.5),
        method="exact",
    )
    ctx.write_table("synthetic_bayes_posterior", fit.posterior_summary, index=True)
    # an MCID of 1 NPRS point (outcome_scales) over the synthetic trials' pooled SD, as a standardized effect
    sd = float(np.sqrt(np.mean(np.r_[es["sd1"], es["sd2"]] ** 2)))
    mcid = float(load_dataset("outcome_scales").set_index("instrument").loc["NPRS", "mcid"]) / sd
    p_benefit = fit.probability("mu", 0.0, "less")
    p_mcid = fit.probability("mu", -mcid, "less")
    p_new = fit.probability("theta_new", -mcid, "less")
    for key, val in (
        ("mu_mean", fit.posterior_summary.loc["mu", "mean"]),
        ("mu_q025", fit.posterior_summary.loc["mu", "q025"]),
        ("mu_q975", fit.posterior_summary.loc["mu", "q975"]),
        ("tau_mean", fit.posterior_summary.loc["tau", "mean"]),
        ("p_benefit", p_benefit),
        ("p_mcid", p_mcid),
        ("p_new_mcid", p_new),
        ("mcid_smd", mcid),
    ):
        ctx.number(f"bayes_{key}", val)
    ax = F.posterior_plot(fit, quantities=("mu", "theta_new"), mcid=mcid, xlabel="SMD (retro \u2212 control)")
    _title(ax, "SYNTHETIC demonstration", loc="left")
    parts = [
        f"<p class='note'><b>{SYNTH_NOTE}</b></p>",
        _fig(
            ctx,
            ax,
            "fig07_posterior_synthetic",
            "Posterior densities of the average effect and of a new "
            "study's effect, with the MCID (1 NPRS point as an SMD); exact integration, no MCMC.",
            synthetic=True,
        ),
    ]
    ax = F.shrinkage_plot(fit)
    parts.append(
        _fig(
            ctx,
            ax,
            "fig08_shrinkage_synthetic",
            "Shrinkage forest: observed and posterior study effects (synthetic data).",
            synthetic=True,
        )
    )
    parts.append(table_html(fit.posterior_summary.reset_index(names="quantity"), caption="Posterior summary"))
    parts.append(
        f"<p>P(mu &lt; 0) = {p_benefit:.3f}; P(mu &lt; \u2212MCID) = {p_mcid:.3f}; P(a new study's true "
        f"effect &lt; \u2212MCID) = {p_new:.3f}.</p>"
    )
    ctx.section("Bayesian synthesis (synthetic demonstration)", "".join(parts))


@step("planning", "power, sample size and assurance for a retro-vs-forward trial", order=60)
def planning_step(ctx: Context) -> None:
    """Figures 9-10: ANCOVA power curves and assurance from a published retro-vs-forward estimate."""
    from ..planning import assurance, power_ancova, power_grid, power_ttest

    ns = list(range(10, 151, 20 if ctx.quick else 5))
    grid = power_grid(design="ancova", n_per_arm=ns, effect=[0.3, 0.43, 0.6], r=0.5)
    if not ctx.quick:
        sim = power_grid(
            design="ancova",
            method="simulation",
            n_per_arm=[20, 40, 60, 80, 100],
            effect=[0.43],
            r=0.5,
            n_sims=2000,
            seed=20261122,
        )
        ctx.write_table("power_simulated", sim)
    ctx.write_table("power_grid", grid)
    rev = load_dataset("retro_reviews")
    row = rev[(rev["review_id"] == "chen2020cjter") & (rev["comparison"] == "retro vs forward")].iloc[0]
    d = abs(float(row["estimate"]))
    se = (float(row["ci_high"]) - float(row["ci_low"])) / (2 * 1.959963984540054)
    n_t = power_ttest(effect_size=d, power=0.8).n
    n_a = power_ancova(effect_size=d, power=0.8, r=0.5).n
    ctx.number("plan_effect", d)
    ctx.number("plan_effect_se", se)
    ctx.number("plan_n_ttest", math.ceil(n_t))
    ctx.number("plan_n_ancova", math.ceil(n_a))
    curve_n = list(range(10, 301, 40 if ctx.quick else 10))
    curve = pd.DataFrame(
        {
            "n_per_arm": curve_n,
            "assurance": [assurance(mean=d, sd=se, n_per_arm=n, design="ancova", r=0.5) for n in curve_n],
            "power": [power_ancova(effect_size=d, n=n, r=0.5).power for n in curve_n],
        }
    )
    ctx.write_table("assurance_curve", curve)
    a_at = assurance(mean=d, sd=se, n_per_arm=math.ceil(n_a), design="ancova", r=0.5)
    ctx.number("plan_assurance_at_n", a_at)
    p_benefit = 0.5 * math.erfc(-d / se / math.sqrt(2))
    ax = F.power_curve_plot(grid, hue="effect_size", hue_format="d = {:.2f}", xlabel="Participants per arm")
    _title(ax, "ANCOVA power (baseline r = 0.5)", loc="left")
    parts = [
        _fig(
            ctx,
            ax,
            "fig09_power_curves",
            "Power of a two-arm ANCOVA (r = 0.5, two-sided alpha 0.05) "
            "against participants per arm for three standardized effects.",
        )
    ]
    ax = F.assurance_plot(curve, max_assurance=p_benefit, xlabel="Participants per arm")
    parts.append(
        _fig(
            ctx,
            ax,
            "fig10_assurance",
            "Assurance of a retro-vs-forward ANCOVA trial using the published "
            "retro-vs-forward disability estimate (chen2020cjter) as the predictive distribution, "
            "and conventional power at that estimate.",
        )
    )
    parts.insert(
        0,
        f"<p>Assumed effect: |SMD| = {d:.2f} (chen2020cjter, retro vs forward, disability; SE "
        f"{se:.3f} from the printed CI; heterogeneity not reported, so the predictive distribution "
        f"ignores tau and assurance is optimistic). 80% power needs {math.ceil(n_t)} per arm by t-test and "
        f"{math.ceil(n_a)} per arm by ANCOVA with r = 0.5; assurance at that size is {a_at:.2f}.</p>",
    )
    ctx.section("Planning the next retro-vs-forward trial", "".join(parts))


@step("participants", "participant-level reanalysis of the synthetic three-arm trial", order=70)
def participants_step(ctx: Context) -> None:
    """Figures 11-13: raincloud, paired pre-post, MMRM adjusted-mean trajectories (SYNTHETIC trial)."""
    from ..ipd import ancova, mmrm

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


@step("rob", "RoB 2 figures (illustrative judgements)", order=80)
def rob_step(ctx: Context) -> None:
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


@step("colophon", "figure list, colophon and the paper's generated files", order=100)
def colophon_step(ctx: Context) -> None:
    """Write figures.csv, colophon.md (git commit, versions) and, from a source checkout, the paper."""
    from .paper import render_paper, write_colophon

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
