"""Figure 10 of the paper: Assurance curve.

Runs the reproduce step ``planning`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig10_assurance.{pdf,svg,png}.

Usage: python paper/figures/fig10_assurance.py [OUT] [--quick]
(default OUT: paper/build/fig10_assurance). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig10_assurance"
reproduce(out, only=["planning"], quick="--quick" in sys.argv)
print(out / "figures" / "fig10_assurance.pdf")
