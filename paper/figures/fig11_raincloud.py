"""Figure 11 of the paper: Raincloud plot (synthetic trial).

Runs the reproduce step ``participants`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig11_raincloud.{pdf,svg,png}.

Usage: python paper/figures/fig11_raincloud.py [OUT] [--quick]
(default OUT: paper/build/fig11_raincloud). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig11_raincloud"
reproduce(out, only=["participants"], quick="--quick" in sys.argv)
print(out / "figures" / "fig11_raincloud.pdf")
