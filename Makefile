# The README's two commands: `make demo` and `make test`. Both create .venv
# and install layergraph into it first, so a fresh machine needs only Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The shared MNIST files beside the repo, when present (tests skip without them).
MNIST_DIR ?= $(abspath ../shared/data/mnist)
export LAYERGRAPH_MNIST_DIR ?= $(if $(wildcard $(MNIST_DIR)/train-images-idx3-ubyte.gz),$(MNIST_DIR),)

.PHONY: demo test test-tfds bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# The MNIST run (the tutorial's MLP, 20 epochs, ~15 s) reads the files from
# $$LAYERGRAPH_MNIST_DIR or the cache, downloads them when missing, and is
# skipped with a message when neither works. Its figures go to build/demo/.
demo: $(VENV)/.installed
	$(BIN)/python -m layergraph gates
	$(BIN)/python -m layergraph xor
	$(BIN)/python -m layergraph mnist --skip-missing --verbose 2 --plot build/demo/mnist.png

# `make docs`: the Sphinx site in docs/_build/html, every tutorial executed;
# offline, warnings are errors; then the checks of the built pages. The docs
# extra gets its own stamp file.
$(VENV)/.installed-docs: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	touch $@

docs: $(VENV)/.installed-docs
	$(BIN)/python -m sphinx -b html -E -W --keep-going -D sphinx_gallery_conf.run_stale_examples=True docs docs/_build/html
	$(BIN)/python -m pytest -q tests/test_docs.py -k built_site  # offline, every public name, no build paths

test: $(VENV)/.installed
	$(BIN)/python -m pytest

# The TFDS source needs TensorFlow: it gets its own environment so that the
# main one stays light and `auto` there keeps reading the IDX files.
TFDS_VENV := .venv-tfds
$(TFDS_VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(TFDS_VENV)
	$(TFDS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TFDS_VENV)/bin/python -m pip install --quiet -e ".[test,tfds]"
	touch $@

test-tfds: $(TFDS_VENV)/.installed
	$(TFDS_VENV)/bin/python -m pytest tests/datasets/test_mnist_tfds.py

clean:
	rm -rf $(VENV) $(TFDS_VENV) build *.egg-info docs/_build docs/auto_examples docs/gen_modules docs/sg_execution_times.rst
