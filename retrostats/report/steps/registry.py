"""Reproduce steps for the evidence registry: what the trials and reviews report, and how reachable it was."""

from __future__ import annotations

import pandas as pd

from ..datasets import load_dataset
from .html import table_html
from .pipeline import Context, step


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


@step("registry", "evidence registry summary tables", order=0)
def registry_step(ctx: Context) -> None:
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
