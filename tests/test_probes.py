"""Issue 12: careless and hostile inputs, each either a clear error, a warned result, or a checked result.

Every probe states what a careful statistician should get: ``"error"`` (a DataError/ValueError/OSError-family
message, naming the file where there is one), ``"warn"`` (a result plus a DataWarning) or ``"ok"`` (a result
whose numbers the probe checks). A raw traceback (KeyError, TypeError, IndexError, LinAlgError, ...) is an
unhandled crash; a result where an error or warning was due, or whose check fails, is silent-wrong. Both
must be zero (``test_probe_counts``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import retrostats as rs
from retrostats.effects.extraction import TEMPLATE_COLUMNS
from retrostats.exceptions import ConvergenceError, DataError, RetrostatsWarning

CLEAR = (DataError, ValueError, FileNotFoundError, FileExistsError, IsADirectoryError, ConvergenceError)
PROBES: list[tuple[str, str, Callable[[Path], object], str]] = []  # (id, expected, func, message pattern)


def probe(pid: str, expected: str, pattern: str = ""):
    def deco(func):
        PROBES.append((pid, expected, func, pattern))
        return func
    return deco


def classify(func: Callable[[Path], object], tmp: Path, pattern: str) -> tuple[str, str]:
    """Run a probe: ('error'|'warn'|'ok'|'crash'|'silent-wrong', detail)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            func(tmp)
        except AssertionError as exc:  # the probe's own check of the numbers failed
            return "silent-wrong", f"check failed: {exc}"
        except CLEAR as exc:
            if pattern and not re.search(pattern, str(exc)):
                return "error-unclear", f"{type(exc).__name__}: {exc}"
            return "error", f"{type(exc).__name__}: {exc}"
        except BaseException as exc:  # noqa: BLE001 - the point is to catch what the library lets through
            return "crash", f"{type(exc).__name__}: {exc}"
    ours = [w for w in caught if issubclass(w.category, RetrostatsWarning)]
    if ours:
        msgs = " | ".join(str(w.message) for w in ours)
        if pattern and not re.search(pattern, msgs):
            return "warn-unclear", msgs
        return "warn", msgs
    return "ok", ""


# =============================================================== participant files (read_participants)
LONG_HEADER = "participant,arm,week,value\n"
GOOD_LONG = "p1,retro,0,6\np1,retro,6,3\np2,control,0,7\np2,control,6,6\n"


def _csv(tmp: Path, text: str, name: str = "trial.csv", encoding: str = "utf-8") -> Path:
    p = tmp / name
    p.write_bytes(text.encode(encoding))
    return p


def _rp(text: str, name: str = "trial.csv", encoding: str = "utf-8", **kw):
    return lambda tmp: rs.read_participants(_csv(tmp, text, name, encoding), **kw)


FILE_ERRORS = {
    "csv_empty": "",
    "csv_header_only_no_rows": LONG_HEADER,
    "csv_missing_value_column": "participant,arm,week\np1,retro,0\n",
    "csv_text_value": LONG_HEADER + "p1,retro,0,six\n",
    "csv_text_week": LONG_HEADER + "p1,retro,baseline,6\n",
    "csv_unknown_arm": LONG_HEADER + "p1,placebo,0,6\n",
    "csv_empty_arm_cell": LONG_HEADER + "p1,,0,6\np1,retro,6,3\n",
    "csv_two_arms": LONG_HEADER + "p1,retro,0,6\np1,control,6,3\n",
    "csv_duplicate_visit": LONG_HEADER + "p1,retro,0,6\np1,retro,0,5\n",
    "csv_inf_value": LONG_HEADER + "p1,retro,0,inf\n",
    "csv_value_with_unit": LONG_HEADER + "p1,retro,0,6 points\n",
    "csv_percent_value": LONG_HEADER + "p1,retro,0,60%\n",
    "csv_formula_injection": LONG_HEADER + "p1,retro,0,=1+2\n",
    "csv_html_in_arm": LONG_HEADER + "p1,<script>alert(1)</script>,0,6\n",
    "csv_ragged_rows": LONG_HEADER + "p1,retro,0,6,extra,cells\np2,control\n",
    "csv_binary_garbage": "\x00\x01\x02\x03" * 50,
    "csv_only_whitespace": "   \n  \n",
    "csv_duplicate_header_names": "participant,arm,week,value,value\np1,retro,0,6,7\n",
    "csv_week_nan_text": LONG_HEADER + "p1,retro,NaN,6\n",
    "csv_semicolon_text_in_value": "participant;arm;week;value\np1;retro;0;abc\n",
}
for _pid, _text in FILE_ERRORS.items():
    probe(f"participants/{_pid}", "error", r"trial\.csv|data")(_rp(_text))


