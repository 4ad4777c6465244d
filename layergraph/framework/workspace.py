"""Scratch arrays that a layer reuses from one training step to the next.

Why
---
A convolutional training step allocates the same large temporaries every
step: the im2col matrix, the outputs, the col2im and pooling gradients,
megabytes each. Fresh allocations of that size come from new pages that the
kernel must fault in and zero (with glibc's default settings, thousands of
page faults per step for the MNIST CNN, a sixth of its time). A
:class:`Workspace` keeps those arrays and hands the same one out again,
without touching the process's allocator settings.

Ownership
---------
A buffer is handed out again only when nothing but the workspace refers to
it: not a cache that a later ``backward`` will read, not an output that a
caller kept, not a view of either (every numpy view holds a reference to the
array that owns the memory). So a cache that outlives a newer forward pass
(two forward passes before one backward in a gradient check, a layer called
twice in one graph) is never overwritten; the newer pass simply gets another
buffer. The test is CPython's reference count, the same test that
``ndarray.resize(refcheck=True)`` makes before it moves an array's memory.

Example
-------
>>> from layergraph.framework.workspace import Workspace
>>> ws = Workspace()
>>> a = ws.empty((2, 3), "float32")
>>> address = a.ctypes.data
>>> del a                                                # nobody holds it any more
>>> ws.empty((2, 3), "float32").ctypes.data == address   # so the same memory comes back
True
>>> held = ws.empty((2, 3), "float32")
>>> ws.empty((2, 3), "float32") is held                  # still held: another array
False
>>> len(ws)
2
"""
from __future__ import annotations

import sys
import threading

import numpy as np

__all__ = ["Workspace"]


def _reference_counts(buffers):
    """Reference counts of ``buffers``' items, seen from inside this function."""
    return list(map(sys.getrefcount, buffers))


#: The count of an array that only the workspace's list refers to, measured
#: through the very call that :meth:`Workspace._take` makes (so that it
#: holds whatever the interpreter adds for the list, ``map`` and the call).
_ONLY_THE_WORKSPACE = _reference_counts([np.empty(0)])[0]


class Workspace:
    """A small set of arrays, reused when nothing else refers to them.

    Parameters
    ----------
    capacity : int
        Most arrays kept. When it is full, a new shape replaces the least
        recently used array that is free; if none is free, the new array is
        handed out without being kept.

    Notes
    -----
    The arrays stay allocated as long as the workspace (its layer) lives:
    for the Keras-example MNIST CNN at batch 128, about 60 MB in all. Copies
    and pickles of a workspace start empty. Handing out is thread-safe.
    """

    def __init__(self, capacity=8):
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise ValueError(f"Workspace: capacity must be a positive integer, got {capacity!r}")
        self.capacity = capacity
        self._buffers: list[np.ndarray] = []  # least recently used first
        self._lock = threading.Lock()

    def empty(self, shape, dtype):
        """An array of ``shape`` and ``dtype`` that nobody else holds, contents undefined.

        Parameters
        ----------
        shape : tuple of int
        dtype : numpy dtype or str

        Returns
        -------
        numpy.ndarray
            C-contiguous; reused from an earlier call when one is free.
        """
        shape, dtype = tuple(int(d) for d in shape), np.dtype(dtype)
        with self._lock:
            return self._take(shape, dtype)

    def zeros(self, shape, dtype):
        """Like :meth:`empty`, filled with zeros."""
        out = self.empty(shape, dtype)
        out.fill(0)
        return out

    def full(self, shape, value, dtype):
        """Like :meth:`empty`, filled with ``value``."""
        out = self.empty(shape, dtype)
        out.fill(value)
        return out

    def _take(self, shape, dtype):
        buffers = self._buffers
        free = [count <= _ONLY_THE_WORKSPACE for count in _reference_counts(buffers)]
        for k, buf in enumerate(buffers):
            if free[k] and buf.shape == shape and buf.dtype == dtype:
                buffers.append(buffers.pop(k))  # now the most recently used
                return buf
        buf = np.empty(shape, dtype)
        if len(buffers) >= self.capacity:
            oldest_free = next((k for k in range(len(buffers)) if free[k]), None)
            if oldest_free is None:
                return buf  # every kept array is in use: this one is not kept
            del buffers[oldest_free]
        buffers.append(buf)
        return buf

    def clear(self):
        """Forget every array (those still in use stay valid for their holders)."""
        with self._lock:
            self._buffers.clear()

    def __len__(self):
        return len(self._buffers)

    @property
    def nbytes(self):
        """Bytes of the arrays kept."""
        return sum(buf.nbytes for buf in self._buffers)

    def __reduce__(self):
        # Copies and pickles (copy.deepcopy of a layer) start empty: the
        # arrays are scratch space, and a lock cannot be copied.
        return (type(self), (self.capacity,))

    def __repr__(self):
        return f"<Workspace {len(self)} arrays, {self.nbytes / 2**20:.1f} MiB>"


class FreshArrays:
    """:class:`Workspace`'s interface without reuse: every call returns a new array.

    For inference passes: nothing of them survives the call, and the
    allocator's own reuse of just-freed blocks keeps that memory in the CPU's
    caches, where a workspace's arrays (one set per layer) are cold by the
    time a layer runs again (``predict`` of the Keras-example CNN at batch
    32 took 1.2-1.3x longer from workspaces).

    >>> FRESH.empty((2, 3), "float32").shape
    (2, 3)
    """

    def empty(self, shape, dtype):
        """A new array, contents undefined."""
        return np.empty(shape, dtype)

    def zeros(self, shape, dtype):
        """A new array of zeros."""
        return np.zeros(shape, dtype)

    def full(self, shape, value, dtype):
        """A new array filled with ``value``."""
        return np.full(shape, value, dtype)


#: The allocator of inference passes (see :class:`FreshArrays`).
FRESH = FreshArrays()
