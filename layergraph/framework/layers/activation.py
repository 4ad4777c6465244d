"""Activation functions as layers, with arguments: :class:`ReLU`, :class:`LeakyReLU`, :class:`Softmax`.

All three are element-wise (``Softmax``: along ``axis``) and keep the input
shape. :class:`Softmax` is an :class:`~layergraph.framework.layers.ActivatedLayer`
whose activation, over the last axis, is the same
:class:`~layergraph.framework.activations.Softmax` that
``Activation("softmax")`` and ``Dense(..., activation="softmax")`` hold, so
as a model's output layer it gets the fused, stable softmax + cross-entropy
gradient ``(p - t) / N``.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import activations, ops
from .._checks import is_number
from ._arguments import is_int, with_keras_name
from .base import ActivatedLayer, Layer


def _non_negative(value, what, owner, allow_none=False):
    """``float(value)`` for a finite number ``>= 0`` (or ``None`` when allowed); ``ValueError`` otherwise."""
    if value is None and allow_none:
        return None
    if not is_number(value) or not np.isfinite(value) or value < 0:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{owner}: {what} must be a number >= 0{extra}, got {value!r}")
    return float(value)


class ReLU(Layer):
    """Rectified linear unit with Keras' options: a cap, a leak and a threshold.

    .. math::
        f(x) = \\begin{cases}
            \\min(x, \\text{max\\_value}) & x > \\text{threshold} \\\\
            \\text{negative\\_slope} \\cdot (x - \\text{threshold}) & x < \\text{threshold} \\\\
            0 & x = \\text{threshold}
        \\end{cases}

    Parameters
    ----------
    max_value : float, optional
        Cap of the output (``None``: no cap). ``max_value=6`` is ReLU6.
    negative_slope : float
        Slope below the threshold (default 0).
    threshold : float
        Inputs at or below it give ``negative_slope * (x - threshold)``
        (default 0); just above it the output jumps to ``x``, as in Keras.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    any input; output of the same shape.

    Notes
    -----
    The derivative is 1 where ``threshold < x < max_value``,
    ``negative_slope`` where ``x < threshold``, and 0 elsewhere (including
    the kinks).

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import ReLU
    >>> x = np.array([[-10.0, -5.0, 0.0, 5.0, 10.0]])
    >>> ReLU(max_value=10, negative_slope=0.5)(x)
    array([[-5. , -2.5,  0. ,  5. , 10. ]])
    >>> ReLU(max_value=6)(x)
    array([[0., 0., 0., 5., 6.]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**with_keras_name(ReLU, kwargs))
        owner = f"ReLU {self.name!r}"
        self.max_value = _non_negative(max_value, "max_value", owner, allow_none=True)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", owner)
        self.threshold = _non_negative(threshold, "threshold", owner)

    def call(self, inputs):
        t = self.threshold
        out = np.maximum(inputs, 0) if t == 0 else np.where(inputs > t, inputs, 0).astype(inputs.dtype, copy=False)
        if self.max_value is not None:
            out = np.minimum(out, self.max_value)
        if self.negative_slope:
            out -= self.negative_slope * np.maximum(t - inputs, 0)  # in place on arrays, a new value when traced
        return out

    def forward(self, x, training=False):
        return self.call(x), x

    def backward(self, grad, x, input_grad=True):
        if not input_grad:
            return None, []
        passes = x > self.threshold
        if self.max_value is not None:
            passes &= x < self.max_value
        slope = passes.astype(grad.dtype)
        if self.negative_slope:
            slope += self.negative_slope * (x < self.threshold)
        return grad * slope, []

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config


class LeakyReLU(Layer):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below (Keras 3 default slope 0.3).

    Parameters
    ----------
    negative_slope : float
        Slope for negative inputs, ``>= 0``. Keras 2's ``alpha`` is accepted
        with a deprecation warning, as Keras 3 does.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    any input; output of the same shape.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import LeakyReLU
    >>> LeakyReLU(negative_slope=0.5)(np.array([[-10.0, -5.0, 0.0, 5.0, 10.0]]))
    array([[-5. , -2.5,  0. ,  5. , 10. ]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument alpha is deprecated (as in Keras 3); use negative_slope instead",
                          UserWarning, stacklevel=2)
        super().__init__(**with_keras_name(LeakyReLU, kwargs))
        self.negative_slope = _non_negative(negative_slope, "negative_slope", f"LeakyReLU {self.name!r}")

    def call(self, inputs):
        return np.where(inputs >= 0, inputs, self.negative_slope * inputs).astype(inputs.dtype, copy=False)

    def forward(self, x, training=False):
        return self.call(x), x

    def backward(self, grad, x, input_grad=True):
        if not input_grad:
            return None, []
        return np.where(x >= 0, grad, self.negative_slope * grad), []

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class _SoftmaxOverAxes(activations.ActivationFunction):
    """Softmax over any axes (``exp(x - logsumexp(x, axes))``), for ``Softmax(axis=...)`` off the last axis.

    Not a subclass of :class:`~layergraph.framework.activations.Softmax`:
    losses fuse only the last-axis softmax with cross-entropy.
    """

    name = "softmax"
    samplewise = True  # the Softmax layer never normalises over the batch axis

    def __init__(self, axes):
        self.axes = axes

    def call(self, z):
        return ops.softmax(z, axis=self.axes)

    def forward(self, z):
        a = z - z.max(axis=self.axes, keepdims=True)
        np.exp(a, out=a)
        a /= a.sum(axis=self.axes, keepdims=True)
        return a, a

    def backward(self, grad, a):
        return a * (grad - np.sum(grad * a, axis=self.axes, keepdims=True))


class Softmax(ActivatedLayer):
    r"""Softmax along ``axis``: :math:`y = e^{x - \max x} / \sum e^{x - \max x}` (the maximum subtracted).

    Parameters
    ----------
    axis : int or list of int
        Axis (or axes) normalised to sum 1; default the last.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    any input; output of the same shape.

    Notes
    -----
    Over the last axis (the default) this layer holds the same activation
    as ``Activation("softmax")``, so a categorical cross-entropy loss after
    it starts backpropagation from the fused ``dL/dz = (p - t) / N``. Keras'
    ``mask`` call argument is not supported.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Softmax
    >>> Softmax()(np.array([[1.0, 2.0, 1.0]])).round(8)
    array([[0.21194156, 0.57611688, 0.21194156]])
    >>> Softmax(axis=1)(np.zeros((1, 2, 3)))[0]
    array([[0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def __init__(self, axis=-1, **kwargs):
        name = f"Softmax {kwargs.get('name')!r}"
        axes = [axis] if is_int(axis) else axis
        if not isinstance(axes, (list, tuple)) or not axes or not all(is_int(a) for a in axes) \
                or len(set(axes)) != len(axes):
            raise ValueError(f"{name}: axis must be an integer or a list of distinct integers, got {axis!r}")
        axes = tuple(int(a) for a in axes)
        super().__init__(activation=self._activation_for(axes), **with_keras_name(Softmax, kwargs))
        self.axis = int(axis) if is_int(axis) else list(axes)
        self._axes = axes
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    @staticmethod
    def _activation_for(axes, rank=None):
        """The shared last-axis softmax (fusable with cross-entropy) when ``axes`` is the last axis."""
        last = axes == (-1,) or (rank is not None and len(axes) == 1 and axes[0] % rank == rank - 1)
        return activations.Softmax() if last else _SoftmaxOverAxes(axes)

    def _check(self, rank):
        if any(not -rank <= a < rank for a in self._axes) or len({a % rank for a in self._axes}) != len(self._axes):
            raise ValueError(f"Softmax {self.name!r}: axis {self.axis} is out of range for inputs of rank {rank}")
        if 0 in {a % rank for a in self._axes}:
            raise ValueError(f"Softmax {self.name!r}: axis {self.axis} includes the batch axis 0")

    def build(self, input_shape):
        if isinstance(input_shape, list):
            raise ValueError(f"Softmax {self.name!r} takes one input, got shapes {input_shape}")
        self._check(len(input_shape))
        self.activation = self._activation_for(self._axes, len(input_shape))
        self.built = True

    def preactivation(self, inputs):
        self._check(inputs.ndim)
        return inputs

    def forward_preactivation(self, x, training=False):
        return self.preactivation(x), None

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        return grad_z, []

    def get_config(self):
        config = super().get_config()
        del config["activation"]  # implied by the class
        config["axis"] = self.axis
        return config
