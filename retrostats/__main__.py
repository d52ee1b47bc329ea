"""``python -m retrostats``: the ``retrostats`` command (:func:`retrostats.cli.main`)."""

from .cli import main

if __name__ == "__main__":  # importing the module (e.g. pkgutil.walk_packages) runs nothing
    raise SystemExit(main())
