"""Figure 7 of the paper: Posterior densities (synthetic).

Runs the reproduce step ``bayes`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig07_posterior_synthetic.{pdf,svg,png}.

Usage: python paper/figures/fig07_posterior_synthetic.py [OUT] [--quick]
(default OUT: paper/build/fig07_posterior_synthetic). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig07_posterior_synthetic"
reproduce(out, only=["bayes"], quick="--quick" in sys.argv)
print(out / "figures" / "fig07_posterior_synthetic.pdf")
