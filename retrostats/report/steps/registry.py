"""Paper section "The evidence registry": what the trials and reviews report, and how reachable it was.

Steps ``registry`` (summary tables), ``evidence_map`` (figure 1) and ``reviews`` (figure 2).
"""

from __future__ import annotations

import pandas as pd

from ...datasets import load_dataset
from .._shared import F
from .._shared import save_step_figure as _fig
from ..context import Context, step
from ..html import table_html


def registry_counts(trials: pd.DataFrame, arms: pd.DataFrame, contrasts: pd.DataFrame) -> pd.DataFrame:
    """Trials, arm-level values and contrasts by population and data level (duplicates not counted)."""
    primary = trials[trials["duplicate_of"].isna()]
    rows = []
    for (pop, level), g in primary.groupby(["population", "data_level"], sort=True):
        ids = set(g["study_id"])
        rows.append({"population": pop, "data_level": level, "trials": len(g),
                     "randomized": int(g["n_randomized"].fillna(0).sum()),
                     "arm_values": int(arms["study_id"].isin(ids).sum()),
                     "contrast_values": int(contrasts["study_id"].isin(ids).sum())})
    return pd.DataFrame(rows, columns=["population", "data_level", "trials", "randomized", "arm_values",
                                       "contrast_values"])


@step("registry", "evidence registry summary tables", cost=0.1)
def registry(ctx: Context) -> None:
    """Summarise the registry: counts by data level, trial characteristics, outcomes reported."""
    trials = load_dataset("retro_trials")
    arms = load_dataset("retro_arms")
    contrasts = load_dataset("retro_contrasts")
    reviews = load_dataset("retro_reviews")
    counts = registry_counts(trials, arms, contrasts)
    ctx.write_table("registry_counts", counts)
    chars = trials[["study_id", "population", "condition", "design", "n_randomized", "arms", "weeks",
                    "minutes_per_session", "sessions_per_week", "setting", "data_level", "duplicate_of"]]
    ctx.write_table("trial_characteristics", chars)
    by_outcome = (arms.groupby(["outcome", "instrument"])["study_id"].nunique()
                  .rename("trials").reset_index().sort_values(["outcome", "instrument"]))
    ctx.write_table("outcomes_reported", by_outcome)
    ctx.write_table("review_results", reviews.drop(columns=["citation"]))
    primary = trials[trials["duplicate_of"].isna()]
    ctx.number("n_trials", len(primary))
    ctx.number("n_trials_knee", int((primary["population"] == "knee").sum()))
    ctx.number("n_publications", len(trials))
    ctx.number("n_arm_values", len(arms))
    ctx.number("n_contrast_values", len(contrasts))
    ctx.number("n_reviews", int(reviews["review_id"].nunique()))
    for level in ("full_text", "abstract", "registry", "none"):
        ctx.number(f"n_trials_{level}", int((primary["data_level"] == level).sum()))
    ctx.section(
        "Evidence registry",
        f"<p>{len(primary)} trials ({len(trials)} publications), {len(arms)} arm-level values and "
        f"{len(contrasts)} between-arm results, each with its source; {reviews['review_id'].nunique()} "
        "systematic reviews.</p>"
        + table_html(counts, caption="Trials and values by population and data level")
        + table_html(by_outcome, caption="Outcomes reported (number of trials)"),
    )


@step("evidence_map", "evidence map of the registry (trials x outcomes by data level)", cost=2.9)
def evidence_map(ctx: Context) -> None:
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


@step("reviews", "published pooled estimates of systematic reviews", cost=0.4)
def reviews(ctx: Context) -> None:
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
