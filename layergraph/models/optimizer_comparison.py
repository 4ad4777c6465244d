"""Optimizers compared on the tutorial's MNIST perceptron.

Every contender trains the same model from the same initial weights
(:func:`layergraph.models.mnist.tutorial_mlp`, ``784 -> 64 sigmoid -> 10
softmax``, weights from ``RandomState(777)``) with the same shuffling seed,
loss (:func:`~layergraph.models.mnist.tutorial_loss`) and batches; only the
optimizer differs. The training loss of every batch and the test accuracy
after every epoch are recorded, as in the optimizer comparison of "Deep
Learning from Scratch", chapter 6.

The learning rates (:data:`CONTENDERS`) are not the book's: its SGD rate of
0.01 barely moves this sigmoid network, whose small initial weights give
small gradients. Plain SGD keeps the tutorial's 0.1 and momentum uses the
same rate, so its curve shows what momentum alone adds. Each adaptive method
uses the best of 0.001, 0.01 and 0.1 after one epoch on the first 20,000
training images, shuffled with seed 0 (test accuracy: Adagrad 0.1: 77%,
RMSprop 0.01: 93%, Adam 0.01: 93%; plain SGD 0.1: 27%, momentum 0.1: 90%).

On the full data, ``python -m layergraph compare-optimizers`` (3 epochs,
batches of 100, seed 777) ends at these test accuracies: SGD 90.27%,
momentum 95.64%, Adagrad 92.97%, RMSprop 96.80%, Adam 96.71%.

Example
-------
>>> from layergraph.models import mnist, optimizer_comparison as oc
>>> data = mnist.load_data(limit=1000)                             # doctest: +SKIP
>>> runs = oc.compare_optimizers(data, epochs=3)                   # doctest: +SKIP
>>> [(run.name, round(run.final_accuracy, 3)) for run in runs]     # doctest: +SKIP
[('SGD', ...), ('Momentum', ...), ('Adagrad', ...), ('RMSprop', ...), ('Adam', ...)]
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from .. import optimizers, plot
from ..callbacks import Callback
from . import mnist


@dataclass(frozen=True)
class Contender:
    """One optimizer of the comparison.

    Attributes
    ----------
    name : str
        Its label in the table and the figure.
    build : callable
        ``build() -> Optimizer``, a fresh one (optimizers keep per-weight state).

    Example
    -------
    >>> from layergraph.models.optimizer_comparison import CONTENDERS
    >>> [c.settings() for c in CONTENDERS][:2]
    ['SGD, lr 0.1', 'SGD, lr 0.1, momentum 0.9']
    """

    name: str
    build: Callable[[], optimizers.Optimizer]

    def settings(self):
        """Its hyper-parameters in words, e.g. ``"SGD, lr 0.1, momentum 0.9"``."""
        opt = self.build()
        text = f"{type(opt).__name__}, lr {opt.get_config()['learning_rate']:g}"
        if getattr(opt, "momentum", 0.0):
            text += f", momentum {opt.momentum:g}"
        return text


#: The compared optimizers, in table and legend order (see the module docstring for the rates).
CONTENDERS = (
    Contender("SGD", lambda: optimizers.SGD(0.1)),
    Contender("Momentum", lambda: optimizers.SGD(0.1, momentum=0.9)),
    Contender("Adagrad", lambda: optimizers.Adagrad(0.1)),
    Contender("RMSprop", lambda: optimizers.RMSprop(0.01)),
    Contender("Adam", lambda: optimizers.Adam(0.01)),
)


class BatchLossRecorder(Callback):
    """Keeps the training loss of every batch, measured before that batch's update.

    As in Keras, ``logs["loss"]`` of ``on_train_batch_end`` is the running
    mean over the epoch so far (weighted by batch size); each batch's own
    loss is recovered from two consecutive running means and the number of
    samples seen (``params["samples"]`` and ``params["batch_size"]``).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> from layergraph.models.optimizer_comparison import BatchLossRecorder
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(1,), kernel_initializer="zeros")])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> recorder = BatchLossRecorder()
    >>> _ = model.fit(np.ones((4, 1)), np.ones(4), batch_size=2, shuffle=False, verbose=0, callbacks=[recorder])
    >>> len(recorder.losses)
    2
    """

    def __init__(self):
        super().__init__()
        self.losses = []
        self._sum = self._seen = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._sum = self._seen = 0.0

    def on_train_batch_end(self, batch, logs=None):
        seen = min((batch + 1) * self.params["batch_size"], self.params["samples"])
        running = float(logs["loss"]) * seen
        self.losses.append((running - self._sum) / (seen - self._seen))
        self._sum, self._seen = running, seen


@dataclass
class Run:
    """What one contender's training recorded.

    Attributes
    ----------
    name : str
        The contender's label (see :class:`Contender`).
    settings : str
        Its hyper-parameters in words (:meth:`Contender.settings`).
    batch_losses : list of float
        Training loss of every batch, in order (``epochs * ceil(n / batch_size)`` values).
    epoch_losses : list of float
        Mean training loss of each epoch.
    test_accuracy : list of float
        Test accuracy after each epoch. Shorter than ``epochs`` only when a
        non-finite loss stopped the training.
    seconds : float
        Wall time of ``fit``, the per-epoch test evaluation included.
    stopped : bool
        A non-finite loss or gradient ended the training early (``fit``
        keeps the weights of the last finite step).

    Example
    -------
    >>> from layergraph.models.optimizer_comparison import Run
    >>> Run("SGD", "SGD, lr 0.1", batch_losses=[2.3, 1.9]).batch_losses
    [2.3, 1.9]
    """

    name: str
    settings: str
    batch_losses: list = field(default_factory=list)
    epoch_losses: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False

    @property
    def final_loss(self):
        """Mean training loss of the last epoch (``nan`` when none finished)."""
        return self.epoch_losses[-1] if self.epoch_losses else float("nan")

    @property
    def final_accuracy(self):
        """Test accuracy after the last epoch (``nan`` when none finished)."""
        return self.test_accuracy[-1] if self.test_accuracy else float("nan")


def train_with(contender, data, epochs=3, batch_size=100, seed=mnist.TUTORIAL_SEED, dtype="float64"):
    """Train the tutorial's MLP with one optimizer.

    Parameters
    ----------
    contender : Contender
        The optimizer to train with.
    data : tuple
        ``((x_train, y_train), (x_test, y_test))`` from
        :func:`layergraph.models.mnist.load_data` with ``flatten=True``.
    epochs, batch_size : int
        Of ``fit`` (default 3 epochs of batches of 100).
    seed : int
        Shuffling seed (default the tutorial's); the same for every
        contender, so all see the same batches.
    dtype : {"float64", "float32"}
        Of the model; ``data`` should have it too.

    Returns
    -------
    Run
    """
    (x_train, y_train), (x_test, y_test) = data
    model = mnist.tutorial_mlp(dtype=dtype, compile=False)  # the same initial weights every time
    model.compile(optimizer=contender.build(), loss=mnist.tutorial_loss(), metrics=["accuracy"],
                  gradient="analytic", seed=seed)
    recorder = BatchLossRecorder()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0,
                        validation_data=(x_test, y_test), callbacks=[recorder])
    seconds = time.perf_counter() - start
    logs = history.history
    return Run(contender.name, contender.settings(), recorder.losses, [float(v) for v in logs.get("loss", [])],
               [float(v) for v in logs.get("val_accuracy", [])], seconds, stopped=len(history.epoch) < epochs)


def compare_optimizers(data, epochs=3, batch_size=100, seed=mnist.TUTORIAL_SEED, dtype="float64",
                       contenders=CONTENDERS):
    """Train the tutorial's MLP once per contender; a list of :class:`Run`.

    Same arguments as :func:`layergraph.models.optimizer_comparison.train_with`,
    with ``contenders`` (default :data:`CONTENDERS`) instead of one contender.

    Parameters
    ----------
    contenders : sequence of Contender
        The optimizers to compare, in table order.
    """
    return [train_with(c, data, epochs, batch_size, seed, dtype) for c in contenders]


def table(runs):
    """The comparison as text: one row per run, columns aligned.

    Parameters
    ----------
    runs : list of Run
        What :func:`compare_optimizers` returned.
    """
    header = ("optimizer", "settings", "final train loss", "test accuracy", "seconds")
    rows = [(r.name, r.settings, f"{r.final_loss:.4f}", f"{r.final_accuracy:.4f}" + (" (stopped)" if r.stopped else ""),
             f"{r.seconds:.1f}") for r in runs]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) if i < 2 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(row) for row in rows])


def plot_runs(runs, path, title=None):
    """Write every run's per-batch loss curve and per-epoch test accuracy to the PNG ``path``.

    See :func:`layergraph.plot.plot_loss_curves`; returns the :class:`~pathlib.Path`.

    Parameters
    ----------
    runs : list of Run
        What :func:`compare_optimizers` returned.
    path : str or path-like
        Where to write the PNG.
    title : str, optional
        Title above the figure.
    """
    return plot.plot_loss_curves({r.name: r.batch_losses for r in runs}, path, title=title,
                                 accuracy={r.name: r.test_accuracy for r in runs})
