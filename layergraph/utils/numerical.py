"""Array helpers with Keras' names and semantics: :func:`to_categorical` and :func:`normalize`.

Example
-------
>>> to_categorical([0, 2, 1], num_classes=3)
array([[1., 0., 0.],
       [0., 0., 1.],
       [0., 1., 0.]])
>>> normalize([[3.0, 4.0], [0.0, 0.0]])
array([[0.6, 0.8],
       [0. , 0. ]])
"""
from __future__ import annotations

import numpy as np

__all__ = ["to_categorical", "normalize"]


def to_categorical(x, num_classes=None):
    """One-hot rows for integer class labels (Keras' ``keras.utils.to_categorical``).

    Parameters
    ----------
    x : array-like of int
        Class indices, any shape; a trailing axis of length 1 is dropped, as in Keras.
    num_classes : int, optional
        Default ``max(x) + 1``.

    Returns
    -------
    numpy.ndarray
        ``float64``, of shape ``x.shape + (num_classes,)``.

    Raises
    ------
    ValueError
        Labels that are not integers in ``[0, num_classes)`` (the first bad
        one is named), or an invalid ``num_classes``.
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"to_categorical: labels must be integers, got dtype {x.dtype}")
    flat = x.reshape(-1)
    if x.dtype.kind == "f":
        bad = ~np.isfinite(flat) | (flat != np.round(flat))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"to_categorical: labels must be integers, got {flat[i]} at index {i}")
    if num_classes is None:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    elif not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"to_categorical: num_classes must be a positive integer, got {num_classes!r}")
    labels = flat.astype(np.int64)
    bad = (labels < 0) | (labels >= num_classes)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"to_categorical: label {labels[i]} at index {i} is not a class in [0, {num_classes})")
    shape = x.shape[:-1] if x.ndim > 1 and x.shape[-1] == 1 else x.shape
    out = np.zeros((labels.size, int(num_classes)))
    out[np.arange(labels.size), labels] = 1.0
    return out.reshape(shape + (int(num_classes),))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis``; all-zero slices stay zero (Keras' numpy path).

    Parameters
    ----------
    x : array-like
    axis : int
    order : int
        The norm's order (2: Euclidean).
    """
    x = np.asarray(x, dtype=np.float64) if np.asarray(x).dtype.kind != "f" else np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
