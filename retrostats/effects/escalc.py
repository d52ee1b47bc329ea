"""Effect sizes from what trials report, each carrying the derivation of its numbers.

:func:`effect_sizes` computes metafor's ``escalc`` measures (``MD SMD SMDH ROM MC SMCC SMCR``, default
``vtype``), SMDs from t, F or exact p-values, Morris's (2008) pre-post-control SMD (``SMD_PPC2``) and a
baseline-adjusted (ANCOVA) mean difference reconstructed from arm summaries (``MD_ANCOVA``). Every row gets a
``derivation``: a JSON list of steps (machine-readable) that :func:`render_derivation` turns into text.
:func:`sensitivity` reruns a computation over assumed correlations and conversion methods; the harmonisation
helpers make the direction of benefit and the scale explicit using ``outcome_scales``.

Examples
--------
>>> import retrostats as rs
>>> es = rs.effect_sizes(measure="SMD", m1=[1.56], sd1=[0.63], n1=[16], m2=[2.25], sd2=[0.86], n2=[16])
>>> round(float(es["yi"][0]), 4), round(float(es["vi"][0]), 4)
(-0.8922, 0.1374)
>>> print(render_derivation(es["derivation"][0]))
1. SMD (Hedges' g, exact correction c(30) = 0.974754) from means, SDs and sizes [metafor escalc, vtype LS]
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ..kernels import escalc as K
from ..measures import MEASURES as _REGISTRY
from ..measures import get_measure
from ..validators import as_float_array, check_confidence_level, check_option, row_label
from .binary import BINARY_MEASURES, binary_effect_sizes
from .derivation import Trail, derivation_steps, format_number, render_derivation, step

__all__ = [
    "effect_sizes",
    "sensitivity",
    "render_derivation",
    "derivation_steps",
    "MEASURES",
]

#: the built-in measures computed by :func:`effect_sizes` (any measure registered in
#: :mod:`retrostats.measures` with a kernel is computed too)
MEASURES = ("MD", "SMD", "SMDH", "ROM", "MC", "SMCC", "SMCR", "SMD_PPC2", "MD_ANCOVA")
_TWO = ("MD", "SMD", "SMDH", "ROM")
_ONE = ("MC", "SMCC", "SMCR")
_PRE = ("SMD_PPC2", "MD_ANCOVA")


def _computable() -> list[str]:
    """Measures effect_sizes can compute: the built-ins plus every registered measure with a kernel."""
    return [*MEASURES, *(c for c, m in _REGISTRY.items() if c not in MEASURES and m.kernel is not None)]
_OUT = ("yi", "vi", "sei", "ci_low", "ci_high")


# --------------------------------------------------------------------------------------------- derivations
# the trail lives in .derivation (below escalc, binary, harmonise and the registry routes)
_step, _g = step, format_number


# ------------------------------------------------------------------------------------------------ inputs
class _Inputs:
    """Resolve column names / arrays / scalars to validated float arrays of one length."""

    def __init__(self, data: pd.DataFrame | None, args: dict[str, Any], labels: Any):
        self.data, self.args = data, args
        if data is not None:
            if not isinstance(data, pd.DataFrame):
                raise TypeError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
            self.k = len(data)
            missing = [f"{a}={v!r}" for a, v in args.items() if isinstance(v, str) and v not in data.columns]
            if missing:
                raise DataError(
                    f"data has no column(s) for {', '.join(missing)}; it has {list(map(str, data.columns))}."
                )
        else:
            sizes = [np.size(v) for v in args.values() if v is not None and np.ndim(v) > 0]
            self.k = max(sizes) if sizes else 1
            bad = sorted(
                {a for a, v in args.items() if v is not None and np.ndim(v) > 0 and np.size(v) != self.k}
            )
            if bad:
                raise DataError(f"arguments {bad} have a different length from the others ({self.k}).")
        if labels is None and data is not None:
            labels = next((c for c in ("study_id", "study") if c in data.columns), None)
        if isinstance(labels, str) and data is not None:
            labels = data[labels].tolist()
        self.labels = None if labels is None else list(labels)
        self.assumed: dict[str, float] = {}

    def given(self, name: str) -> bool:
        return self.args.get(name) is not None

    def get(self, name: str, **rules: Any) -> np.ndarray:
        v = self.args.get(name)
        if v is None:
            raise DataError(f"measure needs {name!r}; pass a column name (with data) or values.")
        if isinstance(v, str) and self.data is not None:
            raw = self.data[v]
        elif np.ndim(v) == 0:
            if isinstance(v, str):
                raise DataError(f"{name}={v!r} is text; pass data= to use column names.")
            self.assumed[name] = float(v)
            raw = np.full(self.k, v, dtype=object)
        else:
            raw = v
        return as_float_array(name, raw, labels=self.labels, **rules)

    def where(self, i: int) -> str:
        return row_label(int(i), self.labels)


def _r_rules(allow_nan: bool = False) -> dict[str, Any]:
    return {"low": -1, "high": 1, "low_inclusive": False, "high_inclusive": False, "allow_nan": allow_nan}


def _need(inp: _Inputs, name: str, mask: np.ndarray, values: np.ndarray, why: str) -> None:
    bad = np.flatnonzero(mask & np.isnan(values))
    if bad.size:
        raise DataError(f"{name} is missing (NaN); {inp.where(bad[0])}; {why}")


# ----------------------------------------------------------------------------------------------- compute
def _two_group(inp: _Inputs, measure: str) -> tuple[np.ndarray, np.ndarray, Trail]:
    alt = any(inp.given(a) for a in ("t", "f", "p_value"))
    if alt and measure != "SMD":
        raise ValueError(f"t, f and p_value give only measure='SMD' (metafor's ti=); measure is {measure!r}.")
    n1, n2 = inp.get("n1", low=2), inp.get("n2", low=2)
    pos = {"positive": True, "allow_nan": alt}
    m1 = inp.get("m1", allow_nan=alt) if inp.given("m1") else np.full(inp.k, np.nan)
    m2 = inp.get("m2", allow_nan=alt) if inp.given("m2") else np.full(inp.k, np.nan)
    sd1 = inp.get("sd1", **pos) if inp.given("sd1") else np.full(inp.k, np.nan)
    sd2 = inp.get("sd2", **pos) if inp.given("sd2") else np.full(inp.k, np.nan)
    has_means = ~(np.isnan(m1) | np.isnan(m2) | np.isnan(sd1) | np.isnan(sd2))
    if not alt:
        for nm, arr in (("m1", m1), ("sd1", sd1), ("m2", m2), ("sd2", sd2)):
            _need(inp, nm, np.ones(inp.k, bool), arr, f"measure {measure!r} needs m1, sd1, m2, sd2.")
    if measure == "ROM":
        for nm, arr in (("m1", m1), ("m2", m2)):
            bad = np.flatnonzero(~(arr > 0))
            if bad.size:
                raise DataError(
                    f"{nm} must be > 0 for measure 'ROM' (log ratio of means); "
                    f"{inp.where(bad[0])} has {arr[bad[0]]!r}."
                )
    kern, _ = K.MEASURES[measure]
    # one chain (and one JSON text) per distinct df, shared by its rows; the text needs no per-row work
    how = "from means, SDs and sizes [metafor escalc, vtype LS]"
    if measure in ("MD", "ROM"):
        yi, vi = kern(m1, sd1, n1, m2, sd2, n2)
        texts, codes = [f"{'MD' if measure == 'MD' else 'ROM (log ratio of means)'} {how}"], np.zeros(inp.k)
    else:
        codes, dfs = pd.factorize(n1 + n2 - 2)  # hashing, not sorting: the distinct df in order of appearance
        cs = K.cmi(dfs)  # the exact correction once per distinct df, for the kernel and the text
        yi, vi = kern(m1, sd1, n1, m2, sd2, n2, c=cs[codes])
        name = {"SMD": "SMD (Hedges' g", "SMDH": "SMDH (heteroscedastic SDs"}[measure]
        texts = [f"{name}, exact correction c({df_i:.6g}) = {c_i:.6f}) {how}"  # df as format_number writes it
                 for df_i, c_i in zip(dfs.tolist(), cs.tolist())]
    steps = Trail.single_steps(measure, texts, codes)
    if alt:
        c = K.cmi(n1 + n2 - 2)
        t = inp.get("t", finite=True, allow_nan=True) if inp.given("t") else np.full(inp.k, np.nan)
        f = inp.get("f", nonnegative=True, allow_nan=True) if inp.given("f") else np.full(inp.k, np.nan)
        p = (
            inp.get("p_value", low=0, high=1, low_inclusive=False, allow_nan=True)
            if inp.given("p_value")
            else np.full(inp.k, np.nan)
        )
        sign = inp.get("sign", allow_nan=True) if inp.given("sign") else np.full(inp.k, np.nan)
        df = n1 + n2 - 2
        use_t = ~has_means & ~np.isnan(t)
        clash = np.flatnonzero(has_means & (np.sign(t) * np.sign(yi) < 0))  # NaN (no t, no means) compares False
        if clash.size:
            import warnings

            from ..exceptions import DataWarning

            warnings.warn(
                f"t and the means point opposite ways in {', '.join(inp.where(i) for i in clash)}: the means were "
                "used (as metafor's escalc does where both are given); check which group is group 1.",
                DataWarning, stacklevel=3,
            )
        use_f = ~has_means & ~use_t & ~np.isnan(f)
        use_p = ~has_means & ~use_t & ~use_f & ~np.isnan(p)
        none = np.flatnonzero(~(has_means | use_t | use_f | use_p))
        if none.size:
            raise DataError(
                f"{inp.where(none[0])} has neither m1, sd1, m2, sd2 nor t, f or p_value; "
                "supply one of them or drop the row."
            )
        bad = np.flatnonzero((use_f | use_p) & ~np.isin(sign, (-1.0, 1.0)))
        if bad.size:
            raise DataError(
                f"sign must be +1 or -1 where the SMD comes from f or p_value (they carry no "
                f"direction); {inp.where(bad[0])} has {sign[bad[0]]!r}. Use +1 when group 1 scored "
                "higher."
            )
        tt = np.where(use_t, t, np.where(use_f, sign * np.sqrt(f), sign * K.t_from_p(p, df)))
        alt_rows = use_t | use_f | use_p
        y2, v2 = K.t_to_smd(tt, n1, n2)
        yi, vi = np.where(alt_rows, y2, yi), np.where(alt_rows, v2, vi)
        for i in np.flatnonzero(alt_rows):
            pre = []
            if use_f[i]:
                pre.append(
                    _step(
                        "t_from_F",
                        f"t = {_g(sign[i])} x sqrt(F = {_g(f[i])}) = {tt[i]:.6g} "
                        "(F with 1 numerator df; sign supplied)",
                        F=f[i],
                        sign=sign[i],
                        t=tt[i],
                    )
                )
            if use_p[i]:
                pre.append(
                    _step(
                        "t_from_p",
                        f"t = {tt[i]:.6g} from exact p = {_g(p[i])}, two-sided t, "
                        f"df {_g(df[i])} (sign supplied)",
                        p_value=p[i],
                        df=df[i],
                        sign=sign[i],
                        t=tt[i],
                    )
                )
            steps.replace(int(i), pre + [
                _step(
                    "SMD_from_t",
                    f"SMD (Hedges' g, exact correction c({_g(df[i])}) = "
                    f"{c[i]:.6f}) from t = {tt[i]:.6g} and sizes [metafor escalc ti=, vtype LS]",
                    t=tt[i],
                )
            ])
    return yi, vi, steps


def _one_group(inp: _Inputs, measure: str) -> tuple[np.ndarray, np.ndarray, Trail]:
    n = inp.get("n", low=2)
    if measure != "MC":
        bad = np.flatnonzero(n < 3)
        if bad.size:
            raise DataError(
                f"n must be >= 3 for measure {measure!r} (the small-sample correction c(n - 1) is "
                f"undefined for n = 2; metafor returns NA); {inp.where(bad[0])} has {n[bad[0]]!r}."
            )
    m1, m2 = inp.get("m1"), inp.get("m2")
    sd1 = inp.get("sd1", positive=True)
    ri = inp.get("ri", **_r_rules())
    if measure == "SMCR":
        yi, vi = K.smcr(m1, m2, sd1, n, ri)
    else:
        sd2 = inp.get("sd2", positive=True)
        yi, vi = K.MEASURES[measure][0](m1, m2, sd1, sd2, n, ri)
    text = {
        "MC": "MC (raw mean change)",
        "SMCC": "SMCC (change-score standardisation",
        "SMCR": "SMCR (standardised by sd1",
    }[measure]
    codes, first = _distinct(n, ri)  # one text per distinct (n, r)
    nf, rf = (n[first] - 1).tolist(), ri[first].tolist()
    cf = K.cmi(n[first] - 1).tolist()
    texts = [("" if measure == "MC" else f", exact correction c({_g(a)}) = {c_i:.6f})") for a, c_i in zip(nf, cf)]
    texts = [f"{text}{corr} with r = {_g(r)} [metafor escalc, vtype LS]" for corr, r in zip(texts, rf)]
    return yi, vi, Trail.single_steps(measure, texts, codes, ri=rf)


def _distinct(*arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code among the distinct rows of several float arrays, and each distinct row's first position.

    Codes are numbered in order of first appearance (hashing, not sorting), so a row is a first appearance
    exactly where the running maximum of the codes grows.
    """
    key = np.zeros(len(arrays[0]), dtype=np.int64)
    for a in arrays:
        c, u = pd.factorize(a)
        key = key * len(u) + c
    codes, _ = pd.factorize(key)
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    return codes, first


