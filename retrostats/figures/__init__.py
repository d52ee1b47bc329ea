"""Publication figures: axes-level functions that draw the numbers result objects already hold.

Every function takes ``ax=None`` and returns the Axes; with no ``ax`` it makes a figure sized to a journal
column (85 or 180 mm) in the shipped colour-blind-safe style (``retrostats.mplstyle``, Okabe-Ito palette),
applied through ``matplotlib.rc_context`` only (importing retrostats never changes global rcParams).
:func:`save_figure` writes PDF/SVG/PNG with fixed metadata, so a second run writes identical bytes.
Figures never compute statistics: they draw results (``MetaAnalysisResult``, ``mmrm()``, power tables,
posteriors) and the registry.

========================  =====================================================================
forest_plot               weighted squares, diamond, prediction interval, arms, subgroups, MCID,
                          favours labels, RoB 2 columns; cumulative and leave-one-out variants
bubble_plot               meta-regression on a dose: bubbles by weight, fitted line, CI/PI bands
funnel_plot               contour-enhanced funnel with trim-and-fill points and the small-k caveat
evidence_map              registry trials x outcomes coloured by ``data_level``
rob_traffic_light         RoB 2 traffic lights (user-supplied judgements)
rob_summary               RoB 2 summary bars
raincloud_plot            participant data: density, box and points per arm
prepost_plot              paired pre-post lines per participant
trajectory_plot           adjusted means by visit from ``mmrm()``
power_curve_plot          power against n from ``power_grid()``
assurance_plot            assurance and power at the predictive mean against n
posterior_plot            posterior densities of mu / theta_new / tau
shrinkage_plot            observed vs posterior study effects
tsa_plot                  trial sequential analysis: z-curve, monitoring boundaries, RIS
save_figure               deterministic PDF/SVG/PNG/TIFF/EPS at journal widths (re-lays out on resize)
mark_synthetic            the visible "SYNTHETIC DATA" mark for figures of simulated data
layout_problems           texts clipped by the figure edge, overlapping, or below 6 pt (empty: clean)
ForestLayout              a forest plot's layout for one width (columns, widths, fonts, labels, rows)
forest_layout             the ForestLayout of a result, from the data and the measure registry
========================  =====================================================================
"""

from ._base import (
    COLUMN_WIDTH_MM,
    DATA_LEVEL_COLOURS,
    PALETTE,
    ROB_COLOURS,
    STYLE,
    figure_width_inches,
    save_figure,
    style_context,
)
from ._forest_layout import ForestLayout
from ._layout import MIN_FONT_PT, layout_problems, mark_synthetic
from .bayes import posterior_plot, shrinkage_plot
from .dose import bubble_plot
from .evidence import evidence_cells, evidence_map
from .forest import forest_layout, forest_plot, scale_direction
from .funnel import funnel_plot
from .participants import ARM_COLOURS, prepost_plot, raincloud_plot, trajectory_plot
from .planning import assurance_plot, power_curve_plot
from .rob import ROB2_DOMAINS, example_rob_judgements, normalise_rob, rob_summary, rob_traffic_light
from .tsa import tsa_plot

__all__ = [
    "ARM_COLOURS",
    "COLUMN_WIDTH_MM",
    "DATA_LEVEL_COLOURS",
    "ForestLayout",
    "MIN_FONT_PT",
    "PALETTE",
    "ROB_COLOURS",
    "ROB2_DOMAINS",
    "STYLE",
    "assurance_plot",
    "bubble_plot",
    "evidence_cells",
    "evidence_map",
    "example_rob_judgements",
    "figure_width_inches",
    "forest_layout",
    "forest_plot",
    "funnel_plot",
    "layout_problems",
    "mark_synthetic",
    "normalise_rob",
    "posterior_plot",
    "power_curve_plot",
    "prepost_plot",
    "raincloud_plot",
    "rob_summary",
    "rob_traffic_light",
    "save_figure",
    "scale_direction",
    "shrinkage_plot",
    "style_context",
    "trajectory_plot",
    "tsa_plot",
]
