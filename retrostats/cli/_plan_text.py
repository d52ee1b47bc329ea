"""The text of ``retrostats plan`` for planners: the assumptions block with every default marked, the
protocol sentence naming the arms and the instrument, a caution scaled to the evidence, power curves
(``--plot``) and the sensitivity mode (minimum detectable effect for a given n, as G*Power's
"sensitivity" analysis).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

__all__ = [
    "DEFAULTS",
    "assumption_lines",
    "evidence_caution",
    "protocol_sentence",
    "write_power_curves",
]

#: The defaults of ``retrostats plan`` (printed with "[default]" when used).
DEFAULTS: dict[str, Any] = {
    "design": "ancova",
    "power": 0.8,
    "alpha": 0.05,
    "alternative": "two-sided",
    "ratio": 1.0,
    "r": 0.5,
    "visits": 4,
    "dropout": 0.0,
    "arms": ("retro walking", "control"),
}


def _d(args: argparse.Namespace, key: str) -> str:
    value = getattr(args, key)
    default = DEFAULTS[key]
    same = tuple(value) == tuple(default) if isinstance(default, tuple) else value == default
    return " [default]" if same else ""


def assumption_lines(args: argparse.Namespace, res: Any) -> list[str]:
    """Every setting the plan rests on, each marked ``[default]`` when the user did not change it.

    Examples
    --------
    >>> import argparse, retrostats as rs
    >>> a = argparse.Namespace(design="ttest", power=None, alpha=0.05, alternative="two-sided", ratio=1.0,
    ...                        r=0.5, visits=4, dropout=0.0, arms=("retro walking", "control"), instrument=None)
    >>> lines = assumption_lines(a, rs.power_ttest(effect_size=0.5, power=0.8))
    >>> lines[0], lines[-1]
    ('arms: retro walking (group 1) vs control (group 2) [default]', 'dropout 0% (no attrition assumed) [default]')
    """
    exp, ctl = args.arms
    kind = getattr(args, "type", "two-sample") if args.design == "ttest" else "two-sample"
    per = {"paired": " pairs", "one-sample": ""}.get(kind, " per arm")
    if res.solved_for == "power":
        power_note = f"n fixed at {res.n:g}{per} (power solved for)"
    elif res.solved_for == "alpha":
        power_note = f"n fixed at {res.n:g}{per}, power {res.power:.0%} (alpha solved for)"
    else:
        power_note = f"target power {res.power:.0%}" + (" [default]" if args.power is None else "")
    alpha = f"alpha {res.alpha:.4g} (solved for)" if res.solved_for == "alpha" else f"alpha {res.alpha:g}"
    group = {"paired": "one group of pairs (the effect is the mean difference over its SD)",
             "one-sample": "one group of participants (the effect is the mean over the SD)"}
    lines = [
        group.get(kind, f"arms: {exp} (group 1) vs {ctl} (group 2){_d(args, 'arms')}"),
        f"outcome: {args.instrument}" if args.instrument else "outcome: not named (give --instrument, e.g. NPRS)",
        f"design {args.design}: {res.design}; {res.method}{_d(args, 'design')}",
        power_note,
        f"{alpha}{_d(args, 'alpha')}, {res.alternative}{_d(args, 'alternative')}",
    ]
    if getattr(args, "n2", None) is not None:
        lines.append(f"group 2 fixed at {args.n2:g} (--n2): allocation ratio {res.ratio:.3g} (group 2 : group 1)")
    elif kind == "two-sample":
        lines.append(f"allocation ratio {res.ratio:g} (group 2 : group 1){_d(args, 'ratio')}")
    if kind == "paired":
        lines.append("paired t test on the within-pair differences")
    elif kind == "one-sample":
        lines.append("one-sample t test against zero")
    elif args.design in ("ancova", "change", "mmrm"):
        what = f" between visits ({args.visits} visits{_d(args, 'visits')})" if args.design == "mmrm" else (
            " between baseline and outcome"
        )
        lines.append(f"correlation r = {args.r:g}{what}{_d(args, 'r')}")
    else:
        lines.append("no baseline adjustment (t test on final values; --design ancova uses the baseline)")
    if args.dropout:
        how = " (linear over visits; MMRM uses all data)" if args.design == "mmrm" else " (complete cases)"
        lines.append(f"dropout {args.dropout:.0%}{how}{_d(args, 'dropout')}")
    else:
        lines.append(f"dropout 0% (no attrition assumed){_d(args, 'dropout')}")
    return lines


def evidence_caution(ma: Any) -> list[str]:
    """Cautions about planning from a meta-analysis, scaled to how much evidence it holds.

    One trial is not a planning input; two to four trials give a very uncertain heterogeneity; an interval
    that includes no effect, or a wide prediction interval, is said too.

    Examples
    --------
    >>> import retrostats as rs
    >>> evidence_caution(rs.meta_analysis(yi=[0.4], vi=[0.04]))[0][:36]
    'WARNING: the effect comes from ONE t'
    """
    k = int(ma.k)
    out = []
    if k == 1:
        out.append(
            "WARNING: the effect comes from ONE trial. A single small trial is not a planning input: its "
            "estimate is noisy and, if published because it was significant, inflated. Plan for the "
            "smallest effect that matters (e.g. --instrument for its MCID, or --effect-size) and treat this "
            "as a sensitivity check."
        )
    elif k < 5:
        out.append(
            f"caution: only {k} trials; between-trial heterogeneity (tau²) cannot be estimated reliably, "
            "so the planning effect is very uncertain (see the assurance below)"
        )
    if ma.ci_low <= 0 <= ma.ci_high:
        out.append("caution: the confidence interval of the pooled effect includes no effect")
    pi_lo, pi_hi = getattr(ma, "pi_low", math.nan), getattr(ma, "pi_high", math.nan)
    if k > 1 and math.isfinite(pi_lo) and math.isfinite(pi_hi) and pi_lo <= 0 <= pi_hi:
        out.append("note: the prediction interval for a new trial includes no effect")
    return out


def protocol_sentence(args: argparse.Namespace, res: Any, raw: float | None, n_randomise: int | None) -> str:
    """The sample-size sentence for a protocol or grant, naming the arms and the instrument.

    Examples
    --------
    >>> import argparse, retrostats as rs
    >>> a = argparse.Namespace(arms=("retro walking", "forward walking"), instrument="NPRS", sd=2.0, dropout=0.2)
    >>> res = rs.power_ancova(effect_size=0.5, power=0.8, r=0.5, dropout=0.2)
    >>> protocol_sentence(a, res, -1.0, 63)[:80]
    'With 49 participants analysed per arm (retro walking and forward walking), the A'
    """
    from ..planning.scales import scale_unit

    exp, ctl = args.arms
    n1, n2 = res.n_per_arm, int(math.ceil(res.n2 - 1e-9))
    kind = res.parameters.get("type", "two-sample")
    if kind != "two-sample":
        who = f"{n1} {'pairs' if kind == 'paired' else 'participants'} analysed"
    elif n1 == n2:
        who = f"{n1} participants analysed per arm ({exp} and {ctl})"
    else:
        who = f"{n1} participants analysed in the {exp} arm and {n2} in the {ctl} arm"
    extra = []
    for key in ("r", "n_visits"):
        if key in res.parameters:
            extra.append(f"{'r' if key == 'r' else 'visits'} = {res.parameters[key]:g}")
    design = res.design + (f" ({'; '.join(extra)})" if extra else "")
    tail = "two-sided" if res.alternative == "two-sided" else "one-sided"
    if args.instrument and raw is not None:
        what = (
            f"a difference of {abs(raw):.2f} {scale_unit(args.instrument)} on the {args.instrument} (standardised "
            f"effect "
            f"{abs(res.effect_size):.2f}, SD {args.sd:g})"
        )
    elif args.instrument:
        what = f"a standardised difference of {abs(res.effect_size):.2f} on the {args.instrument}"
    else:
        what = f"a standardised difference of {abs(res.effect_size):.2f} in the primary outcome"
    text = f"With {who}, the {design} has {res.power:.0%} power to detect {what} at a {tail} alpha of {res.alpha:g}."
    if args.dropout and n_randomise is not None and kind != "two-sample":
        text += f" Allowing for {args.dropout:.0%} attrition, {n_randomise} will be recruited."
    elif args.dropout and n_randomise is not None:
        total = n_randomise + int(math.ceil(res.ratio * n_randomise - 1e-9))
        text += (
            f" Allowing for {args.dropout:.0%} attrition, {n_randomise} will be randomised to the {exp} arm "
            f"({total} in total)."
        )
    return text


def write_power_curves(args: argparse.Namespace, res: Any, solve: Any, stem: str) -> list[Any]:
    """Power against n per arm for the planned effect and for 75% and 125% of it (``--plot``).

    ``solve(args, d)`` is the command's solver; ``args.n`` is set per point. Returns the files written.
    """
    import copy

    import numpy as np
    import pandas as pd

    from ..figures import power_curve_plot, save_figure, style_context

    d = abs(res.effect_size)
    n_hi = max(10.0, 2.0 * res.n)
    ns = np.unique(np.round(np.linspace(max(3.0, 0.15 * n_hi), n_hi, 40)))
    rows = []
    for scale in (0.75, 1.0, 1.25):
        a = copy.copy(args)
        a.power, a.alpha = None, res.alpha  # power at each n (at the solved alpha when --alpha solve)
        for n in ns:
            a.n = float(n)
            r = solve(a, math.copysign(d * scale, res.effect_size))
            rows.append({"n_per_arm": float(n), "effect_size": round(d * scale, 3), "power": r.power})
    grid = pd.DataFrame(rows)
    kind = res.parameters.get("type", "two-sample")
    xlabel = {"paired": "Pairs analysed", "one-sample": "Participants analysed"}.get(
        kind, "Participants analysed in group 1" if getattr(args, "n2", None) is not None else
        "Participants analysed per arm"
    )
    ax = power_curve_plot(
        grid, hue="effect_size", target=res.power, hue_format="d = {:.2f}", xlabel=xlabel
    )
    ax.axvline(res.n, color="#555555", lw=0.6, ls=(0, (3, 2)))
    with style_context():
        exp, ctl = args.arms
        ax.set_title(f"{res.design}: {exp} vs {ctl}" if res.parameters.get("type", "two-sample") == "two-sample"
                     else res.design, loc="left")
    return save_figure(ax, stem, close=True)
