"""``meta_analysis(..., by=...)``: every row of the batch equals the single fit of its group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats.exceptions import DataError, DataWarning
from retrostats.meta.batch import FIELDS


def _data(seed: int = 3, n_groups: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_groups):
        k = int(rng.integers(2, 15))  # ragged groups: several batched fits, one per size
        tau2 = float(rng.choice([0.0, 0.02, 0.2]))
        v = rng.uniform(0.01, 0.2, k)
        y = rng.normal(0.3, np.sqrt(v + tau2))
        rows += [{"rep": f"r{g:02d}", "yi": a, "vi": b} for a, b in zip(y, v)]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _single_row(fit: rs.MetaAnalysisResult) -> dict:
    return {key: getattr(fit, key) for key in FIELDS}


@pytest.mark.parametrize("method", ["REML", "ML", "DL", "PM", "EE", "SJ", "HE"])
@pytest.mark.parametrize("test", ["z", "knha"])
def test_batch_rows_equal_single_fits(method, test):
    d = _data()
    batch = rs.meta_analysis(d, by="rep", method=method, test=test)
    frame = batch.to_frame()
    assert list(frame.columns[:2]) == ["rep", "k"]
    assert list(frame["rep"]) == sorted(d["rep"].unique())
    for _, row in frame.iterrows():
        single = rs.meta_analysis(d[d["rep"] == row["rep"]], method=method, test=test)
        expect = _single_row(single)
        got = {key: row[key] for key in FIELDS}
        # the same arithmetic on the same values: equal, not merely close
        np.testing.assert_array_equal(np.array(list(got.values()), dtype=float), np.array(list(expect.values())))
        assert row["method"] == method and row["test"] == test


def test_batch_large_stack_compaction_keeps_rows_identical():
    # >= 256 problems of one size: the still-iterating ones continue as a smaller stack
    rng = np.random.default_rng(11)
    g, k = 600, 6
    v = rng.uniform(0.01, 0.3, (g, k))
    y = rng.normal(0.0, np.sqrt(v + rng.choice([0.0, 0.01, 0.1], (g, 1))))
    d = pd.DataFrame({"rep": np.repeat(np.arange(g), k), "yi": y.ravel(), "vi": v.ravel()})
    frame = rs.meta_analysis(d, by="rep", method="REML", test="knha").to_frame()
    for i in (0, 1, 17, 333, 599):
        single = rs.meta_analysis(yi=y[i], vi=v[i], method="REML", test="knha")
        np.testing.assert_array_equal(
            frame.loc[i, list(FIELDS)].to_numpy(dtype=float), list(_single_row(single).values())
        )
    assert (frame["tau2"] == 0).any() and (frame["tau2"] > 0).any()


def test_batch_fields_and_missing_rows():
    d = _data(n_groups=5)
    d.loc[3, "yi"] = np.nan
    with pytest.warns(DataWarning, match="row"):
        batch = rs.meta_analysis(d, by="rep")
    assert len(batch) == 5
    np.testing.assert_array_equal(batch.estimate, batch.to_frame()["estimate"].to_numpy())
    assert batch.k.sum() == len(d) - 1
    assert "5 groups" in repr(batch)
    assert batch.summary().as_text()


def test_batch_errors():
    d = _data(n_groups=3)
    with pytest.raises(ValueError, match="by= names a column"):
        rs.meta_analysis(yi=d["yi"], vi=d["vi"], by="rep")
    with pytest.raises(DataError, match="no column"):
        rs.meta_analysis(d, by="replicate")
    with pytest.raises(ValueError, match="intercept-only"):
        rs.meta_analysis(d.assign(x=1.0), by="rep", mods="x")
    one = pd.concat([d, pd.DataFrame({"rep": ["solo"], "yi": [0.1], "vi": [0.01]})], ignore_index=True)
    with pytest.raises(ValueError, match="'solo'"):
        rs.meta_analysis(one, by="rep", test="knha")
    gap = d.copy()
    gap.loc[0, "rep"] = None
    with pytest.raises(DataError, match="row 0"):
        rs.meta_analysis(gap, by="rep")


@pytest.mark.parametrize("verb", ["leave_one_out", "cumulative", "influence"])
def test_case_deletion_chunks_do_not_change_results(verb, monkeypatch):
    # leave-one-out, cumulative and influence refit in chunks of rows (O(k) memory): every refit is the
    # same arithmetic whatever the chunk size
    from retrostats.meta import influence as infl

    rng = np.random.default_rng(8)
    v = rng.uniform(0.01, 0.2, 40)
    res = rs.meta_analysis(yi=rng.normal(0.2, np.sqrt(v + 0.04)), vi=v, method="REML", test="knha")
    whole = getattr(res, verb)()
    monkeypatch.setattr(infl, "_CHUNK", 3 * 40)  # 3 refits per chunk
    chunked = getattr(res, verb)()
    pd.testing.assert_frame_equal(whole, chunked, check_exact=True)
