"""effect_sizes builds its derivation texts once per distinct chain (issue 19: speed); every column and every
string must stay exactly what the previous implementation (one step dict and one ``json.dumps`` per chain)
wrote. ``expected/effects_text.json`` holds that implementation's output on varied frames; regenerate it only
from a commit before the change (``python tests/test_effects_text.py --write``)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TOL

import retrostats as rs

CF = TOL["closed_form"]
NUMBERS = {"yi", "vi", "sei", "ci_low", "ci_high"}
GOLDEN = Path(__file__).resolve().parent / "reference" / "expected" / "effects_text.json"


def _two_group(k: int, seed: int, *, positive: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n1 = rng.integers(2, 200, k).astype(float)
    n2 = rng.integers(2, 200, k).astype(float)
    n1[:5] = [20.5, 2, 2, 1000, 33.25]  # non-integer and extreme sizes; rows 1-2 have df 2
    n2[:5] = [19.5, 2, 3, 999, 40]
    m1 = np.round(rng.normal(5 if positive else 0, 1, k), 3)
    m2 = np.round(rng.normal(5 if positive else 0.2, 1, k), 3)
    return pd.DataFrame({"study": [f"s{i}" for i in range(k)], "m1": m1, "sd1": np.round(rng.uniform(0.5, 2, k), 3),
                         "n1": n1, "m2": m2, "sd2": np.round(rng.uniform(0.5, 2, k), 3), "n2": n2})


def _cases() -> dict[str, pd.DataFrame]:
    cols = dict(m1="m1", sd1="sd1", n1="n1", m2="m2", sd2="sd2", n2="n2")
    d = _two_group(150, 11)
    pos = _two_group(60, 12, positive=True)
    out = {m: rs.effect_sizes(d, measure=m, **cols) for m in ("SMD", "SMDH", "MD")}
    out["ROM"] = rs.effect_sizes(pos, measure="ROM", **cols)
    # rows from t, F or an exact p-value beside rows from means; sign per row, then one sign for every row
    alt = _two_group(40, 13)
    alt["t"] = np.where(np.arange(40) % 4 == 1, np.round(np.linspace(-3, 3, 40), 2), np.nan)
    alt["f"] = np.where(np.arange(40) % 4 == 2, np.round(np.linspace(0.5, 9, 40), 2), np.nan)
    alt["p"] = np.where(np.arange(40) % 4 == 3, np.round(np.linspace(0.001, 0.9, 40), 4), np.nan)
    alt["sign"] = np.where(np.arange(40) % 2 == 0, 1.0, -1.0)
    for c in ("m1", "sd1", "m2", "sd2"):
        alt.loc[np.arange(40) % 4 != 0, c] = np.nan
    out["SMD_alt"] = rs.effect_sizes(alt, measure="SMD", t="t", f="f", p_value="p", sign="sign", **cols)
    out["SMD_alt_sign"] = rs.effect_sizes(alt.drop(columns="sign"), measure="SMD", t="t", f="f", p_value="p",
                                          sign=-1, **cols)
    # a prior derivation column (JSON, plain text, missing) is kept in front of the new steps
    prior = d.iloc[:30].copy()
    prior["derivation"] = [json.dumps([{"step": "sd_from_se", "text": "SD from SE"}]) if i % 3 == 0
                           else ("typed by hand" if i % 3 == 1 else np.nan) for i in range(30)]
    out["SMD_prior"] = rs.effect_sizes(prior, measure="SMD", **cols)
    out["SMD_arrays"] = rs.effect_sizes(measure="SMD", m1=[1.5, 2.0, 0.1], sd1=[1, 1.1, 0.9], n1=[10, 10, 52],
                                        m2=[1.0, 1.2, 0.4], sd2=[1.2, 1, 1], n2=[12, 10, 50], labels=["a", "b", "c"])
    one = pd.DataFrame({"n": [10, 25, 25, 4, 300.5], "m1": [1.0, 2.0, 2.5, 0.3, 1.1], "m2": [1.5, 1.2, 2.0, 0.9, 1.0],
                        "sd1": [1.0, 0.8, 1.1, 0.5, 2.0], "sd2": [0.9, 1.0, 1.2, 0.4, 2.1],
                        "r": [0.5, 0.3, 0.7, 0.1, 0.95]})
    for m in ("MC", "SMCC", "SMCR"):
        out[m] = rs.effect_sizes(one, measure=m, n="n", m1="m1", m2="m2", sd1="sd1", sd2="sd2", ri="r")
    rep = pd.DataFrame({"n": [10, 10, 25, 10, 25, 10], "m1": [1.0, 2.0, 2.5, 0.3, 1.1, 1.0],
                        "m2": [1.5, 1.2, 2.0, 0.9, 1.0, 0.2], "sd1": [1.0, 0.8, 1.1, 0.5, 2.0, 1.0],
                        "sd2": [0.9, 1.0, 1.2, 0.4, 2.1, 1.1], "r": [0.5, 0.5, 0.5, 0.7, 0.5, 0.5]})
    for m in ("MC", "SMCR"):  # repeated (n, r) pairs share a chain
        out[f"{m}_repeats"] = rs.effect_sizes(rep, measure=m, n="n", m1="m1", m2="m2", sd1="sd1", sd2="sd2", ri="r")
    out["SMCC_assumed"] = rs.effect_sizes(one, measure="SMCC", n="n", m1="m1", m2="m2", sd1="sd1", sd2="sd2", ri=0.5)
    pp = pos.iloc[:12].copy()
    pp["m1_pre"], pp["m2_pre"] = pp["m1"] + 0.4, pp["m2"] + 0.1
    pp["sd1_pre"], pp["sd2_pre"] = pp["sd1"] * 1.1, pp["sd2"] * 0.9
    pp["n1"], pp["n2"] = pp["n1"].clip(lower=5), pp["n2"].clip(lower=5)
    for m in ("SMD_PPC2", "MD_ANCOVA"):
        out[m] = rs.effect_sizes(pp, measure=m, m1_pre="m1_pre", sd1_pre="sd1_pre", m2_pre="m2_pre",
                                 sd2_pre="sd2_pre", ri=0.6, **cols)
        pp["r"] = np.where(np.arange(len(pp)) % 3 == 0, 0.4, 0.75)
        out[f"{m}_per_row_r"] = rs.effect_sizes(pp, measure=m, m1_pre="m1_pre", sd1_pre="sd1_pre", m2_pre="m2_pre",
                                                sd2_pre="sd2_pre", ri="r", **cols)
    return out


def _encode(frame: pd.DataFrame) -> dict:
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return None if math.isnan(v) else repr(float(v))  # exact: repr round-trips
        return v if isinstance(v, str) else repr(v)

    return {"columns": [str(c) for c in frame.columns],
            "rows": [[cell(v) for v in row] for row in frame.itertuples(index=False)]}


def test_every_column_and_string_is_what_the_previous_implementation_wrote():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))["cases"]
    cases = _cases()
    assert sorted(cases) == sorted(golden)
    for name, frame in cases.items():
        got, want = _encode(frame), golden[name]
        assert got["columns"] == want["columns"], name
        assert len(got["rows"]) == len(want["rows"]), name
        for i, (a, b) in enumerate(zip(got["rows"], want["rows"])):
            assert len(a) == len(b), f"{name} row {i}"
            for col, x, y in zip(want["columns"], a, b):
                if col in NUMBERS and x is not None and y is not None:  # unchanged arithmetic: closed form
                    assert math.isclose(float(x), float(y), rel_tol=CF["rtol"], abs_tol=CF["atol"]), (name, i, col)
                else:  # every string (derivation, measure, labels) and every missing value: identical
                    assert x == y, f"{name} row {i} column {col}:\n{x}\n{y}"


def test_text_columns_keep_the_dtype_of_a_column_of_strings():
    es = _cases()["SMD"]
    strings = pd.DataFrame({"x": ["a", "b"]})["x"].dtype
    assert es["derivation"].dtype == strings and es["measure"].dtype == strings
    assert es["derivation"].map(type).eq(str).all()


@pytest.mark.parametrize("measure", ["SMD", "MD"])
def test_rows_with_one_size_share_one_text_and_differ_from_other_sizes(measure):
    es = rs.effect_sizes(measure=measure, m1=[1, 2, 3], sd1=[1, 1, 1], n1=[10, 10, 11], m2=[0, 0, 0],
                         sd2=[1, 1, 1], n2=[10, 10, 10])
    d = es["derivation"].tolist()
    assert d[0] == d[1] and (d[1] != d[2]) == (measure == "SMD")
    assert json.loads(d[0]) == [{"step": measure, "text": json.loads(d[0])[0]["text"]}]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import os
    import subprocess

    commit = os.environ.get("GOLDEN_COMMIT") or subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True,
                                                               text=True).stdout.strip()
    GOLDEN.write_text(json.dumps({
        "source": {"implementation": "retrostats effect_sizes, one step dict and one json.dumps per distinct "
                                     "chain (before the derivation text was built per distinct size directly)",
                   "commit": commit, "numpy": np.__version__, "pandas": pd.__version__},
        "cases": {name: _encode(frame) for name, frame in _cases().items()},
    }, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print("wrote", GOLDEN)
