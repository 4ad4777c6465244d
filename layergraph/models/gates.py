"""The tutorial's logic gates: one sigmoid neuron per gate.

A ``Dense(1, sigmoid)`` on the 2-input truth table, initialised as the
tutorial does (``numpy.random.RandomState(1)``: kernel ``randn(2)``, then bias
``rand(1)``), trained full-batch with SGD on the tutorial's cost
``0.5 * sum`` of binary cross-entropy. With the default numeric gradient it
reproduces the tutorial's published log; the analytic gradient gives the same
numbers to ~1e-10. XOR does not train: the loss stays at ``2 ln 2 ≈ 1.386``
and every output near 0.5, because one neuron draws one straight line.

Example
-------
>>> from layergraph.models import gates
>>> model, history = gates.train("AND", epochs=100)
>>> round(history.history["cost"][-1], 10)
0.6886489498
"""
from __future__ import annotations

import numpy as np

from .. import Sequential, layers, losses, optimizers
from ..callbacks import Callback
from ..datasets import logic


#: The tutorial's cost: half the summed binary cross-entropy, no clipping.
def tutorial_loss():
    """``0.5 * sum(BCE)`` over the batch, exactly the tutorial's formula."""
    return losses.BinaryCrossentropy(reduction="sum", scale=0.5, delta=0.0)


def build(seed=1, name=None):
    """An untrained gate neuron with the tutorial's initial weights.

    Parameters
    ----------
    seed : int, default 1
        Seed of the tutorial's ``RandomState`` draw of the initial weights.
    name : str, optional
        The model's name.

    Returns
    -------
    Sequential
        ``Dense(1, activation="sigmoid")`` on inputs of shape ``(2,)``.

    Example
    -------
    >>> from layergraph.models import gates
    >>> gates.build().predict([[1.0, 1.0]]).shape
    (1, 1)
    """
    model = Sequential([layers.Dense(1, activation="sigmoid", input_shape=(2,))], name=name)
    rs = np.random.RandomState(seed)
    kernel = rs.randn(2).reshape(2, 1)  # drawn first, as in the tutorial
    bias = rs.rand(1)
    model.set_weights([kernel, bias])
    return model


class TutorialLog(Callback):
    """Records the tutorial's ``Cost`` after each epoch (``logs["cost"]``) and
    prints ``Epoch: k, Cost: ..., Weights: [...], Bias: [...]`` every ``every`` epochs.

    The cost is the loss *after* the epoch's update, which is what the
    tutorial prints (Keras' ``loss`` is the mean over the epoch, before updates).

    Parameters
    ----------
    x : numpy.ndarray
        The truth table's inputs ``(4, 2)``, on which the cost is measured.
    y : numpy.ndarray
        Its targets ``(4, 1)``.
    every : int, default 100
        Print every this many epochs.
    print_fn : callable, optional
        Where the lines go; ``None`` prints nothing.

    Example
    -------
    >>> from layergraph.datasets.logic import truth_table
    >>> from layergraph.models import gates
    >>> x, y = truth_table("AND")
    >>> model = gates.build()
    >>> model.compile(optimizer="sgd", loss=gates.tutorial_loss(), gradient="numeric")
    >>> log = gates.TutorialLog(x, y, every=2, print_fn=lambda line: print(line[:9]))
    >>> _ = model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0, callbacks=[log])
    Epoch: 2,
    """

    def __init__(self, x, y, every=100, print_fn=None):
        super().__init__()
        self.x, self.y, self.every, self.print_fn = x, y, every, print_fn

    def on_epoch_end(self, epoch, logs=None):
        cost = self.model.evaluate(self.x, self.y)
        cost = cost[0] if isinstance(cost, list) else cost
        logs["cost"] = cost
        if self.print_fn is not None and (epoch + 1) % self.every == 0:
            self.print_fn(format_log_line(epoch + 1, cost, self.model))


def format_log_line(epoch, cost, model):
    """The tutorial's log line for a one-neuron model (multi-layer: the last layer).

    Parameters
    ----------
    epoch : int
        The epoch number printed.
    cost : float
        The cost printed.
    model : Model
        Its last layer's kernel and bias are printed.
    """
    kernel, bias = model.layers[-1].get_weights()[:2]
    return f"Epoch: {epoch}, Cost: {cost}, Weights: {kernel.ravel()}, Bias: {bias}"


def train(gate, epochs=1000, learning_rate=0.1, gradient="numeric", log_every=None, print_fn=print):
    """Train one gate neuron the tutorial's way.

    Parameters
    ----------
    gate : {"AND", "OR", "NAND", "XOR", "NOR", "XNOR"}
        The truth table to learn.
    epochs : int
        Full-batch updates (the tutorial's 1000).
    learning_rate : float
        Of plain SGD (the tutorial's 0.1).
    gradient : {"numeric", "analytic"} or GradientStrategy
        How gradients are computed (the tutorial's central differences by default).
    log_every : int, optional
        Print the tutorial's log line every this many epochs.
    print_fn : callable, default print
        Where the log lines go.

    Returns
    -------
    model : Sequential
    history : History
        ``history.history["cost"]`` is the tutorial's cost after each epoch;
        ``"loss"`` is Keras' (before each update).
    """
    x, y = logic.truth_table(gate)
    model = build(name=f"{gate.lower()}_gate")
    model.compile(optimizer=optimizers.SGD(learning_rate), loss=tutorial_loss(), metrics=["accuracy"],
                  gradient=gradient)
    log = TutorialLog(x, y, every=log_every or epochs + 1, print_fn=print_fn if log_every else None)
    history = model.fit(x, y, epochs=epochs, batch_size=len(x), shuffle=False, verbose=0, callbacks=[log])
    return model, history
