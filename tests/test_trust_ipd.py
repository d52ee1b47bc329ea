"""Issue 12, participant level: no perfect fits, no baseline rows as outcomes, no silently dropped rows,
no unconverged REML fit that looks ordinary, participant ids kept as text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats.exceptions import ConvergenceError, DataError, DataWarning


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    return rs.simulate_trial(n_per_arm=20, seed=1)


def _mmrm(d, **kw):
    return rs.mmrm(d, outcome="value", arm="arm", visit="week", subject="participant", baseline="baseline", **kw)


# ---------------------------------------------------------------- defect 1: perfect fits
def test_ancova_outcome_equal_to_baseline_is_refused(trial):
    wk6 = trial[trial["week"] == 6]
    with pytest.raises(DataError, match="predicted almost exactly.*baseline"):
        rs.ancova(wk6, outcome="baseline", baseline="baseline", arm="arm")


def test_ancova_constant_outcome_is_refused(trial):
    wk6 = trial[trial["week"] == 6].assign(const=3.0)
    with pytest.raises(DataError, match="'const' is constant"):
        rs.ancova(wk6, outcome="const", baseline="baseline", arm="arm")


def test_ancova_near_perfect_fit_is_refused(trial, rng):
    wk6 = trial[trial["week"] == 6]
    y = wk6["baseline"] * 2 + 1 + rng.normal(0, 1e-9, len(wk6))
    with pytest.raises(DataError, match="residual variance"):
        rs.ancova(wk6.assign(y=y), outcome="y", baseline="baseline", arm="arm")


def test_mmrm_outcome_equal_to_baseline_is_refused(trial):
    post = trial[trial["week"] > 0]
    with pytest.raises(DataError, match="predicted almost exactly"):
        rs.mmrm(post, outcome="baseline", arm="arm", visit="week", subject="participant", baseline="baseline")


def test_ordinary_noise_passes_the_guard(trial):
    wk6 = trial[trial["week"] == 6]
    fit = rs.ancova(wk6, outcome="value", baseline="baseline", arm="arm")
    assert fit.sigma > 0.1


# ---------------------------------------------------------------- defect 2: baseline-visit rows in mmrm
def test_mmrm_drops_baseline_rows_naming_them_and_matches_post_baseline_fit(trial):
    post = trial[trial["week"] > 0]
    ref = _mmrm(post)
    with pytest.warns(DataWarning, match=r"baseline.*60 row\(s\) are excluded.*participant 'P001'"):
        got = _mmrm(trial)
    pd.testing.assert_frame_equal(got.contrasts, ref.contrasts)
    assert got.n_obs == ref.n_obs
    assert np.all(np.abs(got.contrasts["ci_high"]) < 100)  # no CI of 1e145 for visit 0


def test_mmrm_baseline_label_dropped(trial):
    d = trial.copy()
    with pytest.warns(DataWarning, match="labelled 'baseline'"):
        got = rs.mmrm(d, outcome="value", arm="arm", visit="visit", subject="participant", baseline="baseline")
    assert "baseline" not in set(got.contrasts["visit"])


def test_unconverged_reml_raises():
    class Fit:
        converged = False
        grad = np.array([0.3, -2.0])

    from retrostats.ipd import _guards

    with pytest.raises(ConvergenceError, match="did not converge.*2"):
        _guards.check_converged(Fit())


def test_mmrm_unconverged_fit_never_returns_numbers(trial, monkeypatch):
    from retrostats.kernels import gls

    real = gls.fit_gls

    def stalled(*a, **k):
        fit = real(*a, **k)
        fit.converged = False
        return fit

    monkeypatch.setattr(gls, "fit_gls", stalled)
    with pytest.raises(ConvergenceError):
        _mmrm(trial[trial["week"] > 0])


# ---------------------------------------------------------------- defect 3: rows dropped silently
@pytest.mark.parametrize("col", ["arm", "week", "participant"])
def test_mmrm_missing_key_rows_are_named(trial, col):
    post = trial[trial["week"] > 0].copy()
    post[col] = post[col].astype(object)
    post.loc[post.index[5], col] = None
    with pytest.warns(DataWarning, match=rf"1 row\(s\) with a missing .*row {post.index[5]}"):
        fit = _mmrm(post)
    assert fit.n_obs == len(post) - 1


def test_mmrm_missing_outcome_is_missing_data_not_a_dropped_row(trial):
    # a missing outcome is what MMRM models (MAR): no warning, the observed rows are counted
    post = trial[trial["week"] > 0].copy()
    post.loc[post.index[:2], "value"] = np.nan
    fit = _mmrm(post)
    assert fit.n_obs == len(post) - 2


def test_ancova_missing_arm_is_named(trial):
    wk6 = trial[trial["week"] == 6].copy()
    wk6["arm"] = wk6["arm"].astype(object)
    wk6.loc[wk6.index[3], "arm"] = None
    with pytest.warns(DataWarning, match=r"missing arm.*participant 'P004'"):
        fit = rs.ancova(wk6, outcome="value", baseline="baseline", arm="arm", subject="participant")
    assert fit.n == len(wk6) - 1


def test_participant_ids_are_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,arm,week,value\n001,retro,0,5\n001,retro,6,3\n002,control,0,6\n002,control,6,5\n"
                    "010,control,0,4\n010,control,6,4\n", encoding="utf-8")
    d = rs.read_participants(path, columns={"participant": "id"})
    assert list(pd.unique(d["participant"])) == ["001", "002", "010"]


def test_xlsx_formula_without_cached_value_is_refused(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["participant", "arm", "week", "value"])
    ws.append(["p1", "retro", 0, 5])
    ws.append(["p1", "retro", 6, "=B1*2"])  # openpyxl saves no cached value
    ws.append(["p2", "control", 0, 6])
    ws.append(["p2", "control", 6, 4])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    with pytest.raises(DataError, match=r"f\.xlsx.*cell D3.*no saved value"):
        rs.read_participants(path)


# ---------------------------------------------------------------- defect 4 (participants): one empty arm cell
def test_one_empty_arm_cell_is_a_data_error_naming_the_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("participant,arm,week,value\np1,retro,0,5\np1,,6,3\np2,control,0,6\np2,control,6,5\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"t\.csv, row 3: participant 'p1' has no arm"):
        rs.read_participants(path)


def test_rows_without_participant_are_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("participant,arm,week,value\np1,retro,0,5\n,retro,6,3\np2,control,0,6\n",
                    encoding="utf-8")
    with pytest.warns(DataWarning, match=r"1 row\(s\) have no participant id.*rows \[3\]"):
        d = rs.read_participants(path)
    assert len(d) == 2
