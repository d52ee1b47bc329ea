"""Figure 4 of the paper: Forest plot (synthetic demonstration).

Runs the reproduce step ``synthetic_meta`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig04_forest_synthetic.{pdf,svg,png}.

Usage: python paper/figures/fig04_forest_synthetic.py [OUT] [--quick]
(default OUT: paper/build/fig04_forest_synthetic). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig04_forest_synthetic"
reproduce(out, only=["synthetic_meta"], quick="--quick" in sys.argv)
print(out / "figures" / "fig04_forest_synthetic.pdf")
