"""Figure 13 of the paper: MMRM adjusted-mean trajectories (synthetic trial).

Runs the reproduce step ``participants`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig13_mmrm_trajectories.{pdf,svg,png}.

Usage: python paper/figures/fig13_mmrm_trajectories.py [OUT] [--quick]
(default OUT: paper/build/fig13_mmrm_trajectories). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig13_mmrm_trajectories"
reproduce(out, only=["participants"], quick="--quick" in sys.argv)
print(out / "figures" / "fig13_mmrm_trajectories.pdf")
