"""Layers that merge several inputs: :class:`Concatenate` and :class:`Add`."""
from __future__ import annotations

import numpy as np

from .base import Layer


class _Merge(Layer):
    """Base of layers taking a list of at least two inputs."""

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{type(self).__name__} {self.name!r} needs a list of at least 2 inputs, got {type(inputs).__name__}")

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"{type(self).__name__} {self.name!r} needs a list of at least 2 inputs, got shape {input_shape}")
        self.built = True


class Concatenate(_Merge):
    """Joins inputs along ``axis`` (default the last, features).

    Shapes
    ------
    inputs ``(batch, ..., d_i)`` agreeing on all other axes; output ``(batch, ..., sum d_i)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Concatenate
    >>> Concatenate()([np.zeros((4, 1)), np.ones((4, 2))]).shape
    (4, 3)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def compute_output_shape(self, input_shape):
        ref = list(input_shape[0])
        axis = self.axis % len(ref)
        for shape in input_shape[1:]:
            if len(shape) != len(ref) or any(a != b for i, (a, b) in enumerate(zip(shape, ref)) if i != axis and i != 0):
                raise ValueError(f"Concatenate {self.name!r}: incompatible input shapes {input_shape} along axis {self.axis}")
        ref[axis] = sum(s[axis] for s in input_shape)
        return tuple(ref)

    def forward(self, inputs, training=False):
        self._check_inputs(inputs)
        try:
            out = np.concatenate(inputs, axis=self.axis)
        except ValueError as err:
            raise ValueError(f"Concatenate {self.name!r}: incompatible input shapes {[a.shape for a in inputs]}: {err}") from None
        sizes = [a.shape[self.axis] for a in inputs]
        return out, sizes

    def backward(self, grad, sizes, input_grad=True):
        return np.split(grad, np.cumsum(sizes)[:-1], axis=self.axis), []

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Add(_Merge):
    """Element-wise sum of inputs of one shape.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Add
    >>> Add()([np.ones((2, 3)), np.ones((2, 3))])[0, 0].item()
    2.0
    """

    def compute_output_shape(self, input_shape):
        if any(tuple(s) != tuple(input_shape[0]) for s in input_shape[1:]):
            raise ValueError(f"Add {self.name!r}: all inputs need one shape, got {input_shape}")
        return input_shape[0]

    def forward(self, inputs, training=False):
        self._check_inputs(inputs)
        if any(a.shape != inputs[0].shape for a in inputs[1:]):
            raise ValueError(f"Add {self.name!r}: all inputs need one shape, got {[a.shape for a in inputs]}")
        out = inputs[0].copy()
        for a in inputs[1:]:
            out += a
        return out, len(inputs)

    def backward(self, grad, n_inputs, input_grad=True):
        # The same array object may go to every input: the graph accumulates
        # into fresh buffers, so sharing it is safe.
        return [grad] * n_inputs, []
