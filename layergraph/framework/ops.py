r"""Keras 3 op names for what numpy lacks, differentiable under recording.

Inside a layer's ``call()`` plain numpy works (``np.exp``, ``np.matmul``,
``x.sum(axis=0)``); this namespace adds the neural-network ops numpy does
not have, under Keras 3's names, arguments and defaults
(``keras/src/ops/nn.py`` and ``numpy.py``), plus the numpy-like ones so
that code written against ``keras.ops`` runs with the import changed:

- activations: :func:`relu`, :func:`sigmoid`, :func:`tanh`,
  :func:`softmax`, :func:`log_softmax`, :func:`softplus`, :func:`silu`
  (:func:`swish`), :func:`gelu`, :func:`elu`, :func:`leaky_relu`;
- :func:`conv` (1-D and 2-D, channels last or first), :func:`one_hot`;
- numpy-like: :func:`matmul`, :func:`dot`, :func:`sum`, :func:`mean`,
  :func:`max`, :func:`maximum`, :func:`where`, :func:`clip`,
  :func:`concatenate`, :func:`stack`, :func:`reshape`, :func:`transpose`,
  :func:`expand_dims`, :func:`squeeze`, :func:`square`, :func:`sqrt`,
  :func:`exp`, :func:`log`, :func:`abs`;
- :func:`cast`, :func:`convert_to_tensor`, :func:`convert_to_numpy`,
  :func:`stop_gradient`.

Every op takes and returns plain numpy arrays outside a recording. The
activations and ``conv`` are *primitives*
(:func:`~layergraph.framework.autodiff.primitive`): one tape node each, with
a hand-derived, numerically stable gradient (``softmax``'s is
:math:`s \odot (\bar s - \langle \bar s, s\rangle)`, ``log_softmax``'s
:math:`\bar y - e^{y} \sum \bar y`); the numpy-like ops are numpy itself,
recorded by the tracer. Integer inputs to the activations are computed in
float64.

Example
-------
>>> import numpy as np
>>> from layergraph import ops
>>> ops.softmax(np.array([[1000.0, 1000.0, -1000.0]])).round(3).tolist()
[[0.5, 0.5, 0.0]]
>>> ops.one_hot(np.array([2, 0, -1]), 3).tolist()
[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
"""
from __future__ import annotations

import math

import numpy as np
import scipy.special

from . import convolution
from .autodiff import Traceable, Traced, primitive, stop_gradient

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "silu", "swish", "gelu", "elu",
           "leaky_relu", "one_hot", "conv", "matmul", "dot", "sum", "mean", "max", "maximum", "where", "clip",
           "concatenate", "stack", "reshape", "transpose", "expand_dims", "squeeze", "square", "sqrt", "exp", "log",
           "abs", "cast", "convert_to_tensor", "convert_to_numpy", "stop_gradient"]

# Python floats, not numpy scalars: they keep float32 arrays float32.
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)


