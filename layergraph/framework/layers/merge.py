"""Layers that merge several inputs, and Keras' functional helpers that build and call them.

- :class:`Concatenate` joins inputs along an axis.
- :class:`Add`, :class:`Subtract`, :class:`Multiply`, :class:`Average`,
  :class:`Maximum`, :class:`Minimum` combine inputs element by element with
  Keras' shape rule: the feature shapes (batch axis excluded) must agree
  axis by axis from the right, where a length of 1 broadcasts; an input of
  lower rank gets length-1 axes inserted after the batch axis. The batch
  sizes must be equal. The backward pass sums each input's gradient over
  the axes it was broadcast along.
- :class:`Dot` takes per-sample dot products along chosen axes.
- :func:`add`, :func:`subtract`, :func:`multiply`, :func:`average`,
  :func:`maximum`, :func:`minimum`, :func:`concatenate`, :func:`dot` build
  the layer and call it on a list of symbolic tensors or arrays, as
  ``keras.layers.add([a, b])`` does.

Example
-------
>>> import numpy as np, layergraph as lg
>>> a, b = lg.Input(shape=(4,)), lg.Input(shape=(4,))
>>> model = lg.Model([a, b], lg.layers.average([a, lg.layers.maximum([a, b])]))
>>> model.predict([np.zeros((1, 4)), np.full((1, 4), 2.0)], verbose=0)
array([[1., 1., 1., 1.]])
"""
from __future__ import annotations

import numpy as np

from ._arguments import is_int
from .base import Layer


class _Merge(Layer):
    """Base of layers taking a list of at least two inputs (exactly two when ``_exactly_two``)."""

    _exactly_two = False

    def _count(self):
        return "exactly 2" if self._exactly_two else "at least 2"

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2 or (self._exactly_two and len(inputs) != 2):
            got = f"{len(inputs)} inputs" if isinstance(inputs, (list, tuple)) else type(inputs).__name__
            raise ValueError(f"{type(self).__name__} {self.name!r} needs a list of {self._count()} inputs, got {got}")

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2 or (self._exactly_two and len(input_shape) != 2):
            raise ValueError(f"{type(self).__name__} {self.name!r} needs a list of {self._count()} inputs, "
                             f"got shape {input_shape}")
        self.built = True


