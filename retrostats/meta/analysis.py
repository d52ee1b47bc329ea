"""``meta_analysis()``: the frame API over the ``rma`` kernels (metafor's ``rma.uni``)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ConvergenceError, DataError, DataWarning
from ..kernels.rma import TESTS, rma_fit
from ..kernels.tau2 import DEFAULT_MAXITER, DEFAULT_TOL, TAU2
from ..measures import table_meaning
from ..provenance import make_provenance
from ..validators import as_float_array, check_columns, check_confidence_level, check_option
from ._guards import warn_extreme_variance_ratio
from .batch import MetaAnalysisBatch
from .multiarm import check_multiarm, check_same_trial
from .presets import PRESETS
from .result import MetaAnalysisResult
from .robust import attach_cluster
from .weighted import check_weights, user_weighted_fit, weighted_result

__all__ = ["meta_analysis"]

_min = np.minimum.reduce  # NaN propagates (no overflow, unlike a sum)
_max = np.maximum.reduce


#: the default labels "Study 1", ... by number of studies (up to 1,000), built once
_DEFAULT_LABELS: dict[int, tuple[str, ...]] = {}


def _labels(data: pd.DataFrame | None, slab: Any, n: int) -> Sequence[str]:
    if slab is None:
        column = next((c for c in ("study_id", "study") if data is not None and c in data.columns), None)
        if column is not None:  # as effect_sizes() reads its labels
            return [str(s) for s in data[column]]
        lab = _DEFAULT_LABELS.get(n)
        if lab is None:
            lab = tuple(f"Study {i + 1}" for i in range(n))
            if n <= 1000:
                _DEFAULT_LABELS[n] = lab
        return lab
    if isinstance(slab, str) and data is not None:
        check_columns(data, [slab])
        return [str(s) for s in data[slab]]
    lab = [str(s) for s in slab]
    if len(lab) != n:
        raise ValueError(f"slab has {len(lab)} labels but there are {n} studies.")
    return lab


class _LazyLabels(Sequence):
    """Study labels built on first use (a batch of many meta-analyses only needs them for messages)."""

    def __init__(self, data: pd.DataFrame | None, slab: Any, n: int) -> None:
        self._args, self._n, self._labels = (data, slab, n), n, None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if self._labels is None:
            self._labels = _labels(*self._args)
        return self._labels[i]


def _design(data: pd.DataFrame | None, mods: Any, n: int, labels: Sequence[str]) -> tuple[np.ndarray, list]:
    """Intercept plus moderators; text/categorical columns become treatment-coded dummies."""
    if mods is None:
        return np.ones((n, 1)), ["intercept"]
    cols: list[np.ndarray] = [np.ones(n)]
    names: list[str] = ["intercept"]
    if isinstance(mods, str):
        mods = [mods]
    if isinstance(mods, pd.DataFrame):
        frame = mods.reset_index(drop=True)
    elif isinstance(mods, np.ndarray) or (
        isinstance(mods, Sequence) and mods and not isinstance(mods[0], str)
    ):
        arr = np.asarray(mods, dtype=float)
        arr = arr.reshape(n, -1) if arr.ndim == 1 else arr
        frame = pd.DataFrame(arr, columns=[f"mod{j + 1}" for j in range(arr.shape[1])])
    else:
        if data is None:
            raise ValueError("mods given as column names needs data=; pass a DataFrame or an array instead.")
        check_columns(data, list(mods), what="data (mods)")
        frame = data[list(mods)].reset_index(drop=True)
    if len(frame) != n:
        raise ValueError(f"mods has {len(frame)} rows but there are {n} studies.")
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col):
            col = col.astype(float)
        if pd.api.types.is_numeric_dtype(col):
            cols.append(as_float_array(f"mods column {c!r}", col, labels=labels))
            names.append(str(c))
        else:
            if col.isna().any():
                i = int(np.flatnonzero(col.isna().to_numpy())[0])
                raise DataError(f"mods column {c!r} is missing for row {i} (study {labels[i]!r}).")
            levels = sorted(set(map(str, col)))
            for lev in levels[1:]:
                cols.append((col.astype(str) == lev).to_numpy(dtype=float))
                names.append(f"{c}[{lev}]")
    return np.column_stack(cols), names


def _check_rank(X: np.ndarray, names: list[str]) -> None:
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        # find the first column that adds nothing
        for j in range(1, X.shape[1]):
            if np.linalg.matrix_rank(X[:, : j + 1]) <= j:
                raise DataError(
                    f"mods are collinear: moderator {names[j]!r} is a linear combination of "
                    f"{names[:j]} (after dropping missing rows). Remove or recode it."
                )
        raise DataError(f"mods are collinear (design rank {rank} < {X.shape[1]} columns).")


def _r2(y, v, X, fit, **opts) -> float:
    """Metafor's R²: percent of tau² explained; for EE models the adjusted R² of the weighted regression."""
    if opts["method"] == "EE":
        w = 1 / v
        ybar = np.sum(w * y) / np.sum(w)
        tss = float(np.sum(w * (y - ybar) ** 2))
        if tss == 0:
            return 0.0
        rss = float(np.sum(w * fit["resid"] ** 2))
        k, p = X.shape
        return max(0.0, 100.0 * (1 - (rss / tss) * (k - 1) / (k - p)))
    t0 = float(rma_fit(y, v, None, **opts)["tau2"])
    return max(0.0, 100.0 * (t0 - float(fit["tau2"])) / t0) if t0 > 0 else 0.0


