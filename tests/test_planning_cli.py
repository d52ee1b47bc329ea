"""`retrostats plan`: the handler registered on an argparse parser."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest

from retrostats.cli.plan import register
from retrostats.planning import power_ancova


def _run(argv):
    parser = argparse.ArgumentParser(prog="retrostats")
    sub = parser.add_subparsers()
    register(sub)
    args = parser.parse_args(["plan", *argv])
    return args.func(args)


def test_plan_explicit_effect_writes_csv(tmp_path, capsys):
    out = tmp_path / "plan.csv"
    assert (
        _run(
            [
                "--design",
                "ancova",
                "--effect-size",
                "0.5",
                "--r",
                "0.5",
                "--dropout",
                "0.2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "Assumptions:" in text and "Sentence for the protocol" in text and "20%" in text
    plan = pd.read_csv(out).set_index("quantity")["value"]
    ref = power_ancova(effect_size=0.5, power=0.8, r=0.5, dropout=0.2)
    assert int(plan["n_per_arm"]) == ref.n_per_arm
    assert int(plan["n_randomise_per_arm"]) == int(np.ceil(ref.n / 0.8))


def test_plan_scale_units_and_power(capsys):
    assert (
        _run(["--design", "ttest", "--effect", "1.0", "--sd", "2.0", "--n", "64", "--instrument", "NPRS"])
        == 0
    )
    text = capsys.readouterr().out
    assert "power 0.80" in text and "-1.00 points" in text


def test_plan_from_csv_meta_analysis(tmp_path, capsys):
    pytest.importorskip("retrostats.meta")
    es = pd.DataFrame({"g": [0.52, 0.31, 0.74, 0.18], "v": [0.05, 0.04, 0.09, 0.06]})
    path = tmp_path / "es.csv"
    es.to_csv(path, index=False)
    with pytest.raises(ValueError, match="no 'measure' column"):
        _run(["--from-csv", str(path), "--yi", "g", "--vi", "v", "--design", "ttest"])
    assert _run(["--from-csv", str(path), "--yi", "g", "--vi", "v", "--design", "ttest", "--measure", "SMD"]) == 0
    text = capsys.readouterr().out
    assert "meta-analysis of 4 trial(s)" in text and "Assurance" in text


def test_plan_from_registry(capsys):
    pytest.importorskip("retrostats.effects.registry")
    assert (
        _run(
            [
                "--from-registry",
                "--outcome",
                "pain",
                "--design",
                "ancova",
                "--r",
                "0.5",
                "--instrument",
                "NPRS",
                "--sd",
                "2.0",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "registry: pain, retro vs control" in text and "per arm" in text


def test_plan_bad_input():
    with pytest.raises(ValueError, match="exactly one effect source"):
        _run(["--effect-size", "0.5", "--effect", "1.0", "--sd", "2"])
    with pytest.raises(ValueError, match="give --sd"):
        _run(["--effect", "1.0"])
    with pytest.raises(ValueError, match="dropout must be below 1"):
        _run(["--effect-size", "0.5", "--dropout", "1.0"])


def test_plan_retro_vs_forward_pain_from_registry_falls_back_to_the_mcid(tmp_path, capsys):
    """No retro-vs-forward pain trial gives an effect size: the plan targets the NPRS MCID (outcome_scales)."""
    import retrostats as rs

    es = rs.registry_effect_sizes(outcome="pain", comparison="retro vs forward", measure="SMD")
    assert not es["usable"].any()
    out = tmp_path / "plan.csv"
    argv = ["--from-registry", "--outcome", "pain", "--comparison", "retro vs forward", "--design", "ancova",
            "--r", "0.5", "--dropout", "0.15", "--instrument", "NPRS", "--sd", "2", "--out", str(out)]
    assert _run(argv) == 0
    text = capsys.readouterr().out
    mcid = float(rs.load_dataset("outcome_scales").set_index("instrument").loc["NPRS", "mcid"])
    assert "planned to detect the minimal clinically important difference" in text
    expected = power_ancova(effect_size=mcid / 2.0, power=0.8, r=0.5, dropout=0.15)
    plan = pd.read_csv(out).set_index("quantity")["value"]
    np.testing.assert_allclose(float(plan["n"]), expected.n, rtol=1e-12)
    # an SD from the registry needs at least two trials; with fewer the message says to give --sd
    with pytest.raises(ValueError, match=r"fewer than two trials.*give the SD yourself \(--sd"):
        _run(argv[:-4] + ["--out", str(out)])


def test_plan_rejects_contradictory_or_impossible_arguments(tmp_path):
    # regression: --sd 0 raised ZeroDivisionError, a missing --from-csv file a FileNotFoundError traceback,
    # and --power was silently ignored when --n was also given
    with pytest.raises(ValueError, match="--sd must be a positive"):
        _run(["--effect", "1.0", "--sd", "0"])
    with pytest.raises(ValueError, match="--sd must be a positive"):
        _run(["--effect", "1.0", "--sd", "-2"])
    with pytest.raises(ValueError, match="not both"):
        _run(["--effect-size", "0.5", "--n", "20", "--power", "0.9"])
    with pytest.raises(ValueError, match="no such file"):
        _run(["--from-csv", str(tmp_path / "missing.csv")])


@pytest.mark.parametrize(
    "argv,call",
    [
        (["--type", "paired", "--effect-size", "0.5"], dict(effect_size=0.5, power=0.8, type="paired")),
        (["--type", "one-sample", "--n", "20"], dict(n=20, power=0.8, type="one-sample")),
        (["--n2", "40", "--effect-size", "0.6"], dict(effect_size=0.6, power=0.8, n2=40)),
        (["--alpha", "solve", "--n", "64", "--power", "0.8", "--effect-size", "0.5"],
         dict(effect_size=0.5, n=64, power=0.8, alpha=None)),
    ],
    ids=["paired", "one-sample-sensitivity", "n2-fixed", "alpha-solved"],
)
def test_plan_offers_the_t_test_designs_of_power_ttest(tmp_path, capsys, argv, call):
    from retrostats import power_ttest

    out = tmp_path / "plan.csv"
    assert _run(["--design", "ttest", *argv, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    ref = power_ttest(**call)
    plan = pd.read_csv(out).set_index("quantity")["value"]
    for field in ("n", "power", "effect_size", "alpha", "n2"):
        np.testing.assert_allclose(float(plan[field]), float(getattr(ref, field)), rtol=1e-12)
    if "type" in call:
        assert "analysed per arm" not in text and "one group of" in text
    if "n2" in call:
        assert f"{ref.n_per_arm} analysed in group 1 and 40 in group 2" in text
    if call.get("alpha", 0.05) is None:
        assert "alpha solved for" in text


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--design", "ancova", "--type", "paired", "--effect-size", "0.5"], "for --design ttest only"),
        (["--design", "ttest", "--type", "paired", "--ratio", "2", "--effect-size", "0.5"], "--ratio does not apply"),
        (["--design", "ttest", "--n2", "30", "--ratio", "2", "--effect-size", "0.5"], "it replaces --ratio"),
        (["--design", "ttest", "--type", "paired", "--from-registry"], "single-group study"),
        (["--design", "ttest", "--alpha", "solve", "--effect-size", "0.5"], "needs --n, --power"),
    ],
)
def test_plan_refuses_t_test_options_where_they_do_not_apply(argv, message):
    with pytest.raises(ValueError, match=message):
        _run(argv)
