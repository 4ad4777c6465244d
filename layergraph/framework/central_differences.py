r"""Vectorised central differences: the engine of :class:`~layergraph.framework.gradients.NumericGradient`.

It computes the same numbers as the element-by-element loop: for every
differentiated element :math:`w_i` of every trainable weight, with the
objective :math:`J` (losses, penalties, added losses; see
:class:`~layergraph.framework.objective.Objective`),

.. math::
    g_i = \frac{J(w + \epsilon e_i) - J(w - \epsilon e_i)}{2 \epsilon},

each coordinate perturbed alone, the perturbed element stored exactly as the
loop stores it (``w_i + epsilon`` in the weight's dtype). What changes is
how the two evaluations are organised:

1. One reference forward pass (training mode, as the loop's first pass)
   walks the model's :meth:`~layergraph.framework.model.Model.computation_graph`
   and keeps every layer call's inputs and outputs.
2. The coordinates of one weight are taken in chunks; each chunk becomes
   ``2 * chunk`` perturbed copies of the model (``+epsilon`` and
   ``-epsilon``), evaluated together as
   :class:`~layergraph.framework.perturbation.Copies`: only the calls
   downstream of the weight run, on the rows that differ from the reference
   (:meth:`Layer.forward_perturbed <layergraph.framework.layers.Layer.forward_perturbed>`
   for the call that uses the weight,
   :meth:`Layer.forward_copies <layergraph.framework.layers.Layer.forward_copies>`
   after it). Upstream outputs come from the reference pass.
3. Each copy's objective is the reference objective plus its changes: the
   changed samples' shares of each loss (:meth:`Loss.sample_losses
   <layergraph.framework.losses.Loss.sample_losses>`, or the copy's whole
   :meth:`~layergraph.framework.losses.Loss.value` for a loss that is not a
   sum over samples), the moved weight's penalty
   (:meth:`Regularizer.perturbed <layergraph.framework.regularizers.Regularizer.perturbed>`)
   and the losses added by the recomputed calls. The unchanged samples'
   terms cancel: the result differs from the loop's only by rounding
   (reassociated sums).

A coordinate needs two copies of every output downstream of its weight, for
the whole batch, times :data:`COPY_OVERHEAD` for temporaries (an upper bound:
most copies store far fewer rows). ``memory_budget`` must hold one
coordinate; a chunk holds as many as fit in :data:`CHUNK_BYTES` (or the
budget, when smaller). A model without a graph (a subclassed model whose forward is
code) is one node: every copy runs the whole model, one at a time.

Example
-------
>>> import numpy as np, layergraph as lg
>>> model = lg.Sequential([lg.layers.Dense(3, activation="tanh", input_shape=(2,), seed=0),
...                        lg.layers.Dense(1, activation="sigmoid", seed=1)])
>>> x, y = np.array([[0.0, 1.0], [1.0, 2.0]]), np.array([[0.0], [1.0]])
>>> fast = lg.gradients.NumericGradient().gradients(model, "binary_crossentropy", x, y)[1]
>>> loop = lg.gradients.NumericGradient(vectorized=False).gradients(model, "binary_crossentropy", x, y)[1]
>>> max(float(np.max(np.abs(a - b))) for a, b in zip(fast, loop)) < 1e-10  # a few ulp(J) / (2 eps)
True
"""
from __future__ import annotations

import time

import numpy as np

from .objective import Objective, as_list
from .perturbation import NodeReference, loop

__all__ = ["gradients", "DEFAULT_MEMORY_BUDGET", "COPY_OVERHEAD", "CHUNK_BYTES"]

#: Default ``memory_budget`` of the vectorised strategy, in bytes (256 MiB).
DEFAULT_MEMORY_BUDGET = 256 * 2 ** 20

#: Bytes of work space per byte of a perturbed copy's outputs, in the chunk size.
COPY_OVERHEAD = 3

#: The estimated size a chunk aims at within the budget: larger chunks save little
#: Python overhead and lose the processor's caches (measured: 64 MiB chunks ran the
#: tutorial MLP's step 10-45% faster than 256 MiB ones).
CHUNK_BYTES = 64 * 2 ** 20


class _Node:
    """One layer call of the walk: keys of its input and output values, its mode, its weights."""

    __slots__ = ("layer", "inputs", "outputs", "training", "weight_ids", "reference")

    def __init__(self, layer, inputs, outputs, training):
        self.layer, self.inputs, self.outputs, self.training = layer, inputs, outputs, training
        self.weight_ids = {id(w) for w in layer.weights}
        self.reference = None


