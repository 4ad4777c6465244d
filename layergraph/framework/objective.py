r"""The objective: what training minimises, computed in one place.

.. math::
    J = \sum_o w_o\, L_o(y_o, \hat y_o) + \sum_{(v, r)} r(v) + \sum \text{added losses}

with one :class:`~layergraph.framework.losses.Loss` :math:`L_o` and weight
:math:`w_o` per model output (``compile(loss=..., loss_weights=...)``), the
weight penalties of :meth:`Layer.penalties <layergraph.framework.layers.Layer.penalties>`
and the values layers passed to ``add_loss`` during the forward pass. Every
path uses it: the analytic and numeric gradient strategies, ``evaluate``
and the full-batch scipy trainer (as Keras' ``Trainer.compute_loss`` adds
``self.losses`` to the compiled loss).

Example
-------
>>> import numpy as np, layergraph as lg
>>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,), kernel_initializer="ones",
...                                        kernel_regularizer=lg.regularizers.l2(0.5))])
>>> objective = Objective.get("mse")
>>> x, y = np.array([[1.0, 1.0]]), np.array([[0.0]])
>>> objective.value(model, x, y)   # (2 - 0)^2 + 0.5 * (1 + 1)
5.0
"""
from __future__ import annotations

import numpy as np

from . import losses as losses_module

__all__ = ["Objective", "as_list"]


