"""Effect-size kernels: metafor 3.8 ``escalc`` definitions (default ``vtype``) and pre-post-control designs.

NumPy/SciPy only, arrays in and arrays out. Inputs are assumed valid (the frame API in
``retrostats.effects`` validates them); every function is vectorised over studies.

Each measure is a small function returning ``(yi, vi)`` and registered in :data:`MEASURES`, with the
arguments it needs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from . import _dist

__all__ = [
    "cmi",
    "md",
    "smd",
    "smdh",
    "rom",
    "mc",
    "smcc",
    "smcr",
    "t_to_smd",
    "t_from_p",
    "smd_ppc2",
    "md_ancova",
    "normal_ci",
    "MEASURES",
]

Array = np.ndarray


def cmi(m: Array) -> Array:
    """Exact small-sample correction ``c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))`` (Hedges 1981).

    NaN where ``m <= 1`` (as metafor's ``.cmicalc``).

    Examples
    --------
    >>> float(np.round(cmi(np.array([38.0]))[0], 6))
    0.980111
    """
    m = np.asarray(m, dtype=float)
    half = np.where(m > 1, m / 2, np.nan)  # elementwise: cheaper than finding the distinct sizes first
    return np.exp(special.gammaln(half) - 0.5 * np.log(half) - special.gammaln(half - 0.5))


def _pooled_sd(sd1: Array, n1: Array, sd2: Array, n2: Array) -> Array:
    return np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))


def md(m1: Array, sd1: Array, n1: Array, m2: Array, sd2: Array, n2: Array) -> tuple[Array, Array]:
    """Raw mean difference, ``vtype="LS"``: ``vi = sd1^2/n1 + sd2^2/n2``."""
    return m1 - m2, sd1**2 / n1 + sd2**2 / n2


def smd(m1: Array, sd1: Array, n1: Array, m2: Array, sd2: Array, n2: Array, c: Array | None = None
        ) -> tuple[Array, Array]:
    """Hedges' g with the exact correction; ``vtype="LS"``: ``vi = 1/n1 + 1/n2 + yi^2 / (2 (n1 + n2))``.

    ``c`` is ``cmi(n1 + n2 - 2)`` when the caller already has it (e.g. computed once per distinct size).
    """
    d = (m1 - m2) / _pooled_sd(sd1, n1, sd2, n2)
    yi = (cmi(n1 + n2 - 2) if c is None else c) * d
    return yi, 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))


def smdh(m1: Array, sd1: Array, n1: Array, m2: Array, sd2: Array, n2: Array, c: Array | None = None
         ) -> tuple[Array, Array]:
    """SMD with heteroscedastic SDs (Bonett 2008), metafor's ``vtype="LS"`` (``c`` as in :func:`smd`)."""
    c = cmi(n1 + n2 - 2) if c is None else c
    s2 = sd1**2 + sd2**2
    yi = c * (m1 - m2) / np.sqrt(s2 / 2)
    vi = yi**2 * (sd1**4 / (n1 - 1) + sd2**4 / (n2 - 1)) / (2 * s2**2) + (
        sd1**2 / (n1 - 1) + sd2**2 / (n2 - 1)
    ) / (s2 / 2)
    return yi, c**2 * vi


def rom(m1: Array, sd1: Array, n1: Array, m2: Array, sd2: Array, n2: Array) -> tuple[Array, Array]:
    """Log ratio of means (Hedges et al. 1999), ``vtype="LS"``."""
    return np.log(m1 / m2), sd1**2 / (n1 * m1**2) + sd2**2 / (n2 * m2**2)


def mc(m1: Array, m2: Array, sd1: Array, sd2: Array, n: Array, ri: Array) -> tuple[Array, Array]:
    """Raw mean change: ``vi = (sd1^2 + sd2^2 - 2 ri sd1 sd2) / n``."""
    return m1 - m2, (sd1**2 + sd2**2 - 2 * ri * sd1 * sd2) / n


def smcc(m1: Array, m2: Array, sd1: Array, sd2: Array, n: Array, ri: Array) -> tuple[Array, Array]:
    """Standardized mean change, change-score standardisation (Gibbons et al. 1993), ``vtype="LS"``."""
    sdd = np.sqrt(sd1**2 + sd2**2 - 2 * ri * sd1 * sd2)
    yi = cmi(n - 1) * (m1 - m2) / sdd
    return yi, 1 / n + yi**2 / (2 * n)


def smcr(m1: Array, m2: Array, sd1: Array, n: Array, ri: Array) -> tuple[Array, Array]:
    """Standardized mean change, raw-score standardisation by ``sd1`` (Becker 1988), ``vtype="LS"``."""
    yi = cmi(n - 1) * (m1 - m2) / sd1
    return yi, 2 * (1 - ri) / n + yi**2 / (2 * n)


def t_to_smd(t: Array, n1: Array, n2: Array) -> tuple[Array, Array]:
    """SMD from a two-sample t statistic, as metafor ``escalc("SMD", ti=, n1i=, n2i=)``.

    ``d = t sqrt(1/n1 + 1/n2)``, corrected by the exact ``c(n1 + n2 - 2)``, ``vtype="LS"``.
    """
    d = t * np.sqrt(1 / n1 + 1 / n2)
    yi = cmi(n1 + n2 - 2) * d
    return yi, 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))


