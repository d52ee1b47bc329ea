"""End-to-end paths tried as a new user would (review of 2026-11-30): each test failed before its fix."""

from __future__ import annotations

import contextlib
import io

import matplotlib.pyplot as plt
import pytest

import retrostats.figures as F
from retrostats.cli import main

TIDY = (
    "study,arm,mean,sd,n\n"
    "S1,retro,3.1,1.2,20\nS1,control,4.2,1.3,20\n"
    "S2,control,4.6,1.4,30\nS2,retro,4.0,1.5,32\n"
    "S3,retro,2.8,1.1,18\nS3,control,4.0,1.2,19\n"
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _forest_texts(monkeypatch, argv):
    seen = []
    real = F.forest_plot

    def spy(*a, **k):
        ax = real(*a, **k)
        seen.append(ax)
        return ax

    monkeypatch.setattr(F, "forest_plot", spy)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(argv) == 0
    ax = seen[0]
    texts = [t.get_text() for t in ax.figure.findobj(plt.Text)]
    return ax.get_xlabel(), " | ".join(texts)


def test_meta_tidy_sheet_arms_label_the_forest(tmp_path, monkeypatch):
    """`--arms control retro` computes control - retro: the forest must say so, not 'retro - control'."""
    data = tmp_path / "tidy.csv"
    data.write_text(TIDY)
    base = [str(data), "--measure", "SMD", "--instrument", "NPRS", "--formats", "png", "--dpi", "60"]
    argv = ["meta", *base, "--arms", "control", "retro", "--out", str(tmp_path / "o")]
    xlab, texts = _forest_texts(monkeypatch, argv)
    assert "control − retro" in xlab or "control - retro" in xlab, xlab
    # positive = control has more pain = favours retro (NPRS: lower is better)
    assert texts.index("favours control") < texts.index("favours retro"), texts


def test_plan_states_the_instruments_unit(capsys):
    """A VAS in mm: the grant sentence must say 'mm', not 'points' (and NPRS keeps 'points')."""
    assert main(["plan", "--n", "40", "--sd", "13.5", "--instrument", "VAS_100"]) == 0
    out = capsys.readouterr().out
    assert "7.47 mm on the VAS_100" in out and "points" not in out.split("Result:")[1], out
    assert main(["plan", "--n", "40", "--sd", "1.35", "--instrument", "NPRS"]) == 0
    assert "0.75 points on the NPRS" in capsys.readouterr().out



def test_tsa_refuses_a_delta_signed_against_the_instrument():
    """Unoriented NPRS mean differences (retro - control, negative = less pain): delta=+1 made the TSA call a
    clear benefit 'Firm evidence of harm'; grade_profile reads the same data as a benefit."""
    import pandas as pd

    import retrostats as rs
    from retrostats.exceptions import DataError

    d = pd.DataFrame({"yi": [-1.1, -0.6, -1.2, -0.5], "vi": [0.09, 0.07, 0.08, 0.05], "n": [40, 62, 37, 81],
                      "measure": "MD", "instrument": "NPRS"})
    with pytest.raises(DataError, match="lower is better"):
        rs.trial_sequential_analysis(d, delta=1.0, sd=1.35)
    res = rs.trial_sequential_analysis(d, delta=-1.0, sd=1.35)
    assert "benefit" in res.conclusion and "harm" not in res.conclusion
    # an explicit direction still overrides (effects oriented control - retro)
    flipped = rs.trial_sequential_analysis(d.assign(yi=-d["yi"]), delta=1.0, sd=1.35, direction="positive")
    assert "benefit" in flipped.conclusion


def test_tsa_refuses_an_sd_for_smds():
    """SMDs are in SD units: an sd= of 1.35 silently rescaled delta and inflated the RIS (167 -> 305)."""
    import pandas as pd

    import retrostats as rs
    from retrostats.exceptions import DataError

    d = pd.DataFrame({"yi": [-0.86, -0.41, -1.02, -0.34], "vi": [0.11, 0.066, 0.12, 0.05], "n": [40, 62, 37, 81],
                      "measure": "SMD"})
    with pytest.raises(DataError, match="SD units"):
        rs.trial_sequential_analysis(d, delta=-0.5, sd=1.35)
    ris = rs.trial_sequential_analysis(d, delta=-0.5).required_information_size
    assert ris == rs.trial_sequential_analysis(d, delta=-0.5, sd=1.0).required_information_size



def test_meta_effects_sheet_keeps_its_measure(tmp_path, capsys):
    """An effects sheet whose 'measure' column says SMD was relabelled MD by --measure MD (and drawn with an
    NPRS MCID band) without a word; without --measure its own column is used."""
    import pandas as pd

    data = tmp_path / "eff.csv"
    pd.DataFrame({"study": ["A", "B", "C"], "yi": [-0.8, -0.4, -1.0], "vi": [0.1, 0.07, 0.12],
                  "measure": "SMD"}).to_csv(data, index=False)
    fast = ["--formats", "png", "--dpi", "60"]
    assert main(["meta", str(data), "--measure", "MD", "--instrument", "NPRS", "--out", str(tmp_path / "a"),
                 *fast]) == 1
    assert "says its effects are SMD" in capsys.readouterr().err
    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["meta", str(data), "--out", str(tmp_path / "b"), *fast]) == 0
    assert "measure SMD from the sheet's 'measure' column" in capsys.readouterr().out
    assert set(pd.read_csv(tmp_path / "b" / "effect_sizes.csv")["measure"]) == {"SMD"}


