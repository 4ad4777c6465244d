"""The MNIST handwritten digits, in the format of ``keras.datasets.mnist``.

>>> from layergraph.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load()      # doctest: +SKIP
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data() # doctest: +SKIP
>>> x_train.shape, x_train.dtype, y_train.shape              # doctest: +SKIP
((60000, 28, 28), dtype('uint8'), (60000,))

Two sources give identical data:

``"idx"`` (numpy only)
    Reads the four official ``*-ubyte.gz`` files from a directory, chosen as
    the ``data_dir`` argument, else ``$LAYERGRAPH_MNIST_DIR``, else
    ``$XDG_CACHE_HOME/layergraph/mnist`` (``~/.cache/layergraph/mnist``).
    Missing files are downloaded into that directory from the mirror that
    TensorFlow Datasets uses (:data:`MIRROR_URL`); each file's size and
    sha256 are checked before use. Nothing touches the network when the
    four files are present, so an offline machine only needs the files.
``"tfds"`` (optional, ``pip install layergraph[tfds]``)
    Goes through ``tensorflow_datasets``, fed offline from the same four
    files; see :mod:`layergraph.datasets.tfds_source`.

Dataset: Yann LeCun, Corinna Cortes, Christopher J.C. Burges,
"The MNIST database of handwritten digits", CC BY-SA 3.0.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

# tfds_source imports TensorFlow only when it loads data: the core stays light.
from layergraph.datasets import tfds_source
from layergraph.datasets._download import Opener, cache_dir, download_file, verify_file
from layergraph.datasets._idx import read_idx

__all__ = [
    "MIRROR_URL",
    "ENV_VAR",
    "FILES",
    "MnistFile",
    "SOURCES",
    "load",
    "load_data",
    "load_idx",
    "ensure_files",
    "resolve_data_dir",
    "read_idx",
    "read_pair",
]

logger = logging.getLogger(__name__)

#: Base URL of the mirror used by TensorFlow Datasets (files are appended).
MIRROR_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

#: Environment variable naming a directory that holds the four files.
ENV_VAR = "LAYERGRAPH_MNIST_DIR"

#: Values accepted by ``load(source=...)``.
SOURCES = ("auto", "idx", "tfds")

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)


class MnistFile(NamedTuple):
    """One official MNIST file: name, size in bytes and sha256.

    Example
    -------
    >>> from layergraph.datasets import mnist
    >>> mnist.FILES["train_labels"].name, mnist.FILES["train_labels"].size
    ('train-labels-idx1-ubyte.gz', 28881)
    """

    name: str
    size: int
    sha256: str


#: The four official files, with the sizes and sha256 registered by TFDS.
FILES = {
    "train_images": MnistFile(
        "train-images-idx3-ubyte.gz", 9912422,
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train_labels": MnistFile(
        "train-labels-idx1-ubyte.gz", 28881,
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "test_images": MnistFile(
        "t10k-images-idx3-ubyte.gz", 1648877,
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "test_labels": MnistFile(
        "t10k-labels-idx1-ubyte.gz", 4542,
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}

Split = tuple[np.ndarray, np.ndarray]


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Directory holding (or receiving) the four files.

    ``data_dir`` if given, else ``$LAYERGRAPH_MNIST_DIR`` if set and
    non-empty, else ``$XDG_CACHE_HOME/layergraph/mnist`` (default
    ``~/.cache/layergraph/mnist``). The directory is not created here.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Used when given.

    Example
    -------
    >>> from layergraph.datasets import mnist
    >>> str(mnist.resolve_data_dir("/data/mnist"))
    '/data/mnist'
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return cache_dir("mnist")


def ensure_files(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    base_url: str = MIRROR_URL,
    opener: Opener | None = None,
    progress: bool = True,
) -> Path:
    """Make sure the four official files are present and intact.

    Parameters
    ----------
    data_dir : path-like, optional
        See :func:`resolve_data_dir`.
    download : bool
        Download missing files into the directory. If ``False``, a missing
        file raises ``FileNotFoundError``.
    base_url : str
        URL prefix the file names are appended to (``https://`` or ``file://``).
    opener : callable, optional
        ``opener(url, timeout)`` returning a binary file-like (for tests or
        custom transports); default :func:`urllib.request.urlopen`.
    progress : bool
        Show a tqdm progress bar while downloading.

    Returns
    -------
    pathlib.Path
        The resolved directory.

    Raises
    ------
    ValueError
        If a file's size or sha256 differs from the official one (the message
        names the file, the expected and the actual values).
    FileNotFoundError
        If a file is missing and ``download`` is ``False``.
    OSError
        If the directory is not writable or a download fails.
    """
    directory = resolve_data_dir(data_dir)
    created = _missing_folders(directory)  # made by the first download, removed again if this call fails
    downloaded = []
    try:
        for f in FILES.values():
            path = directory / f.name
            if path.is_file():
                verify_file(path, f.size, f.sha256)
            elif not download:
                raise FileNotFoundError(
                    f"MNIST file '{path}' is missing and download=False; put the four "
                    f"official files in '{directory}' or set {ENV_VAR}"
                )
            else:
                if not base_url.endswith("/"):
                    base_url += "/"
                download_file(base_url + f.name, path, expected_size=f.size,
                              expected_sha256=f.sha256, opener=opener, progress=progress)
                downloaded.append(path)
    except BaseException:
        if created:
            _remove_created(created, downloaded)
        raise
    return directory


def _missing_folders(directory: Path) -> list[Path]:
    """``directory`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    for folder in (directory, *directory.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _remove_created(folders: list[Path], files: list[Path]) -> None:
    """Undo a failed :func:`ensure_files` in folders it created: the files it downloaded there, then the folders
    (each only if nothing else appeared in it meanwhile). A folder that existed before keeps its verified files."""
    for path in files:
        if path.parent in folders:
            path.unlink(missing_ok=True)
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (someone else's file) or already gone: leave it
            break


def read_pair(images_path: str | os.PathLike, labels_path: str | os.PathLike) -> Split:
    """Read and cross-check one split (images + labels IDX files), no checksum.

    Parameters
    ----------
    images_path, labels_path : path-like
        IDX files (gzip or raw) holding ``(n, 28, 28)`` ``uint8`` images and
        ``(n,)`` ``uint8`` labels.

    Returns
    -------
    x : numpy.ndarray, shape ``(n, 28, 28)``, dtype ``uint8``
    y : numpy.ndarray, shape ``(n,)``, dtype ``uint8``, values in ``0..9``

    Raises
    ------
    ValueError
        Naming the offending file, if a file is not valid IDX, has the wrong
        dtype or shape, the counts differ, or a label is outside ``0..9``.
    """
    x = read_idx(images_path)
    y = read_idx(labels_path)
    images_path, labels_path = os.fspath(images_path), os.fspath(labels_path)
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"MNIST image file {images_path!r} holds {x.dtype} data of shape {x.shape}, "
            f"expected uint8 of shape (n, {IMAGE_SHAPE[0]}, {IMAGE_SHAPE[1]})"
        )
    if y.dtype != np.uint8 or y.ndim != 1:
        raise ValueError(
            f"MNIST label file {labels_path!r} holds {y.dtype} data of shape {y.shape}, "
            "expected uint8 of shape (n,)"
        )
    if len(x) != len(y):
        raise ValueError(
            f"MNIST image/label count mismatch: {images_path!r} has {len(x)} images "
            f"but {labels_path!r} has {len(y)} labels"
        )
    if y.size and y.max() >= NUM_CLASSES:
        bad = int(np.argmax(y >= NUM_CLASSES))
        raise ValueError(
            f"MNIST label file {labels_path!r} has label {int(y[bad])} at index {bad}; "
            f"labels must be in 0..{NUM_CLASSES - 1}"
        )
    return x, y


def load_idx(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    base_url: str = MIRROR_URL,
    opener: Opener | None = None,
    progress: bool = True,
) -> tuple[Split, Split]:
    """Load MNIST from the four official IDX files (numpy only).

    Same arguments as :func:`layergraph.datasets.mnist.ensure_files`.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``uint8`` images of shape ``(60000, 28, 28)`` / ``(10000, 28, 28)``
        and ``uint8`` labels of shape ``(60000,)`` / ``(10000,)``.
    """
    directory = ensure_files(data_dir, download=download, base_url=base_url,
                             opener=opener, progress=progress)
    return tuple(
        read_pair(directory / FILES[f"{split}_images"].name, directory / FILES[f"{split}_labels"].name)
        for split in ("train", "test")
    )


def _tfds_usable() -> bool:
    """True when ``tensorflow_datasets`` imports and TensorFlow is installed."""
    if importlib.util.find_spec("tensorflow_datasets") is None:
        return False
    try:
        import tensorflow_datasets  # noqa: F401  (cheap: does not import TensorFlow)
    except Exception as exc:  # a broken install must not break source="auto"
        logger.info("tensorflow_datasets is installed but does not import (%s)", exc)
        return False
    return importlib.util.find_spec("tensorflow") is not None


def load(
    source: str = "auto",
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    tfds_data_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> tuple[Split, Split]:
    """Load MNIST like ``keras.datasets.mnist.load_data()``.

    Parameters
    ----------
    source : {"auto", "idx", "tfds"}
        ``"idx"`` reads the official files with numpy; ``"tfds"`` goes through
        ``tensorflow_datasets`` (offline, fed from the same files);
        ``"auto"`` uses ``"tfds"`` when ``tensorflow_datasets`` and
        TensorFlow are importable, else ``"idx"``, and logs its choice at
        INFO level on the ``layergraph.datasets.mnist`` logger.
    data_dir : path-like, optional
        Directory of the four ``*-ubyte.gz`` files; see
        :func:`resolve_data_dir`. Missing files are downloaded into it.
    download : bool
        Allow downloading missing files.
    tfds_data_dir : path-like, optional
        Where TFDS keeps its prepared copy (``"tfds"`` only). Default
        ``$XDG_CACHE_HOME/layergraph/tfds``.
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: ``uint8`` array of shape ``(n, 28, 28)``, values 0..255;
        ``y``: ``uint8`` array of shape ``(n,)``, values 0..9;
        ``n`` is 60000 for train and 10000 for test.

    Raises
    ------
    ValueError
        For an unknown ``source`` or a corrupt / non-official file.
    ImportError
        For ``source="tfds"`` without ``tensorflow_datasets`` installed.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown MNIST source {source!r}; expected one of {SOURCES}")
    if source == "auto":
        source = "tfds" if _tfds_usable() else "idx"
        logger.info("mnist.load(source='auto') uses the %r source", source)
    if source == "idx":
        return load_idx(data_dir, download=download, progress=progress)

    return tfds_source.load_mnist(
        manual_dir=lambda: ensure_files(data_dir, download=download, progress=progress),
        data_dir=tfds_data_dir,
    )


#: The arrays of a Keras ``mnist.npz`` file.
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path: str | os.PathLike | None = None) -> tuple[Split, Split]:
    """Keras' ``keras.datasets.mnist.load_data()``: ``(x_train, y_train), (x_test, y_test)``.

    Parameters
    ----------
    path : path-like, optional
        A directory of the four official IDX files (missing ones are
        downloaded into it, see :func:`ensure_files`), or an existing
        ``.npz`` file with Keras' arrays ``x_train``, ``y_train``, ``x_test``
        and ``y_test``. Default, and for a ``.npz`` name that does not exist
        (Keras' cache file name ``"mnist.npz"``): the directory of
        :func:`resolve_data_dir`.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``uint8`` images ``(60000, 28, 28)`` / ``(10000, 28, 28)``, values
        0..255, and ``uint8`` labels ``(60000,)`` / ``(10000,)``, values 0..9.

    Raises
    ------
    ValueError
        A corrupt or non-official file, or an ``.npz`` without Keras' arrays.
    """
    if path is not None and os.fspath(path).endswith(".npz"):
        if not os.path.isfile(path):
            path = None
        else:
            return _load_npz(os.fspath(path))
    (x_train, y_train), (x_test, y_test) = load_idx(path)
    return (x_train, y_train), (x_test, y_test)


def _load_npz(path: str) -> tuple[Split, Split]:
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in NPZ_KEYS if key not in data.files]
            if missing:
                raise ValueError(f"MNIST file {path!r} lacks the arrays {missing}; "
                                 f"a Keras mnist.npz holds {list(NPZ_KEYS)}")
            arrays = {key: data[key] for key in NPZ_KEYS}
    except (OSError, EOFError) as err:
        raise ValueError(f"MNIST file {path!r} is not a readable .npz archive ({err})") from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE or y.shape != (len(x),) \
                or y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() >= NUM_CLASSES)):
            raise ValueError(f"MNIST file {path!r}: x_{split} must be uint8 images (n, 28, 28) and y_{split} n labels "
                             f"in 0..9, got {x.dtype} {x.shape} and {y.dtype} {y.shape}")
    return ((arrays["x_train"], arrays["y_train"].astype(np.uint8)),
            (arrays["x_test"], arrays["y_test"].astype(np.uint8)))
