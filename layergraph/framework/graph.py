"""The computation graph of a functional model: :class:`Graph`.

Calling layers on symbolic tensors records :class:`~layergraph.framework.symbolic.Node`
objects; a :class:`Graph` collects the nodes between given input and output
tensors, orders them, and runs them forward (caching what each layer's
backward pass needs) and backward (adding up the gradients of tensors used
twice). It knows nothing of training: the functional
:class:`~layergraph.Model` wraps it, and gradient strategies reach it only
through the model's ``forward``/``backward``.

Example
-------
>>> import numpy as np, layergraph as lg
>>> x = lg.Input(shape=(2,))
>>> y = lg.layers.Dense(1, kernel_initializer="ones")(x)
>>> graph = Graph([x], [y])
>>> outputs, caches = graph.forward([np.array([[1.0, 2.0]])], training=False)
>>> outputs[0].tolist()
[[3.0]]
"""
from __future__ import annotations

import heapq

from .symbolic import SymbolicTensor

__all__ = ["Graph"]


def _accumulate(store: dict, key, value):
    """Add ``value`` into ``store[key]`` without aliasing the first array stored."""
    if key in store:
        store[key] = store[key] + value
    else:
        store[key] = value


class Graph:
    """The nodes between ``inputs`` and ``outputs``, in execution order.

    Parameters
    ----------
    inputs : list of SymbolicTensor
        Made by :func:`~layergraph.Input`.
    outputs : list of SymbolicTensor
        Results of calling layers on symbolic tensors.
    name : str
        The owner's name, for messages.

    Attributes
    ----------
    nodes : list of Node
        Topological order; among nodes ready at the same time, the one whose
        layer was created first (then the earlier call) runs first.
    layers : list of Layer
        Each layer once, in the order of its first node (input layers included).

    Notes
    -----
    When a tensor feeds several layers (fan-out) or a layer is called several
    times (weight sharing), the backward pass adds up the gradients.
    """

    def __init__(self, inputs, outputs, name="model"):
        self.name = name
        self.inputs, self.outputs = list(inputs), list(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, SymbolicTensor):
                raise TypeError(f"Model {name!r}: inputs and outputs must be symbolic tensors (from Input or layer "
                                f"calls), got {type(t).__name__}")
        for t in self.inputs:
            if t.node.inputs:
                raise ValueError(f"Model {name!r}: input {t} must come from layergraph.Input()")
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise ValueError(f"Model {name!r}: the same input tensor is listed twice")
        self.nodes = self._topological_nodes()
        self.layers = []
        for node in self.nodes:
            if all(node.layer is not known for known in self.layers):
                self.layers.append(node.layer)
        self._input_ids = {id(t) for t in self.inputs}
        # Per node, prepared once: is it an input, which tensor ids it reads and writes.
        self._plan = [(node, not node.inputs, [id(t) for t in node.inputs], [id(t) for t in node.outputs])
                      for node in self.nodes]
        consumers = {}
        for node in self.nodes:
            for t in node.inputs:
                consumers[id(t)] = consumers.get(id(t), 0) + 1
        self._consumers = consumers

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
                raise ValueError(f"Model {self.name!r}: an output depends on input {node.outputs[0]} "
                                 f"(layer {node.layer.name!r}) that is not in the model's inputs")
            stack.extend(t.node for t in node.inputs)
        # Kahn's algorithm; among ready nodes the earliest-created layer first.
        children = {k: [] for k in needed}
        indegree = {k: 0 for k in needed}
        for k, node in needed.items():
            if k in input_nodes:
                continue
            for t in node.inputs:
                children[id(t.node)].append(node)
                indegree[k] += 1
        ready = [(n.layer._creation_order, n.order, id(n), n) for k, n in needed.items() if indegree[k] == 0]
        heapq.heapify(ready)
        ordered = []
        while ready:
            *_, node = heapq.heappop(ready)
            ordered.append(node)
            for child in children[id(node)]:
                indegree[id(child)] -= 1
                if indegree[id(child)] == 0:
                    heapq.heappush(ready, (child.layer._creation_order, child.order, id(child), child))
        return ordered

    # -- shapes --------------------------------------------------------------------
    def output_shape_of(self, layer):
        """The output shape of ``layer``'s first node in this graph (a list for several outputs)."""
        for node in self.nodes:
            if node.layer is layer:
                shapes = [t.shape for t in node.outputs]
                return shapes[0] if len(shapes) == 1 else shapes
        return None

    def node_output_shapes(self):
        """Every non-input node's output shapes, flattened."""
        return [t.shape for node in self.nodes if node.inputs for t in node.outputs]

    def fusable_outputs(self):
        """For each output: the activation of its layer when ``backward_preactivation``
        may start there (the output is the node's only output and feeds no
        other node), else ``None``."""
        out = []
        for t in self.outputs:
            node = t.node
            ok = node.inputs and len(node.outputs) == 1 and not self._consumers.get(id(t))
            out.append(node.layer.output_activation() if ok else None)
        return out

    # -- computation ---------------------------------------------------------------
    def forward(self, arrays, training=False):
        """Run every node once.

        Parameters
        ----------
        arrays : list of numpy.ndarray
            One per input, in order.
        training : bool
            Passed to each layer (unless its node fixed it).

        Returns
        -------
        outputs : list of numpy.ndarray
            One per output tensor.
        caches : list
            One entry per node, for :meth:`backward`.
        """
        values = {}
        for t, a in zip(self.inputs, arrays, strict=True):
            values[id(t)] = a
        caches = []
        for node, is_input, in_ids, out_ids in self._plan:
            if is_input:
                caches.append(None)
                continue
            ins = [values[i] for i in in_ids]
            mode = training if node.training is None else node.training
            out, cache = node.layer.forward(ins if len(ins) > 1 else ins[0], mode)
            if len(out_ids) == 1:
                values[out_ids[0]] = out
            else:
                for i, o in zip(out_ids, out, strict=True):
                    values[i] = o
            caches.append(cache)
        return [values[id(t)] for t in self.outputs], caches

    def backward(self, grads, caches, preactivation=None, input_grad=True):
        """Backpropagate ``grads`` (one per output, ``None`` for an unused output).

        Parameters
        ----------
        grads : list of numpy.ndarray or None
        caches : list
            From :meth:`forward`.
        preactivation : list of bool, optional
            Per output: its gradient is ``dL/dz`` before the producing layer's
            activation (only where :meth:`fusable_outputs` allows it).
        input_grad : bool
            ``False``: nobody needs ``dL/d(inputs)``; layers that read only
            model inputs are told so and ``None`` is returned for them.

        Returns
        -------
        input_grads : list of numpy.ndarray or None
        by_var : dict
            ``id(variable) -> gradient`` for every trainable variable reached.
        """
        grads_at = {}
        fused = set()
        for i, (t, g) in enumerate(zip(self.outputs, grads, strict=True)):
            if g is None:
                continue
            _accumulate(grads_at, id(t), g)
            if preactivation and preactivation[i]:
                fused.add(id(t.node))
        by_var = {}
        input_ids = self._input_ids
        for (node, is_input, in_ids, out_ids), cache in zip(reversed(self._plan), reversed(caches), strict=True):
            if is_input:
                continue
            if len(out_ids) == 1:
                g = grads_at.pop(out_ids[0], None)
                if g is None:  # this branch does not reach the outputs
                    continue
            else:
                # A layer with several outputs gets one gradient per output,
                # None for an output that does not reach the loss (zeros).
                g = [grads_at.pop(i, None) for i in out_ids]
                if all(p is None for p in g):
                    continue
            wanted = input_grad or not all(i in input_ids for i in in_ids)
            layer = node.layer
            if id(node) in fused:
                g_in, layer_grads = layer.backward_preactivation(g, cache, input_grad=wanted)
            else:
                g_in, layer_grads = layer.backward(g, cache, input_grad=wanted)
            for w, wg in zip(layer.trainable_weights, layer_grads, strict=True):
                _accumulate(by_var, id(w), wg)
            if not wanted:
                continue
            g_in = g_in if len(in_ids) > 1 else [g_in]
            for i, gi in zip(in_ids, g_in, strict=True):
                if gi is not None:
                    _accumulate(grads_at, i, gi)
        if not input_grad:
            return None, by_var
        return [grads_at.get(id(t)) for t in self.inputs], by_var
