"""Synthetic two- or three-arm trials of retro walking, calibrated from published summaries.

Everything produced here is SYNTHETIC: simulated participants, not anyone's data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..validators import check_interval
from .scales import scale_info

__all__ = ["simulate_trial", "CALIBRATION"]

#: Published summaries the defaults are calibrated to, and the assumptions added where none was reachable.
CALIBRATION: dict[str, Any] = {
    "source": "Alghadir AH, Anwer S, Sarkar B, Paul AK, Anwar D. BMC Musculoskelet Disord 2019;20:159 "
              "(doi:10.1186/s12891-019-2537-9), abstract, results; https://pmc.ncbi.nlm.nih.gov/articles/PMC6456984",
    "instrument": "NPRS",
    # mean reduction in pain at week 6, intention to treat (abstract): retro 1.8, control 1 (p = 0.01)
    "change": {"retro": 1.8, "control": 1.0},
    "p_value_retro_vs_control": 0.01,
    # 68 participants in three arms; completion at week 6: 91, 87 and 82 percent
    "n_randomized": 68,
    "completion": {"retro": 0.91, "forward": 0.87, "control": 0.82},
    # NOT published in what we could reach; stated assumptions
    "assumed": {"change_forward": 1.4, "baseline_mean": 6.0, "baseline_sd": 1.5,
                "intermediate_weeks": (2, 4)},
}


def _sd_change_from_p(diff: float, p: float, n1: float, n2: float) -> float:
    """SD of change implied by a two-sample t-test's exact p-value (equal SDs)."""
    from ..kernels import _dist

    t = _dist.t_isf(p / 2, n1 + n2 - 2)
    return diff / t / np.sqrt(1 / n1 + 1 / n2)


def _calibrated_correlation() -> float:
    c = CALIBRATION
    n = c["n_randomized"] / 3
    diff = c["change"]["retro"] - c["change"]["control"]
    sdc = _sd_change_from_p(diff, c["p_value_retro_vs_control"], n, n)
    s = c["assumed"]["baseline_sd"]
    return float(1.0 - sdc ** 2 / (2 * s ** 2))