def as_list(value):
    """``value`` as a list: lists and tuples as they are, anything else wrapped."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


class Objective:
    """The compiled loss of a model: one loss and weight per output, plus penalties and added losses.

    Parameters
    ----------
    losses : list of Loss
        One per model output.
    loss_weights : list of float, optional
        One per output (default all 1).
    output_names : list of str, optional
        For messages and the per-output log keys (``"<name>_loss"``).
    """

    def __init__(self, losses, loss_weights=None, output_names=None):
        self.losses = [losses_module.get(loss) for loss in losses]
        n = len(self.losses)
        if loss_weights is None:
            loss_weights = [1.0] * n
        if len(loss_weights) != n:
            raise ValueError(f"loss_weights: expected {n} weights (one per output), got {len(loss_weights)}")
        self.loss_weights = [float(w) for w in loss_weights]
        self.output_names = list(output_names) if output_names is not None else [f"output_{i}" for i in range(n)]
        self._plain = n == 1 and self.loss_weights[0] == 1.0
        self._bound = None

    @classmethod
    def get(cls, loss):
        """An :class:`Objective` from itself, or from one loss for a single-output model."""
        if isinstance(loss, Objective):
            return loss
        return cls([loss])

    @classmethod
    def from_compile(cls, loss, loss_weights, output_names):
        """Keras' ``compile(loss=..., loss_weights=...)`` structures for a model with ``output_names``.

        ``loss`` is one loss (used for every output), a list (one per
        output) or a dict keyed by output name; ``loss_weights`` a list or a
        dict likewise.

        Raises
        ------
        ValueError
            A wrong list length or an unknown output name, listing the model's output names.
        """
        names = list(output_names)
        losses = _per_output(loss, names, "loss", required=True)
        weights = _per_output(loss_weights, names, "loss_weights", required=False, default=1.0)
        for name, w in zip(names, weights, strict=True):
            if not isinstance(w, (int, float, np.integer, np.floating)) or isinstance(w, bool) or not np.isfinite(w) \
                    or w < 0:
                raise ValueError(f"loss_weights: the weight of output {name!r} must be a finite number >= 0, "
                                 f"got {w!r}")
        return cls(losses, weights, names)

    @property
    def loss(self):
        """The loss of a single-output model (the first output's otherwise)."""
        return self.losses[0]

    # -- labels -------------------------------------------------------------------
    def prepare(self, ys, preds):
        """Coerce one batch's labels to the outputs (no value checks: :meth:`check_labels` did them)."""
        return [loss.validate(y, p, check=False)[0] for loss, y, p in zip(self.losses, ys, preds, strict=True)]

    def check_labels(self, ys, output_shapes):
        """Verify all labels once (shapes against the outputs, values against each loss)."""
        for loss, name, y, shape in zip(self.losses, self.output_names, ys, output_shapes, strict=True):
            try:
                loss.check_labels(y, tuple(shape))
            except ValueError as err:
                if len(self.losses) == 1:
                    raise
                raise ValueError(f"output {name!r}: {err}") from None

    # -- the model's structure, read once per fit -------------------------------------
    def bind(self, model):
        """Read ``model``'s penalties and layers once, for the steps of one ``fit`` (see :meth:`unbind`).

        The trainer binds when ``fit`` starts, so that each step does not walk
        the layer tree again; changes to the structure during ``fit`` (a layer
        frozen by a callback) take effect at the next ``fit``, as a new
        ``compile`` does in Keras.
        """
        self._bound = (model, model.penalties(), _all_layers(model), _output_activations(model))

    def unbind(self):
        """Read the structure at every call again (after ``fit``)."""
        self._bound = None

    def _structure(self, model):
        bound = self._bound
        if bound is not None and bound[0] is model:
            return bound[1], bound[2]
        return model.penalties(), _all_layers(model)

    def output_activations(self, model):
        """Per output of ``model``, the activation a fused gradient may start before (else ``None``)."""
        bound = self._bound
        if bound is not None and bound[0] is model:
            return bound[3]
        return _output_activations(model)

    # -- value -------------------------------------------------------------------------
    def compute(self, model, ys, preds, sample_weights=None):
        """``(J, [L_o ...])`` for prepared labels and the model's outputs of the forward pass just run.

        ``sample_weights``: ``None`` or one ``(n,)`` array (or ``None``) per output.
        """
        if sample_weights is None:
            parts = [loss.value(y, p) for loss, y, p in zip(self.losses, ys, preds, strict=True)]
        else:
            parts = [loss.value(y, p, sw)
                     for loss, y, p, sw in zip(self.losses, ys, preds, sample_weights, strict=True)]
        total = parts[0] if self._plain else sum(w * v for w, v in zip(self.loss_weights, parts, strict=True))
        return self._add_penalties(model, total), parts

    def _add_penalties(self, model, total):
        """``total`` plus the weight penalties and the losses layers added in the forward pass just run."""
        penalties, layers = self._structure(model)
        for var, reg in penalties:
            total += reg(var.value)
        for layer in layers:
            if layer._losses:
                total += sum(layer._losses)
        return total

    def value(self, model, x, y, sample_weight=None, training=True):
        """Forward pass plus :meth:`compute`: ``J`` as a Python float (what the numeric strategy differentiates).

        ``x``, ``y`` and ``sample_weight`` as a model takes them: arrays for
        one input/output, lists for several.
        """
        preds = as_list(model.forward(x, training=training)[0])
        ys = self.prepare(as_list(y) if len(self.losses) > 1 else [y], preds)
        return self.compute(model, ys, preds, self._sample_weights(sample_weight))[0]

    def _sample_weights(self, sample_weight):
        if sample_weight is None:
            return None
        if len(self.losses) > 1 and isinstance(sample_weight, (list, tuple)):
            return list(sample_weight)
        return [sample_weight] * len(self.losses)

    # -- gradient -----------------------------------------------------------------------
    def value_and_output_gradients(self, model, ys, preds, activations, sample_weights=None):
        """``(J, grads, fused)``: :meth:`prepare`, :meth:`compute`'s ``J`` and :meth:`output_gradients`'
        result in one pass over the outputs (what the analytic strategy needs at every step).

        Parameters
        ----------
        ys : list of numpy.ndarray
            Per output, the batch's labels (coerced here, as :meth:`prepare` does).
        preds, activations, sample_weights
            As :meth:`output_gradients` takes them.
        """
        sample_weights = sample_weights or [None] * len(self.losses)
        total, grads, fused = 0.0, [], []
        for loss, w, y, p, act, sw in zip(self.losses, self.loss_weights, ys, preds, activations, sample_weights,
                                          strict=True):
            y = loss.validate(y, p, check=False)[0]
            total += w * loss.value(y, p, sw)  # 0.0 + 1.0 * L is L exactly: the same J as compute's
            g, is_fused = self._output_gradient(loss, w, y, p, act, sw)
            grads.append(g)
            fused.append(is_fused)
        return self._add_penalties(model, total), grads, fused

    def output_gradients(self, ys, preds, activations, sample_weights=None):
        """Per output: ``dJ/d(output)``, or ``dJ/dz`` before its activation when fused.

        Parameters
        ----------
        activations : list
            Per output, the activation it ends in when the model allows a
            fused start there (else ``None``).

        Returns
        -------
        grads : list of numpy.ndarray
        fused : list of bool
        """
        sample_weights = sample_weights or [None] * len(self.losses)
        grads, fused = [], []
        for loss, w, y, p, act, sw in zip(self.losses, self.loss_weights, ys, preds, activations, sample_weights,
                                          strict=True):
            g, is_fused = self._output_gradient(loss, w, y, p, act, sw)
            grads.append(g)
            fused.append(is_fused)
        return grads, fused

    @staticmethod
    def _output_gradient(loss, w, y, p, act, sw):
        """``(dJ/d(output) or dJ/dz, fused)`` of one output."""
        g = loss.fused_gradient(act, y, p, sw) if act is not None else None
        fused = g is not None
        if g is None:
            g = loss.gradient(y, p, sw)
        if w != 1.0:
            g = g * w
        return (g if g.dtype == p.dtype else g.astype(p.dtype)), fused  # the test costs less than astype

    def penalty_gradients(self, model):
        """``{id(variable): d(penalty)/d(variable)}`` for the model's regularized weights."""
        penalties = self._structure(model)[0]
        if not penalties:  # the usual case, at every step: no comprehension to run
            return {}
        return {id(var): reg.gradient(var.value) for var, reg in penalties}

    def get_config(self):
        return {"losses": [losses_module.serialize(loss) for loss in self.losses], "loss_weights": self.loss_weights,
                "output_names": self.output_names}


def _output_activations(model):
    activations = model.output_activation()  # a list for a model with several outputs
    return activations if isinstance(activations, list) else [activations]


def _all_layers(model):
    """``model`` and every layer inside it, each once (those whose added losses join the objective)."""
    out, seen, stack = [], set(), [model]
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out.append(layer)
        stack.extend(reversed(layer.layers))
    return out


def _per_output(value, names, what, required, default=None):
    """A list with one entry per output name from one value, a list or a dict."""
    n = len(names)
    if value is None:
        if required:
            raise ValueError(f"compile: {what} is required")
        return [default] * n
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile: {what} names unknown output(s) {unknown}; the model's outputs are {names}")
        missing = [name for name in names if name not in value]
        if missing and required:
            raise ValueError(f"compile: {what} has no entry for output(s) {missing}; the model's outputs are {names}")
        return [value.get(name, default) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"compile: {what} has {len(value)} entries but the model has {n} output(s): {names}")
        return list(value)
    return [value] * n
