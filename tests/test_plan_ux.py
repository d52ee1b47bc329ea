"""`retrostats plan` for planners: sensitivity mode, every default in the assumptions, the protocol sentence
naming arms and instrument, a caution scaled to the evidence, power curves and the recompute script."""

from __future__ import annotations

import runpy

import pandas as pd
import pytest

import retrostats as rs
from retrostats.cli import main


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_sensitivity_mode_reports_the_minimum_detectable_effect(capsys):
    assert main(["plan", "--n", "40", "--design", "ancova", "--instrument", "NPRS", "--sd", "2.1"]) == 0
    text = capsys.readouterr().out
    ref = rs.power_ancova(n=40, power=0.8, r=0.5)
    assert f"minimum detectable standardised effect is {ref.effect_size:.3f}" in text
    mcid = rs.planning.mcid_effect_size("NPRS", 2.1)
    assert f"a standardised {abs(mcid):.3f}" in text
    assert ("can NOT" in text) == (ref.effect_size > abs(mcid))
    assert main(["plan", "--n", "40", "--power", "0.9", "--design", "ttest"]) == 0
    ref = rs.power_ttest(n=40, power=0.9)
    assert f"effect is {ref.effect_size:.3f}" in capsys.readouterr().out


def test_every_default_is_printed_and_marked(capsys):
    assert main(["plan", "--effect-size", "0.5", "--alpha", "0.01"]) == 0
    text = capsys.readouterr().out
    for line in ("target power 80% [default]", "allocation ratio 1 (group 2 : group 1) [default]",
                 "correlation r = 0.5 between baseline and outcome [default]",
                 "dropout 0% (no attrition assumed) [default]", "arms: retro walking (group 1) vs control"):
        assert line in text, line
    assert "alpha 0.01, two-sided [default]" in text  # given: not marked
    assert "design ancova: ANCOVA" in text and "outcome: not named" in text


def test_protocol_sentence_names_arms_and_instrument(capsys, tmp_path):
    out = tmp_path / "plan.csv"
    assert main(["plan", "--effect-size", "0.5", "--arms", "retro walking", "forward walking", "--instrument",
                 "NPRS", "--sd", "2", "--dropout", "0.15", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    ref = rs.power_ancova(effect_size=0.5, power=0.8, r=0.5, dropout=0.15)
    assert (
        f"With {ref.n_per_arm} participants analysed per arm (retro walking and forward walking), the ANCOVA "
        "(r = 0.5) has 80% power to detect a difference of 1.00 points on the NPRS" in text
    )
    assert f"Allowing for 15% attrition, {ref.n_recruit_per_arm} will be randomised" in text
    ns = runpy.run_path(str(tmp_path / "plan.py"))  # the script written beside the CSV
    assert ns["res"].n == pytest.approx(ref.n, rel=1e-12)
    capsys.readouterr()


def test_caution_scales_with_the_evidence(tmp_path, capsys):
    one = tmp_path / "one.csv"
    pd.DataFrame({"yi": [0.9], "vi": [0.1], "measure": "SMD"}).to_csv(one, index=False)
    assert main(["plan", "--from-csv", str(one), "--design", "ttest"]) == 0
    assert "WARNING: the effect comes from ONE trial" in capsys.readouterr().out
    few = tmp_path / "few.csv"
    pd.DataFrame({"yi": [0.9, 0.3, 0.5], "vi": [0.1, 0.05, 0.08], "measure": "SMD"}).to_csv(few, index=False)
    assert main(["plan", "--from-csv", str(few), "--design", "ttest"]) == 0
    text = capsys.readouterr().out
    assert "only 3 trials" in text and "ONE trial" not in text
    many = tmp_path / "many.csv"
    pd.DataFrame({"yi": [0.5, 0.45, 0.55, 0.5, 0.52, 0.48], "vi": [0.01] * 6, "measure": "SMD"}).to_csv(
        many, index=False
    )
    assert main(["plan", "--from-csv", str(many), "--design", "ttest"]) == 0
    text = capsys.readouterr().out
    assert "caution:" not in text and "WARNING:" not in text


def test_power_curves_are_drawn_from_the_same_solver(tmp_path, capsys):
    import matplotlib.pyplot as plt

    from retrostats.figures import layout_problems

    seen = {}
    real = plt.close

    def keep(fig=None):
        if fig is not None and hasattr(fig, "axes") and fig.axes:
            seen["fig"] = fig
        return real(fig)

    mp = pytest.MonkeyPatch()
    mp.setattr(plt, "close", keep)
    try:
        assert main(["plan", "--effect-size", "0.5", "--design", "ttest", "--plot", str(tmp_path / "pc")]) == 0
    finally:
        mp.undo()
    assert all((tmp_path / f"pc.{s}").is_file() for s in ("pdf", "svg", "png"))
    ax = seen["fig"].axes[0]
    line = [ln for ln in ax.lines if ln.get_gid() == "power:0.5"][0]
    for n, p in zip(line.get_xdata()[::13], line.get_ydata()[::13]):
        assert p == pytest.approx(rs.power_ttest(effect_size=0.5, n=float(n)).power, rel=1e-12)
    assert layout_problems(seen["fig"]) == []
    capsys.readouterr()
