"""The ``summary()`` of a meta-analysis: method, estimate, heterogeneity and the caveats small k needs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._display import Summary, fmt_num, fmt_p
from ..kernels.tau2 import TAU2_NAMES
from .bias import FUNNEL_MIN_K
from .presets import PRESETS

__all__ = ["build_summary"]



def _meaning_rows(res, lvl: str) -> list[tuple[str, str]]:
    """What the estimate is (from the measure registry) and, for ratio measures, its back-transform."""
    from ..measures import MEASURES

    m = MEASURES.get(res.measure) if getattr(res, "measure", None) else None
    if m is None:
        return []
    what = f"{m.code} ({m.label}"
    what += f", {res.instrument} units)" if m.scale == "raw" and getattr(res, "instrument", None) else ")"
    fav = getattr(res, "favours", None)
    what += f"; positive favours {fav}" if fav else "; group 1 vs group 2, not oriented"
    rows = [("Effect measure", what)]
    if m.back_transform is not None and res.int_only:
        est, lo, hi = (m.back(x) for x in (res.estimate, res.ci_low, res.ci_high))
        rows.append(
            (
                f"Back-transformed ({m.back_label or 'reporting scale'})",
                f"{fmt_num(est)} ({lvl} CI {fmt_num(lo)} to {fmt_num(hi)})",
            )
        )
    return rows


def build_summary(res) -> Summary:
    """Build the :class:`Summary` of a :class:`MetaAnalysisResult`."""
    lvl = f"{100 * res.confidence_level:g}%"
    model = "Equal-effects" if res.method == "EE" else "Random-effects"
    title = f"{model} {'meta-regression' if not res.int_only else 'meta-analysis'} (k = {res.k})"
    test = (
        "Knapp-Hartung t-test" + (f" ({res.df:g} df)" if not math.isnan(res.df) else "")
        if res.test == "knha"
        else "Wald z-test"
    )
    header = [
        (
            "Estimator of tau²",
            f"{res.method} ({TAU2_NAMES.get(res.method, 'unregistered estimator')})"
            + (" (fixed by the user)" if res.tau2_fixed else ""),
        ),
        ("Test", test),
        (
            "Estimate",
            f"{fmt_num(res.estimate)} ({lvl} CI {fmt_num(res.ci_low)} to {fmt_num(res.ci_high)}), "
            f"p = {fmt_p(res.p_value)}",
        ),
    ]
    show_pi = res.preset is None or PRESETS[res.preset].prediction_interval
    header += _meaning_rows(res, lvl)
    if res.method != "EE" and res.int_only and show_pi:
        header.append(("Prediction interval", f"{fmt_num(res.pi_low)} to {fmt_num(res.pi_high)}"))
    header += [
        (
            "Heterogeneity",
            f"tau² = {fmt_num(res.tau2)}, tau = {fmt_num(res.tau)}, I² = {fmt_num(res.i2, 1)}%, "
            f"H² = {fmt_num(res.h2, 2)}",
        ),
        ("Test for heterogeneity", f"Q({res.q_df}) = {fmt_num(res.q, 2)}, p = {fmt_p(res.q_p_value)}"),
    ]
    tables: list[tuple[str, pd.DataFrame]] = []
    notes: list[str] = []
    if res.preset is not None:
        notes.append(PRESETS[res.preset].description)
    show_hci = (
        res.preset is not None
        and PRESETS[res.preset].heterogeneity_ci
        and res.method != "EE"
        and not res.tau2_fixed
        and res.k > 1
    )
    if show_hci:
        hci = res.heterogeneity_ci()
        tables.append((f"Heterogeneity ({lvl} Q-profile CI)", hci.map(fmt_num)))
    if not res.int_only:
        df1, df2 = res.qm_df
        qm = (
            f"F({df1}, {df2:g}) = {fmt_num(res.qm, 2)}"
            if res.test == "knha"
            else f"QM({df1}) = {fmt_num(res.qm, 2)}"
        )
        header.append(("Test of moderators", f"{qm}, p = {fmt_p(res.qm_p_value)}"))
        if not math.isnan(res.r2):
            header.append(("R² (tau² explained)", f"{fmt_num(res.r2, 1)}%"))
        coef = res.coefficients.copy()
        coef["p_value"] = coef["p_value"].map(fmt_p)
        for c in ("estimate", "se", "statistic", "ci_low", "ci_high"):
            coef[c] = coef[c].map(fmt_num)
        tables.append(("Model coefficients", coef))
    if res.subgroups is not None:
        sub = res.subgroups[["k", "estimate", "ci_low", "ci_high", "tau2", "i2"]].copy()
        for c in ("estimate", "ci_low", "ci_high", "tau2"):
            sub[c] = sub[c].map(fmt_num)
        sub["i2"] = sub["i2"].map(lambda x: fmt_num(x, 1))
        tables.append(("Subgroups (each with its own tau²)", sub))
        st = res.subgroup_test
        header.append(
            (
                "Test for subgroup differences",
                f"Q({st['df']}) = {fmt_num(st['q'], 2)}, p = {fmt_p(st['p_value'])}",
            )
        )
    # caveats
    if res.k < FUNNEL_MIN_K:
        notes.append(
            f"Only {res.k} studies: funnel-plot based bias tests (egger_test, rank_test, trim_and_fill) "
            f"are underpowered below {FUNNEL_MIN_K} studies; do not read much into them."
        )
    if res.method != "EE" and res.k < 5 and not res.tau2_fixed:
        notes.append(
            f"With {res.k} studies tau² is estimated very imprecisely"
            + ("; the Wald z-test understates uncertainty, consider test='knha'." if res.test == "z" else ".")
        )
    if res.test == "knha" and not res.moderators and res.k > 1:
        # the Knapp-Hartung scale factor s2 = sum w (y - mu)^2 / (k - 1); below 1 it makes the interval
        # narrower than the z-based one (Jackson et al. 2017, doi:10.1002/sim.7411; Röver et al. 2015,
        # doi:10.1186/s12874-015-0091-1)
        w = 1.0 / (np.asarray(res.vi, dtype=float) + res.tau2)
        s2 = float(np.sum(w * (np.asarray(res.yi, dtype=float) - res.estimate) ** 2) / (res.k - 1))
        if s2 < 0.99:  # REML fits with tau2 > 0 sit at s2 close to 1; only a real shrinkage is flagged
            notes.append(
                f"The Knapp-Hartung scale factor is {s2:.2f} < 1, so the interval is narrower than a z-based "
                "one would be; with few studies report both, or truncate the factor at 1 (metafor's "
                "test='adhoc')."
            )
    if res.method == "EE" and res.q_p_value < 0.10:
        notes.append("The equal-effects model assumes no heterogeneity, but Q suggests some (p < 0.10).")
    if res.method != "EE" and res.tau2 == 0 and res.k > 1 and not res.tau2_fixed:
        notes.append(
            "tau² was estimated as 0: the random-effects result equals the equal-effects one; "
            "this does not show that the effects are homogeneous."
        )
    if res.provenance is not None:
        notes.append(
            f"retrostats {res.provenance.version}; {res.provenance.call}; input checksum "
            f"{res.provenance.checksum}."
        )
    return Summary(title=title, header=header, tables=tables, notes=notes)