def meta_analysis(
    data: pd.DataFrame | None = None,
    *,
    yi: Any = "yi",
    vi: Any = "vi",
    method: str = "REML",
    test: str = "z",
    confidence_level: float = 0.95,
    sei: Any = None,
    slab: Any = None,
    mods: Any = None,
    subgroup: Any = None,
    preset: str | None = None,
    tau2: float | None = None,
    missing: str = "drop",
    multiarm: str = "warn",
    tol: float = DEFAULT_TOL,
    maxiter: int = DEFAULT_MAXITER,
    cluster: Any = None,
    weights: Any = None,
    by: str | None = None,
) -> MetaAnalysisResult | MetaAnalysisBatch:
    """Random- or equal-effects meta-analysis and meta-regression, as metafor's ``rma()``.

    Parameters
    ----------
    data : DataFrame, optional
        One row per study (e.g. the output of ``retrostats.effect_sizes``). When given, ``yi``, ``vi``,
        ``sei``, ``slab``, ``mods`` and ``subgroup`` name its columns; otherwise they are array-likes.
    yi, vi : str or array-like
        Effect sizes and their sampling variances (``vi > 0``).
    method : {"EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"}
        Estimator of tau² (metafor's codes; ``EE`` is the equal-effects model).
    test : {"z", "knha"}
        Wald z-tests, or Knapp-Hartung t/F-tests with ``k - p`` df.
    confidence_level : float
        As a fraction.
    sei : str or array-like, optional
        Standard errors, used instead of ``vi`` (``vi = sei**2``).
    slab : str or sequence, optional
        Study labels (default: the ``study_id`` column when present, else ``study``).
    mods : str, list of str, DataFrame or array, optional
        Moderators for a meta-regression (an intercept is added; text columns become dummies).
    subgroup : str or array-like, optional
        A grouping: each subgroup is pooled separately (own tau²) and a between-subgroup Q test is run.
        Each pooled study's group is kept as ``result.subgroup_labels`` (forest plots group by it).
    preset : {"metafor", "revman5", "cochrane"}, optional
        Sets ``method`` and ``test`` (and what the summary reports); stated in the summary.
    tau2 : float, optional
        Fix tau² at this value instead of estimating it.
    missing : {"drop", "raise"}
        Rows with a missing ``yi``/``vi`` are dropped with a :class:`DataWarning` naming them, or raise.
    multiarm : {"warn", "raise", "ignore"}
        What to do when ``data`` has ``study_id`` and ``comparison`` columns and a study contributes several
        comparisons that share an arm (see :func:`retrostats.meta.split_shared_groups`).
    tol, maxiter : float, int
        Relative convergence threshold and iteration cap of the iterative estimators.
    cluster : str or array-like, optional
        Cluster (trial) of each row, the default of ``result.robust()`` (CR2/CR1 cluster-robust inference).
    weights : str or array-like, optional
        User weights for the coefficients, as metafor's ``rma(weights=)`` (see :mod:`retrostats.meta.weighted`).
    by : str, optional
        A column of ``data``: fit one independent meta-analysis per value, all in one vectorised pass (for
        simulation studies and sensitivity grids); returns a :class:`~retrostats.meta.batch.MetaAnalysisBatch`
        whose ``to_frame()`` has one row per group, each equal to the single fit of that group. Not combined
        with ``mods``, ``subgroup``, ``weights`` or ``cluster``.

    Returns
    -------
    MetaAnalysisResult
        ``k, estimate, se, statistic, p_value, ci_low, ci_high, pi_low, pi_high, tau2, tau, i2`` (percent),
        ``h2, q, q_df, q_p_value, method, test, confidence_level`` and more (see the class). With ``by=``, a
        :class:`~retrostats.meta.batch.MetaAnalysisBatch`.

    Raises
    ------
    ValueError
        Unknown ``method``/``test``/``preset``, a percentage as ``confidence_level``, ``knha`` with one
        study, fewer studies than model parameters.
    DataError
        Non-positive or missing variances (with ``missing="raise"``), collinear moderators.
    ConvergenceError
        An iterative estimator did not converge within ``maxiter``.

    Notes
    -----
    The average effect is ``mu = sum(w y) / sum(w)`` with ``w = 1/(v + tau2)``; Knapp-Hartung multiplies its
    variance by ``sum(w (y - mu)^2) / (k - p)``. The prediction interval is
    ``mu +/- c sqrt(se^2 + tau2)`` with
    ``c`` the normal quantile (``z``) or the t quantile with ``k - p`` df (``knha``), as ``predict.rma``.
    ``I2 = 100 tau2 / (tau2 + s2)`` with metafor's typical variance ``s2 = (k - p) / tr P``.
    Validated against metafor 3.8.1 (``tests/reference/r/meta_rma.R``): closed-form estimators to 1e-10,
    iterative ones to 1e-6.

    References
    ----------
    Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3).
    doi:10.18637/jss.v036.i03

    Examples
    --------
    >>> import retrostats as rs
    >>> res = rs.meta_analysis(yi=[-0.5, -0.2, -0.9, -0.4], vi=[0.04, 0.05, 0.09, 0.03], method="DL")
    >>> round(res.estimate, 4), res.k
    (-0.4512, 4)
    >>> import pandas as pd
    >>> d = pd.DataFrame({"rep": [1, 1, 1, 2, 2, 2], "yi": [0.1, 0.3, 0.2, 0.5, 0.4, 0.9],
    ...                   "vi": [0.01, 0.02, 0.03, 0.01, 0.02, 0.04]})
    >>> rs.meta_analysis(d, by="rep", method="DL").to_frame()[["rep", "k", "estimate"]].round(4)
       rep  k  estimate
    0    1  3    0.1727
    1    2  3    0.5584
    """
    method, test = _method_and_test(preset, method, test)
    check_option("missing", missing, _MISSING)
    check_option("multiarm", multiarm, _MULTIARM)
    level = check_confidence_level(confidence_level)
    data, y_raw, v_raw, s_raw = _inputs(data, yi, vi, sei)
    y = as_float_array("yi", y_raw, allow_nan=True)
    n = len(y)
    labels = _labels(data, slab, n) if by is None else _LazyLabels(data, slab, n)
    v, vname = _variances(v_raw, s_raw, labels, n)
    keep, all_kept = _kept_rows(y, v, vname, labels, missing)
    fixed = None if tau2 is None else float(as_float_array("tau2", tau2, nonnegative=True)[0])
    args = {"method": method, "test": test, "confidence_level": level}
    if preset is not None:
        args["preset"] = preset
    if by is not None:
        return _batch(data, by, y, v, keep, (mods, subgroup, weights, cluster), multiarm, args, fixed, tol, maxiter)
    kept = data if data is None or all_kept else data[keep]
    if kept is not None and multiarm != "ignore":
        check_multiarm(kept, multiarm=multiarm, stacklevel=3)
    meaning = table_meaning(kept, what="data")  # measure, instrument, orientation; mixtures are refused
    if kept is not None:
        check_same_trial(kept)

    X, names = _design(data, mods, n, labels)
    if not all_kept:
        X, y, v = X[keep], y[keep], v[keep]
        labels = [lab for lab, kp in zip(labels, keep) if kp]
    _check_model(X, names, test)

    warn_extreme_variance_ratio(v, labels)
    fit = rma_fit(
        y, v, None if mods is None else X, method=method, test=test, level=level, tau2=fixed, tol=tol, maxiter=maxiter
    )
    if weights is not None:  # user weights: retrostats.meta.weighted
        if subgroup is not None or preset is not None:
            raise ValueError("weights= cannot be combined with subgroup= or preset=; fit the subgroups separately.")
        a = check_weights(weights, data, len(keep), _labels(data, slab, len(keep)))[keep]
        fit = user_weighted_fit(fit, y, v, X, a, test, level)
    conv = fit["converged"]
    if not (conv if conv.ndim == 0 else conv.all()):
        raise ConvergenceError(
            f"the {method} estimator of tau² did not converge in {maxiter} iterations; "
            "increase maxiter or try method='DL' or 'PM'."
        )
    sub_table, sub_test, sub_labels = _subgroups(
        data, subgroup, slab, keep, y, v, method=method, test=test, level=level, tol=tol, maxiter=maxiter
    )
    p = X.shape[1]
    r2 = _r2(y, v, X, fit, method=method, test=test, level=level, tol=tol, maxiter=maxiter) if p > 1 else np.nan
    if mods is not None:
        args["mods"] = names[1:]
    if subgroup is not None:
        args["subgroup"] = subgroup if isinstance(subgroup, str) else "<array>"
    res = MetaAnalysisResult.from_fit(
        fit,
        y=y,
        v=v,
        X=X,
        names=names,
        labels=labels,
        method=method,
        test=test,
        level=level,
        preset=preset,
        tau2_fixed=fixed is not None,
        r2=r2,
        subgroups=sub_table,
        subgroup_test=sub_test,
        subgroup_labels=sub_labels,
        measure=meaning.measure,
        instrument=meaning.instrument,
        favours=meaning.favours,
        provenance=make_provenance("meta_analysis", args, y, v, X),
        tol=tol,
        maxiter=maxiter,
    )
    res = attach_cluster(res, data, cluster, keep)
    return res if weights is None else weighted_result(res, a)