def _as_float(x):
    """``x`` as an array of its floating dtype, or float64 (integers, lists)."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


_EXP_LIMITS = {}


def _exp_limit(dtype):
    """The largest argument whose exponential is finite in ``dtype`` (cached per dtype)."""
    limit = _EXP_LIMITS.get(dtype)
    if limit is None:
        limit = _EXP_LIMITS[dtype] = float(np.log(np.finfo(dtype).max))
    return limit


def _sigmoid(x):
    # 1 / (1 + e^-x); capping -x at log(max) keeps e^-x finite (no overflow
    # warning) and changes only results below the smallest normal number.
    return 1.0 / (1.0 + np.exp(np.minimum(-x, _exp_limit(x.dtype))))


# -- activations ------------------------------------------------------------------------

@primitive(lambda path, g, ans, x: g * (ans > 0))
def relu(x):
    """``max(x, 0)``; the gradient at 0 is 0 (as in Keras).

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).

    Example
    -------
    >>> relu(np.array([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
    """
    return np.maximum(_as_float(x), 0)


@primitive(lambda path, g, ans, x: g * ans * (1.0 - ans))
def sigmoid(x):
    """``1 / (1 + exp(-x))``, finite and warning-free at ±1000.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).

    Example
    -------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).round(6).tolist()
    [0.0, 0.5, 1.0]
    """
    return _sigmoid(_as_float(x))


def tanh(x):
    """``np.tanh(x)`` (recorded by the tracer like any ufunc).

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).

    Example
    -------
    >>> tanh(np.array([0.0, 1000.0])).tolist()
    [0.0, 1.0]
    """
    return np.tanh(x)


def _softmax_vjp(path, g, ans, x, axis=-1):
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


@primitive(_softmax_vjp)
def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int or a tuple), max-subtracted for stability.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    axis : int or tuple of int, default -1
        The axis (or axes) that sum to 1.

    Example
    -------
    >>> softmax(np.array([[1.0, 2.0], [1000.0, 1000.0]])).round(4).tolist()
    [[0.2689, 0.7311], [0.5, 0.5]]
    """
    x = _as_float(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_vjp(path, g, ans, x, axis=-1):
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


@primitive(_log_softmax_vjp)
def log_softmax(x, axis=-1):
    """``x - max(x) - log(sum(exp(x - max(x))))`` along ``axis``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    axis : int or tuple of int, default -1
        The axis (or axes) normalised over.

    Example
    -------
    >>> log_softmax(np.array([-1.0, 0.0, 1.0])).round(8).tolist()
    [-2.40760596, -1.40760596, -0.40760596]
    """
    x = _as_float(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


@primitive(lambda path, g, ans, x: -g * np.expm1(-ans))  # sigmoid(x) = 1 - exp(-softplus(x))
def softplus(x):
    """``log(1 + exp(x))``, as ``np.logaddexp(x, 0)`` (no overflow).

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).

    Example
    -------
    >>> softplus(np.array([-1000.0, 0.0, 1000.0])).round(6).tolist()
    [0.0, 0.693147, 1000.0]
    """
    x = _as_float(x)
    return np.logaddexp(x, np.zeros((), dtype=x.dtype))


def _silu_vjp(path, g, ans, x):
    s = _sigmoid(_as_float(x))
    return g * (s + ans * (1.0 - s))  # d(x s)/dx = s + x s (1 - s), and x s = ans


@primitive(_silu_vjp)
def silu(x):
    """``x * sigmoid(x)`` (also called swish).

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).

    Example
    -------
    >>> silu(np.array([0.0, 1000.0])).tolist()
    [0.0, 1000.0]
    """
    x = _as_float(x)
    return x * _sigmoid(x)


swish = silu


def _gelu_vjp(path, g, ans, x, approximate=True):
    x = _as_float(x)
    if approximate:
        t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
        return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x))
    return g * (0.5 * (1.0 + scipy.special.erf(x * _SQRT_HALF)) + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x))


@primitive(_gelu_vjp)
def gelu(x, approximate=True):
    """Gaussian error linear unit: the tanh approximation (Keras' default) or, with
    ``approximate=False``, the exact ``x * Phi(x)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    approximate : bool, default True
        The tanh approximation (Keras' default); ``False``: the exact ``erf`` form.

    Example
    -------
    >>> gelu(np.array([0.0, 1.0])).round(6).tolist(), gelu(np.array([1.0]), approximate=False).round(6).tolist()
    ([0.0, 0.841192], [0.841345])
    """
    x = _as_float(x)
    if approximate:
        return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + scipy.special.erf(x * _SQRT_HALF))


@primitive(lambda path, g, ans, x, alpha=1.0: np.where(np.asarray(x) >= 0, g, g * (ans + alpha)))
def elu(x, alpha=1.0):
    """``x`` for ``x >= 0``, else ``alpha * (exp(x) - 1)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    alpha : float, default 1.0
        Scale of the negative part.

    Example
    -------
    >>> elu(np.array([-1000.0, 2.0])).tolist()
    [-1.0, 2.0]
    """
    x = _as_float(x)
    return np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0)))


@primitive(lambda path, g, ans, x, negative_slope=0.2: np.where(ans == x, g, g * negative_slope))
def leaky_relu(x, negative_slope=0.2):
    """``max(x, negative_slope * x)`` (Keras' default slope is 0.2).

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    negative_slope : float, default 0.2
        Slope for ``x < 0``.

    Example
    -------
    >>> leaky_relu(np.array([-1.0, 2.0])).tolist()
    [-0.2, 2.0]
    """
    x = _as_float(x)
    return np.maximum(x, negative_slope * x)


# -- convolution and encoding --------------------------------------------------------------

