"""Preprocessing inside the model: :class:`Rescaling`."""
from __future__ import annotations

import numpy as np

from ._arguments import with_keras_name
from .base import Layer


def _constant(value, what, owner):
    """A finite number or an array of them (per-channel values), as float64; ``ValueError`` otherwise."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or isinstance(value, (bool, str)) or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"{owner}: {what} must be a finite number or an array of them, got {value!r}")
    return array


class Rescaling(Layer):
    """Multiplies the inputs by ``scale`` and adds ``offset``: ``y = x * scale + offset``.

    Parameters
    ----------
    scale : float or array-like
        E.g. ``1 / 255`` to map ``[0, 255]`` pixels to ``[0, 1]``. An array
        (one value per channel, say) broadcasts against the features; it must
        not enlarge them.
    offset : float or array-like
        Default 0; ``scale=1 / 127.5, offset=-1`` maps ``[0, 255]`` to ``[-1, 1]``.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    any input ``(n, ...)``; output of the same shape, in the layer's dtype.

    Notes
    -----
    It has no weights; its input gradient is ``scale * dL/dy``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Rescaling
    >>> Rescaling(1 / 127.5, offset=-1)(np.array([[0, 127.5, 255]]))
    array([[-1.,  0.,  1.]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**with_keras_name(Rescaling, kwargs))
        owner = f"Rescaling {self.name!r}"
        self.scale = _constant(scale, "scale", owner)
        self.offset = _constant(offset, "offset", owner)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _check(self, shape):
        """``ValueError`` unless ``scale`` and ``offset`` broadcast against ``shape`` without enlarging it."""
        features = tuple(1 if d is None else d for d in shape[1:])
        for what, value in (("scale", self.scale), ("offset", self.offset)):
            try:
                fits = np.broadcast_shapes(features, value.shape) == features
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"Rescaling {self.name!r}: {what} of shape {value.shape} does not broadcast "
                                 f"against the input features {tuple(shape[1:])} (input shape {tuple(shape)})")

    def build(self, input_shape):
        if isinstance(input_shape, list):
            raise ValueError(f"Rescaling {self.name!r} takes one input, got shapes {input_shape}")
        self._check(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return input_shape

    def call(self, inputs):
        self._check(inputs.shape)
        dtype = np.dtype(self.dtype)
        out = np.multiply(inputs, self.scale.astype(dtype), dtype=dtype)
        out += self.offset.astype(dtype)  # in place on arrays; a new value under recording
        return out

    def forward(self, x, training=False):
        return self.call(x), x.shape

    def backward(self, grad, x_shape, input_grad=True):
        if not input_grad:
            return None, []
        return grad * self.scale.astype(grad.dtype), []

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale.tolist(), offset=self.offset.tolist())
        return config