@probe("participants/out_of_range_for_instrument", "error", r"trial\.csv.*outside the NPRS range")
def _(tmp):
    rs.read_participants(_csv(tmp, LONG_HEADER + "p1,retro,0,11\n"), instrument="NPRS")


@probe("participants/negative_on_0_10_scale", "error", r"outside")
def _(tmp):
    rs.read_participants(_csv(tmp, LONG_HEADER + "p1,retro,0,-1\n"), instrument="NPRS")


@probe("participants/xlsx_not_a_zip", "error", r"trial\.xlsx")
def _(tmp):
    (tmp / "trial.xlsx").write_bytes(b"not a zip")
    rs.read_participants(tmp / "trial.xlsx")


@probe("participants/xlsx_xml_bomb_like", "error", r"trial\.xlsx")
def _(tmp):
    import zipfile

    with zipfile.ZipFile(tmp / "trial.xlsx", "w") as z:
        z.writestr("[Content_Types].xml", "<!DOCTYPE x [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]><x>&b;</x>")
    rs.read_participants(tmp / "trial.xlsx")


@probe("participants/sav_garbage", "error", r"trial\.sav")
def _(tmp):
    (tmp / "trial.sav").write_bytes(b"$FL2 garbage")
    rs.read_participants(tmp / "trial.sav")


@probe("participants/dta_garbage", "error", r"trial\.dta")
def _(tmp):
    (tmp / "trial.dta").write_bytes(b"<stata_dta> nope")
    rs.read_participants(tmp / "trial.dta")


@probe("participants/unknown_extension", "error", r"trial\.json")
def _(tmp):
    (tmp / "trial.json").write_text("{}", encoding="utf-8")
    rs.read_participants(tmp / "trial.json")


@probe("participants/missing_file", "error", r"nope\.csv")
def _(tmp):
    rs.read_participants(tmp / "nope.csv")


@probe("participants/folder_not_file", "error", r"folder\.csv")
def _(tmp):
    (tmp / "folder.csv").mkdir()
    rs.read_participants(tmp / "folder.csv")


@probe("participants/xlsx_formula_without_value", "error", r"cell D3")
def _(tmp):
    import openpyxl

    wb = openpyxl.Workbook()
    for row in (["participant", "arm", "week", "value"], ["p1", "retro", 0, 6], ["p1", "retro", 6, "=D2-3"]):
        wb.active.append(row)
    wb.save(tmp / "trial.xlsx")
    rs.read_participants(tmp / "trial.xlsx")


@probe("participants/xlsx_wrong_sheet", "error", r"trial\.xlsx")
def _(tmp):
    pd.DataFrame({"participant": ["p1"], "arm": ["retro"], "week": [0], "value": [6]}).to_excel(
        tmp / "trial.xlsx", index=False)
    rs.read_participants(tmp / "trial.xlsx", sheet="nope")


@probe("participants/wide_missing_visit_column", "error", r"p6")
def _(tmp):
    p = _csv(tmp, "id,group,p0\n1,retro,6\n")
    rs.read_participants(p, layout="wide", columns={"participant": "id", "arm": "group"}, values={"p0": 0, "p6": 6})


@probe("participants/wide_without_values", "error", r"values=")
def _(tmp):
    rs.read_participants(_csv(tmp, "id,group,p0\n1,retro,6\n"), layout="wide")


@probe("participants/unknown_layout", "error", r"layout")
def _(tmp):
    rs.read_participants(_csv(tmp, LONG_HEADER + GOOD_LONG), layout="tall")


