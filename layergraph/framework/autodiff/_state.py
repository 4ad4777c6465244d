"""Which recordings are active, per thread.

A stack, innermost last: :func:`~layergraph.framework.autodiff.record`
pushes its tape while the user function runs and pops it afterwards, even
when the function raises.
"""
from __future__ import annotations

import threading

__all__ = ["active_tapes", "is_recording"]


class _Local(threading.local):
    def __init__(self):
        self.tapes = []


_local = _Local()


def active_tapes():
    """The list of active tapes of this thread (innermost last); the caller must not keep it."""
    return _local.tapes


def is_recording():
    """``True`` inside :func:`~layergraph.framework.autodiff.record` (in this thread).

    >>> is_recording()
    False
    """
    return bool(_local.tapes)
