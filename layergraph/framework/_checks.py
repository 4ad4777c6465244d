"""Argument checks shared by the framework's constructors (a leaf: imports only numpy).

Each check raises ``ValueError``/``TypeError`` naming the owner (``"SGD"``,
``"Dense 'dense_1'"``) and the argument, before any state is changed.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["check_number", "is_number"]


def is_number(value):
    """True for a real Python or numpy number that is not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_number(owner, label, value, low=0.0, low_inclusive=False, high=None, high_inclusive=True):
    """Raise ``ValueError`` unless ``value`` is a finite number in the given interval.

    The default interval is ``(0, inf)``: a positive number.

    Example
    -------
    >>> check_number("SGD", "learning rate", 0.1)
    >>> check_number("SGD", "learning rate", -1)
    Traceback (most recent call last):
    ...
    ValueError: SGD: invalid learning rate -1; expected a number in (0.0, inf)
    """
    ok = is_number(value) and math.isfinite(value)
    if ok:
        ok = value >= low if low_inclusive else value > low
    if ok and high is not None:
        ok = value <= high if high_inclusive else value < high
    if not ok:
        lo = "[" if low_inclusive else "("
        hi = ("]" if high_inclusive else ")") if high is not None else ")"
        raise ValueError(f"{owner}: invalid {label} {value!r}; expected a number in "
                         f"{lo}{low}, {high if high is not None else 'inf'}{hi}")