@probe("participants/unknown_canonical_name", "error", r"canonical")
def _(tmp):
    rs.read_participants(_csv(tmp, LONG_HEADER + GOOD_LONG), columns={"subject": "participant"})


@probe("participants/missing_baseline_warns", "warn", r"no baseline")
def _(tmp):
    d = rs.read_participants(_csv(tmp, LONG_HEADER + "p1,retro,6,3\np2,control,0,7\np2,control,6,6\n"))
    assert d.loc[d["participant"] == "p1", "baseline"].isna().all()


@probe("participants/row_without_id_warns", "warn", r"row\(s\) have no participant id.*rows \[3\]")
def _(tmp):
    d = rs.read_participants(_csv(tmp, LONG_HEADER + "p1,retro,0,6\n,retro,6,3\np1,retro,6,4\n"))
    assert d["value"].tolist() == [6.0, 4.0]


@probe("participants/leading_zero_ids_kept", "ok")
def _(tmp):
    d = rs.read_participants(_csv(tmp, LONG_HEADER + "007,retro,0,6\n007,retro,6,3\n07,control,0,5\n"))
    assert sorted(set(d["participant"])) == ["007", "07"], d["participant"].tolist()


@probe("participants/bom_and_crlf", "ok")
def _(tmp):
    p = tmp / "trial.csv"
    p.write_bytes(("\ufeff" + LONG_HEADER + GOOD_LONG).replace("\n", "\r\n").encode("utf-8"))
    d = rs.read_participants(p)
    assert d["value"].tolist() == [6.0, 3.0, 7.0, 6.0]


@probe("participants/latin1_file", "ok")
def _(tmp):
    d = rs.read_participants(_csv(tmp, LONG_HEADER + "p1,retro,0,6\np1,retro,6,3\n", encoding="latin-1"))
    assert len(d) == 2


@probe("participants/european_semicolon_decimal_comma", "ok")
def _(tmp):
    d = rs.read_participants(_csv(tmp, "participant;arm;week;value\np1;retro;0;6,5\np1;retro;6;3,5\n"))
    assert d["value"].tolist() == [6.5, 3.5]


@probe("participants/tab_separated", "ok")
def _(tmp):
    d = rs.read_participants(_csv(tmp, "participant\tarm\tweek\tvalue\np1\tretro\t0\t6\np1\tretro\t6\t3\n"))
    assert d["value"].tolist() == [6.0, 3.0]


@probe("participants/spaces_around_cells", "ok")
def _(tmp):
    d = rs.read_participants(_csv(tmp, LONG_HEADER + " p1 , retro ,0, 6\np1,retro,6,3\n"))
    assert set(d["participant"]) == {"p1"} and set(d["arm"]) == {"retro"}


@probe("participants/arm_labels_numeric_codes_in_csv", "ok")
def _(tmp):
    d = rs.read_participants(_csv(tmp, LONG_HEADER + "p1,1,0,6\np1,1,6,3\np2,2,0,7\n"),
                             arm_labels={1: "retro", 2: "control"})
    assert d.set_index("participant")["arm"].to_dict() == {"p1": "retro", "p2": "control"}


@probe("participants/unsorted_rows_sorted", "ok")
def _(tmp):
    d = rs.read_participants(_csv(tmp, LONG_HEADER + "p2,control,6,6\np1,retro,6,3\np2,control,0,7\np1,retro,0,6\n"))
    assert d[["participant", "week"]].values.tolist() == [["p1", 0.0], ["p1", 6.0], ["p2", 0.0], ["p2", 6.0]]


@probe("participants/numeric_ids_sorted_numerically", "ok")
def _(tmp):
    d = rs.read_participants(_csv(tmp, LONG_HEADER + "10,retro,0,6\n9,retro,0,3\n100,control,0,7\n"))
    assert list(d["participant"]) == ["9", "10", "100"]


@probe("participants/dataframe_with_nan_arm", "error", r"no arm")
def _(tmp):
    rs.read_participants(pd.DataFrame({"participant": ["p1", "p2"], "arm": ["retro", np.nan],
                                       "week": [0, 0], "value": [6.0, 5.0]}))


