"""MNIST through TensorFlow Datasets, offline, returned as numpy arrays.

Optional: needs ``pip install layergraph[tfds]`` (``tensorflow-datasets``,
``tensorflow-cpu`` and, on Python 3.11, ``importlib_resources``). This module
imports nothing from TFDS or TensorFlow at import time; the core package
never imports it except lazily from :func:`layergraph.datasets.mnist.load`.

How it stays offline: the TFDS ``mnist`` builder is prepared with
``DownloadConfig(manual_dir=<dir with the 4 official .gz files>,
try_download_gcs=False)`` and ``tfds.builder(..., try_gcs=False)``, so TFDS
takes the files from ``manual_dir`` (verifying their checksums against its
own registry) and opens no connection. The prepared copy lives in
``data_dir`` (default ``$XDG_CACHE_HOME/layergraph/tfds``); TFDS's
temporary download/extract directory is removed after preparation.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from layergraph.datasets._download import cache_dir, ensure_writable_dir

__all__ = ["INSTALL_HINT", "import_tfds", "default_data_dir", "load_mnist"]

#: The command that installs the optional TensorFlow Datasets source (named in error messages).
INSTALL_HINT = "pip install layergraph[tfds]"

PathLike = str | os.PathLike


def import_tfds():
    """Import and return ``tensorflow_datasets``, or raise a helpful ImportError."""
    try:
        import tensorflow_datasets as tfds
    except ImportError as exc:
        raise ImportError(
            f"the 'tfds' MNIST source needs tensorflow-datasets and TensorFlow: "
            f"{INSTALL_HINT}  (or use mnist.load(source='idx'), which needs only numpy); "
            f"import failed with: {exc}"
        ) from exc
    return tfds


def default_data_dir() -> Path:
    """``$XDG_CACHE_HOME/layergraph/tfds`` (``~/.cache/layergraph/tfds``)."""
    return cache_dir("tfds")


def _to_numpy(x, y, split: str) -> tuple[np.ndarray, np.ndarray]:
    """TFDS ``(n, 28, 28, 1)`` uint8 / ``(n,)`` int64 -> ``(n, 28, 28)`` / ``(n,)`` uint8."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 4 or x.shape[1:] != (28, 28, 1) or x.dtype != np.uint8:
        raise ValueError(f"TFDS mnist split {split!r}: unexpected images {x.dtype} {x.shape}")
    if y.shape != (len(x),) or (y.size and (y.min() < 0 or y.max() > 9)):
        raise ValueError(f"TFDS mnist split {split!r}: unexpected labels {y.dtype} {y.shape}")
    return np.ascontiguousarray(x[..., 0]), y.astype(np.uint8)


def load_mnist(
    manual_dir: PathLike | Callable[[], PathLike],
    data_dir: PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST train and test splits through TFDS, without network access.

    Parameters
    ----------
    manual_dir : path-like or callable
        Directory holding the four official ``*-ubyte.gz`` files (may be
        read-only), or a zero-argument callable returning it. A callable is
        only invoked when TFDS still has to prepare the dataset, so an
        already prepared ``data_dir`` needs no files.
    data_dir : path-like, optional
        TFDS data directory for the prepared copy (written once, about 23 MB).
        Default :func:`default_data_dir`.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``uint8`` arrays of shape ``(n, 28, 28)`` and ``(n,)``, the same
        format as :func:`layergraph.datasets.mnist.load_idx`. The order of
        examples is TFDS's own, not the IDX files' order.

    Raises
    ------
    ImportError
        If ``tensorflow_datasets`` is not installed (message says
        ``pip install layergraph[tfds]``).
    OSError
        If ``data_dir`` is not writable (naming it).
    """
    tfds = import_tfds()
    data_dir = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    builder = tfds.builder("mnist", data_dir=os.fspath(data_dir), try_gcs=False)
    if not builder.is_prepared():
        ensure_writable_dir(data_dir)
        files_dir = manual_dir() if callable(manual_dir) else manual_dir
        config = tfds.download.DownloadConfig(
            manual_dir=os.fspath(files_dir), try_download_gcs=False
        )
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".mnist-downloads-") as tmp:
            builder.download_and_prepare(download_dir=tmp, download_config=config)
    train, test = tfds.as_numpy(
        builder.as_dataset(split=["train", "test"], batch_size=-1, as_supervised=True)
    )
    return _to_numpy(*train, "train"), _to_numpy(*test, "test")