def _pre_post(inp: _Inputs, measure: str) -> tuple[np.ndarray, np.ndarray, Trail]:
    n1, n2 = inp.get("n1", low=2), inp.get("n2", low=2)
    m1p, m2p, m1, m2 = inp.get("m1_pre"), inp.get("m2_pre"), inp.get("m1"), inp.get("m2")
    s1p, s2p = inp.get("sd1_pre", positive=True), inp.get("sd2_pre", positive=True)
    ri = inp.get("ri", **_r_rules())
    if measure == "SMD_PPC2":
        yi, vi = K.smd_ppc2(m1p, m1, s1p, n1, m2p, m2, s2p, n2, ri)
        txt = (
            "SMD_PPC2 (Morris 2008 d_ppc2: difference in mean changes / pooled baseline SD, exact correction)"
        )
    else:
        bad = np.flatnonzero(n1 + n2 < 4)
        if bad.size:
            raise DataError(
                f"n1 + n2 must be >= 4 for 'MD_ANCOVA' (residual df n1 + n2 - 3); "
                f"{inp.where(bad[0])} has {n1[bad[0]] + n2[bad[0]]!r}."
            )
        yi, vi, _ = K.md_ancova(
            m1p,
            m1,
            s1p,
            inp.get("sd1", positive=True),
            n1,
            m2p,
            m2,
            s2p,
            inp.get("sd2", positive=True),
            n2,
            ri,
        )
        txt = "MD_ANCOVA (baseline-adjusted MD reconstructed from arm summaries; equals ANCOVA on pseudo-IPD)"
    codes, first = _distinct(ri)
    rf = ri[first].tolist()
    return yi, vi, Trail.single_steps(measure, [f"{txt} with baseline-outcome r = {_g(r)}" for r in rf], codes, ri=rf)