# =============================================================== extraction sheets (read_extraction)
X_HEADER = ",".join(TEMPLATE_COLUMNS) + "\n"
X_ROW = "smith2024,retro,pain,NPRS,baseline,0,mean,6.50,Table 2,https://doi.org/10.1/x,,"


def _rx(text: str, name: str = "sheet.csv"):
    return lambda tmp: rs.read_extraction(_csv(tmp, text, name))


SHEET_ERRORS = {
    "empty_file": "",
    "header_only": X_HEADER,
    "missing_column": "study_id,arm\nsmith2024,retro\n",
    "unknown_column": X_HEADER.strip() + ",extra\n" + X_ROW + ",x\n",
    "bad_study_id": X_HEADER + X_ROW.replace("smith2024", "Smith 2024") + "\n",
    "bad_arm": X_HEADER + X_ROW.replace(",retro,", ",treatment,") + "\n",
    "bad_outcome": X_HEADER + X_ROW.replace(",pain,", ",pian,") + "\n",
    "bad_instrument": X_HEADER + X_ROW.replace(",NPRS,", ",VAS10,") + "\n",
    "bad_statistic": X_HEADER + X_ROW.replace(",mean,", ",average,") + "\n",
    "value_text": X_HEADER + X_ROW.replace("6.50", "about six") + "\n",
    "value_nan": X_HEADER + X_ROW.replace("6.50", "nan") + "\n",
    "value_inf": X_HEADER + X_ROW.replace("6.50", "inf") + "\n",
    "value_out_of_range": X_HEADER + X_ROW.replace("6.50", "12") + "\n",
    "negative_week": X_HEADER + X_ROW.replace(",0,mean", ",-2,mean") + "\n",
    "no_source": X_HEADER + X_ROW.replace("Table 2,https://doi.org/10.1/x", ",") + "\n",
    "sd_zero": X_HEADER + X_ROW.replace(",mean,6.50", ",sd,0") + "\n",
    "n_fractional": X_HEADER + X_ROW.replace(",mean,6.50", ",n,20.5") + "\n",
    "bad_change_convention": X_HEADER + X_ROW + ",,pre_post\n",
    "bad_ambiguous": X_HEADER + X_ROW.replace("https://doi.org/10.1/x,,", "https://doi.org/10.1/x,maybe,") + "\n",
    "duplicate_rows": X_HEADER + X_ROW + "\n" + X_ROW + "\n",
    "q1_above_median": X_HEADER + X_ROW.replace(",mean,6.50", ",q1,7") + "\n"
    + X_ROW.replace(",mean,6.50", ",median,5") + "\n",
    "ci_reversed": X_HEADER + X_ROW.replace(",mean,6.50", ",ci_low,7") + "\n"
    + X_ROW.replace(",mean,6.50", ",ci_high,5") + "\n",
    "p_above_one": X_HEADER + X_ROW.replace(",mean,6.50", ",p_within,1.5") + "\n",
    "binary_garbage": "\x00\xff\x00" * 40,
    "ragged": X_HEADER + "a,b\n",
}
for _pid, _text in SHEET_ERRORS.items():
    probe(f"sheet/{_pid}", "error", r"sheet\.csv")(_rx(_text))


@probe("sheet/xlsx_garbage", "error", r"sheet\.xlsx")
def _(tmp):
    (tmp / "sheet.xlsx").write_bytes(b"PK\x03\x04broken")
    rs.read_extraction(tmp / "sheet.xlsx")


@probe("sheet/unsupported_suffix", "error", r"sheet\.ods")
def _(tmp):
    (tmp / "sheet.ods").write_bytes(b"x")
    rs.read_extraction(tmp / "sheet.ods")


@probe("sheet/change_convention_partly_filled", "ok")
def _(tmp):
    text = (X_HEADER + X_ROW + ",,\n" + X_ROW.replace("baseline,0,mean,6.50", "post,6,mean_change,-2.0")
            + ",,pre_minus_post\n")
    d = rs.read_extraction(_csv(tmp, text, "sheet.csv"))
    assert pd.isna(d["change_convention"].iloc[0]) and d["change_convention"].iloc[1] == "pre_minus_post"


