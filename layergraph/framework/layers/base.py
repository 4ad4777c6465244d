"""The :class:`Layer` contract every layer follows.

A layer *computes*; it never differentiates the loss by itself nor updates
weights. Gradient strategies call :meth:`Layer.forward` and (for backprop)
:meth:`Layer.backward`; optimizers update the :class:`Variable` objects the
layer exposes through :attr:`Layer.weights`.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from .. import activations, initializers, regularizers, seeding
from ..autodiff import Traced, is_recording, record, record_opaque
from ..naming import Registry, creation_index, to_snake_case, unique_name
from ..perturbation import Copies, fold, loop
from ..symbolic import Node, is_symbolic
from ..variables import Variable, reserve_weight
from .tracing import RecordedCall, backward_follows, call_context, loss_seed

_context = call_context()

__all__ = ["Layer", "ActivatedLayer", "LAYERS"]

#: Every :class:`Layer` subclass by class name (filled when a class is defined),
#: for :func:`~layergraph.framework.layers.serialization.deserialize`.
LAYERS = Registry("layer")


def _unique_name(prefix):
    """Kept for layers written against the earlier helper; see :func:`~layergraph.framework.naming.unique_name`."""
    return unique_name(prefix)


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


def _floating_dtype(dtype, owner):
    """``np.dtype(dtype).name`` for a floating dtype, else ``TypeError`` naming the owner."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{owner}: dtype must be a floating type such as 'float32' or 'float64', "
                        f"got {dtype!r}") from None
    if dt.kind != "f":
        raise TypeError(f"{owner}: dtype must be a floating type such as 'float32' or 'float64', got {dt.name}")
    return dt.name


def _unique(items):
    """``items`` without repeats (by identity), first occurrence kept."""
    seen, out = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


