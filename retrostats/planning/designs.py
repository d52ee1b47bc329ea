"""Further designs: three arms with multiplicity, non-inferiority, equivalence (TOST), attrition,
precision (CI half-width with assurance). MMRM with monotone dropout is in :mod:`.mmrm_power`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from .._display import ResultDisplay
from ..kernels._lazy_stats import stats
from ..kernels.power import dunnett_critical, solve_increasing, t_power_at, tost_power
from ..provenance import Provenance, make_provenance
from ..validators import check_confidence_level, check_interval, check_option, check_probability
from ._result import PowerResult, check_inputs, solve_design
from .mmrm_power import power_mmrm  # noqa: F401 - moved; importable from here as before
from .simulation import check_dropout, check_r

__all__ = [
    "power_three_arm",
    "power_noninferiority",
    "power_equivalence",
    "inflate_for_attrition",
    "n_for_precision",
    "PrecisionResult",
]


def power_three_arm(
    effect_size: float | None = None,
    n: float | None = None,
    power: float | None = None,
    *,
    alpha: float = 0.05,
    adjustment: str = "dunnett",
    n_comparisons: int = 2,
    r: float | None = None,
) -> PowerResult:
    """Per-comparison power of a three-arm trial (e.g. retro, forward, control) with equal arms.

    Each comparison (e.g. retro vs control) is a two-sided t test using the pooled SD of all three arms
    (``3n - 3`` df, or ``3n - 4`` with a baseline covariate), against a critical value adjusted for
    ``n_comparisons`` tests:

    - ``"dunnett"``: Dunnett's (1955) exact many-to-one critical value, correlation 1/2 between two
      comparisons sharing the control (strong familywise error control);
    - ``"bonferroni"``: ``t_{1 - alpha / (2 m)}``; also a lower bound on the power of Holm's procedure
      for each comparison;
    - ``"none"``: ``t_{1 - alpha/2}``.

    The power reported is that of the one comparison with standardised effect ``effect_size``.
    With ``r`` given, the comparison is adjusted for baseline (design factor ``1 - r^2``, Borm 2007).

    References
    ----------
    Dunnett, C. W. (1955). A multiple comparison procedure for comparing several treatments with a
    control. JASA 50, 1096-1121. https://doi.org/10.1080/01621459.1955.10501294

    Examples
    --------
    >>> res = power_three_arm(effect_size=0.5, power=0.8, adjustment="dunnett")
    >>> res.n_per_arm, power_three_arm(effect_size=0.5, power=0.8, adjustment="none").n_per_arm
    (76, 64)
    """
    adjustment = check_option("adjustment", adjustment, ("dunnett", "bonferroni", "none"))
    m = int(check_interval("n_comparisons", n_comparisons, 1, None, integer=True))
    if r is not None:
        r = check_r(r)
    effect_size, n, power, alpha, _, _, solved_for = check_inputs(
        effect_size, n, power, alpha, "two-sided", 1.0
    )
    if effect_size is not None:
        effect_size = abs(effect_size)
    factor = 1.0 - (r or 0.0) ** 2
    extra_df = 1.0 if r is not None else 0.0

    def crit(df: float) -> float:
        if adjustment == "dunnett":
            return dunnett_critical(m, df, alpha, 0.5)
        if adjustment == "bonferroni":
            return float(stats.t.isf(alpha / (2.0 * m), df))
        return float(stats.t.isf(alpha / 2.0, df))

    def fn(d: float, n1: float) -> float:
        df = 3.0 * n1 - 3.0 - extra_df
        return float(t_power_at(d / math.sqrt(factor * 2.0 / n1), df, crit(df)))

    params = {"arms": 3, "adjustment": adjustment, "n_comparisons": m}
    if r is not None:
        params["r"] = r
    return solve_design(
        fn,
        effect_size=effect_size,
        n=n,
        power=power,
        alpha=alpha,
        alternative="two-sided",
        ratio=1.0,
        solved_for=solved_for,
        n_min=2.0 + extra_df,
        design="three-arm trial",
        method=f"noncentral t against a {adjustment} critical value",
        parameters=params,
        function="power_three_arm",
        effect_max=50.0,
    )


def _shifted(result: PowerResult, shift: float, **params) -> PowerResult:
    return dataclasses.replace(
        result, effect_size=result.effect_size - shift, parameters={**result.parameters, **params}
    )


def power_noninferiority(
    effect_size: float | None = None,
    n: float | None = None,
    power: float | None = None,
    *,
    margin: float,
    alpha: float = 0.025,
    ratio: float = 1.0,
) -> PowerResult:
    """Non-inferiority of group 1 to group 2 with margin ``margin`` (standardised, > 0).

    ``effect_size`` is the true standardised difference (group 1 minus group 2, higher is better; flip
    signs for outcomes where lower is better, such as pain). H0: difference <= -margin, tested one-sided
    at ``alpha`` (0.025 by convention): the t test of ``difference + margin > 0``.

    Examples
    --------
    >>> round(power_noninferiority(effect_size=0.0, power=0.8, margin=0.3).n, 2)
    175.38
    """
    margin = check_interval("margin", margin, 0.0, None, low_inclusive=False)
    from .ttest import power_ttest

    shift = None if effect_size is None else check_interval("effect_size", effect_size) + margin
    if shift is not None and shift <= 0:
        raise ValueError(
            f"effect_size = {effect_size:g} is at or below -margin ({-margin:g}): "
            "non-inferiority cannot be shown. Use a true difference above -margin."
        )
    res = power_ttest(effect_size=shift, n=n, power=power, alpha=alpha, alternative="greater", ratio=ratio)
    res = dataclasses.replace(
        res, design="non-inferiority trial", method="one-sided noncentral t of difference + margin (as pwr)"
    )
    return _shifted(res, margin, margin=margin)


def power_equivalence(
    effect_size: float | None = None,
    n: float | None = None,
    power: float | None = None,
    *,
    margin: float,
    alpha: float = 0.05,
    ratio: float = 1.0,
) -> PowerResult:
    """Equivalence within ``(-margin, margin)`` by two one-sided tests (TOST), exact power.

    ``effect_size`` is the true standardised difference (often 0). When solving for the effect size, the
    positive root is returned (power is symmetric in the effect).

    Examples
    --------
    >>> round(power_equivalence(effect_size=0.0, n=100, margin=0.4).power, 4)
    0.7596
    >>> power_equivalence(effect_size=0.0, power=0.8, margin=0.5).n_per_arm
    70
    """
    margin = check_interval("margin", margin, 0.0, None, low_inclusive=False)
    effect_size, n, power, alpha, _, ratio, solved_for = check_inputs(
        effect_size, n, power, alpha, "two-sided", ratio
    )
    if effect_size is not None and abs(effect_size) >= margin and solved_for == "n":
        raise ValueError(
            f"|effect_size| = {abs(effect_size):g} is not inside the margin {margin:g}: "
            "equivalence cannot be shown with any n."
        )

    def pw(d: float, n1: float) -> float:
        return tost_power(abs(d), margin, n1, ratio * n1, alpha)

    params = {"margin": margin}
    common = dict(
        alpha=alpha,
        alternative="two-sided",
        ratio=ratio,
        design="equivalence trial (TOST)",
        method="exact TOST power (Phillips 1990)",
        parameters=params,
        function="power_equivalence",
        n_min=2.0 / min(1.0, ratio),
    )
    if solved_for != "effect_size":
        return solve_design(
            pw, effect_size=effect_size, n=n, power=power, solved_for=solved_for, zero_effect_ok=True, **common
        )
    # power decreases in |d|: solve margin - |d| as the increasing quantity
    if pw(0.0, n) < power:
        raise ValueError(
            f"power {power:g} is not reached even at a true difference of 0 with n = {n:g}; "
            "increase n or the margin."
        )
    x = solve_increasing(lambda g: pw(margin - g, n), power, 1e-12, margin)
    res = solve_design(pw, effect_size=margin - x, n=n, power=None, solved_for="power", **common)
    return dataclasses.replace(res, power=power, solved_for="effect_size")


def inflate_for_attrition(n: float, dropout: float) -> int:
    """Participants to randomise so that ``n`` remain after a proportion ``dropout`` is lost.

    ``ceil(n / (1 - dropout))``; the usual rule (not ``n (1 + dropout)``, which under-recruits).

    Examples
    --------
    >>> inflate_for_attrition(64, 0.2)
    80
    """
    n = check_interval("n", n, 0.0, None, low_inclusive=False)
    dropout = check_dropout(dropout)
    return int(math.ceil(n / (1.0 - dropout) - 1e-9))


@dataclass(frozen=True)
class PrecisionResult(ResultDisplay):
    """Sample size for a target confidence-interval half-width of a mean difference.

    Attributes
    ----------
    n, n2 : int
        Group sizes (group 2 = ceil(ratio * n)).
    half_width : float
        Target half-width, in the units of ``sd``.
    expected_half_width : float
        Half-width if the sample SD equals ``sd``.
    assurance : float
        Probability that the realised half-width is at most ``half_width``.
    confidence_level, sd, ratio : float
    provenance : Provenance
        The call.
    """

    _summary_title = "Sample size for a target precision"

    n: int
    n2: int
    half_width: float
    expected_half_width: float
    assurance: float
    confidence_level: float
    sd: float
    ratio: float
    provenance: Provenance | None = field(default=None, repr=False, compare=False)


def n_for_precision(
    half_width: float,
    *,
    sd: float = 1.0,
    confidence_level: float = 0.95,
    assurance: float | None = None,
    ratio: float = 1.0,
) -> PrecisionResult:
    """Smallest n whose CI for the mean difference has half-width at most ``half_width``.

    The half-width is ``t_{(1+cl)/2, df} s sqrt(1/n + 1/n2)``. Without ``assurance`` the sample SD ``s``
    is set to ``sd``; with ``assurance = g`` the n is the smallest with
    ``P(half-width <= half_width) >= g``, using ``s^2 ~ sd^2 chi2_df / df`` (Kupper & Hafner 1989).

    References
    ----------
    Kupper, L. L., & Hafner, K. B. (1989). How appropriate are popular sample size formulas? The American
    Statistician 43, 101-105. https://doi.org/10.1080/00031305.1989.10475628

    Examples
    --------
    >>> res = n_for_precision(0.5, sd=2.0, assurance=0.8)
    >>> res.n, round(res.assurance, 3) >= 0.8
    (134, True)
    """
    half_width = check_interval("half_width", half_width, 0.0, None, low_inclusive=False)
    sd = check_interval("sd", sd, 0.0, None, low_inclusive=False)
    cl = check_confidence_level(confidence_level)
    ratio = check_interval("ratio", ratio, 0.0, None, low_inclusive=False)
    if assurance is not None:
        assurance = check_probability("assurance", assurance)

    def sizes(n1: int) -> tuple[int, int, float, float]:
        n2 = int(math.ceil(ratio * n1 - 1e-9))
        df = n1 + n2 - 2.0
        t = float(stats.t.isf((1.0 - cl) / 2.0, df))
        c = math.sqrt(1.0 / n1 + 1.0 / n2)
        expected = t * sd * c
        prob = float(stats.chi2.cdf(df * (half_width / (t * sd * c)) ** 2, df))
        return n2, expected, prob, df

    def ok(n1: int) -> bool:
        _, expected, prob, df = sizes(n1)
        return df >= 1 and (prob >= assurance if assurance is not None else expected <= half_width)

    lo, hi = 2, 4
    while not ok(hi):  # exponential then binary search over whole n (monotone)
        lo, hi = hi, hi * 2
        if hi > 1e9:
            raise ValueError("half_width is too small to reach with n up to 1e9.")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    n1 = lo if ok(lo) else hi
    n2, expected, prob, _ = sizes(n1)
    return PrecisionResult(
        n=n1,
        n2=n2,
        half_width=half_width,
        expected_half_width=expected,
        assurance=prob,
        confidence_level=cl,
        sd=sd,
        ratio=ratio,
        provenance=make_provenance(
            "n_for_precision",
            {"half_width": half_width, "sd": sd, "confidence_level": cl, "assurance": assurance, "ratio": ratio},
        ),
    )
