"""Named analysis presets: a method, a test and what the summary reports, each stated in the summary."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Preset", "PRESETS"]


@dataclass(frozen=True)
class Preset:
    """A named combination of estimator, test and reporting choices.

    Attributes
    ----------
    name : str
    method, test : str
        metafor codes.
    prediction_interval : bool
        Whether the summary reports the prediction interval prominently.
    heterogeneity_ci : bool
        Whether the summary reports Q-profile confidence intervals for tau², I² and H².
    description : str
        The sentence printed in the summary.
    """

    name: str
    method: str
    test: str
    prediction_interval: bool
    heterogeneity_ci: bool
    description: str


PRESETS: dict[str, Preset] = {
    "metafor": Preset(
        "metafor",
        "REML",
        "z",
        True,
        False,
        "preset 'metafor': metafor rma() defaults (REML estimator of tau², Wald z-test).",
    ),
    "revman5": Preset(
        "revman5",
        "DL",
        "z",
        False,
        False,
        "preset 'revman5': RevMan 5 random-effects defaults (DerSimonian-Laird tau², Wald z-test).",
    ),
    "cochrane": Preset(
        "cochrane",
        "REML",
        "knha",
        True,
        True,
        "preset 'cochrane': REML tau², Hartung-Knapp t-test with k - 1 df, prediction interval and "
        "Q-profile confidence intervals for tau² and I² (the random-effects choices discussed in the "
        "Cochrane Handbook, chapter 10).",
    ),
}
