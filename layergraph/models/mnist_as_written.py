r"""The source tutorial's MNIST network *as written*, bugs included, built from the framework's parts.

The tutorial ends with a 784-64-10 network that "does not train well". This
module reproduces that network and its training loop exactly, so that one can
watch it fail and (later) take it apart. Transcribed, the tutorial's code is::

    np.random.seed(777)
    W1, b1 = 0.01 * np.random.randn(784, 64), np.zeros(64)
    W2, b2 = 0.01 * np.random.randn(64, 10), np.zeros(10)

    def softmax(a):                        # normalises over the whole batch
        c = np.max(a)
        exp_a = np.exp(a - c)
        return exp_a / np.sum(exp_a)

    def loss(x, t):                        # binary CE on ten outputs, summed, no batch mean
        y = softmax(sigmoid(x @ W1 + b1) @ W2 + b2)
        return 0.5 * np.sum(-t * np.log(y) - (1 - t) * np.log(1 - y))

    for epoch in range(2):                 # epochs = 2, one update each
        batch_mask = np.random.choice(train_size, 100)
        x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
        grad = numerical_gradient(...)     # central differences, eps 1e-5, every element
        for key in ("W1", "b1", "W2", "b2"):
            params[key] -= 0.1 * grad[key]
        cost = loss(x_batch, t_batch)
        ...                                # accuracies on the whole train and test sets
        print(f"Epoch: {epoch + 1}, Cost: {cost}, Train Accuracy: {train_acc}, Test Accuracy: {test_acc}")
    print(f"Total time: {seconds:.2f} seconds")

with pixels ``/ 255`` flattened to 784 and one-hot labels. In layergraph:

==============================================  ====================================================
tutorial                                        layergraph
==============================================  ====================================================
``sigmoid(x @ W1 + b1)``                        ``Dense(64, activation="sigmoid")``
batch-wide ``softmax``                          ``Dense(10, activation="batch_softmax")``
                                                (:class:`~layergraph.framework.activations.BatchSoftmax`)
``0.5 * np.sum(BCE)``                           :class:`TutorialBinaryCrossentropy` (:func:`tutorial_loss`)
``np.random.seed(777)``, the global generator   one ``numpy.random.RandomState(777)`` (:func:`build`,
                                                :func:`draw_batch`); numpy's global state is untouched
``numerical_gradient``, eps 1e-5                ``NumericGradient(epsilon=1e-5)`` injected into the
                                                trainer (any strategy may replace it; with
                                                ``vectorized=False``, the tutorial's loop)
``params[key] -= 0.1 * grad[key]``              ``SGD(0.1)`` through ``model.train_on_batch``
==============================================  ====================================================

The operations are the tutorial's, in its order, so the framework's run with
the element loop equals a plain-numpy transcription to the last bit (the
tests hold one); the default, vectorised numeric strategy agrees with it to
rounding.

Where the tutorial's text leaves a detail open, this module reads it as a
typical transcription does:

- ``softmax`` subtracts the global maximum first (the textbook's overflow
  guard, ``c = np.max(a)``): no value changes beyond rounding.
- The loss has no ``delta`` inside the logarithms: exactly
  ``0.5 * sum(-t log p - (1 - t) log(1 - p))`` (probabilities near
  ``1 / 1000`` never reach 0 or 1).
- ``Cost`` is the loss on the update's batch *after* the update, as in the
  tutorial's gate logs and the textbook loop it follows.
- Accuracies are the share of arg-max hits on the whole training and test
  sets after each update; epochs are numbered from 1.
- ``Total time`` times the whole loop (accuracies included) and is printed
  as ``Total time: 35.21 seconds``.
- The typo ``test_acc_list.appned`` is not reproduced: it stops the
  tutorial's run with an ``AttributeError`` before the first log line.

Cost: the tutorial's loop evaluates the loss twice per weight element,
``2 * 50,890`` forward passes of the batch per update: about 17 s on a quiet
machine (0.34 ms a coordinate), 37 s of CPU with single-threaded BLAS on a
shared core. The element loop (``NumericGradient(vectorized=False)``), run in
full, printed (seed 777)::

    Epoch: 1, Cost: 465.9060502121904, Train Accuracy: 0.10441666666666667, Test Accuracy: 0.1028
    Epoch: 2, Cost: 361.8440950235058, Train Accuracy: 0.09751666666666667, Test Accuracy: 0.0974

(the cost at the initial weights is about ``0.5 * 100 * ln 1000 = 345``). The
default numeric strategy, vectorised, computes the same central differences
many at a time, in about 1.5 s of CPU an update here (each copy's batch-wide
softmax still needs its whole batch); its log differs only by rounding, from
the tenth significant digit of the costs on::

    Epoch: 1, Cost: 465.9060501757135, Train Accuracy: 0.10441666666666667, Test Accuracy: 0.1028
    Epoch: 2, Cost: 361.8440950213816, Train Accuracy: 0.09751666666666667, Test Accuracy: 0.0974

Example
-------
>>> import numpy as np
>>> from layergraph.models import mnist_as_written as aw
>>> rng = np.random.default_rng(0)
>>> x, y = rng.random((300, 784)), np.eye(10)[rng.integers(0, 10, 300)]
>>> result = aw.train(x, y, x[:50], y[:50], epochs=2, gradient="analytic", print_fn=None)
>>> [round(cost, 4) for cost in result.losses], result.batches[0][:3]
([528.2973, 370.8721], array([288,  78, 198]))
>>> result.lines[0][:24], result.lines[-1][:12]
('Epoch: 1, Cost: 528.2972', 'Total time: ')
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .. import Sequential, activations, layers, losses, optimizers
from ..framework import gradients
from ..framework.callbacks import History

#: Seed of the tutorial's ``np.random.seed(777)``.
SEED = 777
#: The tutorial's hidden width, batch size, learning rate, epochs and numeric step.
HIDDEN, BATCH_SIZE, LEARNING_RATE, EPOCHS, EPSILON = 64, 100, 0.1, 2, 1e-5
INPUTS, NUM_CLASSES = 784, 10


class TutorialBinaryCrossentropy(losses.BinaryCrossentropy):
    r"""Binary cross-entropy summed over every sample *and* output, times ``scale``.

    .. math::
        L = \mathrm{scale} \sum_{i,j} -t_{ij} \log(p_{ij} + \delta)
            - (1 - t_{ij}) \log(1 - p_{ij} + \delta)

    The tutorial's MNIST loss (``scale=0.5``, ``delta=0``) on ``(batch, 10)``
    outputs: unlike :class:`~layergraph.framework.losses.BinaryCrossentropy`,
    which averages over the outputs, it sums over them (and, with
    ``reduction="sum"``, over the batch). The value is one ``np.sum`` over
    the whole array, as the tutorial computes it; the gradient is
    :math:`\mathrm{scale}\,(-t/(p + \delta) + (1 - t)/(1 - p + \delta))`.

    Parameters
    ----------
    scale : float
        Positive factor (the tutorial's 0.5).
    delta : float
        Non-negative shift inside both logarithms (the tutorial: none, 0).
    name : str, optional
        The loss's name.

    Example
    -------
    >>> import numpy as np
    >>> loss = TutorialBinaryCrossentropy()
    >>> t, p = np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])
    >>> bool(np.isclose(loss(t, p), np.log(2)))     # 0.5 * (log 2 + log 2)
    True
    """

    name = "tutorial_binary_crossentropy"

    def __init__(self, scale=0.5, delta=0.0, name=None):
        if not (isinstance(delta, (int, float)) and math.isfinite(delta) and delta >= 0):
            raise ValueError(f"TutorialBinaryCrossentropy: delta must be a non-negative number, got {delta!r}")
        super().__init__(from_logits=False, reduction="sum", scale=scale, delta=float(delta), name=name)

    def _elementwise(self, t, y):
        d = self.delta
        return -t * np.log(y + d) - (1 - t) * np.log(1 - y + d)

    def _per_sample(self, t, y):
        return self._elementwise(t, y).reshape(len(y), -1).sum(axis=1)

    def value(self, y_true, y_pred, sample_weight=None):
        elementwise = self._elementwise(y_true, y_pred)
        if sample_weight is not None:
            elementwise = self._weighted(elementwise, sample_weight)
        # One sum over the whole array, as the tutorial's np.sum: the same rounding.
        return float(self.scale * np.sum(elementwise))

    def sample_losses(self, y_true, y_pred, sample_weight=None, batch_size=None):
        """Each sample's share of :meth:`value` (``scale`` times its summed terms); ``batch_size`` is unused (a sum)."""
        per_sample = self._per_sample(y_true, y_pred)
        if sample_weight is not None:
            per_sample = per_sample * sample_weight
        return self.scale * per_sample

    def _grad(self, t, y):
        d = self.delta
        return -t / (y + d) + (1 - t) / (1 - y + d)

    def fused_gradient(self, activation, y_true, y_pred, sample_weight=None):
        # Summed over the outputs, the sigmoid's fused form has no 1/d; exact only without delta.
        if self.delta or not isinstance(activation, activations.Sigmoid):
            return None
        return self._weighted((y_pred - y_true) * self._factor(len(y_pred)), sample_weight)

    def get_config(self):
        return {"scale": self.scale, "delta": self.delta}