@probe("sheet/european_csv", "ok")
def _(tmp):
    text = (X_HEADER.replace(",", ";") + X_ROW.replace(",", ";").replace("6.50", "6,50") + "\n")
    d = rs.read_extraction(_csv(tmp, text, "sheet.csv"))
    assert d["value"].tolist() == [6.5] and d["value_text"].tolist() == ["6.50"]


@probe("sheet/unicode_minus", "ok")
def _(tmp):
    text = X_HEADER + X_ROW.replace("baseline,0,mean,6.50", "post,6,mean_change,\u22122.0") + "\n"
    d = rs.read_extraction(_csv(tmp, text, "sheet.csv"))
    assert d["value"].tolist() == [-2.0]


@probe("sheet/grim_inconsistent_mean_warns", "warn", r"GRIM")
def _(tmp):
    text = (X_HEADER + X_ROW.replace(",mean,6.50", ",n,3") + "\n" + X_ROW.replace("6.50", "6.50") + "\n")
    rs.read_extraction(_csv(tmp, text, "sheet.csv"))


# =============================================================== ANCOVA
def _trial(seed: int = 3) -> pd.DataFrame:
    d = rs.simulate_trial(n_per_arm=15, seed=seed)
    return d[d["week"] == 6].reset_index(drop=True)


def _anc(**kw):
    base = {"outcome": "value", "baseline": "baseline", "arm": "arm"}
    return lambda d: rs.ancova(d, **{**base, **kw})


ANCOVA_CASES: list[tuple[str, str, Callable[[pd.DataFrame], pd.DataFrame], dict, str]] = [
    ("outcome_is_baseline", "error", lambda d: d, {"outcome": "baseline"}, r"baseline"),
    ("constant_outcome", "error", lambda d: d.assign(value=4.0), {}, r"constant"),
    ("outcome_copy_of_baseline_scaled", "error", lambda d: d.assign(value=2 * d["baseline"] + 1), {},
     r"predicted almost exactly"),
    ("one_arm_only", "error", lambda d: d.assign(arm="retro"), {}, r"at least two"),
    ("text_in_outcome", "error", lambda d: d.assign(value=d["value"].astype(object).where(d.index != 2, "n/a")),
     {}, r"numeric"),
    ("missing_column", "error", lambda d: d.drop(columns="baseline"), {}, r"baseline"),
    ("unknown_vcov", "error", lambda d: d, {"vcov": "HC9"}, r"vcov"),
    ("bad_confidence", "error", lambda d: d, {"confidence_level": 95}, r"confidence"),
    ("unknown_reference", "error", lambda d: d, {"reference": "placebo"}, r"reference"),
    ("duplicate_participant", "error", lambda d: pd.concat([d, d.iloc[[0]]]), {"subject": "participant"},
     r"more than one"),
    ("too_few_rows", "error", lambda d: d.groupby("arm").head(1), {}, r"degrees of\s+freedom"),
    ("constant_covariate", "error", lambda d: d.assign(site=1.0), {"covariates": ["site"]}, r"rank"),
    ("unknown_adjust", "error", lambda d: d, {"adjust": "fdr"}, r"adjust"),
    ("missing_outcome_warns", "warn", lambda d: d.assign(value=d["value"].where(d.index != 1)), {},
     r"missing outcome"),
    ("missing_arm_warns", "warn", lambda d: d.assign(arm=d["arm"].astype(object).where(d.index != 4)), {},
     r"missing arm"),
    ("empty_frame", "error", lambda d: d.iloc[:0], {}, r"arm"),
]
for _pid, _exp, _prep, _kw, _pat in ANCOVA_CASES:
    probe(f"ancova/{_pid}", _exp, _pat)(lambda tmp, _p=_prep, _k=_kw: _anc(**_k)(_p(_trial())))


@probe("ancova/shuffled_rows_same_answer", "ok")
def _(tmp):
    d = _trial()
    a = rs.ancova(d, outcome="value", baseline="baseline", arm="arm").contrasts
    b = rs.ancova(d.sample(frac=1, random_state=1), outcome="value", baseline="baseline", arm="arm").contrasts
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-10)


