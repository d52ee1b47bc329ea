"""Figure 15 of the paper: RoB 2 summary (illustrative).

Runs the reproduce step ``rob`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig15_rob_summary.{pdf,svg,png}.

Usage: python paper/figures/fig15_rob_summary.py [OUT] [--quick]
(default OUT: paper/build/fig15_rob_summary). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig15_rob_summary"
reproduce(out, only=["rob"], quick="--quick" in sys.argv)
print(out / "figures" / "fig15_rob_summary.pdf")