class _Output:
    """One model output: its loss, labels, sample weights and reference values."""

    __slots__ = ("key", "loss", "weight", "y", "sample_weight", "value", "shares", "batch")

    def __init__(self, key, loss, weight, y, sample_weight, prediction, value):
        self.key, self.loss, self.weight, self.y, self.sample_weight = key, loss, weight, y, sample_weight
        self.value, self.batch = value, len(prediction)
        self.shares = loss.sample_losses(y, prediction, sample_weight, batch_size=self.batch)

    def change(self, copies):
        """``L(copy) - L(reference)`` for every copy, ``(count,)``."""
        if self.shares is not None:
            sw = None if self.sample_weight is None else self.sample_weight[copies.sample]
            rows = copies.rows()
            # The labels in the rows' memory order (Dense's copies are column-major).
            labels = np.take(self.y.T, copies.sample, axis=-1).T if rows.flags.f_contiguous else self.y[copies.sample]
            shares = self.loss.sample_losses(labels, rows, sw, batch_size=self.batch)
            return np.bincount(copies.copy, weights=shares - self.shares[copies.sample], minlength=copies.count)
        full, present = copies.full()
        change = np.zeros(copies.count)
        change[present] = [self.loss.value(self.y, batch, self.sample_weight) - self.value for batch in full]
        return change


def _plan(model, x):
    """``(input keys, nodes, output keys)`` of the walk: the model's graph, or the model as one node."""
    graph = model.computation_graph()
    if graph is None:
        several = isinstance(x, list)
        inputs = [("input", i) for i in range(len(x) if several else 1)]
        return inputs, [_Node(model, inputs, None, None)], None
    nodes = [_Node(node.layer, [id(t) for t in node.inputs], [id(t) for t in node.outputs], node.training)
             for node in graph.nodes if node.inputs]
    return [id(t) for t in graph.inputs], nodes, [id(t) for t in graph.outputs]


def _reference_pass(model, x, input_keys, nodes, output_keys):
    """Run every node once in training mode (as ``model.forward`` does), keeping each call's arrays."""
    model._clear_losses()
    values = dict(zip(input_keys, x if isinstance(x, list) else [x], strict=True))
    for node in nodes:
        ins = [values[k] for k in node.inputs]
        mode = True if node.training is None else node.training
        layer = node.layer
        before = sum(layer.losses)
        out = layer.forward(ins if len(ins) > 1 else ins[0], mode)[0]
        node.reference = NodeReference(ins if len(ins) > 1 else ins[0], out, mode, sum(layer.losses) - before)
        if node.outputs is None:  # the whole model as one node: its outputs are the model's
            node.outputs = [("output", j) for j in range(len(out))] if isinstance(out, list) else [("output", 0)]
            output_keys = node.outputs
        if len(node.outputs) == 1:
            values[node.outputs[0]] = out
        else:
            values.update(zip(node.outputs, out, strict=True))
    return [values[k] for k in output_keys], output_keys


def _downstream(nodes, variable):
    """The nodes a perturbation of ``variable`` reaches, in order, and the bytes of their outputs per copy."""
    dirty, reached, nbytes = set(), [], 0
    for node in nodes:
        if id(variable) in node.weight_ids or any(k in dirty for k in node.inputs):
            reached.append(node)
            dirty.update(node.outputs)
            out = node.reference.outputs
            nbytes += sum(np.asarray(o).nbytes for o in (out if isinstance(out, list) else [out]))
    return reached, nbytes


def _all_layers(model):
    """``model`` and every layer inside it, each once."""
    out, seen, stack = [], set(), [model]
    while stack:
        layer = stack.pop()
        if id(layer) not in seen:
            seen.add(id(layer))
            out.append(layer)
            stack.extend(layer.layers)
    return out


