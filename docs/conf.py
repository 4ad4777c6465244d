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
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

exclude_patterns = ["_build", "tutorials/README.rst", "Thumbs.db", ".DS_Store"]
templates_path = []
root_doc = "index"

# -- autodoc / napoleon (numpy style) -------------------------------------------
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True, "member-order": "bysource"}
autodoc_typehints = "description"
autodoc_class_signature = "separated"
autoclass_content = "class"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes" sections as fields: no duplicates with undoc-members
napoleon_custom_sections = ["Shapes"]

# No network at build time: no intersphinx, and MathJax is served by the
# browser from its usual place only when a page with maths is viewed.
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
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "min_reported_time": 1,
}

# -- matplotlib plot directive (architecture diagram) ----------------------------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]

# -- HTML ----------------------------------------------------------------------------
html_theme = "furo"
html_title = f"layergraph {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
