"""``python -m retrostats``: the ``retrostats`` command (:func:`retrostats.cli.main`)."""

from .cli import main

raise SystemExit(main())
