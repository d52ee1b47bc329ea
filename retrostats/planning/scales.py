"""What planning needs to know about an instrument: its unit and an outcome SD from published trials.

Planning works in SD units; a plan on a named instrument (``retrostats plan --instrument NPRS``) needs the
instrument's unit (from ``outcome_scales``) to say the detectable difference in points or millimetres, and an
outcome SD to convert an MCID or a raw effect. :func:`registry_sd` pools the SDs the shipped registry reports.
"""

from __future__ import annotations

import math

import pandas as pd

from ..exceptions import DataError
from ..validators import did_you_mean

__all__ = ["scale_unit", "registry_sd", "check_instrument"]


def _scales(scales: pd.DataFrame | None) -> pd.DataFrame:
    if scales is None:
        from ..datasets import load_dataset

        scales = load_dataset("outcome_scales")
    return scales


def check_instrument(instrument: str, *, scales: pd.DataFrame | None = None, name: str = "instrument") -> str:
    """Return ``instrument`` if ``outcome_scales`` knows it, else raise a short DataError with a suggestion.

    The message names the closest instrument (``Did you mean 'NPRS'?``) and says where the full list is,
    instead of listing all of them.

    Parameters
    ----------
    instrument : str
        An ``outcome_scales`` instrument code, e.g. ``"NPRS"``.
    scales : DataFrame, optional
        The scales table (default: the shipped ``outcome_scales``).
    name : str
        How the message names the argument (``"--instrument"`` on the command line).

    Returns
    -------
    str
        ``instrument``, unchanged.

    Raises
    ------
    DataError
        An instrument ``outcome_scales`` does not hold.

    Notes
    -----
    A lookup, nothing is computed (validated against the shipped table in ``tests/test_planning_cli.py``).

    Examples
    --------
    >>> check_instrument("NPRS")
    'NPRS'
    >>> check_instrument("NPSR")
    Traceback (most recent call last):
    ...
    retrostats.exceptions.DataError: instrument 'NPSR' is not in outcome_scales. Did you mean 'NPRS'? ...
    """
    known = [str(i) for i in _scales(scales)["instrument"]]
    if instrument not in known:
        raise DataError(
            f"{name} {instrument!r} is not in outcome_scales.{did_you_mean(instrument, known)} All {len(known)} "
            "instruments: `retrostats datasets show outcome_scales --csv` (or load_dataset('outcome_scales'))."
        )
    return instrument


def scale_unit(instrument: str | None, *, scales: pd.DataFrame | None = None) -> str:
    """The unit of ``instrument`` in ``outcome_scales`` (``"mm"`` for VAS_100), or ``"points"`` when it has none.

    Parameters
    ----------
    instrument : str or None
        An ``outcome_scales`` instrument; None or an unknown instrument gives ``"points"``.
    scales : DataFrame, optional
        The scales table (default: the shipped ``outcome_scales``).

    Returns
    -------
    str
        The unit.

    Notes
    -----
    A lookup in the shipped table (validated against it in ``tests/test_plan_ux.py``).

    Examples
    --------
    >>> scale_unit("VAS_100"), scale_unit(None)
    ('mm', 'points')
    """
    if not instrument:
        return "points"
    sc = _scales(scales).set_index("instrument")
    if instrument not in sc.index or "unit" not in sc.columns or pd.isna(sc.loc[instrument, "unit"]):
        return "points"
    return str(sc.loc[instrument, "unit"])


def registry_sd(instrument: str, *, arms: pd.DataFrame | None = None) -> tuple[float, str]:
    """An outcome SD for planning: the root mean square of the arm SDs published for ``instrument``.

    Parameters
    ----------
    instrument : str
        An instrument of the registry (``retro_arms.instrument``), e.g. ``"NPRS"``.
    arms : DataFrame, optional
        A table in the ``retro_arms`` layout (default: the shipped ``retro_arms``).

    Returns
    -------
    (float, str)
        The SD and a sentence saying where it comes from (the trials, how many SDs, how many are flagged
        ambiguous in the registry).

    Raises
    ------
    DataError
        Fewer than two trials report an SD of ``instrument``: too little to plan on.

    Notes
    -----
    The root mean square of the SDs (the square root of the mean variance), so arms count equally whatever
    their size; validated against a direct computation on the shipped registry in
    ``tests/test_planning_cli.py``.

    Examples
    --------
    >>> a = pd.DataFrame({"study_id": ["a", "a", "b"], "instrument": "NPRS", "statistic": "sd",
    ...                   "value": [2.0, 2.0, 1.0], "ambiguous": False})
    >>> sd, note = registry_sd("NPRS", arms=a)
    >>> round(sd, 6), note
    (1.732051, 'root mean square of 3 published arm SDs of NPRS (a, b)')
    """
    if arms is None:
        from ..datasets import load_dataset

        arms = load_dataset("retro_arms")
    s = arms[(arms["instrument"] == instrument) & (arms["statistic"] == "sd")]
    trials = sorted(set(map(str, s["study_id"])))
    if len(trials) < 2:
        seen = f" (only {', '.join(trials)} reports one)" if trials else ""
        raise DataError(
            f"the registry has published SDs of {instrument!r} from fewer than two trials{seen}; too little to "
            "plan on: give the SD yourself (--sd on the command line), e.g. from a large trial or cohort in "
            "your population, and cite it."
        )
    values = s["value"].to_numpy(dtype=float)
    sd = math.sqrt(float((values**2).mean()))
    flagged = int(s["ambiguous"].fillna(False).astype(bool).sum()) if "ambiguous" in s.columns else 0
    note = f"; {flagged} of them flagged ambiguous in the registry" if flagged else ""
    return sd, f"root mean square of {len(s)} published arm SDs of {instrument} ({', '.join(trials)}{note})"
