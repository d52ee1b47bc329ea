"""Reproduce step: what the registry's own numbers allow, pooled in instrument units (real data only).

Mean differences are poolable across trials only on the same instrument. For every outcome and comparison,
the trials whose published numbers give a mean difference on a shared instrument are pooled with the
Cochrane preset (REML, Hartung-Knapp, prediction interval, Q-profile), drawn as a forest plot with the MCID,
and given an exact Bayesian analysis with the clinical probability of exceeding the MCID. Every caveat the
small evidence base needs is printed next to the numbers.
"""

from __future__ import annotations

import html
import warnings

import numpy as np
import pandas as pd

from .. import figures as F
from ..datasets import load_dataset
from . import steps_registry  # noqa: F401  (the registry step registers first)
from ._shared import save_step_figure as _fig
from ._shared import warnings_html
from .html import table_html
from .pipeline import Context, step

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


def poolable_mean_differences(outcome: str, comparison: str) -> dict[str, pd.DataFrame]:
    """Usable mean differences per instrument with at least two trials (harmonised: positive favours A)."""
    from ..effects.registry import registry_effect_sizes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MD on several instruments is expected here: we split by instrument
        es = registry_effect_sizes(outcome=outcome, comparison=comparison, measure="MD")
    usable = es[es["usable"].astype(bool)]
    # an instrument whose version or subscale the sources do not state (e.g. WOMAC_unspecified) may differ
    # between trials: its mean differences are not pooled
    usable = usable[~usable["instrument"].astype(str).str.endswith("_unspecified")]
    return {ins: g.reset_index(drop=True) for ins, g in usable.groupby("instrument") if len(g) >= 2}


@step("registry_meta", "pooled mean differences from the registry on a shared instrument (real data)", order=35)
def registry_meta_step(ctx: Context) -> None:
    """Cochrane-preset meta-analysis, forest plot and exact Bayesian clinical probabilities, real data."""
    from ..bayes import bayes_meta_analysis
    from ..meta import meta_analysis

    scales = load_dataset("outcome_scales").set_index("instrument")
    parts: list[str] = []
    rows = []
    n_pooled = 0
    for outcome, comparison in PAIRS:
        for instrument, es in poolable_mean_differences(outcome, comparison).items():
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
