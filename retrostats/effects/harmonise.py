"""Direction and scale harmonisation of effect sizes using ``outcome_scales``.

Sign conventions are made explicit (so that a figure can say "favours retro"), rescaling between instruments
of one family (VAS 0-100 mm to 0-10 cm) is recorded as a derivation step, and mixing change-score with
final-value standardized differences raises a warning.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd

from ..datasets import load_dataset
from ..exceptions import DataWarning
from ..measures import favours_text, measure_codes, oriented_towards
from .derivation import derivation_steps
from .derivation import step as _step

__all__ = ["direction_of", "harmonise_direction", "rescale_factor", "check_smd_mixing"]


def _scales(scales: pd.DataFrame | None) -> pd.DataFrame:
    if scales is None:
        scales = load_dataset("outcome_scales")
    return scales.set_index("instrument")


def direction_of(instrument: str, scales: pd.DataFrame | None = None) -> tuple[bool | None, str]:
    """Whether higher scores are better on ``instrument``, and where that was read.

    Looks the instrument up in ``outcome_scales``; an unlisted instrument such as ``WOMAC_unspecified``
    takes the direction shared by every listed instrument of its family (the part before the first ``_``),
    if they agree. Returns ``(None, reason)`` when unknown.

    Examples
    --------
    >>> direction_of("NPRS")
    (False, 'outcome_scales: NPRS higher_is_better = False')
    >>> direction_of("WOMAC_unspecified")[0]
    False
    """
    sc = _scales(scales)
    if instrument in sc.index and not pd.isna(sc.loc[instrument, "higher_is_better"]):
        if instrument == "other":
            return None, "instrument 'other': direction unknown, check the source"
        v = bool(sc.loc[instrument, "higher_is_better"])
        return v, f"outcome_scales: {instrument} higher_is_better = {v}"
    family = str(instrument).split("_")[0]
    fam = sc[[str(i).split("_")[0] == family and i != "other" for i in sc.index]]
    vals = set(fam["higher_is_better"].dropna().astype(bool))
    if len(vals) == 1:
        v = vals.pop()
        return v, (
            f"outcome_scales has no {instrument}; every {family}_* instrument there has "
            f"higher_is_better = {v}"
        )
    return None, f"direction of benefit unknown for instrument {instrument!r}; add it to outcome_scales"


def harmonise_direction(
    es: pd.DataFrame,
    *,
    instrument: str = "instrument",
    scales: pd.DataFrame | None = None,
    favours: str = "group 1",
) -> pd.DataFrame:
    """Orient effect sizes so that positive ``yi`` favours group 1 (e.g. retro walking).

    Rows whose instrument has lower-is-better scores get ``yi`` negated and the CI swapped; each row gets a
    derivation step, ``direction_known`` and ``favours`` (``"positive favours <favours>"``). Measures on the
    log scale (ROM) are negated in the same way (the log of the inverse ratio).

    Examples
    --------
    >>> from retrostats.effects import effect_sizes
    >>> es = effect_sizes(measure="MD", m1=[2.0], sd1=[1.0], n1=[10], m2=[3.0], sd2=[1.0], n2=[10])
    >>> es["instrument"] = "NPRS"
    >>> float(harmonise_direction(es, favours="retro")["yi"][0])
    1.0
    """
    if "favours" in es.columns and len(es) and all(oriented_towards(v) is not None for v in es["favours"]):
        # already oriented (e.g. registry_effect_sizes output): flipping again would undo it
        warnings.warn(
            "these effect sizes are already harmonised (favours: "
            f"{es['favours'].iloc[0]!r}); returned unchanged.",
            DataWarning,
            stacklevel=2,
        )
        return es.copy()
    sc = _scales(scales)
    out = es.copy()
    dirs = {i: direction_of(i, sc.reset_index()) for i in out[instrument].astype(str).unique()}
    hib = out[instrument].astype(str).map(lambda i: dirs[i][0])
    flip = (hib == False).to_numpy()  # noqa: E712 - object column of True/False/None
    known = hib.notna().to_numpy()
    out["yi"] = np.where(flip, -out["yi"], out["yi"])
    lo, hi = out["ci_low"].to_numpy(), out["ci_high"].to_numpy()
    out["ci_low"], out["ci_high"] = np.where(flip, -hi, lo), np.where(flip, -lo, hi)
    chains = []
    for i, (ins, d) in enumerate(zip(out[instrument].astype(str), out.get("derivation", [None] * len(out)))):
        why = dirs[ins][1]
        text = (
            f"sign flipped so that positive favours {favours} ({why})"
            if flip[i]
            else f"sign kept: positive favours {favours} ({why})"
            if known[i]
            else f"sign not harmonised: {why}"
        )
        chains.append(json.dumps(derivation_steps(d) + [_step("direction", text, flipped=bool(flip[i]))]))
    out["derivation"] = chains
    out["direction_known"] = known
    out["favours"] = np.where(known, favours_text(favours), "direction unknown")
    return out


def rescale_factor(from_instrument: str, to_instrument: str, scales: pd.DataFrame | None = None) -> float:
    """Factor that converts scores (and SDs) of one bounded instrument to another of the same outcome.

    ``(max_to - min_to) / (max_from - min_from)``; the instruments must measure the same outcome, run in the
    same direction and both have a finite range (VAS 0-100 mm to VAS 0-10 cm gives 0.1). Shifts of origin
    do not matter for differences. Raises a ValueError otherwise.

    Examples
    --------
    >>> rescale_factor("VAS_100", "VAS_10")
    0.1
    """
    sc = _scales(scales)
    for ins in (from_instrument, to_instrument):
        if ins not in sc.index:
            raise ValueError(f"instrument {ins!r} is not in outcome_scales; cannot rescale.")
    a, b = sc.loc[from_instrument], sc.loc[to_instrument]
    if a["outcome"] != b["outcome"] or bool(a["higher_is_better"]) != bool(b["higher_is_better"]):
        raise ValueError(
            f"{from_instrument} and {to_instrument} differ in outcome or direction; rescaling "
            "would not make them comparable (use an SMD)."
        )
    if any(pd.isna(x) for x in (a["min"], a["max"], b["min"], b["max"])):
        raise ValueError(f"{from_instrument} or {to_instrument} has no finite range in outcome_scales.")
    return float((b["max"] - b["min"]) / (a["max"] - a["min"]))


def check_smd_mixing(es: pd.DataFrame, *, basis: str = "basis", stacklevel: int = 2) -> bool:
    """Warn (DataWarning) when standardised differences from change scores and final values are mixed.

    An SMD of change scores is standardised by the SD of change, usually smaller than the SD of final
    values, so the two are not on one scale (Cochrane Handbook 10.5.2). Returns True when mixed.

    Examples
    --------
    >>> check_smd_mixing(pd.DataFrame({"measure": ["SMD", "SMD"], "basis": ["final", "final"]}))
    False
    """
    if basis not in es.columns or "measure" not in es.columns:
        return False
    std = es["measure"].astype(str).isin(measure_codes(scale="sd"))
    kinds = set(es.loc[std, basis].dropna().astype(str))
    if {"change", "final"} <= kinds:
        warnings.warn(
            "standardized differences from change scores and from final values are mixed; their "
            "SDs differ, so they are not on one scale. Analyse them separately or use MD.",
            DataWarning,
            stacklevel=stacklevel,
        )
        return True
    return False
