"""MMRM: R parity (nlme::gls + emmeans), covariance structures, properties and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, TOL, load_reference

import retrostats as rs
from retrostats.exceptions import DataError, DataWarning
from retrostats.kernels import gls, gls_cov

DATA = ROOT / "tests" / "reference" / "data"
STRUCTS = ["us", "cs", "csh", "ar1", "ar1h"]


@pytest.fixture(scope="module")
def ref():
    return load_reference("mmrm")


def _post(ds: str) -> pd.DataFrame:
    d = pd.read_csv(DATA / f"ipd_{ds}.csv")
    return d[d["week"] > 0]


def _fit(d, **kw):
    return rs.mmrm(d, outcome="value", arm="arm", visit="week", subject="participant", baseline="baseline",
                   **kw)


def test_grid_complete(ref):
    assert ref["grid"]["datasets"] == ["a", "b", "c"]
    assert ref["grid"]["covariances"] == STRUCTS
    for ds in "abc":
        for st in STRUCTS:
            assert f"{ds}_{st}" in ref


@pytest.mark.r_parity
@pytest.mark.parametrize("ds", ["a", "b", "c"])
@pytest.mark.parametrize("st", STRUCTS)
def test_parity_with_nlme_emmeans(ref, ds, st):
    fit = _fit(_post(ds), covariance=st)
    r = ref[f"{ds}_{st}"]
    np.testing.assert_allclose(fit.loglik, r["loglik"], **TOL["mmrm_estimate"])
    rc = pd.DataFrame(r["contrasts_none"])
    m = fit.contrasts.merge(rc, on=["visit", "contrast"], suffixes=("", "_r"))
    assert len(m) == len(rc) == len(fit.contrasts)
    np.testing.assert_allclose(m["estimate"], m["estimate_r"], **TOL["mmrm_estimate"])
    np.testing.assert_allclose(m["se"], m["se_r"], **TOL["mmrm_se"])
    # emmeans' Satterthwaite df for gls uses nlme's apVar, a finite-difference Hessian (fdHess); ours is a
    # central difference of the analytic gradient (stable to 1e-8). They differ by up to ~4e-3 relative.
    np.testing.assert_allclose(m["df"], m["df_r"], rtol=1e-2)
    for col in ("ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(m[col], m[f"{col}_r"], **TOL["mmrm_se"])
    rm = pd.DataFrame(r["means"])
    mm = fit.adjusted_means.merge(rm, on=["visit", "arm"], suffixes=("", "_r"))
    assert len(mm) == len(rm)
    np.testing.assert_allclose(mm["estimate"], mm["estimate_r"], **TOL["mmrm_estimate"])
    np.testing.assert_allclose(mm["se"], mm["se_r"], **TOL["mmrm_se"])
    T = fit.covariance_matrix.shape[0]
    np.testing.assert_allclose(fit.covariance_matrix.to_numpy().ravel(order="F"),
                               np.reshape(r["covariance"], (T, T)).ravel(order="F"), **TOL["mmrm_se"])


@pytest.mark.r_parity
@pytest.mark.parametrize("adjust", ["tukey", "holm", "bonferroni", "sidak"])
def test_parity_adjusted(ref, adjust):
    fit = _fit(_post("a"), adjust=adjust)
    rc = pd.DataFrame(ref["a_us"][f"contrasts_{adjust}"])
    m = fit.contrasts.merge(rc, on=["visit", "contrast"], suffixes=("", "_r"))
    assert len(m) == len(rc)
    for col in ("ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(m[col], m[f"{col}_r"], **TOL["mmrm_se"])


@pytest.mark.parametrize("method", ["REML", "ML"])
@pytest.mark.parametrize("stats_path", [True, False])
def test_kernel_gradient_matches_finite_difference(rng, method, stats_path):
    n, T = 30, 4
    subj = np.repeat(np.arange(n), T)
    vis = np.tile(np.arange(T), n)
    X = np.column_stack([vis == t for t in range(T)] + [rng.normal(size=n * T)]).astype(float)
    y = rng.multivariate_normal(np.zeros(T), 0.5 * np.eye(T) + 0.5, size=n).ravel()
    keep = rng.random(n * T) > 0.2  # missing visits: several patterns
    grp = (subj % 2)[keep]
    for st in gls.STRUCTURES:
        model = gls.GlsModel(y[keep], X[keep], vis[keep], subj[keep], st, T=T, group=grp,
                             weights=rng.uniform(0.5, 2, keep.sum()), coords=np.array([0.0, 1, 3, 4]),
                             method=method)
        if not stats_path:  # the per-subject path must give the same criterion and gradient
            model.use_stats = False
        theta = np.tile(rng.normal(0, 0.3, gls_cov.n_params(st, T)), 2)
        g = model.criterion(theta)[1]
        h = 1e-6
        crit = model.criterion
        num = [(crit(theta + h * e, gradient=False) - crit(theta - h * e, gradient=False)) / (2 * h)
               for e in np.eye(theta.size)]
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-5)


def test_swapping_reference_flips_sign():
    d = _post("b")
    a = _fit(d, reference="control").contrasts
    b = _fit(d, reference="retro").contrasts
    np.testing.assert_allclose(a["estimate"], -b["estimate"], **TOL["iterative"])
    np.testing.assert_allclose(a["se"], b["se"], **TOL["iterative"])
    assert set(b["contrast"]) == {"control - retro"}


def test_row_order_does_not_matter():
    d = _post("c")
    a = _fit(d).contrasts
    b = _fit(d.sample(frac=1.0, random_state=3)).contrasts
    np.testing.assert_allclose(a["estimate"], b["estimate"], **TOL["iterative"])


def test_visit_labels_are_ordered_by_their_numbers():
    # regression: labels were sorted as text, so "week 12" came before "week 4"; AR(1) then paired the wrong
    # visits (a different fit from the numeric weeks) and the tables were out of order
    d = _post("c").copy()
    d["label"] = [f"week {2 * w:g}" for w in d["week"]]  # weeks 4, 8, 12
    for st in ("ar1", "us"):
        by_label = rs.mmrm(d, outcome="value", arm="arm", visit="label", subject="participant",
                           baseline="baseline", covariance=st)
        by_week = _fit(d, covariance=st)
        assert list(by_label.contrasts["visit"].unique()) == ["week 4", "week 8", "week 12"]
        assert list(by_label.covariance_matrix.index) == ["week 4", "week 8", "week 12"]
        np.testing.assert_allclose(by_label.loglik, by_week.loglik, **TOL["iterative"])
        np.testing.assert_allclose(by_label.contrasts["estimate"], by_week.contrasts["estimate"],
                                   **TOL["iterative"])


def test_summary_and_frame():
    fit = _fit(_post("c"))
    assert "retro - forward" in fit.summary().as_text()
    assert list(fit.to_frame().columns[:8]) == ["visit", "contrast", "estimate", "se", "df", "statistic",
                                                "ci_low", "ci_high"]
    assert fit.provenance.call.startswith("mmrm(")


# ---- bad input ---------------------------------------------------------------------------------------
def test_single_visit_is_a_clear_error():
    d = _post("c")
    with pytest.raises(DataError, match="at least two post-baseline visits"):
        _fit(d[d["week"] == 6])


def test_participant_in_two_arms():
    d = _post("c").copy()
    i = d.index[d["participant"] == "P002"][0]
    d.loc[i, "arm"] = "control"
    with pytest.raises(DataError, match="P002"):
        _fit(d)


def test_duplicated_visit():
    d = _post("c")
    d = pd.concat([d, d.iloc[[3]]])
    with pytest.raises(DataError, match="more than one row at visit"):
        _fit(d)


def test_text_in_outcome():
    d = _post("c").copy()
    d["value"] = d["value"].astype(object)
    d.loc[d.index[5], "value"] = "n/a?"
    with pytest.raises(DataError, match="must be numeric; participant"):
        _fit(d)


def test_arm_without_data_at_a_visit():
    d = _post("c")
    d = d[~((d["arm"] == "forward") & (d["week"] == 4))]
    with pytest.raises(DataError, match="'forward' has no outcome data at visit 4"):
        _fit(d)


def test_missing_baseline_warns_and_excludes():
    d = _post("c").copy()
    d.loc[d["participant"] == "P005", "baseline"] = np.nan
    with pytest.warns(DataWarning, match="P005"):
        fit = _fit(d)
    assert fit.n_subjects == d.loc[d["participant"] != "P005", "participant"].nunique()


def test_unknown_covariance_suggests():
    with pytest.raises(ValueError, match="covariance"):
        _fit(_post("c"), covariance="unstructred")


@pytest.mark.parametrize("st", ["us", "ar1h"])
def test_per_subject_path_equals_pattern_statistics(rng, st):
    """The two ways of summing over subjects (pattern statistics, padded per-subject arrays) agree."""
    from retrostats.kernels import gls_infer

    n, T = 40, 4
    subj = np.repeat(np.arange(n), T)
    vis = np.tile(np.arange(T), n)
    X = np.column_stack([vis == t for t in range(T)] + [rng.normal(size=n * T), subj % 2]).astype(float)
    y = rng.multivariate_normal(np.zeros(T), 0.5 * np.eye(T) + 0.5, size=n).ravel() + X[:, T]
    keep = rng.random(n * T) > 0.25
    out = []
    for use_stats in (True, False):
        m = gls.GlsModel(y[keep], X[keep], vis[keep], subj[keep], st, T=T)
        m.use_stats = use_stats
        m.fit(m.start(None, None, None, None))
        inf = gls_infer.GlsInference(m, "kenward-roger")
        L = np.eye(X.shape[1])[-2:]
        out.append((m.value, inf.V, inf.contrast(L)[1], gls_infer.GlsInference(m, "residual", "empirical").V))
    np.testing.assert_allclose(out[0][0], out[1][0], **TOL["iterative"])
    for a, b in zip(out[0][1:], out[1][1:]):
        np.testing.assert_allclose(a, b, **TOL["iterative"])
