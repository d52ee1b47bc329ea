"""Figure 6 of the paper: Leave-one-out forest (synthetic).

Runs the reproduce step ``synthetic_meta`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig06_leave_one_out_synthetic.{pdf,svg,png}.

Usage: python paper/figures/fig06_leave_one_out_synthetic.py [OUT] [--quick]
(default OUT: paper/build/fig06_leave_one_out_synthetic). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = (
    Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig06_leave_one_out_synthetic"
)
reproduce(out, only=["synthetic_meta"], quick="--quick" in sys.argv)
print(out / "figures" / "fig06_leave_one_out_synthetic.pdf")
