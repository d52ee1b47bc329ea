"""Solving a whole grid of power calculations at once (``power_ttest``, ``power_ancova``, change scores).

Scalars and arrays take the same path: inputs are broadcast, flattened, validated in one pass and the missing
quantity is found by :func:`retrostats.kernels.power.solve_increasing_vec`, in which every grid point takes
exactly the steps it takes alone. A scalar call is a grid of one point, so grids equal one-at-a-time calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import special

from ..kernels.power import _solve_one as _solve_one_kernel
from ..kernels.power import solve_increasing_vec
from ..provenance import make_provenance
from ..validators import check_alternative
from ._result import _N_MAX, PowerResult, check_inputs

__all__ = ["grid_inputs", "solve_grid"]


def _where(i: int, shape: tuple) -> str:
    return "" if shape == () else f" (grid point {tuple(int(j) for j in np.unravel_index(i, shape))})"


def _first_bad(name: str, bad: np.ndarray, values: np.ndarray, shape: tuple, rule: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must {rule}; got {float(values[i])!r}{_where(i, shape)}.")


def grid_inputs(effect_size, n, power, alpha, alternative, ratio, extra: Mapping[str, Any] | None = None):
    """Validate and broadcast the arguments; returns ``(values, shape, solved_for, alternative)``.

    ``values`` maps ``effect_size, n, power, alpha, ratio`` (and the arrays of ``extra``) to flat float
    arrays of the broadcast grid (``None`` for the quantity solved for). Scalars go through
    :func:`retrostats.planning._result.check_inputs` (its messages); arrays are checked element-wise, naming
    the first offending grid point.
    """
    extra = dict(extra or {})
    named = {"effect_size": effect_size, "n": n, "power": power, "alpha": alpha, "ratio": ratio, **extra}
    _scalar = (float, int, type(None))
    if all(type(val) in _scalar or np.ndim(val) == 0 for val in named.values()):
        effect_size, n, power, alpha, alternative, ratio, solved_for = check_inputs(
            effect_size, n, power, alpha, alternative, ratio
        )
        vals = {"effect_size": effect_size, "n": n, "power": power, "alpha": alpha, "ratio": ratio, **extra}
        flat = {k: None if v is None else np.array([float(v)]) for k, v in vals.items()}
        return flat, (), solved_for, alternative
    missing = [k for k in ("effect_size", "n", "power") if named[k] is None]
    if len(missing) != 1:
        check_inputs(effect_size, n, power, 0.05, alternative, 1.0)  # raises with the scalar message
    alternative = check_alternative(alternative)
    arrays = {k: np.asarray(v, dtype=float) for k, v in named.items() if v is not None}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    flat = {k: np.broadcast_to(a, shape).ravel() for k, a in arrays.items()}
    for k in flat:
        _first_bad(k, np.isnan(flat[k]), flat[k], shape, "be a number")
    al = flat["alpha"]
    _first_bad("alpha", ~((al > 0) & (al < 1)), al, shape, "lie in (0, 1)")
    ra = flat["ratio"]
    _first_bad("ratio", ~((ra > 0) & np.isfinite(ra)), ra, shape, "be positive and finite")
    if "power" in flat:
        pw = flat["power"]
        _first_bad("power", ~((pw > 0) & (pw < 1)), pw, shape, "lie in (0, 1)")
        _first_bad("power", ~(pw > al), pw, shape, "exceed alpha (a test has power alpha without an effect)")
    if "effect_size" in flat:
        es = flat["effect_size"]
        _first_bad("effect_size", ~np.isfinite(es), es, shape, "be finite")
        if alternative == "greater":
            _first_bad("effect_size", es < 0, es, shape, "be positive under alternative='greater'")
        if alternative == "less":
            _first_bad("effect_size", es > 0, es, shape, "be negative under alternative='less'")
    if "n" in flat:
        _first_bad("n", ~((flat["n"] > 0) & np.isfinite(flat["n"])), flat["n"], shape, "be positive and finite")
    flat.update({k: None for k in missing})
    return flat, shape, missing[0], alternative


def solve_grid(
    power_fn: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    values: Mapping[str, np.ndarray | None],
    *,
    shape: tuple,
    alternative: str,
    solved_for: str,
    n_min: np.ndarray,
    var_factor: np.ndarray,
    design: str,
    method: str,
    parameters: Mapping[str, Any],
    function: str,
    effect_max: float = 1e3,
    power_one: Callable[[float, float], float] | None = None,
) -> PowerResult:
    """Solve ``power_fn(d, n1, sel) = power`` for the missing quantity at every grid point.

    ``power_fn`` evaluates grid points ``sel`` (flat indices) and must increase in ``n1`` and in ``|d|``
    (in the direction of the alternative). ``var_factor`` scales the normal-approximation starting guess
    (``1`` for the t test, ``1 - r^2`` for ANCOVA, ...); it changes where the bracket search starts, never
    the root. ``power_one(d, n1)``, optional, is ``power_fn`` for a one-point grid on floats (the same
    arithmetic, without NumPy's per-call cost).
    """
    d, n, power = values["effect_size"], values["n"], values["power"]
    alpha, ratio = values["alpha"], values["ratio"]
    size = alpha.size
    if shape == () and power_one is not None:  # one point: the same steps on floats
        d, n, power = _solve_point(power_one, values, alternative, solved_for, n_min, var_factor, effect_max)
        a, r = float(alpha[0]), float(ratio[0])
        params = dict(parameters)
        args = {"effect_size": d, "n": n, "power": power, "alpha": a, "alternative": alternative, "ratio": r}
        prov = make_provenance(function, {**args, **params}, np.array([d, n, power, a, r]))
        return PowerResult(d, n, r * n, power, a, alternative, r, solved_for, design, method, params, prov)
    n_min = n_min if np.shape(n_min) == (size,) else np.broadcast_to(n_min, (size,))
    if alternative == "two-sided" and d is not None:
        d = np.abs(d)
    every = np.arange(size)
    if n is not None:
        small = n < n_min
        if small.any():
            i = int(np.flatnonzero(small)[0])
            raise ValueError(
                f"n must be at least {n_min[i]:g} for this design (group 1); got {n[i]:g}{_where(i, shape)}."
            )
    if solved_for != "power":
        z_a = special.ndtri(1.0 - (alpha / 2.0 if alternative == "two-sided" else alpha))
    if solved_for == "power":
        power = np.asarray(power_fn(d, n, every), dtype=float)
    elif solved_for == "n":
        zero = d == 0
        if zero.any():
            raise ValueError(
                "effect_size is 0: no sample size gives power above alpha. Give a non-zero effect_size"
                f"{_where(int(np.flatnonzero(zero)[0]), shape)}."
            )
        lo = n_min * (1 + 1e-10)
        # normal approximation plus Guenther's (1981) t correction z^2/4: a start, never the answer
        guess = var_factor * (1.0 + 1.0 / ratio) * ((z_a + special.ndtri(power)) / d) ** 2 + z_a**2 / 4.0
        one = None if power_one is None or size != 1 else (lambda x: power_one(float(d[0]), x))
        n = solve_increasing_vec(lambda x, sel: power_fn(d[sel], x, sel), power, lo, _N_MAX, x0=guess, f_one=one)
        fail = np.isnan(n) | (n <= lo)
        if fail.any():
            i = int(np.flatnonzero(fail)[0])
            if power_fn(d[i : i + 1], lo[i : i + 1], every[i : i + 1])[0] >= power[i]:
                raise ValueError(
                    f"power {power[i]:g} is reached already at the smallest possible n ({n_min[i]:g} in group "
                    f"1); effect_size = {d[i]:g} is very large{_where(i, shape)}. Check the effect size (it is "
                    "standardised)."
                )
            raise ValueError(
                f"power {power[i]:g} is not reached with n up to {_N_MAX:g} per group for "
                f"effect_size = {d[i]:g}{_where(i, shape)}; the effect is too small to detect."
            )
    else:
        sign = -1.0 if alternative == "less" else 1.0
        guess = (z_a + special.ndtri(power)) * np.sqrt(var_factor * (1.0 / n + 1.0 / (ratio * n)))
        one = None if power_one is None or size != 1 else (lambda x: power_one(sign * x, float(n[0])))
        e = solve_increasing_vec(
            lambda x, sel: power_fn(sign * x, n[sel], sel), power, 1e-10, effect_max, x0=guess, f_one=one
        )
        fail = np.isnan(e)
        if fail.any():
            i = int(np.flatnonzero(fail)[0])
            raise ValueError(
                f"power {power[i]:g} is not reached for any effect size with n = {n[i]:g}{_where(i, shape)}; "
                "increase n."
            )
        d = sign * e
    params = dict(parameters)

    def out(a: np.ndarray):
        return float(a[0]) if shape == () else np.asarray(a, dtype=float).reshape(shape)

    args = {"effect_size": d, "n": n, "power": power, "alpha": alpha, "alternative": alternative, "ratio": ratio}
    args = {k: out(v) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    inputs = [d, n, power, alpha, ratio]
    prov = make_provenance(function, {**args, **params}, np.concatenate(inputs) if shape == () else inputs)
    return PowerResult(
        effect_size=out(d),
        n=out(n),
        n2=out(ratio * n),
        power=out(power),
        alpha=out(alpha),
        alternative=alternative,
        ratio=out(ratio),
        solved_for=solved_for,
        design=design,
        method=method,
        parameters=params,
        provenance=prov,
    )


def _solve_point(power_one, values, alternative, solved_for, n_min, var_factor, effect_max) -> tuple:
    """:func:`solve_grid` for a one-point grid on floats: ``(d, n, power)``, the same operations as the
    vectorised path (squares as products, as NumPy squares arrays), so the same bits.
    """
    d, n, power = (None if values[k] is None else float(values[k][0]) for k in ("effect_size", "n", "power"))
    alpha, ratio = float(values["alpha"][0]), float(values["ratio"][0])
    n_min, vf = float(np.ravel(n_min)[0]), float(np.ravel(var_factor)[0])
    if alternative == "two-sided" and d is not None:
        d = abs(d)
    if n is not None and n < n_min:
        raise ValueError(f"n must be at least {n_min:g} for this design (group 1); got {n:g}.")
    with np.errstate(over="ignore"):  # as scipy.stats.nct.sf, once for every evaluation
        if solved_for == "power":
            return d, n, power_one(d, n)
        z_a = float(special.ndtri(1.0 - (alpha / 2.0 if alternative == "two-sided" else alpha)))
        z_b = float(special.ndtri(power))
        if solved_for == "n":
            if d == 0:
                raise ValueError(
                    "effect_size is 0: no sample size gives power above alpha. Give a non-zero effect_size."
                )
            lo = n_min * (1 + 1e-10)
            q = (z_a + z_b) / d
            guess = vf * (1.0 + 1.0 / ratio) * (q * q) + z_a * z_a / 4.0
            n = _solve_one(lambda x: power_one(d, x), power, lo, _N_MAX, guess)
            if math.isnan(n) or n <= lo:
                if power_one(d, lo) >= power:
                    raise ValueError(
                        f"power {power:g} is reached already at the smallest possible n ({n_min:g} in group 1); "
                        f"effect_size = {d:g} is very large. Check the effect size (it is standardised)."
                    )
                raise ValueError(
                    f"power {power:g} is not reached with n up to {_N_MAX:g} per group for effect_size = {d:g}; "
                    "the effect is too small to detect."
                )
            return d, n, power
        sign = -1.0 if alternative == "less" else 1.0
        guess = (z_a + z_b) * math.sqrt(vf * (1.0 / n + 1.0 / (ratio * n)))
        e = _solve_one(lambda x: power_one(sign * x, n), power, 1e-10, effect_max, guess)
        if math.isnan(e):
            raise ValueError(f"power {power:g} is not reached for any effect size with n = {n:g}; increase n.")
        return sign * e, n, power


def _solve_one(g, target, lo, hi, x0) -> float:
    return _solve_one_kernel(g, target, lo, hi, x0, 1e-13, 1e-13, 200)
