"""The :class:`Layer` contract every layer follows.

A layer *computes*; it never differentiates by itself nor updates weights.
Gradient strategies call :meth:`Layer.forward` and (for backprop)
:meth:`Layer.backward`; optimizers update the :class:`Variable` objects the
layer exposes through :attr:`Layer.weights`.
"""
from __future__ import annotations

import functools
import inspect
import itertools
import re

import numpy as np

from .. import activations, initializers, regularizers
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


def _weight_shape(shape, owner, name):
    """``shape`` as a tuple of non-negative ints, or ``ValueError`` naming the layer and weight."""
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(f"{owner}: the shape of weight {name!r} must be a tuple of non-negative integers, "
                         f"got {shape!r}")
    return tuple(int(d) for d in dims)


def _accepting_input_grad(fn):
    """Wrap a ``backward(grad, cache)`` written without ``input_grad``."""

    @functools.wraps(fn)
    def backward(self, grad, cache, input_grad=True):
        return fn(self, grad, cache)

    return backward


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
        self._regularizers: list[tuple[Variable, regularizers.Regularizer]] = []
        self._creation_order = next(_layer_counter)
        self._inbound_nodes: list[Node] = []

    # -- weights ---------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, name=None, regularizer=None):
        """Create, register and return a :class:`Variable` of this layer (Keras 3 signature).

        Works in ``__init__`` and in :meth:`build`.

        Parameters
        ----------
        shape : tuple of int, optional
            ``()`` (a scalar) when omitted.
        initializer : str or Initializer or callable, optional
            Default ``"glorot_uniform"`` for floating weights, as in Keras
            (``"zeros"`` for other dtypes). Draws come from the layer's
            generator (seeded by ``seed``).
        dtype : str, optional
            Default: the layer's dtype. Trainable weights must be floating.
        trainable : bool
            ``False`` for state such as running statistics: saved and
            loaded, never given a gradient.
        name : str, optional
            Unique within the layer; default ``"variable"``, ``"variable_1"``...
        regularizer : str or Regularizer, optional
            A penalty on this weight that joins the loss (see :meth:`penalties`).

        The legacy order ``add_weight(name, shape, initializer, trainable)``
        (a string first) is accepted too.
        """
        if isinstance(shape, str):  # legacy layergraph order: (name, shape, initializer, trainable)
            name, shape, initializer, dtype = shape, initializer, dtype, None
        owner = f"Layer {self.name!r} ({type(self).__name__})"
        shape = _weight_shape(shape, owner, name)
        dtype = np.dtype(self.dtype if dtype is None else dtype)
        if trainable and dtype.kind != "f":
            raise TypeError(f"{owner}: trainable weight {name!r} must have a floating dtype, got {dtype.name}")
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        try:
            init = initializers.get(initializer)
        except (TypeError, ValueError, KeyError) as err:
            raise ValueError(f"{owner}: invalid initializer for weight {name!r}: {err}") from None
        taken = {w.name.rsplit("/", 1)[-1] for w in self._weights}
        if name is None:
            name = next(n for n in itertools.chain(["variable"], (f"variable_{k}" for k in itertools.count(1)))
                        if n not in taken)
        elif not isinstance(name, str) or not name:
            raise TypeError(f"{owner}: a weight name must be a non-empty string, got {name!r}")
        elif name in taken:
            raise ValueError(f"{owner} already has a weight named {name!r}; weight names must be unique in a layer")
        value = np.asarray(init(shape, dtype.name, self._rng()))
        if value.shape != shape:
            raise ValueError(f"{owner}: the initializer of weight {name!r} returned shape {value.shape}, "
                             f"expected {shape}")
        var = Variable(np.array(value, dtype=dtype), f"{self.name}/{name}", bool(trainable))
        self._weights.append(var)
        reg = regularizers.get(regularizer)
        if reg is not None:
            self._regularizers.append((var, reg))
        return var

    def penalties(self):
        """``[(variable, regularizer), ...]`` for the trainable weights that carry a penalty.

        The objective adds ``regularizer(variable.value)`` to the loss, and
        the analytic strategy adds ``regularizer.gradient(variable.value)`` to
        the variable's gradient. A frozen layer (``trainable=False``) has none.
        """
        if not self.trainable:
            return []
        return [(var, reg) for var, reg in self._regularizers if var.trainable]

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

    def backward(self, grad, cache, input_grad=True):
        """Map ``dL/d(outputs)`` to ``(dL/d(inputs), [dL/dw ...])``. See the class docstring.

        ``input_grad=False`` tells the layer that nobody will use
        ``dL/d(inputs)`` (it is the first layer of a model): it may skip
        computing it and return ``None`` in its place.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement backward()")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The framework calls backward(grad, cache, input_grad=...). A layer
        # written to the older two-argument contract is adapted once, here,
        # instead of being probed at every call: it always computes dL/dx.
        for hook in ("backward", "backward_preactivation"):
            fn = cls.__dict__.get(hook)
            if fn is not None and "input_grad" not in inspect.signature(fn).parameters:
                setattr(cls, hook, _accepting_input_grad(fn))

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

    A subclass whose :meth:`forward_preactivation` returns a fresh ``z``
    (an array nobody else holds: not the inputs, not in its cache) declares
    ``owns_preactivation = True`` in its class body; the activation may then
    overwrite ``z`` (:meth:`ActivationFunction.forward_inplace`). A subclass
    that redefines ``forward_preactivation`` without declaring it again
    gets ``False``, so overriding the computation never inherits the promise.
    """

    #: ``z`` from :meth:`forward_preactivation` is fresh: the activation may write into it.
    owns_preactivation = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "forward_preactivation" in cls.__dict__ and "owns_preactivation" not in cls.__dict__:
            cls.owns_preactivation = False

    def __init__(self, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def forward_preactivation(self, inputs, training=False):
        """``(z, cache)``: the layer's computation before its activation."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward_preactivation()")

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        """Like :meth:`backward`, but ``grad_z`` is ``dL/dz`` before the activation."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward_preactivation()")

    def forward(self, inputs, training=False):
        z, inner = self.forward_preactivation(inputs, training)
        if self.owns_preactivation:
            a, act_cache = self.activation.forward_inplace(z)
        else:
            a, act_cache = self.activation.forward(z)
        return a, (inner, act_cache)

    def backward(self, grad, cache, input_grad=True):
        inner, act_cache = cache
        return self.backward_preactivation(self.activation.backward(grad, act_cache), cache, input_grad=input_grad)

    def get_config(self):
        config = super().get_config()
        config["activation"] = self.activation.get_config()
        return config
