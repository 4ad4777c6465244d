r"""Gradient strategies: how the trainer gets ``(loss, grads)`` for a batch.

The :class:`~layergraph.framework.trainer.Trainer` is handed a strategy and
never looks inside it; layers never know which strategy runs. Both strategies
implement

``strategy.gradients(model, loss, x, y) -> (loss_value, grads)``

with ``grads`` aligned with ``model.trainable_weights`` (for models without
non-trainable state this is the order and shapes of ``model.get_weights()``).
``loss_value`` includes the weight penalties (``kernel_regularizer``).

- :class:`AnalyticGradient`: backpropagation through the model graph.
- :class:`NumericGradient`: central differences
  :math:`(L(w + \epsilon) - L(w - \epsilon)) / 2\epsilon`, each weight element
  perturbed alone. By default many perturbed copies are evaluated per
  vectorised pass, recomputing only what each perturbed element changes
  (:mod:`~layergraph.framework.central_differences`); ``vectorized=False``
  is the reference loop, which perturbs one element *in place* at a time
  and restores it in a ``finally`` block. Either way the model is unchanged
  even if a forward pass raises.

:func:`check` runs both and compares them element by element with a
relative and an absolute tolerance.

Example
-------
>>> import numpy as np, layergraph as lg
>>> model = lg.Sequential([lg.layers.Dense(1, activation="sigmoid", input_shape=(2,))])
>>> x, y = np.array([[0., 1.], [1., 1.]]), np.array([[0.], [1.]])
>>> errors = lg.gradients.check(model, "binary_crossentropy", x, y)
>>> all(e < 1e-6 for e in errors)
True
"""
from __future__ import annotations

import functools
import inspect
import math
import time
from typing import NamedTuple

import numpy as np

from . import central_differences
from .layers.regularization import DROPOUT_MODES
from .layers.tracing import call_context
from .naming import Registry, lookup
from .objective import Objective

__all__ = ["GradientStrategy", "AnalyticGradient", "NumericGradient", "GradientCheck", "WeightCheck", "check",
           "get", "serialize", "deserialize", "STRATEGIES"]

_context = call_context()  # the per-thread recording setting of the layers

#: Every :class:`GradientStrategy` subclass by class name, for :func:`deserialize`.
STRATEGIES = Registry("gradient strategy")


def _accepting_sample_weight(fn):
    """Wrap a ``gradients(model, loss, x, y)`` written without ``sample_weight``."""

    @functools.wraps(fn)
    def gradients(self, model, loss, x, y, sample_weight=None):
        if sample_weight is not None:
            raise TypeError(f"{type(self).__name__}.gradients takes no sample_weight")
        return fn(self, model, loss, x, y)

    return gradients


