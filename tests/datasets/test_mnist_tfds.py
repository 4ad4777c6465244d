"""The TFDS source yields the same MNIST as the IDX reader (needs the ``tfds`` extra).

Skipped when ``tensorflow_datasets`` / TensorFlow are not installed or when
``$LAYERGRAPH_MNIST_DIR`` does not point at the four official files. Runs
offline: TFDS is prepared from those files (``manual_dir``) into a fresh
temporary ``data_dir``, with every Python-level connection attempt turned
into an error. Takes about 20-30 s (TFDS preparation dominates).

Run with ``make test-tfds`` or
``LAYERGRAPH_MNIST_DIR=../shared/data/mnist pytest tests/datasets/test_mnist_tfds.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import socket
from pathlib import Path

import numpy as np
import pytest

from layergraph.datasets import _download, mnist

REAL_DIR = os.environ.get("LAYERGRAPH_MNIST_DIR")
if not (REAL_DIR and all((Path(REAL_DIR) / f.name).is_file() for f in mnist.FILES.values())):
    pytest.skip("real MNIST files not available: set LAYERGRAPH_MNIST_DIR to a directory "
                "holding the four official *-ubyte.gz files", allow_module_level=True)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quieter TensorFlow C++ logs
pytest.importorskip("tensorflow_datasets", reason="tensorflow-datasets not installed "
                    "(pip install layergraph[tfds])")
if importlib.util.find_spec("tensorflow") is None:  # not importorskip: importing TF takes seconds
    pytest.skip("TensorFlow not installed (pip install layergraph[tfds])", allow_module_level=True)


def _no_network(*args, **kwargs):
    raise AssertionError("network access attempted while loading MNIST through TFDS")


def _guarded_connect(original):
    def connect(self, address):
        if self.family == getattr(socket, "AF_UNIX", None):
            return original(self, address)
        _no_network()
    return connect


@pytest.fixture(scope="module")
def offline():
    """Forbid network connections (Python level) and our own downloader."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _guarded_connect(socket.socket.connect))
        mp.setattr(socket, "create_connection", _no_network)
        mp.setattr(_download, "_urlopen", _no_network)
        yield mp


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tfds-data")


@pytest.fixture(scope="module")
def from_tfds(offline, tfds_dir):
    return mnist.load("tfds", REAL_DIR, tfds_data_dir=tfds_dir, download=False)


@pytest.fixture(scope="module")
def from_idx(offline):
    return mnist.load("idx", REAL_DIR, download=False)


def pair_digests(x: np.ndarray, y: np.ndarray) -> list[bytes]:
    """Sorted multiset of sha1(image bytes) + label, one per example."""
    return sorted(hashlib.sha1(img.tobytes()).digest() + bytes([int(lbl)])
                  for img, lbl in zip(x, y, strict=True))


def test_tfds_format_matches_keras(from_tfds):
    (xtr, ytr), (xte, yte) = from_tfds
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    assert ytr.shape == (60000,) and yte.shape == (10000,)
    assert xtr.dtype == ytr.dtype == xte.dtype == yte.dtype == np.uint8
    assert xtr.flags.c_contiguous and xte.flags.c_contiguous


@pytest.mark.parametrize("split", [0, 1], ids=["train", "test"])
def test_tfds_and_idx_give_the_same_examples(from_tfds, from_idx, split):
    xt, yt = from_tfds[split]
    xi, yi = from_idx[split]
    np.testing.assert_array_equal(np.bincount(yt, minlength=10), np.bincount(yi, minlength=10))
    assert pair_digests(xt, yt) == pair_digests(xi, yi)


def test_prepared_tfds_needs_no_files(from_tfds, tfds_dir, tmp_path):
    """Once prepared, TFDS data loads even when the IDX directory is empty.

    (With download=False, asking for the files would raise FileNotFoundError.)
    """
    (xtr, ytr), _ = mnist.load("tfds", tmp_path / "empty", tfds_data_dir=tfds_dir,
                               download=False)
    np.testing.assert_array_equal(ytr, from_tfds[0][1])
    assert not (tmp_path / "empty").exists()
    assert not [p for p in tfds_dir.iterdir() if p.name.startswith(".")]  # temp dirs removed


def test_auto_prefers_tfds_when_installed(from_tfds, tfds_dir, caplog):
    with caplog.at_level(logging.INFO, logger="layergraph.datasets.mnist"):
        (_, ytr), _ = mnist.load(data_dir=REAL_DIR, tfds_data_dir=tfds_dir)
    assert "uses the 'tfds' source" in caplog.text
    np.testing.assert_array_equal(ytr, from_tfds[0][1])

