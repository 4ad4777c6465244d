# The README's two commands: `make demo` and `make test`. Both create .venv
# and install layergraph into it first, so a fresh machine needs only Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The shared MNIST files beside the repo, when present (tests skip without them).
MNIST_DIR ?= $(abspath ../shared/data/mnist)
export LAYERGRAPH_MNIST_DIR ?= $(if $(wildcard $(MNIST_DIR)/train-images-idx3-ubyte.gz),$(MNIST_DIR),)

.PHONY: demo test test-tfds test-latest test-wheel lint lock bench docs clean

# Every environment is installed with a committed lock as pip constraints, so
# CI and a new user get the versions the suite was last run with (numpy and
# scipy bring their own BLAS, so the lock fixes the kernels too). setup.cfg
# keeps the version ranges; `make lock` turns them into the lock files.
# --build-constraint holds the build backend (setuptools) that pip installs to
# build layergraph to the same lock; it needs pip >= 25.3, which each
# environment first gets from the lock.
LOCK := requirements/constraints.txt
LOCK_TFDS := requirements/constraints-tfds.txt
LOCKED := -c $(LOCK) --build-constraint $(LOCK)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet $(LOCKED) -e ".[test,dev]"
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
	$(BIN)/python -m pip install --quiet $(LOCKED) -e ".[test,dev,docs]"
	touch $@

docs: $(VENV)/.installed-docs
	# Sphinx never deletes a page whose source is gone, and a generated source left by an older
	# build (an execution-times page) would be built again: start from the sources alone.
	rm -rf docs/_build/html docs/auto_examples docs/gen_modules docs/sg_execution_times.rst
	$(BIN)/python -m sphinx -b html -E -W --keep-going -D sphinx_gallery_conf.run_stale_examples=True docs docs/_build/html
	$(BIN)/python -m pytest -q tests/test_docs.py -k built_site  # offline, every public name, no build paths

test: $(VENV)/.installed
	$(BIN)/python -m pytest

# The TFDS source needs TensorFlow: it gets its own environment and its own
# lock (TensorFlow's ~40 dependencies stay out of the main one; the packages
# both share are held to the main lock's versions) so that the main
# environment stays light and `auto` there keeps reading the IDX files.
TFDS_VENV := .venv-tfds
$(TFDS_VENV)/.installed: setup.cfg pyproject.toml $(LOCK_TFDS)
	$(PYTHON) -m venv $(TFDS_VENV)
	$(TFDS_VENV)/bin/python -m pip install --quiet -c $(LOCK_TFDS) --upgrade pip setuptools
	$(TFDS_VENV)/bin/python -m pip install --quiet -c $(LOCK_TFDS) --build-constraint $(LOCK_TFDS) -e ".[test,tfds]"
	touch $@

test-tfds: $(TFDS_VENV)/.installed
	$(TFDS_VENV)/bin/python -m pytest tests/datasets/test_mnist_tfds.py

