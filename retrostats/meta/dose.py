"""Dose-response meta-regression of retro-walking effects on the registry's dose columns.

:func:`dose_response` merges effect sizes (by default ``registry_effect_sizes(outcome=...)``) with the
trials' dose (``retro_trials``: minutes per session, sessions per week, weeks, or their products),
meta-regresses ``yi`` on the dose (``meta_analysis(mods=dose)``, or ``meta_analysis_mv`` when a trial gives
several effects), and predicts the effect with CI and prediction interval over a grid of doses.

Examples
--------
>>> res = dose_response(_example(), dose="weeks")
>>> res.k, round(float(res.slope["estimate"]), 4)
(6, -0.0659)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._display import ResultDisplay, Summary, fmt_num, fmt_p
from ..exceptions import DataError, DataWarning
from ..provenance import Provenance, make_provenance
from ..validators import check_option

__all__ = ["dose_response", "DoseResponseResult", "DOSES"]

#: dose definitions from the ``retro_trials`` columns
DOSES = {
    "total_minutes": ("minutes_per_session", "sessions_per_week", "weeks"),
    "total_sessions": ("sessions_per_week", "weeks"),
    "minutes_per_session": ("minutes_per_session",),
    "sessions_per_week": ("sessions_per_week",),
    "weeks": ("weeks",),
}
_LABELS = {
    "total_minutes": "total retro-walking minutes (minutes/session x sessions/week x weeks)",
    "total_sessions": "total sessions (sessions/week x weeks)",
    "minutes_per_session": "minutes per session",
    "sessions_per_week": "sessions per week",
    "weeks": "programme length (weeks)",
}


@dataclass(frozen=True, eq=False)
class DoseResponseResult(ResultDisplay):
    """Result of :func:`dose_response`.

    Attributes
    ----------
    fit : MetaAnalysisResult or MultilevelResult
        The meta-regression ``yi ~ dose``.
    slope : pandas.Series
        The dose coefficient (``estimate, se, statistic, p_value, ci_low, ci_high``).
    predictions : DataFrame
        ``dose, pred, se, ci_low, ci_high, pi_low, pi_high`` over the grid.
    data : DataFrame
        The effects used, with ``dose`` and the percent ``weight``.
    dropped : tuple of str
        Trials without the dose.
    dose, dose_label, measure : str
    provenance : Provenance
        The call and a checksum of the effects and doses used.
    """

    fit: Any
    slope: pd.Series
    predictions: pd.DataFrame
    data: pd.DataFrame
    dropped: tuple
    dose: str
    dose_label: str
    measure: str | None
    provenance: Provenance | None = field(default=None, repr=False, compare=False)

    @property
    def k(self) -> int:
        """Number of effects in the meta-regression."""
        return int(self.fit.k)

    def to_frame(self) -> pd.DataFrame:
        """The predictions over the dose grid (``dose, pred, se, ci_low, ci_high, pi_low, pi_high``)."""
        return self.predictions.copy()

    def summary(self) -> Summary:
        """Printable summary: the slope per unit of dose, the effects used and those left out."""
        s = self.slope
        header = [
            ("dose", self.dose_label),
            ("measure", self.measure or "mixed"),
            ("effects", str(self.k)),
            ("slope per unit", f"{fmt_num(s['estimate'])} [{fmt_num(s['ci_low'])}, {fmt_num(s['ci_high'])}]"),
            ("p", fmt_p(s["p_value"])),
        ]
        notes = [f"left out (no {self.dose}): {', '.join(self.dropped)}"] if self.dropped else []
        if self.provenance is not None:
            notes.append(f"call: {self.provenance.call}")
        cols = [c for c in ("study_id", "yi", "vi", "dose", "weight") if c in self.data.columns]
        table = self.data[cols].map(lambda x: fmt_num(x) if isinstance(x, float) else x)
        return Summary("Dose-response meta-regression", header, [("Effects", table)], notes)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Bubble plot with the fitted line and CI / prediction bands (:func:`retrostats.figures.bubble_plot`)."""
        from ..figures.dose import bubble_plot

        return bubble_plot(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        s = self.slope
        return (
            f"DoseResponseResult(dose={self.dose!r}, k={self.k}, slope={s['estimate']:.4g} "
            f"[{s['ci_low']:.4g}, {s['ci_high']:.4g}], p={s['p_value']:.3g})"
        )


def dose_response(
    effects: pd.DataFrame | None = None,
    *,
    dose: str = "total_minutes",
    outcome: str = "pain",
    comparison: str = "retro vs control",
    measure: str = "SMD",
    trials: pd.DataFrame | None = None,
    method: str = "REML",
    test: str = "knha",
    doses: Any = None,
    confidence_level: float = 0.95,
) -> DoseResponseResult:
    """Meta-regress effects on a retro-walking dose and predict effects over a range of doses.

    Parameters
    ----------
    effects : DataFrame, optional
        Effect sizes with ``study_id, yi, vi`` (e.g. from :func:`retrostats.registry_effect_sizes`); default:
        ``registry_effect_sizes(outcome=outcome, comparison=comparison, measure=measure)`` (usable rows).
    dose : {"total_minutes", "total_sessions", "minutes_per_session", "sessions_per_week", "weeks"} or str
        Taken from ``trials``, or any numeric column of ``effects``.
    outcome, comparison, measure : passed to :func:`retrostats.registry_effect_sizes` when ``effects`` is None.
    trials : DataFrame, optional
        Trial table with ``study_id`` and the dose columns (default: the shipped ``retro_trials``).
    method, test : passed to :func:`retrostats.meta_analysis` (``"knha"`` becomes ``"t"`` for
        several effects per trial, fitted by :func:`retrostats.meta_analysis_mv`).
    doses : array-like, optional
        Doses to predict at (default: 50 points over the observed range).
    confidence_level : float

    Returns
    -------
    DoseResponseResult
        ``fit, slope, predictions, data``; ``.plot()`` draws the bubble plot.

    Raises
    ------
    DataError
        Fewer than 3 effects with a dose, or all at one dose.

    Notes
    -----
    A linear dose term; trials without the dose are dropped with a :class:`DataWarning` naming them. Speed is
    free text in the registry and is not offered. Predictions are :meth:`MetaAnalysisResult.predict`
    (validated against metafor ``predict``). With few trials the slope is imprecise: read the CI.

    Examples
    --------
    >>> res = dose_response(_example(), dose="weeks", doses=[4, 8])
    >>> res.predictions[["dose", "pred"]].round(3)
       dose   pred
    0     4 -0.383
    1     8 -0.647
    """
    from .analysis import meta_analysis
    from .multilevel import meta_analysis_mv

    if effects is None or dose not in effects.columns:
        check_option("dose", dose, list(DOSES))
    if effects is None:
        from ..effects.registry import registry_effect_sizes

        effects = registry_effect_sizes(outcome=outcome, comparison=comparison, measure=measure)
        if "usable" in effects.columns:
            effects = effects[effects["usable"].astype(bool)]
    d = effects.reset_index(drop=True).copy()
    if dose not in d.columns:
        if trials is None:
            from ..datasets import load_dataset

            trials = load_dataset("retro_trials")
        cols = DOSES[dose]
        t = trials[["study_id", *cols]].drop_duplicates("study_id")
        d = d.merge(t, on="study_id", how="left", validate="many_to_one")
        d[dose] = np.prod([pd.to_numeric(d[c], errors="coerce").to_numpy(dtype=float) for c in cols], axis=0)
    d["dose"] = pd.to_numeric(d[dose], errors="coerce")
    miss = d["dose"].isna() | d["yi"].isna() | d["vi"].isna()
    dropped = tuple(str(s) for s in d.loc[miss, "study_id"])
    if dropped:
        warnings.warn(
            f"no {dose} (or no effect) for {', '.join(dropped)}; these trials were left out of the "
            "dose-response meta-regression.",
            DataWarning,
            stacklevel=2,
        )
    d = d[~miss].reset_index(drop=True)
    if len(d) < 3 or d["dose"].nunique() < 2:
        raise DataError(
            f"a dose-response meta-regression needs at least 3 effects at 2 or more doses; "
            f"{len(d)} effect(s) have {dose}."
        )
    several = d["study_id"].duplicated().any()
    if several:
        fit = meta_analysis_mv(
            d,
            cluster="study_id",
            mods="dose",
            method=method,
            test="t" if test == "knha" else test,
            confidence_level=confidence_level,
        )
        w = 1 / (d["vi"].to_numpy() + sum(fit.sigma2))
    else:
        fit = meta_analysis(
            d, mods="dose", method=method, test=test, confidence_level=confidence_level, multiarm="ignore"
        )
        w = fit.weights
    d["weight"] = 100 * np.asarray(w) / np.sum(w)
    grid = np.asarray(doses, dtype=float) if doses is not None else np.linspace(d["dose"].min(), d["dose"].max(), 50)
    pred = fit.predict(newmods=grid)
    pred.insert(0, "dose", grid if doses is None else np.asarray(doses))
    slope = fit.coefficients.loc["dose"].copy()
    measure_used = str(d["measure"].iloc[0]) if "measure" in d.columns and d["measure"].nunique() == 1 else None
    prov = make_provenance(
        "dose_response",
        {"dose": dose, "outcome": outcome, "comparison": comparison, "measure": measure, "method": method,
         "test": test, "confidence_level": confidence_level},
        d["yi"], d["vi"], d["dose"],
    )
    return DoseResponseResult(fit, slope, pred, d, dropped, dose, _LABELS.get(dose, dose), measure_used, prov)


def _example() -> pd.DataFrame:
    """Made-up (synthetic) effects of six trials with programme lengths, for the examples."""
    return pd.DataFrame(
        {
            "study_id": ["t1", "t2", "t3", "t4", "t5", "t6"],
            "yi": [-0.2, -0.5, -0.4, -0.9, -0.6, -0.8],
            "vi": [0.05, 0.06, 0.04, 0.08, 0.05, 0.07],
            "weeks": [3, 4, 6, 8, 6, 12],
            "measure": "SMD",
        }
    )
