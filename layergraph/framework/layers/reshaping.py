"""Layers that only rearrange their input: :class:`Flatten` and :class:`Reshape`.

Both keep the batch axis and move no data (``numpy.reshape`` of a contiguous
array is a view); the backward pass reshapes the gradient back.
"""
from __future__ import annotations

import math

import numpy as np

from .base import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis (row-major order, like Keras' channels-last).

    Shapes
    ------
    input ``(n, d1, ..., dk)``, output ``(n, d1 * ... * dk)``; an input
    ``(n,)`` becomes ``(n, 1)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Flatten
    >>> Flatten()(np.zeros((2, 3, 4, 5))).shape
    (2, 60)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def build(self, input_shape):
        if isinstance(input_shape, list) or len(input_shape) < 1:
            raise ValueError(f"Flatten {self.name!r} needs one input with a batch axis, got shape {input_shape}")
        self.built = True

    def compute_output_shape(self, input_shape):
        self.build(input_shape)
        return (input_shape[0], math.prod(input_shape[1:]))

    def forward(self, x, training=False):
        self._check_input_rank(x, 1, 32)
        return x.reshape(x.shape[0], math.prod(x.shape[1:])), x.shape

    def backward(self, grad, cache, input_grad=True):
        return grad.reshape(cache), []


class Reshape(Layer):
    """Reshapes the features to ``target_shape`` (the batch axis is kept).

    Parameters
    ----------
    target_shape : tuple of int
        Feature shape without the batch axis; at most one entry may be ``-1``
        (inferred from the input size).

    Shapes
    ------
    input ``(n, *in_features)``, output ``(n, *target_shape)`` with
    ``prod(target_shape) == prod(in_features)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Reshape
    >>> Reshape((-1, 2))(np.zeros((3, 8))).shape
    (3, 4, 2)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        owner = f"Reshape {self.name!r}"
        if isinstance(target_shape, (int, np.integer)) and not isinstance(target_shape, bool):
            target_shape = (target_shape,)
        if not isinstance(target_shape, (tuple, list)) or not target_shape or not all(
                isinstance(d, (int, np.integer)) and not isinstance(d, bool) and (d > 0 or d == -1)
                for d in target_shape):
            raise ValueError(f"{owner}: target_shape must be a tuple of positive integers with at most one -1, "
                             f"got {target_shape!r}")
        if list(target_shape).count(-1) > 1:
            raise ValueError(f"{owner}: target_shape may contain at most one -1, got {tuple(target_shape)}")
        self.target_shape = tuple(int(d) for d in target_shape)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _resolve(self, features):
        """``target_shape`` with the ``-1`` filled in for input features of shape ``features``."""
        size = math.prod(features)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size % known:
                raise ValueError(f"Reshape {self.name!r}: cannot reshape input features {tuple(features)} "
                                 f"({size} values) to {self.target_shape}: {size} is not a multiple of {known}")
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if size != known:
            raise ValueError(f"Reshape {self.name!r}: cannot reshape input features {tuple(features)} "
                             f"({size} values) to {self.target_shape} ({known} values)")
        return self.target_shape

    def build(self, input_shape):
        if isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"Reshape {self.name!r} needs one input of rank >= 2, got shape {input_shape}")
        self._resolve(input_shape[1:])
        self.built = True

    def compute_output_shape(self, input_shape):
        self.build(input_shape)
        return (input_shape[0], *self._resolve(input_shape[1:]))

    def forward(self, x, training=False):
        self._check_input_rank(x, 2, 32)
        return x.reshape(x.shape[0], *self._resolve(x.shape[1:])), x.shape

    def backward(self, grad, cache, input_grad=True):
        return grad.reshape(cache), []

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config
