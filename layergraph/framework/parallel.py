"""Intra-op threads: element-wise work on large arrays, split over the batch axis.

Why
---
The BLAS behind ``@`` multiplies matrices on several cores, but numpy runs
every other operation (im2col copies, pooling, col2im adds) on one. numpy
releases the GIL inside its loops, so threads that each run the same
operations on their own samples of the batch do run in parallel. Without
this, those operations take most of a convolutional training step once the
products run on two cores.

:func:`over_batch` runs ``fn(part)`` for slices that cover the batch, one
in the calling thread and the others in a small pool of worker threads,
created on first use. Work too small to pay for a thread hand-off (a few
tens of microseconds) runs in the calling thread alone.

How many threads
----------------
:func:`set_num_threads`, else the first of the environment variables
``LAYERGRAPH_NUM_THREADS``, ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS`` that holds a positive integer (the ones that size the
BLAS thread pool, so ``OMP_NUM_THREADS=1`` makes everything single-threaded),
else the number of CPUs this process may run on. The workers are ordinary
(non-daemon) threads that wait idle between calls; nothing else in the
process is changed.

Example
-------
>>> import numpy as np
>>> from layergraph.framework import parallel
>>> x = np.arange(12.0).reshape(6, 2)
>>> out = np.empty_like(x)
>>> parallel.over_batch(lambda part: np.multiply(x[part], 2, out=out[part]), len(x), x.size)
>>> out[:, 0]
array([ 0.,  4.,  8., 12., 16., 20.])
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["get_num_threads", "set_num_threads", "over_batch", "MIN_ELEMENTS_PER_THREAD"]

#: Fewest array elements worth a thread of their own (a quarter of a
#: millisecond of simple element-wise work).
MIN_ELEMENTS_PER_THREAD = 1 << 17

_ENV_VARS = ("LAYERGRAPH_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_lock = threading.Lock()
_pool = {"threads": None, "executor": None}
class _WorkerState(threading.local):
    """Whether this thread is running a part of an :func:`over_batch` call."""

    busy = False


_local = _WorkerState()


def _default_num_threads():
    for var in _ENV_VARS:
        value = os.environ.get(var, "").split(",")[0].strip()  # OMP_NUM_THREADS may be a list: "4,2"
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def get_num_threads():
    """Threads :func:`over_batch` uses at most (see the module docstring)."""
    if _pool["threads"] is None:
        _pool["threads"] = _default_num_threads()
    return _pool["threads"]


def set_num_threads(threads):
    """Use at most ``threads`` threads (``1``: everything in the calling thread).

    Raises
    ------
    ValueError
        Unless ``threads`` is a positive integer.
    """
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"set_num_threads: threads must be a positive integer, got {threads!r}")
    with _lock:
        old = _pool["executor"]
        _pool.update(threads=threads, executor=None)
    if old is not None:
        old.shutdown(wait=False)


def _executor(workers):
    with _lock:
        executor = _pool["executor"]
        if executor is None or executor._max_workers < workers:
            if executor is not None:
                executor.shutdown(wait=False)
            executor = _pool["executor"] = ThreadPoolExecutor(workers, thread_name_prefix="layergraph")
        return executor


def _forget_executor():
    # A forked child has none of its parent's threads: start a new pool there.
    _pool["executor"] = None


if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_forget_executor)


def _run_in_worker(fn, part):
    _local.busy = True  # a nested over_batch runs serially instead of queueing behind its caller
    try:
        fn(part)
    finally:
        _local.busy = False


def over_batch(fn, n, elements):
    """Call ``fn(part)`` for slices ``part`` that cover ``range(n)``, in parallel.

    Parameters
    ----------
    fn : callable
        Takes a ``slice`` of the batch axis; its return value is ignored.
        Calls for different slices must not write to the same memory.
    n : int
        Batch size.
    elements : int
        Size of the largest array the work touches: with fewer than
        :data:`MIN_ELEMENTS_PER_THREAD` elements per thread, fewer threads
        (or only the calling thread) run it.

    The first exception raised by any part is raised again here, after
    every part has finished.
    """
    threads = min(get_num_threads(), n, elements // MIN_ELEMENTS_PER_THREAD)
    if threads <= 1 or _local.busy:
        fn(slice(0, n))
        return
    bounds = [n * k // threads for k in range(threads + 1)]
    parts = [slice(start, stop) for start, stop in zip(bounds, bounds[1:], strict=False)]
    executor = _executor(threads - 1)
    futures = [executor.submit(_run_in_worker, fn, part) for part in parts[1:]]
    error = None
    try:
        _run_in_worker(fn, parts[0])
    except BaseException as err:  # re-raised below, once the workers are done
        error = err
    for future in futures:
        exc = future.exception()
        if error is None and exc is not None:
            error = exc
    if error is not None:
        raise error
