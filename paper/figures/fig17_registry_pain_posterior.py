"""Figure 17 of the paper: posterior of the pooled NPRS mean difference (registry, real data, exact Bayes).

Runs the reproduce step ``registry_meta`` (retrostats/report/steps_registry_meta.py), which draws this
figure into OUT/figures/fig17_registry_pain_posterior.{pdf,svg,png} (and figure 16).

Usage: python paper/figures/fig17_registry_pain_posterior.py [OUT]
(default OUT: paper/build/fig17_registry_pain_posterior). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig17_registry_pain_posterior"
reproduce(out, only=["registry_meta"])
print(out / "figures" / "fig17_registry_pain_posterior.pdf")