class Layer:
    """Base class of all layers: the contract between a layer and the framework.

    There are two ways to write a layer.

    **The Keras way**: implement :meth:`call` ``(inputs, training=None) ->
    outputs`` in plain numpy (and :meth:`build` to create weights). The
    numeric gradient strategy needs nothing more; the analytic one
    differentiates :meth:`call` automatically: inside its forward pass (a
    :func:`~layergraph.framework.layers.tracing.backward_follows` block)
    :meth:`forward` records :meth:`call` on the autodiff tape, and the
    default :meth:`backward` replays it. Layers called inside a recorded
    :meth:`call` (``self.dense(x)``) are recorded too: a :meth:`call` layer
    op by op, a layer with its own :meth:`backward` as one op whose gradient
    is that :meth:`backward`. Outside that block :meth:`call` runs on plain
    arrays, with no tape. Inner layers inherit ``training`` from the
    enclosing :meth:`call`, as in Keras.

    **With a hand-written gradient** (the built-in layers, for speed):
    implement :meth:`forward` and :meth:`backward` as well; :meth:`forward`
    reuses :meth:`call`'s code where it can, so the maths is written once
    (a test checks that the tape's gradient of :meth:`call` equals
    :meth:`backward`).

    Every hook the framework calls, with its default:

    - :meth:`build` ``(input_shape)``: create the weights with
      :meth:`add_weight` once the input shape (batch axis ``None``) is known,
      on the first call (lazy build, as in Keras). Default: no weights.
    - :meth:`compute_output_shape` ``(input_shape) -> shape``: when the layer
      is called on symbolic tensors. Default: the input shape for layers with
      their own :meth:`forward`; for :meth:`call` layers, the shape of
      :meth:`call`'s result on a zero batch of one.
    - :meth:`call` ``(inputs, training=None) -> outputs``: the layer's maths
      on numpy arrays. ``training`` is passed only when :meth:`call`
      declares it. Default: not implemented.
    - :meth:`forward` ``(inputs, training=False) -> (outputs, cache)``: what
      models and gradient strategies run; ``cache`` is whatever
      :meth:`backward` needs. It must not change weights, except
      non-trainable state (running statistics) and only when ``training``.
      Default: :meth:`call`, the cache being the inputs.
    - :meth:`backward` ``(grad, cache, input_grad=True) -> (grad_inputs,
      weight_grads)``: given ``dL/d(outputs)`` (a list for several outputs),
      return ``dL/d(inputs)`` (a list for several inputs; ``None`` allowed
      when ``input_grad`` is false, which models pass to layers whose input
      gradient nobody uses) and ``[dL/dw for w in self.trainable_weights]``.
      Gradients are returned, never stored or accumulated on the layer, and
      they include the gradient of the losses this layer added with
      :meth:`add_loss` in the matching forward pass. Default: automatic
      differentiation of :meth:`call`.
    - :meth:`penalties` ``() -> [(variable, regularizer)]``: weight penalties
      that join the objective (from ``add_weight(regularizer=...)``).
    - :attr:`losses`: the values passed to :meth:`add_loss` in the last
      forward pass, this layer's and its sublayers'; they join the objective.
    - :meth:`output_activation` ``() -> ActivationFunction or None``: the
      activation the output ends in, when the layer offers
      ``backward_preactivation`` (see :class:`ActivatedLayer`); with
      ``"softmax"``/``"sigmoid"`` at a model's output the cross-entropy
      losses then start backpropagation from the fused ``dL/dz``. Default
      ``None``.
    - :meth:`prepare_inputs` ``(x) -> arrays``: turn what a user passes
      (array-likes, lists) into what :meth:`forward` takes, building the
      layer if needed. Default: the layer's dtype; models also take dicts
      keyed by input name.
    - :meth:`get_config` / :meth:`from_config`: the constructor arguments as
      JSON for saving; call ``super().get_config()`` and add your own.
    - :meth:`get_build_config` / :meth:`build_from_config`: the built input
      shape, saved with a model so that a subclassed model gets its weights
      before they are loaded.
    - :meth:`forward_perturbed` and :meth:`forward_copies`: what the
      vectorised numeric gradient calls to evaluate many perturbed copies of
      the layer's call at once; exact defaults for every layer, and
      :attr:`samplewise` (default ``False``) to declare that :meth:`forward`
      computes each sample on its own, which lets them fold all copies into
      one batch.
    - :attr:`weights`, :attr:`trainable_weights`,
      :attr:`non_trainable_weights`: this layer's variables and those of the
      layers and variables assigned to its attributes (tracked recursively,
      as in Keras).

    Parameters
    ----------
    name : str, optional
        Unique default derived from the class name (``dense``, ``dense_1``...).
    trainable : bool
        When false, the layer's weights receive no updates.
    input_shape : tuple, optional
        Feature shape without the batch axis; builds the layer at once.
    input_dim : int, optional
        Keras' shorthand for ``input_shape=(input_dim,)``.
    dtype : str
        Floating dtype of the weights and computations (``"float64"`` default).
    seed : int, optional
        Seed of the layer's weight initialisation (and random masks).
    **kwargs
        Nothing else is accepted: an unknown argument raises ``TypeError``
        (a misspelt one is reported, never ignored).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> class Scale(lg.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.s = self.add_weight(shape=input_shape[-1:], initializer="ones", name="s")
    ...     def call(self, inputs):
    ...         return inputs * self.s
    >>> Scale()(np.array([[1.0, 2.0]]))
    array([[1., 2.]])
    >>> model = lg.Sequential([lg.Input(shape=(2,)), Scale()])
    >>> lg.gradients.check(model, "mse", np.array([[1.0, 2.0]]), np.array([[0.0, 1.0]])).passed
    True
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        LAYERS.register(cls)
        # A subclass that redefines the computation must say again that it is samplewise.
        if "samplewise" not in cls.__dict__ and any(h in cls.__dict__ for h in _COMPUTATIONS):
            cls.samplewise = False
        # The framework calls backward(grad, cache, input_grad=...). A layer
        # written to the older two-argument contract is adapted once, here,
        # instead of being probed at every call: it always computes dL/dx.
        for hook in ("backward", "backward_preactivation"):
            fn = cls.__dict__.get(hook)
            if fn is not None and "input_grad" not in inspect.signature(fn).parameters:
                setattr(cls, hook, _accepting_input_grad(fn))
        # A layer without a backward() of its own is differentiated by recording its call().
        cls._records_call = cls.backward is Layer.backward
        # Keras passes ``training`` to call() only when call() declares it.
        if "call" in cls.__dict__:
            params = inspect.signature(cls.__dict__["call"]).parameters
            cls._call_takes_training = "training" in params or any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

    #: Whether :meth:`call` accepts ``training`` (set per class from its signature).
    _call_takes_training = True

    #: Whether :meth:`forward` computes every output row (sample, axis 0) from
    #: the same input row alone, deterministically, in both modes, without
    #: changing state or adding losses: then :meth:`forward_copies` may run the
    #: rows of many copies as one batch. ``False`` (the safe default) makes it
    #: evaluate copies one at a time. A subclass that redefines ``forward``,
    #: ``call`` or ``forward_preactivation`` gets ``False`` unless it declares
    #: the flag again. (For an :class:`ActivatedLayer` it describes
    #: :meth:`~ActivatedLayer.forward_preactivation`; the activation declares its own.)
    samplewise = False

    #: Whether the gradient comes from recording :meth:`call` (no ``backward`` of the class's own).
    _records_call = True

    def __init__(self, name=None, trainable=True, input_shape=None, dtype="float64", seed=None, input_dim=None,
                 **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}")
        cls_name = type(self).__name__
        if input_dim is not None:
            if input_shape is not None:
                raise TypeError(f"{cls_name}: give input_shape or input_dim, not both")
            if not isinstance(input_dim, (int, np.integer)) or isinstance(input_dim, bool) or input_dim < 1:
                raise ValueError(f"{cls_name}: input_dim must be a positive integer, got {input_dim!r}")
            input_shape = (int(input_dim),)
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"{cls_name}: name must be a non-empty string, got {name!r}")
        # Plain object attributes first: __setattr__ below tracks sublayers and variables into them.
        object.__setattr__(self, "_weights", [])
        object.__setattr__(self, "_layers", [])
        self.name = name or unique_name(to_snake_case(cls_name))
        self.trainable = trainable
        self.dtype = _floating_dtype(dtype, f"{cls_name} {self.name!r}")
        self.seed = seed
        self.built = False
        self.input_shape = (None if input_shape is None
                            else (None, *feature_shape(input_shape, f"{cls_name}: input_shape")))
        self._regularizers: list[tuple[Variable, regularizers.Regularizer]] = []
        self._losses: list[float] = []
        self._init_rng = None
        self._creation_order = creation_index()
        self._inbound_nodes: list[Node] = []

    # -- attribute tracking ---------------------------------------------------
    def __setattr__(self, name, value):
        # Layers and variables assigned as attributes (alone or in a list,
        # tuple or dict) become part of this layer, as in Keras and DeZero.
        if isinstance(value, (Layer, Variable, list, tuple, dict)) and not name.startswith("_"):
            self._track(value)
        object.__setattr__(self, name, value)

    def _track(self, value):
        if isinstance(value, Layer):
            if value is not self and all(value is not known for known in self._layers):
                self._layers.append(value)
        elif isinstance(value, Variable):
            if all(value is not known for known in self._weights):
                self._weights.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                self._track(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, (Layer, Variable, list, tuple, dict)):
                    self._track(item)

    # -- weights ---------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, name=None, regularizer=None):
        """Create, register and return a :class:`Variable` of this layer (Keras 3 signature).

        Works in ``__init__`` and in :meth:`build`. The legacy order
        ``add_weight(name, shape, initializer, trainable)`` (a string first) is
        accepted too.

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
            Unique within the layer; by default ``variable``, then ``variable_1`` and so on.
        regularizer : str or Regularizer, optional
            A penalty on this weight that joins the loss (see :meth:`penalties`).

        Returns
        -------
        Variable
        """
        if isinstance(shape, str):  # legacy layergraph order: (name, shape, initializer, trainable)
            name, shape, initializer, dtype = shape, initializer, dtype, None
        owner = f"Layer {self.name!r} ({type(self).__name__})"
        shape = _weight_shape(shape, owner, name)
        try:
            dtype = np.dtype(self.dtype if dtype is None else dtype)
        except TypeError:
            raise TypeError(f"{owner}: invalid dtype {dtype!r} for weight {name!r}") from None
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
            name, k = "variable", 0
            while name in taken:
                k += 1
                name = f"variable_{k}"
        elif not isinstance(name, str) or not name:
            raise TypeError(f"{owner}: a weight name must be a non-empty string, got {name!r}")
        elif name in taken:
            raise ValueError(f"{owner} already has a weight named {name!r}; weight names must be unique in a layer")
        reg = regularizers.get(regularizer)
        reserve_weight(shape, owner, name)  # while a file loads: only the shapes it stores, checked before allocating
        value = np.asarray(init(shape, dtype.name, self._rng()))
        if value.shape != shape:
            raise ValueError(f"{owner}: the initializer of weight {name!r} returned shape {value.shape}, "
                             f"expected {shape}")
        var = Variable(np.array(value, dtype=dtype), f"{self.name}/{name}", bool(trainable))
        self._weights.append(var)
        if reg is not None:
            self._regularizers.append((var, reg))
        return var

    def _rng(self):
        """The layer's generator for weight initialisation (seeded by ``seed``)."""
        if self._init_rng is None:
            self._init_rng = seeding.generator(self.seed)
        return self._init_rng

    @property
    def layers(self):
        """The layers assigned to this layer's attributes (tracked sublayers)."""
        return list(self._layers)

    @property
    def weights(self):
        """All variables, in Keras' order (this layer's own, trainable then
        non-trainable, then each tracked sublayer's), each variable once."""
        own = [w for w in self._weights if w.trainable] + [w for w in self._weights if not w.trainable]
        if not self._layers:
            return own
        return _unique(own + [w for layer in self._layers for w in layer.weights])

    @property
    def trainable_weights(self):
        """The variables that receive gradients, own first, then the sublayers'."""
        if not self.trainable:
            return []
        own = [w for w in self._weights if w.trainable]
        if not self._layers:
            return own
        return _unique(own + [w for layer in self._layers for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self):
        """State that is saved but never given a gradient (and everything when frozen)."""
        own = list(self._weights) if not self.trainable else [w for w in self._weights if not w.trainable]
        if not self._layers:
            return own
        nested = [w for layer in self._layers
                  for w in (layer.weights if not self.trainable else layer.non_trainable_weights)]
        return _unique(own + nested)

    def penalties(self):
        """``[(variable, regularizer), ...]`` for the trainable weights that carry a penalty.

        The objective adds ``regularizer(variable.value)`` to the loss, and
        the analytic strategy adds ``regularizer.gradient(variable.value)`` to
        the variable's gradient. A frozen layer (``trainable=False``) has none.
        """
        if not self.trainable:
            return []
        own = [(var, reg) for var, reg in self._regularizers if var.trainable]
        nested = [pair for layer in self._layers for pair in layer.penalties()]
        if not nested:
            return own
        seen, out = set(), []
        for var, reg in own + nested:
            if id(var) not in seen:
                seen.add(id(var))
                out.append((var, reg))
        return out

    def get_weights(self):
        """Copies of the weights' values, in :attr:`weights` order."""
        return [w.value.copy() for w in self.weights]

    def set_weights(self, values):
        """Set all weights at once; validates every shape before changing any.

        Parameters
        ----------
        values : list of array-like
            One array per weight, in :attr:`weights` order (as
            :meth:`get_weights` returns them).
        """
        weights = self.weights
        values = list(values)
        if len(values) != len(weights):
            raise ValueError(f"Layer {self.name!r} expects {len(weights)} weight arrays, got {len(values)}")
        for w, v in zip(weights, values, strict=True):
            if np.shape(v) != w.shape:
                raise ValueError(
                    f"Layer {self.name!r}: weight {w.name!r} has shape {w.shape}, got an array of shape {np.shape(v)}"
                )
        for w, v in zip(weights, values, strict=True):
            w.value[...] = v

    def _set_dtype(self, dtype):
        """Switch the layer (its sublayers, and any weights it already has) to ``dtype``."""
        self.dtype = _floating_dtype(dtype, f"Layer {self.name!r}")
        for w in self._weights:
            if w.value.dtype.kind == "f":
                w.value = w.value.astype(self.dtype)
        for layer in self._layers:
            layer._set_dtype(dtype)

    def count_params(self):
        """Number of scalars in :attr:`weights`."""
        return int(sum(w.value.size for w in self.weights))

    # -- losses ------------------------------------------------------------------
    def add_loss(self, value):
        """Add a scalar to the objective of the current forward pass (Keras' ``add_loss``).

        Call it inside :meth:`call` (e.g. an activity penalty). The value
        joins the loss that ``fit`` minimises and reports; the analytic
        strategy differentiates it with the rest of :meth:`call` (the
        recording returns it as an extra output whose gradient seed is 1).

        Parameters
        ----------
        value : float or array of size 1
            The term to add.
        """
        if isinstance(value, Variable):
            value = value._resolve()
        if type(value) is Traced:
            if value.size != 1:
                raise ValueError(f"Layer {self.name!r}: add_loss expects a scalar, got an array of shape "
                                 f"{value.shape}")
            collected = _context.losses
            if collected is not None and not value._tape.closed:
                # Kept traced until the recording ends; the recording then stores its float here.
                self._losses.append(value)
                collected.append((self, len(self._losses) - 1, value))
                return
            value = value.value  # a recording of the user's own: the value alone
        value = np.asarray(value)
        if value.size != 1:
            raise ValueError(f"Layer {self.name!r}: add_loss expects a scalar, got an array of shape {value.shape}")
        self._losses.append(float(value.reshape(())))

    @property
    def losses(self):
        """The values given to :meth:`add_loss` in the last forward pass, this layer's and its sublayers'."""
        out = list(self._losses)
        for layer in self._layers:
            out.extend(layer.losses)
        return out

    def _clear_losses(self):
        """Forget the added losses before a new forward pass."""
        if self._losses:
            self._losses.clear()
        for layer in self._layers:
            layer._clear_losses()

    # -- building and shapes -----------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis ``None``).

        Called once, on the first call, before :meth:`call`/:meth:`forward`
        (lazy build, as in Keras); create weights with :meth:`add_weight`.

        Parameters
        ----------
        input_shape : tuple or list of tuple
            E.g. ``(None, 784)``; a list of shapes for several inputs.
        """
        self.built = True

    def compute_output_shape(self, input_shape):
        """Output shape (batch axis ``None``) for inputs of ``input_shape``.

        Parameters
        ----------
        input_shape : tuple or list of tuple
            Shape of the inputs, batch axis ``None``; a list for several inputs.

        Returns
        -------
        tuple or list of tuple
            One shape per output.

        A layer with its own :meth:`forward` keeps the input shape unless it
        overrides this; a :meth:`call` layer runs :meth:`call` once on zeros
        (a batch of one; ``None`` axes of length 1) and reads the shape, with
        its non-trainable state and added losses restored afterwards.
        """
        if "call" not in _defining(type(self)):
            return input_shape
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        zeros = [np.zeros(tuple(1 if d is None else d for d in shape), dtype=self.dtype) for shape in shapes]
        state = [w.value.copy() for w in self.non_trainable_weights]
        try:
            with backward_follows(False):  # a probe: nothing to record
                out = self.forward(zeros if isinstance(input_shape, list) else zeros[0], training=False)[0]
        finally:
            for w, saved in zip(self.non_trainable_weights, state, strict=True):
                w.value[...] = saved
            self._clear_losses()
        if isinstance(out, (list, tuple)):
            return [(None, *np.shape(o)[1:]) for o in out]
        return (None, *np.shape(out)[1:])

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

    @property
    def output_shape(self):
        """The output shape for the built input shape (``None`` before the layer is built)."""
        if self.input_shape is None:
            return None
        return self.compute_output_shape(self.input_shape)

    @property
    def input(self):
        """The symbolic input(s) of the layer's first call on symbolic tensors."""
        return self._node_tensors("input", "inputs")

    @property
    def output(self):
        """The symbolic output(s) of the layer's first call on symbolic tensors."""
        return self._node_tensors("output", "outputs")

    def _node_tensors(self, what, attr):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on symbolic tensors, so it has no "
                                 f"{what}; call it on layergraph.Input(...) or use it in a model first")
        node = self._inbound_nodes[0]
        tensors = node.inputs if attr == "inputs" else node.outputs
        return tensors[0] if len(tensors) == 1 else list(tensors)

    # -- computation -------------------------------------------------------------
    def output_activation(self):
        """The activation the output ends in when ``backward_preactivation`` is offered, else ``None``."""
        return None

    def call(self, inputs, training=None):
        """The layer's maths on numpy arrays (the Keras way). See the class docstring.

        Parameters
        ----------
        inputs : numpy.ndarray or list of numpy.ndarray
            A batch (a list for several inputs), in the layer's dtype.
        training : bool, optional
            Passed only when ``call`` declares it: training-mode behaviour
            (dropout, batch statistics).

        Returns
        -------
        numpy.ndarray or list of numpy.ndarray
            The outputs (a list for several outputs).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement call() (or forward() and backward())")

    def forward(self, inputs, training=False):
        """``(outputs, cache)``: :meth:`call` by default. See the class docstring.

        A layer without a ``backward`` of its own records :meth:`call` on a
        tape when a backward pass will follow (inside
        :func:`~layergraph.framework.layers.tracing.backward_follows`, which
        the analytic strategy opens); the cache is then the recording.
        Otherwise :meth:`call` runs on plain arrays and the cache is the inputs.

        Parameters
        ----------
        inputs : numpy.ndarray or list of numpy.ndarray
            A batch, as :meth:`call` takes it.
        training : bool, default False
            Training-mode behaviour.

        Returns
        -------
        tuple
            ``(outputs, cache)``; ``cache`` is whatever :meth:`backward`
            needs from this pass.
        """
        if self._records_call and _context.backward_follows:
            return self._record_call(inputs, training)
        return self._run_call(inputs, training), inputs

    def backward(self, grad, cache, input_grad=True):
        """Map ``dL/d(outputs)`` to ``(dL/d(inputs), [dL/dw ...])``. See the class docstring.

        By default, the recording of :meth:`call` made by :meth:`forward` is replayed
        backwards: the gradients of the inputs, of :attr:`trainable_weights`
        (the sublayers' included) and of the added losses (seed 1 each).

        Parameters
        ----------
        grad : numpy.ndarray or list of numpy.ndarray
            ``dL/d(outputs)``, shaped as the outputs (a list for several).
        cache : object
            What the matching :meth:`forward` returned.
        input_grad : bool, default True
            ``False`` tells the layer that nobody will use ``dL/d(inputs)``
            (it is the first layer of a model): it may skip computing it and
            return ``None`` in its place.

        Returns
        -------
        tuple
            ``(dL/d(inputs), [dL/dw for w in self.trainable_weights])``;
            gradients are returned, never stored on the layer.
        """
        if type(cache) is RecordedCall:
            return cache.gradients(grad, input_grad)
        raise NotImplementedError(
            f"{type(self).__name__} ({self.name!r}) has no backward() and its forward pass was not recorded "
            f"(record it inside layergraph.layers.backward_follows(), as the analytic strategy does): "
            f"implement backward() or train with gradient='numeric'")

    def _run_call(self, inputs, training):
        """:meth:`call` in a call context (inner layers inherit ``training``), its output checked."""
        if not self._layers:
            # No sublayer reads the call context: skip it (a thread-local costs ~0.1 us per access).
            out = self.call(inputs, training=training) if self._call_takes_training else self.call(inputs)
        else:
            context = _context
            outer = context.training  # None outside any call(): this one is then the outermost
            context.training = training
            try:
                out = self.call(inputs, training=training) if self._call_takes_training else self.call(inputs)
            finally:
                context.training = outer
        if type(out) is np.ndarray or type(out) is Traced:
            return out
        return _call_output(out, self)

    def _record_call(self, inputs, training, again=True):
        """Run :meth:`call` under recording: ``(outputs, RecordedCall)``."""
        variables = self.trainable_weights
        collected, structure = [], []

        def fn(x):
            outer = _context.losses
            _context.losses = collected
            try:
                out = self._run_call(x, training)
            finally:
                _context.losses = outer
            multi = isinstance(out, (list, tuple))
            structure.append(multi)
            if not collected:
                return out
            return (list(out) if multi else [out]) + [value for _, _, value in collected]

        outputs, backward = record(fn, inputs, variables, name=self.name)
        if again and len(self.trainable_weights) != len(variables):
            # call() built sublayers, whose new weights the recording did not watch: record once more.
            self._clear_losses()
            return self._record_call(inputs, training, again=False)
        multi = structure[0]
        seeds = []
        if collected:
            values = outputs[len(outputs) - len(collected):]
            outputs = outputs[:len(outputs) - len(collected)]
            for (layer, index, _), value in zip(collected, values, strict=True):
                layer._losses[index] = float(value.reshape(()))
                seeds.append(loss_seed(value))
            if not multi:
                outputs = outputs[0]
        return outputs, RecordedCall(backward, multi, seeds)

    def _call_recorded(self, inputs, training):
        """``self(inputs)`` inside a recorded :meth:`call`: traced values in, traced values out.

        A layer differentiated by recording runs its :meth:`call` on the same
        tape; a layer with its own ``backward`` (the built-in layers) is
        recorded as one op whose gradient is that ``backward``.
        """
        if not self.built:
            many = isinstance(inputs, (list, tuple))
            shapes = [(None, *np.shape(_plain_of(a))[1:]) for a in (inputs if many else [inputs])]
            self._maybe_build(shapes if many else shapes[0])
        if self._records_call:
            return self._run_call(inputs, training)
        return record_opaque(lambda plain: self._forward_for_op(plain, training), inputs, self.trainable_weights,
                             name=self.name)

    def _forward_for_op(self, inputs, training):
        with backward_follows():  # the op's gradient is this layer's backward: inner call() layers record
            out, cache = self.forward(inputs, training)
        return out, lambda grads, input_grad: self.backward(grads, cache, input_grad=input_grad)

    def prepare_inputs(self, inputs):
        """``inputs`` as the arrays :meth:`forward` takes (the layer's dtype;
        a list for several), building the layer on their shapes if needed.

        Parameters
        ----------
        inputs : array-like or list of array-like
            What a user passes.
        """
        if isinstance(inputs, (list, tuple)):
            arrays = [_as_input_array(a, self.dtype) for a in inputs]
            self._maybe_build([(None, *a.shape[1:]) for a in arrays])
            return arrays
        x = _as_input_array(inputs, self.dtype)
        self._maybe_build((None, *x.shape[1:]))
        return x

    def __call__(self, inputs, training=None):
        """Call on symbolic tensors (records a graph node) or on arrays (computes).

        Parameters
        ----------
        inputs : array-like, SymbolicTensor, or a list of them
            Arrays compute at once; symbolic tensors (from
            :func:`layergraph.Input`) record a node of a functional model.
        training : bool, optional
            Training-mode behaviour (dropout, batch statistics). On symbolic
            tensors a given value is fixed in the graph, as in Keras
            (``base(x, training=False)`` keeps a sub-model in inference mode).

        Returns
        -------
        SymbolicTensor or numpy.ndarray (lists of them for several outputs)
        """
        if is_symbolic(inputs):
            many = isinstance(inputs, (list, tuple))
            shapes = [t.shape for t in inputs] if many else inputs.shape
            self._maybe_build(shapes)
            out_shape = self.compute_output_shape(shapes)
            several = isinstance(out_shape, list)
            node = Node(self, list(inputs) if many else [inputs], out_shape if several else [out_shape],
                        training=training)
            self._inbound_nodes.append(node)
            return list(node.outputs) if several else node.outputs[0]
        context = _context
        outer = context.training  # None outside any call()
        if training is None:
            training = outer  # inherited from an enclosing call(), as in Keras
        if is_recording():
            return self._call_recorded(inputs, bool(training))
        arrays = self.prepare_inputs(inputs)
        if outer is None:  # the outermost call owns the added losses
            self._clear_losses()
        if context.backward_follows:  # nobody differentiates what this call returns: record nothing
            with backward_follows(False):
                return self.forward(arrays, bool(training))[0]
        return self.forward(arrays, bool(training))[0]

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
        """A new layer from :meth:`get_config`'s dict."""
        return cls(**config)

    def get_build_config(self):
        """``{"input_shape": ...}`` of a built layer (JSON-able, batch axis ``None``), else ``None`` (Keras 3)."""
        if not self.built or self.input_shape is None:
            return None
        shape = self.input_shape
        return {"input_shape": [list(s) for s in shape] if isinstance(shape, list) else list(shape)}

    def build_from_config(self, config):
        """Build the layer as :meth:`get_build_config` recorded (how a saved subclassed model gets its weights).

        Parameters
        ----------
        config : dict
            ``{"input_shape": shape}``, the shape with the batch axis (a
            list of shapes for several inputs).
        """
        shape = config["input_shape"]
        self._maybe_build([tuple(s) for s in shape] if shape and isinstance(shape[0], list) else tuple(shape))

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"

    # -- the vectorised numeric gradient ---------------------------------------------
    def forward_perturbed(self, reference, variable, indices, values):
        """Outputs of perturbed copies of one call, copy ``k`` with one weight element moved.

        Copy ``k`` is this call on the reference inputs with the flat element
        ``indices[k]`` of ``variable`` (one of :attr:`weights`) set to
        ``values[k]``. The vectorised
        :class:`~layergraph.framework.gradients.NumericGradient` calls it for
        the first call that uses the weight; the result must equal, up to
        rounding, what :meth:`forward` returns with the element moved.

        Override it when a perturbation changes the output in a structured
        way (:class:`~layergraph.framework.layers.Dense`: one output column).
        The default is the generic path,
        :func:`~layergraph.framework.perturbation.loop`: the element is set
        in place, :meth:`forward` runs, the element is restored (even if
        ``forward`` raises), one copy at a time. ``Copies`` and
        ``NodeReference`` are classes of :mod:`~layergraph.framework.perturbation`
        (see the internals page).

        Parameters
        ----------
        reference : NodeReference
            The call's reference inputs and outputs, its ``training`` mode,
            and a per-step memo.
        variable : Variable
            The weight whose elements are moved.
        indices : numpy.ndarray of int, ``(K,)``
            Flat indices into ``variable.value``.
        values : numpy.ndarray, ``(K,)``
            The perturbed values, of the variable's dtype.

        Returns
        -------
        Copies
            The ``K`` copies of the output (a list for several outputs).
        """
        return loop(self, reference, weight=(variable, indices, values))

    def forward_copies(self, reference, copies):
        """Outputs of this call for perturbed copies of its inputs (the numeric gradient's other hook).

        The result must equal, up to rounding, :meth:`forward` applied to
        each copy's inputs as a batch of its own. The default folds the
        changed rows of all copies into one batch when the layer is
        :attr:`samplewise` (:func:`~layergraph.framework.perturbation.fold`),
        and otherwise (or when the call added losses) evaluates the copies
        one at a time (:func:`~layergraph.framework.perturbation.loop`): exact
        for layers that couple the samples of a batch. Layers that couple
        samples in a way they can vectorise override it
        (:class:`~layergraph.framework.layers.BatchNormalization` normalises
        each copy over its own batch).

        Parameters
        ----------
        reference : NodeReference
            The call's reference inputs and outputs, its ``training`` mode,
            and a per-step memo.
        copies : Copies
            The perturbed inputs (a list for several inputs, ``None`` for an
            input that equals the reference in every copy).

        Returns
        -------
        Copies
            A list for several outputs.
        """
        if self.samplewise:
            out = fold(self, reference, copies)
            if out is not None:
                return out
        return loop(self, reference, copies)


#: The methods that define a layer's computation (see :attr:`Layer.samplewise`).
_COMPUTATIONS = ("forward", "call", "forward_preactivation")


def _defining(cls):
    """Names of the hooks defined by ``cls`` or a base class below :class:`Layer`."""
    names = set()
    for klass in cls.__mro__:
        if klass is Layer:
            break
        names.update(klass.__dict__)
    return names


def _plain_of(a):
    return a.value if type(a) is Traced or isinstance(a, Variable) else a


def _call_output(out, layer):
    """What :meth:`Layer.call` returned, as arrays: a variable as its value (traced when watched), or ``TypeError``."""
    if type(out) is np.ndarray or type(out) is Traced:
        return out
    if isinstance(out, Variable):  # e.g. Keras' ComputeSum returns its state
        value = out._resolve()
        return value if type(value) is Traced else value.copy()
    if isinstance(out, np.generic):
        return np.asarray(out)
    if isinstance(out, (list, tuple)) and out:
        return type(out)(_call_output(o, layer) for o in out)
    raise TypeError(f"Layer {layer.name!r} ({type(layer).__name__}): call() returned {type(out).__name__} where "
                    f"an array was expected; return a numpy array, or a list or tuple of them")


def feature_shape(shape, what):
    """A shape without the batch axis (``input_shape=``, ``Input(shape=)``) as a tuple of positive ints
    (``None`` allowed for variable-length axes); ``ValueError`` starting with ``what`` otherwise."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or not all(d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0)
                               for d in dims):
        raise ValueError(f"{what} must be a tuple of positive integers (or None for a variable length), "
                         f"without the batch axis, got {shape!r}")
    return tuple(None if d is None else int(d) for d in dims)


def _as_input_array(a, dtype):
    """An input array in the layer's dtype (integers and bools are converted; no copy when it matches)."""
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"Layer inputs must be numeric arrays, got dtype {a.dtype}")
    return a.astype(dtype, copy=False)


