"""Sphinx configuration of emkit's documentation site (``make docs``)."""

import logging
import os
import sys
import warnings

import emkit

# -- Project ---------------------------------------------------------------------------
project = "emkit"
author = "the emkit developers"
copyright = "2026, the emkit developers"
version = release = emkit.__version__

# -- Extensions ------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinxarg.ext",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples",
                    "auto_examples/*.ipynb", "auto_examples/**/*.ipynb"]
templates_path = ["_templates"]
default_role = "literal"
# Quotes and ellipses only: "--" stays two hyphens (command-line options, in prose too).
smartquotes_action = "qe"

# -- API reference: autodoc, autosummary, numpydoc ---------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Examples gallery ----------------------------------------------------------------
os.environ.setdefault("MPLBACKEND", "Agg")
sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    # The tour first (the order of ``emkit demo``), then the README's examples; each in
    # the order of its file names' numbers.
    "subsection_order": ["examples/tour", "examples/readme"],
    "within_subsection_order": "FileNameSortKey",
    # An example whose source did not change since the last build is not run again.
    "run_stale_examples": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    # No sg_execution_times.rst in the source tree (the build log lists slow examples).
    "write_computation_times": False,
}
# The examples' own warnings (a ConvergenceWarning a fit reports on purpose) belong
# to their output, not to Sphinx's.
warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")
# accessible-pygments (a dependency of furo) calls logging.basicConfig(level=INFO) when
# it is imported, so every library's INFO records (the Dask examples' clusters starting
# and stopping) would fill the build's log. Import it first, then undo that.
_root = logging.getLogger()
_handlers, _level = list(_root.handlers), _root.level
try:
    import a11y_pygments  # noqa: F401
except ImportError:
    pass
for _handler in set(_root.handlers) - set(_handlers):
    _root.removeHandler(_handler)
_root.setLevel(_level)

# -- HTML ---------------------------------------------------------------------------
html_theme = "furo"
html_title = f"emkit {release}"
html_static_path = []
html_show_sourcelink = False

# -- MyST (BENCHMARKS.md) -----------------------------------------------------------
myst_heading_anchors = 0
suppress_warnings = ["myst.header"]

sys.path.insert(0, os.path.abspath("."))


def _skip_foreign_members(app, what, name, obj, skip, options):
    # Members a class inherits from scikit-learn (get_params, set_output, the metadata
    # routing requests, ...) are documented there; the reference shows emkit's own.
    target = getattr(obj, "fget", None) or getattr(obj, "__func__", None) or obj
    module = getattr(target, "__module__", None)
    if what == "class" and module is not None and not module.startswith("emkit"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