# `make test-latest`: the suite against the newest releases that setup.cfg's
# ranges allow, without the lock, in .venv-latest (upgraded on every run), to
# see whether `make lock UPGRADE=1` is safe. It prints the versions it got.
LATEST_VENV := .venv-latest
test-latest:
	test -x $(LATEST_VENV)/bin/python || $(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e ".[test]"
	$(LATEST_VENV)/bin/python -m pip list --format=freeze --exclude-editable
	$(LATEST_VENV)/bin/python -m pytest

# `make test-wheel`: the suite against the built wheel, as a user installs it,
# to catch files left out of the package and imports that only work from the
# source tree. `python -m build` makes the sdist and the wheel from it (its
# isolated build environment is held to the lock through PIP_CONSTRAINT, a
# plain `pip install` there); the wheel goes into a new .venv-wheel with the
# lock; pytest runs from an empty temporary directory so that only the
# installed package is importable (the tests themselves, README and docs are
# still read from the repository), with doctests from the installed modules
# (--pyargs). LAYERGRAPH_TEST_WHEEL turns on tests/test_packaging.py, which
# checks the wheel's contents and that every module imports from site-packages.
WHEEL_VENV := .venv-wheel
WHEEL_DIR := build/wheel
ASSERT_INSTALLED := import layergraph, pathlib, sysconfig; \
	f = pathlib.Path(layergraph.__file__).resolve(); \
	site = pathlib.Path(sysconfig.get_path("purelib")).resolve(); \
	assert f.is_relative_to(site), f"layergraph imported from {f}, not from {site}"; \
	print("layergraph under test:", f)
test-wheel: $(VENV)/.installed
	rm -rf $(WHEEL_DIR) $(WHEEL_VENV)
	PIP_CONSTRAINT=$(abspath $(LOCK)) $(BIN)/python -m build --outdir $(WHEEL_DIR) .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet -c $(LOCK) --upgrade pip setuptools
	$(WHEEL_VENV)/bin/python -m pip install --quiet -c $(LOCK) "$$(ls $(WHEEL_DIR)/layergraph-*.whl)[test]"
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cd "$$tmp" && \
	$(abspath $(WHEEL_VENV))/bin/python -c '$(ASSERT_INSTALLED)' && \
	LAYERGRAPH_TEST_WHEEL="$$(ls $(abspath $(WHEEL_DIR))/layergraph-*.whl)" \
	$(abspath $(WHEEL_VENV))/bin/python -m pytest -c $(CURDIR)/setup.cfg --rootdir=$(CURDIR) \
		-p no:cacheprovider --import-mode=importlib $(CURDIR)/tests --pyargs layergraph

# `make lint`: ruff (configured in pyproject.toml) and import-linter's
# contracts (pyproject.toml, [tool.importlinter]). Both run; either failing
# fails the target. .ci/run runs it after `make test`.
$(VENV)/.installed-lint: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet $(LOCKED) -e ".[test,dev,lint]"
	touch $@

lint: $(VENV)/.installed-lint
	status=0; \
	$(BIN)/ruff check layergraph tests benchmarks docs || status=1; \
	$(BIN)/lint-imports || status=1; \
	exit $$status

# `make lock` rewrites both lock files from setup.cfg's ranges and
# requirements/tools.in (pip and the build backend). It needs the network
# (PyPI); uv, pinned here, is installed into a throw-away venv. Existing pins
# are kept while setup.cfg still allows them; `make lock UPGRADE=1` moves
# every package to its newest release (then run `make test` and commit).
# Why uv's `pip compile` and not pip-tools: it resolves for Python 3.11 on
# every platform whatever interpreter and OS run it (--universal
# --python-version 3.11), with one version per package (--fork-strategy
# fewest), so the file is the same from any machine and is what CI installs;
# pip-compile resolves only for the interpreter and platform it runs on, and
# depends on pip's internals. The TFDS lock is resolved under the main one.
UV_VERSION := 0.13.9
LOCK_FLAGS := --no-config --universal --fork-strategy fewest --python-version 3.11 \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade,)
lock:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp" && "$$tmp/bin/python" -m pip install --quiet uv==$(UV_VERSION) && \
	"$$tmp/bin/uv" pip compile $(LOCK_FLAGS) setup.cfg requirements/tools.in \
		--extra test --extra dev --extra docs --extra lint --extra bench -o $(LOCK) >/dev/null && \
	"$$tmp/bin/uv" pip compile $(LOCK_FLAGS) setup.cfg requirements/tools.in \
		--extra test --extra tfds -c $(LOCK) -o $(LOCK_TFDS) >/dev/null

clean:
	rm -rf $(VENV) $(TFDS_VENV) $(LATEST_VENV) $(WHEEL_VENV) build dist *.egg-info docs/_build docs/auto_examples docs/gen_modules docs/sg_execution_times.rst
