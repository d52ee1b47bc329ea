"""Old path of :mod:`retrostats.effects.extraction_contrasts` (the effect-size wing moved into ``retrostats/effects/``).

Kept so that code written against ``retrostats.extraction_contrasts`` keeps working; new code imports from
:mod:`retrostats.effects.extraction_contrasts` or the flat ``retrostats``
namespace. Nothing in the package imports this module.
"""

from .effects.extraction_contrasts import *  # noqa: F403
from .effects.extraction_contrasts import __all__ as __all__
