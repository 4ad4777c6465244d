"""Core layers: :func:`Input` and :class:`InputLayer`, :class:`Dense`, :class:`Activation`."""
from __future__ import annotations

import numpy as np

from .. import initializers, regularizers
from ..perturbation import Copies
from ..symbolic import Node
from .base import ActivatedLayer, Layer, feature_shape


class InputLayer(Layer):
    """The source of a functional graph; made by :func:`Input`.

    Parameters
    ----------
    shape : tuple
        Feature shape without the batch axis; ``None`` marks an axis whose
        length varies between batches (e.g. a sequence length).
    name : str, optional
        The layer's name; default ``input_layer``, ``input_layer_1``...
    dtype : str
        Of the arrays fed to it: a floating type, or an integer type for
        indices (e.g. into an ``Embedding``).

    Example
    -------
    >>> import layergraph as lg
    >>> inputs = lg.Input(shape=(28, 28, 1))
    >>> layer = inputs.node.layer
    >>> type(layer).__name__, layer.shape
    ('InputLayer', (None, 28, 28, 1))
    """

    def __init__(self, shape, name=None, dtype="float64"):
        super().__init__(name=name)
        try:
            dt = np.dtype(dtype)
        except TypeError:
            dt = None
        if dt is None or dt.kind not in "biuf":
            raise TypeError(f"Input {self.name!r}: dtype must be a numeric type, got {dtype!r}")
        self.dtype = dt.name
        self.shape = (None, *feature_shape(shape, "Input shape"))
        self.input_shape = self.shape
        self.built = True

    def forward(self, inputs, training=False):
        return inputs, None

    def backward(self, grad, cache, input_grad=True):
        return grad, []

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape[1:])}


def Input(shape=None, batch_size=None, dtype="float64", name=None, batch_shape=None):
    """A symbolic input of feature shape ``shape`` (no batch axis), as ``keras.Input``.

    Parameters
    ----------
    shape : tuple
        E.g. ``(784,)``, ``(28, 28, 1)``; ``None`` entries vary per batch
        (``Input(shape=(None,))`` for sequences of any length).
    batch_size : int, optional
        Accepted for Keras compatibility; batches may have any size.
    dtype : str
        ``"float64"`` by default; ``"float32"``; an integer type for indices.
    name : str, optional
        Name of the input (keys of a dict ``x`` given to ``fit``/``predict``).
    batch_shape : tuple, optional
        ``(batch_size, *shape)``, instead of ``shape``.

    Returns
    -------
    SymbolicTensor
        Of shape ``(None, *shape)``.

    Example
    -------
    >>> Input(shape=(None, 8)).shape
    (None, None, 8)
    """
    if batch_shape is not None:
        if shape is not None:
            raise TypeError("Input: give shape or batch_shape, not both")
        shape = tuple(batch_shape)[1:]
    if shape is None:
        raise TypeError("Input: shape is required, e.g. Input(shape=(784,))")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"Input: batch_size must be a positive integer, got {batch_size!r}")
    layer = InputLayer(shape, name=name, dtype=dtype)
    node = Node(layer, [], [layer.shape])
    layer._inbound_nodes.append(node)
    return node.outputs[0]


