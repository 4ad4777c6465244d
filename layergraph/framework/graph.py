"""Graph models: :func:`Input`, functional :class:`Model`, :class:`Sequential`.

A model is itself a :class:`~layergraph.framework.layers.Layer`: it can be
called on symbolic tensors inside a bigger graph (weights shared), and it
exposes the same ``forward``/``backward`` contract, so gradient strategies
treat a whole model exactly like one layer.

Example
-------
>>> import layergraph as lg
>>> x = lg.Input(shape=(2,))
>>> h = lg.layers.Dense(2, activation="sigmoid")(x)
>>> y = lg.layers.Dense(1, activation="sigmoid")(lg.layers.Concatenate()([h, x]))
>>> model = lg.Model(inputs=x, outputs=y)
>>> [w.shape for w in model.get_weights()]
[(2, 2), (2,), (4, 1), (1,)]
"""
from __future__ import annotations

import heapq
import math

import numpy as np

from .layers.base import Layer
from .layers.core import InputLayer
from .symbolic import Node, SymbolicTensor
from .training import TrainingMixin


def Input(shape, name=None, dtype="float64"):
    """A symbolic input of feature shape ``shape`` (no batch axis).

    Returns
    -------
    SymbolicTensor
        Of shape ``(None, *shape)``.
    """
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(shape)
    if not all(isinstance(d, (int, np.integer)) and d > 0 for d in shape):
        raise ValueError(f"Input shape must be a tuple of positive integers, got {shape!r}")
    layer = InputLayer(shape, name=name, dtype=dtype)
    node = Node(layer, [], [layer.shape])
    layer._inbound_nodes.append(node)
    return node.outputs[0]


def _accumulate(store: dict, key, value):
    """Add ``value`` into ``store[key]`` without aliasing the first array stored."""
    if key in store:
        store[key] = store[key] + value
    else:
        store[key] = value


class _GraphModel(Layer, TrainingMixin):
    """What Sequential and functional models share: weights, summary, dtype."""

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype or "float64")
        self._init_training()

    def _output_sizes(self):
        """Numbers per sample in each layer's output (for :func:`~.trainer.predict_batch_size`)."""
        return [math.prod(shape[1:]) for shape in self._output_shapes()]

    def forward_inference(self, inputs):
        """Outputs of one batch in inference mode, without the caches:
        ``forward(inputs, training=False)[0]``, which ``predict`` runs batch
        by batch. Sequential models release each layer's intermediates as
        soon as the next layer has its output."""
        return self.forward(inputs, training=False)[0]

    # subclasses provide self.layers (unique, in weight order)
    @property
    def weights(self):
        seen, out = set(), []
        for layer in self.layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self._unique(layer.trainable_weights for layer in self.layers)]

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    @staticmethod
    def _unique(lists):
        seen = set()
        for items in lists:
            for w in items:
                if id(w) not in seen:
                    seen.add(id(w))
                    yield w

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in :attr:`layers`."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r} in model {self.name!r}; layers: {[l.name for l in self.layers]}")

    def penalties(self):
        """``[(variable, regularizer), ...]`` of every layer, each variable once."""
        if not self.trainable:
            return []
        seen, out = set(), []
        for layer in self.layers:
            for var, reg in layer.penalties():
                if id(var) not in seen:
                    seen.add(id(var))
                    out.append((var, reg))
        return out

    def _set_dtype(self, dtype):
        self.dtype = np.dtype(dtype).name
        for layer in self.layers:
            layer._set_dtype(dtype)

    def _grads_for(self, by_var):
        """Gradients aligned with :attr:`trainable_weights` (zeros where unused)."""
        return [by_var[id(w)] if id(w) in by_var else np.zeros_like(w.value) for w in self.trainable_weights]

    @staticmethod
    def _collect(by_var, layer, layer_grads):
        for w, g in zip(layer.trainable_weights, layer_grads):
            _accumulate(by_var, id(w), g)

    def summary(self, print_fn=print):
        """Print a Keras-style table of layers, output shapes and parameter counts."""
        rows = [(f"{layer.name} ({type(layer).__name__})", str(self._output_shape_of(layer)), f"{layer.count_params():,}")
                for layer in self.layers]
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
                  for i, h in enumerate(("Layer (type)", "Output Shape", "Param #"))]
        line = "  ".join("{:<%d}" % w for w in widths)
        total = sum(w.value.size for w in self.weights)
        trainable = sum(w.value.size for w in self.trainable_weights)
        out = [f'Model: "{self.name}"', "-" * (sum(widths) + 4), line.format("Layer (type)", "Output Shape", "Param #"),
               "=" * (sum(widths) + 4)]
        out += [line.format(*r) for r in rows]
        out += ["=" * (sum(widths) + 4), f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                f"Non-trainable params: {total - trainable:,}"]
        print_fn("\n".join(out))

    def count_params(self):
        return int(sum(w.value.size for w in self.weights))