_MISSING = ("drop", "raise")
_MULTIARM = ("warn", "raise", "ignore")


def _method_and_test(preset: str | None, method: str, test: str) -> tuple[str, str]:
    """``method`` and ``test``, set by ``preset`` when given (refusing a contradicting explicit value)."""
    if preset is not None:
        check_option("preset", preset, list(PRESETS))
        pr = PRESETS[preset]
        for arg, val, default in (("method", method, "REML"), ("test", test, "z")):
            if val != default and val != getattr(pr, arg):
                raise ValueError(
                    f"preset={preset!r} sets {arg}={getattr(pr, arg)!r}; got {arg}={val!r} as "
                    "well. Pass one or the other."
                )
        method, test = pr.method, pr.test
    if method not in TAU2:
        check_option("method", method, list(TAU2))
    check_option("test", test, TESTS)
    return method, test


def _inputs(data: pd.DataFrame | None, yi: Any, vi: Any, sei: Any) -> tuple:
    """``(data, yi, vi, sei)`` with column names replaced by the columns (``data`` indexed 0..n-1)."""
    if data is None:
        if isinstance(yi, str) or (sei is None and isinstance(vi, str)):
            raise ValueError("yi and vi name columns only when data= is given; pass data=DataFrame or arrays.")
        return None, yi, vi, sei
    check_columns(data, [c for c in (yi, vi if sei is None else None, sei) if isinstance(c, str)])
    idx = data.index
    if not (isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1):
        data = data.reset_index(drop=True)
    y_raw = data[yi] if isinstance(yi, str) else yi
    if sei is not None:
        return data, y_raw, None, data[sei] if isinstance(sei, str) else sei
    return data, y_raw, data[vi] if isinstance(vi, str) else vi, None


