"""Old path of :mod:`retrostats.effects.registry` (the effect-size wing moved into ``retrostats/effects/``).

Kept so that code written against ``retrostats.registry_effects`` keeps working; new code imports from
:mod:`retrostats.effects.registry` or the flat ``retrostats``
namespace. Nothing in the package imports this module.
"""

from .effects.registry import *  # noqa: F403
from .effects.registry import __all__ as __all__