@probe("ancova/rescaled_outcome_same_p", "ok")
def _(tmp):
    d = _trial()
    a = rs.ancova(d, outcome="value", baseline="baseline", arm="arm").contrasts
    b = rs.ancova(d.assign(value=d["value"] * 1e-6, baseline=d["baseline"] * 1e-6), outcome="value",
                  baseline="baseline", arm="arm").contrasts
    np.testing.assert_allclose(a["p_value"], b["p_value"], rtol=1e-8)


# =============================================================== MMRM
def _long(seed: int = 4) -> pd.DataFrame:
    return rs.simulate_trial(n_per_arm=15, seed=seed)


def _mm(d: pd.DataFrame, **kw):
    base = {"outcome": "value", "arm": "arm", "visit": "week", "subject": "participant", "baseline": "baseline"}
    return rs.mmrm(d, **{**base, **kw})


MMRM_CASES: list[tuple[str, str, Callable[[pd.DataFrame], pd.DataFrame], dict, str]] = [
    ("baseline_rows_included_warns", "warn", lambda d: d, {}, r"baseline.*excluded"),
    ("outcome_is_baseline", "error", lambda d: d[d["week"] > 0], {"outcome": "baseline"}, r"predicted"),
    ("constant_outcome", "error", lambda d: d[d["week"] > 0].assign(value=2.0), {}, r"constant"),
    ("single_visit", "error", lambda d: d[d["week"] == 6], {}, r"two post-baseline"),
    ("missing_visit_warns", "warn", lambda d: d[d["week"] > 0].assign(
        week=d.loc[d["week"] > 0, "week"].where(d.loc[d["week"] > 0].index != d.index[5])), {}, r"missing visit"),
    ("missing_subject_warns", "warn", lambda d: d[d["week"] > 0].assign(
        participant=d.loc[d["week"] > 0, "participant"].astype(object).where(
            d.loc[d["week"] > 0].index != d.index[6])), {}, r"missing participant"),
    ("duplicate_visit", "error", lambda d: pd.concat([d[d["week"] > 0], d[d["week"] > 0].iloc[[0]]]), {},
     r"more than one row"),
    ("participant_two_arms", "error", lambda d: d[d["week"] > 0].assign(
        arm=np.where(d.loc[d["week"] > 0].index == d.index[1], "control", d.loc[d["week"] > 0, "arm"])), {},
     r"more than one arm"),
    ("baseline_varies_within_participant", "error", lambda d: d[d["week"] > 0].assign(
        baseline=d.loc[d["week"] > 0, "baseline"] + (d.loc[d["week"] > 0].index == d.index[2])), {}, r"varies"),
    ("arm_missing_at_a_visit", "error", lambda d: d[(d["week"] > 0) & ~((d["arm"] == "retro") & (d["week"] == 4))],
     {}, r"no outcome data"),
    ("unknown_covariance", "error", lambda d: d[d["week"] > 0], {"covariance": "toeplitz9"}, r"covariance"),
    ("text_outcome", "error", lambda d: d[d["week"] > 0].assign(
        value=d.loc[d["week"] > 0, "value"].astype(object).where(d.loc[d["week"] > 0].index != d.index[1], "x")),
     {}, r"numeric"),
    ("one_arm", "error", lambda d: d[(d["week"] > 0) & (d["arm"] == "retro")], {}, r"at least two"),
]
for _pid, _exp, _prep, _kw, _pat in MMRM_CASES:
    probe(f"mmrm/{_pid}", _exp, _pat)(lambda tmp, _p=_prep, _k=_kw: _mm(_p(_long()), **_k))


@probe("mmrm/missing_outcome_is_missing_data", "ok")
def _(tmp):
    d = _long()
    post = d[d["week"] > 0]
    fit = _mm(post.assign(value=post["value"].where(post.index != post.index[7])))
    assert fit.n_obs == len(post) - 1


@probe("mmrm/visit_labels_ordered_naturally", "ok")
def _(tmp):
    d = _long()
    d = d[d["week"] > 0]
    fit = _mm(d.assign(week=d["week"].map(lambda w: f"week {w:g}")))
    assert list(pd.unique(fit.contrasts["visit"])) == ["week 2", "week 4", "week 6"]


