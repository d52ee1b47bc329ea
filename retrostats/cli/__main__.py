"""``python -m retrostats.cli``: the ``retrostats`` command."""

from . import main

if __name__ == "__main__":  # not when imported (pytest --doctest-modules imports every module of the package)
    raise SystemExit(main())
