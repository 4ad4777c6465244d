"""Which recordings are active, per thread.

A stack, innermost last: :func:`~layergraph.framework.autodiff.record`
pushes its tape while the user function runs and pops it afterwards, even
when the function raises.
"""
from __future__ import annotations

import contextlib
import threading

__all__ = ["active_tapes", "is_recording", "paused"]


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


@contextlib.contextmanager
def paused():
    """Within the block, no recording is active in this thread; the active ones resume after it.

    For code that computes on plain arrays in the middle of a recording and
    differentiates itself (a layer with a hand-written ``backward`` recorded
    as one op): variables resolve to their plain values inside, and a nested
    :func:`~layergraph.framework.autodiff.record` is independent.

    >>> with paused():
    ...     is_recording()
    False
    """
    saved = _local.tapes
    _local.tapes = []
    try:
        yield
    finally:
        _local.tapes = saved
