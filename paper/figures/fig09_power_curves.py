"""Figure 9 of the paper: ANCOVA power curves.

Runs the reproduce step ``planning`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig09_power_curves.{pdf,svg,png}.

Usage: python paper/figures/fig09_power_curves.py [OUT] [--quick]
(default OUT: paper/build/fig09_power_curves). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig09_power_curves"
reproduce(out, only=["planning"], quick="--quick" in sys.argv)
print(out / "figures" / "fig09_power_curves.pdf")
