"""MMRM sample size with monotone dropout (Lu, Luo & Chen 2008; R longpower ``power.mmrm``): group-specific
correlation, retention and SD, normal or t quantiles, solving for effect size, n, power or alpha.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..kernels.power import mmrm_phi, solve_increasing, z_power
from ..kernels.power_t_designs import mmrm_t_power
from ..validators import check_interval, check_option, check_probability
from ._result import PowerResult, check_inputs, solve_design
from .simulation import check_dropout, check_r, visit_correlation

__all__ = ["power_mmrm"]


def _corr(corr, r, n_visits: int, correlation: str, name: str) -> np.ndarray:
    if corr is None:
        if r is None:
            raise ValueError(f"give the visit correlation: {name} (a matrix) or r (with n_visits, correlation).")
        corr = visit_correlation(n_visits, check_r(r), correlation)
    corr = np.asarray(corr, dtype=float)
    if corr.ndim != 2 or corr.shape[0] != corr.shape[1] or not np.allclose(corr, corr.T, atol=1e-12):
        raise ValueError(f"{name} must be a symmetric square matrix; got shape {corr.shape}.")
    if not np.allclose(np.diag(corr), 1.0, atol=1e-12):
        raise ValueError(f"{name} must be a correlation matrix (ones on the diagonal).")
    if np.linalg.eigvalsh(corr)[0] <= 0:
        raise ValueError(f"{name} is not positive definite; check the correlations.")
    return corr


def power_mmrm(
    effect_size: float | None = None,
    n: float | None = None,
    power: float | None = None,
    *,
    corr: np.ndarray | None = None,
    r: float | None = None,
    n_visits: int = 4,
    correlation: str = "cs",
    retention: np.ndarray | None = None,
    retention2: np.ndarray | None = None,
    dropout: float | None = None,
    alpha: float | None = 0.05,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    corr2: np.ndarray | None = None,
    r2: float | None = None,
    sd_ratio: float = 1.0,
    sd_combination: str = "separate",
    distribution: str = "normal",
) -> PowerResult:
    """Power or sample size of the last-visit contrast of an MMRM with monotone dropout.

    Formula (3) of Lu, Luo & Chen (2008), as R longpower ``power.mmrm``: the variance of the last-visit
    difference is ``sigma1^2 (phi1 / n + s^2 phi2 / n2)`` with ``phi = [ (sum_j (r_j - r_{j+1})
    pad(R_{1:j}^{-1}))^{-1} ]_{JJ}`` for each group's visit correlation ``R`` and retention ``r_j``, and
    ``s = sd_ratio``. Power is ``Phi(|d| / se - z_{1 - alpha/2})`` (normal, one tail, as longpower; one-sided
    uses ``z_{1 - alpha}``), or with ``distribution="t"`` ``F_t(|d| / se - t_{1 - alpha/2, v}; v)`` with
    ``v = n + n2 - 2``. ``n`` is the group-1 (longpower's group a) size; ``ratio = n2 / n`` is
    ``1 / lambda`` in longpower.

    Parameters
    ----------
    effect_size : float, optional
        Last-visit mean difference over the group-1 outcome SD (longpower's ``delta / sigmaa``).
    n : float, optional
        Participants randomised to group 1 (longpower's ``n1``; its ``N`` is ``n + n2``).
    power : float, optional
        Target power.
    corr, corr2 : array, optional
        Visit correlation matrix of group 1 (longpower's ``Ra``) and group 2 (``Rb``, default ``corr``);
        otherwise built from ``r`` / ``r2``, ``n_visits`` and ``correlation`` (``"cs"`` or ``"ar1"``).
    r, r2 : float, optional
        Correlation parameter of group 1 / group 2 (``r2`` defaults to ``r``).
    n_visits : int
        Number of post-baseline visits when the matrices are built from ``r``.
    correlation : {"cs", "ar1"}
        Structure built from ``r`` / ``r2``.
    retention, retention2 : array, optional
        Proportion still observed at each visit in group 1 / group 2 (starting at 1). Default: linear
        from 1 to ``1 - dropout``.
    dropout : float, optional
        Proportion lost by the last visit (for the default retention).
    alpha : float or None
        Size of the test; None solves for it (longpower's ``sig.level = NULL``).
    alternative : {"two-sided", "less", "greater"}
        One-sided tests use ``z_{1 - alpha}`` (longpower's ``"one.sided"``).
    ratio : float
        ``n2 / n``.
    sd_ratio : float
        Group-2 outcome SD over group-1 SD (longpower's ``sigmab / sigmaa``).
    sd_combination : {"separate", "longpower"}
        ``"separate"`` (default): each group's variance uses its own SD, ``sigma1^2 phi1 / n +
        sigma2^2 phi2 / n2``, the variance of the difference of two independent group means.
        ``"longpower"``: both groups use the mean SD ``(sigma1 + sigma2) / 2``, as longpower does when
        ``sigmab`` is given. The two agree when ``sd_ratio = 1``.
    distribution : {"normal", "t"}
        ``"normal"``: longpower's formula. ``"t"``: t quantiles with ``n + n2 - 2`` df, the fixed point of
        the t-based formula in longpower's Table 1 example (which takes one step from the normal ``N``).

    Returns
    -------
    PowerResult
        ``parameters`` holds ``phi1, phi2`` and the assumptions.

    Raises
    ------
    ValueError
        If the correlation matrices are not positive definite correlation matrices, retention is not
        non-increasing from 1, or not exactly one of ``effect_size, n, power, alpha`` is None.

    Notes
    -----
    Validated against R longpower 1.0.27 ``power.mmrm`` / ``power.mmrm.ar1`` (built from the CRAN
    sources, ``tests/reference/r/longpower_mmrm.R``) with group-specific ``Ra``/``Rb``, ``ra``/``rb``,
    ``lambda`` and ``sigmab``, solving for each of N, power, delta and sig.level; the separate-SD and t
    forms against an independent R computation of the same closed form written from the paper; and
    by simulation of the known-covariance GLS estimator (``tests/test_planning_mmrm_power.py``).

    References
    ----------
    Lu, K., Luo, X., & Chen, P.-Y. (2008). Sample size estimation for repeated measures analysis in
    randomized clinical trials with missing data. Int J Biostat 4(1). https://doi.org/10.2202/1557-4679.1098
    Donohue, M. C. et al. longpower: Sample Size Calculations for Longitudinal Data. R package 1.0.27.

    Examples
    --------
    >>> R = np.full((4, 4), 0.25) + 0.75 * np.eye(4)
    >>> round(power_mmrm(effect_size=0.5, power=0.8, corr=R, retention=[1, 0.9, 0.8, 0.7]).n, 5)
    86.99175
    >>> res = power_mmrm(effect_size=0.5, power=0.8, r=0.25, retention=[1, 0.9, 0.8, 0.7], sd_ratio=1.5)
    >>> round(res.n, 3)
    141.362
    """
    J = int(check_interval("n_visits", n_visits, 1, None, integer=True))
    check_option("correlation", correlation, ("cs", "ar1"))
    sd_combination = check_option("sd_combination", sd_combination, ("separate", "longpower"))
    distribution = check_option("distribution", distribution, ("normal", "t"))
    sd_ratio = check_interval("sd_ratio", sd_ratio, 0.0, None, low_inclusive=False)
    corr = _corr(corr, r, J, correlation, "corr")
    J = corr.shape[0]
    corr_b = corr if (corr2 is None and r2 is None) else _corr(corr2, r2, J, correlation, "corr2")
    if corr_b.shape != corr.shape:
        raise ValueError(f"corr2 must be {J} x {J} like corr; got {corr_b.shape}.")
    drop = check_dropout(0.0 if dropout is None else dropout)

    def ret(x):
        v = np.linspace(1.0, 1.0 - drop, J) if x is None else np.asarray(x, dtype=float)
        if v.shape != (J,) or abs(v[0] - 1) > 1e-12 or np.any(np.diff(v) > 0) or v[-1] <= 0:
            raise ValueError(
                f"retention must have {J} values starting at 1, non-increasing, ending above 0; got {v.tolist()}."
            )
        return v

    ra, rb = ret(retention), ret(retention if retention2 is None else retention2)
    phia, phib = mmrm_phi(corr, ra), mmrm_phi(corr_b, rb)
    if sd_combination == "separate":
        wa, wb = phia, sd_ratio**2 * phib
    else:
        s2 = ((1.0 + sd_ratio) / 2.0) ** 2
        wa, wb = s2 * phia, s2 * phib

    solve_alpha = alpha is None
    if solve_alpha:
        if effect_size is None or n is None or power is None:
            raise ValueError("alpha=None solves for alpha: give all of effect_size, n and power.")
        power = check_probability("power", power)
        effect_size, n, _, _, alternative, ratio, _ = check_inputs(effect_size, n, None, 0.5, alternative, ratio)
        solved_for = "power"
    else:
        effect_size, n, power, alpha, alternative, ratio, solved_for = check_inputs(
            effect_size, n, power, alpha, alternative, ratio
        )
    one = "greater" if alternative == "two-sided" else alternative
    if alternative == "two-sided" and effect_size is not None:
        effect_size = abs(effect_size)

    def pw(d: float, n1: float, a: float) -> float:
        se = math.sqrt(wa / n1 + wb / (ratio * n1))
        if distribution == "t":
            z = d / se if one == "greater" else -d / se
            return float(mmrm_t_power(z, n1 * (1.0 + ratio) - 2.0, a, alternative))
        return float(z_power(d / se, a / 2.0 if alternative == "two-sided" else a, one))

    n_min = 1e-6 if distribution == "normal" else 2.0 / (1.0 + ratio) + 1e-9  # t needs df > 0
    if solve_alpha:
        if n < n_min:
            raise ValueError(f"n must be above {n_min:g} for this design; got {n:g}.")
        alpha = solve_increasing(lambda a: pw(effect_size, n, a), power, 1e-10, 1.0 - 1e-10)
        if alpha is None:
            raise ValueError(
                f"no alpha in [1e-10, 1 - 1e-10] gives power {power:g} with effect_size = {effect_size:g} "
                f"and n = {n:g}."
            )
    params = {"n_visits": J, "phi1": phia, "phi2": phib, "retention_last": float(ra[-1])}
    if sd_ratio != 1.0:
        params.update(sd_ratio=sd_ratio, sd_combination=sd_combination)
    if distribution == "t":
        params["distribution"] = "t"
    res = solve_design(
        lambda d, n1: pw(d, n1, alpha),
        effect_size=effect_size,
        n=n,
        power=None if solve_alpha else power,
        alpha=alpha,
        alternative=alternative,
        ratio=ratio,
        solved_for=solved_for,
        n_min=n_min,
        design="MMRM (last visit)",
        method=(
            "Lu, Luo & Chen (2008) formula 3, as longpower power.mmrm"
            + (" (t quantiles, n + n2 - 2 df)" if distribution == "t" else "")
        ),
        parameters=params,
        function="power_mmrm",
        effect_max=1e3,
        call={
            "r": r,
            "n_visits": J,
            "correlation": correlation,
            "dropout": dropout,
            **({"corr": corr} if r is None else {}),
            **({"retention": retention} if retention is not None else {}),
            **({"retention2": retention2} if retention2 is not None else {}),
            **({"r2": r2} if r2 is not None else {}),
            **({"corr2": corr_b} if corr2 is not None else {}),
            **({"sd_ratio": sd_ratio, "sd_combination": sd_combination} if sd_ratio != 1.0 else {}),
            **({"distribution": distribution} if distribution != "normal" else {}),
        },
    )
    return dataclasses.replace(res, solved_for="alpha") if solve_alpha else res
