"""The measure registry: one place that says what an effect size *means*.

Every consumer (effect sizes, harmonisation, the registry routes, meta-analysis summaries and multiverses,
planning, Bayesian priors and clinical probabilities, figures, the report) asks this registry instead of
keeping its own list. A measure knows

- its ``family``: how it is computed (``two-group``: group 1 vs group 2; ``pre-post``: one group measured
  twice; ``pre-post-control``: two groups measured before and after; ``contrast``: a published between-arm
  estimate; ``binary``: events in two groups);
- its ``scale``: ``raw`` (instrument units, e.g. NPRS points or mm), ``sd`` (standardized, SD units),
  ``log`` (log of a ratio) or ``risk`` (a difference of proportions);
- its ``label`` (for axes and summaries) and ``back_transform`` (e.g. ``exp`` for log ratios);
- whether an MCID in instrument units applies (only on the ``raw`` scale);
- optionally the ``kernel`` that computes ``(yi, vi)`` and the ``arguments`` it takes, so that
  :func:`retrostats.effect_sizes` can compute a newly registered measure.

Adding a measure is one call (and nothing else anywhere)::

    from retrostats.measures import Measure, register_measure
    register_measure(Measure("OR", family="binary", scale="log", label="log odds ratio",
                             back_transform=np.exp, back_label="odds ratio",
                             kernel=my_kernel, arguments=("events1", "n1", "events2", "n2")))

Effect tables carry their meaning as columns (``measure``, ``instrument`` and ``favours``, e.g.
``"positive favours retro"``); :func:`table_meaning` reads them back, refusing mixed measures or scales.

Examples
--------
>>> get_measure("SMD").scale, get_measure("MD").mcid_applies
('sd', True)
>>> [m for m in measure_codes(scale="sd")]
['SMD', 'SMDH', 'SMCC', 'SMCR', 'SMD_PPC2']
>>> get_measure("ROM").back(0.0)
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .datasets.schemas import blank_cells
from .exceptions import DataError
from .kernels import escalc as K
from .kernels.escalc_binary import from_counts
from .validators import did_you_mean

__all__ = [
    "Measure",
    "Scale",
    "SCALES",
    "FAMILIES",
    "MEASURES",
    "register_measure",
    "unregister_measure",
    "get_measure",
    "measure_codes",
    "EffectMeaning",
    "table_meaning",
    "favours_text",
    "oriented_towards",
    "meaning_of",
    "axis_label",
]


@dataclass(frozen=True)
class Scale:
    """What one unit of ``yi`` is, and the Bayesian default priors that fit it.

    Attributes
    ----------
    name : str
        ``raw``, ``sd``, ``log`` or ``risk``.
    description : str
    mu_prior, tau_prior : tuple or None
        Default priors of :func:`retrostats.bayes_meta_analysis` on this scale; ``None`` for ``raw``, whose
        defaults are sized from the instrument's range (see :func:`retrostats.bayes.default_priors`).
    """

    name: str
    description: str
    mu_prior: tuple | None
    tau_prior: tuple | None


#: the scales an effect can live on
SCALES: dict[str, Scale] = {
    "raw": Scale("raw", "instrument units (e.g. NPRS points, mm)", None, None),
    "sd": Scale("sd", "standard-deviation units (standardized)", ("normal", 0.0, 2.0), ("half-normal", 0.5)),
    "log": Scale("log", "log of a ratio", ("normal", 0.0, 2.0), ("half-normal", 0.5)),
    "risk": Scale("risk", "difference of two proportions", ("normal", 0.0, 0.5), ("half-normal", 0.1)),
}

#: the families of measures (how they are computed)
FAMILIES: dict[str, str] = {
    "two-group": "group 1 vs group 2 from each group's mean, SD and size",
    "pre-post": "one group measured twice (m1 minus m2)",
    "pre-post-control": "two groups measured at baseline and follow-up",
    "contrast": "a published between-arm estimate",
    "binary": "events in two groups",
}


def _identity(x: Any) -> Any:
    return x


@dataclass(frozen=True)
class Measure:
    """One effect measure and its meaning.

    Attributes
    ----------
    code : str
        metafor's code (``MD``, ``SMD``, ...), as written in an effect table's ``measure`` column.
    family : str
        A key of :data:`FAMILIES`.
    scale : str
        A key of :data:`SCALES`.
    label : str
        Short name for axes and summaries, e.g. ``"mean difference"``.
    back_transform : callable, optional
        Maps ``yi`` (and interval ends) to the reporting scale (``np.exp`` for log ratios); identity when None.
    back_label : str, optional
        Name of the back-transformed quantity (e.g. ``"ratio of means"``).
    mcid_applies : bool, optional
        Whether an MCID in instrument units can be compared with ``yi``; by default True exactly on the
        ``raw`` scale.
    kernel : callable, optional
        ``kernel(*arrays) -> (yi, vi)`` taking the ``arguments`` in order; lets
        :func:`retrostats.effect_sizes` compute the measure.
    arguments : tuple of str
        Argument names of :func:`retrostats.effect_sizes` that the kernel takes.
    sd_basis : str, optional
        For standardized measures: which SD divides (``final``, ``change``, ``baseline``, ``pooled``).
    description : str
    axis_name : str, optional
        Short name for axis labels (figures have little room); default: the label when it is short, else
        the code.
    """

    code: str
    family: str
    scale: str
    label: str
    back_transform: Callable[[Any], Any] | None = None
    back_label: str | None = None
    mcid_applies: bool | None = None
    kernel: Callable[..., tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False)
    arguments: tuple[str, ...] = ()
    sd_basis: str | None = None
    description: str = ""
    axis_name: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code.strip():
            raise ValueError(f"Measure.code must be a non-empty string; got {self.code!r}.")
        if self.family not in FAMILIES:
            raise ValueError(
                f"Measure {self.code!r}: family must be one of {list(FAMILIES)}; got {self.family!r}."
                f"{did_you_mean(self.family, FAMILIES)}"
            )
        if self.scale not in SCALES:
            raise ValueError(
                f"Measure {self.code!r}: scale must be one of {list(SCALES)}; got {self.scale!r}."
                f"{did_you_mean(self.scale, SCALES)}"
            )
        if self.mcid_applies is None:
            object.__setattr__(self, "mcid_applies", self.scale == "raw")
        if self.kernel is not None and not self.arguments:
            raise ValueError(f"Measure {self.code!r}: a kernel needs its arguments (names, in order).")

    @property
    def axis(self) -> str:
        """The name figures put on an axis (:attr:`axis_name`, the short label, or the code)."""
        if self.axis_name:
            return self.axis_name
        return self.label[0].upper() + self.label[1:] if len(self.label) <= 24 else self.code

    @property
    def standardized(self) -> bool:
        """True on the SD scale (a planning effect size as it stands)."""
        return self.scale == "sd"

    @property
    def rescales_with_instrument(self) -> bool:
        """True when re-expressing the instrument (NPRS to VAS mm) multiplies ``yi`` (raw scale only)."""
        return self.scale == "raw"

    def back(self, x: Any) -> Any:
        """``yi`` (or an interval end) on the reporting scale.

        Examples
        --------
        >>> round(get_measure("ROM").back(np.log(2.0)), 12)
        2.0
        """
        fn = self.back_transform or _identity
        out = fn(x)
        return float(out) if np.ndim(out) == 0 else out


#: the registry: code -> Measure (add with :func:`register_measure`)
MEASURES: dict[str, Measure] = {}


def register_measure(measure: Measure, *, replace: bool = False) -> Measure:
    """Add a measure to the registry; every consumer sees it at once.

    Parameters
    ----------
    measure : Measure
    replace : bool
        Allow replacing a registered measure of the same code.

    Returns
    -------
    Measure
        The measure registered.

    Raises
    ------
    ValueError
        The code is registered already (and ``replace`` is False).

    Examples
    --------
    >>> m = register_measure(Measure("DEMO", family="contrast", scale="sd", label="demo"))
    >>> get_measure("DEMO").standardized
    True
    >>> unregister_measure("DEMO")
    """
    if not isinstance(measure, Measure):
        raise TypeError(f"register_measure takes a Measure; got {type(measure).__name__}.")
    if measure.code in MEASURES and not replace:
        raise ValueError(f"measure {measure.code!r} is registered already; pass replace=True to change it.")
    MEASURES[measure.code] = measure
    return measure


def unregister_measure(code: str) -> None:
    """Remove a measure from the registry (e.g. a test's temporary measure); unknown codes are ignored.

    Parameters
    ----------
    code : str
    """
    MEASURES.pop(code, None)


def get_measure(code: Any) -> Measure:
    """The registered :class:`Measure` of ``code``.

    Parameters
    ----------
    code : str or Measure
        A measure code as written in an effect table's ``measure`` column (a Measure is returned as is).

    Returns
    -------
    Measure

    Raises
    ------
    ValueError
        An unknown code, listing the known ones and the closest match.

    Examples
    --------
    >>> get_measure("SMD").label
    "standardized mean difference (Hedges' g)"
    >>> get_measure("SDM")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown measure 'SDM'; registered: MD, SMD, ... Did you mean 'SMD'?
    """
    if isinstance(code, Measure):
        return code
    m = MEASURES.get(str(code))
    if m is None:
        raise ValueError(
            f"unknown measure {code!r}; registered: {', '.join(MEASURES)}.{did_you_mean(code, MEASURES)}"
        )
    return m


def measure_codes(*, scale: str | None = None, family: str | None = None) -> tuple[str, ...]:
    """Registered measure codes, optionally only those of one ``scale`` and/or ``family``.

    Parameters
    ----------
    scale, family : str, optional
        Keys of :data:`SCALES` and :data:`FAMILIES`.

    Returns
    -------
    tuple of str
        In registration order.

    Examples
    --------
    >>> measure_codes(family="pre-post")
    ('MC', 'SMCC', 'SMCR')
    """
    return tuple(
        c
        for c, m in MEASURES.items()
        if (scale is None or m.scale == scale) and (family is None or m.family == family)
    )


_TWO = ("m1", "sd1", "n1", "m2", "sd2", "n2")
_BIN = ("events1", "n1", "events2", "n2")
_BUILTIN = [
    Measure("MD", "two-group", "raw", "mean difference", kernel=K.md, arguments=_TWO,
            description="group 1 minus group 2 in instrument units (metafor MD)"),
    Measure("SMD", "two-group", "sd", "standardized mean difference (Hedges' g)", kernel=K.smd,
            arguments=_TWO, sd_basis="pooled", description="metafor SMD, exact small-sample correction",
            axis_name="SMD (Hedges' g)"),
    Measure("SMDH", "two-group", "sd", "standardized mean difference (heteroscedastic SDs)",
            kernel=K.smdh, arguments=_TWO, sd_basis="pooled", description="metafor SMDH (Bonett 2008)"),
    Measure("ROM", "two-group", "log", "log ratio of means", back_transform=np.exp,
            back_label="ratio of means", kernel=K.rom, arguments=_TWO, description="metafor ROM"),
    Measure("MC", "pre-post", "raw", "mean change", kernel=K.mc,
            arguments=("m1", "m2", "sd1", "sd2", "n", "ri"), description="metafor MC"),
    Measure("SMCC", "pre-post", "sd", "standardized mean change (change-score SD)", kernel=K.smcc,
            arguments=("m1", "m2", "sd1", "sd2", "n", "ri"), sd_basis="change", description="metafor SMCC"),
    Measure("SMCR", "pre-post", "sd", "standardized mean change (raw-score SD)", kernel=K.smcr,
            arguments=("m1", "m2", "sd1", "n", "ri"), sd_basis="baseline", description="metafor SMCR"),
    Measure("SMD_PPC2", "pre-post-control", "sd", "pre-post-control SMD (Morris d_ppc2)",
            sd_basis="baseline", description="difference in mean changes / pooled baseline SD"),
    Measure("MD_ANCOVA", "pre-post-control", "raw", "baseline-adjusted mean difference",
            description="ANCOVA mean difference reconstructed from arm summaries"),
    # binary outcomes (responders, adverse events, dropout): metafor escalc, add=0.5, to="only0"
    Measure("OR", "binary", "log", "log odds ratio", back_transform=np.exp, back_label="odds ratio",
            kernel=from_counts("OR"), arguments=_BIN, description="metafor OR"),
    Measure("RR", "binary", "log", "log risk ratio", back_transform=np.exp, back_label="risk ratio",
            kernel=from_counts("RR"), arguments=_BIN, description="metafor RR"),
    Measure("RD", "binary", "risk", "risk difference", kernel=from_counts("RD"), arguments=_BIN,
            description="metafor RD (difference of proportions)"),
    Measure("PETO", "binary", "log", "log odds ratio (Peto)", back_transform=np.exp, back_label="odds ratio",
            kernel=from_counts("PETO"), arguments=_BIN, description="metafor PETO, (O - E) / V"),
]
for _m in _BUILTIN:
    register_measure(_m)
del _m


# ------------------------------------------------------------------------------ meaning carried by tables
@dataclass(frozen=True)
class EffectMeaning:
    """What the ``yi`` of an effect table mean, read from its columns.

    Attributes
    ----------
    measure : str or None
        The one measure of the table (None when the table has no ``measure`` column).
    instrument : str or None
        The one instrument (None when absent or when a standardized table mixes instruments).
    favours : str or None
        Who a positive ``yi`` favours (e.g. ``"retro"``) when the table is oriented (a ``favours`` column
        reading ``"positive favours <arm>"``); None when ``yi`` is group 1 minus group 2 as computed.
    """

    measure: str | None
    instrument: str | None
    favours: str | None

    @property
    def scale(self) -> str | None:
        """The measure's scale (None when the measure is unknown)."""
        return None if self.measure is None else get_measure(self.measure).scale


_PREFIX = "positive favours "


def favours_text(arm: str) -> str:
    """The ``favours`` cell of an oriented effect table: ``"positive favours <arm>"``.

    Examples
    --------
    >>> favours_text("retro")
    'positive favours retro'
    """
    return f"{_PREFIX}{arm}"


def oriented_towards(value: Any) -> str | None:
    """The arm a ``favours`` cell names (``"positive favours retro"`` -> ``"retro"``), else None.

    Examples
    --------
    >>> oriented_towards("positive favours retro"), oriented_towards("direction unknown")
    ('retro', None)
    """
    if isinstance(value, str) and value.startswith(_PREFIX):
        return value[len(_PREFIX) :]
    return None


def _cells(data: pd.DataFrame, column: str) -> set:
    """The distinct non-missing cells of a column (plain Python: effect tables are small)."""
    return {v for v in set(data[column].to_numpy(dtype=object).tolist())
            if not (v is None or (not isinstance(v, str) and pd.isna(v)))}  # NaN, NaT and pandas' NA


def _distinct(data: pd.DataFrame, column: str) -> list[str]:
    if column not in data.columns:
        return []
    return sorted({str(v) for v in _cells(data, column)})


def table_meaning(
    data: pd.DataFrame | None, *, what: str = "the effect table", strict: bool = True
) -> EffectMeaning:
    """Read (and check) the measure, instrument and orientation an effect table carries.

    Parameters
    ----------
    data : DataFrame or None
        An effect table (e.g. from :func:`retrostats.effect_sizes` or
        :func:`retrostats.registry_effect_sizes`, possibly filtered, concatenated or read back from CSV).
    what : str
        How messages name the table.
    strict : bool
        With False (for drawing rather than pooling, e.g. published estimates of several measures), mixed
        or unregistered measures and mixed instruments give None instead of an error; mixed orientations
        are still refused.

    Returns
    -------
    EffectMeaning

    Raises
    ------
    DataError
        Mixed measures; raw-scale effects on different instruments; rows oriented towards different arms,
        or oriented and unoriented rows mixed; an unknown measure code.

    Examples
    --------
    >>> t = pd.DataFrame({"yi": [1.0, 2.0], "measure": "MD", "instrument": "NPRS",
    ...                   "favours": "positive favours retro"})
    >>> table_meaning(t)
    EffectMeaning(measure='MD', instrument='NPRS', favours='retro')
    """
    if data is None or not isinstance(data, pd.DataFrame):
        return EffectMeaning(None, None, None)
    codes = _distinct(data, "measure")
    if not strict and (len(codes) > 1 or (codes and codes[0] not in MEASURES)):
        codes = []
    if len(codes) > 1:
        scales = {c: MEASURES[c].scale for c in codes if c in MEASURES}
        raise DataError(
            f"{what} mixes measures {codes}" + (f" (scales {scales})" if scales else "")
            + "; pool one measure at a time (filter on the 'measure' column) or recompute them as one."
        )
    measure = codes[0] if codes else None
    if measure is not None and measure not in MEASURES:
        raise DataError(
            f"{what} has measure {measure!r}, which is not registered; registered: {', '.join(MEASURES)}."
            f"{did_you_mean(measure, MEASURES)} Register it with retrostats.measures.register_measure()."
        )
    instruments = _distinct(data, "instrument")
    if len(instruments) > 1 and strict and measure is not None and MEASURES[measure].rescales_with_instrument:
        raise DataError(
            f"{what} has {measure} effects on different instruments {instruments}; raw differences on "
            "different scales cannot be pooled: rescale them to one instrument (registry_effect_sizes("
            "target_instrument=...)) or use a standardized measure (SMD)."
        )
    if instruments and strict and measure is not None and MEASURES[measure].rescales_with_instrument:
        unlabelled = blank_cells(data["instrument"])
        if unlabelled.any():
            raise DataError(
                f"{what} has {measure} effects on {instruments[0]!r} and rows with no instrument "
                f"({_row_names(data, unlabelled)}); raw differences can only be pooled on one scale: fill in "
                "their 'instrument' (or check that they are on the same scale) before pooling."
            )
    instrument = instruments[0] if len(instruments) == 1 else None
    favours = None
    if "favours" in data.columns and len(data):
        arms = {oriented_towards(v) for v in _cells(data, "favours")} or {None}
        blank = blank_cells(data["favours"])
        if blank.any() and arms != {None}:
            arms.add(None)  # an empty cell (e.g. a row added by pd.concat) is not oriented
        if len(arms) > 1:
            shown = sorted(str(a) if a is not None else "not oriented" for a in arms)
            rows = f" (empty: {_row_names(data, blank)})" if blank.any() else ""
            raise DataError(
                f"{what} mixes orientations in its 'favours' column ({shown}){rows}; re-orient every row the "
                "same way (retrostats.effects.harmonise_direction) before pooling."
            )
        favours = arms.pop()
    return EffectMeaning(measure, instrument, favours)


def _row_names(data: pd.DataFrame, mask: np.ndarray, limit: int = 8) -> str:
    """Rows named for a message: their position, with the study label when the table has one."""
    label = next((c for c in ("study_id", "study", "label") if c in data.columns), None)
    positions = np.flatnonzero(mask)
    names = [
        f"row {i}" + (f" {data[label].iloc[i]!r}" if label is not None else "") for i in positions[:limit]
    ]
    more = f" and {positions.size - limit} more" if positions.size > limit else ""
    return ", ".join(names) + more


def meaning_of(obj: Any, data: pd.DataFrame | None = None) -> EffectMeaning:
    """The meaning of what a figure draws: a result's ``measure/instrument/favours``, else a frame's columns.

    Lenient (``strict=False``): drawing published estimates of several measures is fine; mixed orientations
    are not.
    """
    if isinstance(obj, pd.DataFrame):
        return table_meaning(obj, what="the frame", strict=False)
    got = EffectMeaning(
        getattr(obj, "measure", None), getattr(obj, "instrument", None), getattr(obj, "favours", None)
    )
    if got.measure is None and got.favours is None and isinstance(data, pd.DataFrame):
        return table_meaning(data, what="data", strict=False)
    return got


def axis_label(meaning: EffectMeaning, arms: Any = ("retro", "control"), *, back: bool = False) -> str:
    """An axis label saying what the effect is and what a positive value means.

    With ``back=True`` the axis shows the measure's back-transform (a ratio axis of a log-scale measure):
    the label names the back-transformed quantity and, for oriented effects, says that ratios above 1
    favour the oriented arm.

    Examples
    --------
    >>> axis_label(EffectMeaning("MD", "NPRS", "retro"))
    'Mean difference, NPRS (positive favours retro)'
    >>> axis_label(EffectMeaning(None, None, None))
    'Effect (retro \u2212 control)'
    >>> axis_label(EffectMeaning("OR", None, None)).endswith("(retro vs control)")
    True
    >>> axis_label(EffectMeaning("RR", None, "retro"), back=True)
    'Risk ratio (above 1 favours retro)'
    """
    m = MEASURES.get(meaning.measure) if meaning.measure else None
    back = back and m is not None and bool(m.back_label)
    if back:
        name = m.back_label[0].upper() + m.back_label[1:]
    else:
        name = m.axis if m is not None else "Effect"
    if m is not None and m.scale == "raw" and meaning.instrument:
        name += f", {meaning.instrument}"
    if meaning.favours is not None:
        return f"{name} ({'above 1' if back else 'positive'} favours {meaning.favours})"
    exp_, comp = (str(a) for a in arms)
    # a ratio (log scale) compares the arms; "retro - control" would read as a difference of ratios
    joint = " vs " if m is not None and m.scale == "log" else " \u2212 "
    return f"{name} ({exp_}{joint}{comp})"