def gradients(model, objective, x, y, sample_weight, weights, coordinates, grads, epsilon,
              memory_budget=DEFAULT_MEMORY_BUDGET, bar=None, timings=None):
    """Fill ``grads`` with the central differences of ``objective`` at ``coordinates``.

    Parameters
    ----------
    model : Model
    objective : Objective, Loss or str
    x, y, sample_weight
        One batch, as ``model.forward`` and the objective take them.
    weights : list of Variable
        The trainable weights, in ``model.trainable_weights`` order.
    coordinates : list of numpy.ndarray
        Per weight, the flat indices to differentiate.
    grads : list of numpy.ndarray
        Per weight, filled in place at ``coordinates``.
    epsilon : float
    memory_budget : int
        The most bytes the perturbed copies of one chunk may take.
    bar : tqdm progress bar, optional
        Advanced by the number of coordinates of each chunk.
    timings : list, optional
        Receives the seconds spent on each weight.

    Returns
    -------
    value : float
        The objective at the current weights.
    outputs : numpy.ndarray or list
        The reference forward pass's outputs (training mode).

    Raises
    ------
    ValueError
        When ``memory_budget`` cannot hold the two perturbed copies of one
        coordinate of some weight (nothing changed: the non-trainable state
        is restored).
    """
    objective = Objective.get(objective)
    input_keys, nodes, output_keys = _plan(model, x)
    before = [w.value.copy() for w in model.non_trainable_weights]
    preds, output_keys = _reference_pass(model, x, input_keys, nodes, output_keys)
    ys = objective.prepare(as_list(y) if len(objective.losses) > 1 else [y], preds)
    sws = objective._sample_weights(sample_weight)
    value, parts = objective.compute(model, ys, preds, sws)
    reached = [_downstream(nodes, w) for w in weights]
    for w, (downstream, nbytes) in zip(weights, reached, strict=True):
        need = 2 * COPY_OVERHEAD * nbytes
        if need > memory_budget:
            for v, saved in zip(model.non_trainable_weights, before, strict=True):
                v.value[...] = saved
            raise ValueError(
                f"NumericGradient: memory_budget={memory_budget:,} bytes is too small for one perturbed pass: the "
                f"two copies of the {len(downstream)} layer output(s) downstream of weight {w.name!r} need about "
                f"{need:,} bytes for this batch of {len(preds[0])}; raise memory_budget or use smaller batches")
    state = [w.value.copy() for w in model.non_trainable_weights]
    added = {id(layer): list(layer._losses) for layer in _all_layers(model)}
    outputs = [_Output(*spec) for spec in zip(output_keys, objective.losses, objective.loss_weights, ys,
                                              sws or [None] * len(preds), preds, parts, strict=True)]
    penalties = {id(v): reg for v, reg in model.penalties()}
    try:
        for w, g, idx, (downstream, nbytes) in zip(weights, grads, coordinates, reached, strict=True):
            start = time.perf_counter()
            chunk = max(1, min(memory_budget, CHUNK_BYTES) // (2 * COPY_OVERHEAD * max(nbytes, 1)))
            flat, gflat = w.value.reshape(-1), g.reshape(-1)
            reg = penalties.get(id(w))
            for first in range(0, len(idx), chunk):
                part = idx[first:first + chunk]
                # The perturbed elements as the loop stores them: w_i + epsilon in the weight's dtype.
                indices = np.concatenate([part, part])
                values = np.concatenate([flat[part] + epsilon, flat[part] - epsilon])
                change = _changes(downstream, outputs, w, indices, values)
                if reg is not None:
                    change += reg.perturbed(w.value, indices, values) - reg(w.value)
                objective_at = value + change
                gflat[part] = (objective_at[:len(part)] - objective_at[len(part):]) / (2 * epsilon)
                if bar is not None:
                    bar.update(len(part))
            if timings is not None:
                timings.append(time.perf_counter() - start)
    finally:
        for v, saved in zip(model.non_trainable_weights, state, strict=True):
            v.value[...] = saved
        for layer in _all_layers(model):
            layer._losses[:] = added.get(id(layer), [])
    return value, preds if len(preds) > 1 else preds[0]


def _changes(downstream, outputs, variable, indices, values):
    """``J(copy) - J(reference)`` for each perturbed copy (losses and added losses; no penalty)."""
    count = len(indices)
    state, change = {}, np.zeros(count)
    for node in downstream:
        layer, ref = node.layer, node.reference
        ins = [state.get(k) for k in node.inputs]
        ins = [c if c is not None and len(c) else None for c in ins]  # no changed row: the reference
        changed = any(c is not None for c in ins)
        arg = ins if len(ins) > 1 else ins[0]
        if id(variable) in node.weight_ids:
            out = (loop(layer, ref, arg, weight=(variable, indices, values)) if changed
                   else layer.forward_perturbed(ref, variable, indices, values))
        elif changed:
            out = layer.forward_copies(ref, arg)
        else:
            continue
        outs = out if len(node.outputs) > 1 else [out]
        if outs[0].losses is not None:
            change += outs[0].losses - ref.added
        state.update(zip(node.outputs, outs, strict=True))
    for output in outputs:
        copies = state.get(output.key)
        if copies is not None and len(copies):
            delta = output.change(copies)
            change += delta if output.weight == 1.0 else output.weight * delta
    return change