# =============================================================== meta-analysis
Y = [0.1, 0.5, 0.9, 0.3, 0.4]
V = [0.01, 0.02, 0.03, 0.02, 0.01]

META_CASES: list[tuple[str, str, dict, str]] = [
    ("negative_variance", "error", {"yi": Y, "vi": [0.01, -0.02, 0.03, 0.02, 0.01]}, r"> 0"),
    ("zero_variance", "error", {"yi": Y, "vi": [0.01, 0, 0.03, 0.02, 0.01]}, r"> 0"),
    ("length_mismatch", "error", {"yi": Y, "vi": V[:3]}, r"values"),
    ("nan_effect_warns", "warn", {"yi": [0.1, np.nan, 0.9, 0.3, 0.4], "vi": V}, r"dropped"),
    ("nan_effect_raise", "error", {"yi": [0.1, np.nan, 0.9, 0.3, 0.4], "vi": V, "missing": "raise"}, r"missing"),
    ("all_nan", "error", {"yi": [np.nan] * 3, "vi": [0.1] * 3}, r"no studies|missing"),
    ("text_effects", "error", {"yi": ["a", "b"], "vi": [0.1, 0.1]}, r"yi"),
    ("inf_effect", "error", {"yi": [0.1, np.inf, 0.2], "vi": [0.1, 0.1, 0.1]}, r"yi|finite"),
    ("unknown_method", "error", {"yi": Y, "vi": V, "method": "XYZ"}, r"method"),
    ("unknown_test", "error", {"yi": Y, "vi": V, "test": "f"}, r"test"),
    ("knha_one_study", "error", {"yi": [0.2], "vi": [0.1], "test": "knha"}, r"knha"),
    ("bad_level", "error", {"yi": Y, "vi": V, "confidence_level": 1.5}, r"confidence"),
    ("negative_tau2", "error", {"yi": Y, "vi": V, "tau2": -0.1}, r"tau2"),
    ("extreme_variance_ratio_warns", "warn", {"yi": [0.1, 0.3, 0.2], "vi": [1e-9, 0.1, 0.05]}, r"1e7|times"),
    ("sei_and_vi_names_without_data", "error", {"yi": "yi", "vi": "vi"}, r"data="),
]
for _pid, _exp, _kw, _pat in META_CASES:
    probe(f"meta/{_pid}", _exp, _pat)(lambda tmp, _k=_kw: rs.meta_analysis(**_k))


for _m in ("PM", "EB", "ML", "REML"):
    @probe(f"meta/tiny_variances_{_m}", "ok")
    def _(tmp, _m=_m):
        y = np.array([0.62, 0.11, 0.35, -0.21, 0.48, 0.05, 0.29, 0.77])
        res = rs.meta_analysis(yi=y, vi=np.full(8, 1e-12), method=_m)
        target = np.var(y, ddof=0 if _m == "ML" else 1)
        np.testing.assert_allclose(res.tau2, target, rtol=1e-6)

    @probe(f"meta/rescaled_1e-6_{_m}", "ok")
    def _(tmp, _m=_m):
        y, v = np.array(Y), np.array([0.04, 0.09, 0.02, 0.12, 0.05])
        a = rs.meta_analysis(yi=y * 3, vi=v, method=_m)
        b = rs.meta_analysis(yi=y * 3e-6, vi=v * 1e-12, method=_m)
        np.testing.assert_allclose(b.tau2 * 1e12, a.tau2, rtol=1e-6, atol=1e-14)


@probe("meta/influence_not_estimable_is_nan", "warn", r"not estimable")
def _(tmp):
    d = pd.DataFrame({"yi": Y + [0.2], "vi": V + [0.02], "g": [0, 0, 0, 0, 0, 1.0]})
    inf = rs.meta_analysis(yi="yi", vi="vi", data=d, mods=["g"]).influence()
    assert inf["rstudent"].isna().tolist() == [False] * 5 + [True]


