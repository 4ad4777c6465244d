"""Functional models: ``Model(inputs, outputs)`` over a :class:`~layergraph.framework.graph.Graph`.

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

import math

import numpy as np

from .graph import Graph
from .layers import serialization
from .layers.core import Input
from .model import Model

__all__ = ["Functional"]


class Functional(Model, functional=True):
    """A functional model: a DAG of layers from ``inputs`` to ``outputs`` (what ``Model(inputs, outputs)`` makes).

    Parameters
    ----------
    inputs : SymbolicTensor, list of them, or dict of name -> SymbolicTensor
        Made by :func:`~layergraph.Input`.
    outputs : SymbolicTensor or list of SymbolicTensor
        Results of calling layers (or models) on symbolic tensors.
    name : str, optional
        The model's name; default ``functional``, ``functional_1``...
    trainable : bool, default True
        When false, ``fit`` updates none of the layers' weights.
    dtype : str, optional
        Cast every layer to this dtype.

    Notes
    -----
    Layers run in topological order, ties broken by layer creation order, and
    :meth:`get_weights` follows the same order. When a tensor feeds several
    layers (fan-out) or a layer is called several times (weight sharing), the
    backward pass adds up the gradients. ``layers`` includes the input layers,
    as in Keras.

    Example
    -------
    Two inputs, a shared layer and two outputs:

    >>> import numpy as np, layergraph as lg
    >>> a, b = lg.Input(shape=(3,), name="a"), lg.Input(shape=(3,), name="b")
    >>> shared = lg.layers.Dense(2, kernel_initializer="ones")
    >>> merged = lg.layers.add([shared(a), shared(b)])
    >>> model = lg.Model([a, b], [merged, lg.layers.Dense(1)(merged)])
    >>> type(model).__name__, len(model.trainable_weights)
    ('Functional', 4)
    >>> [out.shape for out in model.predict({"a": np.ones((5, 3)), "b": np.ones((5, 3))})]
    [(5, 2), (5, 1)]
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        if isinstance(outputs, dict):
            raise TypeError(f"Model {self.name!r}: outputs must be a symbolic tensor or a list of them "
                            f"(dict outputs are not supported)")
        self._input_keys = list(inputs) if isinstance(inputs, dict) else None
        self._multi_input = isinstance(inputs, (list, tuple, dict))
        self._multi_output = isinstance(outputs, (list, tuple))
        in_list = list(inputs.values()) if isinstance(inputs, dict) else \
            list(inputs) if self._multi_input else [inputs]
        out_list = list(outputs) if self._multi_output else [outputs]
        self._graph = Graph(in_list, out_list, self.name)
        self.inputs, self.outputs = self._graph.inputs, self._graph.outputs
        self._layers = list(self._graph.layers)
        dtypes = {layer.dtype for layer in self._layers if layer.weights}
        if dtype:
            self._set_dtype(dtype)
        else:
            self.dtype = dtypes.pop() if len(dtypes) == 1 else "float64"
        self._num_inputs = len(in_list)
        self.input_shape = [t.shape for t in self.inputs] if self._multi_input else self.inputs[0].shape
        self.built = True

    # -- structure -------------------------------------------------------------------
    @property
    def input_names(self):
        return self._input_keys or [t.node.layer.name for t in self.inputs]

    @property
    def output_names(self):
        names, seen = [], {}
        for t in self.outputs:
            name = t.node.layer.name
            seen[name] = seen.get(name, 0) + 1
            names.append(name if seen[name] == 1 else f"{name}_{seen[name] - 1}")
        return names

    @property
    def input_dtypes(self):
        return [t.node.layer.dtype if np.dtype(t.node.layer.dtype).kind != "f" else self.dtype for t in self.inputs]

    def arrays_for_forward(self, arrays):
        return list(arrays) if self._multi_input else arrays[0]

    def build_from_inputs(self, arrays):
        """A functional model is built when it is made."""

    def layer_output_sizes(self):
        shapes = self._graph.node_output_shapes()
        if any(d is None for shape in shapes for d in shape[1:]):
            return []
        return [math.prod(shape[1:]) for shape in shapes]

    def computation_graph(self):
        return self._graph

    def output_activation(self):
        activations = self._graph.fusable_outputs()
        return activations if self._multi_output else activations[0]

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        return shapes if self._multi_output else shapes[0]

    # -- computation -------------------------------------------------------------------
    def forward(self, inputs, training=False):
        arrays = list(inputs) if self._multi_input else [inputs]
        if len(arrays) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} inputs, got {len(arrays)}")
        for t, a in zip(self.inputs, arrays, strict=True):
            expected = t.shape[1:]
            got = np.shape(a)[1:]
            if len(got) != len(expected) or any(e is not None and e != g for e, g in zip(expected, got, strict=True)):
                raise ValueError(f"Model {self.name!r}: input {t.node.layer.name!r} expects shape {t.shape}, "
                                 f"got {tuple(np.shape(a))}")
        self._clear_losses()
        outputs, caches = self._graph.forward(arrays, training)
        return (outputs if self._multi_output else outputs[0]), caches

    def backward(self, grad, cache, input_grad=True, preactivation=False):
        """``(dL/d(inputs), weight grads)`` aligned with :attr:`trainable_weights`.

        ``preactivation``: the gradient of an output is taken before its
        layer's activation (a bool, or one per output). ``input_grad=False``:
        ``dL/d(inputs)`` is not needed and is ``None``.
        """
        grads = list(grad) if self._multi_output else [grad]
        flags = list(preactivation) if isinstance(preactivation, (list, tuple)) else [preactivation] * len(grads)
        input_grads, by_var = self._graph.backward(grads, cache, flags, input_grad)
        weight_grads = [by_var[id(w)] if id(w) in by_var else np.zeros_like(w.value) for w in self.trainable_weights]
        if input_grads is None:
            return None, weight_grads
        input_grads = [np.zeros(0) if g is None else g for g in input_grads]
        return (input_grads if self._multi_input else input_grads[0]), weight_grads

    def _summary_rows(self):
        rows = []
        graph = self._graph
        for layer in self._layers:
            shape = graph.output_shape_of(layer)
            nodes = [node for node in graph.nodes if node.layer is layer]
            links = sorted({f"{t.node.layer.name}[{i}][{t.index}]" for node in nodes for t in node.inputs
                            for i in [_node_index(t.node)]})
            rows.append((f"{layer.name} ({type(layer).__name__})", str(shape), f"{layer.count_params():,}",
                         ", ".join(links) if links else "-"))
        return rows

    # -- config --------------------------------------------------------------------------
    def get_config(self):
        """Layers in creation order, each with the calls that connect it (see :mod:`~layergraph.framework.saving`)."""
        layers = sorted(self._layers, key=lambda layer: layer._creation_order)
        layer_index = {id(layer): i for i, layer in enumerate(layers)}
        calls, node_index = {}, {}
        for node in sorted(self._graph.nodes, key=lambda n: n.order):
            own = calls.setdefault(id(node.layer), [])
            node_index[id(node)] = len(own)
            own.append(node)

        def ref(tensor):
            return [layer_index[id(tensor.node.layer)], node_index[id(tensor.node)], tensor.index]

        specs = []
        for layer in layers:
            spec = serialization.serialize(layer)
            nodes = calls.get(id(layer), []) if not _is_input_node_layer(layer, calls) else []
            spec["inbound_nodes"] = [_node_entry([ref(t) for t in node.inputs], node.training) for node in nodes]
            specs.append(spec)
        inputs, outputs = [ref(t) for t in self.inputs], [ref(t) for t in self.outputs]
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, "layers": specs,
                  "input_layers": inputs if self._multi_input else inputs[0],
                  "output_layers": outputs if self._multi_output else outputs[0]}
        if self._input_keys:
            config["input_keys"] = self._input_keys
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model (fresh weights) from :meth:`get_config`: create the layers in order, then replay their calls."""
        specs = config["layers"]
        layers, tensors, calls = [], {}, []
        for i, spec in enumerate(specs):
            if isinstance(spec, dict) and spec.get("class_name") == "InputLayer":
                tensor = Input(**spec["config"])
                tensors[(i, 0, 0)] = tensor
                layers.append(tensor.node.layer)
                calls.append([])
            else:
                layers.append(serialization.deserialize(spec, custom_objects))
                calls.append([_read_node_entry(entry) for entry in spec.get("inbound_nodes", [])])
        # A layer's calls run in their saved order; each runs once all its inputs exist.
        done = [0] * len(layers)
        while any(done[i] < len(calls[i]) for i in range(len(layers))):
            progressed = False
            for i, layer in enumerate(layers):
                while done[i] < len(calls[i]) and all(r in tensors for r in calls[i][done[i]][0]):
                    refs, training = calls[i][done[i]]
                    inputs = [tensors[r] for r in refs]
                    out = layer(inputs if len(inputs) > 1 else inputs[0], training=training)
                    for k, t in enumerate(out if isinstance(out, list) else [out]):
                        tensors[(i, done[i], k)] = t
                    done[i] += 1
                    progressed = True
            if not progressed:
                stuck = [specs[i]["config"].get("name", i) for i in range(len(layers)) if done[i] < len(calls[i])]
                raise ValueError(f"Model config {config.get('name')!r}: the calls of layers {stuck} refer to tensors "
                                 "that no layer produces")

        def lookup(refs):
            if refs and isinstance(refs[0], list):
                return [tensors[tuple(r)] for r in refs]
            return tensors[tuple(refs)]

        try:
            inputs, outputs = lookup(config["input_layers"]), lookup(config["output_layers"])
        except KeyError as err:
            raise ValueError(f"Model config {config.get('name')!r}: input or output {list(err.args[0])} "
                             "is not produced by any layer") from None
        if config.get("input_keys"):
            inputs = dict(zip(config["input_keys"], inputs, strict=True))
        model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
        model.trainable = config.get("trainable", True)
        if config.get("dtype"):
            model.dtype = np.dtype(config["dtype"]).name
        return model


def _node_index(node):
    return next(i for i, n in enumerate(node.layer._inbound_nodes) if n is node) if node.layer._inbound_nodes else 0


def _is_input_node_layer(layer, calls):
    nodes = calls.get(id(layer), [])
    return bool(nodes) and all(not node.inputs for node in nodes)


def _node_entry(refs, training):
    return refs if training is None else {"args": refs, "training": bool(training)}


def _read_node_entry(entry):
    if isinstance(entry, dict):
        return [tuple(r) for r in entry["args"]], entry.get("training")
    return [tuple(r) for r in entry], None

