r"""Full-batch training with :func:`scipy.optimize.minimize`: :class:`ScipyOptimizer` and :class:`ScipyTrainer`.

A minimiser that sees the whole problem at once is not a per-step update
rule, so it is not an :class:`~layergraph.framework.optimizers.Optimizer`:
it is a different way to train, a :class:`~layergraph.framework.trainer.Trainer`
whose epoch is one call of the solver. ``model.compile(optimizer=ScipyOptimizer(...))``
(or ``optimizer="lbfgs"``) picks this trainer; the optimizer object holds
the solver's settings and counts its iterations.

Each epoch flattens ``model.trainable_weights`` into one float64 vector
:math:`\theta`, and scipy minimises the full-batch objective (the loss with
weight penalties and added losses, as every path computes it) from the
current weights for at most ``maxiter`` iterations. The objective and its
gradient come from the trainer's gradient strategy, so
``gradient="analytic"`` and ``gradient="numeric"`` both work. The lowest
objective seen is written back into the weights. ``batch_size``,
``shuffle`` and learning rates do not apply. Suited to small, deterministic
problems (the gate and XOR nets); layers that are random in training
(dropout) make the objective noisy.

Example
-------
>>> import numpy as np, layergraph as lg
>>> model = lg.Sequential([lg.layers.Dense(1, activation="sigmoid", input_shape=(2,),
...                                        kernel_initializer="zeros")])
>>> model.compile(optimizer=lg.optimizers.ScipyOptimizer(maxiter=50), loss="binary_crossentropy")
>>> x = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = np.array([0., 0., 0., 1.])
>>> history = model.fit(x, y, epochs=2, verbose=0)
>>> model.predict(x).round().ravel().tolist()
[0.0, 0.0, 0.0, 1.0]
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from . import optimizers as optimizers_module
from ._checks import check_number
from .naming import lookup
from .optimizers import OPTIMIZERS
from .trainer import Trainer, _BadInput

__all__ = ["ScipyOptimizer", "ScipyTrainer", "get_optimizer"]


class ScipyOptimizer:
    """The settings of full-batch training with :func:`scipy.optimize.minimize` (L-BFGS-B by default).

    Each epoch of ``fit`` is one call of the solver on the whole training
    set (``batch_size`` is ignored); the gradient comes from the compiled
    gradient strategy.

    Parameters
    ----------
    method : str
        ``"L-BFGS-B"``, ``"BFGS"``, ``"CG"``, ``"TNC"``, ``"SLSQP"`` (use the
        gradient) or ``"Nelder-Mead"``, ``"Powell"`` (objective values only).
    options : dict, optional
        Solver options for scipy, e.g. ``{"gtol": 1e-10}``; they override
        ``maxiter``.
    maxiter : int
        Solver iterations per epoch (function evaluations for TNC).
    tol : float, optional
        scipy's ``tol``.
    name : str, optional
        Default ``"scipy_optimizer"``.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> x = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = np.array([0., 1., 1., 0.])
    >>> model = lg.Sequential([lg.layers.Dense(4, activation="tanh", input_shape=(2,), seed=1),
    ...                        lg.layers.Dense(1, activation="sigmoid", seed=2)])
    >>> model.compile(optimizer=lg.optimizers.ScipyOptimizer(maxiter=200), loss="binary_crossentropy")
    >>> _ = model.fit(x, y, epochs=1, verbose=0)
    >>> model.predict(x).round().ravel().tolist()
    [0.0, 1.0, 1.0, 0.0]

    Attributes
    ----------
    iterations : int
        Solver iterations run so far, over all epochs.
    result : scipy.optimize.OptimizeResult
        The last epoch's result (``None`` before the first).
    """

    GRADIENT_METHODS = ("L-BFGS-B", "BFGS", "CG", "TNC", "SLSQP")
    VALUE_METHODS = ("Nelder-Mead", "Powell")

    def __init__(self, method="L-BFGS-B", options=None, maxiter=100, tol=None, name=None):
        methods = {m.lower(): m for m in self.GRADIENT_METHODS + self.VALUE_METHODS}
        if not isinstance(method, str) or method.lower() not in methods:
            raise ValueError(f"ScipyOptimizer: unsupported method {method!r}; valid methods: "
                             f"{', '.join(methods.values())}")
        if not isinstance(maxiter, (int, np.integer)) or isinstance(maxiter, bool) or maxiter < 1:
            raise ValueError(f"ScipyOptimizer: invalid maxiter {maxiter!r}; expected a positive integer")
        if options is not None and not isinstance(options, dict):
            raise ValueError(f"ScipyOptimizer: options must be a dict, got {type(options).__name__}")
        if tol is not None:
            check_number("ScipyOptimizer", "tol", tol)
        self.method = methods[method.lower()]
        self.options = dict(options or {})
        self.maxiter = int(maxiter)
        self.tol = tol
        self.name = name or "scipy_optimizer"
        self.iterations = 0
        self.result = None

    def solver_options(self):
        """The ``options`` passed to scipy (``maxiter``, or ``maxfun`` for TNC, then the user's)."""
        key = "maxfun" if self.method == "TNC" else "maxiter"
        return {key: self.maxiter, **self.options}

    # The trainer's view of an optimizer: no per-step state to keep or undo.
    def state_arrays(self):
        return []

    def state_layout(self, variables):
        return []

    def get_state(self, variables):
        """``{"iterations": ..., "slots": []}``: the solver keeps no per-weight state.

        Parameters
        ----------
        variables : list of Variable
            The model's weights (unused; the signature of :meth:`Optimizer.get_state`).
        """
        return {"iterations": int(self.iterations), "slots": []}

    def set_state(self, variables, state):
        """Restore the iteration count of :meth:`get_state`'s result.

        Parameters
        ----------
        variables : list of Variable
            The model's weights (unused).
        state : dict
            What :meth:`get_state` returned.
        """
        try:
            iterations = int(state["iterations"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"ScipyOptimizer: invalid state ({err!r})") from None
        if state.get("slots"):
            raise ValueError("ScipyOptimizer keeps no per-weight state")
        self.iterations = iterations

    def get_config(self):
        """The constructor arguments (JSON-able)."""
        return {"method": self.method, "options": dict(self.options), "maxiter": self.maxiter, "tol": self.tol}

    @classmethod
    def from_config(cls, config):
        """A new instance from :meth:`get_config`'s dict.

        Parameters
        ----------
        config : dict
            What :meth:`get_config` returned.
        """
        return cls(**config)

    def __repr__(self):
        return f"ScipyOptimizer({self.get_config()})"


OPTIMIZERS.register(ScipyOptimizer)


def get_optimizer(identifier):
    """An optimizer from a name (``"sgd"``, ``"adam"``, ``"lbfgs"``...), class, config dict or instance.

    Parameters
    ----------
    identifier : str, type, dict or Optimizer or ScipyOptimizer
        A name, an optimizer class (made with its defaults), a serialised
        dict, or an instance (returned as is). ``"lbfgs"`` and
        :class:`ScipyOptimizer` train full-batch with scipy.

    Example
    -------
    >>> import layergraph as lg
    >>> type(lg.optimizers.get("adam")).__name__, type(lg.optimizers.get("lbfgs")).__name__
    ('Adam', 'ScipyOptimizer')
    """
    if isinstance(identifier, ScipyOptimizer):
        return identifier
    if identifier is ScipyOptimizer:
        return ScipyOptimizer()
    if isinstance(identifier, str):
        names = {**{name: None for name in optimizers_module.NAMES}, "lbfgs": ScipyOptimizer}
        if lookup(names, identifier, "optimizer") is ScipyOptimizer:
            return ScipyOptimizer()
    return optimizers_module.get(identifier)


class ScipyTrainer(Trainer):
    """A :class:`Trainer` whose epoch is one run of :func:`scipy.optimize.minimize` on all the data."""

    @staticmethod
    def accepts(optimizer):
        """Whether ``compile(optimizer=...)`` asks for full-batch training."""
        return isinstance(optimizer, ScipyOptimizer) or (isinstance(optimizer, str) and optimizer.lower() == "lbfgs")

    def _get_optimizer(self, identifier):
        return identifier if isinstance(identifier, ScipyOptimizer) else ScipyOptimizer()

    def train_step(self, x, y, sample_weight=None):
        raise TypeError("ScipyOptimizer minimises the whole problem at once: use model.fit with it, not train_step")

    def _run_epoch(self, xs, ys, sws, batches, steps, epoch, cbs):
        model = self.model
        x = model.arrays_for_forward(xs)
        y = ys if len(ys) > 1 else ys[0]
        sw = None if sws is None else (sws if len(sws) > 1 else sws[0])
        cbs.on_train_batch_begin(0, {})
        self._reset_metrics()
        try:
            value = self._minimize(x, y, sw)
        except (ValueError, TypeError) as err:  # bad input met by the solver's evaluations: undo everything
            raise _BadInput(err) from None
        if value is None:
            self._stop_nonfinite(epoch, 0, xs)
            return None
        if self.metrics:
            self._update_metrics(y, model.forward(x, training=False)[0], sw)
        logs = {"loss": value, **self._metric_results()}
        cbs.on_train_batch_end(0, dict(logs))
        return logs

    def _minimize(self, x, y, sample_weight):
        """One solver run from the current weights; the best objective seen (``None`` if none was finite)."""
        optimizer, model = self.optimizer, self.model
        weights = model.trainable_weights
        if not weights:
            raise ValueError(f"ScipyOptimizer: model {model.name!r} has no trainable weights")
        splits = np.cumsum([w.value.size for w in weights])[:-1]
        theta0 = np.concatenate([w.value.ravel() for w in weights]).astype(np.float64)
        best = {"loss": math.inf, "theta": theta0}

        def assign(theta):
            for w, part in zip(weights, np.split(theta, splits), strict=True):
                w.value[...] = part.reshape(w.shape)

        def remember(value, theta):
            if value < best["loss"]:
                best["loss"], best["theta"] = value, theta.copy()

        def value_and_grad(theta):
            assign(theta)
            value, grads = self.gradient.gradients(model, self.objective, x, y, sample_weight)
            flat = np.concatenate([np.ravel(g) for g in grads]).astype(np.float64)
            if not (math.isfinite(value) and np.all(np.isfinite(flat))):
                return math.inf, np.zeros_like(theta)  # makes the line search step back
            remember(value, theta)
            return value, flat

        def value_only(theta):
            assign(theta)
            value = self.objective.value(model, x, y, sample_weight)
            if not math.isfinite(value):
                return math.inf
            remember(value, theta)
            return value

        gradient_based = optimizer.method in optimizer.GRADIENT_METHODS
        try:
            # The solver probes extreme weights; the non-finite objectives it may
            # meet there are handled above, so numpy need not warn about them.
            with np.errstate(all="ignore"):
                optimizer.result = minimize(value_and_grad if gradient_based else value_only, theta0.copy(),
                                            jac=gradient_based or None, method=optimizer.method, tol=optimizer.tol,
                                            options=optimizer.solver_options())
        finally:
            assign(best["theta"])  # the best point seen (the start if none was finite)
        optimizer.iterations += int(optimizer.result.get("nit", 0))
        return best["loss"] if math.isfinite(best["loss"]) else None
