"""Exact power of the two-sample t test (R ``pwr.t.test`` / ``pwr.t2n.test``)."""

from __future__ import annotations

import math

import numpy as np

from ..kernels.power import t_power, t_power_point, two_sample_ncp
from ._result import PowerResult
from ._vector import grid_inputs, solve_grid

__all__ = ["power_ttest"]


def power_ttest(
    effect_size: float | None = None,
    n: float | None = None,
    power: float | None = None,
    alpha: float | None = 0.05,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    *,
    type: str = "two-sample",  # noqa: A002 - pwr's argument name
    n2: float | None = None,
) -> PowerResult:
    """Power or sample size of a t test (two-sample, one-sample or paired), solving for the one quantity
    left as None.

    Parameters
    ----------
    effect_size : float or array-like, optional
        Cohen's d, the mean difference (group 1 minus group 2) over the common SD. Must be negative under
        ``alternative="less"`` and positive under ``"greater"``; its sign is ignored when two-sided.
    n : float, optional
        Participants in group 1 (may be fractional).
    power : float, optional
        Target power, strictly between ``alpha`` and 1.
    alpha : float or None
        Size of the test; None solves for it (all of ``effect_size, n, power`` given), as pwr's
        ``sig.level = NULL``.
    alternative : {"two-sided", "less", "greater"}
        scipy's words; pwr's ``"two.sided"``, ``"less"``, ``"greater"``.
    ratio : float
        Allocation ratio ``n2 / n``; ``ratio=1`` is pwr.t.test, any other value pwr.t2n.test with
        ``n1 = n, n2 = ratio * n``.
    type : {"two-sample", "one-sample", "paired"}
        pwr.t.test's ``type``. One-sample and paired: ``n`` observations (pairs), noncentral t with
        ``n - 1`` df and noncentrality ``d sqrt(n)``; ``d`` is the mean (of the paired differences) over its
        SD (``ratio`` and ``n2`` do not apply).
    n2 : float, optional
        A fixed group-2 size (two-sample only): pwr.t2n.test with ``n1 = n`` and this ``n2``; solving for
        ``n`` then finds ``n1`` given ``n2``. The result's ``ratio`` is ``n2 / n``.

    Any of ``effect_size, n, power, alpha, ratio`` may be arrays (for the default two-sample design with
    ``alpha`` given; ``type``, ``n2`` and ``alpha=None`` take scalars): they broadcast into a grid that is solved
    in one vectorised pass, and the result's numeric fields are arrays of the grid's shape, each point equal
    to the scalar call with that point's values.

    Returns
    -------
    PowerResult
        Fields ``effect_size, n`` (group 1, unrounded), ``n2`` (``ratio * n``), ``power, alpha,
        alternative, ratio, solved_for``; ``n_per_arm``/``n_total`` round up; ``sentence()`` writes the
        protocol sentence.

    Raises
    ------
    ValueError
        If not exactly one of ``effect_size, n, power, alpha`` is None, if ``power <= alpha``, if the sign of
        ``effect_size`` contradicts a one-sided ``alternative``, or if no solution exists.

    Notes
    -----
    The statistic is noncentral t with ``n + n2 - 2`` df and noncentrality
    ``d / sqrt(1/n + 1/n2)``. Two-sided power is ``P(T > t_{1-alpha/2}) + P(T < -t_{1-alpha/2})``, the
    pwr convention (both tails). Unknowns are found by Chandrupatla's bracketed method (inverse quadratic
    interpolation with bisection) on the exact power function with tolerance 1e-13 relative (pwr uses
    ``uniroot`` with its default tolerance ~1.2e-4), starting from the normal approximation.

    Validated against R pwr 1.3.0 (``tests/reference/r/pwr_ttest.R``) over a grid of n, d, power, alpha,
    ratio and alternatives, and cross-checked with statsmodels ``TTestIndPower`` and pingouin
    ``power_ttest``/``power_ttest2n``.

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences (2nd ed.), chapter 2.
    Champely, S. (2020). pwr: Basic Functions for Power Analysis. R package version 1.3-0.

    Examples
    --------
    >>> res = power_ttest(effect_size=0.5, power=0.8)
    >>> round(res.n, 4), res.n_per_arm
    (63.7656, 64)
    >>> round(power_ttest(effect_size=0.5, n=64).power, 4)
    0.8015
    >>> round(power_ttest(n=40, power=0.9, ratio=2).effect_size, 4)
    0.6329
    >>> round(power_ttest(effect_size=0.5, power=0.8, type="paired").n, 4)
    33.3672
    >>> round(power_ttest(effect_size=0.5, power=0.8, n2=100).n, 4)
    46.6653
    >>> round(power_ttest(effect_size=0.5, n=64, power=0.9, alpha=None).alpha, 4)
    0.1251
    >>> power_ttest(effect_size=[0.3, 0.5, 0.8], power=0.8).n_per_arm.tolist()
    [176, 64, 26]
    """
    if type != "two-sample" or n2 is not None or alpha is None:
        from .ttest_designs import power_t_design

        return power_t_design(effect_size, n, power, alpha, alternative, ratio, type, n2)
    values, shape, solved_for, alternative = grid_inputs(effect_size, n, power, alpha, alternative, ratio)
    alpha_, ratio_ = values["alpha"], values["ratio"]

    def fn(d, n1, sel):
        r = ratio_[sel]
        return t_power(two_sample_ncp(d, n1, r * n1), n1 * (1.0 + r) - 2.0, alpha_[sel], alternative)

    r1, a1 = float(ratio_[0]), float(alpha_[0])

    def fn_one(d: float, n1: float) -> float:  # fn for one point, on floats: the same operations
        # (solve_grid calls it inside np.errstate(over="ignore"), as t_power_point needs)
        return t_power_point(d / math.sqrt(1.0 / n1 + 1.0 / (r1 * n1)), n1 * (1.0 + r1) - 2.0, a1, alternative)

    return solve_grid(
        fn,
        values,
        shape=shape,
        alternative=alternative,
        solved_for=solved_for,
        n_min=2.0 / np.minimum(1.0, ratio_),  # both groups at least 2, as pwr.t2n.test requires
        var_factor=np.ones(1),
        design="two-sample t-test",
        method="noncentral t (as R pwr.t.test / pwr.t2n.test)",
        parameters={},
        function="power_ttest",
        power_one=fn_one,
    )
