"""The weight holder shared by layers, optimizers and gradient strategies, and a guard on creating weights.

:func:`stored_weight_shapes` makes the layers built inside a ``with`` block
create only weights of the shapes given, each shape as often as it is
given: loading a model file builds its architecture inside one, with the
shapes of the arrays the file stores, so an edited ``units`` of ``10**12``
is refused before anything is allocated (by
:meth:`Layer.add_weight <layergraph.framework.layers.Layer.add_weight>`,
which calls :func:`reserve_weight` first).

Example
-------
>>> with stored_weight_shapes([(2, 3), (3,)], "the file"):  # doctest: +ELLIPSIS
...     reserve_weight((2, 3), "Dense 'd'", "kernel")
...     reserve_weight((2, 3), "Dense 'e'", "kernel")
Traceback (most recent call last):
...
ValueError: Dense 'e': weight 'kernel' has shape (2, 3) ..., but the file stores no other ... yet: [(3,)])
"""
from __future__ import annotations

import collections
import contextlib
import threading

import numpy as np

__all__ = ["Variable", "stored_weight_shapes", "reserve_weight"]

_stored = threading.local()


@contextlib.contextmanager
def stored_weight_shapes(shapes, source):
    """Inside the block, each weight created must take the shape of one of ``shapes`` not taken yet.

    Parameters
    ----------
    shapes : iterable of tuple
        The shapes available (repeated shapes: once each).
    source : str
        What holds them, for messages (``"the file 'm.lg'"``).
    """
    previous = getattr(_stored, "current", None)
    _stored.current = (collections.Counter(tuple(s) for s in shapes), source)
    try:
        yield
    finally:
        _stored.current = previous


def reserve_weight(shape, owner, name):
    """Take ``shape`` from the current :func:`stored_weight_shapes` (outside one: nothing to check).

    Raises
    ------
    ValueError
        Naming the layer, the weight and its shape, when no stored shape is left to match it.
    """
    current = getattr(_stored, "current", None)
    if current is None:
        return
    left, source = current
    shape = tuple(shape)
    if left[shape] <= 0:
        unmatched = sorted(left.elements())
        listed = f"{unmatched[:6]}{' ...' if len(unmatched) > 6 else ''}"
        raise ValueError(f"{owner}: weight {name!r} has shape {shape} in the architecture, but {source} stores no "
                         f"other array of that shape (arrays not matched yet: {listed})")
    left[shape] -= 1


class Variable:
    """A named numpy array that a layer owns and an optimizer updates.

    Optimizers key their state by the ``Variable`` object itself (identity),
    never by its name, so two layers with equal names can never share state.

    Parameters
    ----------
    value : numpy.ndarray
        Initial value; the variable keeps this array and updates it in place.
    name : str
        For messages and summaries, e.g. ``"dense/kernel"``.
    trainable : bool
        ``False`` for state such as batch-norm moving averages: it is saved
        and loaded but receives no gradient.
    """

    __slots__ = ("value", "name", "trainable")

    def __init__(self, value, name="variable", trainable=True):
        self.value = np.asarray(value)
        self.name = name
        self.trainable = trainable

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    def assign(self, new_value):
        """Copy ``new_value`` into the variable (shape must match)."""
        new_value = np.asarray(new_value)
        if new_value.dtype.kind not in "biuf":
            raise TypeError(f"Cannot assign a value of dtype {new_value.dtype} to variable {self.name!r}: it must be "
                            f"numeric")
        if new_value.shape != self.value.shape:
            raise ValueError(
                f"Cannot assign a value of shape {new_value.shape} to variable {self.name!r} of shape {self.value.shape}"
            )
        self.value[...] = new_value

    def numpy(self):
        """A copy of the current value."""
        return self.value.copy()

    def __repr__(self):
        return f"<Variable {self.name} shape={self.value.shape} dtype={self.value.dtype}>"
