"""``trial_sequential_analysis()``: required information size, cumulative z-curve and monitoring boundaries.

The frame API validates the trials, fits the cumulative random-effects meta-analysis with the ``rma`` kernels,
computes the heterogeneity-adjusted required information size (RIS) and the Lan-DeMets boundaries at the
observed information fractions with :mod:`retrostats.kernels.spending`; :class:`TSAResult` holds it all.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..exceptions import DataError
from ..kernels._lazy_stats import stats
from ..kernels.rma import METHODS, TESTS, rma_fit
from ..kernels.spending import SPENDING, boundaries
from ..provenance import make_provenance
from ..validators import as_float_array, check_columns, check_option, check_probability
from ._tsa_result import TSAResult

__all__ = ["trial_sequential_analysis", "required_information_size", "diversity", "alpha_spending_boundaries"]

HETEROGENEITY = ("D2", "I2", "none")


def diversity(vi, tau2: float) -> float:
    """Wetterslev's diversity ``D2 = (V_R - V_F) / V_R`` for sampling variances ``vi`` and a given tau².

    Parameters
    ----------
    vi : array-like
        Sampling variances of the trials (> 0).
    tau2 : float
        Between-trial variance of the random-effects model (DerSimonian-Laird in TSA software).

    Returns
    -------
    float
        D² as a fraction in [0, 1).

    Raises
    ------
    ValueError
        A negative or non-finite tau².

    Notes
    -----
    ``V_F = 1 / sum(1/v_i)`` and ``V_R = 1 / sum(1/(v_i + tau2))`` are the variances of the equal- and
    random-effects pooled estimates (Wetterslev, Thorlund, Brok & Gluud 2009). Validated against hand
    computation (``tests/test_decision_tsa.py``).

    References
    ----------
    Wetterslev J, Thorlund K, Brok J, Gluud C (2009). BMC Med Res Methodol 9:86. doi:10.1186/1471-2288-9-86

    Examples
    --------
    >>> round(diversity([0.04, 0.09], 0.02), 6)
    0.286713
    """
    v = as_float_array("vi", vi)
    if tau2 < 0 or not math.isfinite(tau2):
        raise ValueError(f"tau2 must be finite and >= 0; got {tau2!r}.")
    vf = 1.0 / np.sum(1.0 / v)
    vr = 1.0 / np.sum(1.0 / (v + tau2))
    return float((vr - vf) / vr)


def required_information_size(delta: float, sd: float = 1.0, *, alpha: float = 0.05, beta: float = 0.2,
                              adjustment: float = 0.0) -> float:
    """Participants (both arms, 1:1) a meta-analysis needs to detect ``delta``, heterogeneity-adjusted.

    Parameters
    ----------
    delta : float
        Minimal relevant effect (its sign is ignored here), in the units of ``sd``.
    sd : float
        Outcome SD (1 on the SMD scale).
    alpha, beta : float
        Two-sided type I error and type II error.
    adjustment : float
        D² (diversity-adjusted RIS) or I²/100, in [0, 1); 0 for no heterogeneity correction.

    Returns
    -------
    float
        The required information size in participants, not rounded.

    Raises
    ------
    DataError
        ``delta`` zero or not finite, ``sd`` not positive.

    Notes
    -----
    ``RIS = 4 (z_{1-alpha/2} + z_{1-beta})^2 sd^2 / delta^2 / (1 - adjustment)`` (Wetterslev et al. 2009;
    the optimal information size of GRADE guidelines 6). Validated against hand computation with the normal
    quantiles typed in (``tests/test_decision_tsa.py``).

    Examples
    --------
    >>> round(required_information_size(0.5), 4)
    125.5821
    >>> round(required_information_size(1.0, 2.0, adjustment=0.25), 4)
    167.4428
    """
    delta = float(delta)
    sd = float(sd)
    if not math.isfinite(delta) or delta == 0:
        raise DataError(f"delta must be a finite, non-zero effect; got {delta!r}.")
    if not (math.isfinite(sd) and sd > 0):
        raise DataError(f"sd must be > 0; got {sd!r}.")
    alpha = check_probability("alpha", alpha)
    beta = check_probability("beta", beta)
    if not 0 <= adjustment < 1:
        raise ValueError(f"the heterogeneity adjustment must be in [0, 1); got {adjustment!r}.")
    z = special.ndtri(1 - alpha / 2) + special.ndtri(1 - beta)
    return float(4.0 * z * z * sd * sd / (delta * delta) / (1.0 - adjustment))


def _column(data: pd.DataFrame | None, arg: Any, name: str) -> Any:
    if isinstance(arg, str):
        if data is None:
            raise ValueError(f"{name}={arg!r} names a column only when data= is given; pass arrays instead.")
        check_columns(data, [arg])
        return data[arg]
    return arg


def _direction(favours: str | None, direction: str) -> tuple[float | None, str]:
    check_option("direction", direction, ("auto", "positive", "negative"))
    if direction != "auto":
        if favours is not None and direction == "negative":
            raise DataError(f"direction='negative' contradicts the data, which are oriented so that positive "
                            f"values favour {favours!r}; drop direction= or re-orient the effects.")
        return (1.0 if direction == "positive" else -1.0), f"benefit is a {direction} effect (direction=)"
    if favours is not None:
        return 1.0, f"benefit direction from the data: positive favours {favours}"
    return None, ""


def _check_delta_against_instrument(delta: float, instrument: str, scales: pd.DataFrame | None) -> None:
    """Unoriented effects are group 1 minus group 2: a delta signed against the instrument's better direction
    would turn a benefit into "harm" (and back), so it is refused rather than guessed.
    """
    from ..datasets import load_dataset

    sc = load_dataset("outcome_scales") if scales is None else scales
    hit = sc[sc["instrument"].astype(str) == instrument]
    if hit.empty or "higher_is_better" not in hit.columns or pd.isna(hit["higher_is_better"].iloc[0]):
        return
    up = bool(hit["higher_is_better"].iloc[0])
    if (delta > 0) != up:
        raise DataError(
            f"delta = {delta:g} is signed as a benefit, but on {instrument} {'higher' if up else 'lower'} is "
            f"better, so with effects = group 1 minus group 2 a benefit is {'positive' if up else 'negative'}. "
            f"Pass delta={-delta:g}, or direction='{'positive' if delta > 0 else 'negative'}' if your effects are "
            "oriented the other way (or give the data a 'favours' column)."
        )


def _participants(data, n, labels) -> tuple[np.ndarray, str]:
    note = ""
    if isinstance(n, str) and data is not None and n not in data.columns and {"n1", "n2"} <= set(data.columns):
        raw = pd.to_numeric(data["n1"], errors="coerce") + pd.to_numeric(data["n2"], errors="coerce")
        note = "participants per trial are n1 + n2 (no 'n' column)"
    else:
        raw = _column(data, n, "n")
    arr = as_float_array("n", raw, labels=labels, allow_nan=True)
    bad = np.flatnonzero(~np.isfinite(arr) | (arr <= 0))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"n (participants per trial) is missing or not positive for row {i} (study {labels[i]!r}: "
            f"{arr[i]!r}); the information fraction needs every trial's size. Supply it (e.g. the randomised "
            "total of the two arms compared) or drop the trial."
        )
    return arr, note


def _cumulative(y, v, method, test, level) -> pd.DataFrame:
    rows = []
    for j in range(1, y.size + 1):
        tst = test if j > 1 else "z"
        fit = rma_fit(y[:j], v[:j], method=method if j > 1 else "EE", test=tst, level=level)
        est, se = float(fit["beta"][0]), float(fit["se"][0])
        stat = float(fit["zval"][0])
        z = stat if tst == "z" else math.copysign(
            float(special.ndtri(1 - stats.t.sf(abs(stat), j - 1))), stat)
        rows.append({"estimate": est, "se": se, "statistic": stat, "z": z, "tau2": float(fit["tau2"]),
                     "ci_low": float(fit["ci_lb"][0]), "ci_high": float(fit["ci_ub"][0])})
    return pd.DataFrame(rows)


def trial_sequential_analysis(
    data: pd.DataFrame | None = None,
    *,
    yi: Any = "yi",
    vi: Any = "vi",
    n: Any = "n",
    delta: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    beta: float = 0.2,
    heterogeneity: str = "D2",
    boundary: str = "obf",
    method: str = "DL",
    test: str = "z",
    futility: bool = False,
    slab: Any = None,
    instrument: str | None = None,
    direction: str = "auto",
    scales: pd.DataFrame | None = None,
) -> TSAResult:
    """Trial sequential analysis of a continuous outcome (Wetterslev et al. 2008, 2009; TSA software).

    Parameters
    ----------
    data : DataFrame, optional
        One row per trial in the order they accrued (sort by year first); ``yi``, ``vi``, ``n`` and ``slab``
        then name columns, otherwise they are array-likes.
    yi, vi : str or array-like
        Effects (mean differences in instrument units, or SMDs) and their sampling variances.
    n : str or array-like
        Participants per trial (both arms). Without an ``n`` column, ``n1 + n2`` is used when present.
    delta : float, optional
        The minimal relevant effect on the ``yi`` scale, signed in the direction of benefit. Default: the
        instrument's MCID from ``outcome_scales`` (``instrument=`` or the data's single ``instrument``),
        signed by the direction of benefit; the summary states it.
    sd : float, optional
        The outcome's SD in ``yi`` units; not needed (taken as 1) when ``yi`` are SMDs (``measure`` column).
    alpha, beta : float
        Two-sided type I error and type II error of the RIS and the boundaries.
    heterogeneity : {"D2", "I2", "none"}
        Adjustment of the RIS: diversity D² (default, as TSA software), I² or none.
    boundary : {"obf", "pocock"}
        Lan-DeMets O'Brien-Fleming-type (default) or Pocock-type alpha spending.
    method, test : str
        tau² estimator (metafor codes; ``DL`` as TSA software) and ``z`` or ``knha`` (Hartung-Knapp-
        Sidik-Jonkman; its t statistic enters the z-curve as the z with the same two-sided p-value).
    futility : bool
        Add inner-wedge futility boundaries by beta spending (same family as ``boundary``; non-binding).
    slab : str or sequence, optional
        Trial labels (default: ``study_id`` when present).
    instrument : str, optional
        The instrument whose MCID is the default ``delta``.
    direction : {"auto", "positive", "negative"}
        Which sign of ``yi`` is a benefit; ``auto`` reads the data's orientation (a ``favours`` column
        "positive favours <arm>", :mod:`retrostats.measures`) or, without it, takes the sign of ``delta``
        (refused when that sign contradicts the instrument's better direction, effects being group 1 minus
        group 2).
    scales : DataFrame, optional
        An ``outcome_scales`` table (default: the shipped one).

    Returns
    -------
    TSAResult
        ``required_information_size`` (participants, unrounded), ``d2``, ``monitoring`` (one row per look:
        ``study, n, cumulative_n, information_fraction, z, z_boundary_upper, z_boundary_lower,
        futility_upper, futility_lower, estimate, se, ci_low, ci_high, tau2``), ``crossed``,
        ``futility_reached``, ``tsa_ci_low``/``tsa_ci_high``, ``remaining_n`` and ``summary()``.

    Raises
    ------
    DataError
        ``delta`` zero or signed against the direction of benefit, a missing or non-positive ``n``, a
        missing ``sd`` for unstandardized effects, an instrument without an MCID.

    Notes
    -----
    ``RIS = 4 (z_{1-alpha/2} + z_{1-beta})^2 sd^2 / delta^2 / (1 - D2)`` with ``D2 = (V_R - V_F)/V_R`` from
    the fitted tau² of all trials (``method``; DL by default). Look ``j`` pools trials ``1..j`` (one trial:
    its own z); its information fraction is ``cumulative_n / RIS`` capped at 1 (looks at or beyond the RIS
    share the boundary at fraction 1). Boundaries: :func:`retrostats.kernels.spending.boundaries`
    (each side spends ``2 - 2 Phi(z_{1-alpha/4}/sqrt(t))`` for ``obf``). ``crossed`` is true when some look
    has ``|z|`` at or beyond its boundary. The TSA-adjusted CI replaces the normal quantile by the last
    look's boundary: ``estimate +- c_K se`` (TSA manual, Thorlund et al. 2011). Futility boundaries use the
    drift ``z_{1-alpha/2} + z_{1-beta}`` of the RIS. Validated against rpact 3.3.4
    ``getDesignGroupSequential(sided = 2)`` (``tests/reference/r/tsa_spending.R``) and hand computation of
    the RIS and D².

    References
    ----------
    Wetterslev J, Thorlund K, Brok J, Gluud C (2009). Estimating required information size by quantifying
    diversity in random-effects model meta-analyses. BMC Med Res Methodol 9:86. doi:10.1186/1471-2288-9-86
    Wetterslev J, Jakobsen JC, Gluud C (2017). Trial Sequential Analysis in systematic reviews with
    meta-analysis. BMC Med Res Methodol 17:39. doi:10.1186/s12874-017-0315-7
    Lan KKG, DeMets DL (1983). Discrete sequential boundaries for clinical trials. Biometrika 70(3):659-663.
    doi:10.1093/biomet/70.3.659

    Examples
    --------
    >>> import pandas as pd, retrostats as rs
    >>> trials = pd.DataFrame({"study_id": ["a", "b", "c"], "yi": [-0.9, -0.5, -0.7],
    ...                        "vi": [0.09, 0.05, 0.04], "n": [40, 80, 100], "measure": "SMD"})
    >>> tsa = rs.trial_sequential_analysis(trials, delta=-0.5)
    >>> round(tsa.required_information_size, 2), tsa.crossed
    (125.58, True)
    """
    check_option("heterogeneity", heterogeneity, HETEROGENEITY)
    check_option("boundary", boundary, list(SPENDING))
    check_option("method", method, list(METHODS))
    check_option("test", test, list(TESTS))
    alpha = check_probability("alpha", alpha)
    beta = check_probability("beta", beta)
    if data is not None:
        data = data.reset_index(drop=True)
    y = as_float_array("yi", _column(data, yi, "yi"))
    k = y.size
    if slab is None:
        labels = ([str(s) for s in data["study_id"]] if data is not None and "study_id" in data.columns
                  else [f"Study {i + 1}" for i in range(k)])
    else:
        labels = [str(s) for s in (_column(data, slab, "slab"))]
    v = as_float_array("vi", _column(data, vi, "vi"), labels=labels)
    if v.size != k or len(labels) != k:
        raise ValueError(f"yi has {k} values but vi has {v.size} and slab {len(labels)}.")
    for i in np.flatnonzero(~(v > 0)):
        raise DataError(f"vi must be > 0; row {i} (study {labels[i]!r}) has {v[i]!r}.")
    npart, n_note = _participants(data, n, labels)
    if npart.size != k:
        raise ValueError(f"n has {npart.size} values but there are {k} trials.")
    notes: list[str] = [n_note] if n_note else []

    from ..measures import get_measure, table_meaning

    meaning = table_meaning(data, what="the trials")
    measure = meaning.measure
    if measure is not None and get_measure(measure).scale not in ("raw", "sd"):
        raise DataError(f"the trials are {measure} ({get_measure(measure).label}); trial sequential analysis is "
                        "implemented for continuous outcomes (raw or standardized mean differences) only; binary TSA "
                        "awaits a Mantel-Haenszel meta-analysis.")
    standardized = measure is not None and get_measure(measure).standardized
    sgn, dir_note = _direction(meaning.favours, direction)
    if dir_note:
        notes.append(dir_note)
    instrument = instrument or meaning.instrument
    if delta is None:
        if instrument is None:
            raise DataError("delta is needed: give the minimal relevant effect (signed as a benefit), or "
                            "instrument= so that its MCID from outcome_scales is used.")
        if sgn is None:
            raise DataError("delta defaults to the MCID of the instrument, but the direction of benefit is "
                            "unknown: pass direction='positive' or 'negative', or delta with its sign.")
        from ..datasets import load_dataset

        sc = load_dataset("outcome_scales") if scales is None else scales
        hit = sc[sc["instrument"].astype(str) == instrument]
        if hit.empty or pd.isna(hit["mcid"].iloc[0]):
            raise DataError(f"outcome_scales has no MCID for instrument {instrument!r}; pass delta=.")
        if standardized:
            raise DataError(f"the MCID of {instrument!r} is in instrument units but yi are {measure}s; pass "
                            "delta= on the SMD scale.")
        delta = sgn * float(hit["mcid"].iloc[0])
        unit = str(hit["unit"].iloc[0]) if "unit" in hit.columns and pd.notna(hit["unit"].iloc[0]) else "units"
        notes.append(f"delta = the MCID of {instrument} in outcome_scales ({abs(delta):g} {unit}), signed as "
                     "a benefit")
    delta = float(delta)
    if not math.isfinite(delta) or delta == 0:
        raise DataError(f"delta must be a finite, non-zero minimal relevant effect; got {delta!r}.")
    if sgn is None and instrument is not None and not standardized:
        _check_delta_against_instrument(delta, instrument, scales)
    if sgn is None:
        notes.append(f"the data carry no orientation: a benefit is taken to be a "
                     f"{'positive' if delta > 0 else 'negative'} effect, the sign of delta = {delta:g} "
                     "(check it, or pass direction=)")
    if sgn is not None and math.copysign(1.0, delta) != sgn:
        raise DataError(
            f"delta = {delta:g} has the wrong sign: the data say a benefit is a "
            f"{'positive' if sgn > 0 else 'negative'} effect ({dir_note}). Give delta the sign of a benefit."
        )
    if sd is not None and standardized and float(sd) != 1.0:
        raise DataError(f"sd = {sd:g} was given but yi are {measure}s (SD units): the RIS is on the SMD scale with "
                        "sd 1. Drop sd= and give delta= in SD units (or pass mean differences with their SD).")
    if sd is None:
        if standardized:
            sd = 1.0
            notes.append(f"yi are {measure}s: the SD is 1 (the RIS is on the SMD scale)")
        else:
            raise DataError(
                f"sd is needed: yi are {measure or 'of unknown measure'} (not standardized); give the outcome's "
                "SD in yi units (e.g. the pooled SD of the trials), or pass SMDs with a 'measure' column.")
    sd = float(sd)
    if not (math.isfinite(sd) and sd > 0):
        raise DataError(f"sd must be > 0; got {sd!r}.")

    args = {"delta": delta, "sd": sd, "alpha": alpha, "beta": beta, "heterogeneity": heterogeneity,
            "boundary": boundary, "method": method, "test": test, "futility": futility}
    return analyse(y, v, npart, labels, delta=delta, sd=sd, alpha=alpha, beta=beta, heterogeneity=heterogeneity,
                   boundary=boundary, method=method, test=test, futility=futility, measure=measure,
                   instrument=instrument, sgn=sgn, notes=notes, args=args)


def analyse(y: np.ndarray, v: np.ndarray, npart: np.ndarray, labels: list[str], *, delta: float, sd: float,
            alpha: float, beta: float, heterogeneity: str, boundary: str, method: str, test: str, futility: bool,
            measure: str | None, instrument: str | None, sgn: float | None, notes: list[str], args: dict,
            z_curve: np.ndarray | None = None, function: str = "trial_sequential_analysis") -> TSAResult:
    """The shared core of the TSA front ends (validated inputs): RIS, cumulative fits, boundaries, result.

    ``z_curve`` replaces the cumulative random-effects z statistics (e.g. Mantel-Haenszel ones for binary
    outcomes); the cumulative estimates, D² and the TSA-adjusted interval stay those of the ``method`` fit.
    """
    k = y.size
    level = 1 - alpha
    cum = _cumulative(y, v, method, test, level)
    tau2 = float(cum["tau2"].iloc[-1]) if k > 1 else 0.0
    d2 = diversity(v, tau2)
    final = rma_fit(y, v, method=method, test="z", level=level) if k > 1 else None
    i2 = float(final["i2"]) / 100.0 if final is not None else 0.0
    adj = {"D2": d2, "I2": i2, "none": 0.0}[heterogeneity]
    ris = required_information_size(delta, sd, alpha=alpha, beta=beta, adjustment=adj)

    cum_n = np.cumsum(npart)
    frac = np.minimum(cum_n / ris, 1.0)
    uniq, inv = np.unique(frac, return_inverse=True)
    drift = float(special.ndtri(1 - alpha / 2) + special.ndtri(1 - beta))
    b = boundaries(uniq, alpha=alpha, spending=boundary, beta=beta if futility else None,
                   drift=drift if futility else None)
    up = b["upper"][inv]
    fut = b["futility"][inv]
    mon = pd.DataFrame({
        "study": labels, "n": npart, "cumulative_n": cum_n, "information_fraction": frac,
        "z": cum["z"].to_numpy() if z_curve is None else np.asarray(z_curve, dtype=float),
        "z_boundary_upper": up, "z_boundary_lower": -up,
        "futility_upper": fut, "futility_lower": -fut,
        "estimate": cum["estimate"].to_numpy(), "se": cum["se"].to_numpy(),
        "ci_low": cum["ci_low"].to_numpy(), "ci_high": cum["ci_high"].to_numpy(),
        "tau2": cum["tau2"].to_numpy(),
    })
    crossed_at = np.flatnonzero(np.abs(mon["z"].to_numpy()) >= up)
    futile_at = np.flatnonzero((fut > 0) & (np.abs(mon["z"].to_numpy()) < fut)) if futility else np.array([])
    est, se = float(cum["estimate"].iloc[-1]), float(cum["se"].iloc[-1])
    c_last = float(up[-1])
    return TSAResult(
        required_information_size=ris, d2=d2, i2=100 * i2, adjustment=adj, heterogeneity=heterogeneity,
        delta=delta, sd=sd, alpha=alpha, beta=beta, boundary=boundary, method=method, test=test,
        futility=futility, monitoring=mon, crossed=bool(crossed_at.size),
        first_crossing=labels[int(crossed_at[0])] if crossed_at.size else None,
        futility_reached=bool(futile_at.size),
        first_futility=labels[int(futile_at[0])] if futile_at.size else None,
        total_n=float(cum_n[-1]), information_fraction=float(frac[-1]),
        remaining_n=max(0.0, ris - float(cum_n[-1])), estimate=est, se=se,
        ci_low=float(cum["ci_low"].iloc[-1]), ci_high=float(cum["ci_high"].iloc[-1]),
        tsa_ci_low=est - c_last * se, tsa_ci_high=est + c_last * se, tau2=tau2, k=k,
        measure=measure, instrument=instrument, benefit_sign=sgn if sgn is not None else math.copysign(1, delta),
        yi=y, vi=v, labels=tuple(labels), notes=tuple(notes), z_conventional=float(special.ndtri(1 - alpha / 2)),
        provenance=make_provenance(function, args, y, v, npart),
    )


def alpha_spending_boundaries(
    information_fraction: Any,
    *,
    alpha: float = 0.05,
    boundary: str = "obf",
    beta: float | None = None,
    drift: float | None = None,
) -> pd.DataFrame:
    """Two-sided Lan-DeMets monitoring boundaries at given information fractions.

    Parameters
    ----------
    information_fraction : array-like
        Strictly increasing fractions in (0, 1] (cap observed fractions at 1 first).
    alpha : float
        Two-sided type I error (alpha/2 per side).
    boundary : {"obf", "pocock"}
        O'Brien-Fleming-type (each side spends ``2 - 2 Phi(z_{1-alpha/4} / sqrt(t))``) or Pocock-type.
    beta, drift : float, optional
        With both: inner-wedge futility boundaries by beta spending under ``E Z(t) = drift sqrt(t)``.

    Returns
    -------
    DataFrame
        ``information_fraction, z_boundary_upper, z_boundary_lower, alpha_spent`` (cumulative, both sides)
        and, with ``beta``, ``futility_upper, futility_lower, beta_spent``.

    Raises
    ------
    DataError
        A fraction above 1, at or below 0, or fractions not strictly increasing.

    Notes
    -----
    Validated against rpact 3.3.4 ``getDesignGroupSequential(sided = 2, typeOfDesign = "asOF" | "asP")``
    (``tests/reference/r/tsa_spending.R``) and, for closely spaced looks, exact bivariate-normal integration.

    Examples
    --------
    >>> alpha_spending_boundaries([0.2, 0.5, 0.9])["z_boundary_upper"].round(6).tolist()
    [4.876885, 2.962629, 2.104959]
    """
    t = as_float_array("information_fraction", information_fraction)
    if np.any(t > 1):
        i = int(np.flatnonzero(t > 1)[0])
        raise DataError(f"information_fraction must be <= 1; entry {i} is {float(t[i])!r}. Cap fractions at 1 (the RIS "
                        "is reached) or recompute the required information size.")
    if np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise DataError("information_fraction must be strictly increasing and > 0; merge looks with equal "
                        "fractions.")
    check_option("boundary", boundary, list(SPENDING))
    alpha = check_probability("alpha", alpha)
    if beta is not None:
        beta = check_probability("beta", beta)
        if drift is None:
            raise ValueError("futility boundaries (beta=) need drift=, e.g. z_{1-alpha/2} + z_{1-beta}.")
    b = boundaries(t, alpha=alpha, spending=boundary, beta=beta, drift=drift)
    out = pd.DataFrame({"information_fraction": t, "z_boundary_upper": b["upper"],
                        "z_boundary_lower": -b["upper"], "alpha_spent": b["alpha_spent"]})
    if beta is not None:
        out["futility_upper"], out["futility_lower"] = b["futility"], -b["futility"]
        out["beta_spent"] = b["beta_spent"]
    return out
