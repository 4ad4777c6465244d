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

from . import schedules
from ._checks import check_number as _check_number
from .naming import Registry, lookup
from .schedules import ExponentialDecay, LearningRateSchedule, PiecewiseConstantDecay, StepDecay
from .schedules import deserialize as _deserialize_schedule
from .schedules import serialize as _serialize_schedule

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "get", "serialize", "deserialize", "schedules",
           "LearningRateSchedule", "ExponentialDecay", "StepDecay", "PiecewiseConstantDecay", "OPTIMIZERS", "NAMES"]

#: Every :class:`Optimizer` subclass by class name, for :func:`deserialize`.
OPTIMIZERS = Registry("optimizer")


# -- optimizers -------------------------------------------------------------------
class Optimizer:
    """Base class of the optimizers: subclasses write one update rule, the base does the rest.

    Subclasses implement :meth:`update_step`.

    The trainer calls :meth:`apply` once per step. State (momenta,
    accumulators) is created through :meth:`state_for`, keyed by the
    :class:`Variable` object, and saved and restored through
    :meth:`get_state` / :meth:`set_state` (by the variable's position in the
    list given, never by name).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
        A positive number, or a schedule of the step count.
    clipnorm : float, optional
        Rescale each gradient whose L2 norm exceeds this value.
    global_clipnorm : float, optional
        Rescale all gradients together when their joint norm exceeds it.
    name : str, optional
        Default: the class name in lower case.

    Example
    -------
    A custom rule: sign descent.

    >>> import numpy as np, layergraph as lg
    >>> class SignSGD(lg.optimizers.Optimizer):
    ...     def update_step(self, var, grad, lr):
    ...         var.value -= lr * np.sign(grad)
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,), kernel_initializer="zeros")])
    >>> model.compile(optimizer=SignSGD(0.5), loss="mse")
    >>> _ = model.fit(np.ones((4, 2)), np.ones(4), batch_size=4, verbose=0)
    >>> model.get_weights()[0].ravel().tolist()
    [0.5, 0.5]
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        OPTIMIZERS.register(cls)

    def __init__(self, learning_rate=0.01, clipnorm=None, global_clipnorm=None, name=None):
        for label, value in (("clipnorm", clipnorm), ("global_clipnorm", global_clipnorm)):
            if value is not None:
                _check_number(type(self).__name__, label, value)
        self.learning_rate = learning_rate
        self.clipnorm, self.global_clipnorm = clipnorm, global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._state: dict = {}

    @property
    def learning_rate(self):
        """The rate (a positive number) or its schedule; assignments are validated."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if not isinstance(value, LearningRateSchedule):
            _check_number(type(self).__name__, "learning rate", value)
            value = float(value)
        self._learning_rate = value

    @property
    def current_learning_rate(self):
        """The rate the next step will use (after the schedule); ``ValueError`` if a schedule gives a bad one."""
        lr = self._learning_rate
        if not isinstance(lr, LearningRateSchedule):
            return lr
        try:
            value = float(lr(self.iterations))
        except (ArithmeticError, TypeError, ValueError) as err:  # e.g. decay_rate ** step overflowing
            raise ValueError(f"{type(self).__name__}: the learning-rate schedule {type(lr).__name__} failed at step "
                             f"{self.iterations} ({type(err).__name__}: {err})") from None
        # 0 is a rate a schedule may give (a warmup from 0, a cosine decayed to alpha=0), as in
        # Keras; a fixed rate of 0 is rejected by the setter, where it can only be a mistake.
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{type(self).__name__}: the learning-rate schedule {type(lr).__name__} gave "
                             f"{value!r} at step {self.iterations}; a rate must be a non-negative finite number")
        return value

    def state_for(self, var, key, init=np.zeros_like):
        """Per-variable state ``key``, created by ``init(var.value)`` on first use.

        Parameters
        ----------
        var : Variable
            The weight (state is keyed by the object, never by its name).
        key : str
            Name of the slot, e.g. ``"momentum"``.
        init : callable, default numpy.zeros_like
            ``init(value) -> array`` of the weight's shape.
        """
        slots = self._state.setdefault(var, {})
        if key not in slots:
            slots[key] = init(var.value)
        return slots[key]

    def state_arrays(self):
        """Every state array, in a stable order (the trainer keeps copies to undo a step)."""
        if not self._state:  # (the trainer asks at every step; plain SGD has none)
            return []
        return [arr for slots in self._state.values() for arr in slots.values()]

    def state_layout(self, variables):
        """``[(index in variables, slot name), ...]`` in :meth:`state_arrays`' order."""
        index = {id(v): i for i, v in enumerate(variables)}
        return [(index[id(var)], name) for var, slots in self._state.items() for name in slots]

    def get_state(self, variables):
        """The optimizer's state for ``variables``: ``{"iterations": int, "slots": [(index, slot, array), ...]}``.

        Parameters
        ----------
        variables : list of Variable
            The weights, in the order ``set_state`` will be given them;
            ``index`` in the result is a position in this list. Arrays are
            copies.
        """
        index = {id(v): i for i, v in enumerate(variables)}
        slots = [(index[id(var)], name, arr.copy()) for var, state in self._state.items() if id(var) in index
                 for name, arr in state.items()]
        return {"iterations": int(self.iterations), "slots": slots}

    def set_state(self, variables, state):
        """Restore :meth:`get_state`'s result for ``variables``; validates everything before changing anything.

        Parameters
        ----------
        variables : list of Variable
            The weights, in the order given to :meth:`get_state`.
        state : dict
            What :meth:`get_state` returned.
        """
        variables = list(variables)
        try:
            iterations = state["iterations"]
            entries = list(state["slots"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{type(self).__name__}: invalid optimizer state ({err!r})") from None
        if not isinstance(iterations, (int, np.integer)) or isinstance(iterations, bool) or iterations < 0:
            raise ValueError(f"{type(self).__name__}: invalid iteration count {iterations!r:.80}; expected an "
                             f"integer >= 0")
        iterations = int(iterations)
        new = {}
        for entry in entries:
            try:
                i, name, value = entry
            except (TypeError, ValueError):
                raise ValueError(f"{type(self).__name__}: invalid optimizer state entry {entry!r:.80}") from None
            if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(variables):
                raise ValueError(f"{type(self).__name__}: optimizer state refers to weight {i!r}; "
                                 f"there are {len(variables)}")
            var = variables[i]
            value = np.asarray(value)
            if value.shape != var.shape:
                raise ValueError(f"{type(self).__name__}: optimizer state {name!r} of {var.name} has shape "
                                 f"{value.shape}, the weight {var.shape}")
            if value.dtype.kind != "f":
                raise ValueError(f"{type(self).__name__}: optimizer state {name!r} of {var.name} must be floating, "
                                 f"got {value.dtype}")
            new.setdefault(var, {})[str(name)] = value.astype(var.dtype, copy=True)
        self._state = new
        self.iterations = iterations

    def apply(self, variables, grads, packed=None):
        """Update ``variables`` in place from ``grads`` (same order and shapes).

        Validates every shape first (a bad one changes nothing), clips,
        evaluates the learning-rate schedule and calls :meth:`update_step`
        once per variable (or :meth:`update_packed` once, when given
        ``packed`` and the rule allows it).

        Parameters
        ----------
        variables : list of Variable
            The weights to update.
        grads : list of numpy.ndarray
            ``dL/dw`` for each, same shapes.
        packed : PackedWeights, optional
            The values of ``variables`` as consecutive parts of one buffer,
            in their order (the trainer packs a model's weights so).
        """
        if len(variables) != len(grads):
            raise ValueError(f"{type(self).__name__}: {len(variables)} variables but {len(grads)} gradients")
        for v, g in zip(variables, grads, strict=True):  # every shape first: a bad one changes nothing
            if type(g) is not np.ndarray or g.shape != v.value.shape:
                grads = [np.asarray(g) for g in grads]
                for v, g in zip(variables, grads, strict=True):
                    if g.shape != v.value.shape:
                        raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} for {v.name} of shape "
                                         f"{v.value.shape}")
                break
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
            if norm > self.global_clipnorm:
                grads = [g * (self.global_clipnorm / norm) for g in grads]
        if self.clipnorm is not None:
            grads = [self._clip(g) for g in grads]
        lr = self.current_learning_rate
        if packed is None or not self.update_packed(packed, grads, lr):
            for v, g in zip(variables, grads, strict=True):
                self.update_step(v, g if g.dtype == v.value.dtype else g.astype(v.value.dtype), lr)
        self.iterations += 1

    def apply_gradients(self, grads_and_vars):
        """Keras spelling: ``apply_gradients([(grad, var), ...])``.

        Parameters
        ----------
        grads_and_vars : iterable of (numpy.ndarray, Variable)
            Each gradient with its weight.
        """
        pairs = list(grads_and_vars)
        self.apply([v for _, v in pairs], [g for g, _ in pairs])

    def _clip(self, g):
        norm = float(np.sqrt(np.vdot(g, g)))
        return g * (self.clipnorm / norm) if norm > self.clipnorm else g

    def update_step(self, var, grad, lr):
        """Update one variable in place: what a subclass implements.

        Parameters
        ----------
        var : Variable
            The weight; change ``var.value`` in place.
        grad : numpy.ndarray
            Its gradient (clipped), in the weight's dtype.
        lr : float
            The learning rate of this step (after the schedule).
        """
        raise NotImplementedError

    def update_packed(self, packed, grads, lr):
        """Update every variable at once in ``packed.values``, as :meth:`update_step` would one by one;
        return whether it did.

        The default does not (``False``): :meth:`apply` then calls
        :meth:`update_step` per variable. A rule that is the same for every
        element and keeps no per-variable state (plain SGD) overrides it, so
        that a small model's step costs a few numpy calls however many
        weights it has.

        Parameters
        ----------
        packed : PackedWeights
            The variables' values, packed (updated in place).
        grads : list of numpy.ndarray
            The gradients (clipped), in the variables' order.
        lr : float
            The learning rate of this step (after the schedule).
        """
        return False

    def get_config(self):
        """The constructor arguments (JSON-able; a schedule as its config)."""
        lr = self.learning_rate
        lr = _serialize_schedule(lr) if isinstance(lr, LearningRateSchedule) else lr
        return {"learning_rate": lr, "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config):
        """A new optimizer from :meth:`get_config`'s dict.

        Parameters
        ----------
        config : dict
            What :meth:`get_config` returned.
        """
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = _deserialize_schedule(lr)
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


#: Most elements for which plain SGD updates the packed buffer in one go: beyond it, gathering the
#: gradients (one more pass over memory) costs more than the calls it saves.
_PACK_SGD_MAX = 1 << 14


class PackedWeights:
    """Variables whose values are consecutive parts of one 1-D buffer, in order (as the trainer
    keeps a model's weights during ``fit``), with a buffer of the same layout for their gradients.

    Parameters
    ----------
    values : numpy.ndarray
        The 1-D buffer of the values.
    shapes : list of tuple
        The variables' shapes, in order (their sizes add up to ``values.size``).
    """

    def __init__(self, values, shapes):
        self.values, self.shapes = values, list(shapes)
        self._grads = self._grad_views = None

    def gather(self, grads):
        """``grads`` (of the variables' shapes, in order) packed into the gradient buffer, in the
        values' dtype (cast as ``astype`` does); the buffer, made at the first call, is reused."""
        if self._grads is None:
            self._grads, self._grad_views, start = np.empty_like(self.values), [], 0
            for shape in self.shapes:
                size = math.prod(shape)
                self._grad_views.append(self._grads[start:start + size].reshape(shape))
                start += size
        # Assignments into views made once: half the cost of np.concatenate on small arrays.
        for view, g in zip(self._grad_views, grads, strict=True):
            view[...] = g
        return self._grads


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    Keras' rule: :math:`v \leftarrow \mu v - \eta g`; :math:`w \leftarrow w + v`
    (or :math:`w \leftarrow w + \mu v - \eta g` with Nesterov), where
    :math:`\eta` is the learning rate, :math:`\mu` the momentum and
    :math:`g` the gradient.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
        :math:`\eta`, a positive number or a schedule of the step count.
    momentum : float, default 0.0
        :math:`\mu` in ``[0, 1)``; 0 is plain gradient descent.
    nesterov : bool, default False
        Nesterov momentum.
    **kwargs
        ``clipnorm``, ``global_clipnorm``, ``name`` (see :class:`Optimizer`).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(1,), use_bias=False, kernel_initializer="ones")])
    >>> model.compile(optimizer=lg.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="mse")
    >>> _ = model.fit(np.array([[1.0]]), np.array([0.0]), epochs=2, verbose=0)
    >>> round(float(model.get_weights()[0][0, 0]), 6)  # w = 1 - 0.2, then 0.8 - (0.9 * 0.2 + 0.16)
    0.46
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

    def update_packed(self, packed, grads, lr):
        # Without momentum the rule is w -= lr * g for every element: one update of the packed
        # values, the same arithmetic as update_step's per variable. A subclass with its own
        # update_step keeps it.
        if self.momentum != 0.0 or type(self).update_step is not SGD.update_step or packed.values.size > _PACK_SGD_MAX:
            return False
        flat = packed.gather(grads)
        np.multiply(flat, lr, out=flat)
        np.subtract(packed.values, flat, out=packed.values)
        return True

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    r"""Adagrad: per-weight learning rates that shrink with the sum of past squared gradients.

    Keras' rule and defaults: :math:`a \leftarrow a + g^2`;
    :math:`w \leftarrow w - \eta\, g / (\sqrt{a} + \epsilon)`, the
    accumulator :math:`a` starting at ``initial_accumulator_value``.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        :math:`\eta`.
    initial_accumulator_value : float, default 0.1
        Starting value of :math:`a` (non-negative).
    epsilon : float, default 1e-7
        :math:`\epsilon`, for numerical stability.
    **kwargs
        ``clipnorm``, ``global_clipnorm``, ``name`` (see :class:`Optimizer`).

    Example
    -------
    >>> import layergraph as lg
    >>> lg.optimizers.Adagrad(learning_rate=0.1).get_config()["initial_accumulator_value"]
    0.1
    """

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
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root mean square of recent gradients.

    Keras' rule and defaults: :math:`s \leftarrow \rho s + (1-\rho) g^2`;
    :math:`w \leftarrow w - \eta\, g / (\sqrt{s} + \epsilon)`; with
    momentum :math:`\mu` the step goes through :math:`m \leftarrow \mu m +
    \eta\, g / (\sqrt{s} + \epsilon)`, :math:`w \leftarrow w - m`.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        :math:`\eta`.
    rho : float, default 0.9
        :math:`\rho` in ``[0, 1)``: decay of the running mean of squares.
    momentum : float, default 0.0
        :math:`\mu` in ``[0, 1)``.
    epsilon : float, default 1e-7
        :math:`\epsilon`, for numerical stability.
    **kwargs
        ``clipnorm``, ``global_clipnorm``, ``name`` (see :class:`Optimizer`).

    Example
    -------
    >>> import layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(10, activation="softmax", input_shape=(784,))])
    >>> model.compile(optimizer=lg.optimizers.RMSprop(learning_rate=0.01), loss="categorical_crossentropy")
    >>> type(model.optimizer).__name__
    'RMSprop'
    """

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
    r"""Adam (Kingma & Ba): running means of the gradient and its square, with bias correction.

    Keras' defaults and bias-correction form, at step :math:`t = 1, 2, \dots`:
    :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
    :math:`w \leftarrow w - \eta \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t} \frac{m}{\sqrt{v} + \epsilon}`.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        :math:`\eta`.
    beta_1 : float, default 0.9
        :math:`\beta_1` in ``[0, 1)``: decay of the mean of gradients.
    beta_2 : float, default 0.999
        :math:`\beta_2` in ``[0, 1)``: decay of the mean of squared gradients.
    epsilon : float, default 1e-7
        :math:`\epsilon`, for numerical stability.
    **kwargs
        ``clipnorm``, ``global_clipnorm``, ``name`` (see :class:`Optimizer`).

    Example
    -------
    The first step moves every weight by about the learning rate, whatever
    the gradient's scale:

    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(1,), use_bias=False, kernel_initializer="ones")])
    >>> model.compile(optimizer=lg.optimizers.Adam(learning_rate=0.1), loss="mse")
    >>> _ = model.fit(np.array([[1000.0]]), np.array([0.0]), verbose=0)
    >>> round(float(model.get_weights()[0][0, 0]), 6)
    0.9
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


#: Names accepted by :func:`get`.
NAMES = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}


def get(identifier) -> Optimizer:
    """An optimizer from a name (``"sgd"``, ``"adam"``, ...), class, config dict or instance.

    Parameters
    ----------
    identifier : str, type, dict or Optimizer
        A name from :data:`NAMES`, an optimizer class (made with its
        defaults), :func:`serialize`'s dict, or an instance (returned as is).
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return lookup(NAMES, identifier, "optimizer")()


def serialize(opt):
    """``{"class_name": ..., "config": ...}`` of an optimizer (its settings, not its state).

    Parameters
    ----------
    opt : Optimizer
        The optimizer.
    """
    return {"class_name": type(opt).__name__, "config": opt.get_config()}


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; user classes through ``custom_objects`` or a scope.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": ...}``.
    custom_objects : dict, optional
        ``{name: class}`` for optimizer classes that are not layergraph's own.
    """
    return OPTIMIZERS.deserialize(config, custom_objects)