class ActivatedLayer(Layer):
    """A layer of the form ``a = activation(f(inputs))``.

    Subclasses implement :meth:`backward_preactivation` for ``f``, and
    either :meth:`preactivation` (``f`` in traceable numpy: then
    :meth:`call` is ``activation(f(inputs))``, and the forward pass runs the
    same code, its cache being the inputs and the activation's output) or,
    when ``f`` cannot be traced, :meth:`forward_preactivation`; this class
    adds the activation.
    ``backward_preactivation`` is also the entry point of the fused
    softmax/sigmoid + cross-entropy gradient: a loss that knows ``dL/dz``
    directly skips the activation's Jacobian.

    A subclass whose ``forward_preactivation`` returns a fresh ``z``
    (an array nobody else holds: not the inputs, not in its cache) declares
    ``owns_preactivation = True`` in its class body; the activation may then
    overwrite ``z``. A subclass that redefines ``forward_preactivation``
    without declaring it again gets ``False``, so overriding the
    computation never inherits the promise.

    Parameters
    ----------
    activation : str or ActivationFunction, optional
        The activation the output ends in; ``None`` means linear.
    **kwargs
        Base layer arguments (see :class:`Layer`).

    Example
    -------
    A scaling layer whose output goes through an activation:

    >>> import numpy as np, layergraph as lg
    >>> class Scale(lg.layers.ActivatedLayer):
    ...     def forward_preactivation(self, inputs, training=False):
    ...         return 2.0 * inputs, None
    ...     def backward_preactivation(self, grad_z, cache, input_grad=True):
    ...         return 2.0 * grad_z, []
    >>> Scale(activation="relu")(np.array([[-1.0, 3.0]]))
    array([[0., 6.]])
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

    def output_activation(self):
        return self.activation

    def preactivation(self, inputs):
        """``z = f(inputs)``, the layer's maths before its activation, in traceable numpy.

        Parameters
        ----------
        inputs : numpy.ndarray
            A batch.

        Returns
        -------
        numpy.ndarray
            The pre-activation ``z``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement preactivation() or "
                                  f"forward_preactivation()")

    def call(self, inputs):
        """``activation(f(inputs))``; differentiable under recording when :meth:`preactivation` is."""
        return self.activation.call(self.preactivation(inputs))

    def forward_preactivation(self, inputs, training=False):
        """``(z, cache)``: the layer's computation before its activation; by default
        :meth:`preactivation`, the cache being the inputs."""
        return self.preactivation(inputs), inputs

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

    def forward_copies(self, reference, copies):
        """Folds the pre-activation when :attr:`samplewise`, then :meth:`activate_copies`; else the generic loop."""
        if not self.samplewise or isinstance(reference.inputs, list):
            return super().forward_copies(reference, copies)
        z = self.forward_preactivation(copies.rows(), reference.training)[0]
        return self.activate_copies(copies.with_rows(None, z), reference)

    def reference_preactivation(self, reference):
        """The pre-activation of the reference call (computed once per numeric step; do not modify it).

        Parameters
        ----------
        reference : NodeReference
            The call's reference inputs and its ``training`` mode.
        """
        return reference.memo("preactivation",
                              lambda: self.forward_preactivation(reference.inputs, reference.training)[0])

    def activate_copies(self, z, reference):
        """The activation of perturbed copies ``z`` of the pre-activation, as this layer's output copies.

        An element-wise activation keeps column mode; a row-wise one
        (:attr:`ActivationFunction.samplewise`) runs on the changed rows; one
        that couples the samples (``batch_softmax``) gets each copy's whole
        batch (:meth:`ActivationFunction.forward_copies`).

        Parameters
        ----------
        z : Copies
            Its ``reference`` may be ``None``: the reference pre-activation
            is then recomputed once per step when needed.
        reference : NodeReference
            The call's reference inputs and outputs and its ``training`` mode.
        """
        act = self.activation
        if z.column is not None and act.elementwise:
            return Copies(reference.outputs, z.count, z.copy, z.sample, act.forward(z.values)[0], column=z.column)
        if z.reference is None:
            z.reference = self.reference_preactivation(reference)
        if act.samplewise:
            return z.with_rows(reference.outputs, act.forward(z.rows())[0])
        full, present = z.full()
        return Copies.from_full(act.forward_copies(full), reference.outputs, present, z.count)

    def get_config(self):
        config = super().get_config()
        config["activation"] = self.activation.get_config()
        return config

