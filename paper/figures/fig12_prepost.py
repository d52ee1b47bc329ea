"""Figure 12 of the paper: Paired pre-post plot (synthetic trial).

Runs the reproduce step ``participants`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig12_prepost.{pdf,svg,png}.

Usage: python paper/figures/fig12_prepost.py [OUT] [--quick]
(default OUT: paper/build/fig12_prepost). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig12_prepost"
reproduce(out, only=["participants"], quick="--quick" in sys.argv)
print(out / "figures" / "fig12_prepost.pdf")