def _variances(v_raw: Any, s_raw: Any, labels: Sequence[str], n: int) -> tuple[np.ndarray, str]:
    """The sampling variances (``sei**2`` when standard errors were given) and the argument's name."""
    if s_raw is not None:
        v, vname = as_float_array("sei", s_raw, labels=labels, allow_nan=True) ** 2, "sei"
    else:
        v, vname = as_float_array("vi", v_raw, labels=labels, allow_nan=True), "vi"
    if len(v) != n:
        raise ValueError(f"yi has {n} values but {vname} has {len(v)}.")
    return v, vname


def _kept_rows(y: np.ndarray, v: np.ndarray, vname: str, labels: Sequence[str], missing: str) -> tuple:
    """``(keep, all kept)``: rows with both ``yi`` and ``vi``, the others dropped with a DataWarning (or
    refused); ``vi > 0`` checked.
    """
    if len(v) and _min(v) > 0 and not math.isnan(_max(y)):  # the common case in two reductions: nothing missing, vi > 0
        return np.ones(len(y), dtype=bool), True
    bad = np.isnan(y) | np.isnan(v)
    if bad.any():
        rows = ", ".join(f"{i} ({labels[i]!r})" for i in np.flatnonzero(bad))
        msg = f"yi or {vname} is missing (NaN) in row(s) {rows}"
        if missing == "raise":
            raise DataError(msg + "; supply the values or use missing='drop'.")
        warnings.warn(msg + "; these studies were dropped.", DataWarning, stacklevel=3)
    keep = ~bad
    for i in np.flatnonzero(keep & ~(v > 0)):
        raise DataError(
            f"{vname} must be > 0; row {i} (study {labels[i]!r}) has {v[i]!r}. A sampling variance "
            "of zero usually means a missing or zero SD; check the source."
        )
    return keep, bool(keep.all())