def tutorial_loss():
    """The tutorial's ``0.5 * np.sum(-t log p - (1 - t) log(1 - p))``."""
    return TutorialBinaryCrossentropy(scale=0.5, delta=0.0)


def draw_weights(rs, hidden=HIDDEN):
    """``[W1, b1, W2, b2]`` as the tutorial draws them from ``rs``.

    ``W1 = 0.01 * rs.randn(784, hidden)`` first, then
    ``W2 = 0.01 * rs.randn(hidden, 10)``; zero biases. ``rs`` advances, so the
    batches drawn next from it are the tutorial's.

    Parameters
    ----------
    rs : numpy.random.RandomState
        The generator (advanced by the draws).
    hidden : int, default 64
        Width of the hidden layer.

    Example
    -------
    >>> import numpy as np
    >>> [w.shape for w in draw_weights(np.random.RandomState(777))]
    [(784, 64), (64,), (64, 10), (10,)]
    """
    w1 = 0.01 * rs.randn(INPUTS, hidden)
    w2 = 0.01 * rs.randn(hidden, NUM_CLASSES)
    return [w1, np.zeros(hidden), w2, np.zeros(NUM_CLASSES)]


def build(rs=None, hidden=HIDDEN, dtype="float64"):
    """The tutorial's network with its initial weights, uncompiled.

    Parameters
    ----------
    rs : numpy.random.RandomState, optional
        The generator standing for the tutorial's global one (default: a new
        ``RandomState(777)``); the weights are drawn from it.
    hidden : int
        Width of the sigmoid layer (the tutorial's 64).
    dtype : str
        Of the weights.

    Returns
    -------
    Sequential
        ``Dense(hidden, sigmoid) -> Dense(10, batch_softmax)`` on ``(n, 784)``.
    """
    if not isinstance(hidden, (int, np.integer)) or isinstance(hidden, bool) or hidden < 1:
        raise ValueError(f"mnist_as_written.build: hidden must be a positive integer, got {hidden!r}")
    rs = np.random.RandomState(SEED) if rs is None else rs
    model = Sequential([
        layers.Dense(int(hidden), activation="sigmoid", input_shape=(INPUTS,), name="hidden"),
        layers.Dense(NUM_CLASSES, activation="batch_softmax", name="output"),
    ], name="mnist_as_written", dtype=dtype)
    model.set_weights(draw_weights(rs, int(hidden)))
    return model


