"""The shipped datasets: schemas, sources, coverage of the known evidence, and a byte-identical rebuild."""

from __future__ import annotations

import csv
import importlib.util
import re

import pandas as pd
import pytest
from conftest import ROOT

import retrostats as rs
from retrostats.datasets.schemas import SCHEMAS

NAMES = sorted(SCHEMAS)


def _build_module():
    spec = importlib.util.spec_from_file_location("build_datasets", ROOT / "data" / "build_datasets.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_list_datasets_has_contract_columns():
    df = rs.list_datasets()
    assert {"name", "title", "n_rows", "source"} <= set(df.columns)
    assert {"retro_trials", "retro_arms", "retro_contrasts", "retro_reviews", "outcome_scales"} <= set(df["name"])


@pytest.mark.parametrize("name", NAMES)
def test_dataset_matches_schema(name):
    df = rs.load_dataset(name)
    schema = SCHEMAS[name]
    assert list(df.columns) == schema.names
    schema.validate(df.astype(object).where(df.notna(), None))


@pytest.mark.parametrize("name", NAMES)
def test_dataset_card_documents_every_column(name):
    card = rs.dataset_info(name)
    assert list(card.columns["column"]) == list(rs.load_dataset(name).columns)
    assert card.columns["description"].str.len().gt(0).all()
    assert name in str(card)


def test_each_schema_says_how_its_dataset_is_built_and_where_its_numbers_come_from():
    from retrostats.datasets import BUILT_BY, SOURCES
    from retrostats.datasets.schemas import Column, Schema, _shipped

    listed = rs.list_datasets().set_index("name")
    for name, schema in SCHEMAS.items():
        assert schema.built_by and schema.sources, name
        assert (BUILT_BY[name], SOURCES[name]) == (schema.built_by, schema.sources)
        assert (listed.loc[name, "built_by"], listed.loc[name, "source"]) == (schema.built_by, schema.sources)
        card = rs.dataset_info(name)
        assert (card.built_by, card.source) == (schema.built_by, schema.sources)
    bare = Schema("toy", "Toy", "A toy.", (Column("study_id", "str", "Study."),), built_by="data/build_datasets.py")
    with pytest.raises(rs.DataError, match="'toy'.*sources="):
        _shipped(bare)


def test_load_dataset_returns_a_copy():
    a = rs.load_dataset("retro_trials")
    a.loc[:, "citation"] = "changed"
    assert (rs.load_dataset("retro_trials")["citation"] != "changed").all()


def test_unknown_dataset_names_the_options():
    with pytest.raises(ValueError, match="retro_trials"):
        rs.load_dataset("retro_trial")


def test_contract_columns_present():
    need = {
        "retro_trials": "study_id citation doi year design condition country n_randomized arms retro_dose "
                        "outcomes data_level source_url",
        "retro_arms": "study_id arm outcome instrument timepoint week statistic value source_location source_url",
        "retro_contrasts": "study_id comparison outcome instrument week statistic relation value "
                           "source_location source_url",
        "retro_reviews": "review_id citation doi population comparison outcome k measure estimate ci_low "
                         "ci_high i2 source_url",
        "outcome_scales": "instrument outcome min max higher_is_better mcid mcid_source",
    }
    for name, cols in need.items():
        assert set(cols.split()) <= set(rs.load_dataset(name).columns), name


def test_every_numeric_value_has_a_source():
    for name in ("retro_arms", "retro_contrasts"):
        df = rs.load_dataset(name)
        assert df["source_url"].notna().all() and df["source_location"].notna().all(), name
    rev = rs.load_dataset("retro_reviews")
    has_number = rev[["estimate", "ci_low", "ci_high", "i2"]].notna().any(axis=1)
    assert rev.loc[has_number, "source_url"].notna().all()
    assert rev.loc[has_number, "source_location"].notna().all()


def test_values_equal_their_printed_text():
    """`value` is exactly the parsed printed text: nothing rounded or recomputed (derived rows have no text)."""
    for name in ("retro_arms", "retro_contrasts"):
        df = rs.load_dataset(name)
        if "derived" in df.columns:
            derived = df["derived"].astype(bool)
            assert df.loc[derived, "value_text"].isna().all() and df.loc[~derived, "value_text"].notna().all()
            df = df[~derived]
        parsed = df["value_text"].str.replace("\u2212", "-", regex=False).astype(float)
        assert (parsed.to_numpy() == df["value"].to_numpy()).all(), name


def test_derived_arm_sizes_follow_the_stated_allocation():
    """Arm sizes not printed are derived only from a stated total and allocation, flagged and explained."""
    arms, trials = rs.load_dataset("retro_arms"), rs.load_dataset("retro_trials").set_index("study_id")
    derived = arms[arms["derived"].astype(bool)]
    assert len(derived) >= 7
    assert (derived["statistic"] == "n").all() and derived["derivation"].notna().all()
    for study, rows in derived.groupby("study_id"):
        alloc = trials.loc[study, "allocation"]
        assert isinstance(alloc, str) and alloc
        if alloc == "equal":
            total = float(trials.loc[study, "n_randomized"])
            assert (rows["value"] * len(trials.loc[study, "arms"].split(";")) == total).all()
    # gondhalekar2013 prints its arm sizes only as men + women counts (8 + 7 retro, 7 + 8 control)
    g = derived[derived["study_id"] == "gondhalekar2013"].set_index("arm")["value"]
    assert g.to_dict() == {"control": 15.0, "retro": 15.0}
    # printed sizes are never replaced by derived ones
    printed = arms[~arms["derived"].astype(bool) & (arms["statistic"] == "n")]
    assert not set(zip(printed["study_id"], printed["arm"])) & set(zip(derived["study_id"], derived["arm"]))


def test_build_refuses_allocations_that_do_not_divide(tmp_path):
    build = _build_module()
    with pytest.raises(rs.DataError, match="cannot be split"):
        build._arm_sizes("equal", ["retro", "control"], 31.0, "test")
    with pytest.raises(rs.DataError, match="sums to"):
        build._arm_sizes("8+7;7+7", ["retro", "control"], 30.0, "test")
    assert [n for n, _ in build._arm_sizes("2:1", ["retro", "control"], 60.0, "test")] == [40, 20]


def test_audit_defects_are_coded():
    """Issue 16 audit: each label/coding defect has its fix in the shipped data."""
    arms, con = rs.load_dataset("retro_arms"), rs.load_dataset("retro_contrasts")
    # elbasatiny2015: overall index < mediolateral index in every cell, impossible on the Biodex
    el = arms[(arms["study_id"] == "elbasatiny2015") & arms["instrument"].str.startswith("Biodex")]
    means = el[el["statistic"] == "mean"].pivot_table(index=["arm", "variant"], columns="instrument", values="value")
    assert (means["Biodex_OSI"] < means["Biodex_MLI"]).all()  # the reason for the flag, as printed
    assert (el["flag"] == "implausible").all()
    # naidu2025: a percent-change distribution is not stored as follow-up quartiles
    nd = arms[(arms["study_id"] == "naidu2025") & (arms["outcome"] == "gait_speed")]
    assert {"median_pct_change", "q1_pct_change", "q3_pct_change"} <= set(nd["statistic"])
    assert not {"q1", "q3", "median"} & set(nd["statistic"])
    # kim2021 / sethy2021: the retro arm is retro_plus, so is the comparison
    for study in ("kim2021", "sethy2021"):
        assert set(con.loc[con["study_id"] == study, "comparison"]) == {"retro_plus vs control"}
    # parikh2022 / anandh2023: one sample
    trials = rs.load_dataset("retro_trials").set_index("study_id")
    assert trials.loc["anandh2023", "duplicate_of"] == "parikh2022"
    # chen2021: the sway rows that point against the stated conclusion are flagged
    sway = arms[(arms["study_id"] == "chen2021") & (arms["instrument"] == "COP_sway_area_mm2")]
    assert (sway["flag"] == "direction_conflict").all()
    # menezes2023: the add-on comparison is not coded as retro vs forward
    rev = rs.load_dataset("retro_reviews")
    men = rev[rev["review_id"] == "menezes2023"]
    assert set(men.loc[men["comparison_design"] == "add_on", "comparison"]) == {"retro+forward vs forward"}
    assert set(men.loc[men["comparison"] == "retro vs forward", "comparison_design"]) == {"head_to_head"}


def test_other_instrument_share_is_small():
    rows = pd.concat([rs.load_dataset(n)[["instrument"]] for n in ("retro_arms", "retro_contrasts")])
    assert (rows["instrument"] == "other").mean() < 0.20


def test_mcid_columns_keep_population_relative_and_mdc():
    sc = rs.load_dataset("outcome_scales").set_index("instrument")
    with_mcid = sc[sc["mcid"].notna()]
    assert with_mcid["mcid_population"].notna().all()
    # WOMAC function: only a relative MCII (knee OA, Tubach) was seen; it does not depend on the scoring range
    assert pd.isna(sc.loc["WOMAC_function", "mcid"]) and sc.loc["WOMAC_function", "mcid_relative_pct"] == 26.0
    assert sc.loc["WOMAC_function", "mcid_relative_text"] == "-26.0"
    # a knee-OA MCID from conservative care is preferred to the first listed one when both exist
    assert "knee OA" in sc.loc["VAS_100", "mcid_population"]
    # MDC is its own column, never an MCID
    assert sc.loc["TUG_s", "mdc"] == 1.1 and pd.isna(sc.loc["TUG_s", "mcid"])
    assert sc["mdc"].dropna().gt(0).all() and sc.loc[sc["mdc"].notna(), "mdc_source"].notna().all()


def test_registry_changelog_ships_and_shows():
    text = rs.registry_changelog()
    assert text.startswith("# Registry changelog") and "issue 16" in text.lower()
    assert "Registry changelog" in str(rs.dataset_info("retro_trials"))


def test_arm_and_contrast_studies_are_registered():
    trials = set(rs.load_dataset("retro_trials")["study_id"])
    for name in ("retro_arms", "retro_contrasts"):
        unknown = set(rs.load_dataset(name)["study_id"]) - trials
        assert not unknown, f"{name} has studies missing from retro_trials: {unknown}"


def test_instruments_are_defined_in_outcome_scales():
    scales = set(rs.load_dataset("outcome_scales")["instrument"])
    for name in ("retro_arms", "retro_contrasts"):
        unknown = set(rs.load_dataset(name)["instrument"]) - scales
        assert not unknown, f"{name} uses instruments missing from outcome_scales: {unknown}"


def test_duplicates_point_to_registered_primary_reports():
    trials = rs.load_dataset("retro_trials")
    dup = trials["duplicate_of"].dropna()
    assert set(dup) <= set(trials["study_id"])
    arms = rs.load_dataset("retro_arms")
    # a duplicate publication must not contribute the same statistic twice for the same arm and outcome
    d = arms[arms["study_id"].isin(dup.index.map(trials["study_id"]))]
    assert d.empty or len(d) <= len(arms)


def test_registry_covers_every_known_source():
    with open(ROOT / "data" / "raw" / "sources_known.csv", encoding="utf-8") as fh:
        known = list(csv.DictReader(fh))
    trials = set(rs.load_dataset("retro_trials")["study_id"])
    reviews = set(rs.load_dataset("retro_reviews")["review_id"])
    missing = [r["suggested_id"] for r in known
               if r["suggested_id"] not in (trials if r["kind"] == "trial" else reviews)]
    assert not missing, f"known sources not in the registry: {missing}"


def test_data_levels_are_consistent_with_values():
    trials = rs.load_dataset("retro_trials")
    arms = rs.load_dataset("retro_arms")
    contrasts = rs.load_dataset("retro_contrasts")
    with_values = set(arms["study_id"]) | set(contrasts["study_id"])
    none_level = set(trials.loc[trials["data_level"] == "none", "study_id"])
    assert not (none_level & with_values), "a trial with data_level 'none' has values"


def test_outcome_scales_ranges_and_mcids():
    sc = rs.load_dataset("outcome_scales").set_index("instrument")
    both = sc[sc["min"].notna() & sc["max"].notna()]
    assert (both["min"] < both["max"]).all()
    assert sc.loc["NPRS", ["min", "max"]].tolist() == [0.0, 10.0]
    assert sc.loc["BBS", "max"] == 56.0 and bool(sc.loc["BBS", "higher_is_better"])
    assert not bool(sc.loc["WOMAC_total", "higher_is_better"]) and sc.loc["WOMAC_total", "max"] == 96.0
    with_mcid = sc[sc["mcid"].notna()]
    assert with_mcid["mcid_source"].notna().all() and with_mcid["mcid_source_url"].notna().all()
    assert (with_mcid["mcid"] > 0).all()


def test_study_ids_follow_convention():
    for sid in rs.load_dataset("retro_trials")["study_id"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", sid), sid


def test_rebuild_is_byte_identical(tmp_path):
    build = _build_module()
    build.BATCHES = None
    build.build(tmp_path)
    for name in build.BUILDERS:
        committed = (ROOT / "retrostats" / "datasets" / "_data" / f"{name}.csv").read_bytes()
        assert (tmp_path / f"{name}.csv").read_bytes() == committed, f"{name}.csv differs from a rebuild"
    log = (ROOT / "retrostats" / "datasets" / "_data" / "registry_changelog.md").read_bytes()
    assert (tmp_path / "registry_changelog.md").read_bytes() == log


def test_raw_batches_have_logs():
    for folder in (ROOT / "data" / "raw").iterdir():
        if folder.is_dir():
            assert (folder / "EXTRACTION_LOG.md").exists(), f"{folder} has no EXTRACTION_LOG.md"


def test_schema_rejects_bad_rows():
    schema = SCHEMAS["retro_arms"]
    df = rs.load_dataset("retro_arms").head(1).astype(object)
    if df.empty:
        pytest.skip("no arm rows shipped")
    bad = df.copy()
    bad.loc[bad.index[0], "statistic"] = "average"
    with pytest.raises(rs.DataError, match="statistic"):
        schema.validate(bad)
    bad = df.copy()
    bad.loc[bad.index[0], "timepoint"] = None
    with pytest.raises(rs.DataError, match="timepoint"):
        schema.validate(bad)
    assert isinstance(pd.concat([df, df]).pipe(lambda x: x), pd.DataFrame)
    with pytest.raises(rs.DataError, match="duplicate"):
        schema.validate(pd.concat([df, df], ignore_index=True))