class Concatenate(_Merge):
    """Joins inputs along ``axis`` (default the last, features).

    Parameters
    ----------
    axis : int, default -1
        The axis to join along (not the batch axis).
    **kwargs
        Base layer arguments (see :class:`~layergraph.layers.Layer`).

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

    @property
    def samplewise(self):
        """Each sample is joined from its own rows, unless ``axis`` is the batch axis (see Layer.samplewise)."""
        shapes = self.input_shape
        return isinstance(shapes, list) and self.axis % len(shapes[0]) != 0

    def compute_output_shape(self, input_shape):
        ref = list(input_shape[0])
        axis = self.axis % len(ref)
        for shape in input_shape[1:]:
            if len(shape) != len(ref) or any(
                    a != b for i, (a, b) in enumerate(zip(shape, ref, strict=True)) if i != axis and i != 0):
                raise ValueError(f"Concatenate {self.name!r}: incompatible input shapes {input_shape} "
                                 f"along axis {self.axis}")
        ref[axis] = sum(s[axis] for s in input_shape)
        return tuple(ref)

    def call(self, inputs):
        self._check_inputs(inputs)
        try:
            return np.concatenate(inputs, axis=self.axis)
        except ValueError as err:
            raise ValueError(f"Concatenate {self.name!r}: incompatible input shapes "
                             f"{[a.shape for a in inputs]}: {err}") from None

    def forward(self, inputs, training=False):
        return self.call(inputs), [a.shape[self.axis] for a in inputs]

    def backward(self, grad, sizes, input_grad=True):
        return np.split(grad, np.cumsum(sizes)[:-1], axis=self.axis), []

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _broadcast_features(input_shapes, owner):
    """Keras' element-wise output feature shape for inputs of ``input_shapes`` (batch axis first).

    The feature axes (all but the batch axis) are matched from the right;
    lengths must be equal or 1 (``None``, unknown, stays unknown); the
    longer shape's extra leading axes are kept.

    >>> _broadcast_features([(None, 3, 4), (None, 4), (None, 1, 1)], "Add 'add'")
    (3, 4)
    """
    out = ()
    for shape in (s[1:] for s in input_shapes):
        long, short = (out, tuple(shape)) if len(out) >= len(shape) else (tuple(shape), out)
        tail = []
        for i, j in zip(long[len(long) - len(short):], short, strict=True):
            if i is None or j is None:
                tail.append(None)
            elif i == 1 or j == 1 or i == j:
                tail.append(j if i == 1 else i)
            else:
                raise ValueError(f"{owner}: inputs have incompatible shapes {[tuple(s) for s in input_shapes]}: "
                                 f"feature axes must be equal or 1 (matched from the right)")
        out = (*long[:len(long) - len(short)], *tail)
    return out


def _combined(ufunc, out, x):
    """``ufunc(out, x)``, into ``out`` when it already has the broadcast shape (a fresh array the
    merge owns); a new array when ``x`` is larger, or under recording (traced values are never written)."""
    if type(out) is np.ndarray and out.shape == np.broadcast_shapes(out.shape, x.shape):
        return ufunc(out, x, out=out)
    return ufunc(out, x)


def _unbroadcast(grad, shape):
    """``grad`` summed over the axes along which an input of ``shape`` (same rank) was broadcast."""
    if grad.shape == tuple(shape):
        return grad
    axes = tuple(i for i, (g, s) in enumerate(zip(grad.shape, shape, strict=True)) if s == 1 and g != 1)
    return grad.sum(axis=axes, keepdims=True)


class _ElementwiseMerge(_Merge):
    """Element-wise merges with Keras' broadcasting. Subclasses implement :meth:`_combine` and :meth:`_grads`."""

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def _owner(self):
        return f"{type(self).__name__} {self.name!r}"

    def compute_output_shape(self, input_shape):
        self.build(input_shape)
        return (None, *_broadcast_features(input_shape, self._owner()))

    def _aligned(self, inputs):
        """The inputs checked and brought to one rank (Keras' broadcasting)."""
        self._check_inputs(inputs)
        shapes = [a.shape for a in inputs]
        if len({s[0] if s else None for s in shapes}) != 1 or any(not s for s in shapes):
            raise ValueError(f"{self._owner()}: inputs need a batch axis of one size, got shapes {shapes}")
        rank = 1 + len(_broadcast_features(shapes, self._owner()))
        # Lower-rank inputs get length-1 axes after the batch axis (Keras' expand_dims(x, 1)).
        return [a.reshape(a.shape[0], *(1,) * (rank - a.ndim), *a.shape[1:]) for a in inputs]

    def call(self, inputs):
        return self._combine(self._aligned(inputs))[0]

    def forward(self, inputs, training=False):
        xs = self._aligned(inputs)
        out, state = self._combine(xs)
        return out, ([a.shape for a in inputs], [x.shape for x in xs], state)

    def backward(self, grad, cache, input_grad=True):
        shapes, expanded, state = cache
        grads = self._grads(grad, len(shapes), state)
        return [_unbroadcast(g, e).reshape(s) for g, e, s in zip(grads, expanded, shapes, strict=True)], []

    def _combine(self, xs):
        """``(output, state for _grads)`` from the rank-aligned inputs ``xs``, in traceable numpy
        (``+=`` and ``*=`` update the fresh output in place, and make new values under recording)."""
        raise NotImplementedError

    def _grads(self, grad, count, state):
        """``dL/d(input)`` for each input, each broadcastable to the output shape."""
        raise NotImplementedError


class Add(_ElementwiseMerge):
    """Element-wise sum of the inputs (Keras broadcasting).

    Shapes
    ------
    inputs ``(batch, ...)`` whose feature shapes broadcast (see the module
    docstring); output the broadcast shape.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Add
    >>> Add()([np.ones((2, 3)), np.ones((2, 3))])[0, 0].item()
    2.0
    >>> Add()([np.zeros((2, 3)), np.arange(2.0).reshape(2, 1)])
    array([[0., 0., 0.],
           [1., 1., 1.]])
    """

    def _combine(self, xs):
        out = np.add(xs[0], xs[1])
        for x in xs[2:]:
            out = _combined(np.add, out, x)
        return out, None

    def _grads(self, grad, count, state):
        # The same array object may go to every input: the graph accumulates
        # into fresh buffers, so sharing it is safe.
        return [grad] * count


