"""Every public result class (a name ending in ``Result``, or a public class with ``summary()``) keeps the one
result protocol: ``summary()`` (text, HTML, Markdown, LaTeX),
``to_frame()``, ``provenance`` and ``_repr_html_``.

The classes are found by walking every module of the package, so a result class added later is checked
too: it needs the members (``retrostats._display.ResultDisplay`` gives the display ones) and an entry in
``MAKERS`` below (or in ``CHECKED_ELSEWHERE`` when making one takes a sampler run that another test has).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import assert_result_protocol

import retrostats as rs
from retrostats._display import ResultDisplay

PROTOCOL = ("summary", "to_frame", "_repr_html_")


def _result_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(rs.__path__, "retrostats."):
        if any(part.startswith("_") for part in info.name.split(".")[1:-1]):
            continue
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            public = name in getattr(mod, "__all__", ()) and callable(getattr(obj, "summary", None))
            if (
                inspect.isclass(obj)
                and (name.endswith("Result") or public)
                and not name.startswith("_")
                and obj.__module__.startswith("retrostats.")
                and obj is not ResultDisplay  # the mixin itself
            ):
                found[name] = obj
    return found


CLASSES = _result_classes()

#: Results whose instance is checked in another test module (making one needs a sampler run).
CHECKED_ELSEWHERE = {"BayesAncovaResult": "tests/test_bayes_nuts.py::test_bayes_ancova_keeps_the_result_protocol"}

#: Results being rewritten by another issue: the member still missing, and why (strict xfail: remove the
#: entry once it is there).
PENDING: dict[str, str] = {}


def _trial(rng: np.random.Generator, missing: int = 0) -> pd.DataFrame:
    n = 20
    arm = np.repeat(["control", "retro"], n)
    pre = rng.normal(6.0, 1.5, 2 * n)
    post = 1.0 + 0.6 * pre - 1.5 * (arm == "retro") + rng.normal(0, 1.0, 2 * n)
    post[:missing] = np.nan
    return pd.DataFrame({"arm": arm, "pre": pre, "post": post})


def _post() -> pd.DataFrame:
    d = rs.simulate_trial(n_per_arm=15, seed=5)
    return d[d["week"] > 0]


def _meta():
    return rs.meta_analysis(yi=[0.1, 0.5, 0.9, 0.2, 0.4, 0.3], vi=[0.01, 0.02, 0.09, 0.02, 0.05, 0.03])


def _quiet(f):
    """Small examples: the small-sample warnings are tested where they are raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rs.SmallSampleWarning)
        return f()


def _tsa():
    d = pd.DataFrame({"study_id": ["a", "b", "c"], "yi": [-0.9, -0.5, -0.7], "vi": [0.09, 0.05, 0.04],
                      "n": [40, 80, 100], "measure": "SMD"})
    return rs.trial_sequential_analysis(d, delta=-0.5)


def _grade():
    return rs.grade_profile(_tsa(), risk_of_bias={"a": "high", "b": "low", "c": "low"}, outcome="pain")


def _dose():
    from retrostats.meta.dose import _example

    return rs.dose_response(_example(), dose="weeks")


def _mv():
    d = pd.DataFrame({"study": [1, 1, 2, 2, 3, 4], "yi": [0.1, 0.3, 0.5, 0.4, 0.2, 0.6], "vi": [0.02] * 6})
    return rs.meta_analysis_mv(d, cluster="study")


def _binary():
    return rs.meta_analysis_mh(events1=[5, 8, 3], n1=[40, 50, 30], events2=[10, 12, 7], n2=[40, 50, 30])


