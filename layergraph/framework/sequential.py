"""``Sequential``: a linear stack of layers.

Example
-------
>>> import numpy as np, layergraph as lg
>>> model = lg.Sequential([lg.layers.Dense(4, activation="relu", input_shape=(3,), name="hidden"),
...                        lg.layers.Dense(1, name="out")])
>>> model.predict(np.zeros((5, 3)), verbose=0).shape
(5, 1)
>>> model.pop().name, len(model.layers)
('out', 1)
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from .graph import Graph
from .layers import serialization
from .layers.base import Layer
from .layers.core import Input, InputLayer
from .model import Model
from .symbolic import SymbolicTensor

__all__ = ["Sequential"]


class Sequential(Model):
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of Layer, optional
        May start with ``Input(shape=...)`` (or an ``InputLayer``). Without
        an input shape the model is built lazily on the first batch it sees.
    name : str, optional
        The model's name; default ``sequential``, ``sequential_1``...
    trainable : bool, default True
        When false, ``fit`` updates none of the layers' weights.
    dtype : str, optional
        Cast every layer to this dtype (e.g. ``"float32"``).

    Attributes
    ----------
    layers : list of Layer
        The stack, without the input layer (as in Keras).
    inputs : list of SymbolicTensor
        Once built: the symbolic input.
    outputs : list of SymbolicTensor
        Once built: the last layer's symbolic output, so
        ``Model(model.inputs, [layer.output for layer in model.layers])``
        extracts features, as in Keras.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.Input(shape=(4,)), lg.layers.Dense(8, activation="relu")])
    >>> model.add(lg.layers.Dense(3, activation="softmax"))
    >>> model.output_shape, model.count_params()
    ((None, 3), 67)
    >>> model.predict(np.zeros((2, 4))).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    """

    def __init__(self, layers=None, name=None, trainable=True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self._requested_dtype = dtype
        self._input = None  # the symbolic input, once the input shape is known
        self._input_dtype = None
        self.inputs, self.outputs = [], []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        if self.input_shape is not None and self._layers:
            self.build(self.input_shape)

    def _stack_changed(self):
        # The fast backward path and the symbolic graph depend on the layer list.
        self._distinct_key = None
        self.built = False
        self.inputs, self.outputs = [], []

    def add(self, layer, rebuild=True):
        """Append a layer (or, first, an ``Input`` tensor or ``InputLayer`` that fixes the input shape).

        Parameters
        ----------
        layer : Layer or SymbolicTensor
            The layer to append, or ``Input(shape=...)`` as the first element.
        rebuild : bool, default True
            Build the stack at once when its input shape is known;
            ``False`` defers it (the constructor builds once at the end).
        """
        if isinstance(layer, InputLayer):
            layer = layer._inbound_nodes[0].outputs[0] if layer._inbound_nodes else Input(
                shape=layer.shape[1:], dtype=layer.dtype, name=layer.name)
        if isinstance(layer, SymbolicTensor):
            if self._layers:
                raise ValueError(f"Sequential {self.name!r}: Input(...) can only be the first element")
            if layer.node.inputs:
                raise ValueError(f"Sequential {self.name!r}: only an Input(...) tensor may start the stack")
            self.input_shape = layer.shape
            self._input_dtype = layer.node.layer.dtype
            self._input = layer
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential {self.name!r}: expected a Layer, got {type(layer).__name__}: {layer!r}")
        if self._requested_dtype:
            layer._set_dtype(self._requested_dtype)
        elif not self._layers:
            self.dtype = layer.dtype
        self._layers.append(layer)
        if self.input_shape is None and layer.input_shape is not None and len(self._layers) == 1 \
                and not isinstance(layer.input_shape, list):
            self.input_shape = layer.input_shape
        self._stack_changed()
        if self.input_shape is not None and rebuild:
            self.build(self.input_shape)

    def pop(self):
        """Remove and return the last layer."""
        if not self._layers:
            raise TypeError(f"Sequential {self.name!r} has no layers to pop")
        layer = self._layers.pop()
        self._stack_changed()
        if self._layers and self.input_shape is not None:
            self.build(self.input_shape)
        return layer

    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (batch axis ``None``), recording the symbolic graph."""
        if input_shape is None:
            input_shape = self.input_shape
        if input_shape is None or isinstance(input_shape, list):
            raise ValueError(f"Sequential {self.name!r}: build needs one input shape, got {input_shape!r}")
        input_shape = tuple(input_shape)
        if not self._layers:
            self.input_shape = input_shape
            return
        # One symbolic input for the life of the model: every rebuild (after
        # add or pop) connects to it, so each layer's first node (its
        # .input/.output) stays part of the graph model.inputs starts from.
        if self._input is None or tuple(self._input.shape) != input_shape:
            self._input = Input(shape=input_shape[1:], dtype=self._input_dtype or self.dtype)
        x = self._input
        y = x
        for layer in self._layers:
            y = layer(y)
        self.inputs, self.outputs = [x], (y if isinstance(y, list) else [y])
        self.input_shape = input_shape
        self.built = True

    def build_from_inputs(self, arrays):
        if not self.built:
            if len(arrays) != 1:
                raise ValueError(f"Sequential {self.name!r} takes one input, got {len(arrays)}")
            self.build((None, *np.shape(arrays[0])[1:]))

    @property
    def input_names(self):
        return [self._input.node.layer.name] if self._input is not None else ["input"]

    @property
    def output_names(self):
        return [self._layers[-1].name] if self._layers else ["output"]

    @property
    def input_dtypes(self):
        dtype = self._input_dtype
        return [dtype if dtype is not None and np.dtype(dtype).kind != "f" else self.dtype]

    def arrays_for_forward(self, arrays):
        return arrays[0]

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def _shapes_by_layer(self):
        shapes, shape = [], self.input_shape
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
            shapes.append(shape)
        return shapes

    def layer_output_sizes(self):
        if not self.built:
            return []
        shapes = self._shapes_by_layer()
        if any(isinstance(s, list) or any(d is None for d in s[1:]) for s in shapes):
            return []
        return [math.prod(s[1:]) for s in shapes]

    def output_activation(self):
        return self._layers[-1].output_activation() if self._layers else None

    _graph = None

    def computation_graph(self):
        """The chain of layer calls recorded when the model was built (``None`` before)."""
        if not self.built or not self.outputs:
            return None
        if self._graph is None or self._graph.outputs != self.outputs or self._graph.inputs != self.inputs:
            self._graph = Graph(self.inputs, self.outputs, self.name)
        return self._graph

    # -- computation -------------------------------------------------------------------
    def forward(self, inputs, training=False):
        if not self._layers:
            raise ValueError(f"Sequential {self.name!r} has no layers")
        if not self.built:
            self.build((None, *np.shape(inputs)[1:]))
        for layer in self._layers:
            if layer._losses or layer._layers:
                layer._clear_losses()
        caches = []
        x = inputs
        for layer in self._layers:
            x, cache = layer.forward(x, training)
            caches.append(cache)
        return x, caches

    def forward_inference(self, inputs):
        """Inference outputs; each layer's intermediates are dropped as soon as the next layer has its output."""
        if not self._layers:
            raise ValueError(f"Sequential {self.name!r} has no layers")
        if not self.built:
            self.build((None, *np.shape(inputs)[1:]))
        x = inputs
        for layer in self._layers:
            x = layer.forward(x, False)[0]  # the cache goes at once: no batch's intermediates pile up
        return x

    def backward(self, grad, cache, input_grad=True, preactivation=False):
        """``(dL/dx, weight grads)``; see :meth:`~layergraph.framework.layers.Layer.backward`.

        ``preactivation``: ``grad`` is taken before the last layer's
        activation. ``input_grad=False``: the caller discards ``dL/dx`` (as
        gradient strategies do), so the first layer is told it may skip
        computing it (Dense and Conv2D do), and ``dL/dx`` may be ``None``.
        """
        layers = self._layers
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
            return grad, list(itertools.chain.from_iterable(per_layer))
        by_var = {}
        for layer, layer_grads in zip(layers, per_layer, strict=True):
            for w, g in zip(layer.trainable_weights, layer_grads, strict=True):
                by_var[id(w)] = by_var[id(w)] + g if id(w) in by_var else g
        return grad, [by_var[id(w)] if id(w) in by_var else np.zeros_like(w.value) for w in self.trainable_weights]

    _distinct_key = None

    def _distinct_weights(self):
        # Keyed by the layers themselves (compared by identity), built in C: this runs every step.
        key = tuple(self._layers)
        if self._distinct_key != key:
            self._distinct_key = key
            plain = not any(layer._layers for layer in self._layers)
            self._distinct = plain and len(set(map(id, key))) == len(key)
        return self._distinct

    def _summary_rows(self):
        shapes = self._shapes_by_layer() if self.built else ["?"] * len(self._layers)
        return [(f"{layer.name} ({type(layer).__name__})", str(shape), f"{layer.count_params():,}")
                for layer, shape in zip(self._layers, shapes, strict=True)]

    # -- config --------------------------------------------------------------------------
    def get_config(self):
        """Name, layers and (when known) the input shape."""
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype,
            "layers": [serialization.serialize(layer) for layer in self._layers],
            "build_input_shape": None if self.input_shape is None else list(self.input_shape[1:]),
        }
        if self._input_dtype is not None and np.dtype(self._input_dtype).kind != "f":
            config["input_dtype"] = self._input_dtype
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model (fresh weights) from :meth:`get_config`."""
        layers = [serialization.deserialize(spec, custom_objects) for spec in config["layers"]]
        shape = config.get("build_input_shape")
        start = [] if shape is None else [Input(shape=tuple(shape), dtype=config.get(
            "input_dtype", layers[0].dtype if layers else "float64"))]
        model = cls(start + layers, name=config.get("name"))
        model.trainable = config.get("trainable", True)
        if config.get("dtype"):
            model.dtype = np.dtype(config["dtype"]).name
        return model
