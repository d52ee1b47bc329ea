"""Figure 3 of the paper: Usable effect sizes from the registry.

Runs the reproduce step ``registry_effects`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig03_registry_effects.{pdf,svg,png}.

Usage: python paper/figures/fig03_registry_effects.py [OUT] [--quick]
(default OUT: paper/build/fig03_registry_effects). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig03_registry_effects"
reproduce(out, only=["registry_effects"], quick="--quick" in sys.argv)
print(out / "figures" / "fig03_registry_effects.pdf")
