"""Shape helpers shared by the VJP rules: undoing broadcasting and reductions."""
from __future__ import annotations

import numpy as np

__all__ = ["unbroadcast", "normalize_axes", "expand_reduced", "reduced_count"]


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape``, the inverse of broadcasting an array of ``shape``.

    Leading axes that broadcasting added are summed away; axes where
    ``shape`` has 1 and ``g`` does not are summed with ``keepdims``.

    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    """
    extra = g.ndim - len(shape)
    if extra > 0:
        g = np.add.reduce(g, axis=0 if extra == 1 else tuple(range(extra)))
        if g.shape == shape:  # the common case: a bias added to a batch
            return g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = np.add.reduce(g, axis=axes, keepdims=True)
    if g.shape != shape:  # e.g. a (1,) gradient for a () value
        g = np.reshape(g, shape)
    return g


def normalize_axes(axis, ndim):
    """``axis`` (None, int or tuple, possibly negative) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(int(a) % ndim for a in axis)) if ndim else ()
    return (int(axis) % ndim,) if ndim else ()


def expand_reduced(g, shape, axis, keepdims):
    """Reinsert the axes a reduction over ``axis`` removed, so ``g`` broadcasts against ``shape``."""
    if keepdims or np.ndim(g) == len(shape):
        return g
    return np.expand_dims(g, normalize_axes(axis, len(shape)))


def reduced_count(shape, axis):
    """How many elements a reduction over ``axis`` combines into each result."""
    axes = normalize_axes(axis, len(shape))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))