def draw_batch(rs, train_size, batch_size=BATCH_SIZE):
    """``batch_size`` indices below ``train_size``, with replacement: the tutorial's
    ``np.random.choice(train_size, batch_size)`` on ``rs``.

    Parameters
    ----------
    rs : numpy.random.RandomState
        The generator.
    train_size : int
        Number of training images.
    batch_size : int, default 100
        Indices to draw.
    """
    return rs.choice(train_size, batch_size)


def format_log_line(epoch, cost, train_accuracy, test_accuracy):
    """The tutorial's line, e.g. ``Epoch: 1, Cost: 345.6, Train Accuracy: 0.1, Test Accuracy: 0.1``.

    Parameters
    ----------
    epoch : int
        The update's number (from 1).
    cost : float
        The batch's cost.
    train_accuracy : float
        On the whole training set.
    test_accuracy : float
        On the whole test set.

    Example
    -------
    >>> format_log_line(1, 345.6, 0.1, 0.1)
    'Epoch: 1, Cost: 345.6, Train Accuracy: 0.1, Test Accuracy: 0.1'
    """
    return f"Epoch: {epoch}, Cost: {cost}, Train Accuracy: {train_accuracy}, Test Accuracy: {test_accuracy}"


def format_total_time(seconds):
    """The tutorial's last line, ``Total time: 35.21 seconds``.

    Parameters
    ----------
    seconds : float
        The run's wall time.
    """
    return f"Total time: {seconds:.2f} seconds"


