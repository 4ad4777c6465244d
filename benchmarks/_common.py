"""Helpers shared by the benchmarks: thread limits, interleaved timing, median
ratios, and a spawned worker process for PyTorch.

Imported by the scripts in this folder (``python benchmarks/bench_*.py`` puts
the folder on ``sys.path``). It does not import numpy, so that
:func:`limit_blas_threads` can run before numpy loads its BLAS.
"""
from __future__ import annotations

import os
import statistics
import time


def limit_blas_threads(threads):
    """Set the BLAS / OpenMP thread variables to ``threads`` (``0``: leave them).

    Only effective before numpy (or torch) is first imported; spawned worker
    processes inherit it.
    """
    if threads > 0:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)


def retain_freed_memory():
    """Opt in to layergraph's process-wide allocator setting (glibc's mmap and
    trim thresholds raised, see ``layergraph.framework.memory``) in this
    process. The benchmarks leave the allocator at its defaults unless
    ``--retain-memory`` asks for this in every contestant's process."""
    from layergraph.framework import memory

    return memory.retain_freed_memory()


def timer(run):
    """A callable that runs ``run()`` and returns its wall time in seconds."""
    def timed():
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    return timed


def interleave(contestants, repeats, warmup=1):
    """Time ``{name: () -> seconds}`` callables, interleaved: ``warmup`` untimed
    rounds, then ``repeats`` rounds, each calling every contestant once, the
    order rotated every round so that neither machine noise nor going first
    favours one. Returns ``{name: [seconds per round]}``."""
    names = list(contestants)
    for _ in range(warmup):  # allocations, thread pools, lazy state
        for name in names:
            contestants[name]()
    times = {name: [] for name in names}
    for rep in range(repeats):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(contestants[name]())
    return times


def median_ratio(times, a, b):
    """Median over rounds of ``times[a][i] / times[b][i]`` (same-round pairs
    share the machine's load), and the ratio of the minima."""
    ratios = [x / y for x, y in zip(times[a], times[b], strict=True)]
    return statistics.median(ratios), min(times[a]) / min(times[b])


def _worker_main(conn, factory, args, retain_memory):
    if retain_memory:
        retain_freed_memory()
    try:
        runs = factory(*args)
    except ImportError:
        runs = None
    conn.send(None if runs is None else list(runs))
    while runs is not None:
        message = conn.recv()
        if message == "stop":
            break
        command, name = message
        if command == "time":
            start = time.perf_counter()
            runs[name]()
            conn.send(time.perf_counter() - start)
        else:  # "result"
            conn.send(runs[name]())
    conn.close()


class WorkerProcess:
    """Runs ``factory(*args)`` in a spawned process and times its callables there.

    ``factory`` (a module-level function, so that it pickles) returns
    ``{name: run}`` of zero-argument callables, or ``None`` (or raises
    ``ImportError``) when it cannot run, e.g. without torch. PyTorch runs in
    such a worker so that its OpenMP threads never spin against OpenBLAS'
    threads inside one process.

    Use :meth:`timer` as an :func:`interleave` contestant, :meth:`result` to
    fetch what a run returns (for checking outputs), :meth:`close` at the end.
    ``retain_memory=True`` opts the worker in to :func:`retain_freed_memory`.
    """

    def __init__(self, factory, *args, retain_memory=False):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, factory, args, retain_memory), daemon=True)
        self.process.start()
        self.names = self.conn.recv()
        self.available = self.names is not None

    def timer(self, name):
        """A callable: one run of ``name`` in the worker, its wall time in seconds there."""
        def timed():
            self.conn.send(("time", name))
            return self.conn.recv()
        return timed

    def result(self, name):
        self.conn.send(("result", name))
        return self.conn.recv()

    def close(self):
        if self.process.is_alive():
            if self.available:
                self.conn.send("stop")
            self.process.join(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
