"""Paper section "Effect sizes from the registry, and what can be pooled" (real data).

Steps ``registry_effects`` (standardized effect sizes per trial, the route taken or why there is none;
figure 3), ``registry_meta`` (mean differences pooled on a shared instrument with the Cochrane preset, forest
plots with the MCID and exact Bayesian clinical probabilities; figures 16 and 17) and ``registry_decision``
(is the NPRS evidence conclusive, how certain is it, how large must the next trial be: trial sequential
analysis, GRADE profile, summary-of-findings table). Where the registry yields too few effect sizes to pool,
the step says so instead of inventing data. Every caveat the small evidence base needs is printed next to the
numbers; every assumption the registry forces (arm sizes of a three-arm trial, the outcome SD, risk of bias not
recorded) is stated, with a sensitivity table for the SD.
"""

from __future__ import annotations

import html
import warnings

import numpy as np
import pandas as pd

from ...datasets import load_dataset
from .._shared import F, warnings_html
from .._shared import save_step_figure as _fig
from ..context import Context, step
from ..html import table_html

#: Outcomes and comparisons whose standardized effect sizes are computed from the registry.
OUTCOMES = ("pain", "disability", "quadriceps_strength", "function", "balance", "gait_speed")
COMPARISONS = ("retro vs control", "retro vs forward")


@step("registry_effects", "effect sizes from the registry and what can be pooled", cost=0.8)
def registry_effects(ctx: Context) -> None:
    """Effect sizes per trial for each outcome and comparison, with the route taken or why there is none."""
    from ...effects.registry import registry_effect_sizes
    from ...meta import meta_analysis

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
    ctx.section("Effect sizes from the registry", "".join(parts) + warnings_html(caught))


#: (outcome, comparison) pairs examined for pooled mean differences
PAIRS = (
    ("pain", "retro vs control"),
    ("disability", "retro vs control"),
    ("pain", "retro vs forward"),
    ("disability", "retro vs forward"),
    ("quadriceps_strength", "retro vs control"),
    ("quadriceps_strength", "retro vs forward"),
)
#: the headline analysis of the paper (its figures are numbered 16 and 17; its numbers are `pain_md_*`)
PAIN_KEY = "retro_vs_control_pain_nprs"
#: weakly informative priors on the instrument's scale, stated in the report
MU_PRIOR_SD = {"NPRS": 5.0, "VAS_10": 5.0, "VAS_100": 50.0}
TAU_PRIOR_SCALE = {"NPRS": 1.0, "VAS_10": 1.0, "VAS_100": 10.0}


def _key(outcome: str, comparison: str, instrument: str) -> str:
    return f"{comparison.replace(' vs ', '_vs_')}_{outcome}_{instrument}".lower()


def poolable_mean_differences(outcome: str, comparison: str, cache: dict | None = None) -> dict[str, pd.DataFrame]:
    """Usable mean differences per instrument with at least two trials (harmonised: positive favours A).

    With ``cache`` (a step's ``ctx.cache``) the result is kept there and reused by later steps of the chain.
    """
    from ...effects.registry import registry_effect_sizes

    if cache is not None:
        kept = cache.setdefault("poolable_mean_differences", {})
        if (outcome, comparison) not in kept:
            kept[(outcome, comparison)] = poolable_mean_differences(outcome, comparison)
        return {ins: es.copy() for ins, es in kept[(outcome, comparison)].items()}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MD on several instruments is expected here: we split by instrument
        es = registry_effect_sizes(outcome=outcome, comparison=comparison, measure="MD")
    usable = es[es["usable"].astype(bool)]
    # an instrument whose version or subscale the sources do not state (e.g. WOMAC_unspecified) may differ
    # between trials: its mean differences are not pooled
    usable = usable[~usable["instrument"].astype(str).str.endswith("_unspecified")]
    return {ins: g.reset_index(drop=True) for ins, g in usable.groupby("instrument") if len(g) >= 2}


