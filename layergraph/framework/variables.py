"""The weight holder shared by layers, optimizers and gradient strategies."""
from __future__ import annotations

import numpy as np


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
