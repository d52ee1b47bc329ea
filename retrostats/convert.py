"""Conversions for incompletely reported trials: SDs from SEs and CIs, SEs from p-values, means and SDs from
medians, combined arms, change-score SDs and imputed correlations.

Every function takes scalars or array-likes (broadcast together), validates its input up front, and returns
a float when every input is a scalar, otherwise a NumPy array.

Examples
--------
>>> from retrostats import convert
>>> round(convert.sd_from_se(0.5, 25), 6)
2.5
>>> round(convert.change_sd(2.38, 2.21, 0.68), 4)
1.8426
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .exceptions import DataError
from .kernels import _dist
from .kernels import escalc as K
from .kernels._lazy_stats import stats
from .validators import as_float_array, check_confidence_level, check_option

__all__ = [
    "sd_from_se",
    "sd_from_md_se",
    "pooled_sd",
    "sd_from_ci",
    "se_from_p",
    "se_from_ci",
    "mean_from_median",
    "sd_from_median",
    "median_scenario",
    "skewness_test",
    "combine_groups",
    "change_sd",
    "correlation_from_sds",
    "MEAN_METHODS",
    "SD_METHODS",
]

MEAN_METHODS = ("luo", "wan")
SD_METHODS = ("wan", "shi", "luo")


def _arrays(**named: tuple[Any, dict[str, Any]]) -> tuple[bool, list[np.ndarray]]:
    """Validate each named input (value, constraints) and broadcast them; report whether all were scalars."""
    scalar = all(np.ndim(v) == 0 for v, _ in named.values() if v is not None)
    out = []
    for name, (value, rules) in named.items():
        if value is None:
            out.append(None)
            continue
        out.append(as_float_array(name, np.atleast_1d(np.asarray(value, dtype=object)), **rules))
    present = [a for a in out if a is not None]
    try:
        shaped = np.broadcast_arrays(*present)
    except ValueError:
        lengths = {n: (None if v is None else np.size(v)) for n, (v, _) in named.items()}
        raise DataError(f"inputs must have the same length (or be scalars); got lengths {lengths}.") from None
    it = iter(shaped)
    return scalar, [None if a is None else np.array(next(it), dtype=float) for a in out]


def _ret(scalar: bool, x: np.ndarray) -> Any:
    return float(x[0]) if scalar else x


def sd_from_se(se: Any, n: Any) -> Any:
    """SD of a group mean from its standard error: ``sd = se * sqrt(n)``.

    References: Cochrane Handbook, section 6.5.2.2.

    Examples
    --------
    >>> sd_from_se([0.4, 1.0], [25, 16])
    array([2., 4.])
    """
    scalar, (se_, n_) = _arrays(se=(se, {"positive": True}), n=(n, {"low": 1}))
    return _ret(scalar, se_ * np.sqrt(n_))


def sd_from_md_se(se: Any, n: Any) -> Any:
    """Outcome SD implied by the SE of a two-arm mean difference with equal arms: ``sd = se * sqrt(n) / 2``.

    ``n`` is the total of the two arms; with ``n / 2`` per arm, ``se = sd * sqrt(2 / (n / 2)) = 2 sd / sqrt(n)``.
    Unequal arms make the implied SD slightly smaller than this (``se / sqrt(1/n1 + 1/n2)``).

    References: Cochrane Handbook, section 6.5.2.3.

    Examples
    --------
    >>> sd_from_md_se(0.5, 64)
    2.0
    """
    scalar, (se_, n_) = _arrays(se=(se, {"positive": True}), n=(n, {"low": 2}))
    return _ret(scalar, se_ * np.sqrt(n_) / 2.0)


def pooled_sd(sd: Any, df: Any = None) -> float:
    """One SD from several groups' SDs: ``sqrt(sum(df * sd**2) / sum(df))``; the root mean square without ``df``.

    With ``df = n - 1`` per group this is the usual pooled within-group SD (equal means assumed); without
    weights every group counts the same, which suits SDs of groups of similar size.

    Raises
    ------
    DataError
        An SD is not positive or a weight is not positive.

    Examples
    --------
    >>> pooled_sd([3.0, 4.0])  # sqrt((9 + 16) / 2)
    3.5355339059327378
    >>> round(pooled_sd([3.0, 4.0], df=[9, 29]), 4)
    3.7871
    """
    scalar, (sd_, df_) = _arrays(sd=(sd, {"positive": True}), df=(df, {"positive": True}))
    if df_ is None:
        return float(np.sqrt(np.mean(sd_**2)))
    return float(np.sqrt(np.sum(df_ * sd_**2) / np.sum(df_)))


def sd_from_ci(
    ci_low: Any, ci_high: Any, n: Any, confidence_level: float = 0.95, distribution: str = "t"
) -> Any:
    """SD of a group mean from its confidence interval.

    ``sd = sqrt(n) (ci_high - ci_low) / (2 q)`` with ``q`` the ``1 - (1 - confidence_level)/2`` quantile of
    t with ``n - 1`` df (``distribution="t"``, for small samples) or of the normal (``"normal"``).

    Notes
    -----
    Cochrane Handbook 5.1, section 7.7.3.2 (6.5.2.2 in version 6): for a group of 25 the divisor 3.92 is
    replaced by 2 x 2.0639 = 4.128. Validated against R ``qt``/``qnorm`` (tests/reference/r/escalc.R).

    Examples
    --------
    >>> round(sd_from_ci(3.0, 5.0, 25), 4)
    2.4226
    >>> round(sd_from_ci(3.0, 5.0, 25, distribution="normal"), 4)
    2.5511
    """
    cl = check_confidence_level(confidence_level)
    check_option("distribution", distribution, ("t", "normal"))
    scalar, (lo, hi, n_) = _arrays(ci_low=(ci_low, {}), ci_high=(ci_high, {}), n=(n, {"low": 2}))
    bad = np.flatnonzero(~(hi > lo))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"ci_high must exceed ci_low; row {i} has ci_low={lo[i]!r}, ci_high={hi[i]!r}.")
    a = (1 - cl) / 2
    q = _dist.t_isf(a, n_ - 1) if distribution == "t" else np.full(n_.shape, _dist.norm_isf(a))
    return _ret(scalar, np.sqrt(n_) * (hi - lo) / (2 * q))


def se_from_ci(ci_low: Any, ci_high: Any, confidence_level: float = 0.95, df: Any = None) -> Any:
    """SE of an estimate from its symmetric confidence interval (t with ``df``, normal when None).

    Examples
    --------
    >>> round(se_from_ci(-1.96, 1.96), 6)
    1.0
    """
    cl = check_confidence_level(confidence_level)
    scalar, (lo, hi, d) = _arrays(ci_low=(ci_low, {}), ci_high=(ci_high, {}), df=(df, {"positive": True}))
    bad = np.flatnonzero(~(hi > lo))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"ci_high must exceed ci_low; row {i} has ci_low={lo[i]!r}, ci_high={hi[i]!r}.")
    q = K.t_from_p(1 - cl, d)  # the quantile whose two-sided tail is 1 - confidence_level
    return _ret(scalar, (hi - lo) / (2 * q))


def se_from_p(estimate: Any, p_value: Any, df: Any = None) -> Any:
    """SE of an estimate from its exact two-sided p-value: ``se = |estimate| / q(1 - p/2)``.

    ``q`` is the t quantile with ``df`` degrees of freedom, or the normal quantile when ``df`` is None.
    Only exact p-values can be used: "p < 0.05" gives no SE.

    Notes
    -----
    Cochrane Handbook 5.1, section 7.7.3.3 (6.5.2.3 in version 6): P = 0.008 with 45 df gives t = 2.78,
    and a mean difference of 3.8 gives SE = 3.8 / 2.78 = 1.37.

    Examples
    --------
    >>> round(se_from_p(3.8, 0.008, df=45), 2)
    1.37
    """
    scalar, (est, p, d) = _arrays(
        estimate=(estimate, {}),
        p_value=(p_value, {"low": 0, "high": 1, "low_inclusive": False, "high_inclusive": False}),
        df=(df, {"positive": True}),
    )
    zero = np.flatnonzero(est == 0)
    if zero.size:
        raise DataError(
            f"estimate is 0 in row {int(zero[0])}; a p-value cannot give the SE of a zero estimate."
        )
    return _ret(scalar, np.abs(est) / K.t_from_p(p, d))


def _xi(n: np.ndarray) -> np.ndarray:
    # expected range of n standard normals, Wan et al. (2014) eq. 7
    return 2 * stats.norm.ppf((n - 0.375) / (n + 0.25))


def _eta(n: np.ndarray) -> np.ndarray:
    # expected interquartile range of n standard normals, Wan et al. (2014) eq. 13
    return 2 * stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25))


def _summaries(median, q1, q3, minimum, maximum, n):
    scalar, arrs = _arrays(
        median=(median, {}),
        q1=(q1, {"allow_nan": True}),
        q3=(q3, {"allow_nan": True}),
        minimum=(minimum, {"allow_nan": True}),
        maximum=(maximum, {"allow_nan": True}),
        n=(n, {"low": 3}),
    )
    m, a1, a3, lo, hi, n_ = (np.full_like(arrs[0], np.nan) if a is None else a for a in arrs)
    has_iqr = ~np.isnan(a1) & ~np.isnan(a3)
    has_rng = ~np.isnan(lo) & ~np.isnan(hi)
    for i in np.flatnonzero(~has_iqr & ~has_rng):
        raise DataError(f"row {int(i)} needs q1 and q3, or minimum and maximum, besides the median.")
    for i in np.flatnonzero(has_iqr & ~((a1 <= m) & (m <= a3) & (a1 < a3))):
        raise DataError(
            f"quartiles must satisfy q1 <= median <= q3 and q1 < q3; row {int(i)} has "
            f"q1={a1[i]!r}, median={m[i]!r}, q3={a3[i]!r}."
        )
    for i in np.flatnonzero(has_rng & ~((lo <= m) & (m <= hi) & (lo < hi))):
        raise DataError(
            f"range must satisfy minimum <= median <= maximum and minimum < maximum; row {int(i)} "
            f"has minimum={lo[i]!r}, median={m[i]!r}, maximum={hi[i]!r}."
        )
    return scalar, m, a1, a3, lo, hi, n_, has_iqr, has_rng


def median_scenario(q1: Any = None, q3: Any = None, minimum: Any = None, maximum: Any = None) -> Any:
    """Which summaries are given: ``"S1"`` (min, median, max), ``"S2"`` (all five), ``"S3"`` (quartiles).

    Examples
    --------
    >>> median_scenario(q1=1.0, q3=3.0)
    'S3'
    """

    def has(v):
        return v is not None and not np.all(np.isnan(np.asarray(v, dtype=float)))

    iqr, rng = has(q1) and has(q3), has(minimum) and has(maximum)
    return "S2" if iqr and rng else ("S3" if iqr else ("S1" if rng else "none"))


def mean_from_median(
    median: Any,
    *,
    q1: Any = None,
    q3: Any = None,
    minimum: Any = None,
    maximum: Any = None,
    n: Any,
    method: str = "luo",
) -> Any:
    """Estimate a sample mean from the median and quartiles and/or range (normal data assumed).

    The formula is chosen per row from what is given: S1 = {min, median, max}, S2 = all five,
    S3 = {q1, median, q3}.

    - ``"luo"`` (Luo et al. 2018): S1 ``w (a + b)/2 + (1 - w) m`` with ``w = 4 / (4 + n^0.75)``;
      S2 ``w1 (a + b)/2 + w2 (q1 + q3)/2 + (1 - w1 - w2) m`` with ``w1 = 2.2 / (2.2 + n^0.75)``,
      ``w2 = 0.7 - 0.72 / n^0.55``; S3 ``w (q1 + q3)/2 + (1 - w) m`` with ``w = 0.7 + 0.39 / n``.
    - ``"wan"`` (Wan et al. 2014): S1 ``(a + 2m + b)/4``; S2 ``(a + 2 q1 + 2m + 2 q3 + b)/8``;
      S3 ``(q1 + m + q3)/3``.

    References
    ----------
    Luo D, Wan X, Liu J, Tong T (2018). Stat Methods Med Res 27:1785-1805. doi:10.1177/0962280216669183
    Wan X, Wang W, Liu J, Tong T (2014). BMC Med Res Methodol 14:135. doi:10.1186/1471-2288-14-135

    Examples
    --------
    >>> round(mean_from_median(10.0, q1=8.0, q3=13.0, n=50), 4)
    10.3539
    >>> round(mean_from_median(10.0, q1=8.0, q3=13.0, n=50, method="wan"), 4)
    10.3333
    """
    check_option("method", method, MEAN_METHODS)
    scalar, m, a1, a3, lo, hi, n_, has_iqr, has_rng = _summaries(median, q1, q3, minimum, maximum, n)
    mid_r, mid_q = (lo + hi) / 2, (a1 + a3) / 2
    if method == "luo":
        w = 4 / (4 + n_**0.75)
        s1 = w * mid_r + (1 - w) * m
        w1, w2 = 2.2 / (2.2 + n_**0.75), 0.7 - 0.72 / n_**0.55
        s2 = w1 * mid_r + w2 * mid_q + (1 - w1 - w2) * m
        w3 = 0.7 + 0.39 / n_
        s3 = w3 * mid_q + (1 - w3) * m
    else:
        s1 = (lo + 2 * m + hi) / 4
        s2 = (lo + 2 * a1 + 2 * m + 2 * a3 + hi) / 8
        s3 = (a1 + m + a3) / 3
    out = np.where(has_iqr & has_rng, s2, np.where(has_iqr, s3, s1))
    return _ret(scalar, out)


def sd_from_median(
    median: Any,
    *,
    q1: Any = None,
    q3: Any = None,
    minimum: Any = None,
    maximum: Any = None,
    n: Any,
    method: str = "wan",
) -> Any:
    """Estimate a sample SD from the quartiles and/or range and the sample size (normal data assumed).

    - ``"wan"`` (Wan et al. 2014): S1 ``(b - a) / xi(n)``; S2 ``(b - a)/(2 xi(n)) + (q3 - q1)/(2 eta(n))``;
      S3 ``(q3 - q1) / eta(n)``, with ``xi(n) = 2 Phi^-1((n - 0.375)/(n + 0.25))`` and
      ``eta(n) = 2 Phi^-1((0.75 n - 0.125)/(n + 0.25))``.
    - ``"shi"`` (Shi et al. 2020): as Wan in S1 and S3; in S2 ``w (b - a)/xi(n) + (1 - w)(q3 - q1)/eta(n)``
      with ``w = 1 / (1 + 0.07 n^0.6)``.
    - ``"luo"``: Luo et al. (2018) estimate only the mean and pair it with Wan's SD; ``"luo"`` gives Wan's
      SD so that a method label can be used for both the mean and the SD.

    ``median`` is used only to check the summaries are ordered.

    References
    ----------
    Wan et al. (2014), doi:10.1186/1471-2288-14-135; Shi J, Luo D, Weng H, et al. (2020). Res Synth Methods
    11:641-654. doi:10.1002/jrsm.1429

    Examples
    --------
    >>> round(sd_from_median(10.0, q1=8.0, q3=13.0, n=50), 4)
    3.8165
    """
    check_option("method", method, SD_METHODS)
    scalar, m, a1, a3, lo, hi, n_, has_iqr, has_rng = _summaries(median, q1, q3, minimum, maximum, n)
    xi, eta = _xi(n_), _eta(n_)
    s1 = (hi - lo) / xi
    s3 = (a3 - a1) / eta
    if method == "shi":
        w = 1 / (1 + 0.07 * n_**0.6)
        s2 = w * (hi - lo) / xi + (1 - w) * (a3 - a1) / eta
    else:
        s2 = (hi - lo) / (2 * xi) + (a3 - a1) / (2 * eta)
    out = np.where(has_iqr & has_rng, s2, np.where(has_iqr, s3, s1))
    return _ret(scalar, out)


def skewness_test(
    median: Any, *, q1: Any = None, q3: Any = None, minimum: Any = None, maximum: Any = None, n: Any
) -> dict[str, Any]:
    """Test for skewness from the median summaries at the 0.05 level (Shi et al. 2023).

    Statistics ``T1 = (a + b - 2m)/(b - a)`` (range given), ``T2 = (q1 + q3 - 2m)/(q3 - q1)`` (quartiles
    given) and, with all five, ``max(2.65 log(0.6 n)/sqrt(n) |T1|, |T2|)``; critical values
    ``1/log(n + 9) + 2.5/(n + 1)``, ``2.65/sqrt(n) - 6/n^2`` and ``3/sqrt(n) - 40/n^3``.
    When ``skewed`` is True, converting to a mean and SD is questionable.

    Returns
    -------
    dict with ``statistic``, ``critical_value``, ``skewed`` (bool) and ``scenario``, each a float/bool or
    an array.

    References
    ----------
    Shi J, Luo D, Wan X, et al. (2023). Stat Methods Med Res 32:1338-1360. doi:10.1177/09622802231172043

    Examples
    --------
    >>> res = skewness_test(10.0, q1=9.5, q3=16.0, n=30)
    >>> bool(res["skewed"])
    True
    """
    scalar, m, a1, a3, lo, hi, n_, has_iqr, has_rng = _summaries(median, q1, q3, minimum, maximum, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        t1 = (lo + hi - 2 * m) / (hi - lo)
        t2 = (a1 + a3 - 2 * m) / (a3 - a1)
        t_all = np.maximum(2.65 * np.log(0.6 * n_) / np.sqrt(n_) * np.abs(t1), np.abs(t2))
    both = has_iqr & has_rng
    stat = np.where(both, t_all, np.where(has_iqr, np.abs(t2), np.abs(t1)))
    crit = np.where(
        both,
        3 / np.sqrt(n_) - 40 / n_**3,
        np.where(has_iqr, 2.65 / np.sqrt(n_) - 6 / n_**2, 1 / np.log(n_ + 9) + 2.5 / (n_ + 1)),
    )
    scen = np.where(both, "S2", np.where(has_iqr, "S3", "S1"))
    skewed = stat > crit
    if scalar:
        return {
            "statistic": float(stat[0]),
            "critical_value": float(crit[0]),
            "skewed": bool(skewed[0]),
            "scenario": str(scen[0]),
        }
    return {"statistic": stat, "critical_value": crit, "skewed": skewed, "scenario": scen}


def combine_groups(n1: Any, mean1: Any, sd1: Any, n2: Any, mean2: Any, sd2: Any) -> tuple[Any, Any, Any]:
    """Combine two arms into one (Cochrane Handbook, Table 6.5.a; 5.1 Table 7.7.a).

    ``n = n1 + n2``, ``mean = (n1 m1 + n2 m2)/n`` and
    ``sd = sqrt(((n1 - 1) sd1^2 + (n2 - 1) sd2^2 + n1 n2 (m1 - m2)^2 / n) / (n - 1))``, which is the SD of
    the pooled sample.

    Examples
    --------
    >>> n, m, s = combine_groups(10, 5.0, 1.0, 10, 7.0, 1.0)
    >>> n, m, round(s, 4)
    (20.0, 6.0, 1.4142)
    """
    scalar, (a, ma, sa, b, mb, sb) = _arrays(
        n1=(n1, {"low": 1}),
        mean1=(mean1, {}),
        sd1=(sd1, {"nonnegative": True}),
        n2=(n2, {"low": 1}),
        mean2=(mean2, {}),
        sd2=(sd2, {"nonnegative": True}),
    )
    n = a + b
    mean = (a * ma + b * mb) / n
    sd = np.sqrt(((a - 1) * sa**2 + (b - 1) * sb**2 + a * b / n * (ma - mb) ** 2) / (n - 1))
    return _ret(scalar, n), _ret(scalar, mean), _ret(scalar, sd)


def _r_rules() -> dict[str, Any]:
    return {"low": -1, "high": 1, "low_inclusive": False, "high_inclusive": False}


def change_sd(sd_baseline: Any, sd_final: Any, r: Any) -> Any:
    """SD of change scores: ``sqrt(sd_b^2 + sd_f^2 - 2 r sd_b sd_f)`` (Cochrane Handbook 6.5.2.8).

    Notes
    -----
    Cochrane Handbook 5.1, section 16.4.6.4 (cross-over example): SDs 2.38 and 2.21 with r = 0.68 give
    an SD of differences whose SE with n = 10 is 0.583.

    Examples
    --------
    >>> round(change_sd(2.38, 2.21, 0.68) / 10**0.5, 3)
    0.583
    """
    scalar, (sb, sf, rr) = _arrays(
        sd_baseline=(sd_baseline, {"positive": True}),
        sd_final=(sd_final, {"positive": True}),
        r=(r, _r_rules()),
    )
    return _ret(scalar, np.sqrt(sb**2 + sf**2 - 2 * rr * sb * sf))


def correlation_from_sds(sd_baseline: Any, sd_final: Any, sd_change: Any) -> Any:
    """Correlation implied by a trial reporting baseline, final and change SDs (Cochrane Handbook 6.5.2.8).

    ``r = (sd_b^2 + sd_f^2 - sd_c^2) / (2 sd_b sd_f)``; a value outside [-1, 1] means the three SDs are
    inconsistent and raises a DataError.

    Examples
    --------
    >>> round(correlation_from_sds(2.38, 2.21, change_sd(2.38, 2.21, 0.68)), 10)
    0.68
    """
    scalar, (sb, sf, sc) = _arrays(
        sd_baseline=(sd_baseline, {"positive": True}),
        sd_final=(sd_final, {"positive": True}),
        sd_change=(sd_change, {"positive": True}),
    )
    r = (sb**2 + sf**2 - sc**2) / (2 * sb * sf)
    bad = np.flatnonzero(np.abs(r) > 1)
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"the SDs in row {i} imply r = {r[i]:.3f}, outside [-1, 1]: sd_change={sc[i]!r} is "
            f"inconsistent with sd_baseline={sb[i]!r} and sd_final={sf[i]!r}."
        )
    return _ret(scalar, r)
