"""Figure 11 of the paper: Raincloud plot (synthetic trial).

Runs the reproduce step ``participants`` (retrostats/report/steps_analysis.py), which draws this figure, into
OUT/figures/fig11_raincloud.{pdf,svg,png}. Usage: python paper/figures/fig11_raincloud.py [OUT]
(default OUT: paper/build/fig11_raincloud). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "build" / "fig11_raincloud"
reproduce(out, only=['participants'], quick="--quick" in sys.argv)
print(out / "figures" / "fig11_raincloud.pdf")