def accuracy(model, x, y):
    """Share of rows whose arg-max output is the one-hot label's (a Python float).

    ``predict`` runs in batches; the batch-wide softmax then normalises each
    batch differently, which changes no row's arg-max.

    Parameters
    ----------
    model : Model
        The network.
    x : numpy.ndarray
        Inputs ``(n, 784)``.
    y : numpy.ndarray
        One-hot labels ``(n, 10)``.
    """
    return float(np.mean(np.argmax(model.predict(x), axis=1) == np.argmax(y, axis=1)))


@dataclass
class AsWrittenResult:
    """What one as-written run produced.

    Attributes
    ----------
    model : Sequential
        The trained network (compiled with the run's strategy).
    losses : list of float
        ``Cost`` of each update: the loss on its batch after the update.
    train_accuracies : list of float
        After each update, on the whole training set.
    test_accuracies : list of float
        After each update, on the whole test set.
    batches : list of numpy.ndarray
        The indices of each update's batch.
    seconds : float
        The printed total time.
    lines : list of str
        The printed log, total-time line included.

    Example
    -------
    >>> import numpy as np
    >>> result = AsWrittenResult(model=build(), losses=[361.8])
    >>> result.losses, result.lines
    ([361.8], [])
    """

    model: Sequential
    losses: list = field(default_factory=list)
    train_accuracies: list = field(default_factory=list)
    test_accuracies: list = field(default_factory=list)
    batches: list = field(default_factory=list)
    seconds: float = 0.0
    lines: list = field(default_factory=list)

    @property
    def weights(self):
        """``[W1, b1, W2, b2]`` after the run."""
        return self.model.get_weights()

    @property
    def test_accuracy(self):
        """The last test accuracy (``nan`` after zero epochs)."""
        return self.test_accuracies[-1] if self.test_accuracies else math.nan

    @property
    def history(self):
        """A :class:`~layergraph.framework.callbacks.History` with one entry per
        update: ``loss`` (the cost after it), ``accuracy`` and ``val_accuracy``;
        ``train_seconds`` the total time."""
        history = History()
        history.epoch = list(range(len(self.losses)))
        history.history = {"loss": list(self.losses), "accuracy": list(self.train_accuracies),
                           "val_accuracy": list(self.test_accuracies)}
        history.train_seconds = self.seconds
        return history


def _strategy(gradient, progress):
    if gradient == "numeric":
        return gradients.NumericGradient(epsilon=EPSILON, progress=progress)
    return gradients.get(gradient)


def _check_positive_int(name, value, allow_zero=False):
    low = 0 if allow_zero else 1
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"mnist_as_written.train: {name} must be {kind} integer, got {value!r}")


def _check_split(x, y, what):
    """``(x, y)`` as arrays, or ``ValueError`` naming the split, the shape or the first bad row."""
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise TypeError(f"mnist_as_written.train: {what} data must be numeric, got dtypes {x.dtype} and {y.dtype}")
    if x.ndim != 2 or x.shape[1] != INPUTS:
        raise ValueError(f"mnist_as_written.train: x_{what} must have shape (n, {INPUTS}), got {x.shape}")
    if y.shape != (len(x), NUM_CLASSES):
        raise ValueError(f"mnist_as_written.train: y_{what} must be one-hot labels of shape ({len(x)}, "
                         f"{NUM_CLASSES}) for x_{what} of shape {x.shape}, got {y.shape}")
    if len(x) == 0:
        raise ValueError(f"mnist_as_written.train: x_{what} is empty")
    bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
    if len(bad):
        raise ValueError(f"mnist_as_written.train: x_{what} has non-finite values in row {bad[0]}")
    bad = np.flatnonzero(((y != 0) & (y != 1)).any(axis=1) | (y.sum(axis=1) != 1))
    if len(bad):
        raise ValueError(f"mnist_as_written.train: y_{what} row {bad[0]} is not one-hot: {y[bad[0]].tolist()}")
    return x, y


