"""Model graphs as Graphviz DOT: :func:`model_to_dot` (no dependency) and :func:`plot_model` (pydot + Graphviz).

Keras 3's ``keras.utils.model_to_dot`` / ``plot_model``: one node per layer
(a shared layer once, with an edge per call), an edge from each layer to the
layers it feeds. :func:`model_to_dot` builds the DOT text itself and returns
a :class:`DotGraph` (``to_string()`` as pydot's); :func:`plot_model` renders
it with pydot and Graphviz, which come with ``pip install
"layergraph[plot_model]"`` plus Graphviz's ``dot`` program. A ``.dot``
target is written directly, without either.

Example
-------
>>> import layergraph as lg
>>> x = lg.Input(shape=(3,), name="x")
>>> model = lg.Model(x, lg.layers.Dense(2, name="out")(x), name="tiny")
>>> dot = model_to_dot(model, show_shapes=True)
>>> [label for _, label in dot.nodes]
['x (InputLayer)\\nOutput shape: (None, 3)', 'out (Dense)\\nInput shape: (None, 3)\\nOutput shape: (None, 2)']
>>> len(dot.edges)
1
"""
from __future__ import annotations

import os

from .functional import Functional
from .model import Model
from .sequential import Sequential

__all__ = ["DotGraph", "model_to_dot", "plot_model", "PLOT_EXTRA"]

#: The optional dependency group that brings pydot (Graphviz itself is a system package).
PLOT_EXTRA = "plot_model"


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class DotGraph:
    """A directed graph in Graphviz's DOT language.

    Attributes
    ----------
    nodes : list of (str, str)
        ``(node id, label)`` of every node, clusters included.
    edges : list of (str, str)
        ``(source id, target id)``.
    """

    def __init__(self, name, attributes):
        self.name, self.attributes = name, dict(attributes)
        self.nodes, self.edges = [], []
        self._body = []  # DOT statements, clusters nested in place

    def add_node(self, node_id, label, body=None):
        (self._body if body is None else body).append(f"{_quote(node_id)} [label={_quote(label)}];")
        self.nodes.append((node_id, label))

    def add_edge(self, source, target):
        if (source, target) not in self.edges:
            self.edges.append((source, target))
            self._body.append(f"{_quote(source)} -> {_quote(target)};")

    def to_string(self):
        """The DOT source."""
        head = [f"digraph {_quote(self.name)} {{"] + [f"{key}={_quote(value)};" for key, value in
                                                    self.attributes.items()]
        head.append('node [shape="record"];')
        return "\n".join(head + ["  " + line for line in self._body] + ["}"]) + "\n"

    __str__ = to_string


def _shape_text(shapes):
    shapes = [tuple(s) for s in shapes]
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _label(layer, inputs, outputs, options):
    name = f"{layer.name} ({type(layer).__name__})" if options["show_layer_names"] else type(layer).__name__
    lines = [name]
    if options["show_shapes"]:
        if inputs:
            lines.append(f"Input shape: {_shape_text(inputs)}")
        if outputs:
            lines.append(f"Output shape: {_shape_text(outputs)}")
    if options["show_dtype"]:
        lines.append(f"dtype: {layer.dtype}")
    if options["show_layer_activations"]:
        activation = layer.output_activation()
        if activation is not None:
            lines.append(f"Activation: {activation.name}")
    if options["show_trainable"]:
        lines.append(f"Trainable: {'yes' if layer.trainable else 'no'}")
    return "\n".join(lines)


def _calls(model):
    """``[(layer, input layers, input shapes, output shapes)]`` per call of a layer, in execution order."""
    if isinstance(model, Functional):
        return [(node.layer, [t.node.layer for t in node.inputs], [t.shape for t in node.inputs],
                 [t.shape for t in node.outputs]) for node in model._graph.nodes]
    if isinstance(model, Sequential):
        calls, previous = [], []
        if model.inputs:
            source = model.inputs[0].node.layer
            calls.append((source, [], [], [source.shape]))
            previous = [source]
        for layer in model.layers:
            built = layer.input_shape is not None
            calls.append((layer, previous, [layer.input_shape] if built else [],
                          [layer.output_shape] if built else []))
            previous = [layer]
        return calls
    return [(layer, [], [], []) for layer in model.layers]


