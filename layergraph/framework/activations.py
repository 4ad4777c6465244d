"""Element-wise and row-wise activation functions.

Each activation is a small object with ``forward(z) -> (a, cache)`` and
``backward(grad_a, cache) -> grad_z``. Layers that end in an activation
(:class:`~layergraph.framework.layers.Dense`, ``Conv2D``, ``Activation``) hold
one, so a loss can recognise ``sigmoid``/``softmax`` at the output and use the
fused, numerically stable gradient with respect to the pre-activation.

Example
-------
>>> import numpy as np
>>> from layergraph.framework import activations
>>> a, _ = activations.get("softmax").forward(np.array([[1000.0, 1000.0]]))
>>> a
array([[0.5, 0.5]])
"""
from __future__ import annotations

import numpy as np

from . import parallel
from .naming import lookup


def _as_float(z):
    """``z`` as an array of its own floating dtype, or float64 (integers, lists)."""
    z = np.asarray(z)
    return z if z.dtype.kind in "fc" else z.astype(np.float64)


#: Largest whole argument whose exponential is finite, by dtype.
_EXP_LIMIT = {np.dtype(t): float(np.floor(np.log(np.finfo(t).max))) for t in (np.float64, np.float32)}


class ActivationFunction:
    """Base class. Subclasses implement :meth:`forward` and :meth:`backward`.

    ``forward(z)`` returns the activation and whatever ``backward`` needs
    (the cache); ``backward(grad, cache)`` maps ``dL/da`` to ``dL/dz``.
    """

    name = "activation"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A subclass that redefines forward alone must not inherit a parent's
        # in-place version of the old formula: it falls back to its forward.
        if "forward" in cls.__dict__ and "forward_inplace" not in cls.__dict__:
            cls.forward_inplace = ActivationFunction.forward_inplace

    def forward(self, z):
        raise NotImplementedError

    def forward_inplace(self, z):
        """Like :meth:`forward`, but may write the activation into ``z``.

        For callers that own ``z`` (a fresh array nobody else holds, such as
        the ``x @ W + b`` of a Dense layer): it saves allocating and filling
        a second array of the same size. The built-in activations do this;
        the default, and a subclass of a built-in that redefines
        :meth:`forward` alone, fall back to :meth:`forward`.
        """
        return self.forward(z)

    def backward(self, grad, cache):
        raise NotImplementedError

    def __call__(self, z):
        return self.forward(z)[0]

    def get_config(self):
        return self.name

    def __repr__(self):
        return f"<activation {self.name}>"


class Linear(ActivationFunction):
    """Identity, ``a = z``."""

    name = "linear"

    def forward(self, z):
        return z, None

    def backward(self, grad, cache):
        return grad


class Sigmoid(ActivationFunction):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, stable at ±1000."""

    name = "sigmoid"

    def forward(self, z):
        # 1 / (1 + e^-z) with numpy's vectorised exp: several times faster than
        # scipy.special.expit on large arrays.
        return self._sigmoid(np.negative(_as_float(z)))

    def forward_inplace(self, z):
        return self._sigmoid(np.negative(z, out=z))

    @staticmethod
    def _sigmoid(a):
        """``1 / (1 + e^a)`` for ``a = -z``, in ``a``'s memory."""
        # e^a would overflow (with a warning) for a above log(max float):
        # capping a there changes only outputs below 1e-308 (float32: 1e-38),
        # and costs a fraction of an np.errstate block on small arrays.
        limit = _EXP_LIMIT.get(a.dtype)
        if limit is None:  # other float types: let e^a overflow to inf, silently
            with np.errstate(over="ignore"):
                np.exp(a, out=a)
        else:
            np.minimum(a, limit, out=a)
            np.exp(a, out=a)
        a += 1.0
        return np.divide(1.0, a, out=a), a

    def backward(self, grad, a):
        return grad * a * (1.0 - a)


class Tanh(ActivationFunction):
    """Hyperbolic tangent."""

    name = "tanh"

    def forward(self, z):
        a = np.tanh(z)
        return a, a

    def forward_inplace(self, z):
        a = np.tanh(z, out=z)
        return a, a

    def backward(self, grad, a):
        return grad * (1.0 - a * a)


class ReLU(ActivationFunction):
    """Rectified linear unit ``max(z, 0)`` (gradient 0 at the kink).

    On large arrays (a convolution's output) each pass runs in the
    :mod:`~layergraph.framework.parallel` threads, split over the first axis.
    """

    name = "relu"

    def forward(self, z):
        z = np.asarray(z)
        a = np.empty_like(z, dtype=np.result_type(z, 0))
        return self._apply(z, a)

    def forward_inplace(self, z):
        return self._apply(z, z)

    @staticmethod
    def _apply(z, a):
        if z.ndim == 0:
            np.maximum(z, 0, out=a)
        else:
            parallel.over_batch(lambda part: np.maximum(z[part], 0, out=a[part]), len(z), z.size)
        return a, a

    def backward(self, grad, a):
        grad = np.asarray(grad)
        if grad.shape != a.shape or grad.ndim == 0:
            return grad * (a > 0)  # broadcasting: a plain product
        out = np.empty_like(grad, dtype=np.result_type(grad, a))
        parallel.over_batch(lambda part: np.multiply(grad[part], a[part] > 0, out=out[part]), len(grad), grad.size)
        return out


class Softmax(ActivationFunction):
    r"""Softmax over the last axis, row by row, with the row maximum subtracted.

    :math:`a_{ij} = e^{z_{ij} - m_i} / \sum_k e^{z_{ik} - m_i}` with
    :math:`m_i = \max_k z_{ik}`. (The tutorial normalised over the whole batch;
    that is the bug that kept its MNIST model from training.)
    """

    name = "softmax"

    def forward(self, z):
        # The same steps as scipy.special.softmax, without its per-call overhead.
        z = _as_float(z)
        return self._softmax(z - z.max(axis=-1, keepdims=True))

    def forward_inplace(self, z):
        z -= z.max(axis=-1, keepdims=True)
        return self._softmax(z)

    @staticmethod
    def _softmax(a):
        """Softmax of the shifted ``a = z - max``, in ``a``'s memory."""
        np.exp(a, out=a)
        a /= a.sum(axis=-1, keepdims=True)
        return a, a

    def backward(self, grad, a):
        # Jacobian-vector product of softmax: a * (g - <g, a>) row by row.
        return a * (grad - np.sum(grad * a, axis=-1, keepdims=True))


_ACTIVATIONS = {cls.name: cls for cls in (Linear, Sigmoid, Tanh, ReLU, Softmax)}


def get(identifier) -> ActivationFunction:
    """Return an activation from a name, class, instance or ``None`` (linear).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    if identifier is None:
        return Linear()
    if isinstance(identifier, ActivationFunction):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, ActivationFunction):
        return identifier()
    return lookup(_ACTIVATIONS, identifier, "activation")()


def sigmoid(z):
    """Logistic sigmoid of an array (see :class:`Sigmoid`)."""
    return Sigmoid()(z)


def relu(z):
    """``max(z, 0)`` (see :class:`ReLU`)."""
    return ReLU()(z)


def tanh(z):
    """Hyperbolic tangent (see :class:`Tanh`)."""
    return Tanh()(z)


def softmax(z):
    """Row-wise stable softmax (see :class:`Softmax`)."""
    return Softmax()(z)


def linear(z):
    """Identity."""
    return z
