r"""Optimizers with Keras names, defaults and update rules.

The base class is a template method: :meth:`Optimizer.apply` validates the
gradients, applies the shared hooks (gradient clipping, learning-rate
schedule) and calls :meth:`Optimizer.update_step` once per variable. State
(momenta, accumulators) is keyed by the :class:`Variable` object, never by
its name.

Example
-------
>>> import numpy as np
>>> from layergraph.framework.optimizers import SGD
>>> from layergraph.framework.variables import Variable
>>> w = Variable(np.array([1.0, 2.0]))
>>> SGD(learning_rate=0.1).apply([w], [np.array([1.0, -1.0])])
>>> w.value
array([0.9, 2.1])
"""
from __future__ import annotations

import math

import numpy as np

from ._checks import check_number as _check_number
from .naming import lookup
from . import schedules
from .schedules import ExponentialDecay, LearningRateSchedule, PiecewiseConstantDecay, StepDecay
from .schedules import deserialize as _deserialize_schedule
from .schedules import serialize as _serialize_schedule


# -- optimizers -------------------------------------------------------------------
class Optimizer:
    """Base class. Subclasses implement :meth:`update_step`.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
    clipnorm : float, optional
        Rescale each gradient whose L2 norm exceeds this value.
    global_clipnorm : float, optional
        Rescale all gradients together when their joint norm exceeds it.
    """

    def __init__(self, learning_rate=0.01, clipnorm=None, global_clipnorm=None, name=None):
        if not isinstance(learning_rate, LearningRateSchedule):
            _check_number(type(self).__name__, "learning rate", learning_rate)
        for label, value in (("clipnorm", clipnorm), ("global_clipnorm", global_clipnorm)):
            if value is not None:
                _check_number(type(self).__name__, label, value)
        self.learning_rate = learning_rate
        self.clipnorm, self.global_clipnorm = clipnorm, global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._state: dict = {}

    @property
    def current_learning_rate(self):
        """The rate the next step will use (after the schedule)."""
        lr = self.learning_rate
        return float(lr(self.iterations)) if isinstance(lr, LearningRateSchedule) else float(lr)

    def state_for(self, var, key, init=np.zeros_like):
        """Per-variable state ``key``, created by ``init(var.value)`` on first use."""
        slots = self._state.setdefault(var, {})
        if key not in slots:
            slots[key] = init(var.value)
        return slots[key]

    def apply(self, variables, grads):
        """Update ``variables`` in place from ``grads`` (same order and shapes)."""
        variables, grads = list(variables), [g if isinstance(g, np.ndarray) else np.asarray(g) for g in grads]
        if len(variables) != len(grads):
            raise ValueError(f"{type(self).__name__}: {len(variables)} variables but {len(grads)} gradients")
        if [g.shape for g in grads] != [v.value.shape for v in variables]:  # one comparison: this runs every step
            for v, g in zip(variables, grads):
                if g.shape != v.value.shape:
                    raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} for {v.name} of shape "
                                     f"{v.value.shape}")
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
            if norm > self.global_clipnorm:
                grads = [g * (self.global_clipnorm / norm) for g in grads]
        if self.clipnorm is not None:
            grads = [self._clip(g) for g in grads]
        lr = self.current_learning_rate
        for v, g in zip(variables, grads):
            self.update_step(v, g if g.dtype == v.value.dtype else g.astype(v.value.dtype), lr)
        self.iterations += 1

    def apply_gradients(self, grads_and_vars):
        """Keras spelling: ``apply_gradients([(grad, var), ...])``."""
        pairs = list(grads_and_vars)
        self.apply([v for _, v in pairs], [g for g, _ in pairs])

    def _clip(self, g):
        norm = float(np.sqrt(np.vdot(g, g)))
        return g * (self.clipnorm / norm) if norm > self.clipnorm else g

    def update_step(self, var, grad, lr):
        """Update one variable in place."""
        raise NotImplementedError

    def get_config(self):
        lr = self.learning_rate
        lr = _serialize_schedule(lr) if isinstance(lr, LearningRateSchedule) else lr
        return {"learning_rate": lr, "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = _deserialize_schedule(lr)
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    Keras' rule: :math:`v \leftarrow \mu v - \eta g`; :math:`w \leftarrow w + v`
    (or :math:`w \leftarrow w + \mu v - \eta g` with Nesterov).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _check_number("SGD", "momentum", momentum, low=0.0, low_inclusive=True, high=1.0, high_inclusive=False)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def update_step(self, var, grad, lr):
        if self.momentum == 0.0:
            var.value -= lr * grad
            return
        v = self.state_for(var, "velocity")
        v *= self.momentum
        v -= lr * grad
        if self.nesterov:
            var.value += self.momentum * v - lr * grad
        else:
            var.value += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    r""":math:`a \leftarrow a + g^2`; :math:`w \leftarrow w - \eta g / (\sqrt{a} + \epsilon)` (Keras defaults)."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _check_number("Adagrad", "initial_accumulator_value", initial_accumulator_value, low_inclusive=True)
        _check_number("Adagrad", "epsilon", epsilon, low_inclusive=True)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def update_step(self, var, grad, lr):
        acc = self.state_for(var, "accumulator", lambda w: np.full_like(w, self.initial_accumulator_value))
        acc += grad * grad
        var.value -= lr * grad / (np.sqrt(acc) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    r""":math:`s \leftarrow \rho s + (1-\rho) g^2`; :math:`w \leftarrow w - \eta g / (\sqrt{s} + \epsilon)`, optional momentum."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _check_number("RMSprop", "rho", rho, low_inclusive=True, high=1.0, high_inclusive=False)
        _check_number("RMSprop", "momentum", momentum, low_inclusive=True, high=1.0, high_inclusive=False)
        _check_number("RMSprop", "epsilon", epsilon, low_inclusive=True)
        self.rho, self.momentum, self.epsilon = rho, momentum, epsilon

    def update_step(self, var, grad, lr):
        s = self.state_for(var, "velocity")
        s *= self.rho
        s += (1 - self.rho) * grad * grad
        step = lr * grad / (np.sqrt(s) + self.epsilon)
        if self.momentum:
            m = self.state_for(var, "momentum")
            m *= self.momentum
            m += step
            step = m
        var.value -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}