def _draw(dot, model, options, prefix, body):
    """Add ``model``'s layers to ``dot``; returns ``(entry node ids, exit node id)`` for a nested model."""
    ids = {}
    calls = _calls(model)
    for layer, _, inputs, outputs in calls:
        if id(layer) in ids:
            continue  # a shared layer: one node, one edge per call
        node_id = f"{prefix}{id(layer)}"
        nested = isinstance(layer, (Functional, Sequential)) and options["expand_nested"]
        if nested:
            cluster = [f"subgraph {_quote('cluster_' + node_id)} {{", f"  label={_quote(layer.name)};"]
            inner = []
            entries, exit_id = _draw(dot, layer, options, node_id + "_", inner)
            cluster += ["  " + line for line in inner] + ["}"]
            body.extend(cluster)
            ids[id(layer)] = (entries, exit_id)
        else:
            dot.add_node(node_id, _label(layer, inputs, outputs, options), body)
            ids[id(layer)] = ([node_id], node_id)
    for layer, sources, _, _ in calls:
        for source in sources:
            for target in ids[id(layer)][0]:
                dot.add_edge(ids[id(source)][1], target)
    first, last = calls[0][0] if calls else None, calls[-1][0] if calls else None
    return (ids[id(first)][0] if first is not None else []), (ids[id(last)][1] if last is not None else None)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False,
                 **kwargs):
    """The graph of ``model`` as a :class:`DotGraph` (Keras 3's arguments; no pydot needed).

    Parameters
    ----------
    model : Model or Sequential
    show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable : bool
        What each node's label shows besides the layer's class.
    rankdir : {"TB", "LR"}
        Top to bottom or left to right.
    expand_nested : bool
        Draw nested models as clusters of their layers.
    dpi : int
    subgraph : bool
        Accepted for Keras compatibility.

    Raises
    ------
    ValueError
        An unbuilt model, an invalid ``rankdir``, or an unknown keyword.
    """
    kwargs.pop("splines", None)  # Graphviz edge routing in Keras; edges here are plain
    if kwargs:
        raise ValueError(f"model_to_dot: unrecognized keyword arguments {sorted(kwargs)}")
    if not isinstance(model, Model):
        raise TypeError(f"model_to_dot expects a Model or Sequential, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"model_to_dot: model {model.name!r} is not built yet; build it or call it on data first")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"model_to_dot: rankdir must be 'TB' or 'LR', got {rankdir!r}")
    options = {"show_shapes": show_shapes, "show_dtype": show_dtype, "show_layer_names": show_layer_names,
               "show_layer_activations": show_layer_activations, "show_trainable": show_trainable,
               "expand_nested": expand_nested}
    dot = DotGraph(model.name, {"rankdir": rankdir, "dpi": dpi, "concentrate": "true"})
    _draw(dot, model, options, "", dot._body)
    return dot


def _pydot():
    """pydot, or ``ImportError`` naming the extra that installs it."""
    try:
        import pydot  # optional dependency, imported on use
    except ImportError:
        raise ImportError(f"plot_model needs pydot and Graphviz: pip install \"layergraph[{PLOT_EXTRA}]\" and "
                          f"install Graphviz (https://graphviz.org/download/); model_to_dot(model).to_string() "
                          f"gives the DOT source without them") from None
    return pydot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               **kwargs):
    """Draw ``model`` into ``to_file`` (the format from its extension, default PNG), as Keras' ``plot_model``.

    Arguments as :func:`model_to_dot` (``show_layer_names`` defaults to
    ``False``, as in Keras 3). A ``.dot`` file gets the DOT source without
    pydot or Graphviz.

    Raises
    ------
    ImportError
        pydot or Graphviz is missing (the message names the extra,
        ``layergraph[plot_model]``, and Graphviz's download page).
    """
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable, **kwargs)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    if extension == "dot":
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(dot.to_string())
        return None
    pydot = _pydot()
    graphs = pydot.graph_from_dot_data(dot.to_string())
    try:
        graphs[0].write(to_file, format=extension)
    except (OSError, AssertionError) as err:  # pydot reports a missing `dot` program as an OSError
        raise ImportError(f"plot_model needs Graphviz's dot program (https://graphviz.org/download/) besides pydot "
                          f"(pip install \"layergraph[{PLOT_EXTRA}]\"): {err}") from None
    return None