class GradientStrategy:
    """Base class of the ways to get ``(loss, grads)``: subclasses implement :meth:`gradients`.

    Hooks the trainer calls:

    - :meth:`gradients` ``(model, loss, x, y, sample_weight=None) ->
      (value, grads)``: ``value`` the objective (loss, penalties, added
      losses; see :class:`~layergraph.framework.objective.Objective`) at the
      current weights, ``grads`` aligned with ``model.trainable_weights``.
      ``loss`` may be a loss, its name or an ``Objective``.
    - :attr:`last_outputs`: ``(x, outputs)`` of the forward pass the last
      call ran with the weights as they were, or ``None``; the trainer
      measures metrics on these outputs instead of running the model again.
    - :meth:`check_trainable`: raise ``ValueError`` if the strategy cannot
      train (e.g. it samples coordinates); default: it can.
    - :meth:`get_config` / :meth:`from_config`: for saving.

    Example
    -------
    A strategy that scales backprop's gradients (e.g. to try a trick):

    >>> import numpy as np, layergraph as lg
    >>> class Halved(lg.gradients.GradientStrategy):
    ...     def gradients(self, model, loss, x, y, sample_weight=None):
    ...         value, grads = lg.gradients.AnalyticGradient().gradients(model, loss, x, y, sample_weight)
    ...         return value, [g / 2 for g in grads]
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,), seed=0)])
    >>> model.compile(optimizer="sgd", loss="mse", gradient=Halved())
    >>> type(model.trainer.gradient).__name__
    'Halved'
    """

    name = "strategy"

    #: ``(x, y_pred)`` of the last :meth:`gradients` call's forward pass, or ``None``.
    last_outputs = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        STRATEGIES.register(cls)
        fn = cls.__dict__.get("gradients")
        if fn is not None and "sample_weight" not in inspect.signature(fn).parameters:
            cls.gradients = _accepting_sample_weight(fn)

    def gradients(self, model, loss, x, y, sample_weight=None):
        """Return ``(loss_value, grads)``; see the class docstring.

        Parameters
        ----------
        model : Model or Layer
            The model at its current weights.
        loss : str, Loss or Objective
            What is differentiated (an ``Objective`` adds the penalties and
            added losses; the trainer passes one).
        x : numpy.ndarray or list of numpy.ndarray
            The batch's inputs, as the model's ``forward`` takes them.
        y : numpy.ndarray or list of numpy.ndarray
            The batch's targets.
        sample_weight : numpy.ndarray or list, optional
            Weights of the samples' losses.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement gradients()")

    def check_trainable(self):
        """Raise ``ValueError`` when this strategy cannot be used to train."""

    def get_config(self):
        """The constructor arguments, JSON-able."""
        return {}

    @classmethod
    def from_config(cls, config):
        """A new strategy from :meth:`get_config`'s dict.

        Parameters
        ----------
        config : dict
            What :meth:`get_config` returned.
        """
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


class AnalyticGradient(GradientStrategy):
    """Backpropagation: one forward and one backward pass through the graph.

    When an output's activation and its loss admit a fused gradient
    (softmax + categorical CE, sigmoid + binary CE, when exact for the loss
    as defined), the backward pass starts from ``dL/dz`` before the
    activation. Models are told that nobody needs ``dL/dx`` for their
    inputs, which saves the first layer's largest product.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,), kernel_initializer="ones")])
    >>> value, grads = lg.gradients.AnalyticGradient().gradients(model, "mse", np.array([[1.0, 2.0]]),
    ...                                                          np.array([[0.0]]))
    >>> value, [g.ravel().tolist() for g in grads]  # L = (x . w)^2 = 9, dL/dw = 2 * 3 * x
    (9.0, [[6.0, 12.0], [6.0]])
    """

    name = "analytic"

    def gradients(self, model, loss, x, y, sample_weight=None):
        objective = Objective.get(loss)
        # Layers differentiated by recording their call() record it now (a per-thread setting, restored
        # after; set directly rather than through the backward_follows() block, on this hot path).
        context = _context
        outer, context.backward_follows = context.backward_follows, True
        try:
            y_pred, cache = model.forward(x, training=True)
        finally:
            context.backward_follows = outer
        self.last_outputs = (x, y_pred)
        multi = isinstance(y_pred, list)
        preds = y_pred if multi else [y_pred]
        value, grads_out, fused = objective.value_and_output_gradients(
            model, y if multi else [y], preds, objective.output_activations(model),
            objective._sample_weights(sample_weight))
        if multi:
            _, grads = model.backward(grads_out, cache, input_grad=False, preactivation=fused)
        elif fused[0]:
            _, grads = model.backward_preactivation(grads_out[0], cache, input_grad=False)
        else:
            _, grads = model.backward(grads_out[0], cache, input_grad=False)
        penalty = objective.penalty_gradients(model)
        if penalty:
            grads = [g + penalty[id(w)] if id(w) in penalty else g
                     for w, g in zip(model.trainable_weights, grads, strict=True)]
        return value, grads


class NumericGradient(GradientStrategy):
    r"""Central differences over every element of every trainable weight.

    For each element :math:`w_i`, :math:`g_i = (J(w + \epsilon e_i) - J(w -
    \epsilon e_i)) / 2\epsilon` of the objective :math:`J` (losses,
    penalties, added losses), each element perturbed alone.

    Two ways to compute the same numbers:

    - ``vectorized=True`` (default): many perturbed copies of the model per
      vectorised pass, in chunks that fit ``memory_budget``; only the layers
      downstream of the perturbed weight run, on the samples a perturbation
      changes, with the upstream outputs of one reference pass; layers may
      offer structured shortcuts (a Dense kernel element changes one column
      of its output). Layers that couple the samples of a batch (batch
      normalisation in training, a batch-wide softmax) still see each copy's
      own batch. See :mod:`~layergraph.framework.central_differences`. On
      the tutorial's 784-64-10 MNIST MLP it is two orders of magnitude
      faster than the loop (``benchmarks/bench_numeric.py``), and agrees with
      it to rounding.
    - ``vectorized=False``: the reference loop, two whole forward passes per
      element (``2 * model.count_params()`` passes per step).

    With ``max_coordinates`` it differentiates only a random subset of
    elements per weight (the others are ``nan``), for gradient checks of
    big models.

    Dropout must not draw a new mask for each loss evaluation (the
    differences would measure noise). By default (``dropout="frozen"``) each
    call runs inside :func:`~layergraph.framework.layers.frozen_masks`: the
    reference pass draws the masks and every perturbed pass reuses them, so
    the strategy differentiates the same random sub-network that backprop
    would. ``dropout="off"`` runs inside
    :func:`~layergraph.framework.layers.disabled_dropout` instead: dropout is
    the identity in every evaluation (training then ignores dropout).
    Non-trainable state (batch-norm moving statistics) is updated once per
    step, by the reference pass, and restored after every perturbed pass.

    Parameters
    ----------
    epsilon : float
        Step :math:`\epsilon` of the central difference.
    max_coordinates : int, optional
        At most this many sampled elements per weight array.
    seed : int, optional
        Seed of the coordinate sample.
    progress : bool
        Show a tqdm progress bar over the coordinates.
    dropout : {"frozen", "off"}
        One mask per step, or no dropout in the numeric evaluations.
    vectorized : bool
        Many perturbed copies per pass (default), or the element-by-element loop.
    memory_budget : int
        The most bytes the perturbed copies of one vectorised pass may take
        (default 256 MiB; passes aim at 64 MiB within it, which keeps them in
        cache); a budget that cannot hold the two copies of one coordinate is
        a ``ValueError``.

    Example
    -------
    The same gradient as backpropagation, to about ``epsilon**2``:

    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,), kernel_initializer="ones")])
    >>> value, grads = lg.gradients.NumericGradient().gradients(model, "mse", np.array([[1.0, 2.0]]),
    ...                                                         np.array([[0.0]]))
    >>> [np.round(g, 6).ravel().tolist() for g in grads]
    [[6.0, 12.0], [6.0]]
    """

    name = "numeric"

    def __init__(self, epsilon=1e-5, max_coordinates=None, seed=0, progress=False, dropout="frozen", vectorized=True,
                 memory_budget=central_differences.DEFAULT_MEMORY_BUDGET):
        if not (isinstance(epsilon, (int, float)) and np.isfinite(epsilon) and epsilon > 0):
            raise ValueError(f"NumericGradient: epsilon must be a positive number, got {epsilon!r}")
        if max_coordinates is not None and (not isinstance(max_coordinates, int) or max_coordinates < 1):
            raise ValueError(f"NumericGradient: max_coordinates must be a positive integer, got {max_coordinates!r}")
        if dropout not in DROPOUT_MODES:
            raise ValueError(f"NumericGradient: dropout must be one of {sorted(DROPOUT_MODES)}, got {dropout!r}")
        if not isinstance(vectorized, bool):
            raise TypeError(f"NumericGradient: vectorized must be True or False, got {vectorized!r}")
        if (not isinstance(memory_budget, (int, np.integer)) or isinstance(memory_budget, bool)
                or memory_budget < 1):
            raise ValueError(f"NumericGradient: memory_budget must be a positive number of bytes, got "
                             f"{memory_budget!r}")
        self.dropout = dropout
        self.epsilon = float(epsilon)
        self.max_coordinates = max_coordinates
        self.seed = seed
        self.progress = progress
        self.vectorized = vectorized
        self.memory_budget = int(memory_budget)

    def coordinates(self, weights):
        """The flat indices differentiated in each weight array.

        Parameters
        ----------
        weights : list of Variable
            The trainable weights.

        Returns
        -------
        list of numpy.ndarray
            All indices, or a sorted sample of ``max_coordinates`` of them.
        """
        rng = np.random.default_rng(self.seed)
        out = []
        for w in weights:
            n = w.value.size
            if self.max_coordinates is None or n <= self.max_coordinates:
                out.append(np.arange(n))
            else:
                out.append(np.sort(rng.choice(n, self.max_coordinates, replace=False)))
        return out

    def check_trainable(self):
        if self.max_coordinates:
            raise ValueError("A NumericGradient with max_coordinates samples the gradient: use it with "
                             "gradients.check, not for training")

    def get_config(self):
        return {"epsilon": self.epsilon, "max_coordinates": self.max_coordinates, "seed": self.seed,
                "progress": self.progress, "dropout": self.dropout, "vectorized": self.vectorized,
                "memory_budget": self.memory_budget}

    def gradients(self, model, loss, x, y, sample_weight=None):
        with DROPOUT_MODES[self.dropout](model):  # no new dropout mask within this step
            return self._gradients(model, Objective.get(loss), x, y, sample_weight)

    def estimate_seconds(self, model, loss, x, y, sample_weight=None, sample=16, target=0.25, measure_below=20.0):
        """Estimated seconds of one :meth:`gradients` call on this batch, from timed coordinates.

        After a warm-up pass, differentiates ``sample`` random elements of
        each weight, timing each weight (wall time), and scales each weight's
        time by its number of elements. When that first estimate is below ``measure_below``
        seconds, one whole step is timed instead and returned. Otherwise the
        weights that took less than ``target`` seconds are timed once more
        on about ``target`` seconds' worth of elements (up to 256 times as
        many): the two sizes split each weight's time into a fixed part (what
        a pass prepares once) and a part per element, so that a small sample
        neither hides nor multiplies the fixed costs. The model's weights and
        non-trainable state are left as they were.

        Parameters
        ----------
        model : Model
            The model whose step is estimated.
        loss : str, Loss or Objective
            What :meth:`gradients` differentiates.
        x, y : numpy.ndarray
            One batch of inputs and labels.
        sample_weight : numpy.ndarray, optional
            Per-sample weights ``(n,)``.
        sample : int, default 16
            Elements first timed per weight.
        target : float, default 0.25
            Seconds of a weight's second, larger timing.
        measure_below : float, default 20.0
            Time one whole step when the first estimate is below this.

        Returns
        -------
        seconds : float
        coordinates : int
            The elements one step differentiates.
        """
        objective = Objective.get(loss)
        sizes = [w.value.size for w in model.trainable_weights]
        rng = np.random.default_rng(self.seed)
        small = [min(sample, n) for n in sizes]
        self._timed(model, objective, x, y, sample_weight, [1] * len(sizes), rng)  # warm-up: first-call costs
        first, setup = self._timed(model, objective, x, y, sample_weight, small, rng)
        scaled = setup + sum(t * n / max(k, 1) for t, n, k in zip(first, sizes, small, strict=True))
        if scaled < measure_below:
            whole, setup = self._timed(model, objective, x, y, sample_weight, sizes, rng)
            return float(setup + sum(whole)), int(sum(sizes))
        large = [min(n, int(k * min(256, target / max(t, 1e-9)))) if t < target else k
                 for n, k, t in zip(sizes, small, first, strict=True)]
        second = first
        if large != small:
            second, again = self._timed(model, objective, x, y, sample_weight,
                                        [m if m != k else 0 for m, k in zip(large, small, strict=True)], rng)
            setup = min(setup, again)
        seconds = setup
        for n, k1, t1, k2, t2 in zip(sizes, small, first, large, second, strict=True):
            per = (t2 - t1) / (k2 - k1) if k2 > k1 else 0.0
            if per > 0:
                seconds += max(t1 - per * k1, 0.0) + per * n
            else:  # one size, or noise larger than the difference: all of the time per element
                seconds += (t2 if k2 > k1 else t1) * n / max(k2, 1)
        return float(seconds), int(sum(sizes))

    def _timed(self, model, objective, x, y, sample_weight, counts, rng):
        """``(seconds per weight, seconds of the rest)`` differentiating ``counts[i]`` elements of weight ``i``."""
        weights = model.trainable_weights
        coords = [np.arange(k) if k == w.value.size else np.sort(rng.choice(w.value.size, k, replace=False))
                  for w, k in zip(weights, counts, strict=True)]
        grads = [np.zeros(w.shape, dtype=w.dtype) for w in weights]
        state = [w.value.copy() for w in model.non_trainable_weights]
        timings = []
        start = time.perf_counter()
        try:
            with DROPOUT_MODES[self.dropout](model):
                if self.vectorized:
                    central_differences.gradients(model, objective, x, y, sample_weight, weights, coords, grads,
                                                  self.epsilon, self.memory_budget, None, timings)
                else:
                    self._element_loop(model, objective, x, y, sample_weight, weights, coords, grads, None, timings)
        finally:
            for w, saved in zip(model.non_trainable_weights, state, strict=True):
                w.value[...] = saved
        return timings, max(time.perf_counter() - start - sum(timings), 0.0)

    def _gradients(self, model, objective, x, y, sample_weight, timings=None):
        weights = model.trainable_weights
        coords = self.coordinates(weights)
        grads = [np.full(w.shape, np.nan if self.max_coordinates else 0.0, dtype=w.dtype) for w in weights]
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=int(sum(len(c) for c in coords)), desc="numeric gradient", leave=False)
        try:
            if self.vectorized:
                value, outputs = central_differences.gradients(
                    model, objective, x, y, sample_weight, weights, coords, grads, self.epsilon,
                    self.memory_budget, bar, timings)
                self.last_outputs = (x, outputs)
            else:
                value = self._element_loop(model, objective, x, y, sample_weight, weights, coords, grads, bar,
                                           timings)
        finally:
            if bar is not None:
                bar.close()
        return value, grads

    def _element_loop(self, model, objective, x, y, sample_weight, weights, coords, grads, bar, timings):
        """The reference: each element perturbed in place, the whole model run twice."""
        # The reference forward pass runs in training mode once, so stateful
        # layers (batch-norm moving averages) update once per step; the state
        # they hold is then restored after every perturbed evaluation.
        value = objective.value(model, x, y, sample_weight)
        state = [w.value.copy() for w in model.non_trainable_weights]
        for w, g, idx in zip(weights, grads, coords, strict=True):
            start = time.perf_counter()
            flat, gflat = w.value.reshape(-1), g.reshape(-1)
            for i in idx:
                original = flat[i]
                try:
                    flat[i] = original + self.epsilon
                    plus = self._evaluate(model, objective, x, y, sample_weight, state)
                    flat[i] = original - self.epsilon
                    minus = self._evaluate(model, objective, x, y, sample_weight, state)
                finally:
                    flat[i] = original
                gflat[i] = (plus - minus) / (2 * self.epsilon)
                if bar is not None:
                    bar.update(1)
            if timings is not None:
                timings.append(time.perf_counter() - start)
        return value

    @staticmethod
    def _evaluate(model, objective, x, y, sample_weight, state):
        try:
            return objective.value(model, x, y, sample_weight)
        finally:
            for w, saved in zip(model.non_trainable_weights, state, strict=True):
                w.value[...] = saved


_NAMES = {"analytic": AnalyticGradient, "numeric": NumericGradient}


def get(identifier) -> GradientStrategy:
    """A strategy from ``"analytic"``, ``"numeric"``, a config dict or an instance.

    Parameters
    ----------
    identifier : str, dict or GradientStrategy
        A name, :func:`serialize`'s dict, or an instance (returned as is).
    """
    if isinstance(identifier, GradientStrategy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return lookup(_NAMES, identifier, "gradient strategy")()


def serialize(strategy):
    """``{"class_name": ..., "config": ...}`` of a strategy.

    Parameters
    ----------
    strategy : GradientStrategy
        The strategy.
    """
    return {"class_name": type(strategy).__name__, "config": strategy.get_config()}


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; user classes through ``custom_objects`` or a scope.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": ...}``.
    custom_objects : dict, optional
        ``{name: class}`` for strategies defined outside layergraph.
    """
    return STRATEGIES.deserialize(config, custom_objects)


