"""``python -m retrostats``: the ``retrostats`` command (:func:`retrostats.cli.run`)."""

from .cli import run

if __name__ == "__main__":  # importing the module (e.g. pkgutil.walk_packages) runs nothing
    run()
