"""numpy functions the tracer differentiates by rewriting them into ops it already records.

``np.split(x, 3, axis=1)`` is three slices of ``x``; ``np.vstack`` is
``concatenate`` of ``atleast_2d`` views; ``np.sort`` is ``take_along_axis``
with the (constant) ``argsort`` of the plain values; ``np.trace`` is a sum
of fancy-indexed elements. Each function in :data:`COMPOSITES` receives the
traced arguments and calls numpy (or indexes) on them, so every piece is
recorded with its own rule and no new VJP is needed. Index arithmetic runs
on plain arrays (the same numpy code, ``np.split(np.arange(n), ...)``, so
the sizes and errors are numpy's own).
"""
from __future__ import annotations

import numpy as np

__all__ = ["COMPOSITES"]


def _axis_slices(ndim, axis, bounds):
    """One index tuple per ``(start, stop)`` in ``bounds`` along ``axis``."""
    index = [slice(None)] * ndim
    out = []
    for start, stop in bounds:
        index[axis] = slice(start, stop)
        out.append(tuple(index))
    return out


def _pieces(ary, parts, axis):
    """``ary`` cut along ``axis`` into the lengths of the index arrays in ``parts``."""
    starts = np.cumsum([0] + [len(p) for p in parts])
    return [ary[index] for index in _axis_slices(np.ndim(ary), axis, zip(starts[:-1], starts[1:], strict=True))]


def _split(ary, indices_or_sections, axis=0):
    axis = axis % np.ndim(ary)
    return _pieces(ary, np.split(np.arange(np.shape(ary)[axis]), indices_or_sections), axis)


def _array_split(ary, indices_or_sections, axis=0):
    axis = axis % np.ndim(ary)
    return _pieces(ary, np.array_split(np.arange(np.shape(ary)[axis]), indices_or_sections), axis)


def _hsplit(ary, indices_or_sections):
    return _split(ary, indices_or_sections, axis=1 if np.ndim(ary) > 1 else 0)


def _vsplit(ary, indices_or_sections):
    return _split(ary, indices_or_sections, axis=0)


def _atleast_1d(*arys):
    out = [np.reshape(a, (1,)) if np.ndim(a) == 0 else a for a in arys]
    return out[0] if len(out) == 1 else out


def _atleast_2d(*arys):
    out = [np.reshape(a, (1,) * (2 - np.ndim(a)) + np.shape(a)) if np.ndim(a) < 2 else a for a in arys]
    return out[0] if len(out) == 1 else out


def _hstack(tup, **kwargs):
    arrays = [_atleast_1d(a) for a in tup]
    return np.concatenate(arrays, axis=0 if np.ndim(arrays[0]) == 1 else 1, **kwargs)


def _vstack(tup, **kwargs):
    return np.concatenate([_atleast_2d(a) for a in tup], axis=0, **kwargs)


def _diff(a, n=1, axis=-1, prepend=None, append=None):
    axis = axis % np.ndim(a)
    if prepend is not None or append is not None:
        parts = [a]
        shape = list(np.shape(a))
        shape[axis] = 1
        if prepend is not None:
            parts.insert(0, prepend if np.ndim(prepend) else np.broadcast_to(prepend, shape))
        if append is not None:
            parts.append(append if np.ndim(append) else np.broadcast_to(append, shape))
        a = np.concatenate(parts, axis=axis)
    later, earlier = _axis_slices(np.ndim(a), axis, [(1, None), (None, -1)])
    for _ in range(n):
        a = a[later] - a[earlier]
    return a


def _diagonal(a, offset=0, axis1=0, axis2=1):
    moved = np.moveaxis(a, (axis1, axis2), (-2, -1))
    rows, cols = np.shape(moved)[-2:]
    start_row, start_col = max(-offset, 0), max(offset, 0)
    k = max(min(rows - start_row, cols - start_col), 0)
    return moved[..., np.arange(start_row, start_row + k), np.arange(start_col, start_col + k)]


def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return np.sum(_diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def _repeat(a, repeats, axis=None):
    if axis is None:
        return np.take(a, np.repeat(np.arange(np.size(a)), repeats))
    return np.take(a, np.repeat(np.arange(np.shape(a)[axis]), repeats), axis=axis)


def _tile(A, reps):
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    ndim = max(np.ndim(A), len(reps))
    A = np.reshape(A, (1,) * (ndim - np.ndim(A)) + np.shape(A))
    reps = (1,) * (ndim - len(reps)) + reps
    for axis, (n, r) in enumerate(zip(np.shape(A), reps, strict=True)):
        if r != 1:
            A = np.take(A, np.tile(np.arange(n), r), axis=axis)
    return A


def _inner(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return np.multiply(a, b)
    return np.tensordot(a, b, axes=([-1], [-1]))


def _sort(a, axis=-1, kind=None, order=None, **kwargs):
    if axis is None:
        a, axis = np.ravel(a), 0
    # argsort of a traced array runs on its plain value and returns plain indices.
    return np.take_along_axis(a, np.argsort(a, axis=axis, kind=kind, **kwargs), axis=axis)


COMPOSITES = {
    np.split: _split, np.array_split: _array_split, np.hsplit: _hsplit, np.vsplit: _vsplit,
    np.atleast_1d: _atleast_1d, np.atleast_2d: _atleast_2d, np.hstack: _hstack, np.vstack: _vstack,
    np.diff: _diff, np.diagonal: _diagonal, np.trace: _trace, np.repeat: _repeat, np.tile: _tile,
    np.inner: _inner, np.sort: _sort,
}