@primitive(convolution.conv_vjp, differentiable=(0, 1, "inputs", "kernel"))
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D or 2-D convolution (cross-correlation, as in Keras), vectorised with strided views.

    Parameters
    ----------
    inputs : array_like
        ``(batch, width, channels)`` or ``(batch, height, width, channels)``;
        with ``data_format="channels_first"`` the channels come second.
    kernel : array_like
        ``(*kernel_size, in_channels, filters)``.
    strides, dilation_rate : int or tuple of int
        Per spatial axis.
    padding : {"valid", "same"}
        ``"same"`` pads as TensorFlow does (the odd element after).
    data_format : {None, "channels_last", "channels_first"}
        ``None`` means channels last.

    Returns
    -------
    numpy.ndarray
        ``(batch, *out_spatial, filters)`` (channels first if asked).

    Example
    -------
    >>> x = np.arange(5.0).reshape(1, 5, 1)
    >>> conv(x, np.ones((2, 1, 1))).ravel().tolist()
    [1.0, 3.0, 5.0, 7.0]
    >>> conv(np.ones((2, 5, 5, 3)), np.ones((3, 3, 3, 4)), strides=2, padding="same").shape
    (2, 3, 3, 4)
    """
    return convolution.conv(inputs, kernel, strides, padding, data_format, dilation_rate)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels to one-hot rows; negative labels give all-zero rows (as in Keras).

    Parameters
    ----------
    x : array_like of int
        Labels of any shape (floats with integer values are accepted).
    num_classes : int
        Length of the new axis.
    axis : int
        Where the new axis of length ``num_classes`` goes (default last).
    dtype : str or numpy.dtype, optional
        Default ``float64``, layergraph's floating type (Keras: its floatx).
    sparse : bool
        Must be ``False`` (as in Keras' numpy backend).

    Raises
    ------
    ValueError
        A label ``>= num_classes`` or not an integer, ``sparse=True``, or a
        ``num_classes`` that is not a positive integer.

    Example
    -------
    >>> one_hot(np.array([[1], [0]]), 2).tolist()
    [[[0.0, 1.0]], [[1.0, 0.0]]]
    """
    if sparse:
        raise ValueError("ops.one_hot: sparse=True is not supported (numpy arrays are dense)")
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"ops.one_hot: num_classes must be a positive integer, got {num_classes!r}")
    labels = np.asarray(stop_gradient(x))
    if labels.dtype.kind == "f":
        if not np.array_equal(labels, np.round(labels)):
            raise ValueError("ops.one_hot: labels must be integers, got non-integer values")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iub":
        raise ValueError(f"ops.one_hot: labels must be integers, got dtype {labels.dtype}")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"ops.one_hot: label {labels.max()} is out of range for num_classes={num_classes}")
    out = (labels[..., np.newaxis] == np.arange(num_classes)).astype(dtype or np.float64)
    return out if axis == -1 else np.moveaxis(out, -1, axis)


# -- numpy-like ops (numpy itself; the tracer records them) ------------------------------------

def matmul(x1, x2):
    """``np.matmul(x1, x2)``.

    Parameters
    ----------
    x1 : array-like
        Left operand.
    x2 : array-like
        Right operand.
    """
    return np.matmul(x1, x2)


def dot(x1, x2):
    """``np.dot(x1, x2)``.

    Parameters
    ----------
    x1 : array-like
        Left operand.
    x2 : array-like
        Right operand.
    """
    return np.dot(x1, x2)


def sum(x, axis=None, keepdims=False):  # shadows the builtin: Keras' name
    """``np.sum(x, axis, keepdims=keepdims)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    axis : int or tuple of int, optional
        Axes to reduce; ``None`` reduces all.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    """
    return np.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """``np.mean(x, axis, keepdims=keepdims)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    axis : int or tuple of int, optional
        Axes to reduce; ``None`` reduces all.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    """
    return np.mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False, initial=None):  # shadows the builtin: Keras' name
    """``np.max(x, axis, keepdims=keepdims, initial=initial)``; ties share the gradient.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    axis : int or tuple of int, optional
        Axes to reduce; ``None`` reduces all.
    keepdims : bool, default False
        Keep the reduced axes with length 1.
    initial : float, optional
        The maximum's starting value (for empty slices).
    """
    if initial is None:
        return np.max(x, axis=axis, keepdims=keepdims)
    return np.max(x, axis=axis, keepdims=keepdims, initial=initial)


def maximum(x1, x2):
    """``np.maximum(x1, x2)``; ties share the gradient.

    Parameters
    ----------
    x1 : array-like
        First operand.
    x2 : array-like
        Second operand (broadcast against the first).
    """
    return np.maximum(x1, x2)


