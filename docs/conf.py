"""Sphinx configuration of the layergraph documentation.

Build with ``make docs`` (offline, warnings are errors). The tutorials in
``docs/tutorials/plot_*.py`` are executed by sphinx-gallery at build time;
their output and figures are part of the pages.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

# The tutorials multiply small matrices: on a small machine BLAS threads cost
# more than they bring (several times slower under load), so use one each.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # no display while tutorials run

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))  # layergraph_api (the reference by namespace), layergraph_gallery

# The MNIST tutorials read the four IDX files from $LAYERGRAPH_MNIST_DIR, else
# from ../shared/data/mnist beside the repository; without them they still build.
if not os.environ.get("LAYERGRAPH_MNIST_DIR"):
    shared = ROOT.parent / "shared" / "data" / "mnist"
    if (shared / "train-images-idx3-ubyte.gz").exists():
        os.environ["LAYERGRAPH_MNIST_DIR"] = str(shared)

import layergraph  # noqa: E402

project = "layergraph"
author = "the layergraph developers"
copyright = "2025, the layergraph developers"
release = version = layergraph.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 from the pip package, copied into _static/mathjax
    "sphinx.ext.viewcode",
    "sphinxarg.ext",  # the command-line reference, read from the argument parser
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "layergraph_api",
]

exclude_patterns = ["_build", "tutorials/README.rst", "Thumbs.db", ".DS_Store"]
templates_path = []
root_doc = "index"

# -- the API reference -------------------------------------------------------------
# One page per public namespace (docs/api/*.rst, each with ``.. lg-namespace::``);
# docs/_ext/layergraph_public.py lists the namespaces and says what is shown.

# -- autodoc / napoleon (numpy style) -------------------------------------------
autodoc_default_options = {"member-order": "bysource"}
autosummary_generate = False
autodoc_typehints = "description"
autodoc_preserve_defaults = True  # defaults as written (``contenders=CONTENDERS``), not reprs with addresses
autodoc_class_signature = "mixed"  # the constructor's signature first, on the class line
autoclass_content = "class"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes" sections as fields: no duplicates with undoc-members
napoleon_custom_sections = ["Shapes"]

# No network, at build time or when reading: no intersphinx, and MathJax is
# served from the site itself (sphinx-mathjax-offline sets mathjax_path to
# its copy in _static/mathjax; tests/test_docs.py checks that no page loads
# a remote script or stylesheet).
intersphinx_mapping = {}

# -- sphinx-gallery ----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "tutorials",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|(^|/)_[^/]*\.py$",  # helpers such as tutorials/_mnist_data.py
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "image_srcset": ["2x"],  # sharp figures on any screen; a click opens the full size (_static/figures.js)
    # matplotlib's settings, and the default layer names (dense, dense_1...), start afresh in every tutorial
    "reset_modules": ("matplotlib", "layergraph_gallery.reset_layer_names"),
    "show_memory": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "min_reported_time": 1,
    # The execution-times pages load jQuery and DataTables from CDNs: the site must work offline.
    "write_computation_times": False,
}

# -- matplotlib plot directive (architecture diagram) ----------------------------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("svg", 100)]  # vector: the diagram's text stays sharp at any zoom

# -- HTML ----------------------------------------------------------------------------
html_theme = "furo"
html_title = f"layergraph {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_js_files = ["figures.js"]
html_show_sourcelink = False