class WeightCheck(NamedTuple):
    """How one weight fared in :func:`check`: its worst element and why.

    Attributes
    ----------
    name : str
        The weight's name.
    error : float
        Its largest error (see :func:`check`).
    index : tuple
        Where in the weight that error is.
    analytic : float
        Backpropagation's value there.
    numeric : float
        The central difference there.
    compared : int
        How many elements were compared.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,), seed=0, name="d")])
    >>> result = lg.gradients.check(model, "mse", np.ones((2, 2)), np.zeros((2, 1)))
    >>> [(w.name, w.compared) for w in result.weights]
    [('d/kernel', 2), ('d/bias', 1)]
    """

    name: str
    error: float
    index: tuple
    analytic: float
    numeric: float
    compared: int

    def describe(self, rtol, atol):
        """One line for a report: the verdict, the worst element, both values and the allowed difference.

        Parameters
        ----------
        rtol : float
            The relative tolerance of the check.
        atol : float
            The absolute tolerance of the check.
        """
        if not self.compared:
            return f"{self.name}: no coordinate compared"
        verdict = "ok" if self.error <= rtol else "FAILED"
        return (f"{self.name}: {verdict}, worst element {self.index}: analytic {self.analytic:.10g}, "
                f"numeric {self.numeric:.10g}, |difference| {abs(self.analytic - self.numeric):.3g} "
                f"(allowed {max(atol, rtol * (abs(self.analytic) + abs(self.numeric))):.3g}), "
                f"{self.compared} elements compared")