@step("registry_meta", "pooled mean differences from the registry on a shared instrument (real data)", cost=0.9)
def registry_meta(ctx: Context) -> None:
    """Cochrane-preset meta-analysis, forest plot and exact Bayesian clinical probabilities, real data."""
    from ...bayes import bayes_meta_analysis
    from ...meta import meta_analysis

    scales = load_dataset("outcome_scales").set_index("instrument")
    parts: list[str] = []
    rows = []
    n_pooled = 0
    for outcome, comparison in PAIRS:
        for instrument, es in poolable_mean_differences(outcome, comparison, ctx.cache).items():
            n_pooled += 1
            key = _key(outcome, comparison, instrument)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = meta_analysis(es, preset="cochrane", slab="study_id")
                z = meta_analysis(es, method="REML", test="z", slab="study_id")
            summary = res.summary()
            cols = ["study_id", "instrument", "week", "route", "basis", "yi", "vi", "ci_low", "ci_high",
                    "favours", "ambiguous", "derivation"]
            ctx.write_table(f"registry_meta_{key}_studies", es[cols])
            arm_a = comparison.split(" vs ")[0]
            ctx.write_table(f"registry_meta_{key}", res.to_frame())
            mcid = float(scales.loc[instrument, "mcid"]) if instrument in scales.index else np.nan
            label = f"{comparison}, {outcome} ({instrument}, mean difference)"
            ax = F.forest_plot(
                res, labels=list(es["study_id"]),  # oriented effects: the favours labels follow them
                mcid=mcid if np.isfinite(mcid) else None, favours=tuple(comparison.split(" vs ")),
                xlabel=f"Mean difference in {instrument} points (positive favours {arm_a})",
                title=f"Registry: {comparison}, {outcome}",
            )
            headline = key == PAIN_KEY
            fig = _fig(ctx, ax, "fig16_registry_pain_forest" if headline else f"fig_registry_meta_{key}",
                       f"Registry meta-analysis: {label}; real data, "
                       f"k = {res.k}, Cochrane preset; shaded band: the MCID from outcome_scales.")
            bayes_html = ""
            if np.isfinite(mcid) and instrument in MU_PRIOR_SD:
                fit = bayes_meta_analysis(
                    es, mu_prior=("normal", 0.0, MU_PRIOR_SD[instrument]),
                    tau_prior=("half-normal", TAU_PRIOR_SCALE[instrument]), method="exact",
                )
                probs = fit.clinical_probabilities(mcid=mcid)
                ctx.write_table(f"registry_bayes_{key}", fit.posterior_summary, index=True)
                ctx.write_table(f"registry_bayes_{key}_probabilities", probs, index=True)
                if headline:
                    ctx.number("pain_md_mcid", mcid)
                    ctx.number("pain_md_p_benefit", float(probs.loc["mu", "p_benefit"]))
                    ctx.number("pain_md_p_mcid", float(probs.loc["mu", "p_mcid"]))
                    ctx.number("pain_md_p_new_mcid", float(probs.loc["theta_new", "p_mcid"]))
                    ctx.number("pain_md_bayes_mean", float(fit.posterior_summary.loc["mu", "mean"]))
                    ctx.number("pain_md_bayes_q025", float(fit.posterior_summary.loc["mu", "q025"]))
                    ctx.number("pain_md_bayes_q975", float(fit.posterior_summary.loc["mu", "q975"]))
                for q in ("mu", "theta_new"):
                    ctx.number(f"reg_{key}_p_benefit_{q}", float(probs.loc[q, "p_benefit"]))
                    ctx.number(f"reg_{key}_p_mcid_{q}", float(probs.loc[q, "p_mcid"]))
                ctx.number(f"reg_{key}_bayes_mu_mean", float(fit.posterior_summary.loc["mu", "mean"]))
                ctx.number(f"reg_{key}_bayes_mu_q025", float(fit.posterior_summary.loc["mu", "q025"]))
                ctx.number(f"reg_{key}_bayes_mu_q975", float(fit.posterior_summary.loc["mu", "q975"]))
                ax = F.posterior_plot(fit, quantities=("mu", "theta_new"), mcid=mcid,
                                      xlabel=f"{instrument} points (positive favours {arm_a})")
                fig += _fig(ctx, ax, "fig17_registry_pain_posterior" if headline else f"fig_registry_bayes_{key}",
                            "Posterior of the mean effect and of a "
                            f"new trial's effect, {label}; exact integration; dashed lines: \u00b1 MCID.")
                bayes_html = (
                    "<p>Exact Bayesian random-effects model (priors: "
                    f"mu ~ Normal(0, {MU_PRIOR_SD[instrument]:g}), "
                    f"tau ~ Half-Normal({TAU_PRIOR_SCALE[instrument]:g}) in {instrument} points): "
                    f"P(benefit) = {probs.loc['mu', 'p_benefit']:.3f}; "
                    f"<b>P(mean benefit &gt; MCID of {mcid:g} points) = {probs.loc['mu', 'p_mcid']:.3f}</b>; "
                    f"P(a new trial's true benefit &gt; MCID) = {probs.loc['theta_new', 'p_mcid']:.3f}.</p>"
                )
            for name in ("k", "estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2",
                         "p_value"):
                ctx.number(f"reg_{key}_{name}", getattr(res, name))
            if headline:
                ctx.number("pain_md_studies", ", ".join(es["study_id"]))
                for name in ("k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2"):
                    ctx.number(f"pain_md_{name}", getattr(res, name))
                ctx.number("pain_md_z_ci_low", z.ci_low)
                ctx.number("pain_md_z_ci_high", z.ci_high)
            ctx.number(f"reg_{key}_z_ci_low", z.ci_low)
            ctx.number(f"reg_{key}_z_ci_high", z.ci_high)
            rows.append({
                "outcome": outcome, "comparison": comparison, "instrument": instrument, "k": res.k,
                "studies": ", ".join(es["study_id"]), "estimate": res.estimate, "ci_low": res.ci_low,
                "ci_high": res.ci_high, "z_ci_low": z.ci_low, "z_ci_high": z.ci_high, "tau2": res.tau2,
                "i2": res.i2, "mcid": mcid, "any_ambiguous": bool(es["ambiguous"].astype(bool).any()),
            })
            routes = "; ".join(f"{s}: {r}" for s, r in zip(es["study_id"], es["route"]))
            parts.append(
                f"<h3>{html.escape(label)}</h3><p>Trials: {html.escape(routes)}. "
                + ("<b>Some inputs are flagged ambiguous in the registry</b> (see the studies table). "
                   if bool(es["ambiguous"].astype(bool).any()) else "")
                + "</p><pre>" + html.escape(summary.as_text()) + "</pre>"
                + f"<p>For comparison, the REML z-test interval: {z.ci_low:.2f} to {z.ci_high:.2f}.</p>"
                + fig + bayes_html + warnings_html(caught)
            )
    ctx.number("n_registry_pooled_analyses", n_pooled)
    table = pd.DataFrame(rows, columns=["outcome", "comparison", "instrument", "k", "studies", "estimate",
                                        "ci_low", "ci_high", "z_ci_low", "z_ci_high", "tau2", "i2", "mcid",
                                        "any_ambiguous"])
    ctx.write_table("registry_meta_summary", table)
    intro = (
        "<p>Mean differences can be pooled only on a shared instrument (instruments whose version the "
        "sources do not state, such as WOMAC_unspecified, are not pooled). "
        f"{n_pooled} outcome/comparison/instrument combination(s) have two or more trials with a usable "
        "mean difference in the registry. All inputs come from abstracts; with k = 2 the between-trial "
        "variance is barely estimable and every interval below is fragile. These analyses show what the "
        "published numbers support today, not a verdict on retro walking.</p>"
    )
    if not n_pooled:
        intro += "<p><b>No combination can be pooled yet.</b></p>"
    ctx.section("Pooled mean differences from the registry (real data)",
                intro + table_html(table, caption="Pooled analyses") + "".join(parts))


