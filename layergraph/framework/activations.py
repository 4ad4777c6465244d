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

from . import ops, parallel
from .autodiff import is_recording, record_opaque
from .naming import lookup

__all__ = ["ActivationFunction", "Linear", "Sigmoid", "Tanh", "ReLU", "Softmax", "BatchSoftmax", "get", "sigmoid",
           "relu", "tanh", "softmax", "linear"]


def _as_float(z):
    """``z`` as an array of its own floating dtype, or float64 (integers, lists)."""
    z = np.asarray(z)
    return z if z.dtype.kind in "fc" else z.astype(np.float64)


#: By dtype: the largest whole argument whose exponential is finite, and 1, as 0-d arrays of that
#: dtype (the same arithmetic as Python floats, which numpy converts at every call: a third of the
#: cost of an element-wise call on a small batch).
_SIGMOID_CONSTANTS = {np.dtype(t): (np.array(np.floor(np.log(np.finfo(t).max)), dtype=t), np.array(1.0, dtype=t))
                      for t in (np.float64, np.float32)}


class ActivationFunction:
    """Base class of the activations. Subclasses implement :meth:`forward` and :meth:`backward`.

    ``forward(z)`` returns the activation and whatever ``backward`` needs
    (the cache); ``backward(grad, cache)`` maps ``dL/da`` to ``dL/dz``.
    :meth:`call` is the activation inside a layer's recorded ``call()``;
    by default one op of the tape whose gradient is :meth:`backward`, the
    built-in activations trace their maths instead (:mod:`layergraph.ops`).
    Calling the object applies it: ``activation(z)``. Layers take
    instances wherever they take a name (``Dense(4, activation=...)``).

    For the vectorised numeric gradient an activation also says how it
    treats the entries of ``z``: :attr:`elementwise`, :attr:`samplewise`,
    and :meth:`forward_copies` for many perturbed copies at once.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> class Square(lg.activations.ActivationFunction):
    ...     name = "square"
    ...     def forward(self, z):
    ...         return z * z, z
    ...     def backward(self, grad, z):
    ...         return 2 * z * grad
    >>> lg.layers.Dense(1, activation=Square(), kernel_initializer="ones")(np.array([[1.0, 2.0]]))
    array([[9.]])
    """

    name = "activation"

    #: Whether each entry of the activation depends on the same entry of ``z``
    #: alone (``a[i] = f(z[i])``), so a change of one entry changes only that one.
    elementwise = False

    #: Each sample's activation (axis 0) depends on that sample's ``z`` alone.
    samplewise = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A subclass that redefines forward alone must not inherit a parent's
        # in-place version of the old formula, nor its promises about entries
        # and samples: it falls back to its forward and to the safe defaults.
        if "forward" in cls.__dict__:
            if "forward_inplace" not in cls.__dict__:
                cls.forward_inplace = ActivationFunction.forward_inplace
            for flag in ("elementwise", "samplewise"):
                if flag not in cls.__dict__:
                    setattr(cls, flag, False)

    def forward(self, z):
        """``(a, cache)``: the activation of ``z`` and what :meth:`backward` needs.

        Parameters
        ----------
        z : numpy.ndarray
            The pre-activation, any shape.
        """
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
        """``dL/dz`` from ``dL/da``.

        Parameters
        ----------
        grad : numpy.ndarray
            ``dL/da``, shaped as the activation.
        cache : object
            What :meth:`forward` returned with ``a``.
        """
        raise NotImplementedError

    def forward_copies(self, z):
        """The activation of each copy ``z[k]`` on its own, ``(copies, batch, ...) -> (copies, batch, ...)``.

        What :meth:`forward` returns for ``z[k]``, for every ``k``: one call
        on the folded batch when :attr:`samplewise`, else one call per copy.
        An activation that couples the samples overrides it to vectorise.

        Parameters
        ----------
        z : numpy.ndarray
            ``(copies, batch, ...)`` perturbed pre-activations.
        """
        if self.samplewise:
            return self.forward(z.reshape(-1, *z.shape[2:]))[0].reshape(z.shape)
        return np.stack([self.forward(zk)[0] for zk in z])

    def call(self, z):
        """The activation of ``z``, differentiable when ``z`` is traced (inside a recorded ``call()``).

        Parameters
        ----------
        z : numpy.ndarray
            Pre-activations, any shape.
        """
        if is_recording():
            return record_opaque(self._forward_and_backward, z, name=self.name)
        return self.forward(z)[0]

    def _forward_and_backward(self, z):
        a, cache = self.forward(z)
        return a, lambda grad, input_grad: (self.backward(grad, cache), [])

    def __call__(self, z):
        return self.call(z)

    def get_config(self):
        """The name under which :func:`get` finds the activation (what layers save)."""
        return self.name

    def __repr__(self):
        return f"<activation {self.name}>"