def test_meta_xlsx_points_to_the_other_sheets(tmp_path, capsys):
    """A workbook whose first sheet is a README: the error says which sheet was read and offers --sheet."""
    import pandas as pd

    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as w:
        pd.DataFrame({"notes": ["data on the next sheet"]}).to_excel(w, sheet_name="README", index=False)
        pd.DataFrame({"yi": [-0.5, -0.2], "vi": [0.1, 0.1]}).to_excel(w, sheet_name="data", index=False)
    assert main(["meta", str(book), "--out", str(tmp_path / "o")]) == 1
    assert "--sheet" in capsys.readouterr().err


def test_robust_result_says_what_it_holds():
    import retrostats as rs

    res = rs.meta_analysis(yi=[-0.5, -0.2, -0.9, -0.4], vi=[0.1, 0.08, 0.12, 0.05], cluster=["a", "a", "b", "c"])
    rob = res.robust("CR2")
    with pytest.raises(AttributeError, match="belong to the fitted model"):
        rob.predict()
    assert "Cluster-robust" in rob.summary().as_text()  # the result protocol (tests/test_result_protocol.py)


def test_meta_round_trip_of_its_own_effect_sizes_csv(tmp_path):
    """Feeding an MD run's effect_sizes.csv back to `retrostats meta` pooled SMDs (the default) silently."""
    from pathlib import Path

    import pandas as pd

    example = Path(__file__).resolve().parents[1] / "examples" / "readme_smd.csv"
    fast = ["--formats", "png", "--dpi", "60"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["meta", str(example), "--measure", "MD", "--out", str(tmp_path / "a"), *fast]) == 0
        assert main(["meta", str(tmp_path / "a" / "effect_sizes.csv"), "--out", str(tmp_path / "b"), *fast]) == 0
    a, b = (pd.read_csv(tmp_path / d / "pooled.csv") for d in ("a", "b"))
    assert b.loc[0, "estimate"] == a.loc[0, "estimate"]
    assert set(pd.read_csv(tmp_path / "b" / "effect_sizes.csv")["measure"]) == {"MD"}


def test_plan_signed_effect_size_contradicting_alternative_is_refused(capsys):
    """`--effect-size 0.5 --alternative less` was silently planned as -0.5 (the API refuses; so does 'greater')."""
    assert main(["plan", "--effect-size", "0.5", "--alternative", "less"]) == 1
    assert "contradicts alternative='less'" in capsys.readouterr().err
    assert main(["plan", "--effect-size", "-0.5", "--alternative", "less"]) == 0
    assert "39 analysed per arm" in capsys.readouterr().out


# ---------------------------------------------------------------------------- review of 2026-12-01
def _oriented_pain_mds():
    import retrostats as rs

    p = rs.registry_effect_sizes(outcome="pain", comparison="retro vs control", measure="MD", instrument="NPRS")
    return p[p.usable][["study_id", "yi", "vi", "measure", "favours", "instrument"]].reset_index(drop=True)


