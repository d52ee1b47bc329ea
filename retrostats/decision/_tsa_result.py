"""``TSAResult``: the frozen result of :func:`retrostats.trial_sequential_analysis` and its verbs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._display import Summary, fmt_num
from ..provenance import Provenance

__all__ = ["TSAResult"]

_BOUNDARY_NAMES = {"obf": "Lan-DeMets O'Brien-Fleming", "pocock": "Lan-DeMets Pocock"}


@dataclass(frozen=True, eq=False)
class TSAResult:
    """Result of a trial sequential analysis, at full precision.

    Attributes
    ----------
    required_information_size : float
        Participants (both arms) needed, heterogeneity-adjusted, not rounded.
    d2, i2 : float
        Diversity D² (a fraction) and I² (percent) of all trials; ``adjustment`` is the one used.
    monitoring : DataFrame
        One row per cumulative look: ``study, n, cumulative_n, information_fraction, z, z_boundary_upper,
        z_boundary_lower, futility_upper, futility_lower, estimate, se, ci_low, ci_high, tau2``.
    crossed : bool
        Some look has ``|z|`` at or beyond its efficacy boundary (``first_crossing`` names it).
    futility_reached : bool
        With ``futility=True``: some look has ``|z|`` inside the futility wedge (``first_futility``).
    total_n, information_fraction, remaining_n : float
        Participants so far, their fraction of the RIS (capped at 1), and how many more the RIS needs.
    estimate, se, ci_low, ci_high : float
        The final cumulative meta-analysis and its naive ``1 - alpha`` interval.
    tsa_ci_low, tsa_ci_high : float
        The TSA-adjusted interval ``estimate +- c_K se``.
    delta, sd, alpha, beta, heterogeneity, boundary, method, test, futility, tau2, k : the settings and fit.
    measure, instrument : str or None
    z_conventional : float
        ``z_{1-alpha/2}``, the naive (unadjusted) significance threshold drawn for reference.
    benefit_sign : float
        +1 when positive effects are a benefit, -1 when negative ones are.
    yi, vi, labels : the trials as analysed.
    notes : tuple of str
        Defaults that were applied (stated in the summary).
    provenance : Provenance
    """

    required_information_size: float
    d2: float
    i2: float
    adjustment: float
    heterogeneity: str
    delta: float
    sd: float
    alpha: float
    beta: float
    boundary: str
    method: str
    test: str
    futility: bool
    monitoring: pd.DataFrame
    crossed: bool
    first_crossing: str | None
    futility_reached: bool
    first_futility: str | None
    total_n: float
    information_fraction: float
    remaining_n: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tsa_ci_low: float
    tsa_ci_high: float
    tau2: float
    k: int
    measure: str | None
    instrument: str | None
    benefit_sign: float
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple
    z_conventional: float = 1.959963984540054
    notes: tuple = ()
    provenance: Provenance | None = None

    @property
    def ris_reached(self) -> bool:
        """True when the trials so far reach the required information size."""
        return self.total_n >= self.required_information_size

    @property
    def remaining_n_per_arm(self) -> int:
        """Participants per arm of a two-arm trial with equal arms that would reach the required information
        size: ``remaining_n / 2`` rounded up (0 once it is reached).
        """
        return int(math.ceil(self.remaining_n / 2 - 1e-9)) if self.remaining_n > 0 else 0

    @property
    def conclusion(self) -> str:
        """One sentence: firm evidence of benefit/harm, futility, absence of the effect, or inconclusive."""
        if self.crossed:
            row = self.monitoring.iloc[int(np.flatnonzero(self.monitoring["study"] == self.first_crossing)[0])]
            side = "benefit" if math.copysign(1, float(row["z"])) == self.benefit_sign else "harm"
            return (f"Firm evidence of {side}: the z-curve crosses the monitoring boundary at "
                    f"{self.first_crossing} (z = {float(row['z']):.2f}, boundary \u00b1"
                    f"{float(row['z_boundary_upper']):.2f}).")
        if self.futility_reached:
            return (f"Futility: the z-curve enters the futility wedge at {self.first_futility}; an effect of "
                    f"delta = {self.delta:g} is unlikely.")
        if self.ris_reached:
            return (f"The required information size is reached without crossing the boundary: an effect of "
                    f"delta = {self.delta:g} can be rejected.")
        return (f"Inconclusive: no boundary crossed and {self.remaining_n:.0f} more participants are needed to "
                f"reach the required information size of {self.required_information_size:.0f}.")

    def meta_analysis(self):
        """The final cumulative meta-analysis as a :class:`~retrostats.MetaAnalysisResult` (same method)."""
        from ..meta import meta_analysis

        df = pd.DataFrame({"yi": self.yi, "vi": self.vi, "study": list(self.labels)})
        if self.measure is not None:
            df["measure"] = self.measure
        test = self.test if self.k > 1 else "z"
        return meta_analysis(df, method=self.method if self.k > 1 else "EE", test=test, slab="study",
                             confidence_level=1 - self.alpha)

    def to_frame(self) -> pd.DataFrame:
        """The monitoring table (one row per look) at full precision."""
        return self.monitoring.copy()

    def summary(self) -> Summary:
        """Settings, the RIS and its ingredients, the monitoring table and the conclusion."""
        het = {"D2": f"diversity D2 = {100 * self.d2:.1f}%", "I2": f"I2 = {self.i2:.1f}%",
               "none": "none"}[self.heterogeneity]
        header = [
            ("Trials", f"{self.k} ({self.total_n:g} participants)"),
            ("Minimal relevant effect (delta)", f"{self.delta:g}" + (f" {self.instrument} points"
                                                                       if self.instrument and self.measure
                                                                       not in (None, "SMD") else "")),
            ("SD", f"{self.sd:g}"),
            ("alpha (two-sided), beta", f"{self.alpha:g}, {self.beta:g}"),
            ("Heterogeneity adjustment", het),
            ("Required information size", f"{self.required_information_size:.1f} participants"),
            ("Information fraction", f"{100 * self.information_fraction:.1f}%"
             + ("" if self.ris_reached else f" ({self.remaining_n:.1f} more participants needed)")),
            ("Boundaries", f"{_BOUNDARY_NAMES[self.boundary]} alpha spending"
             + (", beta-spending futility (non-binding)" if self.futility else "")),
            ("Model", f"{self.method} random effects, {'HKSJ' if self.test == 'knha' else 'z'} test"),
            ("Estimate", f"{fmt_num(self.estimate)}; {100 * (1 - self.alpha):g}% CI "
                         f"[{fmt_num(self.ci_low)}, {fmt_num(self.ci_high)}]; TSA-adjusted CI "
                         f"[{fmt_num(self.tsa_ci_low)}, {fmt_num(self.tsa_ci_high)}]"),
            ("Conclusion", self.conclusion),
        ]
        cols = ["study", "cumulative_n", "information_fraction", "z", "z_boundary_upper"]
        if self.futility:
            cols.append("futility_upper")
        tab = self.monitoring[cols].copy()
        for c in cols[1:]:
            tab[c] = [fmt_num(x, 3) for x in tab[c]]
        notes = list(self.notes)
        if self.k < 5:
            notes.append(f"Only {self.k} trial(s): tau2 and D2 are barely estimable and the RIS depends on "
                         "them; treat the conclusion as provisional.")
        notes.append("Boundaries are drawn at the observed information fractions (capped at 1); looks at or "
                     "beyond the RIS share the boundary at fraction 1.")
        return Summary(title=f"Trial sequential analysis (k = {self.k})", header=header,
                       tables=[("Monitoring", tab.set_index("study"))], notes=notes)

    def plot(self, ax=None, **kwargs):
        """The TSA figure; delegates to :func:`retrostats.figures.tsa_plot`."""
        from ..figures import tsa_plot

        return tsa_plot(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        return (f"TSAResult(k={self.k}, RIS={self.required_information_size:.1f}, "
                f"fraction={self.information_fraction:.3f}, crossed={self.crossed})")

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)
