"""Figure 8 of the paper: Shrinkage forest (synthetic).

Runs the reproduce step ``bayes`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig08_shrinkage_synthetic.{pdf,svg,png}.

Usage: python paper/figures/fig08_shrinkage_synthetic.py [OUT] [--quick]
(default OUT: paper/build/fig08_shrinkage_synthetic). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig08_shrinkage_synthetic"
reproduce(out, only=["bayes"], quick="--quick" in sys.argv)
print(out / "figures" / "fig08_shrinkage_synthetic.pdf")