def test_an_unoriented_row_concatenated_to_oriented_ones_is_refused():
    """pd.concat left the user's own trial (retro - control = -0.8, less pain) with an empty 'favours' cell:
    it was pooled with the sign reversed next to rows reading 'positive favours retro' (0.23 instead of ~0.76)."""
    import pandas as pd

    import retrostats as rs
    from retrostats.exceptions import DataError

    oriented = _oriented_pain_mds()
    own = rs.effect_sizes(measure="MD", m1=[3.0], sd1=[1.0], n1=[30], m2=[3.8], sd2=[1.1], n2=[30])
    own["study_id"], own["instrument"] = "mine2024", "NPRS"
    mixed = pd.concat([oriented, own[["study_id", "yi", "vi", "measure", "instrument"]]], ignore_index=True)
    with pytest.raises(DataError, match=r"mixes orientations.*'mine2024'"):
        rs.meta_analysis(mixed)
    with pytest.raises(DataError, match="mixes orientations"):
        rs.bayes_meta_analysis(mixed)
    # oriented the same way, it pools (and the estimate is the benefit all three trials show)
    own["favours"] = "positive favours retro"
    own["yi"] = -own["yi"]
    fixed = pd.concat([oriented, own[list(oriented.columns)]], ignore_index=True)
    res = rs.meta_analysis(fixed)
    assert res.favours == "retro" and res.estimate > 0.5


def test_a_raw_difference_with_no_instrument_is_not_pooled_with_labelled_ones():
    """An MD row without an instrument (on 0-100 mm, say) pooled with NPRS rows and labelled NPRS."""
    import pandas as pd

    import retrostats as rs
    from retrostats.exceptions import DataError

    d = pd.DataFrame({"study_id": ["a", "b", "c"], "yi": [-1.0, -0.8, -8.0], "vi": [0.1, 0.1, 4.0],
                      "measure": "MD", "instrument": ["NPRS", "NPRS", None]})
    with pytest.raises(DataError, match=r"no instrument \(row 2 'c'\)"):
        rs.meta_analysis(d)
    # standardised effects carry no unit: an unlabelled SMD row may be pooled with labelled ones
    smd = d.assign(measure="SMD", yi=[-0.5, -0.4, -0.6], vi=[0.05, 0.05, 0.05])
    assert rs.meta_analysis(smd).k == 3


def test_equivalence_trial_planned_for_a_true_difference_of_zero():
    """The usual equivalence design (true difference 0) was refused by the superiority guard."""
    import retrostats as rs

    res = rs.power_equivalence(effect_size=0.0, power=0.8, margin=0.5)
    assert 68.5 < res.n < 70.0  # the normal approximation 2 (z_.95 + z_.90)^2 / 0.5^2 = 68.5; exact TOST a bit more
    back = rs.power_equivalence(effect_size=0.0, n=res.n, margin=0.5)
    assert abs(back.power - 0.8) < 1e-9
    with pytest.raises(ValueError, match="effect_size is 0"):
        rs.power_ttest(effect_size=0.0, power=0.8)  # a superiority trial still cannot be planned for 0


