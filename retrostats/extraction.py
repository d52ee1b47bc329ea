"""Old path of :mod:`retrostats.effects.extraction` (the effect-size wing moved into ``retrostats/effects/``).

Kept so that code written against ``retrostats.extraction`` keeps working; new code imports from
:mod:`retrostats.effects.extraction` or the flat ``retrostats``
namespace. Nothing in the package imports this module.
"""

from .effects.extraction import *  # noqa: F403
from .effects.extraction import __all__ as __all__
