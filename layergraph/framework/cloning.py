"""``clone_model``: the same architecture with new layers and fresh weights (Keras 3's ``keras.models.clone_model``).

Each layer is recreated by ``clone_function(layer)``, by default
``type(layer).from_config(layer.get_config())``: same configuration, new
weights drawn by the initialisers (identical ones only where the layer was
given a ``seed``). A layer used several times (shared) is cloned once and
shared the same way in the clone. The clone is not compiled.

Example
-------
>>> import numpy as np, layergraph as lg
>>> x = lg.Input(shape=(3,), name="x")
>>> shared = lg.layers.Dense(2, name="shared")
>>> model = lg.Model(x, lg.layers.Add()([shared(x), shared(x)]))
>>> clone = lg.models.clone_model(model)
>>> [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
True
>>> len(clone.weights), clone.layers[1] is model.layers[1]
(2, False)
"""
from __future__ import annotations

from .functional import Functional
from .layers.base import Layer
from .layers.core import Input
from .model import Model
from .sequential import Sequential
from .symbolic import SymbolicTensor

__all__ = ["clone_model", "clone_layer"]


def clone_layer(layer):
    """A new layer of the same class and configuration (fresh weights): the default ``clone_function``."""
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model of the same architecture, with new layers and freshly initialised weights.

    Parameters
    ----------
    model : Sequential or functional Model
        A subclassed model is rebuilt from its ``get_config()`` (and takes
        neither ``input_tensors`` nor ``clone_function``), as in Keras.
    input_tensors : SymbolicTensor, list or dict of them, optional
        Inputs (from :func:`~layergraph.Input`) for the clone instead of new
        ones: one per model input.
    clone_function : callable, optional
        ``clone_function(layer) -> Layer`` for every layer (input layers
        excepted); default :func:`clone_layer`. Returning the layer itself
        shares it (and its weights) with the original.

    Returns
    -------
    Model or Sequential

    Raises
    ------
    ValueError
        ``input_tensors`` that do not match the model's inputs, or options
        given for a subclassed model.
    TypeError
        A ``clone_function`` that does not return a layer.
    """
    clone_function = clone_function or clone_layer
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone_function)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone_function)
    if not isinstance(model, Model):
        raise TypeError(f"clone_model expects a Model or Sequential, got {type(model).__name__}: {model!r:.80}")
    if input_tensors is not None or clone_function is not clone_layer:
        raise ValueError(f"clone_model: model {model.name!r} is a subclassed model ({type(model).__name__}); it is "
                         f"rebuilt from get_config(), without input_tensors or clone_function")
    return type(model).from_config(model.get_config())


def _cloned(layer, clone_function, memo):
    """``clone_function(layer)``, once per layer (a shared layer stays shared)."""
    if id(layer) not in memo:
        new = clone_function(layer)
        if not isinstance(new, Layer):
            raise TypeError(f"clone_function must return a layer, got {type(new).__name__} for layer {layer.name!r}")
        memo[id(layer)] = new
    return memo[id(layer)]


def _input_list(model, input_tensors):
    """The clone's input tensors: new ones like the model's, or ``input_tensors`` checked against them."""
    names = model.input_names
    if input_tensors is None:
        return [Input(**t.node.layer.get_config()) for t in model.inputs]
    if isinstance(input_tensors, dict):
        missing = [name for name in names if name not in input_tensors]
        if missing or len(input_tensors) != len(names):
            raise ValueError(f"clone_model: input_tensors must have one entry for each of the model's inputs "
                             f"{names}, got {sorted(input_tensors)}")
        tensors = [input_tensors[name] for name in names]
    else:
        tensors = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
    if len(tensors) != len(names):
        raise ValueError(f"clone_model: model {model.name!r} has {len(names)} input(s) {names}, got "
                         f"{len(tensors)} input tensor(s)")
    for name, original, tensor in zip(names, model.inputs, tensors, strict=True):
        if not isinstance(tensor, SymbolicTensor):
            raise ValueError(f"clone_model: input_tensors must be symbolic tensors from layergraph.Input(), got "
                             f"{type(tensor).__name__} for input {name!r}")
        if len(tensor.shape) != len(original.shape) or any(
                a is not None and b is not None and a != b
                for a, b in zip(tensor.shape[1:], original.shape[1:], strict=True)):
            raise ValueError(f"clone_model: the tensor for input {name!r} has shape {tensor.shape}, the model's "
                             f"input has {original.shape}")
    return tensors


def _clone_functional(model, input_tensors, clone_function):
    new_inputs = _input_list(model, input_tensors)
    tensors = {id(old): new for old, new in zip(model.inputs, new_inputs, strict=True)}
    memo = {}
    for node in model._graph.nodes:
        if not node.inputs:  # an input layer: its tensor was mapped above
            continue
        layer = _cloned(node.layer, clone_function, memo)
        inputs = [tensors[id(t)] for t in node.inputs]
        out = layer(inputs if len(inputs) > 1 else inputs[0], training=node.training)
        for old, new in zip(node.outputs, out if isinstance(out, list) else [out], strict=True):
            tensors[id(old)] = new
    outputs = [tensors[id(t)] for t in model.outputs]
    inputs = dict(zip(model._input_keys, new_inputs, strict=True)) if model._input_keys else \
        new_inputs if model._multi_input else new_inputs[0]
    return Model(inputs, outputs if model._multi_output else outputs[0], name=model.name)


def _clone_sequential(model, input_tensors, clone_function):
    memo = {}
    layers = [_cloned(layer, clone_function, memo) for layer in model.layers]
    start = []
    if input_tensors is not None:
        tensors = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(tensors) != 1 or not isinstance(tensors[0], SymbolicTensor) or tensors[0].node.inputs:
            raise ValueError(f"clone_model: a Sequential model takes one input tensor from layergraph.Input(), got "
                             f"{input_tensors!r:.100}")
        start = tensors
    elif model.inputs:
        start = [Input(**model.inputs[0].node.layer.get_config())]
    clone = Sequential(start + layers, name=model.name)
    clone.trainable = model.trainable
    return clone
