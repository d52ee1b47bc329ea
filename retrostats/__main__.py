"""``python -m retrostats``: the ``retrostats`` command (:func:`retrostats.cli.main`)."""

from .cli import main

if __name__ == "__main__":  # not when imported (pytest --doctest-modules imports every module of the package)
    raise SystemExit(main())
