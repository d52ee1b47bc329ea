"""One-sample and paired t designs, a fixed second-group size and solving for alpha (R ``pwr``).

:func:`retrostats.planning.power_ttest` hands over to :func:`power_t_design` when ``type`` is not
``"two-sample"``, when ``n2`` is fixed, or when ``alpha`` is left as None.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..kernels.power import solve_increasing
from ..kernels.power_t_designs import one_sample_power, two_sample_power_n1n2
from ..validators import check_option, check_probability
from ._result import PowerResult, check_inputs, solve_design

__all__ = ["power_t_design", "T_TYPES"]

#: the designs of ``pwr.t.test(type = ...)``, in scipy-style words
T_TYPES = ("two-sample", "one-sample", "paired")
_ALPHA_LO, _ALPHA_HI = 1e-10, 1.0 - 1e-10  # pwr's uniroot interval for sig.level


def power_t_design(
    effect_size: float | None,
    n: float | None,
    power: float | None,
    alpha: float | None,
    alternative: str,
    ratio: float,
    type: str,  # noqa: A002 - pwr's argument name
    n2: float | None,
) -> PowerResult:
    """The general t design behind :func:`power_ttest` (see its docstring for the arguments).

    ``type="one-sample"`` / ``"paired"``: noncentral t with ``n - 1`` df and noncentrality
    ``d sqrt(n)``; ``n`` counts observations (pairs), ``d`` is the mean (of the differences) over its
    SD. ``n2`` given: ``pwr.t2n.test`` with group 2 fixed at ``n2`` (``ratio`` is then ``n2 / n``).
    ``alpha=None``: the size at which the design reaches ``power`` (``pwr``'s ``sig.level = NULL``).
    """
    type = check_option("type", type, T_TYPES)  # noqa: A001
    given = {"effect_size": effect_size, "n": n, "power": power, "alpha": alpha, "ratio": ratio, "n2": n2}
    arrays = [k for k, v in given.items() if v is not None and np.ndim(v) > 0]
    if arrays:
        raise ValueError(
            f"{', '.join(arrays)} given as arrays: type=, n2= and alpha=None take scalars (arrays are "
            "supported for the two-sample design with alpha given). Call once per value."
        )
    solve_alpha = alpha is None
    if solve_alpha:
        if effect_size is None or n is None or power is None:
            raise ValueError(
                "alpha=None solves for alpha: give all of effect_size, n and power (or give alpha and "
                "leave one of them as None)."
            )
        power = check_probability("power", power)
        # validate the rest with power as the placeholder unknown
        effect_size, n, _, _, alternative, ratio, _ = check_inputs(effect_size, n, None, 0.5, alternative, ratio)
    else:
        effect_size, n, power, alpha, alternative, ratio, solved_for = check_inputs(
            effect_size, n, power, alpha, alternative, ratio
        )
    if alternative == "two-sided" and effect_size is not None:
        effect_size = abs(effect_size)
    paired = type != "two-sample"
    if paired and (ratio != 1.0 or n2 is not None):
        raise ValueError(f"type={type!r} has one sample: leave ratio at 1 and n2 unset.")
    if n2 is not None:
        if ratio != 1.0:
            raise ValueError("give either ratio (n2 = ratio * n) or a fixed n2, not both.")
        n2 = float(n2)
        if not (math.isfinite(n2) and n2 >= 2.0):
            raise ValueError(f"n2 must be a finite number of at least 2 (pwr.t2n.test); got {n2!r}.")

    def pw(d: float, n1: float, a: float) -> float:
        if paired:
            return float(one_sample_power(d, n1, a, alternative))
        return float(two_sample_power_n1n2(d, n1, n2 if n2 is not None else ratio * n1, a, alternative))

    design = {"two-sample": "two-sample t-test", "one-sample": "one-sample t-test", "paired": "paired t-test"}
    if paired:
        method = f'noncentral t with n - 1 df (as R pwr.t.test type = "{type.replace("-", ".")}")'
    else:
        method = (
            "noncentral t (as R pwr.t2n.test, group 2 fixed)"
            if n2 is not None
            else ("noncentral t (as R pwr.t.test / pwr.t2n.test)")
        )
    params = {"type": type} if paired else ({"n2_fixed": n2} if n2 is not None else {})
    call = {"type": type, **({"n2": n2} if n2 is not None else {})}

    if solve_alpha:
        if n < 2.0:
            raise ValueError(f"n must be at least 2 for this design; got {n:g}.")
        alpha = solve_increasing(lambda a: pw(effect_size, n, a), power, _ALPHA_LO, _ALPHA_HI)
        if alpha is None:
            raise ValueError(
                f"no alpha in [{_ALPHA_LO:g}, {_ALPHA_HI:g}] gives power {power:g} with effect_size = "
                f"{effect_size:g} and n = {n:g}: the power is already higher at alpha = {_ALPHA_LO:g}, "
                "or never reached."
            )
        solved_for = "power"
    res = solve_design(
        lambda d, n1: pw(d, n1, alpha),
        effect_size=effect_size,
        n=n,
        power=None if solve_alpha else power,
        alpha=alpha,
        alternative=alternative,
        ratio=ratio,
        solved_for=solved_for,
        n_min=2.0 if (paired or n2 is not None) else 2.0 / min(1.0, ratio),
        design=design[type],
        method=method,
        parameters=params,
        function="power_ttest",
        call=call,
    )
    if n2 is not None:
        res = dataclasses.replace(res, n2=n2, ratio=n2 / res.n)
    elif paired:
        res = dataclasses.replace(res, n2=0.0)
    if solve_alpha:
        res = dataclasses.replace(res, solved_for="alpha")
    return res
