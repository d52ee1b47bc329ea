"""Figure 1 of the paper: Evidence map of the registry.

Runs the reproduce step ``evidence_map`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig01_evidence_map.{pdf,svg,png}.

Usage: python paper/figures/fig01_evidence_map.py [OUT] [--quick]
(default OUT: paper/build/fig01_evidence_map). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig01_evidence_map"
reproduce(out, only=["evidence_map"], quick="--quick" in sys.argv)
print(out / "figures" / "fig01_evidence_map.pdf")
