"""Generate the SYNTHETIC participant-level datasets (seeded, deterministic).

Writes
* ``retrostats/datasets/_data/synthetic_three_arm_trial.csv``: a simulated three-arm retro / forward / control
  trial on the NPRS (0-10), calibrated to Alghadir et al. 2019 (see ``retrostats.ipd.synthetic.CALIBRATION``);
* ``tests/reference/data/ipd_*.csv``: the inputs of the R reference scripts ``tests/reference/r/ancova.R`` and
  ``mmrm.R`` (three trials: unequal arms, monotone dropout, intermittent missing visits, rounded scores).

Run ``python data/make_synthetic.py`` from the project root. None of these rows is a real participant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrostats.ipd.synthetic import CALIBRATION, simulate_trial  # noqa: E402

OUT = ROOT / "retrostats" / "datasets" / "_data"
REF = ROOT / "tests" / "reference" / "data"


def _csv(df, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8", float_format="%.10g")
    print(f"wrote {path.relative_to(ROOT)} ({len(df)} rows)")


def three_arm_trial():
    """The shipped teaching trial: calibrated defaults, dropout from the published completion rates."""
    drop = {a: round(1 - c, 2) for a, c in CALIBRATION["completion"].items()}
    return simulate_trial(seed=20190401, dropout=drop)


def reference_trials():
    """Three inputs for the R references."""
    rng = np.random.default_rng(6)
    # a: three unequal arms, continuous 0-100 VAS, four post-baseline visits, monotone dropout
    a = simulate_trial((30, 25, 20), weeks=(0, 2, 4, 6, 8), instrument="VAS_100", baseline_mean=60,
                       baseline_sd=18, change={"retro": 20, "forward": 14, "control": 8}, correlation=0.6,
                       dropout=0.25, seed=101)
    # b: two unequal arms, three visits, intermittent (non-monotone) missing visits
    b = simulate_trial((40, 28), arms=("retro", "control"), weeks=(0, 3, 6, 12), instrument="VAS_100",
                       baseline_mean=55, baseline_sd=20, change={"retro": 18, "control": 10}, correlation=0.5,
                       seed=102)
    post = b["week"] > 0
    holes = post & (rng.random(len(b)) < 0.15)
    b = b.loc[~holes]
    # c: the shipped calibrated NPRS trial (whole-number scores, floor and ceiling)
    c = three_arm_trial()
    out = {}
    for name, d in (("a", a), ("b", b), ("c", c)):
        d = d.copy()
        ids = d["participant"].unique()
        age = dict(zip(ids, np.round(rng.normal(58, 8, ids.size))))
        sex = dict(zip(ids, rng.choice(["female", "male"], ids.size)))
        d["age"] = d["participant"].map(age)
        d["sex"] = d["participant"].map(sex)
        out[name] = d
    return out


#: every row of the shipped dataset says what it is (no row is a published number or a real participant)
SOURCE_NOTE = ("SYNTHETIC: simulated by data/make_synthetic.py (seed 20190401), calibrated to the alghadir2019 "
               "abstract (retrostats.ipd.synthetic.CALIBRATION); not a real participant")


def main() -> int:
    _csv(three_arm_trial().assign(source_location=SOURCE_NOTE), OUT / "synthetic_three_arm_trial.csv")
    REF.mkdir(parents=True, exist_ok=True)
    for name, d in reference_trials().items():
        _csv(d, REF / f"ipd_{name}.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