def where(condition, x1=None, x2=None):
    """``np.where(condition, x1, x2)``; with neither ``x1`` nor ``x2``, the indices where ``condition`` holds.

    Parameters
    ----------
    condition : array-like of bool
        Where to take ``x1``.
    x1 : array-like, optional
        Values where ``condition`` holds.
    x2 : array-like, optional
        Values elsewhere.

    Example
    -------
    >>> where(np.array([True, False]), np.array([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    if x1 is None and x2 is None:
        return np.nonzero(stop_gradient(condition))
    if x1 is None or x2 is None:
        raise ValueError("ops.where: x1 and x2 must be given together (or both omitted)")
    return np.where(stop_gradient(condition), x1, x2)


def clip(x, x_min, x_max):
    """``np.clip(x, x_min, x_max)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    x_min : float or array-like
        Lower bound.
    x_max : float or array-like
        Upper bound.
    """
    return np.clip(x, x_min, x_max)


def concatenate(xs, axis=0):
    """``np.concatenate(xs, axis=axis)``.

    Parameters
    ----------
    xs : sequence of array-like
        Arrays agreeing on every other axis.
    axis : int, default 0
        The axis to join along.
    """
    return np.concatenate(xs, axis=axis)


def stack(x, axis=0):
    """``np.stack(x, axis=axis)``.

    Parameters
    ----------
    x : sequence of array-like
        Arrays of the same shape.
    axis : int, default 0
        Position of the new axis.
    """
    return np.stack(x, axis=axis)


def reshape(x, newshape):
    """``np.reshape(x, newshape)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    newshape : tuple of int
        The new shape (one entry may be -1).
    """
    return np.reshape(x, newshape)


def transpose(x, axes=None):
    """``np.transpose(x, axes)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    axes : tuple of int, optional
        The permutation; default: reverse the axes.
    """
    return np.transpose(x, axes)


def expand_dims(x, axis):
    """``np.expand_dims(x, axis)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    axis : int
        Position of the new axis of length 1.
    """
    return np.expand_dims(x, axis)


def squeeze(x, axis=None):
    """``np.squeeze(x, axis)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    axis : int or tuple of int, optional
        The length-1 axes to remove; default: all.
    """
    return np.squeeze(x, axis)


def square(x):
    """``np.square(x)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    """
    return np.square(x)


def sqrt(x):
    """``np.sqrt(x)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    """
    return np.sqrt(x)


def exp(x):
    """``np.exp(x)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    """
    return np.exp(x)


def log(x):
    """``np.log(x)``.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    """
    return np.log(x)


def abs(x):  # shadows the builtin: Keras' name
    """``np.absolute(x)``; the gradient at 0 is 0.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    """
    return np.absolute(x)


def cast(x, dtype):
    """``x`` as ``dtype``; differentiable between floating types, a constant otherwise.

    Parameters
    ----------
    x : array-like
        Input of any shape (a traced value inside a recorded ``call()``).
    dtype : str or numpy.dtype
        The target type.

    Example
    -------
    >>> cast(np.array([1.7, -0.2]), "int32").tolist()
    [1, 0]
    """
    if not isinstance(x, (Traced, Traceable)):
        x = np.asarray(x)
    return x.astype(dtype)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as an array: a traced value stays traced (and differentiable), a variable gives what it
    stands for, anything else goes through ``np.asarray``; cast to ``dtype`` when given.

    Use it where numpy code would call ``np.asarray(x)``, which refuses traced values.
    ``sparse`` and ``ragged`` are accepted for Keras compatibility; arrays here are dense.

    Parameters
    ----------
    x : array-like, traced value or Variable
        What to convert.
    dtype : str or numpy.dtype, optional
        Cast to it when given.
    sparse : bool, optional
        Accepted for Keras compatibility (arrays are dense).
    ragged : bool, optional
        Accepted for Keras compatibility.

    Example
    -------
    >>> convert_to_tensor([1, 2], dtype="float32")
    array([1., 2.], dtype=float32)
    """
    if isinstance(x, Traceable):
        x = x._resolve()
    if type(x) is not Traced:
        return np.asarray(x, dtype=dtype)
    return x if dtype is None or np.dtype(dtype) == x.dtype else x.astype(dtype)


def convert_to_numpy(x):
    """A plain numpy array (a copy) of ``x``: traced values and variables give their value, without gradient.

    Parameters
    ----------
    x : array-like, traced value or Variable
        What to convert.

    Example
    -------
    >>> convert_to_numpy([1, 2]).tolist()
    [1, 2]
    """
    return np.array(stop_gradient(x))
