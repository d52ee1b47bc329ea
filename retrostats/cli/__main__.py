"""``python -m retrostats.cli``: the ``retrostats`` command (:func:`retrostats.cli.run`)."""

from . import run

if __name__ == "__main__":  # importing the module (e.g. pkgutil.walk_packages) runs nothing
    run()