def _registered(inp: _Inputs, measure: str) -> tuple[np.ndarray, np.ndarray, Trail]:
    """A measure added with :func:`retrostats.measures.register_measure`: its kernel on its arguments."""
    m = get_measure(measure)
    arrays = [inp.get(a, **(_r_rules() if a == "ri" else {})) for a in m.arguments]
    yi, vi = m.kernel(*arrays)
    steps = [[_step(measure, f"{measure} ({m.label}) by its registered kernel from {', '.join(m.arguments)}")]]
    return np.asarray(yi, dtype=float), np.asarray(vi, dtype=float), Trail(steps, np.zeros(inp.k))


def effect_sizes(
    data: pd.DataFrame | None = None,
    *,
    measure: str,
    m1: Any = None,
    sd1: Any = None,
    n1: Any = None,
    m2: Any = None,
    sd2: Any = None,
    n2: Any = None,
    n: Any = None,
    ri: Any = None,
    t: Any = None,
    f: Any = None,
    p_value: Any = None,
    sign: Any = None,
    m1_pre: Any = None,
    sd1_pre: Any = None,
    m2_pre: Any = None,
    sd2_pre: Any = None,
    labels: Any = None,
    confidence_level: float = 0.95,
    events1: Any = None, events2: Any = None, add: float = 0.5, to: str = "only0",
) -> pd.DataFrame:
    """Compute effect sizes with their sampling variances, CIs and derivations.

    Parameters
    ----------
    data : DataFrame, optional
        When given, the other arguments name its columns (a number is used for every row, e.g. an
        assumed ``ri=0.5``); otherwise they are array-likes or scalars.
    measure : str
        ``MD, SMD, SMDH, ROM`` (two groups, group 1 minus group 2), ``MC, SMCC, SMCR`` (one group measured
        twice: ``m1`` minus ``m2``; SMCR standardises by ``sd1``), ``SMD_PPC2`` (Morris 2008) or
        ``MD_ANCOVA`` (baseline-adjusted MD); for the last two ``m1, sd1, m2, sd2`` are the post values
        and ``m1_pre, sd1_pre, m2_pre, sd2_pre`` the baseline values. ``OR, RR, RD, PETO``: binary outcomes
        from ``events1, n1, events2, n2`` (see :func:`retrostats.effects.binary.binary_effect_sizes`).
    m1, sd1, n1, m2, sd2, n2 : column names or array-likes
        Means, SDs and sizes of the two groups (or the two measurements for MC/SMCC/SMCR).
    n, ri : column names, array-likes or numbers
        Size and correlation for MC/SMCC/SMCR; ``ri`` is also the within-arm baseline-outcome correlation
        for SMD_PPC2 and MD_ANCOVA. Must lie in (-1, 1).
    t, f, p_value, sign : optional, measure ``SMD`` only
        Rows without means and SDs use a two-sample t, an F with one numerator df or an exact two-sided
        p-value (t test, df ``n1 + n2 - 2``), as metafor's ``ti=``. ``sign`` (+1/-1) gives the direction
        for f and p_value.
    m1_pre, sd1_pre, m2_pre, sd2_pre : baseline summaries for SMD_PPC2 and MD_ANCOVA.
    labels : column name or sequence, optional
        Study labels used in messages (default: a ``study_id`` or ``study`` column).
    confidence_level : float
        Level of the normal-theory CI (as metafor's ``summary.escalc``).
    events1, events2, add, to : binary measures only
        Event counts (with ``n1, n2``) and metafor's continuity correction (``add=0.5, to="only0"``).

    Returns
    -------
    DataFrame
        The input rows (``data``, or the given arrays as columns) plus ``yi`` (effect size), ``vi``
        (sampling variance), ``sei`` (its square root), ``ci_low``, ``ci_high``, ``measure`` and
        ``derivation`` (a JSON list of steps, appended to any ``derivation`` already in ``data``; render
        with :func:`render_derivation`).

    Raises
    ------
    DataError
        A missing column, text in a numeric column, NaN, SD <= 0, n < 2 (n < 3 for SMCC/SMCR), r outside
        (-1, 1) or a non-positive mean for ROM; the message names the argument and the row.
    ValueError
        An unknown ``measure``.

    Notes
    -----
    Definitions are metafor 3.8's ``escalc`` with its default ``vtype="LS"`` and the exact correction
    ``c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))``. Validated against metafor 3.8.1 at rtol 1e-10
    (tests/reference/r/escalc.R), including SMD from t/F/p, d_ppc2 (Morris 2008, Table 5) and MD_ANCOVA
    (``lm`` on pseudo-IPD).

    References
    ----------
    Viechtbauer W (2010). J Stat Softw 36(3). doi:10.18637/jss.v036.i03
    Morris SB (2008). Organ Res Methods 11:364-386. doi:10.1177/1094428106291059
    Papadimitropoulou K et al. (2020). Meta-analysis of continuous outcomes: using pseudo IPD created from
    aggregate data to adjust for baseline imbalance. Research Synthesis Methods 11.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"study": ["a", "b"], "m_r": [2.1, 3.0], "s_r": [1.0, 1.2], "n_r": [20, 15],
    ...                   "m_c": [3.0, 3.1], "s_c": [1.1, 1.0], "n_c": [20, 14]})
    >>> es = effect_sizes(d, measure="MD", m1="m_r", sd1="s_r", n1="n_r", m2="m_c", sd2="s_c", n2="n_c")
    >>> es[["study", "yi", "vi"]].round(4)
      study   yi      vi
    0     a -0.9  0.1105
    1     b -0.1  0.1674
    """
    check_option("measure", measure, _computable())
    cl = check_confidence_level(confidence_level)
    if measure in BINARY_MEASURES:  # 2x2 tables: .binary
        return binary_effect_sizes(data, measure=measure, events1=events1, n1=n1, events2=events2, n2=n2,
                                   add=add, to=to, labels=labels, confidence_level=cl)
    args = dict(
        m1=m1,
        sd1=sd1,
        n1=n1,
        m2=m2,
        sd2=sd2,
        n2=n2,
        n=n,
        ri=ri,
        t=t,
        f=f,
        p_value=p_value,
        sign=sign,
        m1_pre=m1_pre,
        sd1_pre=sd1_pre,
        m2_pre=m2_pre,
        sd2_pre=sd2_pre,
    )
    inp = _Inputs(data, args, labels)
    with np.errstate(all="ignore"):  # non-finite results are reported below, naming the row
        if measure in _TWO:
            yi, vi, steps = _two_group(inp, measure)
        elif measure in _ONE:
            yi, vi, steps = _one_group(inp, measure)
        elif measure in _PRE:
            yi, vi, steps = _pre_post(inp, measure)
        else:
            yi, vi, steps = _registered(inp, measure)
    bad = np.flatnonzero(~np.isfinite(yi) | ~(vi > 0) | ~np.isfinite(vi))
    if bad.size:  # e.g. an SD so small that the SMD overflows
        i = int(bad[0])
        raise DataError(
            f"the effect size of {inp.where(i)} is not finite (yi={yi[i]!r}, vi={vi[i]!r}); "
            "check its SDs and sizes."
        )
    sei, lo, hi = K.normal_ci(yi, vi, cl)
    if data is not None:
        out = data  # copied below (one DataFrame constructor) or with .copy() before columns are set
    else:
        out = pd.DataFrame(
            {
                k: (np.full(inp.k, v) if np.ndim(v) == 0 else np.asarray(v))
                for k, v in args.items()
                if v is not None
            }
        )
    prior = [derivation_steps(v) for v in out["derivation"]] if "derivation" in out.columns else None
    assumed = [
        _step("assume", f"{k} = {_g(v)} assumed for every row", argument=k, value=v)
        for k, v in inp.assumed.items()
        if k in ("ri", "sign")
    ]
    if prior:  # a chain per row
        derivations = [json.dumps(prior[i] + assumed + steps[i]) for i in range(inp.k)]
    else:  # each distinct chain encoded once
        derivations = steps.prepend(assumed).to_json()
    new = dict(zip(_OUT, (yi, vi, sei, lo, hi)))
    new["measure"] = measure
    new["derivation"] = derivations
    if out.columns.is_unique and all(isinstance(c, str) for c in out.columns):
        # one constructor (it copies a dict of columns) instead of a copy and seven column insertions;
        # existing columns keep their place
        cols = {c: out[c] for c in out.columns}
        cols.update(new)
        attrs = copy.deepcopy(out.attrs)
        out = pd.DataFrame(cols, index=out.index, copy=True)
        out.attrs.update(attrs)
    else:
        out = out.copy() if data is not None else out
        for name, col in new.items():
            out[name] = col
    return out


