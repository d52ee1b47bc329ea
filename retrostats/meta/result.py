"""``MetaAnalysisResult``: the frozen result of :func:`retrostats.meta_analysis` and its verbs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._display import fmt_num, fmt_p
from ..provenance import Provenance
from .fitstats import UnivariateVerbs

__all__ = ["MetaAnalysisResult"]


def _construct(cls, values: dict):
    """``cls(**values)`` for a frozen dataclass given every field: the values set in one step.

    The generated ``__init__`` of a frozen dataclass sets each of the 45 fields through
    ``object.__setattr__``, a noticeable share of one small fit; with every field given (checked) the
    instance is the same (``tests/test_meta_kernels_one.py`` checks that ``from_fit`` gives every field in
    its declared order). Anything else goes through ``__init__``.
    """
    if len(values) != _FIELDS.get(cls, -1):
        return cls(**values)
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


_FIELDS: dict = {}


@dataclass(frozen=True, eq=False)
class MetaAnalysisResult(UnivariateVerbs):
    """Result of a meta-analysis (metafor's ``rma.uni`` object), at full precision.

    Attributes
    ----------
    k : int
        Number of studies pooled.
    estimate, se, statistic, p_value, ci_low, ci_high : float
        The average effect (the intercept of a meta-regression), its standard error, z or t statistic,
        two-sided p-value and confidence interval.
    pi_low, pi_high : float
        Prediction interval for the true effect in a new study (metafor's ``predict.rma``).
    tau2, tau : float
        Between-study variance and SD.
    i2 : float
        I² in percent; ``h2`` is H².
    q, q_df, q_p_value : float
        Cochran's Q (QE with moderators), its df and p-value.
    method, test : str
        metafor codes; ``confidence_level`` a fraction.
    df : float
        Degrees of freedom of the t/F-tests (``k - p``) with ``test="knha"``; NaN with ``z``.
    weights : ndarray
        Percent weights of the studies.
    blup : DataFrame
        Best linear unbiased predictions of the study effects (metafor's ``blup``): ``estimate, se,
        pi_low, pi_high``.
    coefficients : DataFrame
        One row per model coefficient: ``estimate, se, statistic, p_value, ci_low, ci_high``.
    qm, qm_df, qm_p_value : float, tuple, float
        Omnibus test of the moderators (chi-square, or F with ``(m, k - p)`` df under ``knha``).
    r2 : float
        Percent of tau² accounted for by the moderators (NaN without them).
    subgroups, subgroup_test : DataFrame, dict or None
        Per-subgroup results and the between-subgroup Q test when ``subgroup=`` was given.
    measure : str or None
        The effect measure, taken from the data's ``measure`` column when it holds one value (e.g. ``"SMD"``
        from :func:`retrostats.effect_sizes`); its meaning (scale, label) is in :mod:`retrostats.measures`.
        Planning converts or refuses evidence by it; summaries and figures label with it.
    instrument : str or None
        The data's ``instrument`` when it holds one value.
    favours : str or None
        The arm a positive effect favours when the data were oriented (a ``favours`` column reading
        ``"positive favours <arm>"``, as :func:`retrostats.registry_effect_sizes` writes it); None when the
        effects are group 1 minus group 2 as computed. Figures take the direction of benefit from it.
    subgroup_labels : tuple of str
        Each pooled study's subgroup, in the order of ``labels``, when ``subgroup=`` was given (empty
        otherwise); :func:`retrostats.figures.forest_plot` groups the studies by it by default.
    yi, vi, X, labels, moderators : the data as fitted.
    preset : str or None
    provenance : Provenance
    """

    k: int
    estimate: float
    se: float
    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p_value: float
    method: str
    test: str
    confidence_level: float
    df: float
    weights: np.ndarray
    qm: float
    qm_df: tuple
    qm_p_value: float
    r2: float
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    labels: tuple
    moderators: tuple
    preset: str | None = None
    tau2_fixed: bool = False
    subgroups: pd.DataFrame | None = None
    subgroup_test: dict | None = None
    subgroup_labels: tuple = ()
    measure: str | None = None
    instrument: str | None = None
    favours: str | None = None
    provenance: Provenance | None = None
    vt: float = math.nan
    tol: float = 1e-12
    maxiter: int = 1000
    vcov: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    cluster: np.ndarray | None = None  # codes of meta_analysis(cluster=), robust()'s default
    #: the kernel's coefficient arrays and term names, from which ``coefficients`` and ``blup`` are built
    #: on first use (most callers in a simulation never look at them)
    _parts: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_fit(
        cls,
        fit: dict,
        *,
        y,
        v,
        X,
        names,
        labels,
        method,
        test,
        level,
        preset,
        tau2_fixed,
        r2,
        subgroups,
        subgroup_test,
        provenance,
        tol,
        maxiter,
        subgroup_labels: tuple = (),
        measure: str | None = None,
        instrument: str | None = None,
        favours: str | None = None,
    ) -> MetaAnalysisResult:
        """Build the result from the kernel's output (internal)."""
        f = fit
        beta, se = f["beta"], f["se"]
        tau2 = float(f["tau2"])
        w = f["weights"]
        ddf = float(f["ddf"])
        parts = {
            "names": list(names),
            "estimate": beta,
            "se": se,
            "statistic": f["zval"],
            "p_value": f["pval"],
            "ci_low": f["ci_lb"],
            "ci_high": f["ci_ub"],
        }
        ci_l, ci_h = float(f["ci_lb"][0]), float(f["ci_ub"][0])
        pi_l, pi_h = float(f["pi_lb"]), float(f["pi_ub"])
        return _construct(
            cls,
            {
                "k": len(y),
                "estimate": float(beta[0]),
                "se": float(se[0]),
                "statistic": float(f["zval"][0]),
                "p_value": float(f["pval"][0]),
                "ci_low": ci_l,
                "ci_high": ci_h,
                "pi_low": pi_l,
                "pi_high": pi_h,
                "tau2": tau2,
                "tau": math.sqrt(tau2),
                "i2": float(f["i2"]),
                "h2": float(f["h2"]),
                "q": float(f["qe"]),
                "q_df": int(len(y) - X.shape[1]),
                "q_p_value": float(f["qe_p"]),
                "method": method,
                "test": test,
                "confidence_level": level,
                "df": ddf if test == "knha" else math.nan,
                "weights": 100 * w / np.add.reduce(w),
                "qm": float(f["qm"]),
                "qm_df": (int(f["qm_df1"]), ddf if test == "knha" else math.nan),
                "qm_p_value": float(f["qm_p"]),
                "r2": float(r2),
                "yi": y,
                "vi": v,
                "X": X,
                "labels": tuple(labels),
                "moderators": tuple(names[1:]),
                "preset": preset,
                "tau2_fixed": tau2_fixed,
                "subgroups": subgroups,
                "subgroup_test": subgroup_test,
                "subgroup_labels": tuple(str(g) for g in subgroup_labels) if subgroup_labels else (),
                "measure": measure,
                "instrument": instrument,
                "favours": favours,
                "provenance": provenance,
                "vt": float(f["vt"]),
                "tol": tol,
                "maxiter": maxiter,
                "vcov": np.asarray(f["vb"]),
                "cluster": None,
                "_parts": parts,
            },
        )

    @cached_property
    def coefficients(self) -> pd.DataFrame:
        """One row per model coefficient: ``estimate, se, statistic, p_value, ci_low, ci_high``."""
        parts = self._parts
        cols = ("estimate", "se", "statistic", "p_value", "ci_low", "ci_high")
        return pd.DataFrame(
            {c: np.asarray(parts[c], dtype=float) for c in cols}, index=pd.Index(parts["names"], name="term")
        )

    @cached_property
    def blup(self) -> pd.DataFrame:
        """Best linear unbiased predictions of the study effects (metafor ``blup.rma.uni``)."""
        y, v, X, tau2 = self.yi, self.vi, self.X, self.tau2
        beta = np.asarray(self._parts["estimate"], dtype=float)
        lam = tau2 / (tau2 + v)
        pred = lam * y + (1 - lam) * (X @ beta)
        vpred = lam * v + (1 - lam) ** 2 * np.einsum("ki,ij,kj->k", X, self.vcov, X)
        a = 1 - self.confidence_level
        crit = -special.stdtrit(self.df, a / 2) if self.test == "knha" else -special.ndtri(a / 2)
        sd = np.sqrt(vpred)
        return pd.DataFrame(
            {"estimate": pred, "se": sd, "pi_low": pred - crit * sd, "pi_high": pred + crit * sd},
            index=pd.Index(self.labels, name="study"),
        )

    @property
    def int_only(self) -> bool:
        """True for a model without moderators."""
        return self.X.shape[1] == 1

    def _refit(self, y, v, X=None, mask=None, **kw) -> dict:
        from ..kernels.rma import rma_fit

        opts = {
            "method": self.method,
            "test": self.test,
            "level": self.confidence_level,
            "tol": self.tol,
            "maxiter": self.maxiter,
        }
        if self.tau2_fixed:  # as metafor: refits keep a user-fixed tau² (tau2 = if (x$tau2.fix) x$tau2)
            opts["tau2"] = self.tau2
        opts.update(kw)
        return rma_fit(y, v, X, mask, **opts)

    # ------------------------------------------------------------------ verbs
    def heterogeneity_ci(self) -> pd.DataFrame:
        """Q-profile confidence intervals for tau², tau, I² and H² (metafor ``confint()``); see
        :func:`retrostats.meta.heterogeneity.heterogeneity_ci`.
        """
        from .heterogeneity import heterogeneity_ci

        return heterogeneity_ci(self)

    def egger_test(self, *, model: str = "rma", predictor: str = "sei"):
        """Regression test for funnel asymmetry (metafor ``regtest()``); see :mod:`retrostats.meta.bias`."""
        from .bias import egger_test

        return egger_test(self, model=model, predictor=predictor, stacklevel=3)

    def rank_test(self):
        """Begg's rank correlation test (metafor ``ranktest()``)."""
        from .bias import rank_test

        return rank_test(self, stacklevel=3)

    def trim_and_fill(self, *, estimator: str = "L0", side: str | None = None):
        """Duval and Tweedie's trim and fill (metafor ``trimfill()``)."""
        from .bias import trim_and_fill

        return trim_and_fill(self, estimator=estimator, side=side, stacklevel=3)

    def leave_one_out(self) -> pd.DataFrame:
        """Leave-one-out analysis (metafor ``leave1out()``), vectorised over the omitted study."""
        from .influence import leave_one_out

        return leave_one_out(self)

    def influence(self) -> pd.DataFrame:
        """Influence diagnostics (metafor ``influence()``)."""
        from .influence import influence

        return influence(self)

    def cumulative(self, order: Any = None) -> pd.DataFrame:
        """Cumulative meta-analysis (metafor ``cumul()``) in the given order."""
        from .influence import cumulative

        return cumulative(self, order=order)

    def permutation_test(self, n_perm: int = 1000, seed: int | None = None, *, exact: bool | None = None):
        """Permutation test (metafor ``permutest()``), vectorised over permutations."""
        from .permutation import permutation_test

        return permutation_test(self, n_perm=n_perm, seed=seed, exact=exact)

    def to_frame(self) -> pd.DataFrame:
        """One tidy row per coefficient with the model-level statistics repeated, at full precision.

        The last columns, ``measure, instrument, favours``, say what the numbers mean (None when unknown).
        """
        df = self.coefficients.reset_index()
        for key in (
            "k",
            "method",
            "test",
            "confidence_level",
            "tau2",
            "tau",
            "i2",
            "h2",
            "q",
            "q_df",
            "q_p_value",
            "pi_low",
            "pi_high",
        ):
            df[key] = getattr(self, key)
        df["df"] = self.df
        for key in ("measure", "instrument", "favours"):  # what the numbers mean travels with them
            df[key] = pd.Series([getattr(self, key)] * len(df), index=df.index, dtype=object)
        return df

    def to_script(self) -> str:
        """Python code that recomputes this result from its inputs (the studies' ``yi``, ``vi``, labels,
        moderators and subgroups at full precision) and prints the pooled estimate.

        Returns
        -------
        str
            A self-contained script (``python script.py``); executing it leaves the new result in ``res``.

        Examples
        --------
        >>> import retrostats as rs
        >>> res = rs.meta_analysis(yi=[-0.5, -0.2, -0.9], vi=[0.04, 0.05, 0.09], preset="cochrane")
        >>> ns = {}
        >>> exec(res.to_script(), ns)  # doctest: +ELLIPSIS
        pooled estimate ...
        >>> ns["res"].estimate == res.estimate
        True
        """
        from .._scripts import render_script

        inputs: dict[str, Any] = {"yi": self.yi, "vi": self.vi, "labels": list(self.labels)}
        args = ["yi=yi", "vi=vi", "slab=labels"]
        if self.preset is not None:
            args.append(f"preset={self.preset!r}")
        else:
            args += [f"method={self.method!r}", f"test={self.test!r}"]
        if self.confidence_level != 0.95:
            args.append(f"confidence_level={self.confidence_level!r}")
        if self.X.shape[1] > 1:
            inputs["moderators"] = [list(r) for r in self.X[:, 1:]]
            args.append("mods=moderators")
        if self.subgroup_labels:
            inputs["subgroup"] = list(self.subgroup_labels)
            args.append("subgroup=subgroup")
        if self.tau2_fixed:
            args.append(f"tau2={float(self.tau2)!r}")
        if self.tol != 1e-12 or self.maxiter != 1000:
            args += [f"tol={self.tol!r}", f"maxiter={self.maxiter!r}"]
        lvl = f"{100 * self.confidence_level:g}%"
        return render_script(
            f"a meta-analysis of {self.k} studies ({self.method}, test {self.test!r})",
            [
                "res = rs.meta_analysis(" + ", ".join(args) + ")",
                f'print(f"pooled estimate {{res.estimate:.6f}} ({lvl} CI {{res.ci_low:.6f}} to {{res.ci_high:.6f}}), '
                'tau2 {res.tau2:.6f}")',
            ],
            inputs=inputs,
            checks=[
                f"reported = {{'estimate': {float(self.estimate)!r}, 'se': {float(self.se)!r}, "
                f"'tau2': {float(self.tau2)!r}}}",
            ],
        )

    def summary(self):
        """A :class:`retrostats._display.Summary` stating the method, heterogeneity and small-k caveats."""
        from .summary import build_summary

        return build_summary(self)

    def plot_forest(self, ax=None, **kwargs):
        """Forest plot; delegates to :func:`retrostats.figures.forest_plot`."""
        from ..figures import forest_plot

        return forest_plot(self, ax=ax, **kwargs)

    def plot_funnel(self, ax=None, **kwargs):
        """Funnel plot; delegates to :func:`retrostats.figures.funnel_plot`."""
        from ..figures import funnel_plot

        return funnel_plot(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        lvl = f"{100 * self.confidence_level:g}%"
        return (
            f"MetaAnalysisResult(k={self.k}, method={self.method!r}, test={self.test!r}, "
            f"estimate={fmt_num(self.estimate)}, {lvl} CI [{fmt_num(self.ci_low)}, {fmt_num(self.ci_high)}], "
            f"p={fmt_p(self.p_value)}, tau2={fmt_num(self.tau2)}, I2={fmt_num(self.i2, 1)}%)"
        )

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __getitem__(self, key: str) -> Any:  # convenience: res["estimate"]
        return getattr(self, key)


_FIELDS[MetaAnalysisResult] = len(fields(MetaAnalysisResult))
