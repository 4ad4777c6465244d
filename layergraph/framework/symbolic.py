"""Symbolic tensors and graph nodes for the functional API.

Calling a layer on a :class:`SymbolicTensor` records a :class:`Node` instead of
computing anything; :class:`~layergraph.framework.graph.Model` later walks the
nodes from its outputs back to its inputs.
"""
from __future__ import annotations

from .naming import creation_index

__all__ = ["SymbolicTensor", "Node", "is_symbolic"]


class SymbolicTensor:
    """A placeholder for an array flowing through the graph.

    Attributes
    ----------
    shape : tuple
        ``(None, *feature_shape)``: the batch size is unknown.
    node : Node
        The node that produces it.
    index : int
        Which output of that node it is.
    """

    def __init__(self, shape, node=None, index=0, dtype="float64"):
        self.shape = tuple(shape)
        self.node = node
        self.index = index
        self.dtype = dtype

    def __repr__(self):
        producer = self.node.layer.name if self.node is not None else "?"
        return f"<SymbolicTensor shape={self.shape} from {producer}>"


class Node:
    """One call of a layer on symbolic inputs.

    Parameters
    ----------
    layer : Layer
        The layer called. A layer called twice has two nodes (weights shared).
    inputs : list of SymbolicTensor
    output_shapes : list of tuple
        One per output.
    training : bool, optional
        Fixed training mode of this call (``layer(x, training=False)``);
        ``None`` follows the model's mode.
    """

    def __init__(self, layer, inputs, output_shapes, training=None):
        self.layer = layer
        self.inputs = list(inputs)
        self.training = training
        self.order = creation_index()
        self.outputs = [SymbolicTensor(s, self, i, layer.dtype) for i, s in enumerate(output_shapes)]

    @property
    def parents(self):
        return [t.node for t in self.inputs]

    def __repr__(self):
        return f"<Node {self.layer.name} #{self.order}>"


def is_symbolic(x) -> bool:
    """True for a symbolic tensor or a non-empty list/tuple of them."""
    if isinstance(x, SymbolicTensor):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(t, SymbolicTensor) for t in x)
