"""Figure 2 of the paper: Published reviews' pooled standardized estimates.

Runs the reproduce step ``reviews`` (retrostats/report/steps_analysis.py), which draws
this figure into OUT/figures/fig02_published_reviews.{pdf,svg,png}.

Usage: python paper/figures/fig02_published_reviews.py [OUT] [--quick]
(default OUT: paper/build/fig02_published_reviews). `retrostats reproduce` makes every figure at once.
"""

import sys
from pathlib import Path

from retrostats.report import reproduce

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "build" / "fig02_published_reviews"
reproduce(out, only=["reviews"], quick="--quick" in sys.argv)
print(out / "figures" / "fig02_published_reviews.pdf")
