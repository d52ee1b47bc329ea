"""ANCOVA: R parity (lm + emmeans + sandwich), the SPSS three-line workflow, properties and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, TOL, load_reference

import retrostats as rs
from retrostats.exceptions import DataError, DataWarning

DATA = ROOT / "tests" / "reference" / "data"
CASES = {"a_plain": [], "b_plain": [], "c_plain": [], "a_cov": ["age", "sex"], "c_cov": ["age"]}
ADJUSTS = ["none", "tukey", "holm", "bonferroni", "sidak"]


@pytest.fixture(scope="module")
def ref():
    return load_reference("ancova")


def _last(ds: str) -> pd.DataFrame:
    d = pd.read_csv(DATA / f"ipd_{ds}.csv")
    return d[d["week"] == d["week"].max()]


def test_grid_complete(ref):
    assert ref["grid"]["cases"] == list(CASES)
    assert ref["grid"]["adjusts"] == ADJUSTS
    for case in CASES:
        for vc in ("classical", "HC3"):
            for adj in ADJUSTS:
                assert f"contrasts_{vc}_{adj}" in ref[case]


def _frame(block):
    return pd.DataFrame({k: np.atleast_1d(v) for k, v in block.items()})


@pytest.mark.r_parity
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("vcov", ["classical", "HC3"])
@pytest.mark.parametrize("adjust", ADJUSTS)
def test_parity_with_lm_emmeans(ref, case, vcov, adjust):
    fit = rs.ancova(_last(case[0]), outcome="value", baseline="baseline", arm="arm", covariates=CASES[case],
                    adjust=adjust, vcov=vcov)
    r = ref[case]
    assert fit.n == r["n"] and fit.df_resid == r["df_resid"]
    np.testing.assert_allclose(fit.sigma, r["sigma"], **TOL["closed_form"])
    m = fit.contrasts.merge(_frame(r[f"contrasts_{vcov}_{adjust}"]), on="contrast", suffixes=("", "_r"))
    assert len(m) == len(fit.contrasts)
    for col in ("estimate", "se", "df"):
        np.testing.assert_allclose(m[col], m[f"{col}_r"], **TOL["closed_form"])
    # Tukey's studentized range is a numerical integral in both R (ptukey/qtukey) and SciPy
    tol = TOL["iterative"] if adjust == "tukey" else TOL["closed_form"]
    for col in ("ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(m[col], m[f"{col}_r"], **tol)
    mm = fit.adjusted_means.merge(_frame(r[f"means_{vcov}"]), on="arm", suffixes=("", "_r"))
    assert len(mm) == len(fit.adjusted_means)
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(mm[col], mm[f"{col}_r"], **TOL["closed_form"])


@pytest.mark.r_parity
@pytest.mark.parametrize("case", list(CASES))
def test_standardized_matches_eff_size(ref, case):
    fit = rs.ancova(_last(case[0]), outcome="value", baseline="baseline", arm="arm", covariates=CASES[case])
    m = fit.standardized.merge(_frame(ref[case]["eff_size"]), on="contrast", suffixes=("", "_r"))
    assert len(m) == len(fit.standardized)
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(m[col], m[f"{col}_r"], **TOL["closed_form"])


def test_spss_three_arm_week6_in_three_lines(tmp_path):
    """The issue's promise: an SPSS file of a three-arm trial -> adjusted retro-vs-forward at week 6."""
    pyreadstat = pytest.importorskip("pyreadstat")
    trial = rs.load_dataset("synthetic_three_arm_trial")
    wide = trial.pivot(index="participant", columns="week", values="value")
    wide.columns = [f"nprs_w{int(w)}" for w in wide.columns]
    arms = trial.groupby("participant")["arm"].first()
    sav = pd.DataFrame({"id": np.arange(1, len(wide) + 1, dtype=float),
                        "group": arms.loc[wide.index].map({"retro": 1.0, "forward": 2.0, "control": 3.0})
                        .to_numpy()})
    sav = pd.concat([sav, wide.reset_index(drop=True)], axis=1)
    path = tmp_path / "trial.sav"
    pyreadstat.write_sav(sav, str(path), variable_value_labels={"group": {1.0: "retro", 2.0: "forward",
                                                                            3.0: "control"}})
    # --- the three lines ---
    d = rs.read_participants(path, layout="wide", columns={"participant": "id", "arm": "group"},
                             values={"nprs_w0": 0, "nprs_w2": 2, "nprs_w4": 4, "nprs_w6": 6},
                             instrument="NPRS")
    fit = rs.ancova(d[d["week"] == 6], outcome="value", baseline="baseline", arm="arm")
    row = fit.contrasts.set_index("contrast").loc["retro - forward"]
    # --- same numbers as the analysis of the shipped frame ---
    direct = rs.ancova(trial[trial["week"] == 6], outcome="value", baseline="baseline", arm="arm")
    exp = direct.contrasts.set_index("contrast").loc["retro - forward"]
    np.testing.assert_allclose(row[["estimate", "ci_low", "ci_high"]].to_numpy(float),
                               exp[["estimate", "ci_low", "ci_high"]].to_numpy(float), **TOL["closed_form"])
    assert row["ci_low"] < row["estimate"] < row["ci_high"]