def test_meta_cli_drops_a_study_without_yi_and_says_so(tmp_path, capsys):
    """A yi/vi sheet with one empty yi crashed with a pandas length error after writing the figures."""
    import pandas as pd

    data = tmp_path / "nanyi.csv"
    data.write_text("study,yi,vi\nS1,-0.5,0.05\nS2,,0.04\nS3,-0.8,0.1\nS4,0.1,0.08\n")
    out = tmp_path / "o"
    assert main(["meta", str(data), "--measure", "SMD", "--formats", "png", "--dpi", "60", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "'S2'" in said.out + said.err and "dropped" in said.out + said.err
    es = pd.read_csv(out / "effect_sizes.csv")
    assert list(es["study"]) == ["S1", "S2", "S3", "S4"]
    assert es["weight_percent"].isna().tolist() == [False, True, False, False]
    assert abs(es["weight_percent"].sum() - 100.0) < 1e-9


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_plan_one_sided_test_must_look_the_way_the_effect_points(tmp_path, capsys, alternative):
    """--effect -1.5 (retro - control on NPRS: less pain) with --alternative greater planned a trial powered
    to detect more pain, printing the magnitude; the evidence's sign was thrown away the same way."""
    argv = ["plan", "--effect", "-1.5", "--sd", "2", "--instrument", "NPRS", "--alternative", alternative]
    csv = tmp_path / "md.csv"
    csv.write_text("yi,vi,measure\n-8.0,4.0,MD\n-9.0,5.0,MD\n-7.5,4.5,MD\n")
    argv_csv = ["plan", "--from-csv", str(csv), "--sd", "13.5", "--alternative", alternative]
    if alternative == "greater":
        for args in (argv, argv_csv):
            assert main(args) == 1
            assert "Use --alternative less" in capsys.readouterr().err
    else:
        assert main(argv) == 0 and main(argv_csv) == 0
        assert "per arm" in capsys.readouterr().out


@pytest.mark.parametrize(("yi", "says"), [(-0.5, "from below"), (-1.5, "lies beyond it")])
def test_plan_says_on_which_side_of_the_mcid_the_evidence_lies(tmp_path, capsys, yi, says):
    """An interval wholly between no effect and the MCID (-0.61 to -0.39 on NPRS, MCID 1) was reported with
    the same sentence as one wholly beyond the MCID, which reads as a clinically important effect."""
    csv = tmp_path / "md.csv"
    csv.write_text("yi,vi,measure\n" + "".join(f"{yi + d},0.01,MD\n" for d in (0.0, 0.1, -0.1)))
    assert main(["plan", "--from-csv", str(csv), "--sd", "2", "--instrument", "NPRS", "--design", "ttest"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "excludes the MCID" in x)
    assert says in line, line
    assert ("smaller than the MCID" in line) == (says == "from below")


def test_meta_refuses_means_that_cannot_be_on_the_instrument(tmp_path, capsys):
    """0-100 mm means labelled NPRS (0-10) gave an 'NPRS' MD of -8 with no warning; change scores stay allowed."""
    wide = "study,m1,sd1,n1,m2,sd2,n2\n"
    mm = tmp_path / "mm.csv"
    mm.write_text(wide + "A,28,12,30,36,13,30\nB,40,15,25,46,14,25\n")
    base = ["--measure", "MD", "--formats", "png", "--dpi", "60"]
    assert main(["meta", str(mm), *base, "--instrument", "NPRS", "--out", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "runs from 0 to 10" in err and "'A' (m1 = 28)" in err and not (tmp_path / "a").exists()
    assert main(["meta", str(mm), *base, "--instrument", "VAS_100", "--out", str(tmp_path / "b")]) == 0
    change = tmp_path / "change.csv"  # mean changes from baseline: negative, within the scale's range
    change.write_text(wide + "A,-2.1,1.2,30,-1.0,1.3,30\nB,-3.0,1.5,25,-1.6,1.4,25\n")
    assert main(["meta", str(change), *base, "--instrument", "NPRS", "--out", str(tmp_path / "c")]) == 0


def test_plan_assurance_uses_the_plans_own_test(tmp_path, capsys):
    """The assurance line counted success with a two-sided test beside a one-sided n (same n either way)."""
    csv = tmp_path / "md.csv"
    csv.write_text("yi,vi,measure\n-8.0,4.0,MD\n-9.0,5.0,MD\n-7.5,4.5,MD\n")
    found = {}
    for alt in ("two-sided", "less"):
        assert main(["plan", "--from-csv", str(csv), "--sd", "13.5", "--alternative", alt]) == 0
        line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Assurance"))
        assert ("one-sided" if alt == "less" else "two-sided") in line, line
        found[alt] = int(line.split("): ")[1].split(" per arm")[0])
    assert found["less"] < found["two-sided"], found


def test_meta_analysis_labels_studies_from_a_study_column():
    """effect_sizes() and forest_plot() read a 'study' column; meta_analysis() labelled the same rows 'Study 1'."""
    import pandas as pd

    import retrostats as rs

    d = pd.DataFrame({"study": ["Ahn 2019", "Bo 2021", "Cy 2022"], "yi": [0.1, 0.3, 0.2], "vi": [0.01, 0.02, 0.03]})
    res = rs.meta_analysis(d)
    assert list(res.labels) == ["Ahn 2019", "Bo 2021", "Cy 2022"]
    texts = [t.get_text() for t in F.forest_plot(res).figure.findobj(plt.Text)]
    assert "Ahn 2019" in texts and "Study 1" not in texts
    assert list(rs.meta_analysis(d.assign(study_id=["a", "b", "c"])).labels) == ["a", "b", "c"]  # study_id first


def test_t_that_contradicts_the_means_is_reported():
    """Means and t given for the same row, pointing opposite ways: the means were used without a word."""
    import retrostats as rs
    from retrostats.exceptions import DataWarning

    kw = dict(measure="SMD", m1=[3.0, 5.0], sd1=[1.0, 1.0], n1=[20, 20], m2=[4.0, 4.0], sd2=[1.0, 1.0],
              n2=[20, 20], labels=["A", "B"])
    with pytest.warns(DataWarning, match=r"opposite ways in row 0 \(study 'A'\): the means were used"):
        es = rs.effect_sizes(**kw, t=[5.0, 2.0])
    assert es["yi"].iloc[0] < 0 < es["yi"].iloc[1]  # the means' direction, as metafor's escalc
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rs.effect_sizes(**kw, t=[-5.0, 2.0])  # agreeing: nothing to say


def test_priors_sized_for_smds_on_millimetres_are_reported():
    """normal(0, 2) / half-normal(0.5) on VAS mean differences in mm shrank mu about threefold, silently."""
    import warnings

    import retrostats as rs
    from retrostats.exceptions import DataWarning

    es = rs.effect_sizes(measure="MD", m1=[30.0, 42, 35], sd1=[18.0, 20, 15], n1=[20, 25, 30],
                         m2=[45.0, 50, 47], sd2=[19.0, 21, 16], n2=[20, 24, 30])
    es["instrument"] = "VAS_100"
    with pytest.warns(DataWarning, match=r"mu_prior normal\(mean=0, sd=2\).*tau_prior.*sized for standardized"):
        rs.bayes_meta_analysis(es, mu_prior=("normal", 0, 2), tau_prior=("half-normal", 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rs.bayes_meta_analysis(es)  # the defaults sized from the VAS range
        rs.bayes_meta_analysis(es, mu_prior=("normal", 0, 20), tau_prior=("half-normal", 10))  # informative, mm
        nprs = es.assign(yi=es["yi"] / 10, vi=es["vi"] / 100, instrument="NPRS")
        rs.bayes_meta_analysis(nprs, mu_prior=("normal", 0, 2), tau_prior=("half-normal", 0.5))  # 2.5x the default


def _trial(seed: int, n: int, follow_up: bool):
    import retrostats as rs

    d = rs.simulate_trial(n_per_arm=n, seed=seed)
    return (d[d.week > 0] if follow_up else d[d.week == 6]).reset_index(drop=True)


def test_ipd_blank_or_look_alike_arm_labels_are_not_fitted_as_arms():
    """A blank arm became an arm ' - control'; 'Retro ' an arm of its own, a participant each."""
    import retrostats as rs
    from retrostats.exceptions import DataError, DataWarning

    wk6 = _trial(2, 15, False)
    x = wk6.copy()
    x.loc[3, "arm"] = ""
    with pytest.warns(DataWarning, match="missing arm.*row 3"):
        fit = rs.ancova(x, outcome="value", baseline="baseline", arm="arm")
    assert fit.contrasts["contrast"].tolist() == ["retro - control", "forward - control", "retro - forward"]
    x.loc[3, "arm"] = "Retro "
    with pytest.raises(DataError, match=r"differ only in case or spaces: \['Retro ', 'retro'\]"):
        rs.ancova(x, outcome="value", baseline="baseline", arm="arm")
    post = _trial(1, 20, True)
    y = post.copy()
    y.loc[y["participant"] == y["participant"].iloc[0], "arm"] = "  "
    with pytest.warns(DataWarning, match="missing arm"):
        m = rs.mmrm(y, outcome="value", arm="arm", visit="week", subject="participant", baseline="baseline")
    full = rs.mmrm(post, outcome="value", arm="arm", visit="week", subject="participant", baseline="baseline")
    assert set(m.contrasts["contrast"]) == set(full.contrasts["contrast"])


def test_ipd_infinite_values_are_refused_naming_the_participant():
    import numpy as np

    import retrostats as rs
    from retrostats.exceptions import DataError

    x = _trial(2, 15, False)
    x.loc[2, "value"] = np.inf
    with pytest.raises(DataError, match="must be finite"):
        rs.ancova(x, outcome="value", baseline="baseline", arm="arm")
    y = _trial(1, 20, True)
    y.loc[0, "value"] = -np.inf
    with pytest.raises(DataError, match=f"must be finite; participant {y.loc[0, 'participant']!r}"):
        rs.mmrm(y, outcome="value", arm="arm", visit="week", subject="participant", baseline="baseline")


def test_mmrm_says_a_row_not_a_participant_was_dropped_for_a_missing_baseline():
    import numpy as np

    import retrostats as rs
    from retrostats.exceptions import DataWarning

    y = _trial(1, 20, True)
    who = y.loc[0, "participant"]
    y.loc[0, "baseline"] = np.nan
    with pytest.warns(DataWarning, match=rf"1 row\(s\) of 1 participant\(s\).*their other rows kept: \['{who}'\]"):
        fit = rs.mmrm(y, outcome="value", arm="arm", visit="week", subject="participant", baseline="baseline")
    assert fit.n_subjects == y["participant"].nunique() and fit.n_obs == len(y) - 1


def test_grade_profile_of_a_tsa_checks_direction():
    """direction='positive' on a TSA of NPRS benefits (negative) reported the benefit interval as harm; 'neg'
    was accepted as negative."""
    import pandas as pd

    import retrostats as rs
    from retrostats.exceptions import DataError

    d = pd.DataFrame({"study_id": ["a", "b", "c"], "yi": [-1.2, -0.8, -1.5], "vi": [0.2, 0.15, 0.3],
                      "n": [40, 60, 30], "measure": "MD", "instrument": "NPRS"})
    tsa = rs.trial_sequential_analysis(d, delta=-1.0, sd=2.0)
    rob = {"a": "low", "b": "low", "c": "low"}
    with pytest.raises(ValueError, match="direction must be one of"):
        rs.grade_profile(tsa, risk_of_bias=rob, direction="neg")
    with pytest.raises(DataError, match="contradicts the trial sequential analysis"):
        rs.grade_profile(tsa, risk_of_bias=rob, direction="positive")
    same = rs.grade_profile(tsa, risk_of_bias=rob, direction="negative").domains["reason"].tolist()
    assert same == rs.grade_profile(tsa, risk_of_bias=rob).domains["reason"].tolist()


def test_peto_with_no_events_says_so_in_plain_words():
    """No events anywhere: a numpy RuntimeWarning, then 'the PETO PETO cannot be estimated ... measure='RD''
    (meta_analysis_peto has no measure argument)."""
    import warnings

    import retrostats as rs
    from retrostats.exceptions import DataError

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way
        with pytest.raises(DataError, match=r"^the Peto odds ratio cannot be estimated.*meta_analysis_mh"):
            rs.meta_analysis_peto(events1=[0, 0], n1=[10, 10], events2=[0, 0], n2=[10, 10])


def test_an_na_cell_in_a_string_column_reads_as_empty():
    """pandas' NA (a 'string' column) made the orientation check fail with "boolean value of NA is ambiguous"."""
    import pandas as pd

    import retrostats as rs
    from retrostats.exceptions import DataError

    favours = pd.array(["positive favours retro", pd.NA], dtype="string[python]")
    d = pd.DataFrame({"study_id": ["a", "b"], "yi": [0.5, 0.6], "vi": [0.1, 0.1], "measure": "SMD", "favours": favours})
    with pytest.raises(DataError, match=r"mixes orientations.*row 1 'b'"):
        rs.meta_analysis(d)
    assert rs.meta_analysis(d.assign(favours=pd.array(["positive favours retro"] * 2, dtype="string[python]"))).k == 2