@probe("meta/collinear_moderators", "error", r"rank|collinear|estimable")
def _(tmp):
    d = pd.DataFrame({"yi": Y, "vi": V, "a": [1.0, 2, 3, 4, 5], "b": [2.0, 4, 6, 8, 10]})
    rs.meta_analysis(yi="yi", vi="vi", data=d, mods=["a", "b"])


# =============================================================== outputs
@probe("output/template_over_filled_sheet", "error", r"exists")
def _(tmp):
    (tmp / "sheet.xlsx").write_bytes(b"my work")
    try:
        rs.extraction_template(tmp / "sheet.xlsx")
    finally:
        assert (tmp / "sheet.xlsx").read_bytes() == b"my work"


@probe("output/template_bad_suffix", "error", r"\.csv or \.xlsx")
def _(tmp):
    rs.extraction_template(tmp / "sheet.ods")


@probe("output/plan_out_exists", "error", r"exists")
def _(tmp):
    import argparse

    from retrostats.cli.plan import register, run_plan

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    (tmp / "plan.csv").write_text("mine", encoding="utf-8")
    try:
        run_plan(parser.parse_args(["plan", "--effect-size", "0.5", "--out", str(tmp / "plan.csv")]))
    finally:
        assert (tmp / "plan.csv").read_text(encoding="utf-8") == "mine"


@probe("output/reproduce_into_users_folder", "error", r"not empty")
def _(tmp):
    from retrostats.report import reproduce

    (tmp / "out").mkdir()
    (tmp / "out" / "paper.md").write_text("my paper", encoding="utf-8")
    try:
        reproduce(tmp / "out", only=["registry"], progress=False)
    finally:
        assert (tmp / "out" / "paper.md").read_text(encoding="utf-8") == "my paper"


@probe("output/reproduce_into_a_file", "error", r"is a file")
def _(tmp):
    from retrostats.report import reproduce

    (tmp / "out").write_text("x", encoding="utf-8")
    reproduce(tmp / "out", only=["registry"], progress=False)


# =============================================================== planning
PLAN_CASES = [
    ("ttest_negative_n", lambda: rs.power_ttest(effect_size=0.5, n=-3), r"n"),
    ("ttest_two_unknowns", lambda: rs.power_ttest(effect_size=0.5), r"exactly one|one of|None"),
    ("ttest_alpha_above_one", lambda: rs.power_ttest(effect_size=0.5, n=20, alpha=1.5), r"alpha"),
    ("ttest_power_one", lambda: rs.power_ttest(effect_size=0.5, power=1.0), r"power"),
    ("ancova_r_above_one", lambda: rs.power_ancova(effect_size=0.5, n=20, r=1.5), r"r"),
]
for _pid, _f, _pat in PLAN_CASES:
    probe(f"plan/{_pid}", "error", _pat)(lambda tmp, _f=_f: _f())


# =============================================================== the tests
_SEEN: dict[str, tuple[str, str]] = {}


@pytest.mark.parametrize("pid,expected,func,pattern", PROBES, ids=[p[0] for p in PROBES])
def test_probe(pid, expected, func, pattern, tmp_path):
    outcome, detail = classify(func, tmp_path, pattern)
    _SEEN[pid] = (outcome, detail)
    assert outcome == expected, f"{pid}: expected {expected}, got {outcome}: {detail}"


def test_probe_counts(tmp_path_factory):
    """At least 100 probes; 0 silent-wrong, 0 unhandled crashes (the counts are printed with -s)."""
    counts: dict[str, int] = {}
    bad = []
    for pid, expected, func, pattern in PROBES:
        if pid not in _SEEN:  # run on its own (e.g. -k): classify here
            _SEEN[pid] = classify(func, tmp_path_factory.mktemp("probe"), pattern)
        outcome, detail = _SEEN[pid]
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome in ("crash", "silent-wrong") or outcome != expected:
            bad.append((pid, outcome, detail))
    print(f"\nprobes: {len(PROBES)}; outcomes: {counts}")
    assert len(PROBES) >= 100
    assert counts.get("crash", 0) == 0 and counts.get("silent-wrong", 0) == 0, bad
    assert not bad, bad
