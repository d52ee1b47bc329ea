"""The effect-size wing: effects from what trials report, each carrying the derivation of its numbers.

Modules, bottom up (each imports only those above it):

- :mod:`~retrostats.effects.derivation`: the trail every effect carries (:func:`step`, :func:`derivation_steps`,
  :func:`render_derivation`);
- :mod:`~retrostats.effects.binary`: risk ratio, odds ratio and risk difference from 2x2 counts;
- :mod:`~retrostats.effects.escalc`: :func:`effect_sizes` (metafor's ``escalc`` measures) and :func:`sensitivity`;
- :mod:`~retrostats.effects.harmonise`: direction of benefit and instrument scale made explicit;
- :mod:`~retrostats.effects.routes` and :mod:`~retrostats.effects.registry`: effects from the shipped registry
  (:func:`~retrostats.effects.registry.registry_effect_sizes`);
- :mod:`~retrostats.effects.extraction_contrasts` and :mod:`~retrostats.effects.extraction`: extraction sheets.

The registry and extraction modules are not imported here (they read the shipped datasets); reach them as
``retrostats.registry_effect_sizes``, ``retrostats.read_extraction`` or by their module. Conversions for
incomplete reporting stay in :mod:`retrostats.convert`.

Examples
--------
>>> from retrostats.effects import effect_sizes, render_derivation
>>> es = effect_sizes(measure="MD", m1=[2.0], sd1=[1.0], n1=[10], m2=[1.0], sd2=[1.0], n2=[10])
>>> float(es["yi"][0])
1.0
"""

from .derivation import derivation_steps, render_derivation, step
from .escalc import MEASURES, effect_sizes, sensitivity
from .harmonise import check_smd_mixing, direction_of, harmonise_direction, rescale_factor

__all__ = [
    "effect_sizes",
    "sensitivity",
    "render_derivation",
    "derivation_steps",
    "step",
    "MEASURES",
    "check_smd_mixing",
    "direction_of",
    "harmonise_direction",
    "rescale_factor",
]
