"""kernels._roots.brentq against scipy.optimize.brentq: the same root to within the stopping tolerance, the
same refusals, and none of SciPy's optimisers imported by the common paths."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from scipy import optimize

from retrostats.kernels._roots import brentq

CASES = [
    (lambda x: x * x - 2.0, 0.0, 2.0),
    (lambda x: math.cos(x) - x, 0.0, 1.0),
    (lambda x: x**3, -1.0, 2.0),  # a flat (triple) root
    (lambda x: math.exp(x) - 1e-3, -20.0, 5.0),
    (lambda x: (x - 0.3) ** 5, 0.0, 1.0),
    (lambda x: math.tanh(50 * (x - 0.123)), -3.0, 7.0),  # a step
    (lambda x: 1e-300 * (x - 1.0), 0.0, 3.0),  # tiny values
    (lambda x: x - 1.0, 1.0, 3.0),  # a root at an end
    (lambda x: math.log(x) + x, 1e-9, 10.0),
    (lambda x: 1.0 / (x - 0.5) if x != 0.5 else math.inf, 0.0, 1.0),  # a pole, not a root: both stop at it
]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize(("xtol", "rtol"), [(2e-12, 4 * sys.float_info.epsilon), (1e-14, 1e-14), (1e-6, 1e-10)])
def test_the_root_is_scipys_within_the_tolerance(case, xtol, rtol):
    f, a, b = CASES[case]
    ours = brentq(f, a, b, xtol=xtol, rtol=rtol, maxiter=5000)
    theirs = optimize.brentq(f, a, b, xtol=xtol, rtol=rtol, maxiter=5000)
    assert abs(ours - theirs) <= xtol + rtol * abs(theirs), (ours, theirs)
    assert min(a, b) <= ours <= max(a, b)


def test_refusals():
    with pytest.raises(ValueError, match="different signs"):
        brentq(lambda x: x * x + 1.0, -1.0, 1.0)
    with pytest.raises(ValueError, match="not finite"):
        brentq(lambda x: math.nan if x < 0 else x, -1.0, 1.0)
    with pytest.raises(ValueError, match="xtol"):
        brentq(lambda x: x, -1.0, 1.0, xtol=0.0)
    with pytest.raises(RuntimeError, match="did not converge in 3 iterations"):
        brentq(lambda x: x**3, -1.0, 2.0, maxiter=3)
    assert brentq(lambda x: x, 0.0, 1.0) == 0.0  # f(a) == 0


def test_the_common_paths_do_not_import_scipys_optimisers():
    # scipy.optimize drags in scipy.sparse, scipy.spatial and scipy.fft (~0.25 s of every command's start):
    # meta-analysis, planning, boundaries and the figures use kernels._roots instead
    code = ("import sys, retrostats, retrostats.meta, retrostats.planning, retrostats.decision, retrostats.figures, "
            "retrostats.effects.registry, retrostats.report.steps; "
            "print(sorted(m for m in ('scipy.optimize', 'scipy.spatial', 'scipy.fft') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
