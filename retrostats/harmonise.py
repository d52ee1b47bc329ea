"""Old path of :mod:`retrostats.effects.harmonise` (the effect-size wing moved into ``retrostats/effects/``).

Kept so that code written against ``retrostats.harmonise`` keeps working; new code imports from
:mod:`retrostats.effects.harmonise` or the flat ``retrostats``
namespace. Nothing in the package imports this module.
"""

from .effects.harmonise import *  # noqa: F403
from .effects.harmonise import __all__ as __all__
