"""Figure 16 of the paper: pooled NPRS mean difference, retro walking vs control (registry, real data).

Runs the reproduce step ``registry_meta`` (retrostats/report/steps_registry_meta.py), which draws this
figure into OUT/figures/fig16_registry_pain_forest.{pdf,svg,png} (and figure 17).

Usage: python paper/figures/fig16_registry_pain_forest.py [OUT]
(default OUT: paper/build/fig16_registry_pain_forest). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig16_registry_pain_forest"
reproduce(out, only=["registry_meta"])
print(out / "figures" / "fig16_registry_pain_forest.pdf")