class GradientCheck(list):
    r"""The result of :func:`check`: one error per trainable weight, plus the details.

    It is a list of floats, the largest error of each weight, so
    ``max(result) < rtol`` holds exactly when every compared element passes.
    ``result.passed`` says the same, and ``result.weights`` holds a
    :class:`WeightCheck` per weight (worst element, both values, how many
    elements were compared); ``str(result)`` reports them.

    Parameters
    ----------
    errors : list of float
        The largest error of each weight.
    weights : list of WeightCheck
        The details, in the same order.
    rtol : float
        The relative tolerance the errors are compared with.
    atol : float
        The absolute tolerance.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(2, activation="tanh", input_shape=(3,), seed=0)])
    >>> result = lg.gradients.check(model, "mse", np.ones((4, 3)), np.zeros((4, 2)))
    >>> result.passed, len(result)
    (True, 2)
    """

    def __init__(self, errors, weights, rtol, atol):
        super().__init__(errors)
        self.weights, self.rtol, self.atol = list(weights), rtol, atol

    @property
    def passed(self):
        """Every compared element within ``max(atol, rtol * (|a| + |n|))``."""
        return all(e <= self.rtol for e in self)

    def __str__(self):
        head = f"gradient check {'passed' if self.passed else 'FAILED'} (rtol={self.rtol:g}, atol={self.atol:g})"
        return "\n".join([head, *("  " + w.describe(self.rtol, self.atol) for w in self.weights)])


