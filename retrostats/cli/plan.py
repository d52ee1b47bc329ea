"""``retrostats plan``: a readable sample-size plan (assumptions, result, the grant sentence) and a CSV.

Examples
--------
::

    retrostats plan --design ancova --effect-size 0.5 --r 0.5 --dropout 0.15
    retrostats plan --design ttest --effect 1.2 --sd 2.4 --instrument NPRS --power 0.9 --out plan.csv
    retrostats plan --from-registry --outcome pain --design ancova --r 0.5 --dropout 0.2
    retrostats plan --from-csv effects.csv --yi yi --vi vi --design ttest
    retrostats plan --n 40 --design ancova --instrument NPRS --sd 2.1      # sensitivity: smallest effect
    retrostats plan --effect-size 0.5 --arms "retro walking" "forward walking" --plot power_curves
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._plan_text import DEFAULTS, assumption_lines, evidence_caution, protocol_sentence, write_power_curves

if TYPE_CHECKING:  # pandas is imported inside the handlers, so `retrostats plan --help` stays fast
    import pandas as pd

__all__ = ["register", "run_plan"]

_DESIGNS = ("ttest", "ancova", "change", "mmrm")
_TTEST_TYPES = ("two-sample", "paired", "one-sample")


def _alpha(text: str) -> float | None:
    """``--alpha``: a number, or ``solve`` (None: the size of the test is solved for)."""
    if text.strip().lower() == "solve":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a number such as 0.05, or 'solve'; got {text!r}") from None


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``plan`` sub-command to an argparse ``subparsers`` object and return its parser."""
    p = subparsers.add_parser(
        "plan",
        help="sample size / power for a two-arm trial, optionally from the evidence",
        description="Plan a two-arm trial (e.g. retro vs forward walking): solve for n (default) or power, "
        "from "
        "an explicit effect or from a meta-analysis of the registry or of your own effect sizes. With --n and "
        "no effect, the sensitivity mode reports the minimum detectable effect at that n. --design ttest also "
        "plans paired and one-sample studies (--type).",
    )
    p.add_argument(
        "--design",
        choices=_DESIGNS,
        default="ancova",
        help="analysis: t test on final values, ANCOVA, change scores, MMRM (last visit)",
    )
    src = p.add_argument_group("effect (give one source)")
    src.add_argument("--effect-size", type=float, help="standardised effect (SMD)")
    src.add_argument("--effect", type=float, help="effect in scale units (needs --sd)")
    src.add_argument("--from-registry", action="store_true", help="meta-analyse the registry's effect sizes")
    src.add_argument("--outcome", default="pain", help="registry outcome (with --from-registry)")
    src.add_argument("--comparison", default="retro vs control", help="registry comparison")
    src.add_argument(
        "--from-csv",
        metavar="PATH",
        help="meta-analyse effect sizes from a CSV (its 'measure' column says their scale: MD needs --sd)",
    )
    src.add_argument(
        "--measure",
        help="measure of the CSV's effects when it has no 'measure' column (e.g. SMD, MD)",
    )
    src.add_argument("--yi", default="yi", help="CSV column of effect sizes")
    src.add_argument("--vi", default="vi", help="CSV column of sampling variances")
    src.add_argument("--method", default="REML", help="tau2 estimator for the meta-analysis")
    p.add_argument("--sd", type=float, help="outcome SD in scale units (to convert --effect, the MCID)")
    p.add_argument("--instrument", help="outcome_scales instrument, e.g. NPRS (units, direction, MCID)")
    p.add_argument("--n", type=float,
                   help="participants analysed per arm, or pairs with --type paired (then power is solved for)")
    p.add_argument("--power", type=float, default=None, help="target power (default 0.8)")
    p.add_argument("--alpha", type=_alpha, default=0.05,
                   help="size of the test (default 0.05); 'solve' finds it from --n, --power and the effect "
                   "(--design ttest)")
    p.add_argument("--alternative", choices=("two-sided", "less", "greater"), default="two-sided")
    p.add_argument("--ratio", type=float, default=1.0, help="allocation ratio n2/n1")
    ttest = p.add_argument_group("t-test designs (--design ttest; as R pwr.t.test / pwr.t2n.test)")
    ttest.add_argument("--type", choices=_TTEST_TYPES, default="two-sample",
                       help="two-sample (default), paired (n pairs, d of the differences) or one-sample")
    ttest.add_argument("--n2", type=float, default=None,
                       help="a fixed size of group 2 (two-sample): n of group 1 is solved for (pwr.t2n.test)")
    p.add_argument("--r", type=float, default=0.5, help="baseline-outcome (or between-visit) correlation")
    p.add_argument("--visits", type=int, default=4, help="post-baseline visits (mmrm)")
    p.add_argument("--dropout", type=float, default=0.0, help="proportion lost to follow-up")
    p.add_argument(
        "--assurance", type=float, default=0.8, help="target assurance when planning from evidence"
    )
    p.add_argument(
        "--arms",
        nargs=2,
        metavar=("GROUP1", "GROUP2"),
        default=DEFAULTS["arms"],
        help="names of the two arms for the protocol sentence (default: 'retro walking' 'control')",
    )
    p.add_argument("--plot", metavar="STEM", help="write power curves (STEM.pdf/.svg/.png)")
    p.add_argument("--out", metavar="CSV", help="write the plan as a tidy CSV (quantity, value)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(func=run_plan)
    return p


class _NoEvidence(ValueError):
    """No usable effect sizes for the requested outcome and comparison."""


def _mcid_plan(args: argparse.Namespace, why: str, assumptions: list[str]) -> float:
    """Fallback when the registry has no usable evidence: plan to detect the instrument's MCID."""
    import pandas as pd

    from ..datasets import load_dataset
    from ..planning import mcid_effect_size
    from ..planning.scales import registry_sd, scale_unit

    if not args.instrument:
        raise _NoEvidence(f"{why}; give --instrument (to plan for its MCID) or --effect-size.")
    sc = load_dataset("outcome_scales").set_index("instrument")
    if args.instrument not in sc.index or pd.isna(sc.loc[args.instrument, "mcid"]):
        raise _NoEvidence(f"{why}, and {args.instrument!r} has no MCID in outcome_scales; give --effect-size.")
    mcid = float(sc.loc[args.instrument, "mcid"])
    if args.sd is None:
        args.sd, sd_note = registry_sd(args.instrument)
    else:
        sd_note = "given with --sd"
    d = mcid_effect_size(args.instrument, args.sd, scales=sc.reset_index())
    unit = scale_unit(args.instrument, scales=sc.reset_index())
    assumptions += [
        f"{why}: the trial is planned to detect the minimal clinically important difference instead",
        f"MCID {mcid:g} {unit} on {args.instrument} ({sc.loc[args.instrument, 'mcid_source']})",
        f"SD {args.sd:.3f} {unit} on {args.instrument} ({sd_note})",
        f"standardised effect = MCID / SD = {d:.3f}",
    ]
    return d


def _evidence(args: argparse.Namespace):
    import pandas as pd

    from ..meta import meta_analysis

    if args.from_registry:
        from ..effects.registry import registry_effect_sizes

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            es = registry_effect_sizes(outcome=args.outcome, comparison=args.comparison, measure="SMD")
        for w in caught:
            print(f"note: {w.message}", file=sys.stderr)
        es = es[es["usable"].astype(bool)]
        label = f"registry: {args.outcome}, {args.comparison}"
        ids = ", ".join(map(str, es["study_id"]))
    else:
        es = pd.read_csv(args.from_csv)
        for c in (args.yi, args.vi):
            if c not in es.columns:
                raise ValueError(
                    f"{args.from_csv} has no column {c!r}; it has {list(es.columns)}. Use --yi/--vi."
                )
        es = es.drop(columns=[c for c in ("yi", "vi") if c in es.columns and c not in (args.yi, args.vi)])
        es = es.rename(columns={args.yi: "yi", args.vi: "vi"})
        if "usable" in es.columns:  # registry_effect_sizes output written to CSV
            es = es[es["usable"].astype(str).str.lower().isin(("true", "1"))]
        label = f"CSV {args.from_csv}"
        ids = f"{len(es)} rows"
        _csv_measure(es, args)
    if len(es) == 0:
        raise _NoEvidence(f"no usable effect sizes ({label})")
    keep = [c for c in ("yi", "vi", "study_id", "measure", "instrument", "favours", "doi", "registration")
            if c in es.columns]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ma = meta_analysis(es[keep], yi="yi", vi="vi", method=args.method)
    for w in caught:
        print(f"note: {w.message}", file=sys.stderr)
    return ma, label, ids


def _csv_measure(es: pd.DataFrame, args: argparse.Namespace) -> None:
    """Give the CSV's effects their measure: its 'measure' column, or --measure (which must agree)."""
    from ..measures import get_measure

    if args.measure is not None:
        get_measure(args.measure)
        if "measure" in es.columns:
            have = sorted({str(v) for v in es["measure"].dropna()})
            if have and have != [args.measure]:
                raise ValueError(
                    f"--measure {args.measure} but {args.from_csv} says its effects are {have}; drop --measure."
                )
        es["measure"] = args.measure
    elif "measure" not in es.columns:
        raise ValueError(
            f"{args.from_csv} has no 'measure' column, so the scale of its effects is unknown; add one or "
            "pass --measure (SMD for standardized effects, MD for mean differences in instrument units)."
        )


def _evidence_scale(args: argparse.Namespace, ma: Any, assumptions: list[str]) -> float | None:
    """Check the evidence's measure (from the effect table) against --sd/--instrument; the SD to divide by.

    Returns the outcome SD that converts raw-scale evidence to SD units, or None for standardized evidence.
    """
    from ..measures import get_measure

    if ma.measure is None:
        return None
    m = get_measure(ma.measure)
    if ma.instrument is not None and args.instrument is not None and args.instrument != ma.instrument:
        raise ValueError(
            f"--instrument {args.instrument} but the effects are on {ma.instrument}; drop --instrument or "
            "use effects of that instrument."
        )
    if args.instrument is None and ma.instrument is not None:
        args.instrument = ma.instrument
    if m.standardized:
        if args.sd is not None and args.instrument is None:
            raise ValueError(
                f"--sd converts effects in instrument units, but the effects are {ma.measure} ({m.label}), "
                "already standardised; drop --sd (or give --instrument to translate the result into points)."
            )
        return None
    if m.scale != "raw":
        raise ValueError(
            f"the effects are {ma.measure} ({m.label}); `retrostats plan` plans continuous outcomes in SD "
            "units and cannot use them."
        )
    if args.sd is None:
        unit = f" {ma.instrument}" if ma.instrument else ""
        raise ValueError(
            f"the effects are {ma.measure} ({m.label}) in{unit} instrument units, not SD units; give --sd (the "
            "outcome's between-participant SD in the same units) to plan from them, or use SMDs."
        )
    assumptions.append(
        f"the pooled {ma.measure} is in instrument units: divided by the outcome SD {args.sd:g} (--sd) to "
        "give a standardised effect"
    )
    return float(args.sd)


def _solve(args: argparse.Namespace, d: float | None):
    from ..planning import power_ancova, power_change_score, power_mmrm, power_ttest

    if d is None or args.alpha is None:  # sensitivity (the effect) or the size of the test is solved for
        power = args.power if args.power is not None else DEFAULTS["power"]
    else:
        power = None if args.n is not None else (args.power if args.power is not None else DEFAULTS["power"])
    common = dict(
        effect_size=d, n=args.n, power=power, alpha=args.alpha, alternative=args.alternative, ratio=args.ratio
    )
    if args.design == "ttest":
        if args.type != "two-sample" or args.n2 is not None:
            del common["ratio"]
        return power_ttest(**common, type=args.type, n2=args.n2)
    if args.design == "ancova":
        return power_ancova(**common, r=args.r, dropout=args.dropout)
    if args.design == "change":
        return power_change_score(**common, r=args.r, dropout=args.dropout)
    return power_mmrm(**common, r=args.r, n_visits=args.visits, dropout=args.dropout)


def _check_ttest_arguments(args: argparse.Namespace, sensitivity: bool) -> None:
    """--type, --n2 and --alpha solve: the t-test designs of power_ttest, refused where they do not apply."""
    if args.design != "ttest":
        used = [f for f, on in (("--type", args.type != "two-sample"), ("--n2", args.n2 is not None),
                                ("--alpha solve", args.alpha is None)) if on]
        if used:
            raise ValueError(f"{', '.join(used)}: for --design ttest only (the t-test designs of power_ttest); "
                             f"--design {args.design} has none.")
    if args.n2 is not None and (args.type != "two-sample" or args.ratio != DEFAULTS["ratio"]):
        raise ValueError("--n2 fixes group 2 of a two-sample t test; it replaces --ratio and does not apply to "
                         f"--type {args.type}.")
    if args.type != "two-sample":
        if args.ratio != DEFAULTS["ratio"]:
            raise ValueError(f"--ratio does not apply to --type {args.type} (one group of n).")
        if args.from_registry or args.from_csv is not None:
            raise ValueError(
                f"--type {args.type} plans a single-group study, but --from-registry/--from-csv give a between-arm "
                "effect; give --effect-size (the mean of the differences over their SD) instead."
            )
    if args.alpha is None and (sensitivity or args.n is None or args.power is None):
        raise ValueError("--alpha solve needs --n, --power and an effect (--effect-size or --effect with --sd).")


def _check_arguments(args: argparse.Namespace) -> bool:
    """Refuse contradictory or incomplete flags before any work; True in the sensitivity mode (only --n)."""
    sources = [
        args.effect_size is not None,
        args.effect is not None,
        bool(args.from_registry),
        args.from_csv is not None,
    ]
    sensitivity = sum(sources) == 0 and args.n is not None
    if sum(sources) != 1 and not sensitivity:
        raise ValueError(
            "give exactly one effect source: --effect-size, --effect (with --sd), --from-registry "
            "or --from-csv (or only --n, for the minimum detectable effect at that n)."
        )
    if args.sd is not None and not args.sd > 0:
        raise ValueError(f"--sd must be a positive SD in scale units; got {args.sd:g}.")
    _check_ttest_arguments(args, sensitivity)
    if args.n is not None and args.power is not None and not sensitivity and args.alpha is not None:
        raise ValueError("give --n (power is solved for) or --power (n is solved for), not both.")
    if args.measure is not None and args.from_csv is None:
        raise ValueError("--measure names the measure of a --from-csv file's effects; it applies to nothing else.")
    if args.sd is not None and args.effect_size is not None and not args.instrument:
        raise ValueError(
            "--sd converts effects in instrument units, but --effect-size is already standardised; drop --sd "
            "(or give --instrument as well to translate the result into scale units)."
        )
    if args.effect is not None and args.sd is None:
        raise ValueError("--effect is in scale units: give --sd too (or use --effect-size).")
    if args.from_csv is not None and not Path(args.from_csv).is_file():
        raise ValueError(f"--from-csv {args.from_csv}: no such file.")
    if args.from_registry or args.from_csv is not None:
        from ..kernels.tau2 import TAU2
        from ..validators import check_option

        check_option("--method", args.method, list(TAU2))
    if args.instrument is not None:
        from ..planning.scales import check_instrument

        check_instrument(args.instrument, name="--instrument")
    return sensitivity


def _planning_effect(
    args: argparse.Namespace, sensitivity: bool, assumptions: list[str], rows: list[tuple[str, Any]]
) -> tuple[float | None, Any, float | None]:
    """The standardised effect to plan for (None in the sensitivity mode), the meta-analysis behind it (or
    None) and the outcome SD that converted raw-scale evidence (or None); says each step in ``assumptions``.
    """
    if sensitivity:
        assumptions.append(f"sensitivity analysis: {args.n:g} {_per(args)}; the effect is solved for")
        return None, None, None
    if args.effect is not None:
        d = abs(args.effect) / args.sd
        assumptions.append(f"effect {abs(args.effect):g} scale units / SD {args.sd:g} = standardised {d:.3f}")
        return d, None, None
    if args.effect_size is not None:
        assumptions.append(f"standardised effect (SMD) {args.effect_size:g}")
        return args.effect_size, None, None
    try:
        ma, label, ids = _evidence(args)
    except _NoEvidence as exc:
        if not args.from_registry:
            raise ValueError(f"{exc}; give --effect-size instead.") from None
        return _mcid_plan(args, str(exc), assumptions), None, None
    outcome_sd = _evidence_scale(args, ma, assumptions)
    d = abs(float(ma.estimate)) / (outcome_sd or 1.0)
    assumptions.append(
        f"effect from a {ma.method} meta-analysis of {ma.k} trial(s) ({label}; {ids}): "
        f"{ma.measure or 'SMD'} {ma.estimate:.3f} (95% CI {ma.ci_low:.3f} to {ma.ci_high:.3f}), tau2 "
        f"{ma.tau2:.3f}" + (f"; standardised effect {d:.3f}" if outcome_sd else "")
    )
    rows += [("evidence_k", ma.k), ("evidence_estimate", ma.estimate), ("evidence_se", ma.se),
             ("evidence_tau2", ma.tau2)]
    assumptions += evidence_caution(ma)
    return d, ma, outcome_sd


def _result_lines(
    args: argparse.Namespace, res: Any, sensitivity: bool, n_rec: int, rows: list[tuple[str, Any]]
) -> list[str]:
    """The result: the sensitivity verdict (with --n only), n and power, the difference in scale units."""
    from ..planning import mcid_effect_size, to_scale_units
    from ..planning.scales import scale_unit

    lines = []
    if sensitivity:
        lines.append(
            f"Sensitivity: with {args.n:g} {_per(args)} the minimum detectable standardised effect is "
            f"{abs(res.effect_size):.3f} (power {res.power:.0%}, alpha {res.alpha:g} {res.alternative})."
        )
        if args.instrument and args.sd:
            try:
                m = mcid_effect_size(args.instrument, args.sd)
                lines.append(
                    f"The MCID of {args.instrument} is a standardised {abs(m):.3f}: this n "
                    + ("can" if abs(res.effect_size) <= abs(m) else "can NOT")
                    + " detect an effect as small as the MCID."
                )
            except ValueError as exc:
                lines.append(f"MCID: {exc}")
    alpha = f", alpha {res.alpha:.4g} (solved for)" if args.alpha is None else ""
    if _single_group(args):
        lines.append(
            f"Result: {res.n_per_arm} {_UNITS[args.type]} analysed (n = {res.n:.2f} unrounded), power "
            f"{res.power:.3f}, standardised effect {abs(res.effect_size):.3f}{alpha}; recruit {n_rec}."
        )
    else:
        rec2 = math.ceil(res.ratio * n_rec - 1e-9)
        n2 = math.ceil(res.n2 - 1e-9)
        who, rand = (
            ("analysed per arm", f"{n_rec} per arm") if n2 == res.n_per_arm and rec2 == n_rec
            else (f"analysed in group 1 and {n2} in group 2", f"{n_rec} to group 1 and {rec2} to group 2")
        )
        lines.append(
            f"Result: {res.n_per_arm} {who} (n = {res.n:.2f} unrounded), power {res.power:.3f}, standardised "
            f"effect {abs(res.effect_size):.3f}{alpha}; randomise {rand} ({n_rec + rec2} in total)."
        )
    if args.instrument and args.sd:
        raw = to_scale_units(abs(res.effect_size), args.sd, args.instrument)
        unit = scale_unit(args.instrument)
        lines.append(f"On {args.instrument} (SD {args.sd:g}) the detectable difference is {raw:+.2f} {unit}.")
        rows.append(("difference_scale_units", raw))
    return lines


_UNITS = {"paired": "pairs", "one-sample": "participants"}


def _single_group(args: argparse.Namespace) -> bool:
    """A paired or one-sample t test: one group of n (pairs), no arms, no allocation ratio."""
    return args.design == "ttest" and args.type != "two-sample"


def _per(args: argparse.Namespace) -> str:
    return f"{_UNITS[args.type]} analysed" if _single_group(args) else "analysed per arm"


def _assurance_lines(
    args: argparse.Namespace, ma: Any, outcome_sd: float | None, rows: list[tuple[str, Any]]
) -> list[str]:
    """The n that reaches the target assurance (power averaged over the evidence's predictive distribution)."""
    from ..planning import n_for_assurance

    design = "ancova" if args.design == "ancova" else "ttest"
    # success is the plan's own test finding an effect in the evidence's direction: a one-sided test at alpha
    # is the directional half of a two-sided test at 2 alpha (the size n_for_assurance takes)
    one_sided = args.alternative != "two-sided"
    try:
        ar = n_for_assurance(ma, target=args.assurance, alpha=2 * args.alpha if one_sided else args.alpha,
                             design=design, r=args.r, ratio=args.ratio, outcome_sd=outcome_sd)
    except ValueError as exc:
        return [f"Assurance: {exc}"]
    rows += [("assurance_n_per_arm", ar.n_per_arm), ("assurance", ar.assurance),
             ("max_assurance", ar.max_assurance)]
    return [
        f"Assurance (power averaged over the predictive distribution, SD {ar.predictive_sd:.3f}; success: the "
        f"{'one' if one_sided else 'two'}-sided test at alpha {args.alpha:g}): "
        f"{ar.n_per_arm} per arm reach {ar.assurance:.0%} (at most {ar.max_assurance:.0%})."
    ]


def _update_lines(
    args: argparse.Namespace, ma: Any, outcome_sd: float | None, rows: list[tuple[str, Any]]
) -> list[str]:
    """The size of a new trial that makes the updated meta-analysis exclude no effect (and the MCID)."""
    from ..planning import mcid_effect_size, n_for_conclusive_update

    lines = []
    thresholds = [("no effect", 0.0)]
    if args.instrument and args.sd:
        try:
            mcid = mcid_effect_size(args.instrument, args.sd)
            thresholds.append(("the MCID", math.copysign(mcid, float(ma.estimate))))
        except ValueError as exc:
            lines.append(f"MCID: {exc}")
    for name, thr in thresholds:
        key = f"update_n_per_arm_{'null' if thr == 0 else 'mcid'}"
        try:
            up = n_for_conclusive_update(ma, threshold=thr, outcome_sd=outcome_sd)
        except ValueError as exc:
            lines.append(f"Updated meta-analysis excludes {name}: {exc}")
            continue
        rows.append((key, up.n_per_arm))
        if up.n_per_arm == 0:
            lines.append(_already_excludes(name, thr, float(ma.estimate) / (outcome_sd or 1.0)))
        else:
            lines.append(
                f"Updated meta-analysis excludes {name}: a new trial of {up.n_per_arm} per arm, if it "
                f"observes the current estimate (pooled SE {up.updated_se:.3f})."
            )
    return lines


def _already_excludes(name: str, threshold: float, estimate: float) -> str:
    """What an interval that already excludes ``threshold`` says: an effect beyond it, or one smaller than it
    (the interval, which holds the estimate, lies on the estimate's side of the threshold).
    """
    if threshold == 0:
        return f"The current meta-analysis already excludes {name} (at 95%)."
    if abs(estimate) > abs(threshold):
        return f"The current meta-analysis already excludes {name} (at 95%): its whole interval lies beyond it."
    return (
        f"The current meta-analysis already excludes {name} (at 95%) from below: its whole interval lies between "
        f"no effect and {name}, so the effect is smaller than {name}."
    )


def _write_outputs(args: argparse.Namespace, res: Any, rows: list[tuple[str, Any]]) -> None:
    """--plot: the power curves; --out: the tidy CSV (complete or absent) and the script recomputing it."""
    import pandas as pd

    if args.plot:
        files = write_power_curves(args, res, _solve, args.plot)
        print("wrote " + ", ".join(str(f) for f in files))
    if args.out:
        if Path(args.out).exists() and not getattr(args, "force", False):
            raise FileExistsError(f"--out {args.out} exists; not overwritten. Choose another name or pass --force.")
        tmp = Path(f"{args.out}.part")
        pd.DataFrame({"quantity": [k for k, _ in rows], "value": [str(v) for _, v in rows]}).to_csv(
            tmp, index=False, lineterminator="\n"
        )
        tmp.replace(args.out)  # complete or absent, never half-written
        print(f"wrote {args.out}")
        script = Path(args.out).with_suffix(".py")
        script.write_text(res.to_script(), encoding="utf-8")
        print(f"wrote {script} (recomputes the power calculation: python {script})")


def _check_one_sided_direction(args: argparse.Namespace, ma: Any) -> None:
    """A one-sided test looks one way: refuse an expected effect (``--effect`` or the evidence's estimate,
    both signed) that points the other way, instead of planning with its magnitude in the wrong direction.
    """
    if args.alternative == "two-sided":
        return
    if args.effect is not None:
        value, what = float(args.effect), f"--effect {args.effect:g}"
    elif ma is not None:
        value, what = float(ma.estimate), f"the evidence's pooled estimate {float(ma.estimate):.3f}"
    else:
        return
    if value == 0 or (value > 0) == (args.alternative == "greater"):
        return
    other = "less" if args.alternative == "greater" else "greater"
    oriented = f" (oriented: positive favours {ma.favours})" if ma is not None and ma.favours else ""
    raise ValueError(
        f"--alternative {args.alternative} tests for a {'positive' if args.alternative == 'greater' else 'negative'} "
        f"difference, but {what}{oriented} is {'negative' if value < 0 else 'positive'}: the trial would be "
        f"powered to detect an effect in the other direction. Use --alternative {other} (the effect's own "
        "direction) or two-sided."
    )


def run_plan(args: argparse.Namespace) -> int:
    """Handler of ``retrostats plan``: print the plan and optionally write the CSV, its script and curves."""
    from ..planning import inflate_for_attrition, to_scale_units

    sensitivity = _check_arguments(args)
    rows: list[tuple[str, Any]] = []
    assumptions: list[str] = []
    d, ma, outcome_sd = _planning_effect(args, sensitivity, assumptions, rows)
    _check_one_sided_direction(args, ma)
    if args.alternative == "less" and d is not None and args.effect_size is None:
        d = -abs(d)  # magnitudes (--effect, evidence) point the way the one-sided test looks; a signed
        # --effect-size is the user's own and must agree with --alternative (power_* refuses a contradiction)
    res = _solve(args, d)
    assumptions += assumption_lines(args, res)
    rows += [(k, v) for k, v in res.to_frame().iloc[0].items()]
    n_rec = inflate_for_attrition(res.n, args.dropout) if args.design != "mmrm" else res.n_per_arm
    rows.append(("n_randomise_per_arm", n_rec))
    lines = _result_lines(args, res, sensitivity, n_rec, rows)
    if ma is not None:
        lines += _assurance_lines(args, ma, outcome_sd, rows) + _update_lines(args, ma, outcome_sd, rows)
    print("Trial plan (retrostats plan)")
    print("Assumptions:")
    for a in assumptions:
        print(f"  - {a}")
    for line in lines:
        print(line)
    raw = to_scale_units(abs(res.effect_size), args.sd, args.instrument) if args.instrument and args.sd else None
    print("Sentence for the protocol / grant:")
    print(f"  {protocol_sentence(args, res, raw, n_rec if args.design != 'mmrm' else None)}")
    _write_outputs(args, res, rows)
    return 0
