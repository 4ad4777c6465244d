"""Pooling over every step or pixel at once: the global average and max pooling layers.

``GlobalAveragePooling1D/2D`` and ``GlobalMaxPooling1D/2D`` reduce
``(n, steps, c)`` or ``(n, h, w, c)`` to ``(n, c)`` (or, with
``keepdims=True``, to ``(n, 1, c)`` / ``(n, 1, 1, c)``), as Keras does.
Both passes are single numpy reductions over the flattened spatial axes.
The max layers route each channel's gradient to its *first* maximal
element (row-major order), like the windowed max pooling layers, so ties
never split or duplicate a gradient.
"""
from __future__ import annotations

import math

import numpy as np

from ._arguments import channels_last, check_rank, with_keras_name
from .base import Layer

_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)"}


class _GlobalPooling(Layer):
    """Validation, shapes and configuration shared by the global pooling layers."""

    _spatial_rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**with_keras_name(type(self), kwargs))
        owner = f"{type(self).__name__} {self.name!r}"
        self.data_format = channels_last(data_format, owner)
        if not isinstance(keepdims, (bool, np.bool_)):
            raise ValueError(f"{owner}: keepdims must be True or False, got {keepdims!r}")
        self.keepdims = bool(keepdims)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _check(self, shape):
        check_rank(f"{type(self).__name__} {self.name!r}", shape, self._spatial_rank + 2,
                   _LAYOUTS[self._spatial_rank])

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        if self.keepdims:
            return (input_shape[0], *(1,) * self._spatial_rank, input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def _flat(self, x):
        """``x`` as ``(n, positions, c)`` (a view for contiguous inputs)."""
        self._check(x.shape)
        if x.shape[1:-1] and 0 in x.shape[1:-1]:
            raise ValueError(f"{type(self).__name__} {self.name!r}: cannot pool over zero positions "
                             f"(input shape {tuple(x.shape)})")
        return x.reshape(x.shape[0], math.prod(x.shape[1:-1]), x.shape[-1])

    def _shape_output(self, out, x_shape):
        """``(n, c)`` reductions reshaped for ``keepdims``."""
        return out.reshape(x_shape[0], *(1,) * self._spatial_rank, x_shape[-1]) if self.keepdims else out

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class _GlobalAverage(_GlobalPooling):
    def call(self, inputs):
        return self._shape_output(self._flat(inputs).mean(axis=1), inputs.shape)

    def forward(self, x, training=False):
        return self.call(x), x.shape

    def backward(self, grad, x_shape, input_grad=True):
        if not input_grad:
            return None, []
        n, c = x_shape[0], x_shape[-1]
        share = grad.reshape(n, 1, c) / math.prod(x_shape[1:-1])
        return np.broadcast_to(share, (n, math.prod(x_shape[1:-1]), c)).reshape(x_shape), []


class _GlobalMax(_GlobalPooling):
    def _pool(self, x):
        flat = self._flat(x)
        first = np.argmax(flat, axis=1)  # the first maximum of each (sample, channel)
        out = np.take_along_axis(flat, first[:, None, :], axis=1)[:, 0, :]
        return self._shape_output(out, x.shape), first

    def call(self, inputs):
        return self._pool(inputs)[0]

    def forward(self, x, training=False):
        out, first = self._pool(x)
        return out, (first, x.shape)

    def backward(self, grad, cache, input_grad=True):
        first, x_shape = cache
        if not input_grad:
            return None, []
        n, c = x_shape[0], x_shape[-1]
        dx = np.zeros((n, math.prod(x_shape[1:-1]), c), dtype=grad.dtype)
        np.put_along_axis(dx, first[:, None, :], grad.reshape(n, 1, c), axis=1)
        return dx.reshape(x_shape), []


class GlobalAveragePooling1D(_GlobalAverage):
    """Mean over the steps of ``(n, steps, c)`` inputs.

    Parameters
    ----------
    data_format : {None, "channels_last"}
        Only channels-last (``None`` means the same), Keras' default.
    keepdims : bool
        Keep the steps axis with length 1.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, steps, c)``, output ``(n, c)`` (``(n, 1, c)`` with ``keepdims``).

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import GlobalAveragePooling1D
    >>> GlobalAveragePooling1D()(np.arange(6.0).reshape(1, 3, 2))
    array([[2., 3.]])
    >>> GlobalAveragePooling1D(keepdims=True)(np.zeros((4, 3, 2))).shape
    (4, 1, 2)
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    _spatial_rank = 1


class GlobalAveragePooling2D(_GlobalAverage):
    """Mean over the height and width of ``(n, h, w, c)`` inputs.

    Parameters
    ----------
    data_format : {None, "channels_last"}
        Only channels-last (``None`` means the same), Keras' default.
    keepdims : bool
        Keep the spatial axes with length 1.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, h, w, c)``, output ``(n, c)`` (``(n, 1, 1, c)`` with ``keepdims``).

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import GlobalAveragePooling2D
    >>> GlobalAveragePooling2D()(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[3., 4.]])
    """

    _spatial_rank = 2


class GlobalMaxPooling1D(_GlobalMax):
    """Maximum over the steps of ``(n, steps, c)`` inputs.

    Parameters
    ----------
    data_format : {None, "channels_last"}
        Only channels-last (``None`` means the same), Keras' default.
    keepdims : bool
        Keep the pooled axes, with length 1.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, steps, c)``, output ``(n, c)`` (``(n, 1, c)`` with ``keepdims``).

    Notes
    -----
    The gradient goes to the first maximal step of each channel.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import GlobalMaxPooling1D
    >>> GlobalMaxPooling1D()(np.array([[[1.0, 5.0], [3.0, 2.0]]]))
    array([[3., 5.]])
    """

    _spatial_rank = 1


class GlobalMaxPooling2D(_GlobalMax):
    """Maximum over the height and width of ``(n, h, w, c)`` inputs.

    Parameters
    ----------
    data_format : {None, "channels_last"}
        Only channels-last (``None`` means the same), Keras' default.
    keepdims : bool
        Keep the pooled axes, with length 1.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, h, w, c)``, output ``(n, c)`` (``(n, 1, 1, c)`` with ``keepdims``).

    Notes
    -----
    The gradient goes to the first maximal pixel (row-major) of each channel.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import GlobalMaxPooling2D
    >>> GlobalMaxPooling2D()(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[6., 7.]])
    """

    _spatial_rank = 2