class Model(_GraphModel):
    """A functional model: a DAG of layers from ``inputs`` to ``outputs``.

    Parameters
    ----------
    inputs : SymbolicTensor or list of SymbolicTensor
        Made by :func:`Input`.
    outputs : SymbolicTensor or list of SymbolicTensor
        Results of calling layers (or models) on symbolic tensors.

    Notes
    -----
    Layers run in topological order, ties broken by layer creation order, and
    :meth:`get_weights` follows the same order. When a tensor feeds several
    layers (fan-out) or a layer is called several times (weight sharing), the
    backward pass adds up the gradients.
    """

    def __init__(self, inputs, outputs, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._multi_input = isinstance(inputs, (list, tuple))
        self._multi_output = isinstance(outputs, (list, tuple))
        self.inputs = list(inputs) if self._multi_input else [inputs]
        self.outputs = list(outputs) if self._multi_output else [outputs]
        for t in self.inputs + self.outputs:
            if not isinstance(t, SymbolicTensor):
                raise TypeError(f"Model inputs and outputs must be symbolic tensors (from Input or layer calls), got {type(t).__name__}")
        for t in self.inputs:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(f"Model input {t} must come from layergraph.Input()")
        self._nodes = self._topological_nodes()
        self.layers = []
        for node in self._nodes:
            if node.layer not in self.layers:
                self.layers.append(node.layer)
        dtypes = {layer.dtype for layer in self.layers}
        self.dtype = np.dtype(dtype).name if dtype else (dtypes.pop() if len(dtypes) == 1 else "float64")
        if dtype:
            self._set_dtype(dtype)
        self.input_shape = [t.shape for t in self.inputs] if self._multi_input else self.inputs[0].shape
        self.built = True

    def _topological_nodes(self):
        # Collect every node that the outputs depend on, stopping at the inputs.
        input_nodes = {id(t.node) for t in self.inputs}
        needed, stack = {}, [t.node for t in self.outputs]
        while stack:
            node = stack.pop()
            if id(node) in needed:
                continue
            needed[id(node)] = node
            if id(node) in input_nodes:
                continue
            if not node.inputs:
                raise ValueError(
                    f"Model {self.name!r}: output depends on input {node.outputs[0]} that is not in `inputs`"
                )
            stack.extend(node.parents)
        # Kahn's algorithm; among ready nodes the earliest-created layer first.
        children = {k: [] for k in needed}
        indegree = {k: 0 for k in needed}
        for k, node in needed.items():
            if k in input_nodes:
                continue
            for parent in node.parents:
                children[id(parent)].append(node)
                indegree[k] += 1
        key = lambda n: (n.layer._creation_order, n.order)  # noqa: E731
        ready = [(key(n), id(n), n) for k, n in needed.items() if indegree[k] == 0]
        heapq.heapify(ready)
        ordered = []
        while ready:
            _, _, node = heapq.heappop(ready)
            ordered.append(node)
            for child in children[id(node)]:
                indegree[id(child)] -= 1
                if indegree[id(child)] == 0:
                    heapq.heappush(ready, (key(child), id(child), child))
        return ordered

    @property
    def activation(self):
        """The activation of the (single) output layer, for fused losses."""
        if self._multi_output:
            return None
        return getattr(self.outputs[0].node.layer, "activation", None)

    def _output_shapes(self):
        return [t.shape for node in self._nodes if not isinstance(node.layer, InputLayer) for t in node.outputs]

    def _output_shape_of(self, layer):
        for node in self._nodes:
            if node.layer is layer:
                return node.outputs[0].shape
        return None

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        return shapes if self._multi_output else shapes[0]

    def forward(self, inputs, training=False):
        arrays = list(inputs) if self._multi_input else [inputs]
        if len(arrays) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} inputs, got {len(arrays)}")
        values = {}
        for t, a in zip(self.inputs, arrays):
            if tuple(a.shape[1:]) != tuple(t.shape[1:]):
                raise ValueError(
                    f"Model {self.name!r}: input {t.node.layer.name!r} expects shape {t.shape}, got {tuple(a.shape)}"
                )
            values[id(t)] = a
        caches = []
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                caches.append(None)
                continue
            ins = [values[id(t)] for t in node.inputs]
            out, cache = node.layer.forward(ins if len(ins) > 1 else ins[0], training)
            values[id(node.outputs[0])] = out
            caches.append(cache)
        outputs = [values[id(t)] for t in self.outputs]
        return (outputs if self._multi_output else outputs[0]), caches

    def backward(self, grad, cache, preactivation=False, input_grad=True):
        # With ``input_grad=False`` the layers that read only model inputs
        # are told that nobody needs their dL/d(inputs).
        input_ids = {id(t) for t in self.inputs}
        grads_at = {}
        grad_list = list(grad) if self._multi_output else [grad]
        for t, g in zip(self.outputs, grad_list):
            _accumulate(grads_at, id(t), g)
        fused_node = self.outputs[0].node if preactivation else None
        by_var = {}
        for node, node_cache in zip(reversed(self._nodes), reversed(cache)):
            if isinstance(node.layer, InputLayer):
                continue
            g = grads_at.pop(id(node.outputs[0]), None)
            if g is None:  # this branch does not reach the outputs
                continue
            wanted = input_grad or not all(id(t) in input_ids for t in node.inputs)
            if node is fused_node:
                g_in, layer_grads = node.layer.backward_preactivation(g, node_cache, input_grad=wanted)
            else:
                g_in, layer_grads = node.layer.backward(g, node_cache, input_grad=wanted)
            self._collect(by_var, node.layer, layer_grads)
            if not wanted:
                continue
            g_in = g_in if len(node.inputs) > 1 else [g_in]
            for t, gi in zip(node.inputs, g_in):
                _accumulate(grads_at, id(t), gi)
        if not input_grad:
            return None, self._grads_for(by_var)
        input_grads = [grads_at.get(id(t), np.zeros(0)) for t in self.inputs]
        return (input_grads if self._multi_input else input_grads[0]), self._grads_for(by_var)

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        """Backward pass where ``grad_z`` is taken before the output activation."""
        return self.backward(grad_z, cache, preactivation=True, input_grad=input_grad)

    def get_config(self):
        from .saving import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model (fresh weights) from :meth:`get_config`; ``custom_objects`` maps names to layer classes."""
        from .saving import functional_from_config

        return functional_from_config(cls, config, custom_objects)


class Sequential(_GraphModel):
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of Layer, optional
        May start with ``Input(shape=...)``. Without an input shape the model
        is built lazily on the first batch it sees.
    name : str, optional
    dtype : str, optional
        Cast every layer to this dtype (e.g. ``"float32"``).

    Example
    -------
    >>> import layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(4, activation="relu", input_shape=(3,)),
    ...                        lg.layers.Dense(1)])
    >>> model.predict(np.zeros((5, 3)), verbose=0).shape
    (5, 1)
    """

    def __init__(self, layers=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.layers = []
        self._requested_dtype = dtype
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (or an ``Input`` tensor that fixes the input shape)."""
        if isinstance(layer, SymbolicTensor):
            if self.layers:
                raise ValueError("Input(...) can only be the first element of a Sequential model")
            self.input_shape = layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential {self.name!r}: expected a Layer, got {type(layer).__name__}: {layer!r}")
        if self._requested_dtype:
            layer._set_dtype(self._requested_dtype)
        elif not self.layers:
            self.dtype = layer.dtype
        self.layers.append(layer)
        if self.input_shape is None and layer.input_shape is not None and len(self.layers) == 1:
            self.input_shape = layer.input_shape
        self.built = False
        if self.input_shape is not None:
            self.build(self.input_shape)

    def build(self, input_shape):
        shape = input_shape
        for layer in self.layers:
            layer._maybe_build(shape)
            shape = layer.compute_output_shape(shape)
        self.input_shape = input_shape
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def _output_shapes(self):
        if not self.built:
            return []
        shapes, shape = [], self.input_shape
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
            shapes.append(shape)
        return shapes

    def _output_shape_of(self, layer):
        if not self.built:
            return "?"
        shape = self.input_shape
        for candidate in self.layers:
            shape = candidate.compute_output_shape(shape)
            if candidate is layer:
                return shape
        return None

    @property
    def activation(self):
        return self.layers[-1].activation if self.layers else None

    def forward(self, inputs, training=False):
        if not self.layers:
            raise ValueError(f"Sequential {self.name!r} has no layers")
        if not self.built:
            self.build((None, *np.shape(inputs)[1:]))
        caches = []
        x = inputs
        for layer in self.layers:
            x, cache = layer.forward(x, training)
            caches.append(cache)
        return x, caches

    def forward_inference(self, inputs):
        if type(self).forward is not Sequential.forward:  # a subclass's own forward decides
            return super().forward_inference(inputs)
        if not self.layers:
            raise ValueError(f"Sequential {self.name!r} has no layers")
        if not self.built:
            self.build((None, *np.shape(inputs)[1:]))
        x = inputs
        for layer in self.layers:
            x = layer.forward(x, False)[0]  # the cache goes at once: no batch's intermediates pile up
        return x

    def backward(self, grad, cache, preactivation=False, input_grad=True):
        """``(dL/dx, weight grads)``; see :meth:`~layergraph.framework.layers.base.Layer.backward`.

        ``preactivation``: ``grad`` is taken before the last layer's
        activation. ``input_grad=False``: the caller discards ``dL/dx`` (as
        gradient strategies do), so the first layer is told it may skip
        computing it (Dense and Conv2D do), and ``dL/dx`` may be ``None``.
        """
        layers = self.layers
        last = len(layers) - 1
        per_layer = [None] * len(layers)
        for i in range(last, -1, -1):
            layer = layers[i]
            wanted = input_grad or i > 0  # the first layer's dL/dx is the model's
            if preactivation and i == last:
                grad, per_layer[i] = layer.backward_preactivation(grad, cache[i], input_grad=wanted)
            else:
                grad, per_layer[i] = layer.backward(grad, cache[i], input_grad=wanted)
        if self.trainable and self._distinct_weights():
            # Fast path: no weight appears twice, so trainable_weights is the
            # plain concatenation of the layers' own lists.
            return grad, [g for layer_grads in per_layer for g in layer_grads]
        by_var = {}
        for layer, layer_grads in zip(self.layers, per_layer):
            self._collect(by_var, layer, layer_grads)
        return grad, self._grads_for(by_var)

    def _distinct_weights(self):
        key = tuple(id(layer) for layer in self.layers)
        if getattr(self, "_distinct_key", None) != key:
            self._distinct_key = key
            plain = not any(isinstance(layer, _GraphModel) for layer in self.layers)
            self._distinct = plain and len(set(key)) == len(key)
        return self._distinct

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        """Backward pass where ``grad_z`` is taken before the last layer's activation."""
        return self.backward(grad_z, cache, preactivation=True, input_grad=input_grad)

    def get_config(self):
        from .saving import sequential_config

        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model (fresh weights) from :meth:`get_config`; ``custom_objects`` maps names to layer classes."""
        from .saving import sequential_from_config

        return sequential_from_config(cls, config, custom_objects)
