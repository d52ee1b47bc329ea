"""Assurance against the trial size: the curve, conventional power beside it, and its limit as n grows.

:func:`assurance` answers for one size; a planning figure needs the curve over many sizes together with the
conventional power at the predictive mean (what a power calculation that ignores the uncertainty in the
effect promises) and the ceiling that no trial size can pass (:func:`max_assurance`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..validators import check_interval, check_option, check_probability
from ._assure import assurance_at
from .evidence import _direction, _expect, predictive
from .simulation import check_r

__all__ = ["assurance_curve", "max_assurance"]


def max_assurance(
    evidence: Any = None,
    *,
    mean: float | None = None,
    sd: float | None = None,
    direction: str = "auto",
    n_draws: int = 20000,
    seed: int | None = None,
    outcome_sd: float | None = None,
) -> float:
    """The limit of assurance as the trial grows: the predictive probability that the effect is favourable.

    An infinitely large trial detects any true effect in the favourable ``direction`` and none in the other,
    so assurance can never exceed ``P(direction * effect > 0)`` under the predictive distribution (O'Hagan et
    al. 2005): ``Phi(|mean| / sd)`` for a normal predictive with the direction of its mean.

    Parameters
    ----------
    evidence, mean, sd, n_draws, seed, outcome_sd
        The predictive distribution of the effect in SD units, as for :func:`assurance`.
    direction : {"auto", "positive", "negative"}
        The favourable direction; ``"auto"`` is the sign of the predictive mean.

    Returns
    -------
    float
        A probability; 1 for a predictive distribution without uncertainty (``sd=0``).

    Notes
    -----
    Validated against the standard normal CDF (``scipy.special.ndtr``) in ``tests/test_planning_curves.py``
    and against :func:`n_for_assurance`'s ``max_assurance``, which is the same limit.

    References
    ----------
    O'Hagan, A., Stevens, J. W., & Campbell, M. J. (2005). Assurance in clinical trial design.
    Pharmaceutical Statistics 4, 187-201. https://doi.org/10.1002/pst.175

    Examples
    --------
    >>> round(max_assurance(mean=0.43, sd=0.2194), 4)
    0.975
    >>> max_assurance(mean=0.5, sd=0.0)
    1.0
    """
    pred = predictive(evidence, mean=mean, sd=sd, n_draws=n_draws, seed=seed, outcome_sd=outcome_sd)
    sgn = _direction(pred, direction)
    if pred.draws is not None:
        return _expect(pred, lambda th: (sgn * th > 0).astype(float))
    return float(special.ndtr(sgn * pred.mean / pred.sd)) if pred.sd > 0 else 1.0


def assurance_curve(
    evidence: Any = None,
    *,
    n_per_arm: Any,
    mean: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    design: str = "ttest",
    r: float | None = None,
    ratio: float = 1.0,
    direction: str = "auto",
    n_draws: int = 20000,
    seed: int | None = None,
    outcome_sd: float | None = None,
) -> pd.DataFrame:
    """Assurance and conventional power at each trial size of ``n_per_arm``.

    Parameters
    ----------
    evidence, mean, sd, alpha, design, r, ratio, direction, n_draws, seed, outcome_sd
        As for :func:`assurance` (``design`` ``"ttest"`` or ``"ancova"``, which needs ``r``).
    n_per_arm : sequence of float
        Group-1 sizes (each at least 2).

    Returns
    -------
    pandas.DataFrame
        One row per size: ``n_per_arm``, ``assurance`` (power averaged over the predictive distribution) and
        ``power`` (conventional two-sided power of the same design at the absolute predictive mean, from
        :func:`power_ttest` or :func:`power_ancova`).

    Raises
    ------
    ValueError
        ``n_per_arm`` is empty, a size is below 2, or ``design="ancova"`` without ``r``.

    Notes
    -----
    Each row is :func:`assurance` and :func:`power_ttest`/:func:`power_ancova` at that size, so the curve
    agrees with one-at-a-time calls exactly (``tests/test_planning_curves.py``); those functions are validated
    against R's pwr and simulation. The predictive distribution is built once for all sizes (evidence given as
    draws with ``seed=None`` gives every size the same draws) and the sizes are evaluated in one pass. With
    ``sd=0`` the two columns differ only by the probability of a significant result in the wrong direction.

    Examples
    --------
    >>> curve = assurance_curve(mean=0.5, sd=0.2, n_per_arm=[20, 64, 200])
    >>> curve.round(3).to_dict("list")
    {'n_per_arm': [20, 64, 200], 'assurance': [0.361, 0.713, 0.913], 'power': [0.338, 0.801, 0.999]}
    """
    from .ancova import power_ancova
    from .ttest import power_ttest

    sizes = list(np.atleast_1d(np.asarray(n_per_arm)).tolist())
    if not sizes:
        raise ValueError("n_per_arm is empty; pass the trial sizes (participants per arm) to evaluate.")
    design = check_option("design", design, ("ttest", "ancova"))
    alpha = check_probability("alpha", alpha)
    if design == "ancova":
        if r is None:
            raise ValueError("design='ancova' needs r, the baseline-outcome correlation.")
        r = check_r(r)
    pred = predictive(evidence, mean=mean, sd=sd, n_draws=n_draws, seed=seed, outcome_sd=outcome_sd)
    at = [check_interval("n_per_arm", n, 2.0, None) for n in sizes]
    a = assurance_at(pred, at, direction=_direction(pred, direction), alpha=alpha, design=design, r=r, ratio=ratio)
    effect, n = abs(pred.mean), np.array(at)
    if design == "ancova":
        p = power_ancova(effect_size=effect, n=n, r=r, alpha=alpha, ratio=ratio).power
    else:
        p = power_ttest(effect_size=effect, n=n, alpha=alpha, ratio=ratio).power
    return pd.DataFrame({"n_per_arm": sizes, "assurance": a, "power": p}, columns=["n_per_arm", "assurance", "power"])
