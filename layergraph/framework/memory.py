"""Opt-in, process-wide: keep freed memory in the process instead of handing it back to the OS.

Why
---
A training step allocates and frees the same temporaries over and over.
glibc's ``malloc`` serves blocks above its *mmap threshold* with fresh
``mmap`` pages and returns them with ``munmap`` when freed, and it trims the
top of the heap when more than its *trim threshold* lies free there. Either
way the next step's arrays land on new pages, which the kernel must fault in
and zero again. glibc adapts both thresholds to the program, but only partly.

The layers whose temporaries are largest (``Conv2D``, the pooling layers)
reuse their arrays from step to step by themselves
(:class:`~layergraph.framework.workspace.Workspace`), so a library user
needs nothing from this module. Other temporaries can still churn: for
example Adam's per-step temporaries for a 784x256 kernel cost the MNIST
``modern_mlp`` recipe about 750 page faults per batch with glibc's defaults.

:func:`retain_freed_memory` raises both thresholds
(``mallopt(M_MMAP_THRESHOLD, 32 MiB)``, glibc's maximum, and
``mallopt(M_TRIM_THRESHOLD, 1 GiB)``), so freed blocks are reused. It is a
setting of the **whole process**, for every library in it, and it cannot be
undone (glibc has no call to read the old values back, and setting a
threshold switches its adaptation off for good). The price is that memory
freed after a peak stays with the process (it is reused, not leaked).
Therefore layergraph never calls it by itself: a program that owns its
process may (the ``layergraph`` command line does, and the benchmarks do
with ``--retain-memory``). Elsewhere than glibc (macOS, Windows, musl) it
does nothing, and ``LAYERGRAPH_RETAIN_MEMORY=0`` in the environment turns
it into a no-op (for example to measure the command line without it).

Example
-------
A program's entry point (not shown running here: the doctests share the
test process)::

    from layergraph.framework import memory
    memory.retain_freed_memory()   # False where glibc is absent or it is turned off

>>> from layergraph.framework import memory
>>> memory.ENV_VAR
'LAYERGRAPH_RETAIN_MEMORY'
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

__all__ = ["retain_freed_memory", "ENV_VAR"]

#: ``mallopt`` parameters, from glibc's ``malloc.h``.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Largest mmap threshold glibc accepts on 64-bit systems (``DEFAULT_MMAP_THRESHOLD_MAX``).
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 2**30
#: Set to ``0`` (or ``false``, ``no``, ``off``) to make :func:`retain_freed_memory` a no-op.
ENV_VAR = "LAYERGRAPH_RETAIN_MEMORY"

_state = {"done": False, "active": False}


def _glibc_mallopt():
    """glibc's ``mallopt``, or ``None`` on other C libraries."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    if not hasattr(libc, "gnu_get_libc_version"):  # present in glibc only (musl has mallopt as a stub)
        return None
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt


def retain_freed_memory():
    """Raise glibc's mmap and trim thresholds for the whole process, once.

    Process-wide and permanent (see the module docstring): call it from a
    program's entry point, never from library code. Later calls only
    report the outcome of the first.

    Returns
    -------
    bool
        Whether the thresholds are raised: ``False`` without glibc or when
        ``$LAYERGRAPH_RETAIN_MEMORY`` is ``0``.
    """
    if not _state["done"]:
        _state["done"] = True
        if os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "no", "off"):
            mallopt = _glibc_mallopt()
            if mallopt is not None:
                # Each call returns 1 on success; both must hold for the effect.
                _state["active"] = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                                        and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _state["active"]
