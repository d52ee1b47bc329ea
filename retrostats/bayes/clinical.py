"""Clinical probabilities from a Bayesian meta-analysis.

P(effect beyond the MCID) and P(a new trial shows benefit).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..exceptions import DataError
from ..measures import get_measure
from ..validators import check_interval, did_you_mean

__all__ = ["clinical_probabilities", "lookup_scale"]


def lookup_scale(instrument: str, scales: pd.DataFrame | None = None) -> dict[str, Any]:
    """``mcid`` and ``higher_is_better`` of an instrument from ``outcome_scales`` (or a frame like it).

    Examples
    --------
    >>> s = pd.DataFrame({"instrument": ["NPRS"], "mcid": [2.0], "higher_is_better": [False]})
    >>> lookup_scale("NPRS", s)
    {'instrument': 'NPRS', 'mcid': 2.0, 'higher_is_better': False}
    """
    if scales is None:
        from ..datasets import load_dataset

        scales = load_dataset("outcome_scales")
    hit = scales[scales["instrument"].astype(str) == str(instrument)]
    if hit.empty:
        raise DataError(
            f"instrument {instrument!r} is not in outcome_scales; known instruments: "
            f"{sorted(map(str, scales['instrument']))}. Pass mcid= and higher_is_better= instead."
            f"{did_you_mean(instrument, scales['instrument'].astype(str))}"
        )
    row = hit.iloc[0]
    mcid = row.get("mcid")
    mcid = float(mcid) if mcid is not None and not pd.isna(mcid) else math.nan
    return {"instrument": str(instrument), "mcid": mcid, "higher_is_better": bool(row["higher_is_better"])}


def clinical_probabilities(
    result: Any,
    mcid: float | None = None,
    *,
    instrument: str | None = None,
    higher_is_better: bool | None = None,
    se_new: float | None = None,
    scales: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Posterior probabilities that the effect is beneficial and that it exceeds the MCID.

    The effects are read as ``treatment - comparator`` (``yi`` from group 1 minus group 2, as
    :func:`retrostats.effect_sizes` computes them): for an instrument where lower is better (pain scores),
    benefit means an effect below 0 and a clinically important benefit an effect below ``-mcid``.

    Parameters
    ----------
    result : BayesMetaResult
    mcid : float, optional
        Minimal clinically important difference (> 0) on the effect's scale. Default: the instrument's MCID
        from ``outcome_scales``; required when that is missing or when the effects are standardized (then
        give the MCID in SD units, e.g. ``mcid / sd``).
    instrument : str, optional
        Defaults to the result's instrument (the data's ``instrument`` column when it held one value).
    higher_is_better : bool, optional
        Direction of benefit; defaults to positive when the result was fitted to harmonised effects
        (``result.harmonised``, e.g. from :func:`retrostats.registry_effect_sizes`), else the instrument's.
    se_new : float, optional
        Standard error of a planned new trial: adds the row ``y_new`` (its estimate, theta_new plus
        sampling error).
    scales : DataFrame, optional
        A table with ``instrument, mcid, higher_is_better`` (default: ``load_dataset("outcome_scales")``).

    Returns
    -------
    DataFrame
        Index ``mu`` (the mean effect), ``theta_new`` (the true effect in a new study) and optionally
        ``y_new``; columns ``p_benefit`` (beyond 0 in the benefit direction), ``p_mcid`` (beyond the MCID),
        ``mcid`` and ``benefit_direction`` (``"less"`` or ``"greater"``).

    Raises
    ------
    DataError
        Unknown instrument, or no MCID available and none given, or an MCID in raw units for
        standardized effects.

    Examples
    --------
    >>> from retrostats.bayes import bayes_meta_analysis
    >>> d = pd.DataFrame({"yi": [-2.1, -1.0, -1.8], "vi": [0.4, 0.5, 0.3], "instrument": "NPRS"})
    >>> fit = bayes_meta_analysis(d, mu_prior=("normal", 0, 5), tau_prior=("half-normal", 1))
    >>> s = pd.DataFrame({"instrument": ["NPRS"], "mcid": [1.0], "higher_is_better": [False]})
    >>> fit.clinical_probabilities(scales=s).loc["mu", "p_mcid"].round(3)
    np.float64(0.906)
    """
    instrument = instrument if instrument is not None else result.instrument
    info: dict[str, Any] = {"mcid": math.nan, "higher_is_better": None}
    if instrument is not None and (mcid is None or higher_is_better is None):
        info = lookup_scale(instrument, scales)
    if mcid is None:
        if math.isnan(info["mcid"]):
            where = (
                f"instrument {instrument!r} has no MCID in outcome_scales"
                if instrument
                else "no instrument is known for these effects"
            )
            raise DataError(f"{where}; pass mcid= (a positive number on the effect's scale).")
        if result.measure is not None and not get_measure(result.measure).mcid_applies:
            m = get_measure(result.measure)
            raise DataError(
                f"the effects are {result.measure} ({m.label}, {m.scale} scale) but the MCID of "
                f"{instrument!r} ({info['mcid']:g}) is in the instrument's units; pass mcid= on the "
                f"effects' scale instead (for SD units: the MCID divided by the outcome SD)."
            )
        mcid = info["mcid"]
    mcid = check_interval("mcid", mcid, 0, low_inclusive=False)
    if higher_is_better is None and getattr(result, "harmonised", False):
        # effects already oriented so that positive means benefit (e.g. from registry_effect_sizes)
        higher_is_better = True
    if higher_is_better is None:
        if info["higher_is_better"] is None:
            raise DataError(
                "the direction of benefit is unknown; pass higher_is_better= (True or False) or instrument=."
            )
        higher_is_better = info["higher_is_better"]
    alt = "greater" if higher_is_better else "less"
    rows = {}
    for q in ("mu", "theta_new"):
        rows[q] = {
            "p_benefit": result.probability(q, 0.0, alt),
            "p_mcid": result.probability(q, mcid if higher_is_better else -mcid, alt),
        }
    if se_new is not None:
        se_new = check_interval("se_new", se_new, 0, low_inclusive=False)
        rows["y_new"] = {
            "p_benefit": _new_trial_prob(result, 0.0, se_new, higher_is_better),
            "p_mcid": _new_trial_prob(result, mcid if higher_is_better else -mcid, se_new, higher_is_better),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out["mcid"] = mcid
    out["benefit_direction"] = alt
    return out


def _new_trial_prob(result: Any, threshold: float, se_new: float, higher_is_better: bool) -> float:
    post = result._posterior
    if hasattr(post, "components"):  # exact: theta_new mixture convolved with N(0, se_new^2)
        logw, m, sd = post.components("theta_new")
        z = (threshold - m) / np.sqrt(sd * sd + se_new * se_new)
        below = float(np.exp(special.logsumexp(logw + special.log_ndtr(z))))
    else:
        tn = post.draws["theta_new"]
        below = float(np.mean(special.ndtr((threshold - tn) / se_new)))
    return 1.0 - below if higher_is_better else below
