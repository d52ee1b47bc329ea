"""Figure 5 of the paper: Contour-enhanced funnel with trim and fill (synthetic).

Runs the reproduce step ``synthetic_meta`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig05_funnel_synthetic.{pdf,svg,png}.

Usage: python paper/figures/fig05_funnel_synthetic.py [OUT] [--quick]
(default OUT: paper/build/fig05_funnel_synthetic). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig05_funnel_synthetic"
reproduce(out, only=["synthetic_meta"], quick="--quick" in sys.argv)
print(out / "figures" / "fig05_funnel_synthetic.pdf")
