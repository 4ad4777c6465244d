"""The :class:`Layer` contract every layer follows.

A layer *computes*; it never differentiates by itself nor updates weights.
Gradient strategies call :meth:`Layer.forward` and (for backprop)
:meth:`Layer.backward`; optimizers update the :class:`Variable` objects the
layer exposes through :attr:`Layer.weights`.
"""
from __future__ import annotations

import itertools
import re

import numpy as np

from .. import activations, initializers
from ..symbolic import Node, SymbolicTensor, is_symbolic
from ..variables import Variable

_layer_counter = itertools.count()
_name_counters: dict[str, itertools.count] = {}


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _unique_name(prefix):
    counter = _name_counters.setdefault(prefix, itertools.count())
    n = next(counter)
    return prefix if n == 0 else f"{prefix}_{n}"


class Layer:
    """Base class of all layers.

    Subclasses must implement

    - :meth:`forward` ``(inputs, training) -> (outputs, cache)``: compute the
      outputs from numpy arrays; ``cache`` is whatever :meth:`backward` needs.
      It must not modify weights (except non-trainable state such as
      batch-norm moving averages, and only when ``training`` is true).
    - :meth:`backward` ``(grad, cache) -> (grad_inputs, weight_grads)``: given
      ``dL/d(outputs)``, return ``dL/d(inputs)`` (a list for layers with several
      inputs) and a list of ``dL/dw`` aligned with :attr:`trainable_weights`.
      Gradients are returned, never stored or accumulated on the layer.

    and may override

    - :meth:`build` ``(input_shape)``: create weights with :meth:`add_weight`
      once the input shape is known (lazy build, as in Keras);
    - :meth:`compute_output_shape` (default: same as the input);
    - :meth:`get_config` for saving (call ``super().get_config()``).

    Parameters
    ----------
    name : str, optional
        Unique default derived from the class name (``dense``, ``dense_1``...).
    trainable : bool
        When false, the layer's weights receive no updates.
    input_shape : tuple, optional
        Feature shape without the batch axis; builds the layer at once.
    dtype : str
        Floating dtype of the weights and computations (``"float64"`` default).
    seed : int, optional
        Seed of the layer's weight initialisation (and dropout masks).
    """

    #: Layers that end in an activation (Dense, Conv2D, Activation) set this,
    #: so that losses can use the fused sigmoid/softmax + cross-entropy gradient.
    activation = None

    def __init__(self, name=None, trainable=True, input_shape=None, dtype="float64", seed=None, **kwargs):
        if kwargs.pop("input_dim", None) is not None and input_shape is None:
            raise TypeError("use input_shape=(n,) instead of input_dim")
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}")
        self.name = name or _unique_name(_snake(type(self).__name__))
        self.trainable = trainable
        self.dtype = np.dtype(dtype).name
        self.seed = seed
        self.built = False
        self.input_shape = None if input_shape is None else (None, *tuple(input_shape))
        self._weights: list[Variable] = []
        self._creation_order = next(_layer_counter)
        self._inbound_nodes: list[Node] = []

    # -- weights ---------------------------------------------------------------
    def add_weight(self, name, shape, initializer="zeros", trainable=True, rng=None):
        """Create, register and return a :class:`Variable` of this layer."""
        init = initializers.get(initializer)
        value = init(tuple(shape), self.dtype, rng if rng is not None else self._rng())
        var = Variable(np.array(value, dtype=self.dtype), f"{self.name}/{name}", trainable)
        self._weights.append(var)
        return var

    def _rng(self):
        if not hasattr(self, "_init_rng"):
            self._init_rng = np.random.default_rng(self.seed)
        return self._init_rng

    @property
    def weights(self):
        """All variables: trainable first, then non-trainable (Keras order)."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self._weights if w.trainable]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return list(self._weights)
        return [w for w in self._weights if not w.trainable]

    def get_weights(self):
        """Copies of the weights' values, in :attr:`weights` order."""
        return [w.value.copy() for w in self.weights]

    def set_weights(self, values):
        """Set all weights at once; validates every shape before changing any."""
        weights = self.weights
        values = list(values)
        if len(values) != len(weights):
            raise ValueError(f"Layer {self.name!r} expects {len(weights)} weight arrays, got {len(values)}")
        for w, v in zip(weights, values):
            if np.shape(v) != w.shape:
                raise ValueError(
                    f"Layer {self.name!r}: weight {w.name!r} has shape {w.shape}, got an array of shape {np.shape(v)}"
                )
        for w, v in zip(weights, values):
            w.value[...] = v

    def _set_dtype(self, dtype):
        """Switch the layer (and any weights it already has) to ``dtype``."""
        self.dtype = np.dtype(dtype).name
        for w in self._weights:
            w.value = w.value.astype(self.dtype)

    def count_params(self):
        return int(sum(w.value.size for w in self.weights))

    # -- building and shapes -----------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis ``None``)."""
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def _maybe_build(self, input_shape):
        if not self.built:
            self.input_shape = input_shape
            self.build(input_shape)
            self.built = True

    def _check_input_rank(self, x, min_rank, max_rank=None):
        """Raise ``ValueError`` naming the layer if ``x`` has the wrong rank."""
        max_rank = min_rank if max_rank is None else max_rank
        if not (min_rank <= len(x.shape) <= max_rank):
            expected = min_rank if min_rank == max_rank else f"{min_rank} to {max_rank}"
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) expects inputs of rank {expected} "
                f"(batch axis included), got shape {tuple(x.shape)}"
            )

    # -- computation -------------------------------------------------------------
    def forward(self, inputs, training=False):
        """Compute ``(outputs, cache)`` from numpy inputs. See the class docstring."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def backward(self, grad, cache):
        """Map ``dL/d(outputs)`` to ``(dL/d(inputs), [dL/dw ...])``. See the class docstring."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward()")

    def __call__(self, inputs, training=False):
        """Call on symbolic tensors (records a graph node) or on arrays (computes).

        Returns
        -------
        SymbolicTensor or numpy.ndarray
        """
        if is_symbolic(inputs):
            shapes = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
            self._maybe_build(shapes)
            out_shape = self.compute_output_shape(shapes)
            node = Node(self, inputs if isinstance(inputs, (list, tuple)) else [inputs], [out_shape])
            self._inbound_nodes.append(node)
            return node.outputs[0]
        if isinstance(inputs, (list, tuple)):
            arrays = [np.asarray(a, dtype=self.dtype) for a in inputs]
            self._maybe_build([(None, *a.shape[1:]) for a in arrays])
            return self.forward(arrays, training)[0]
        x = np.asarray(inputs, dtype=self.dtype)
        self._maybe_build((None, *x.shape[1:]))
        return self.forward(x, training)[0]

    # -- config ------------------------------------------------------------------
    def get_config(self):
        """JSON-able constructor arguments; ``type(layer).from_config(config)`` rebuilds it."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.seed is not None:
            config["seed"] = self.seed
        if self.input_shape is not None and not isinstance(self.input_shape, list):
            config["input_shape"] = list(self.input_shape[1:])
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


class ActivatedLayer(Layer):
    """A layer of the form ``a = activation(f(inputs))``.

    Subclasses implement :meth:`forward_preactivation` and
    :meth:`backward_preactivation` for ``f``; this class adds the activation.
    ``backward_preactivation`` is also the entry point of the fused
    softmax/sigmoid + cross-entropy gradient: a loss that knows ``dL/dz``
    directly skips the activation's Jacobian.
    """

    def __init__(self, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def forward_preactivation(self, inputs, training=False):
        raise NotImplementedError

    def backward_preactivation(self, grad_z, cache):
        """Like :meth:`backward`, but ``grad_z`` is ``dL/dz`` before the activation."""
        raise NotImplementedError

    #: True when :meth:`forward_preactivation` returns a fresh ``z`` that
    #: nothing else holds (not the inputs, not in its cache), so that the
    #: activation may overwrite it (:meth:`ActivationFunction.forward_inplace`).
    #: Dense and Conv2D say so for themselves, not for subclasses that
    #: override their ``forward_preactivation``.
    owns_preactivation = False

    def forward(self, inputs, training=False):
        z, inner = self.forward_preactivation(inputs, training)
        if self.owns_preactivation:
            a, act_cache = self.activation.forward_inplace(z)
        else:
            a, act_cache = self.activation.forward(z)
        return a, (inner, act_cache)

    def backward(self, grad, cache):
        inner, act_cache = cache
        return self.backward_preactivation(self.activation.backward(grad, act_cache), cache)

    def get_config(self):
        config = super().get_config()
        config["activation"] = self.activation.get_config()
        return config