def train(x_train, y_train, x_test, y_test, epochs=EPOCHS, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
          hidden=HIDDEN, seed=SEED, gradient="numeric", dtype="float64", print_fn=print, progress=False):
    """Run the tutorial's training loop on the tutorial's network, as written.

    Each "epoch" is one update: ``batch_size`` indices drawn with
    replacement, the gradient of :func:`tutorial_loss` on that batch, one SGD
    step, then the cost on the batch and the accuracies on both sets, printed
    in the tutorial's format. Weights and batches come from one
    ``RandomState(seed)``, weights first (see the module docstring).

    Parameters
    ----------
    x_train, x_test : numpy.ndarray, ``(n, 784)``
        Pixels in ``[0, 1]`` (``mnist.load_data``'s layout).
    y_train, y_test : numpy.ndarray, ``(n, 10)``
        One-hot labels.
    epochs : int
        Updates (the tutorial's ``epochs = 2``).
    batch_size : int
        Images per update (the tutorial's 100).
    learning_rate : float
        Of the SGD step (the tutorial's 0.1).
    hidden : int
        Width of the hidden layer (the tutorial's 64).
    seed : int
        Seed of the ``RandomState`` that draws the weights, then the batches.
    gradient : {"numeric", "analytic"} or GradientStrategy
        ``"numeric"`` is ``NumericGradient(epsilon=1e-5)``, the tutorial's.
    dtype : str
        Of the model (the data is cast to it).
    print_fn : callable or None
        Receives each log line; ``None`` prints nothing.
    progress : bool
        A progress bar over the coordinates of each numeric gradient.

    Returns
    -------
    AsWrittenResult

    Raises
    ------
    ValueError, TypeError
        For data of the wrong shape, non-finite pixels, labels that are not
        one-hot (naming the first bad row), or bad settings; before anything
        is drawn or trained.
    """
    _check_positive_int("epochs", epochs, allow_zero=True)
    _check_positive_int("batch_size", batch_size)
    if not (isinstance(learning_rate, (int, float)) and math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"mnist_as_written.train: learning_rate must be a positive number, got {learning_rate!r}")
    x_train, y_train = _check_split(x_train, y_train, "train")
    x_test, y_test = _check_split(x_test, y_test, "test")
    strategy = _strategy(gradient, progress)
    rs = np.random.RandomState(seed)  # the tutorial's global generator, kept to this run
    model = build(rs, hidden, dtype)
    model.compile(optimizer=optimizers.SGD(learning_rate), loss=tutorial_loss(), gradient=strategy)
    result = AsWrittenResult(model)
    emit = print_fn or (lambda line: None)
    start = time.perf_counter()
    for epoch in range(epochs):
        batch = draw_batch(rs, len(x_train), batch_size)
        x_batch, t_batch = x_train[batch], y_train[batch]
        model.train_on_batch(x_batch, t_batch)
        # One pass over the whole batch: the batch-wide softmax must see all of it, as in the tutorial.
        cost = model.evaluate(x_batch, t_batch, batch_size=len(x_batch))
        result.batches.append(batch)
        result.losses.append(cost)
        result.train_accuracies.append(accuracy(model, x_train, y_train))
        result.test_accuracies.append(accuracy(model, x_test, y_test))
        result.lines.append(format_log_line(epoch + 1, cost, result.train_accuracies[-1], result.test_accuracies[-1]))
        emit(result.lines[-1])
    result.seconds = time.perf_counter() - start
    result.lines.append(format_total_time(result.seconds))
    emit(result.lines[-1])
    return result
