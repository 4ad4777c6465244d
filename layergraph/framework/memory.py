"""Keep freed array memory in the process instead of handing it back to the OS.

Why
---
A training step allocates and frees the same large temporaries (im2col
buffers, activations, gradients: megabytes each) over and over. glibc's
``malloc`` serves blocks above its *mmap threshold* with fresh ``mmap``
pages and returns them with ``munmap`` when freed, and it trims the top of
the heap when more than its *trim threshold* lies free there. Either way the
next step's arrays land on new pages, and the kernel must fault in and zero
every 4 KiB page again. For the Keras-example MNIST CNN that was about 4,000
page faults a step, a third of the step's time. glibc adapts its thresholds
to the program, but only partly and depending on what ran before, so the
same step took anywhere from 37 to 75 ms.

:func:`retain_freed_memory` raises both thresholds once per process
(``mallopt(M_MMAP_THRESHOLD, 32 MiB)``, glibc's maximum, and
``mallopt(M_TRIM_THRESHOLD, 1 GiB)``), so freed blocks are reused: steady
training runs without page faults. The price is that memory freed after a
peak stays with the process (it is reused, not leaked). It changes the whole
process for good, so the library never calls it (``compile``, ``fit`` and
``predict`` leave the allocator alone): a program that owns its process may.
``LAYERGRAPH_RETAIN_MEMORY=0`` makes it a no-op. Elsewhere than glibc
(macOS, Windows, musl) it does nothing.

Example
-------
>>> from layergraph.framework import memory
>>> memory.retain_freed_memory() in (True, False)   # False where glibc is absent or it is turned off
True
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

#: ``mallopt`` parameters, from glibc's ``malloc.h``.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Largest mmap threshold glibc accepts on 64-bit systems (``DEFAULT_MMAP_THRESHOLD_MAX``).
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 2**30
ENV_VAR = "LAYERGRAPH_RETAIN_MEMORY"

_state = {"done": False, "active": False}


def _glibc_mallopt():
    """glibc's ``mallopt``, or ``None`` on other C libraries."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # present in glibc only (musl has mallopt as a stub)
    except (OSError, AttributeError):
        return None
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt


def retain_freed_memory():
    """Raise glibc's mmap and trim thresholds once per process (see the module docstring).

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