class Adam(Optimizer):
    r"""Adam (Kingma & Ba) with Keras defaults and Keras' bias-correction form.

    :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
    :math:`w \leftarrow w - \eta \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t} \frac{m}{\sqrt{v} + \epsilon}`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        for label, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            _check_number("Adam", label, value, low_inclusive=True, high=1.0, high_inclusive=False)
        _check_number("Adam", "epsilon", epsilon, low_inclusive=True)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def update_step(self, var, grad, lr):
        m = self.state_for(var, "m")
        v = self.state_for(var, "v")
        t = self.iterations + 1
        alpha = lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        m += (1 - self.beta_1) * (grad - m)
        v += (1 - self.beta_2) * (grad * grad - v)
        var.value -= alpha * m / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class ScipyOptimizer:
    r"""Full-batch training with :func:`scipy.optimize.minimize` (L-BFGS-B by default).

    Not a per-step optimizer: ``model.fit`` calls :meth:`minimize_model` once
    per epoch. It flattens ``model.trainable_weights`` into one float64 vector
    :math:`\theta`, and scipy minimises the full-batch loss (weight penalties
    included) from the current weights for at most ``maxiter`` iterations. The
    loss and its gradient come from the trainer's gradient strategy, so
    ``gradient="analytic"`` and ``gradient="numeric"`` both work. The lowest
    loss seen is written back into the weights. ``batch_size``, ``shuffle``
    and learning rates do not apply. Suited to small, deterministic problems
    (the gate and XOR nets); layers that are random in training (dropout)
    make the objective noisy.

    Parameters
    ----------
    method : str
        ``"L-BFGS-B"``, ``"BFGS"``, ``"CG"``, ``"TNC"``, ``"SLSQP"`` (use the
        gradient) or ``"Nelder-Mead"``, ``"Powell"`` (loss values only).
    options : dict, optional
        Solver options for scipy, e.g. ``{"gtol": 1e-10}``; they override
        ``maxiter``.
    maxiter : int
        Solver iterations per epoch (function evaluations for TNC).
    tol : float, optional
        scipy's ``tol``.

    Attributes
    ----------
    iterations : int
        Solver iterations run so far, over all epochs.
    result : scipy.optimize.OptimizeResult
        The last epoch's result (``None`` before the first).

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

    GRADIENT_METHODS = ("L-BFGS-B", "BFGS", "CG", "TNC", "SLSQP")
    VALUE_METHODS = ("Nelder-Mead", "Powell")

    def __init__(self, method="L-BFGS-B", options=None, maxiter=100, tol=None, name=None):
        methods = {m.lower(): m for m in self.GRADIENT_METHODS + self.VALUE_METHODS}
        if not isinstance(method, str) or method.lower() not in methods:
            raise ValueError(f"ScipyOptimizer: unsupported method {method!r}; valid methods: {', '.join(methods.values())}")
        if not isinstance(maxiter, (int, np.integer)) or isinstance(maxiter, bool) or maxiter < 1:
            raise ValueError(f"ScipyOptimizer: invalid maxiter {maxiter!r}; expected a positive integer")
        if options is not None and not isinstance(options, dict):
            raise ValueError(f"ScipyOptimizer: options must be a dict, got {type(options).__name__}")
        if tol is not None:
            _check_number("ScipyOptimizer", "tol", tol)
        self.method = methods[method.lower()]
        self.options = dict(options or {})
        self.maxiter = int(maxiter)
        self.tol = tol
        self.name = name or "scipy_optimizer"
        self.iterations = 0
        self.result = None

    def _solver_options(self):
        key = "maxfun" if self.method == "TNC" else "maxiter"
        return {key: self.maxiter, **self.options}

    def minimize_model(self, trainer, x, y):
        """One epoch: minimise ``trainer.loss`` on all of ``(x, y)``.

        Returns
        -------
        dict or None
            The epoch logs, ``{"loss": ...}`` plus the trainer's metrics, at
            the weights written back; ``None`` (weights unchanged) if no
            finite loss was found.
        """
        from scipy.optimize import minimize

        from .gradients import total_loss  # local: gradients imports the layers package

        model = trainer.model
        weights = model.trainable_weights
        if not weights:
            raise ValueError(f"ScipyOptimizer: model {model.name!r} has no trainable weights")
        splits = np.cumsum([w.value.size for w in weights])[:-1]
        theta0 = np.concatenate([w.value.ravel() for w in weights]).astype(np.float64)
        best = {"loss": math.inf, "theta": theta0}

        def assign(theta):
            for w, part in zip(weights, np.split(theta, splits)):
                w.value[...] = part.reshape(w.shape)

        def remember(value, theta):
            if value < best["loss"]:
                best["loss"], best["theta"] = value, theta.copy()

        def value_and_grad(theta):
            assign(theta)
            value, grads = trainer.gradient.gradients(model, trainer.loss, x, y)
            flat = np.concatenate([np.ravel(g) for g in grads]).astype(np.float64)
            if not (math.isfinite(value) and np.all(np.isfinite(flat))):
                return math.inf, np.zeros_like(theta)  # makes the line search step back
            remember(value, theta)
            return value, flat

        def value_only(theta):
            assign(theta)
            value = total_loss(model, trainer.loss, x, y)
            if not math.isfinite(value):
                return math.inf
            remember(value, theta)
            return value

        gradient_based = self.method in self.GRADIENT_METHODS
        try:
            # The solver probes extreme weights; the non-finite losses it may
            # meet there are handled above, so numpy need not warn about them.
            with np.errstate(all="ignore"):
                self.result = minimize(value_and_grad if gradient_based else value_only, theta0.copy(),
                                       jac=gradient_based or None, method=self.method, tol=self.tol,
                                       options=self._solver_options())
        finally:
            assign(best["theta"])  # the best point seen (the start if none was finite)
        self.iterations += int(getattr(self.result, "nit", 0))
        if not math.isfinite(best["loss"]):
            return None
        logs = {"loss": best["loss"]}
        if trainer.metrics:
            y_pred = model.forward(x, training=False)[0]
            logs.update({name: fn(y, y_pred) for name, fn in trainer.metrics})
        return logs

    def get_config(self):
        return {"method": self.method, "options": dict(self.options), "maxiter": self.maxiter, "tol": self.tol}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"ScipyOptimizer({self.get_config()})"


_OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam, "lbfgs": ScipyOptimizer}


def get(identifier) -> Optimizer:
    """An optimizer from a name (``"sgd"``, ``"adam"``, ...), class or instance."""
    if isinstance(identifier, Optimizer) or (not isinstance(identifier, type) and hasattr(identifier, "minimize_model")):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, (Optimizer, ScipyOptimizer)):
        return identifier()
    return lookup(_OPTIMIZERS, identifier, "optimizer")()


def serialize(opt):
    return {"class_name": type(opt).__name__, "config": opt.get_config()}


def deserialize(config):
    """Inverse of :func:`serialize` for the built-in optimizers."""
    classes = {cls.__name__: cls for cls in _OPTIMIZERS.values()}
    if config.get("class_name") not in classes:
        raise ValueError(f"Unknown optimizer class {config.get('class_name')!r}; known: {', '.join(sorted(classes))}")
    return classes[config["class_name"]].from_config(config["config"])
