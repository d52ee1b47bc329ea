"""Scenario grids (n x effect x r x dropout) into a tidy frame, in parallel with joblib or on Dask."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..kernels.power import ancova_power, change_score_power, t_power, two_sample_ncp
from ..validators import as_float_array, check_interval, check_option, check_probability
from .simulation import check_dropout, check_r, simulate_power

__all__ = ["power_grid"]

_COLUMNS = [
    "design",
    "method",
    "n_per_arm",
    "n_analysed",
    "effect",
    "sd",
    "effect_size",
    "r",
    "dropout",
    "alpha",
    "power",
    "mcse",
    "n_sims",
]


def _sim_task(kw: dict[str, Any]) -> tuple[float, float]:
    res = simulate_power(**kw)
    return res.power, res.mcse


def _analytic(design: str, na: np.ndarray, d: np.ndarray, rr: np.ndarray, alpha: float) -> np.ndarray:
    """Analytic power of a block of scenarios (one vectorised call; the unit of work sent to Dask)."""
    if design == "ancova":
        return ancova_power(d, rr, na, na, alpha)
    if design == "change":
        return change_score_power(d, rr, na, na, alpha)
    return t_power(two_sample_ncp(d, na, na), 2.0 * na - 2.0, alpha)


#: at most this many scenarios per Dask task of an analytic grid
DASK_CHUNK = 50_000


def _block_size(client: Any, n: int) -> int:
    """Scenarios per Dask task: at most :data:`DASK_CHUNK`, and small enough that every worker gets two
    blocks (a block is one vectorised call whose rows do not depend on each other, so the blocking never
    changes a number).
    """
    nthreads = getattr(client, "nthreads", None)  # worker address -> threads; without it one worker assumed
    workers = max(1, len(nthreads())) if callable(nthreads) else 1
    return max(1, min(DASK_CHUNK, -(-n // (2 * workers))))


def power_grid(
    design: str = "ancova",
    *,
    n_per_arm: Sequence[int] | int,
    effect: Sequence[float] | float,
    r: Sequence[float] | float = 0.5,
    dropout: Sequence[float] | float = 0.0,
    sd: float = 1.0,
    alpha: float = 0.05,
    method: str = "analytic",
    n_sims: int = 2000,
    seed: int | None = None,
    n_jobs: int = 1,
    client: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Power over every combination of ``n_per_arm x effect x r x dropout``, as a tidy frame.

    Parameters
    ----------
    design : {"ancova", "change", "ttest"}
        The analysis (``"ttest"`` ignores ``r``; simulation supports ``"ancova"`` only).
    n_per_arm, effect, r, dropout : scalar or sequence
        Participants randomised per arm, effect in scale units (divided by ``sd``), correlation, dropout.
    method : {"analytic", "simulation"}
        Analytic power uses the analysed n ``n_per_arm (1 - dropout)`` (exact ANCOVA power for
        ``"ancova"``). Simulation calls :func:`simulate_power` once per scenario with ``n_sims`` trials.
    seed : int, optional
        One seed for the grid; each scenario gets its own stream from ``numpy.random.SeedSequence(seed)``,
        so results do not depend on the backend or the number of workers.
    n_jobs : int
        joblib workers for simulation (``-1`` = all cores); ignored when ``client`` is given.
    client : dask.distributed.Client, optional
        Run the grid on this Dask cluster (``client.submit``/``client.gather``): one task per simulation
        scenario, or blocks of analytic scenarios (two per worker, at most :data:`DASK_CHUNK` each), each
        block one vectorised call (the same arithmetic as locally, so the powers are identical;
        ``benchmarks/bench_power.py dask`` times a 2-worker local cluster against one process).

    Returns
    -------
    DataFrame
        One row per scenario: ``design, method, n_per_arm, n_analysed, effect, sd, effect_size, r, dropout,
        alpha, power, mcse, n_sims`` (``mcse``/``n_sims`` are NaN/0 for analytic rows).

    Examples
    --------
    >>> g = power_grid(n_per_arm=[30, 60], effect=[0.3, 0.5], r=[0.0, 0.6])
    >>> g.shape, list(g.columns[:4])
    ((8, 13), ['design', 'method', 'n_per_arm', 'n_analysed'])
    """
    design = check_option("design", design, ("ancova", "change", "ttest"))
    method = check_option("method", method, ("analytic", "simulation"))
    if method == "simulation" and design != "ancova":
        raise ValueError("method='simulation' supports design='ancova' only; use method='analytic'.")
    ns = as_float_array("n_per_arm", np.atleast_1d(n_per_arm), low=2, integer=True)
    effects = as_float_array("effect", np.atleast_1d(effect))
    rs = np.array([check_r(x) for x in np.atleast_1d(r)])
    drops = np.array([check_dropout(x) for x in np.atleast_1d(dropout)])
    sd = check_interval("sd", sd, 0.0, None, low_inclusive=False)
    alpha = check_probability("alpha", alpha)
    rows = pd.DataFrame(
        list(itertools.product(ns.astype(int), effects, rs, drops)),
        columns=["n_per_arm", "effect", "r", "dropout"],
    )
    rows.insert(0, "design", design)
    rows.insert(1, "method", method)
    rows["n_analysed"] = rows["n_per_arm"] * (1.0 - rows["dropout"])
    rows["sd"] = sd
    rows["effect_size"] = rows["effect"] / sd
    rows["alpha"] = alpha
    if method == "analytic":
        na, d, rr = (rows[c].to_numpy(dtype=float) for c in ("n_analysed", "effect_size", "r"))
        if client is not None:
            size = _block_size(client, len(rows))
            blocks = [slice(i, i + size) for i in range(0, len(rows), size)]
            futures = [client.submit(_analytic, design, na[b], d[b], rr[b], alpha, pure=False) for b in blocks]
            power = np.concatenate(client.gather(futures)) if blocks else np.empty(0)
        else:
            power = _analytic(design, na, d, rr, alpha)
        rows["power"] = power
        rows["mcse"] = np.nan
        rows["n_sims"] = 0
        return rows[_COLUMNS]
    n_sims = int(check_interval("n_sims", n_sims, 1, None, integer=True))
    seeds = np.random.SeedSequence(seed).generate_state(len(rows)).tolist()
    tasks = [
        dict(
            n_per_arm=int(t.n_per_arm),
            effect=float(t.effect),
            sd=sd,
            r=float(t.r),
            alpha=alpha,
            n_sims=n_sims,
            seed=int(s),
            dropout=float(t.dropout),
            progress=False,
        )
        for t, s in zip(rows.itertuples(index=False), seeds)
    ]
    if client is not None:
        futures = [client.submit(_sim_task, kw, pure=False) for kw in tasks]
        out = client.gather(futures)
    else:
        n_jobs = int(check_interval("n_jobs", n_jobs, None, None, integer=True))
        if n_jobs == 1 and not progress:  # what joblib does with one job, without importing it (~0.1 s)
            out = [_sim_task(kw) for kw in tasks]
        else:
            from joblib import Parallel, delayed

            out = Parallel(n_jobs=n_jobs, verbose=10 if progress else 0)(delayed(_sim_task)(kw) for kw in tasks)
    rows["power"] = [p for p, _ in out]
    rows["mcse"] = [m for _, m in out]
    rows["n_sims"] = n_sims
    return rows[_COLUMNS]