class Subtract(_ElementwiseMerge):
    """``inputs[0] - inputs[1]`` (exactly two inputs, Keras broadcasting).

    Shapes
    ------
    inputs ``(batch, ...)`` whose feature shapes broadcast (see the module
    docstring); output the broadcast shape.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Subtract
    >>> Subtract()([np.full((1, 2), 5.0), np.ones((1, 2))])
    array([[4., 4.]])
    """

    _exactly_two = True

    def _combine(self, xs):
        return np.subtract(xs[0], xs[1]), None

    def _grads(self, grad, count, state):
        return [grad, -grad]


class Multiply(_ElementwiseMerge):
    """Element-wise product of the inputs (Keras broadcasting).

    Shapes
    ------
    inputs ``(batch, ...)`` whose feature shapes broadcast (see the module
    docstring); output the broadcast shape.

    Notes
    -----
    Each input's gradient is the output gradient times the product of the
    *other* inputs, formed from prefix and suffix products (no division, so
    zeros are fine).

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Multiply
    >>> Multiply()([np.full((1, 2), 3.0), np.full((1, 2), 2.0), np.ones((1, 1))])
    array([[6., 6.]])
    """

    def _combine(self, xs):
        out = np.multiply(xs[0], xs[1])
        for x in xs[2:]:
            out = _combined(np.multiply, out, x)
        return out, xs

    def _grads(self, grad, count, xs):
        if count == 2:
            return [grad * xs[1], grad * xs[0]]
        prefix = [None] * count  # product of xs[:i]
        for i in range(1, count):
            prefix[i] = xs[0] if i == 1 else prefix[i - 1] * xs[i - 1]
        grads, suffix = [None] * count, None  # suffix: product of xs[i + 1:]
        for i in range(count - 1, -1, -1):
            others = prefix[i] if suffix is None else (suffix if prefix[i] is None else prefix[i] * suffix)
            grads[i] = grad * others
            suffix = xs[i] if suffix is None else suffix * xs[i]
        return grads


class Average(_ElementwiseMerge):
    """Element-wise mean of the inputs (Keras broadcasting).

    Shapes
    ------
    inputs ``(batch, ...)`` whose feature shapes broadcast (see the module
    docstring); output the broadcast shape.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Average
    >>> Average()([np.zeros((1, 2)), np.full((1, 2), 3.0)])
    array([[1.5, 1.5]])
    """

    def _combine(self, xs):
        out = np.add(xs[0], xs[1])
        for x in xs[2:]:
            out = _combined(np.add, out, x)
        out /= len(xs)
        return out, None

    def _grads(self, grad, count, state):
        return [grad / count] * count


class _Extremum(_ElementwiseMerge):
    """Maximum or minimum; the gradient of each element goes to the first input attaining it."""

    _ufunc = None

    def _combine(self, xs):
        out = self._ufunc(xs[0], xs[1])
        for x in xs[2:]:
            out = self._ufunc(out, x)
        return out, (xs, out)

    def _grads(self, grad, count, state):
        xs, out = state
        taken = np.zeros(out.shape, dtype=bool)
        grads = []
        for x in xs:
            first = (x == out) & ~taken  # ties: only the first input that attains the extremum
            taken |= first
            grads.append(grad * first)
        return grads


class Maximum(_Extremum):
    """Element-wise maximum of the inputs (Keras broadcasting).

    Shapes
    ------
    inputs ``(batch, ...)`` whose feature shapes broadcast (see the module
    docstring); output the broadcast shape.

    Notes
    -----
    Where several inputs tie for the maximum, the whole gradient goes to the
    first of them (in input order), never split or duplicated.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Maximum
    >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    array([[3., 5.]])
    """

    _ufunc = np.maximum


class Minimum(_Extremum):
    """Element-wise minimum of the inputs (Keras broadcasting).

    Shapes
    ------
    inputs ``(batch, ...)`` whose feature shapes broadcast (see the module
    docstring); output the broadcast shape.

    Notes
    -----
    Where several inputs tie for the minimum, the whole gradient goes to the
    first of them (in input order).

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Minimum
    >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    array([[1., 2.]])
    """

    _ufunc = np.minimum


#: Keras' ``backend.epsilon()``: the smallest norm :class:`Dot` divides by.
_EPSILON = 1e-7


