"""Figure 6 of the paper: Leave-one-out forest (synthetic).

Runs the reproduce step ``synthetic_meta`` (retrostats/report/steps_analysis.py), which draws this figure, into
OUT/figures/fig06_leave_one_out_synthetic.{pdf,svg,png}. Usage: python paper/figures/fig06_leave_one_out_synthetic.py [OUT]
(default OUT: paper/build/fig06_leave_one_out_synthetic). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "build" / "fig06_leave_one_out_synthetic"
reproduce(out, only=['synthetic_meta'], quick="--quick" in sys.argv)
print(out / "figures" / "fig06_leave_one_out_synthetic.pdf")
