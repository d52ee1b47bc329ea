"""``python -m retrostats.cli``: the ``retrostats`` command."""

from . import main

raise SystemExit(main())