class Dot(_Merge):
    r"""Per-sample dot product of two inputs along ``axes``.

    For each sample, the axis ``axes[0]`` of the first input is contracted
    with the axis ``axes[1]`` of the second (Keras' ``batch_dot``): the
    output has the first input's other feature axes, then the second's.

    Parameters
    ----------
    axes : int or (int, int)
        The axis of each input (not the batch axis 0); one int means the same
        axis for both; negative values count from the end.
    normalize : bool
        L2-normalise both inputs along their axis first, so the output is the
        cosine similarity: :math:`x / \max(\lVert x \rVert, 10^{-7})`.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    inputs ``(n, *a)`` and ``(n, *b)`` with equal lengths on the contracted
    axes; output ``(n, *a', *b')`` (each without its contracted axis), or
    ``(n, 1)`` when nothing else is left.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Dot
    >>> x, y = np.arange(10.0).reshape(1, 5, 2), np.arange(10.0, 20.0).reshape(1, 2, 5)
    >>> Dot(axes=(1, 2))([x, y])
    array([[[260., 360.],
            [320., 445.]]])
    >>> Dot(axes=1, normalize=True)([np.array([[3.0, 4.0]]), np.array([[4.0, 3.0]])])
    array([[0.96]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    _exactly_two = True

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        owner = f"Dot {self.name!r}"
        if is_int(axes):
            axes = int(axes)
        elif isinstance(axes, (list, tuple)) and len(axes) == 2 and all(is_int(a) for a in axes):
            axes = [int(a) for a in axes]
        else:
            raise ValueError(f"{owner}: axes must be an integer or a pair of integers, got {axes!r}")
        if not isinstance(normalize, (bool, np.bool_)):
            raise ValueError(f"{owner}: normalize must be True or False, got {normalize!r}")
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolve(self, shapes):
        """The two contracted axes as non-negative indices, validated against ``shapes``."""
        owner = f"Dot {self.name!r}"
        if any(len(s) < 2 for s in shapes):
            raise ValueError(f"{owner} needs inputs of rank >= 2 (batch axis included), got shapes "
                             f"{[tuple(s) for s in shapes]}")
        pair = [self.axes] * 2 if isinstance(self.axes, int) else self.axes
        axes = []
        for axis, shape in zip(pair, shapes, strict=True):
            if not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
                raise ValueError(f"{owner}: axes {self.axes} must name a feature axis (not the batch axis 0) "
                                 f"of inputs of shapes {[tuple(s) for s in shapes]}")
            axes.append(axis % len(shape))
        a, b = shapes[0][axes[0]], shapes[1][axes[1]]
        if a is not None and b is not None and a != b:
            raise ValueError(f"{owner}: incompatible input shapes {[tuple(s) for s in shapes]}: axis {axes[0]} "
                             f"of the first has length {a}, axis {axes[1]} of the second has length {b}")
        return axes

    def build(self, input_shape):
        super().build(input_shape)
        self._resolve(input_shape)

    def compute_output_shape(self, input_shape):
        self.build(input_shape)
        (a0, a1), (s0, s1) = self._resolve(input_shape), input_shape
        rest = [d for i, d in enumerate(s0) if i not in (0, a0)] + [d for i, d in enumerate(s1) if i not in (0, a1)]
        return (None, *(rest or [1]))

    @staticmethod
    def _l2_normalize(x, axis):
        norm = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
        denom = np.maximum(norm, _EPSILON)
        return x / denom, denom, norm > _EPSILON

    def forward(self, inputs, training=False):
        self._check_inputs(inputs)
        x, y = inputs
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"Dot {self.name!r}: inputs need one batch size, got shapes {x.shape} and {y.shape}")
        a0, a1 = self._resolve([x.shape, y.shape])
        norm_cache = None
        if self.normalize:
            (x, dx_, kx), (y, dy_, ky) = self._l2_normalize(x, a0), self._l2_normalize(y, a1)
            norm_cache = (x, dx_, kx, y, dy_, ky)
        # (n, rest_x, k) @ (n, k, rest_y): one batched matrix product.
        xm = np.moveaxis(x, a0, -1)
        ym = np.moveaxis(y, a1, 1)
        n, k = x.shape[0], x.shape[a0]
        rest_x, rest_y = xm.shape[1:-1], ym.shape[2:]
        out = np.matmul(xm.reshape(n, -1, k), ym.reshape(n, k, -1))
        out = out.reshape(n, *rest_x, *rest_y) if rest_x or rest_y else out.reshape(n, 1)
        return out, (xm, ym, (a0, a1), norm_cache)

    def backward(self, grad, cache, input_grad=True):
        xm, ym, (a0, a1), norm_cache = cache
        n, k = xm.shape[0], xm.shape[-1]
        g = grad.reshape(n, -1, int(np.prod(ym.shape[2:], dtype=int)))
        dxm = np.matmul(g, ym.reshape(n, k, -1).transpose(0, 2, 1)).reshape(xm.shape)
        dym = np.matmul(xm.reshape(n, -1, k).transpose(0, 2, 1), g).reshape(ym.shape)
        dx, dy = np.moveaxis(dxm, -1, a0), np.moveaxis(dym, 1, a1)
        if norm_cache is not None:
            x, x_denom, x_big, y, y_denom, y_big = norm_cache
            dx = self._normalize_backward(dx, x, x_denom, x_big, a0)
            dy = self._normalize_backward(dy, y, y_denom, y_big, a1)
        return [dx, dy], []

    @staticmethod
    def _normalize_backward(g, unit, denom, big, axis):
        """``dL/dx`` of ``unit = x / max(|x|, eps)`` from ``g = dL/d(unit)``."""
        # Where |x| > eps: (g - unit <g, unit>) / |x|; else the divisor is the constant eps.
        radial = np.sum(g * unit, axis=axis, keepdims=True) * big
        return (g - unit * radial) / denom

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


# -- functional helpers (Keras' keras.layers.add, ...) ------------------------------------
def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the element-wise sum of a list of tensors or arrays.

    Parameters
    ----------
    inputs : list of SymbolicTensor or array-like
        The tensors to add (at least two), of the same shape.
    **kwargs
        Layer arguments (``name``...).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.layers.add([np.ones((1, 2)), np.ones((1, 2))])
    array([[2., 2.]])
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: ``inputs[0] - inputs[1]``.

    Parameters
    ----------
    inputs : list of SymbolicTensor or array-like
        The tensors to merge (at least two), of the same shape.
    **kwargs
        Layer arguments (``name``...).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.layers.subtract([np.ones((1, 2)), np.full((1, 2), 3.0)])
    array([[-2., -2.]])
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the element-wise product.

    Parameters
    ----------
    inputs : list of SymbolicTensor or array-like
        The tensors to merge (at least two), of the same shape.
    **kwargs
        Layer arguments (``name``...).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.layers.multiply([np.full((1, 2), 2.0), np.full((1, 2), 3.0)])
    array([[6., 6.]])
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the element-wise mean.

    Parameters
    ----------
    inputs : list of SymbolicTensor or array-like
        The tensors to merge (at least two), of the same shape.
    **kwargs
        Layer arguments (``name``...).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.layers.average([np.ones((1, 2)), np.full((1, 2), 3.0)])
    array([[2., 2.]])
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the element-wise maximum.

    Parameters
    ----------
    inputs : list of SymbolicTensor or array-like
        The tensors to merge (at least two), of the same shape.
    **kwargs
        Layer arguments (``name``...).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.layers.maximum([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    array([[3., 5.]])
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the element-wise minimum.

    Parameters
    ----------
    inputs : list of SymbolicTensor or array-like
        The tensors to merge (at least two), of the same shape.
    **kwargs
        Layer arguments (``name``...).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.layers.minimum([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    array([[1., 2.]])
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``: join along ``axis`` (default the last).

    Parameters
    ----------
    inputs : list of SymbolicTensor or array-like
        The tensors to join, agreeing on every other axis.
    axis : int, default -1
        The axis to join along (not the batch axis).
    **kwargs
        Layer arguments (``name``...).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.layers.concatenate([np.zeros((2, 1)), np.ones((2, 3))]).shape
    (2, 4)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """``Dot(axes=axes, **kwargs)(inputs)``: per-sample dot products (``normalize=True`` for cosines).

    Parameters
    ----------
    inputs : list of SymbolicTensor or array-like
        Two tensors.
    axes : int or tuple of int, default -1
        The axis of each input to sum over (one int: the same for both).
    **kwargs
        :class:`Dot` arguments (``normalize``, ``name``...).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.layers.dot([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])])
    array([[11.]])
    """
    return Dot(axes=axes, **kwargs)(inputs)
