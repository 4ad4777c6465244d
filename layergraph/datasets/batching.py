"""Preprocessing and mini-batching, vectorised (the tutorial's MNIST pipeline).

>>> import numpy as np
>>> from layergraph.datasets.batching import normalize, flatten, to_categorical, BatchIterator
>>> x = np.zeros((5, 28, 28), dtype=np.uint8); y = np.array([0, 1, 2, 1, 0])
>>> xf = flatten(normalize(x)); yc = to_categorical(y)
>>> xf.shape, yc.shape
((5, 784), (5, 3))
>>> it = BatchIterator(xf, yc, batch_size=2, seed=0)
>>> len(it), [xb.shape[0] for xb, yb in it]
(3, [2, 2, 1])
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator

import numpy as np

__all__ = ["normalize", "flatten", "to_categorical", "batches", "BatchIterator"]

SeedLike = int | np.random.Generator | None


def _numeric(a, name: str) -> np.ndarray:
    """``np.asarray(a)``, requiring a numeric (bool/int/float/complex) dtype."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    return arr


def normalize(x, dtype="float64") -> np.ndarray:
    """Scale 8-bit pixel values to ``[0, 1]``: ``x / 255``.

    Parameters
    ----------
    x : array_like of numbers, any shape
        Pixel values in ``0..255`` (e.g. ``uint8`` images ``(n, 28, 28)``).
    dtype : str or numpy.dtype
        Floating output dtype.

    Returns
    -------
    numpy.ndarray
        New array of ``x``'s shape and ``dtype``.
    """
    x = _numeric(x, "x")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"normalize dtype must be a floating dtype, got {dtype}")
    out = x.astype(dtype)  # always a copy: the caller's array is untouched
    out /= 255
    return out


def flatten(x) -> np.ndarray:
    """Reshape ``(n, d1, d2, ...)`` to ``(n, d1 * d2 * ...)``, e.g. ``(n, 784)``.

    Returns a view when ``x`` is contiguous. A 1-D ``(n,)`` input gives ``(n, 1)``.
    """
    x = _numeric(x, "x")
    if x.ndim == 0:
        raise ValueError("flatten needs an array of shape (n, ...), got a scalar")
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))  # not -1: works for n == 0


def to_categorical(y, num_classes: int | None = None, dtype="float64") -> np.ndarray:
    """One-hot encode integer class labels (Keras semantics).

    Parameters
    ----------
    y : array_like of int, shape ``(n,)`` (or any shape; a trailing axis of
        size 1 is dropped, as in Keras)
        Class indices in ``0 .. num_classes - 1``. Floats are accepted when
        they hold whole numbers.
    num_classes : int, optional
        Number of classes; default ``max(y) + 1``.
    dtype : str or numpy.dtype
        Output dtype.

    Returns
    -------
    numpy.ndarray
        Shape ``y.shape + (num_classes,)``, with ``out[..., y] = 1``.

    Raises
    ------
    TypeError
        If ``y`` is not numeric.
    ValueError
        If a label is negative, not a whole number, or ``>= num_classes``, or
        ``num_classes`` is not a positive int.
    """
    y = _numeric(y, "y")
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = y.reshape(-1)
    if flat.dtype.kind in "fc":
        if not np.all(np.isfinite(flat)) or np.any(flat != np.round(flat.real)):
            raise ValueError("to_categorical labels must be whole numbers, got non-integer values")
        flat = flat.real
    if flat.size and flat.min() < 0:
        raise ValueError(f"to_categorical labels must be >= 0, got {flat.min()}")
    flat = flat.astype(np.int64)
    if num_classes is None:
        if flat.size == 0:
            raise ValueError("to_categorical cannot infer num_classes from empty labels")
        num_classes = int(flat.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
            or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    num_classes = int(num_classes)
    if flat.size and flat.max() >= num_classes:
        raise ValueError(
            f"to_categorical label {flat.max()} is out of range for num_classes={num_classes}"
        )
    out = np.zeros((flat.size, num_classes), dtype=dtype)
    out[np.arange(flat.size), flat] = 1
    return out.reshape(shape + (num_classes,))


def _check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"batch_size must be a positive int, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size}")
    return int(batch_size)


def _check_xy(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = _numeric(x, "x"), _numeric(y, "y")
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"x and y must have the same number of samples (first axis), "
            f"got x.shape={x.shape} and y.shape={y.shape}"
        )
    return x, y


def _epoch(x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator | None):
    """One pass over the data; ``rng=None`` means in order (slices are views)."""
    n = len(x)
    if rng is None:
        for start in range(0, n, batch_size):
            stop = start + batch_size
            yield x[start:stop], y[start:stop]
        return
    order = rng.permutation(n)  # the epoch's single permutation
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]  # fancy indexing copies only this batch


def batches(x, y, batch_size: int, shuffle: bool = True,
            seed: SeedLike = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Iterate over one epoch of mini-batches ``(xb, yb)``.

    Every sample appears exactly once; the last batch holds the remainder
    (``n % batch_size`` samples) when ``n`` is not a multiple.

    Parameters
    ----------
    x : array_like of numbers, shape ``(n, ...)``
    y : array_like of numbers, shape ``(n, ...)``
    batch_size : int
        Positive number of samples per batch.
    shuffle : bool
        Visit samples in a random order (one permutation for the epoch,
        applied per batch by fancy indexing). If ``False``, batches are
        in-order views (slices) of ``x`` and ``y``.
    seed : None, int or numpy.random.Generator
        Seed for the shuffle; a ``Generator`` is used (and advanced) directly.

    Yields
    ------
    xb : numpy.ndarray, shape ``(b, ...)``
    yb : numpy.ndarray, shape ``(b, ...)``
        With ``b = batch_size`` except possibly for the last batch.

    Raises
    ------
    TypeError
        If ``x`` or ``y`` is not numeric, or ``batch_size`` is not an int.
    ValueError
        If ``x`` and ``y`` differ in length (both shapes are named) or
        ``batch_size < 1``.
    """
    # Validate eagerly (not at the first next()), then hand out the generator.
    x, y = _check_xy(x, y)
    batch_size = _check_batch_size(batch_size)
    rng = np.random.default_rng(seed) if shuffle else None
    return _epoch(x, y, batch_size, rng)


class BatchIterator:
    """Re-iterable mini-batches: each ``iter()`` is a new (re-shuffled) epoch.

    Parameters
    ----------
    x, y, batch_size, shuffle, seed
        As in :func:`batches`. The random generator is created once from
        ``seed``, so successive epochs get different orders while the whole
        sequence of epochs is reproducible for a given int seed.

    Examples
    --------
    >>> import numpy as np
    >>> it = BatchIterator(np.arange(10), np.arange(10), batch_size=4, seed=0)
    >>> len(it)
    3
    >>> sorted(int(v) for xb, _ in it for v in xb) == list(range(10))
    True
    """

    def __init__(self, x, y, batch_size: int, shuffle: bool = True, seed: SeedLike = None):
        self.x, self.y = _check_xy(x, y)
        self.batch_size = _check_batch_size(batch_size)
        self.shuffle = bool(shuffle)
        self._rng = np.random.default_rng(seed) if self.shuffle else None

    @property
    def num_samples(self) -> int:
        """Number of samples ``n``."""
        return len(self.x)

    def __len__(self) -> int:
        """Number of batches per epoch, ``ceil(n / batch_size)``."""
        return -(-len(self.x) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return _epoch(self.x, self.y, self.batch_size, self._rng)

    def __repr__(self) -> str:
        return (f"BatchIterator(num_samples={self.num_samples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, batches={len(self)})")
