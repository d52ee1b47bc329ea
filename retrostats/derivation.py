"""Old path of :mod:`retrostats.effects.derivation` (the effect-size wing moved into ``retrostats/effects/``).

Kept because ``retrostats.derivation`` is a public submodule of the flat namespace (``step`` for a custom
derivation trail); new code imports from :mod:`retrostats.effects.derivation`. Nothing in the package imports
this module.
"""

from .effects.derivation import *  # noqa: F403
from .effects.derivation import __all__ as __all__