class Dense(ActivatedLayer):
    r"""Fully connected layer :math:`a = \mathrm{activation}(x W + b)`.

    Parameters
    ----------
    units : int
        Output features.
    activation : str or ActivationFunction, optional
        ``None`` means linear.
    use_bias : bool
        Whether the layer adds a bias vector.
    kernel_initializer, bias_initializer : str or Initializer
        Keras defaults: ``"glorot_uniform"`` and ``"zeros"``.
    kernel_regularizer : Regularizer, optional
        E.g. ``regularizers.l2(1e-4)``; its penalty joins the loss.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(batch, ..., in)``, kernel ``(in, units)``, bias ``(units,)``,
    output ``(batch, ..., units)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Dense
    >>> Dense(3, activation="relu", kernel_initializer="ones")(np.ones((2, 4))).shape
    (2, 3)
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    #: ``z = x @ W + b`` is a fresh array: the activation may overwrite it.
    owns_preactivation = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, **kwargs):
        super().__init__(activation=activation, **kwargs)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense {self.name!r}: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def build(self, input_shape):
        if isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"Dense {self.name!r} needs one input of rank >= 2, got shape {input_shape}")
        in_features = input_shape[-1]
        self.kernel = self.add_weight(shape=(in_features, self.units), initializer=self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer)
        self.bias = (self.add_weight(shape=(self.units,), initializer=self.bias_initializer, name="bias")
                     if self.use_bias else None)
        self.built = True

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def preactivation(self, inputs):
        """``z = inputs @ kernel + bias``: a fresh array (``+=`` adds in place to it, and makes a new
        traced value under recording)."""
        # _resolve(): the plain array, or the traced one inside a recording, without the
        # ufunc dispatch through Variable that np.matmul(inputs, self.kernel) would cost.
        kernel = self.kernel._resolve()
        if not 2 <= inputs.ndim <= 8 or inputs.shape[-1] != kernel.shape[0]:  # one test on the hot path
            self._check_input_rank(inputs, 2, 8)
            raise ValueError(
                f"Dense {self.name!r} expects inputs with last dimension {kernel.shape[0]}, "
                f"got input shape {tuple(inputs.shape)} (kernel shape {kernel.shape})"
            )
        if inputs.ndim == 2 and type(inputs) is np.ndarray and type(kernel) is np.ndarray:
            # ndarray.dot is the same BLAS product as @ for 2-D arrays (bit for bit), at a third of
            # the call's cost, which is most of a small batch's product.
            z = inputs.dot(kernel)
        else:  # traced values under recording, and inputs of rank > 2
            z = inputs @ kernel
        if self.use_bias:
            z += self.bias._resolve()
        return z

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        x = cache[0]
        w = self.kernel.value
        if input_grad:  # ndarray.dot for 2-D arrays: @'s product at a third of the call cost (see preactivation)
            grad_x = grad_z.dot(w.T) if grad_z.ndim == 2 else grad_z @ w.T
        else:
            grad_x = None
        if not self.trainable:
            return grad_x, []
        if x.ndim == 2:
            grads = [x.T.dot(grad_z)]
        else:  # fold the extra leading axes into the batch
            grad_z = grad_z.reshape(-1, self.units)
            grads = [x.reshape(-1, x.shape[-1]).T @ grad_z]
        if self.use_bias:  # the ufunc's reduce directly: ndarray.sum's wrapper costs more than tiny sums
            grads.append(np.add.reduce(grad_z, axis=0))
        return grad_x, grads

    def forward_perturbed(self, reference, variable, indices, values):
        """The numeric gradient's shortcut: a perturbed element changes one column of ``z = x W + b``.

        Moving ``kernel[i, j]`` by ``d`` adds ``d * x[:, i]`` to column ``j``
        of ``z`` (so only the samples with ``x[:, i] != 0`` change); moving
        ``bias[j]`` adds ``d`` to column ``j`` of every sample. The
        activation follows (:meth:`activate_copies`: an element-wise one keeps
        the change in one column). Inputs of rank above 2 take the generic path.
        """
        x = reference.inputs
        if x.ndim != 2 or (variable is not self.kernel and variable is not self.bias):
            return super().forward_perturbed(reference, variable, indices, values)
        z = self.reference_preactivation(reference)
        delta = values - variable.value.reshape(-1)[indices]  # the step as stored in the weight's dtype
        count = len(indices)
        if variable is self.kernel:
            rows, columns = np.divmod(indices, self.units)
            nonzero = reference.memo("nonzero inputs", lambda: np.ascontiguousarray(x.T != 0))  # (in, batch)
            copy, sample = np.nonzero(nonzero[rows])
            column = columns[copy]
            new = z[sample, column] + delta[copy] * x[sample, rows[copy]]
        else:
            copy, sample = np.divmod(np.arange(count * len(x)), len(x))
            column = indices[copy]
            new = z[sample, column] + delta[copy]
        return self.activate_copies(Copies(z, count, copy, sample, new, column=column), reference)

    def forward_copies(self, reference, copies):
        """Inputs changed in one column (the previous Dense, element-wise activation): one kernel row per change.

        ``z = z_ref + (x_new - x_ref)[:, None] * kernel[column]`` for the
        changed rows, then the activation; other copies fold through ``x W + b``.
        """
        x = reference.inputs
        if copies.column is None or isinstance(x, list) or x.ndim != 2:
            return super().forward_copies(reference, copies)
        z = self.reference_preactivation(reference)
        change = copies.values - x[copies.sample, copies.column]
        # Rows gathered into column-major (N, units) arrays: the activation's and the loss's
        # reductions over the units then run along long contiguous columns, not short rows.
        rows = np.take(reference.memo("preactivation.T", lambda: np.ascontiguousarray(z.T)), copies.sample, axis=1).T
        kernel_rows = np.take(np.ascontiguousarray(self.kernel.value.T), copies.column, axis=1).T
        kernel_rows *= change[:, None]
        rows += kernel_rows
        return self.activate_copies(copies.with_rows(z, rows), reference)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
        )
        return config


class Activation(ActivatedLayer):
    """Applies an activation function (by name or object) element- or row-wise.

    Parameters
    ----------
    activation : str or ActivationFunction
        E.g. ``"relu"``, ``"softmax"`` (see :mod:`layergraph.activations`).
    **kwargs
        Base layer arguments (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    output shape = input shape.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Activation
    >>> Activation("relu")(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def __init__(self, activation, **kwargs):
        super().__init__(activation=activation, **kwargs)

    def preactivation(self, inputs):
        return inputs

    def forward_preactivation(self, x, training=False):
        return x, None

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        return grad_z, []

    def forward_copies(self, reference, copies):
        """The activation of the changed rows (or, element-wise, of the changed entries alone)."""
        if isinstance(reference.inputs, list):
            return super().forward_copies(reference, copies)
        return self.activate_copies(copies.with_rows(reference.inputs, copies.values, copies.column), reference)