class Linear(ActivationFunction):
    """Identity, ``a = z`` (what ``activation=None`` means).

    Example
    -------
    >>> import layergraph as lg
    >>> lg.activations.Linear()([1.0, -2.0])
    [1.0, -2.0]
    """

    name = "linear"
    elementwise = samplewise = True

    def call(self, z):
        return z

    def forward(self, z):
        return z, None

    def backward(self, grad, cache):
        return grad


class Sigmoid(ActivationFunction):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, stable at ±1000.

    Its derivative is :math:`\sigma(z)(1 - \sigma(z))`; at a model's output
    with a binary cross-entropy loss, the analytic strategy uses the fused
    gradient :math:`a - y` instead.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.activations.Sigmoid()(np.array([-1000.0, 0.0, 1000.0])).round(6)
    array([0. , 0.5, 1. ])
    """

    name = "sigmoid"
    elementwise = samplewise = True

    def call(self, z):
        return ops.sigmoid(z)

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
        constants = _SIGMOID_CONSTANTS.get(a.dtype)
        if constants is None:  # other float types: let e^a overflow to inf, silently
            with np.errstate(over="ignore"):
                np.exp(a, out=a)
            np.add(a, 1.0, out=a)
        else:
            limit, one = constants
            np.minimum(a, limit, out=a)
            np.exp(a, out=a)
            np.add(a, one, out=a)  # the ufunc with out=: cheaper than += on small arrays
        return np.reciprocal(a, out=a), a  # 1 / a, exactly (IEEE division), without a scalar operand

    def backward(self, grad, a):
        constants = _SIGMOID_CONSTANTS.get(a.dtype)
        return grad * a * ((1.0 if constants is None else constants[1]) - a)


class Tanh(ActivationFunction):
    """Hyperbolic tangent, ``a = tanh(z)``, derivative ``1 - a**2``.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.activations.Tanh()(np.array([0.0, 1000.0]))
    array([0., 1.])
    """

    name = "tanh"
    elementwise = samplewise = True

    def call(self, z):
        return np.tanh(z)

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

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.activations.ReLU()(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """

    name = "relu"
    elementwise = samplewise = True

    def call(self, z):
        return ops.relu(z)

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

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> lg.activations.Softmax()(np.array([[0.0, np.log(3.0)], [1000.0, 1000.0]]))
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    """

    name = "softmax"
    samplewise = True  # row by row

    def call(self, z):
        return ops.softmax(z, axis=-1)

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


class BatchSoftmax(ActivationFunction):
    r"""Softmax over *every* entry of the array, the batch axis included.

    :math:`a_{ij} = e^{z_{ij} - c} / \sum_{k,l} e^{z_{kl} - c}` with
    :math:`c = \max_{k,l} z_{kl}`: the whole ``(batch, classes)`` array sums
    to 1, not each row. This is the source tutorial's MNIST softmax
    (``np.sum(exp_a)`` with no axis), kept to reproduce that network as
    written (:mod:`layergraph.models.mnist_as_written`); use ``"softmax"``
    for a classifier. The global maximum is subtracted first, as in the
    textbook softmax the tutorial's code follows (``c = np.max(a)``): that
    changes no value beyond rounding and keeps ``exp`` finite at ±1000. The
    operations are the tutorial's, in its order. What the batch-wide sum
    changes is the scale: each probability is about ``1 / (batch *
    classes)``, and the outputs of one sample depend on the other samples of
    its batch. What it does not change is the arg-max of each row (the same
    positive divisor for all entries), so accuracies are those of a row-wise
    softmax.

    Its Jacobian-vector product is the softmax one over the flattened array,
    :math:`\partial L/\partial z = a \odot (g - \langle g, a\rangle)` with
    the inner product over all entries; it is *not* a loss's fused gradient,
    so the categorical cross-entropy never treats it as :class:`Softmax`.

    Example
    -------
    >>> import numpy as np
    >>> a = BatchSoftmax()(np.array([[0.0, 0.0], [0.0, np.log(5.0)]]))
    >>> a
    array([[0.125, 0.125],
           [0.125, 0.625]])
    >>> a.argmax(axis=1), Softmax()(np.array([[0.0, 0.0], [0.0, np.log(5.0)]])).argmax(axis=1)
    (array([0, 1]), array([0, 1]))
    """

    name = "batch_softmax"

    def forward(self, z):
        z = _as_float(z)
        if z.size == 0:
            raise ValueError(f"batch_softmax: cannot normalise an empty array (shape {z.shape})")
        exp_a = np.exp(z - np.max(z))
        return self._normalise(exp_a)

    def forward_inplace(self, z):
        if z.size == 0:
            raise ValueError(f"batch_softmax: cannot normalise an empty array (shape {z.shape})")
        z -= np.max(z)
        return self._normalise(np.exp(z, out=z))

    @staticmethod
    def _normalise(exp_a):
        exp_a /= np.sum(exp_a)  # the same division as the tutorial's exp_a / sum_exp_a
        return exp_a, exp_a

    def backward(self, grad, a):
        return a * (grad - np.sum(grad * a))

    def forward_copies(self, z):
        """Each copy ``z[k]`` normalised over its own whole batch (vectorised over the copies)."""
        axes = tuple(range(1, z.ndim))
        exp_a = np.exp(z - np.max(z, axis=axes, keepdims=True))
        exp_a /= np.sum(exp_a, axis=axes, keepdims=True)
        return exp_a


_ACTIVATIONS = {cls.name: cls for cls in (Linear, Sigmoid, Tanh, ReLU, Softmax, BatchSoftmax)}


def get(identifier) -> ActivationFunction:
    """Return an activation from a name, class, instance or ``None`` (linear).

    Parameters
    ----------
    identifier : str, type, ActivationFunction or None
        ``"linear"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"softmax"``,
        ``"batch_softmax"``; a class (instantiated); an instance (returned
        as is).

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
    """Logistic sigmoid of an array (see :class:`Sigmoid`).

    Parameters
    ----------
    z : array-like
        Any shape.
    """
    return Sigmoid()(z)


def relu(z):
    """``max(z, 0)`` (see :class:`ReLU`).

    Parameters
    ----------
    z : array-like
        Any shape.
    """
    return ReLU()(z)


def tanh(z):
    """Hyperbolic tangent (see :class:`Tanh`).

    Parameters
    ----------
    z : array-like
        Any shape.
    """
    return Tanh()(z)


def softmax(z):
    """Row-wise stable softmax (see :class:`Softmax`).

    Parameters
    ----------
    z : array-like
        ``(..., classes)``; each row along the last axis sums to 1 afterwards.
    """
    return Softmax()(z)


def linear(z):
    """Identity.

    Parameters
    ----------
    z : array-like
        Returned as it is.
    """
    return z