def test_reference_swap_and_shift_invariance(rng):
    d = _last("a").copy()
    a = rs.ancova(d, outcome="value", baseline="baseline", arm="arm").contrasts.set_index("contrast")
    d2 = d.assign(value=d["value"] + 7.0, baseline=d["baseline"] * 1.0)
    b = rs.ancova(d2, outcome="value", baseline="baseline", arm="arm", reference="retro").contrasts
    b = b.set_index("contrast")
    np.testing.assert_allclose(a.loc["retro - control", "estimate"], -b.loc["control - retro", "estimate"],
                               **TOL["closed_form"])
    np.testing.assert_allclose(a.loc["retro - control", "se"], b.loc["control - retro", "se"],
                               **TOL["closed_form"])


def test_two_arm_matches_statsmodels_ols():
    import statsmodels.formula.api as smf

    d = _last("b")
    fit = rs.ancova(d, outcome="value", baseline="baseline", arm="arm")
    sm = smf.ols("value ~ C(arm, Treatment('control')) + baseline", data=d).fit()
    name = "C(arm, Treatment('control'))[T.retro]"
    np.testing.assert_allclose(fit.contrasts["estimate"].iloc[0], sm.params[name], **TOL["closed_form"])
    np.testing.assert_allclose(fit.contrasts["se"].iloc[0], sm.bse[name], **TOL["closed_form"])


def test_bad_input():
    d = _last("c").copy()
    d["value"] = d["value"].astype(object)
    d.loc[d.index[2], "value"] = "seven"
    with pytest.raises(DataError, match="must be numeric"):
        rs.ancova(d, outcome="value", baseline="baseline", arm="arm", subject="participant")
    d = _last("c")
    with pytest.raises(DataError, match="at least two"):
        rs.ancova(d[d["arm"] == "retro"], outcome="value", baseline="baseline", arm="arm")
    with pytest.raises(DataError, match="more than one row"):
        rs.ancova(pd.concat([d, d.iloc[[0]]]), outcome="value", baseline="baseline", arm="arm",
                  subject="participant")
    with pytest.raises(DataError, match="rank deficient"):
        rs.ancova(d.assign(k=1.0), outcome="value", baseline="baseline", arm="arm", covariates=["k"])
    d2 = d.copy()
    d2.loc[d2.index[0], "baseline"] = np.nan
    with pytest.warns(DataWarning, match="excluded"):
        rs.ancova(d2, outcome="value", baseline="baseline", arm="arm")
    with pytest.raises(ValueError, match="adjust"):
        rs.ancova(d, outcome="value", baseline="baseline", arm="arm", adjust="scheffe")
    fit = rs.ancova(d, outcome="value", baseline="baseline", arm="arm")
    assert "Adjusted means" in fit.summary().as_text()


def test_proportional_lsmeans_weights_and_categorical_reference():
    d = _last("a")
    eq = rs.ancova(d, outcome="value", baseline="baseline", arm="arm", covariates=["age", "sex"])
    pr = rs.ancova(d, outcome="value", baseline="baseline", arm="arm", covariates=["age", "sex"],
                   lsmeans_weights="proportional")
    c = eq.coefficients.set_index("term")["estimate"]
    f = d.loc[d["value"].notna() & d["baseline"].notna(), "sex"].astype(str).value_counts(normalize=True)
    lv = sorted(f.index)
    shift = sum((f[x] - 1 / len(lv)) * c[f"sex{x}"] for x in lv[1:])
    assert abs(shift) > 1e-6
    np.testing.assert_allclose(pr.adjusted_means["estimate"], eq.adjusted_means["estimate"] + shift,
                               **TOL["closed_form"])
    np.testing.assert_allclose(pr.contrasts["estimate"], eq.contrasts["estimate"], **TOL["closed_form"])
    cat = d.copy()
    cat["arm"] = pd.Categorical(cat["arm"], ["forward", "retro", "control"])
    fit = rs.ancova(cat, outcome="value", baseline="baseline", arm="arm")
    assert fit.reference == "forward"
    with pytest.raises(ValueError, match="lsmeans_weights"):
        rs.ancova(d, outcome="value", baseline="baseline", arm="arm", lsmeans_weights="cells")
