"""``python -m retrostats.cli``: the ``retrostats`` command."""

from . import main

if __name__ == "__main__":  # importing the module (e.g. pkgutil.walk_packages) runs nothing
    raise SystemExit(main())