def t_from_p(p: Array, df: Array | None = None) -> Array:
    """Absolute t (or z when ``df`` is None) whose two-sided p-value is ``p``."""
    p = np.asarray(p, dtype=float)
    if df is None:
        return _dist.norm_isf(p / 2)
    return _dist.t_isf(p / 2, df)


def smd_ppc2(
    m1_pre: Array,
    m1_post: Array,
    sd1_pre: Array,
    n1: Array,
    m2_pre: Array,
    m2_post: Array,
    sd2_pre: Array,
    n2: Array,
    ri: Array,
) -> tuple[Array, Array]:
    """Pre-post-control SMD standardised by the pooled baseline SD (Morris 2008, d_ppc2).

    ``yi = c(n1 + n2 - 2) [(m1_post - m1_pre) - (m2_post - m2_pre)] / sd_pre_pooled`` with the exact
    correction; ``vi = 2 (1 - ri) (1/n1 + 1/n2) + yi^2 / (2 (n1 + n2))`` (the large-sample variance used
    in metafor's worked example of Morris 2008).
    """
    sdp = _pooled_sd(sd1_pre, n1, sd2_pre, n2)
    yi = cmi(n1 + n2 - 2) * ((m1_post - m1_pre) - (m2_post - m2_pre)) / sdp
    return yi, 2 * (1 - ri) * (1 / n1 + 1 / n2) + yi**2 / (2 * (n1 + n2))


def md_ancova(
    m1_pre: Array,
    m1_post: Array,
    sd1_pre: Array,
    sd1_post: Array,
    n1: Array,
    m2_pre: Array,
    m2_post: Array,
    sd2_pre: Array,
    sd2_post: Array,
    n2: Array,
    ri: Array,
) -> tuple[Array, Array, Array]:
    """Baseline-adjusted (ANCOVA) mean difference reconstructed from arm summaries and r.

    With the within-arm baseline-outcome correlation ``ri`` in both arms, the pooled within-arm sums of
    squares and products determine the ANCOVA fit exactly (the pseudo-IPD argument of Papadimitropoulou
    et al. 2020): slope ``b = Sxy / Sxx``, estimate ``(m1_post - m2_post) - b (m1_pre - m2_pre)``,
    residual variance ``s2 = (Syy - Sxy^2 / Sxx) / (n1 + n2 - 3)`` and
    ``vi = s2 (1/n1 + 1/n2 + (m1_pre - m2_pre)^2 / Sxx)``. Returns ``(yi, vi, df)``.
    """
    sxx = (n1 - 1) * sd1_pre**2 + (n2 - 1) * sd2_pre**2
    sxy = ri * ((n1 - 1) * sd1_pre * sd1_post + (n2 - 1) * sd2_pre * sd2_post)
    syy = (n1 - 1) * sd1_post**2 + (n2 - 1) * sd2_post**2
    b = sxy / sxx
    dx = m1_pre - m2_pre
    yi = (m1_post - m2_post) - b * dx
    df = n1 + n2 - 3
    s2 = (syy - sxy**2 / sxx) / df
    return yi, s2 * (1 / n1 + 1 / n2 + dx**2 / sxx), df


def normal_ci(yi: Array, vi: Array, confidence_level: float = 0.95) -> tuple[Array, Array, Array]:
    """``(sei, ci_low, ci_high)`` with normal quantiles, as metafor's ``summary.escalc``."""
    sei = np.sqrt(vi)
    z = -special.ndtri((1 - confidence_level) / 2)  # = stats.norm.isf, without the wrapper's overhead
    return sei, yi - z * sei, yi + z * sei


#: measure -> (kernel, argument names in the order the kernel takes them)
MEASURES: dict[str, tuple[Callable[..., tuple[Array, Array]], tuple[str, ...]]] = {
    "MD": (md, ("m1", "sd1", "n1", "m2", "sd2", "n2")),
    "SMD": (smd, ("m1", "sd1", "n1", "m2", "sd2", "n2")),
    "SMDH": (smdh, ("m1", "sd1", "n1", "m2", "sd2", "n2")),
    "ROM": (rom, ("m1", "sd1", "n1", "m2", "sd2", "n2")),
    "MC": (mc, ("m1", "m2", "sd1", "sd2", "n", "ri")),
    "SMCC": (smcc, ("m1", "m2", "sd1", "sd2", "n", "ri")),
    "SMCR": (smcr, ("m1", "m2", "sd1", "n", "ri")),
}