def check(model, loss, x, y, numeric=None, analytic=None, rtol=1e-6, atol=1e-9):
    r"""Compare analytic and numeric gradients with a relative and an absolute tolerance.

    An element with analytic value :math:`a` and numeric value :math:`n`
    passes when

    .. math::
        |a - n| \le \max\bigl(\mathrm{atol},\ \mathrm{rtol}\,(|a| + |n|)\bigr),

    that is, when its error :math:`|a - n| / \max(|a| + |n|,\ \mathrm{atol} / \mathrm{rtol})`
    is at most ``rtol``. The relative part judges ordinary elements; the
    absolute part keeps elements near zero, whose central differences carry
    round-off of about :math:`10^{-16} L / \epsilon`, from failing on noise
    (as ``torch.autograd.gradcheck`` and DeZero's ``gradient_check`` also
    combine both). Elements the numeric strategy skipped (``nan`` when it
    samples coordinates) are ignored. Both strategies run in one
    :func:`~layergraph.framework.layers.frozen_masks` block, so they see the
    same dropout masks (with ``NumericGradient(dropout="off")``, both run
    without dropout), and non-trainable state (batch-norm statistics) is
    restored after each.

    Parameters
    ----------
    model : Model or Sequential (or a layer)
        Use float64 weights for meaningful results.
    loss : str or Loss or Objective
        The loss to differentiate (by name, e.g. ``"mse"``, or an object).
    x, y : numpy.ndarray, or lists/dicts for several inputs/outputs
        A small batch, as ``predict`` and ``fit`` take it.
    numeric : NumericGradient, optional
        Defaults to ``NumericGradient()`` (every coordinate).
    analytic : GradientStrategy, optional
        Defaults to ``AnalyticGradient()``; any strategy to test.
    rtol, atol : float
        The tolerances above.

    Returns
    -------
    GradientCheck
        A list with the largest error of each trainable weight (in
        ``model.trainable_weights`` order); ``.passed`` and ``str()`` tell
        which element failed and why.
    """
    numeric = numeric or NumericGradient()
    analytic = analytic or AnalyticGradient()
    x = model.prepare_inputs(x)
    state = [w.value.copy() for w in model.non_trainable_weights]
    try:
        with DROPOUT_MODES[numeric.dropout](model):  # analytic and numeric see the same dropout masks
            _, a_grads = analytic.gradients(model, loss, x, y)
            for w, saved in zip(model.non_trainable_weights, state, strict=True):
                w.value[...] = saved
            _, n_grads = numeric.gradients(model, loss, x, y)
    finally:
        for w, saved in zip(model.non_trainable_weights, state, strict=True):
            w.value[...] = saved
    floor = atol / rtol
    errors, reports = [], []
    for w, a, n in zip(model.trainable_weights, a_grads, n_grads, strict=True):
        a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
        mask = ~np.isnan(n)
        if not mask.any():
            errors.append(0.0)
            reports.append(WeightCheck(w.name, 0.0, (), math.nan, math.nan, 0))
            continue
        error = np.where(mask, np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor), -1.0)
        worst = np.unravel_index(int(np.argmax(error)), error.shape)
        errors.append(float(error[worst]))
        reports.append(WeightCheck(w.name, float(error[worst]), tuple(int(i) for i in worst), float(a[worst]),
                                   float(n[worst]), int(mask.sum())))
    return GradientCheck(errors, reports, rtol, atol)
