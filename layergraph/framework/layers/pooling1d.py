"""1-D pooling over ``(batch, steps, channels)``: :class:`MaxPooling1D` and :class:`AveragePooling1D`.

A 1-D pooling is exactly a 2-D pooling of height one: the input is viewed as
``(n, 1, steps, c)`` (no copy), pooled by the 2-D layer with window
``(1, pool_size)`` and strides ``(1, strides)``, and the result viewed back.
So the 1-D layers share the 2-D layers' vectorised code and their
semantics: max pooling routes each gradient to the first maximal element of
its window, and ``"same"`` average pooling divides by the number of real
(unpadded) elements, as TensorFlow/Keras do.
"""
from __future__ import annotations

from ._arguments import channels_last, check_rank, choice, int_tuple, with_keras_name
from .base import Layer
from .convolutional import conv_output_length
from .pooling import AveragePooling2D, MaxPooling2D


class _Pooling1D(Layer):
    """Validation, shapes and configuration of the 1-D pooling layers; the work is the 2-D layer's."""

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    _pooling2d = None  # the 2-D class doing the work

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**with_keras_name(type(self), kwargs))
        owner = f"{type(self).__name__} {self.name!r}"
        self.pool_size = int_tuple(pool_size, 1, "pool_size", owner)
        self.strides = self.pool_size if strides is None else int_tuple(strides, 1, "strides", owner)
        self.padding = choice(padding, ("valid", "same"), "padding", owner)
        self.data_format = channels_last(data_format, owner)
        # An explicit name keeps the helper from taking a default 2-D layer name.
        self._pool = self._pooling2d((1, self.pool_size[0]), strides=(1, self.strides[0]), padding=self.padding,
                                     name=f"{self.name}_2d")
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _output_steps(self, shape):
        owner = f"{type(self).__name__} {self.name!r}"
        check_rank(owner, shape, 3, "(batch, steps, channels)")
        if shape[1] is None:
            return None
        out, _ = conv_output_length(shape[1], self.pool_size[0], self.strides[0], self.padding)
        if out < 1:
            raise ValueError(f"{owner}: pool_size {self.pool_size[0]} is larger than the input's "
                             f"{shape[1]} steps (input shape {tuple(shape)})")
        return out

    def build(self, input_shape):
        self._output_steps(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self._output_steps(input_shape), input_shape[2])

    def forward(self, x, training=False):
        self._output_steps(x.shape)
        out, cache = self._pool.forward(x[:, None, :, :], training)
        return out[:, 0, :, :], cache

    def backward(self, grad, cache, input_grad=True):
        dx, _ = self._pool.backward(grad[:, None, :, :], cache)
        return dx[:, 0, :, :], []

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides), padding=self.padding,
                      data_format=self.data_format)
        return config


class MaxPooling1D(_Pooling1D):
    """Maximum over windows of ``pool_size`` steps, per channel.

    Parameters
    ----------
    pool_size : int
        Window length (default 2).
    strides : int, optional
        Step between windows; defaults to ``pool_size``.
    padding : {"valid", "same"}
        ``"valid"``: output ``floor((steps - pool_size) / strides) + 1``;
        ``"same"``: ``ceil(steps / strides)``, padding with ``-inf``.
    data_format : {None, "channels_last"}
        Only channels-last (``None`` means the same), Keras' default.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, steps, c)``, output ``(n, out_steps, c)``.

    Notes
    -----
    Each window's gradient goes to its first maximal element.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import MaxPooling1D
    >>> x = np.array([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 5, 1)
    >>> MaxPooling1D(pool_size=2, strides=1)(x)[0, :, 0]
    array([2., 3., 4., 5.])
    >>> MaxPooling1D(2, padding="same")(x)[0, :, 0]
    array([2., 4., 5.])
    """

    _pooling2d = MaxPooling2D


class AveragePooling1D(_Pooling1D):
    """Mean over windows of ``pool_size`` steps, per channel.

    Parameters
    ----------
    pool_size : int
        Window length (default 2).
    strides : int, optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}
        With ``"same"``, each window's mean is over its real (unpadded) steps.
    data_format : {None, "channels_last"}
        Only channels-last (``None`` means the same), Keras' default.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, steps, c)``, output ``(n, out_steps, c)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import AveragePooling1D
    >>> x = np.array([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 5, 1)
    >>> AveragePooling1D(pool_size=2, strides=1)(x)[0, :, 0]
    array([1.5, 2.5, 3.5, 4.5])
    >>> AveragePooling1D(2, padding="same")(x)[0, :, 0]
    array([1.5, 3.5, 5. ])
    """

    _pooling2d = AveragePooling2D
