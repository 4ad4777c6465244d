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

demo: $(VENV)/.installed
	$(BIN)/python -m layergraph gates
	$(BIN)/python -m layergraph xor

test: $(VENV)/.installed
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info docs/_build
