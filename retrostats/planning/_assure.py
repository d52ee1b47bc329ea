"""Assurance's expectation: power averaged over the predictive distribution of the effect, at many trial
sizes in one pass.

:func:`assurance_at` is what :func:`retrostats.planning.assurance`, :func:`~retrostats.planning.n_for_assurance`
and :func:`~retrostats.planning.assurance_curve` compute. A normal predictive goes through
:func:`retrostats.kernels.power_expect.expected_power`, which returns the same doubles as the plain
quadrature (:func:`expect` of :func:`success_power`) while evaluating only the tail probabilities that can
change a bit of them; draws are averaged as they stand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels.power import ancova_power, hermite_normal, t_power, two_sample_ncp
from ..kernels.power_expect import expected_power

__all__ = ["success_power", "expect", "assurance_at"]

#: Gauss-Hermite nodes of a normal predictive
HERMITE_NODES = 80


def success_power(
    theta: np.ndarray, n: float, *, direction: float, alpha: float, design: str, r: float | None, ratio: float
) -> np.ndarray:
    """P(two-sided test at alpha is significant in ``direction``) as a function of the true SMD."""
    d = direction * np.asarray(theta, dtype=float)
    if design == "ancova":
        return ancova_power(d, r, n, ratio * n, alpha / 2.0, "greater")
    return t_power(two_sample_ncp(d, n, ratio * n), n * (1.0 + ratio) - 2.0, alpha / 2.0, "greater")


def expect(pred: Any, fn) -> float:
    """``E fn(effect)`` under the predictive ``pred``: the mean over its draws, ``fn(mean)`` without
    uncertainty, else 80-point Gauss-Hermite quadrature.
    """
    if pred.draws is not None:
        return float(np.mean(fn(pred.draws)))
    if pred.sd == 0:
        return float(fn(np.array([pred.mean]))[0])
    z, w = hermite_normal(HERMITE_NODES)
    return float(fn(pred.mean + pred.sd * z) @ w)


def assurance_at(
    pred: Any, sizes, *, direction: float, alpha: float, design: str, r: float | None, ratio: float
) -> np.ndarray:
    """Assurance at each group-1 size of ``sizes`` (validated floats), bit for bit
    ``expect(pred, lambda th: success_power(th, n, ...))`` for each ``n``.

    Parameters
    ----------
    pred : Predictive
        The predictive distribution of the effect (SD units).
    sizes : array_like of float
        Group-1 sizes (at least 2 each).
    direction : float
        ``1.0`` or ``-1.0``: the favourable sign of the effect.
    alpha : float
        Two-sided size of the trial's test.
    design : {"ttest", "ancova"}
    r : float or None
        Baseline-outcome correlation (``"ancova"``).
    ratio : float
        Group-2 size over group-1 size.

    Returns
    -------
    numpy.ndarray
        One assurance per size.

    Notes
    -----
    Validated against the plain quadrature at every size in ``tests/test_planning_curves.py`` (identical
    doubles); the quadrature itself against simulation in ``tests/test_planning_evidence.py``.

    Examples
    --------
    >>> from retrostats.planning.evidence import predictive
    >>> pred = predictive(mean=0.5, sd=0.3)
    >>> a = assurance_at(pred, [64.0], direction=1.0, alpha=0.05, design="ttest", r=None, ratio=1.0)
    >>> round(float(a[0]), 3)
    0.667
    """
    sizes = np.atleast_1d(np.asarray(sizes, dtype=float))
    if pred.draws is not None or pred.sd == 0:
        return np.array([
            expect(pred, lambda th, n=n: success_power(th, n, direction=direction, alpha=alpha, design=design,
                                                       r=r, ratio=ratio))
            for n in sizes.tolist()
        ])
    z, w = hermite_normal(HERMITE_NODES)
    theta = direction * (pred.mean + pred.sd * z)
    if design == "ancova":
        return expected_power(theta, w, sizes, ratio * sizes, alpha / 2.0, r=r)
    return expected_power(theta, w, sizes, ratio * sizes, alpha / 2.0, df=sizes * (1.0 + ratio) - 2.0)