# ----------------------------------------------------------------------------------------- sensitivity
def _summarise(result: Any) -> dict[str, Any]:
    if isinstance(result, (int, float, np.floating)):
        return {"estimate": float(result)}
    if isinstance(result, Mapping):
        return dict(result)
    if isinstance(result, pd.Series):
        return result.to_dict()
    fields = ("k", "estimate", "se", "ci_low", "ci_high", "p_value", "pi_low", "pi_high", "tau2", "i2")
    got = {f: getattr(result, f) for f in fields if hasattr(result, f)}
    if not got:
        raise TypeError(
            f"analysis returned a {type(result).__name__}; return a number, a dict, a Series or an "
            "object with fields such as estimate, se, ci_low, ci_high."
        )
    return got


def sensitivity(
    data: pd.DataFrame | None = None,
    *,
    r: Sequence[float] = (0.3, 0.5, 0.7),
    methods: Mapping[str, Mapping[str, Any]] | None = None,
    builder: Callable[..., pd.DataFrame] = effect_sizes,
    r_argument: str = "ri",
    analysis: Callable[[pd.DataFrame], Any] | None = None,
    **arguments: Any,
) -> pd.DataFrame:
    """Rerun effect sizes (and optionally a downstream analysis) over assumed r and conversion methods.

    Parameters
    ----------
    data : DataFrame, optional
        Passed to ``builder`` as its first argument.
    r : sequence of float
        Assumed correlations, each passed as ``builder(..., **{r_argument: value})``.
    methods : mapping, optional
        Named alternative settings, ``{"luo/wan": {"mean_method": "luo", "sd_method": "wan"}, ...}``, each
        merged into the builder's arguments. Default: one unnamed setting.
    builder : callable
        :func:`effect_sizes` (default) or :func:`retrostats.registry_effect_sizes` or any callable returning
        an effect-size frame.
    r_argument : str
        The builder's argument that takes the correlation (``"ri"`` for both shipped builders).
    analysis : callable, optional
        Called with each effect-size frame, e.g. ``lambda es: rs.meta_analysis(es)``; its result (a number,
        dict, Series or an object with ``estimate, se, ci_low, ci_high, ...``) becomes one row.
    **arguments
        Passed to every builder call (e.g. ``measure="SMCC"``, column names).

    Returns
    -------
    DataFrame
        Without ``analysis``: the effect-size frames stacked, with leading columns ``r_assumed`` and
        ``method``. With ``analysis``: one row per (``r_assumed``, ``method``) with the analysis fields.

    Examples
    --------
    >>> out = sensitivity(measure="SMCC", m1=[5.0], m2=[4.0], sd1=[1.0], sd2=[1.2], n=[20], r=(0.3, 0.7))
    >>> out[["r_assumed", "yi"]].round(4)
       r_assumed      yi
    0        0.3  0.7319
    1        0.7  1.1011
    """
    settings = dict(methods) if methods else {"": {}}
    frames, rows = [], []
    for rv, (name, extra) in itertools.product(r, settings.items()):
        kwargs = {**arguments, **dict(extra), r_argument: float(rv)}
        es = builder(data, **kwargs) if data is not None else builder(**kwargs)
        if analysis is None:
            es = es.copy()
            es.insert(0, "method", name)
            es.insert(0, "r_assumed", float(rv))
            frames.append(es)
        else:
            rows.append({"r_assumed": float(rv), "method": name, **_summarise(analysis(es))})
    if analysis is None:
        return pd.concat(frames, ignore_index=True)
    return pd.DataFrame(rows)