#: SDs of the NPRS (points) for the sensitivity table, beside the SD implied by the trials' own SEs
SD_SENSITIVITY = (1.0, 1.5, 2.0, 2.5)


def _participants(es: pd.DataFrame) -> tuple[list[float], list[str]]:
    """Participants per trial in the two arms compared: n1 + n2, else the randomised total over the arms."""
    trials = load_dataset("retro_trials").set_index("study_id")
    n, how = [], []
    for row in es.itertuples():
        if pd.notna(row.n1) and pd.notna(row.n2):
            n.append(float(row.n1 + row.n2))
            how.append(f"{row.study_id}: {row.n1:g} + {row.n2:g} (arm sizes)")
            continue
        t = trials.loc[row.study_id]
        arms = len(str(t["arms"]).split(";"))
        total = float(t["n_randomized"])
        n.append(total * 2.0 / arms)
        how.append(f"{row.study_id}: {total:g} randomised over {arms} arms; equal allocation assumed, so "
                   f"{total * 2 / arms:.1f} in the two arms compared")
    return n, how


@step("registry_decision", "trial sequential analysis, GRADE profile and SoF table: registry pain evidence",
      needs=("registry_meta",), cost=0.9)
def registry_decision(ctx: Context) -> None:
    """TSA figure, GRADE profile, SoF table (HTML, DOCX) and the next trial's size for retro vs control pain."""
    from ...convert import pooled_sd, sd_from_md_se
    from ...decision import grade_profile, summary_of_findings, trial_sequential_analysis
    from ...meta import meta_analysis
    from ...planning import power_ttest

    title = "From evidence to decision: retro walking vs control, pain (NPRS; real data)"
    es = poolable_mean_differences("pain", "retro vs control", ctx.cache).get("NPRS")  # registry_meta's
    if es is None:
        ctx.section(title, "<p>Fewer than two trials give an NPRS mean difference; no sequential analysis.</p>")
        return
    years = load_dataset("retro_trials").set_index("study_id")["year"]
    es = es.assign(year=[int(years.loc[s]) for s in es["study_id"]]).sort_values(["year", "study_id"])
    es = es.reset_index(drop=True)
    n, how = _participants(es)
    es = es.assign(n=n)
    # the outcome SD implied by each trial's SE of its mean difference, pooled with n - 2 df per trial
    sd = pooled_sd(sd_from_md_se(np.sqrt(es["vi"].to_numpy(float)), n), df=np.asarray(n) - 2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tsa = trial_sequential_analysis(es, sd=sd, futility=True)
        # GRADE rates the headline analysis of the report (Cochrane preset: REML, Hartung-Knapp), with the
        # TSA's required information size as the optimal information size
        headline = meta_analysis(es, preset="cochrane", slab="study_id")
        profile = grade_profile(
            headline, ois=tsa.required_information_size, participants=tsa.total_n, mcid=abs(tsa.delta),
            outcome="Pain (NPRS, 0-10), retro walking vs control",
            risk_of_bias={s: "no information" for s in es["study_id"]},
            indirectness="no",
            indirectness_reason="not judged here: the registry records knee OA populations and supervised "
                                "retro walking added to usual care, which match the question; a reviewer "
                                "should confirm",
        )
    sof = summary_of_findings([profile], title="Summary of findings: retro walking vs control (registry)")
    ctx.write_table("decision_pain_tsa_monitoring", tsa.to_frame())
    ctx.write_table("decision_pain_grade", profile.to_frame())
    ctx.write_table("decision_pain_sof", sof.to_frame())
    docx_path = ctx.tables / "decision_pain_sof.docx"
    try:
        ctx.files.append(sof.to_docx(docx_path))
        docx_note = f"<p>The table is also written as {html.escape(docx_path.name)}.</p>"
    except ImportError:
        docx_note = "<p class='note'>python-docx is not installed (extra 'docx'): no DOCX written.</p>"

    ax = tsa.plot(favours=("retro", "control"), title="Registry: retro vs control, pain (NPRS)")
    fig = _fig(ctx, ax, "fig_registry_pain_tsa",
               f"Trial sequential analysis of the NPRS mean difference, retro walking vs control; real data, "
               f"k = {tsa.k}; O'Brien-Fleming alpha spending and beta-spending futility at the observed "
               f"information fractions; RIS for the MCID of {abs(tsa.delta):g} point with SD {sd:.2f}.")

    rows = []
    for s in (sd, *SD_SENSITIVITY):
        t = trial_sequential_analysis(es, sd=s) if s != sd else tsa
        solo = power_ttest(effect_size=abs(t.delta) / s, power=1 - t.beta, alpha=t.alpha)
        rows.append({"sd": s, "sd_source": "implied by the trials' SEs" if s == sd else "sensitivity",
                     "required_information_size": t.required_information_size, "total_n": t.total_n,
                     "information_fraction": t.information_fraction, "crossed": t.crossed,
                     "remaining_n": t.remaining_n, "next_trial_n_per_arm": t.remaining_n_per_arm,
                     "standalone_trial_n_per_arm": solo.n_per_arm})
    sens = pd.DataFrame(rows)
    ctx.write_table("decision_pain_ris_sensitivity", sens)

    for key, value in (("ris", tsa.required_information_size), ("sd", sd), ("d2", tsa.d2),
                       ("total_n", tsa.total_n), ("fraction", tsa.information_fraction),
                       ("remaining_n", tsa.remaining_n), ("tsa_ci_low", tsa.tsa_ci_low),
                       ("tsa_ci_high", tsa.tsa_ci_high), ("mcid", abs(tsa.delta))):
        ctx.number(f"decision_pain_{key}", value)
    ctx.number("decision_pain_crossed", "crossed" if tsa.crossed else "did not cross")
    ctx.number("decision_pain_certainty", profile.certainty)
    ctx.number("decision_pain_next_trial_n_per_arm", int(rows[0]["next_trial_n_per_arm"]))
    worst = sens.iloc[-1]
    ctx.number("decision_pain_sens_sd", float(worst["sd"]))
    ctx.number("decision_pain_sens_ris", float(worst["required_information_size"]))
    ctx.number("decision_pain_sens_next_trial_n_per_arm", int(worst["next_trial_n_per_arm"]))

    caveats = (
        f"<p><b>Small-k caveats.</b> k = {tsa.k} trials known from their abstracts. D² = {100 * tsa.d2:.1f}% "
        "and tau² are barely estimable from so few trials, and the RIS depends on them. The outcome SD is not "
        f"printed for every trial: the analysis uses the SD implied by the trials' own standard errors "
        f"({sd:.2f} NPRS points; small for a 0-10 pain scale), and the sensitivity table shows how the RIS and "
        "the next trial grow with larger SDs. Participants per trial: " + html.escape("; ".join(how)) + ". "
        "The registry holds no risk-of-bias judgements, so every trial counts as 'no information' and risk "
        "of bias is rated serious. The z-curve uses DerSimonian-Laird random effects and z-tests, as the TSA "
        "program does; the GRADE profile rates the report's headline analysis (Cochrane preset, "
        "Hartung-Knapp with 1 df), whose interval is wider. None of this is a verdict on retro "
        "walking.</p>"
    )
    next_trial = (
        f"<p><b>The next trial.</b> {html.escape(tsa.conclusion)} With the implied SD the accrued "
        f"{tsa.total_n:.1f} participants are {100 * tsa.information_fraction:.0f}% of the RIS "
        f"({tsa.required_information_size:.1f}); a next trial needs {rows[0]['next_trial_n_per_arm']} per arm "
        f"to reach it. With an SD of {worst['sd']:g} points the RIS is {worst['required_information_size']:.0f} "
        f"and a next trial of {int(worst['next_trial_n_per_arm'])} per arm would reach it "
        f"(a standalone trial powered at {100 * (1 - tsa.beta):.0f}% for the MCID alone needs "
        f"{int(worst['standalone_trial_n_per_arm'])} per arm; planning module, power_ttest).</p>"
    )
    ctx.section(
        title,
        caveats + fig + "<pre>" + html.escape(tsa.summary().as_text()) + "</pre>" + next_trial
        + table_html(sens, caption="Required information size and the next trial by outcome SD")
        + "<pre>" + html.escape(profile.summary().as_text()) + "</pre>" + sof.to_html() + docx_note
        + warnings_html(caught),
    )
