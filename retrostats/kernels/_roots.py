"""Brent's method for a root of a scalar function in a bracket (:func:`brentq`), without importing SciPy's
optimisers.

``scipy.optimize`` brings ``scipy.sparse``, ``scipy.spatial`` and ``scipy.fft`` with it (~0.25 s to
import), and the common paths only ever used its ``brentq``: the Q-profile bounds of tau², group-sequential
boundaries, sample sizes and Dunnett critical values. This is Brent's (1973, ch. 4) algorithm as he
states it: inverse quadratic interpolation or the secant step where they keep well inside the bracket and
shrink it fast enough, bisection otherwise; the arguments and the stopping rule are those of SciPy's
``brentq`` (half the bracket below ``(xtol + rtol * |x|) / 2``, or ``f(x) == 0``). It returns a root within
that tolerance of SciPy's (``tests/test_kernels_roots.py`` compares them).

Examples
--------
>>> root = brentq(lambda x: x * x - 2.0, 0.0, 2.0, xtol=1e-14)
>>> abs(root - 2.0 ** 0.5) < 1e-13
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["brentq"]

_EPS = math.ulp(1.0)  # machine epsilon


def brentq(f: Callable[[float], float], a: float, b: float, *, xtol: float = 2e-12, rtol: float = 4 * _EPS,
           maxiter: int = 100) -> float:
    """A root of ``f`` in ``[a, b]``, where ``f(a)`` and ``f(b)`` differ in sign (``scipy.optimize.brentq``).

    Raises
    ------
    ValueError
        ``f(a)`` and ``f(b)`` have the same sign, a value is not finite, or a tolerance is not positive.
    RuntimeError
        No convergence within ``maxiter`` iterations.
    """
    if not xtol > 0 or not rtol >= 4 * _EPS:
        raise ValueError(f"xtol must be positive and rtol at least 4 * eps; got {xtol!r}, {rtol!r}.")
    lo, hi = float(a), float(b)
    f_lo, f_hi = float(f(lo)), float(f(hi))
    if not (math.isfinite(f_lo) and math.isfinite(f_hi)):
        raise ValueError(f"f is not finite at the ends of the bracket: f({lo!r}) = {f_lo!r}, f({hi!r}) = {f_hi!r}.")
    if f_lo * f_hi > 0:
        raise ValueError(f"f(a) and f(b) must have different signs; got f({lo!r}) = {f_lo!r}, "
                         f"f({hi!r}) = {f_hi!r}.")
    if f_lo == 0:
        return lo
    # Brent's notation: x is the best estimate so far, w the previous one, v the other end of the bracket
    # (f(x) and f(v) differ in sign); step is the last step taken and before the one before it
    x, fx, w, fw = hi, f_hi, lo, f_lo
    v, fv = w, fw
    step = before = x - w
    for _ in range(maxiter):
        if (fx > 0) == (fv > 0):  # the root is no longer between x and v: w becomes the other end
            v, fv = w, fw
            step = before = x - w
        if abs(fv) < abs(fx):  # x must be the point with the smaller |f|
            w, fw, x, fx, v, fv = x, fx, v, fv, x, fx
        tol = (xtol + rtol * abs(x)) / 2
        half = (v - x) / 2  # the bisection step
        if fx == 0 or abs(half) < tol:
            return x
        if abs(before) >= tol and abs(fx) < abs(fw):
            s = fx / fw
            if w == v:  # two points: the secant step
                p, q = 2 * half * s, 1 - s
            else:  # three points: inverse quadratic interpolation
                r1, r2 = fw / fv, fx / fv
                p = s * (2 * half * r1 * (r1 - r2) - (x - w) * (r2 - 1))
                q = (r1 - 1) * (r2 - 1) * (s - 1)
            if p > 0:
                q = -q
            p = abs(p)
            # accepted only if it stays well inside the bracket and shrinks faster than the step before last
            if 2 * p < min(3 * half * q - abs(tol * q), abs(before * q)):
                before, step = step, p / q
            else:
                before = step = half
        else:
            before = step = half
        w, fw = x, fx
        x += step if abs(step) > tol else math.copysign(tol, half)
        fx = float(f(x))
        if math.isnan(fx):
            raise ValueError(f"f is NaN at {x!r}, inside the bracket.")
    raise RuntimeError(f"brentq did not converge in {maxiter} iterations (bracket [{a!r}, {b!r}]).")