def _batch(data, by, y, v, keep, others, multiarm, args, fixed, tol, maxiter) -> MetaAnalysisBatch:
    """``meta_analysis(..., by=)``: one intercept-only fit per group (:func:`retrostats.meta.batch.fit_by`)."""
    if data is None or not isinstance(by, str):
        raise ValueError("by= names a column of data=; pass data=DataFrame and by='column'.")
    check_columns(data, [by])
    if any(o is not None for o in others):
        raise ValueError(
            "by= fits intercept-only models with the usual weights; for moderators, subgroups, user "
            "weights or clusters call meta_analysis per group."
        )
    from .batch import fit_by

    return fit_by(
        data,
        by=by,
        y=y,
        v=v,
        keep=keep,
        method=args["method"],
        test=args["test"],
        level=args["confidence_level"],
        tau2=fixed,
        multiarm=multiarm,
        tol=tol,
        maxiter=maxiter,
        args=args,
    )


def _check_model(X: np.ndarray, names: list[str], test: str) -> None:
    """Enough studies for the model: at least one, more than its coefficients, two for Knapp-Hartung."""
    k, p = X.shape
    if k == 0:
        raise DataError("no studies left to pool (all rows have a missing yi or vi).")
    if p > 1:
        _check_rank(X, names)
    if k < p or (p > 1 and k == p):
        raise ValueError(
            f"{k} studies cannot estimate {p} model parameters ({names}); a meta-regression "
            "needs more studies than coefficients."
        )
    if test == "knha" and k == 1:
        raise ValueError(
            "test='knha' needs at least 2 studies (it has k - 1 degrees of freedom); with one "
            "study use test='z', or do not pool."
        )


def _subgroups(data, subgroup, slab, keep, y, v, **opts) -> tuple:
    """``(table, test, labels)`` of ``subgroup=`` (each group pooled alone, the between-group Q test)."""
    if subgroup is None:
        return None, None, ()
    from .subgroups import subgroup_analysis

    n = len(keep)
    g_raw = data[subgroup] if (isinstance(subgroup, str) and data is not None) else subgroup
    g_ser = pd.Series(list(g_raw))
    if len(g_ser) != n:
        raise ValueError(f"subgroup has {len(g_ser)} values but there are {n} studies.")
    miss = np.flatnonzero(g_ser.isna().to_numpy() & keep)
    if miss.size:
        all_labels = _labels(data, slab, n)
        raise DataError(
            f"subgroup is missing for row {int(miss[0])} (study {all_labels[miss[0]]!r}); give every "
            "study a subgroup (e.g. 'unclear') or drop the row."
        )
    g = np.asarray(g_ser.astype(str), dtype=object)[keep]
    table, test = subgroup_analysis(y, v, g, **opts)
    return table, test, tuple(g)