def simulate_trial(
    n_per_arm: int | Sequence[int] | None = None,
    *,
    arms: Sequence[str] = ("retro", "forward", "control"),
    weeks: Sequence[float] = (0, 2, 4, 6),
    instrument: str = "NPRS",
    baseline_mean: float | None = None,
    baseline_sd: float | None = None,
    change: Mapping[str, float] | None = None,
    correlation: float | None = None,
    dropout: float | Mapping[str, float] = 0.0,
    resolution: float | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate a SYNTHETIC two- or three-arm trial in the canonical long layout.

    Each participant has a baseline and post-baseline visits drawn from a multivariate normal with common SD
    ``baseline_sd`` and correlation ``correlation ** (|week_i - week_j| / last_week)`` (so baseline and the
    last visit correlate ``correlation``). Each arm improves linearly in time to its mean ``change`` at the
    last week (a reduction for instruments where lower is better). Values are clipped to the instrument's
    range (floor and ceiling) and rounded to its resolution. Dropout is monotone and completely at random: a
    fraction ``dropout`` of each arm leaves at a uniformly chosen post-baseline visit.

    Parameters
    ----------
    n_per_arm : int or sequence of int, optional
        Participants per arm (a sequence gives unequal arms). Default: the calibration trial's 68 randomised,
        split as evenly as possible ((23, 23, 22) for three arms).
    arms : sequence of str
        Two or three arm codes, e.g. ``("retro", "control")``.
    weeks : sequence of float
        Visit weeks, the first being baseline (0).
    instrument : str
        An instrument of ``load_dataset("outcome_scales")`` (range, direction, whole-number scores).
    baseline_mean, baseline_sd : float, optional
        Default: the stated assumptions in :data:`CALIBRATION` (6.0 and 1.5 NPRS points).
    change : mapping arm -> float, optional
        Mean improvement at the last week (positive = better). Default: retro 1.8, control 1.0 (Alghadir
        2019, ITT, week 6) and forward 1.4 (assumed: between the two).
    correlation : float, optional
        Baseline-to-last-visit correlation, in [0, 1). Default: implied by Alghadir 2019's p = 0.01 for retro
        vs control with the assumed baseline SD (about 0.78).
    dropout : float or mapping arm -> float
        Fraction of each arm missing at the last visit (the calibration trial's completion was 91/87/82%).
    resolution : float, optional
        Rounding unit; default 1 for whole-number instruments, none otherwise.
    seed : int, optional

    Returns
    -------
    DataFrame
        ``participant, arm, visit, week, outcome, value, baseline`` with one row per participant and visit
        (baseline rows included, missing visits dropped); ``outcome`` is the instrument code.

    Examples
    --------
    >>> d = simulate_trial(n_per_arm=10, arms=("retro", "control"), seed=3)
    >>> sorted(d["arm"].unique()), sorted(d["week"].unique().tolist())
    (['control', 'retro'], [0.0, 2.0, 4.0, 6.0])
    >>> bool(d["value"].between(0, 10).all())
    True
    """
    arms = [str(a) for a in arms]
    if len(arms) not in (2, 3) or len(set(arms)) != len(arms):
        raise ValueError(f"arms must be two or three distinct arm codes; got {arms}.")
    if n_per_arm is None:
        total, k = CALIBRATION["n_randomized"], len(arms)
        n_per_arm = [total // k + (i < total % k) for i in range(k)]
    sizes = [n_per_arm] * len(arms) if np.isscalar(n_per_arm) else list(n_per_arm)
    if len(sizes) != len(arms):
        raise ValueError(f"n_per_arm has {len(sizes)} sizes for {len(arms)} arms.")
    sizes = [check_interval("n_per_arm", n, 2, integer=True) for n in sizes]
    w = np.asarray(weeks, dtype=float)
    if w.size < 2 or w[0] != 0 or np.any(np.diff(w) <= 0):
        raise ValueError(f"weeks must start at 0 (baseline) and increase; got {list(weeks)}.")
    sc = scale_info(instrument)
    assumed = CALIBRATION["assumed"]
    mu0 = assumed["baseline_mean"] if baseline_mean is None else float(baseline_mean)
    sd = assumed["baseline_sd"] if baseline_sd is None else check_interval("baseline_sd", baseline_sd, 0,
                                                                             low_inclusive=False)
    if correlation is None:
        r = _calibrated_correlation()
    else:
        # r ** (fractional lag) is undefined for r < 0 and r = 1 makes the covariance singular
        r = check_interval("correlation", correlation, 0, 1, high_inclusive=False)
    chg = dict(CALIBRATION["change"], forward=assumed["change_forward"])
    if change is not None:
        chg.update({str(k): float(v) for k, v in change.items()})
    missing = [a for a in arms if a not in chg]
    if missing:
        raise ValueError(f"change has no value for arm(s) {missing}; pass change={{arm: improvement}}.")
    if np.isscalar(dropout):
        drop = {a: float(dropout) for a in arms}
    else:
        unknown = [str(k) for k in dict(dropout) if k not in arms]
        if unknown:
            raise ValueError(f"dropout names arm(s) {unknown} that the trial does not have; its arms: {list(arms)}.")
        drop = {a: 0.0 for a in arms} | dict(dropout)
    for a in arms:
        check_interval(f"dropout[{a!r}]", drop[a], 0, 1, high_inclusive=False)
    res = resolution if resolution is not None else (1.0 if sc["integer_valued"] else None)
    sign = 1.0 if sc["higher_is_better"] else -1.0
    rng = np.random.default_rng(seed)
    lag = np.abs(w[:, None] - w[None, :]) / w[-1]
    cov = sd ** 2 * r ** lag
    T = w.size
    frames = []
    start = 0
    for a, n in zip(arms, sizes):
        mean = mu0 + sign * chg[a] * w / w[-1]
        Y = rng.multivariate_normal(mean, cov, size=n, method="cholesky")
        Y = np.clip(Y, sc["min"], sc["max"])
        if res:
            Y = np.round(Y / res) * res
            Y = np.clip(Y, sc["min"], sc["max"])
        leaves = rng.random(n) < drop[a]
        first_missing = np.where(leaves, rng.integers(1, T, size=n), T)
        observed = np.arange(T)[None, :] < first_missing[:, None]
        pid = np.array([f"P{start + i + 1:03d}" for i in range(n)])
        start += n
        ii, tt = np.nonzero(observed)
        frames.append(pd.DataFrame({"participant": pid[ii], "arm": a, "week": w[tt], "value": Y[ii, tt],
                                    "baseline": Y[ii, 0]}))
    out = pd.concat(frames, ignore_index=True)
    out.insert(2, "visit", ["baseline" if k == 0 else f"week {k:g}" for k in out["week"]])
    out.insert(4, "outcome", instrument)
    return out
