"""The "Evidence to decision" section of the shared API contract (API.md), exercised as written."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import retrostats as rs

P = inspect.Parameter
TRIALS = pd.DataFrame({"yi": [-0.6, -0.3, -0.5], "vi": [0.05, 0.03, 0.04], "n": [60, 90, 80], "measure": "SMD"})


def test_names_and_signatures():
    for name in ("trial_sequential_analysis", "grade_profile", "summary_of_findings"):
        assert name in rs.__all__
    sig = inspect.signature(rs.trial_sequential_analysis)
    ps = sig.parameters
    assert list(ps)[0] == "data" and ps["data"].default is None
    expected = {"yi": "yi", "vi": "vi", "n": "n", "sd": None, "alpha": 0.05, "beta": 0.2, "heterogeneity": "D2",
                "boundary": "obf"}
    for name, default in expected.items():
        assert ps[name].kind is P.KEYWORD_ONLY and ps[name].default == default, name
    assert ps["delta"].kind is P.KEYWORD_ONLY  # optional here: None means the instrument's MCID
    g = inspect.signature(rs.grade_profile).parameters
    assert g["risk_of_bias"].kind is P.KEYWORD_ONLY and g["risk_of_bias"].default is P.empty
    assert g["indirectness"].default == "no" and g["mcid"].default is None


def test_tsa_result_contract():
    tsa = rs.trial_sequential_analysis(TRIALS, delta=-0.4)
    z = stats.norm.isf(0.025) + stats.norm.isf(0.2)
    vf = 1 / np.sum(1 / TRIALS["vi"])
    tau2 = rs.meta_analysis(TRIALS, method="DL").tau2
    vr = 1 / np.sum(1 / (TRIALS["vi"] + tau2))
    d2 = (vr - vf) / vr
    assert tsa.d2 == pytest.approx(d2, rel=1e-10)
    assert tsa.required_information_size == pytest.approx(4 * z * z / 0.16 / (1 - d2), rel=1e-10)  # not rounded
    mon = tsa.monitoring
    assert list(mon.columns[:7]) == ["study", "n", "cumulative_n", "information_fraction", "z", "z_boundary_upper",
                                     "z_boundary_lower"]
    assert (mon["information_fraction"] <= 1).all()
    # each side spends 2 - 2 Phi(z_{1-alpha/4} / sqrt(t)): the first look's boundary is that quantile
    t1 = mon["information_fraction"].iloc[0]
    first = stats.norm.isf(2 - 2 * stats.norm.cdf(stats.norm.isf(0.05 / 4) / np.sqrt(t1)))
    assert mon["z_boundary_upper"].iloc[0] == pytest.approx(first, rel=1e-10)
    assert tsa.crossed == bool((mon["z"].abs() >= mon["z_boundary_upper"]).any())
    assert isinstance(tsa.summary().as_text(), str)


def test_grade_and_sof_contract(tmp_path):
    tsa = rs.trial_sequential_analysis(TRIALS, delta=-0.4)
    prof = rs.grade_profile(tsa, risk_of_bias={"Study 1": "low", "Study 2": "low", "Study 3": "high"})
    assert list(prof.domains.columns) == ["domain", "rating", "downgrade", "reason"]
    assert prof.certainty in {"high", "moderate", "low", "very low"}
    sof = rs.summary_of_findings([prof])
    assert isinstance(sof.to_frame(), pd.DataFrame)
    for method in ("to_html", "to_markdown"):
        assert isinstance(getattr(sof, method)(), str)
    pytest.importorskip("docx")
    assert sof.to_docx(tmp_path / "sof.docx").exists()
