"""Sphinx configuration of the arrayapi_autograd documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html``.  At build time
:func:`_generate` writes the pages that depend on the installed code into
``docs/_generated/`` (ignored by git): the API list of transforms that exist,
the op tables, the compatibility table of third-party libraries (by running
``tests/integration/_cases.py``), the report of a quick conformance run and the
benchmark outputs.
"""

from __future__ import annotations

import os
import sys

# SciPy reads this once, at its first import: before anything imports it.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import arrayapi_autograd  # noqa: E402

project = "arrayapi_autograd"
author = "arrayapi_autograd developers"
copyright = "arrayapi_autograd developers"
release = version = arrayapi_autograd.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "matplotlib.sphinxext.plot_directive",
    "myst_parser",  # renders the Markdown reports (conformance, benchmarks) as HTML
]
myst_enable_extensions: list = []


napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_custom_sections = ["Differentiation"]  # the namespace functions' derivative part
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options: dict = {}

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]

html_theme = "alabaster"
html_title = "arrayapi_autograd"
exclude_patterns = ["_build", "_generated", "benchmarks", "consumers", "examples"]  # included by _generated pages
templates_path: list = []
html_static_path = ["_static"]
html_css_files = ["custom.css"]  # code blocks wrap instead of being clipped
nitpicky = False


def setup(app):
    app.connect("builder-inited", lambda app: _generate_all())


def _generate_all():
    import _generate

    from sphinx.util import logging

    for failure in _generate.main(os.path.join(HERE, "_generated"), ROOT):
        logging.getLogger(__name__).warning("generated page failed: %s", failure)
