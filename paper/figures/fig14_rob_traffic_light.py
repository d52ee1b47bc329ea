"""Figure 14 of the paper: RoB 2 traffic lights (illustrative).

Runs the reproduce step ``rob`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig14_rob_traffic_light.{pdf,svg,png}.

Usage: python paper/figures/fig14_rob_traffic_light.py [OUT] [--quick]
(default OUT: paper/build/fig14_rob_traffic_light). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig14_rob_traffic_light"
reproduce(out, only=["rob"], quick="--quick" in sys.argv)
print(out / "figures" / "fig14_rob_traffic_light.pdf")
