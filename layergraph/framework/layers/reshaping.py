"""Layers that rearrange, resize, pad or crop their input.

- :class:`Flatten` and :class:`Reshape` keep the batch axis and move no data
  (``numpy.reshape`` of a contiguous array is a view); the backward pass
  reshapes the gradient back.
- :class:`UpSampling2D` repeats rows and columns (``"nearest"``) or
  interpolates them (``"bilinear"``, two small matrix products).
- :class:`ZeroPadding2D` and :class:`Cropping2D` add or remove rows and
  columns at the borders; each is the other's backward pass.

All work on whole batches at once: no loop over samples or pixels.
"""
from __future__ import annotations

import math

import numpy as np

from ._arguments import channels_last, check_rank, choice, int_tuple, is_int, with_keras_name
from .base import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis (row-major order, like Keras' channels-last).

    Parameters
    ----------
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

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

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

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

    def call(self, inputs):
        self._check_input_rank(inputs, 1, 32)
        return inputs.reshape(inputs.shape[0], math.prod(inputs.shape[1:]))

    def forward(self, x, training=False):
        return self.call(x), x.shape

    def backward(self, grad, cache, input_grad=True):
        return grad.reshape(cache), []


class Reshape(Layer):
    """Reshapes the features to ``target_shape`` (the batch axis is kept).

    Parameters
    ----------
    target_shape : tuple of int
        Feature shape without the batch axis; at most one entry may be ``-1``
        (inferred from the input size).
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

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

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

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

    def call(self, inputs):
        self._check_input_rank(inputs, 2, 32)
        return inputs.reshape(inputs.shape[0], *self._resolve(inputs.shape[1:]))

    def forward(self, x, training=False):
        return self.call(x), x.shape

    def backward(self, grad, cache, input_grad=True):
        return grad.reshape(cache), []

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


def _bilinear_weights(in_size, factor):
    """``(in_size * factor, in_size)`` matrix of Keras' bilinear resize (half-pixel centres).

    Output pixel ``o`` samples the input at ``(o + 0.5) / factor - 0.5``
    with the triangle kernel ``max(0, 1 - |t - i|)``; each row is divided by
    its sum, so a sample beyond the first or last pixel centre copies that
    pixel (what ``keras.ops.image.resize(..., "bilinear")`` computes).
    """
    sample = (np.arange(in_size * factor) + 0.5) / factor - 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(sample[:, None] - np.arange(in_size)[None, :]))
    return weights / weights.sum(axis=1, keepdims=True)


class UpSampling2D(Layer):
    """Enlarges ``(n, h, w, c)`` images by integer factors: ``(n, h * sh, w * sw, c)``.

    Parameters
    ----------
    size : int or (int, int)
        Factors ``(sh, sw)`` for rows and columns (default 2).
    data_format : {None, "channels_last"}
        Only channels-last (``None`` means the same), Keras' default.
    interpolation : {"nearest", "bilinear"}
        ``"nearest"`` repeats every row ``sh`` times and every column ``sw``
        times; ``"bilinear"`` interpolates linearly between pixel centres
        (half-pixel centres, edges clamped), as Keras' image resize does.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, h, w, c)``, output ``(n, h * sh, w * sw, c)``.

    Notes
    -----
    Bilinear resizing is separable: one matrix product over the rows and one
    over the columns; its backward pass multiplies by the transposes.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import UpSampling2D
    >>> x = np.array([[1.0, 2.0]]).reshape(1, 1, 2, 1)
    >>> UpSampling2D((1, 2))(x)[0, :, :, 0]
    array([[1., 1., 2., 2.]])
    >>> UpSampling2D((1, 2), interpolation="bilinear")(x)[0, :, :, 0]
    array([[1.  , 1.25, 1.75, 2.  ]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**with_keras_name(UpSampling2D, kwargs))
        owner = f"UpSampling2D {self.name!r}"
        self.size = int_tuple(size, 2, "size", owner)
        self.data_format = channels_last(data_format, owner)
        self.interpolation = choice(interpolation, ("nearest", "bilinear"), "interpolation", owner)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _check(self, shape):
        check_rank(f"UpSampling2D {self.name!r}", shape, 4, "(batch, height, width, channels)")

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        (sh, sw), (_, h, w, c) = self.size, input_shape
        return (input_shape[0], None if h is None else h * sh, None if w is None else w * sw, c)

    def _upsample(self, x):
        """``(outputs, cache)``, in traceable numpy."""
        self._check(x.shape)
        n, h, w, c = x.shape
        sh, sw = self.size
        if self.interpolation == "nearest":
            out = np.broadcast_to(x[:, :, None, :, None, :], (n, h, sh, w, sw, c)).reshape(n, h * sh, w * sw, c)
            return out, x.shape
        rows = _bilinear_weights(h, sh).astype(x.dtype, copy=False)
        cols = _bilinear_weights(w, sw).astype(x.dtype, copy=False)
        tall = np.matmul(rows, x.reshape(n, h, w * c))  # (n, h * sh, w * c)
        out = np.matmul(cols, tall.reshape(n * h * sh, w, c))  # (n * h * sh, w * sw, c)
        return out.reshape(n, h * sh, w * sw, c), (x.shape, rows, cols)

    def call(self, inputs):
        return self._upsample(inputs)[0]

    def forward(self, x, training=False):
        return self._upsample(x)

    def backward(self, grad, cache, input_grad=True):
        sh, sw = self.size
        if self.interpolation == "nearest":
            n, h, w, c = cache
            return grad.reshape(n, h, sh, w, sw, c).sum(axis=(2, 4)), []
        (n, h, w, c), rows, cols = cache
        narrow = np.matmul(cols.T, grad.reshape(n * h * sh, w * sw, c))  # (n * h * sh, w, c)
        dx = np.matmul(rows.T, narrow.reshape(n, h * sh, w * c))  # (n, h, w * c)
        return dx.reshape(n, h, w, c), []

    def get_config(self):
        config = super().get_config()
        config.update(size=list(self.size), data_format=self.data_format, interpolation=self.interpolation)
        return config


def _border_pairs(value, what, owner):
    """Keras' padding/cropping forms as ``((top, bottom), (left, right))`` of non-negative ints.

    ``p`` -> ``((p, p), (p, p))``; ``(ph, pw)`` -> ``((ph, ph), (pw, pw))``;
    ``((t, b), (l, r))`` as given.
    """
    form = (f"{what} must be a non-negative integer, a pair (symmetric_height, symmetric_width) or a pair of "
            f"pairs ((top, bottom), (left, right))")
    if is_int(value):
        if value < 0:
            raise ValueError(f"{owner}: {form}, got {value!r}")
        return ((int(value),) * 2,) * 2
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{owner}: {form}, got {value!r}")
    try:
        return tuple(int_tuple(v, 2, what, owner, minimum=0) for v in value)
    except ValueError:
        raise ValueError(f"{owner}: {form}, got {value!r}") from None


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around ``(n, h, w, c)`` images.

    Parameters
    ----------
    padding : int, (int, int) or ((int, int), (int, int))
        ``p``: ``p`` rows/columns on every side; ``(ph, pw)``: ``ph`` rows
        above and below, ``pw`` columns left and right;
        ``((top, bottom), (left, right))``: each side apart. Default ``(1, 1)``.
    data_format : {None, "channels_last"}
        Only channels-last (``None`` means the same), Keras' default.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, h, w, c)``, output ``(n, top + h + bottom, left + w + right, c)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import ZeroPadding2D
    >>> ZeroPadding2D(((1, 0), (0, 2)))(np.ones((1, 1, 1, 1)))[0, :, :, 0]
    array([[0., 0., 0.],
           [1., 0., 0.]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**with_keras_name(ZeroPadding2D, kwargs))
        owner = f"ZeroPadding2D {self.name!r}"
        self.padding = _border_pairs(padding, "padding", owner)
        self.data_format = channels_last(data_format, owner)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _check(self, shape):
        check_rank(f"ZeroPadding2D {self.name!r}", shape, 4, "(batch, height, width, channels)")

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        (top, bottom), (left, right) = self.padding
        _, h, w, c = input_shape
        return (input_shape[0], None if h is None else top + h + bottom, None if w is None else left + w + right, c)

    def forward(self, x, training=False):
        self._check(x.shape)
        (top, bottom), (left, right) = self.padding
        n, h, w, c = x.shape
        out = np.zeros((n, top + h + bottom, left + w + right, c), dtype=x.dtype)
        out[:, top:top + h, left:left + w, :] = x
        return out, x.shape

    def backward(self, grad, x_shape, input_grad=True):
        (top, _), (left, _) = self.padding
        return grad[:, top:top + x_shape[1], left:left + x_shape[2], :], []

    def get_config(self):
        config = super().get_config()
        config.update(padding=[list(p) for p in self.padding], data_format=self.data_format)
        return config


class Cropping2D(Layer):
    """Removes rows and columns at the borders of ``(n, h, w, c)`` images.

    Parameters
    ----------
    cropping : int, (int, int) or ((int, int), (int, int))
        The same forms as :class:`ZeroPadding2D`'s ``padding``; default
        ``((0, 0), (0, 0))``. At least one row and one column must remain.
    data_format : {None, "channels_last"}
        Only channels-last (``None`` means the same), Keras' default.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, h, w, c)``, output ``(n, h - top - bottom, w - left - right, c)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Cropping2D
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> Cropping2D(((1, 0), (1, 2)))(x)[0, :, :, 0]
    array([[ 5.],
           [ 9.],
           [13.]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**with_keras_name(Cropping2D, kwargs))
        owner = f"Cropping2D {self.name!r}"
        self.cropping = _border_pairs(cropping, "cropping", owner)
        self.data_format = channels_last(data_format, owner)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _check(self, shape):
        owner = f"Cropping2D {self.name!r}"
        check_rank(owner, shape, 4, "(batch, height, width, channels)")
        for size, (before, after), axis in zip(shape[1:3], self.cropping, ("height", "width"), strict=True):
            if size is not None and before + after >= size:
                raise ValueError(f"{owner}: cropping {self.cropping} leaves no {axis} of the input "
                                 f"(input shape {tuple(shape)}); crop less than the input size")

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        (top, bottom), (left, right) = self.cropping
        _, h, w, c = input_shape
        return (input_shape[0], None if h is None else h - top - bottom, None if w is None else w - left - right, c)

    def call(self, inputs):
        self._check(inputs.shape)
        (top, bottom), (left, right) = self.cropping
        _, h, w, _ = inputs.shape
        return inputs[:, top:h - bottom, left:w - right, :]

    def forward(self, x, training=False):
        return self.call(x), x.shape

    def backward(self, grad, x_shape, input_grad=True):
        (top, _), (left, _) = self.cropping
        dx = np.zeros(x_shape, dtype=grad.dtype)
        dx[:, top:top + grad.shape[1], left:left + grad.shape[2], :] = grad
        return dx, []

    def get_config(self):
        config = super().get_config()
        config.update(cropping=[list(p) for p in self.cropping], data_format=self.data_format)
        return config
