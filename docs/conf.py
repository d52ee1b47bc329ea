"""Sphinx configuration: API reference from the numpydoc docstrings, user guide in Markdown (MyST).

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors; tests/test_docs.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrostats import __version__  # noqa: E402

project = "retrostats"
author = "retrostats developers"
copyright = "retrostats developers"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

autosummary_generate = False
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing"]  # links to repository files outside docs/ (README, notebooks)

html_theme = "alabaster"
html_title = f"retrostats {version}"
html_static_path: list[str] = []