#: class name -> (function whose call the provenance names, a maker of a small real result)
MAKERS = {
    "MetaAnalysisResult": ("meta_analysis", _meta),
    "WeightedMetaAnalysisResult": (
        "meta_analysis",
        lambda: rs.meta_analysis(yi=[0.1, 0.5, 0.9, 0.2], vi=[0.01, 0.02, 0.09, 0.02], weights=[1, 2, 3, 4]),
    ),
    "MultilevelResult": ("meta_analysis_mv", _mv),
    "MetaAnalysisBatch": (
        "meta_analysis",
        lambda: rs.meta_analysis(
            pd.DataFrame({"g": ["a"] * 3 + ["b"] * 3, "yi": [0.1, 0.5, 0.3, 0.2, 0.4, 0.6], "vi": [0.02] * 6}),
            by="g",
            method="DL",
        ),
    ),
    "BinaryMetaResult": ("meta_analysis_mh", _binary),
    "EggerResult": ("egger_test", lambda: _quiet(lambda: _meta().egger_test())),
    "RankTestResult": ("rank_test", lambda: _quiet(lambda: _meta().rank_test())),
    "TrimFillResult": ("trim_and_fill", lambda: _quiet(lambda: _meta().trim_and_fill())),
    "PermutationResult": ("permutation_test", lambda: _meta().permutation_test()),
    "RobustResult": ("robust", lambda: _meta().robust(cluster=[1, 1, 2, 2, 3, 3], adjust="CR1")),
    "DoseResponseResult": ("dose_response", _dose),
    "PowerResult": ("power_ttest", lambda: rs.power_ttest(effect_size=0.5, power=0.8)),
    "SimulationResult": (
        "simulate_power",
        lambda: rs.simulate_power(n_per_arm=20, effect=0.5, sd=1.0, r=0.5, n_sims=200, seed=1),
    ),
    "PrecisionResult": ("n_for_precision", lambda: rs.n_for_precision(0.5, sd=1.0)),
    "AssuranceResult": ("n_for_assurance", lambda: rs.n_for_assurance(mean=0.5, sd=0.2, target=0.7)),
    "UpdateResult": (
        "n_for_conclusive_update",
        lambda: rs.n_for_conclusive_update(_meta(), threshold=0.0),
    ),
    "AncovaResult": (
        "ancova",
        lambda: rs.ancova(_trial(np.random.default_rng(1)), outcome="post", baseline="pre", arm="arm"),
    ),
    "MIResult": (
        "ancova_mi",
        lambda: rs.ancova_mi(
            _trial(np.random.default_rng(2), missing=4), outcome="post", baseline="pre", arm="arm",
            n_imputations=5, seed=3,
        ),
    ),
    "ResponderResult": (
        "responders",
        lambda: rs.responders(
            _trial(np.random.default_rng(4)), outcome="post", baseline="pre", arm="arm", mcid=1.0,
            higher_is_better=False,
        ),
    ),
    "BayesMetaResult": (
        "bayes_meta_analysis",
        lambda: rs.bayes_meta_analysis(yi=[0.1, 0.5, 0.9, 0.2], vi=[0.01, 0.02, 0.09, 0.02]),
    ),
    "TSAResult": ("trial_sequential_analysis", _tsa),
    "GradeProfile": ("grade_profile", _grade),
    "SummaryOfFindings": ("summary_of_findings", lambda: rs.summary_of_findings([_grade()])),
    "MmrmResult": (
        "mmrm",
        lambda: rs.mmrm(_post(), outcome="value", arm="arm", visit="week", subject="participant",
                        baseline="baseline"),
    ),
}


def test_the_walk_finds_the_result_classes():
    # a floor, so that a broken walk cannot pass the tests below vacuously
    assert {"MetaAnalysisResult", "PowerResult", "AncovaResult", "EggerResult"} <= set(CLASSES)
    assert len(CLASSES) >= 20


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_result_class_has_the_members(name, request):
    if name in PENDING:
        request.applymarker(pytest.mark.xfail(reason=PENDING[name], strict=True))
    cls = CLASSES[name]
    missing = [m for m in PROTOCOL if not callable(getattr(cls, m, None))]
    fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    if "provenance" not in fields and not isinstance(getattr(cls, "provenance", None), property):
        missing.append("provenance")
    assert not missing, f"{name} lacks {missing} (see CONTRIBUTING.md, 'The result protocol')"
    assert name in MAKERS or name in CHECKED_ELSEWHERE, f"add a small {name} to MAKERS in {__file__}"


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_every_result_instance_keeps_the_protocol(name, request):
    if name in PENDING:
        request.applymarker(pytest.mark.xfail(reason=PENDING[name], strict=True))
    function, make = MAKERS[name]
    result = make()
    assert type(result).__name__ == name
    assert_result_protocol(result, function)
