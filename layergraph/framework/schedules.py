"""Learning-rate schedules: map the optimizer's step count to a learning rate.

Keras' ``keras.optimizers.schedules``: pass a schedule as an optimizer's
``learning_rate``; the optimizer calls it with its iteration count (0-based)
before each update.

Example
-------
>>> import layergraph as lg
>>> schedule = lg.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> schedule(0), schedule(10), schedule(20)
(0.1, 0.05, 0.025)
"""
from __future__ import annotations

import math

from ._checks import check_number as _check_number

__all__ = ["LearningRateSchedule", "ExponentialDecay", "StepDecay", "PiecewiseConstantDecay", "CosineDecay",
           "serialize", "deserialize", "get"]


class LearningRateSchedule:
    """Base class of the schedules: maps the optimizer's step count (0-based) to a learning rate.

    Subclasses implement ``__call__(step) -> float``; the default
    :meth:`get_config` returns the instance's attributes, so a subclass
    whose attributes are its constructor arguments saves as it is.

    Example
    -------
    >>> import layergraph as lg
    >>> class Halving(lg.optimizers.schedules.LearningRateSchedule):
    ...     def __init__(self, rate):
    ...         self.rate = rate
    ...     def __call__(self, step):
    ...         return self.rate / 2 ** step
    >>> optimizer = lg.optimizers.SGD(learning_rate=Halving(0.1))
    >>> optimizer.iterations = 2
    >>> optimizer.current_learning_rate
    0.025
    """

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        """``{"class_name": ..., "config": {attribute: value}}`` (JSON-able when the attributes are)."""
        return {"class_name": type(self).__name__, "config": dict(vars(self))}


class ExponentialDecay(LearningRateSchedule):
    r"""Exponential decay: the rate is multiplied by ``decay_rate`` every ``decay_steps`` steps.

    ``initial_learning_rate * decay_rate ** (step / decay_steps)``, the
    exponent floored when ``staircase`` (Keras' formula).

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0.
    decay_steps : float
        Steps over which the rate is multiplied by ``decay_rate`` once.
    decay_rate : float
        The factor per ``decay_steps``.
    staircase : bool, default False
        Change the rate in steps (an integer exponent) rather than smoothly.

    Example
    -------
    >>> import layergraph as lg
    >>> schedule = lg.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    >>> schedule(9), schedule(10)
    (0.1, 0.05)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
        _check_number("ExponentialDecay", "initial_learning_rate", initial_learning_rate)
        _check_number("ExponentialDecay", "decay_steps", decay_steps)
        _check_number("ExponentialDecay", "decay_rate", decay_rate)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase = decay_rate, staircase

    def __call__(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p


class StepDecay(LearningRateSchedule):
    """Multiply the rate by ``factor`` every ``step_size`` steps (PyTorch's ``StepLR``).

    Parameters
    ----------
    initial_learning_rate : float
        The rate at step 0.
    step_size : int
        Steps between two changes.
    factor : float, default 0.1
        The multiplier at each change.

    Example
    -------
    >>> import layergraph as lg
    >>> schedule = lg.optimizers.schedules.StepDecay(1.0, step_size=100, factor=0.5)
    >>> schedule(99), schedule(100), schedule(250)
    (1.0, 0.5, 0.25)
    """

    def __init__(self, initial_learning_rate, step_size, factor=0.1):
        _check_number("StepDecay", "initial_learning_rate", initial_learning_rate)
        _check_number("StepDecay", "step_size", step_size)
        _check_number("StepDecay", "factor", factor)
        self.initial_learning_rate, self.step_size, self.factor = initial_learning_rate, step_size, factor

    def __call__(self, step):
        return self.initial_learning_rate * self.factor ** (step // self.step_size)


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate per interval of steps: ``values[i]`` while ``step <= boundaries[i]`` (Keras semantics).

    Parameters
    ----------
    boundaries : list of int
        Increasing step counts where the rate changes.
    values : list of float
        ``len(boundaries) + 1`` rates: before the first boundary, between
        boundaries, after the last.

    Example
    -------
    >>> import layergraph as lg
    >>> schedule = lg.optimizers.schedules.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])
    >>> schedule(100), schedule(101), schedule(500)
    (0.1, 0.01, 0.001)
    """

    def __init__(self, boundaries, values):
        try:
            boundaries, values = list(boundaries), list(values)
        except TypeError:
            raise TypeError(f"PiecewiseConstantDecay: boundaries and values must be lists of numbers, got "
                            f"{boundaries!r:.80} and {values!r:.80}") from None
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: need len(values) == len(boundaries) + 1, got {len(values)} "
                             f"values and {len(boundaries)} boundaries")
        for i, b in enumerate(boundaries):
            _check_number("PiecewiseConstantDecay", f"boundaries[{i}]", b, low_inclusive=True)
        if any(b >= c for b, c in zip(boundaries, boundaries[1:], strict=False)):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must increase strictly, got {boundaries}")
        for i, v in enumerate(values):
            _check_number("PiecewiseConstantDecay", f"learning rate values[{i}]", v)
        self.boundaries, self.values = boundaries, values

    def __call__(self, step):
        for b, v in zip(self.boundaries, self.values, strict=False):  # one value more: the rate after the last boundary
            if step <= b:
                return v
        return self.values[-1]


class CosineDecay(LearningRateSchedule):
    r"""Cosine decay with an optional linear warmup (Keras 3's ``CosineDecay``).

    Without warmup (``warmup_target=None``), with :math:`t = \min(\mathrm{step}, D)`,
    :math:`D` = ``decay_steps`` and :math:`\eta_0` = ``initial_learning_rate``:

    .. math::
        \eta(t) = \eta_0 \left((1 - \alpha)\,\tfrac12\bigl(1 + \cos(\pi t / D)\bigr) + \alpha\right).

    With ``warmup_target`` :math:`\eta_1` and :math:`W` = ``warmup_steps``, the
    rate first rises linearly from :math:`\eta_0` to :math:`\eta_1` over
    :math:`W` steps, :math:`\eta_0 + (\eta_1 - \eta_0)\,\mathrm{step} / W`, and
    then decays from :math:`\eta_1` as above over the next :math:`D` steps
    (:math:`t = \min(\mathrm{step}, W + D) - W`). Warmup followed by cosine
    annealing is the shape of the "one-cycle" policy of Smith & Topin,
    *Super-Convergence* (arXiv:1708.07120), with a cosine second half as in
    Loshchilov & Hutter, *SGDR* (arXiv:1608.03983).

    Parameters
    ----------
    initial_learning_rate : float
        :math:`\eta_0 \ge 0`.
    decay_steps : int
        :math:`D > 0`: steps of the cosine half-period.
    alpha : float
        In ``[0, 1]``: the final rate as a fraction of the rate decayed from.
    name : str
        Keras' default ``"CosineDecay"``.
    warmup_target : float, optional
        :math:`\eta_1 \ge 0`; ``None`` (default) for no warmup.
    warmup_steps : int
        :math:`W \ge 0`.

    Example
    -------
    >>> schedule = CosineDecay(0.0, decay_steps=4, warmup_target=1.0, warmup_steps=2)
    >>> [round(schedule(s), 4) for s in range(8)]
    [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        owner = "CosineDecay"
        _check_number(owner, "initial_learning_rate", initial_learning_rate, low_inclusive=True)
        _check_number(owner, "decay_steps", decay_steps)
        _check_number(owner, "alpha", alpha, low_inclusive=True, high=1.0)
        if warmup_target is not None:
            _check_number(owner, "warmup_target", warmup_target, low_inclusive=True)
        _check_number(owner, "warmup_steps", warmup_steps, low_inclusive=True)
        self.initial_learning_rate, self.decay_steps, self.alpha = initial_learning_rate, decay_steps, alpha
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def _decay(self, step, decay_from):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return decay_from * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * fraction
        return self._decay(step - self.warmup_steps, self.warmup_target)


def _classes():
    """Every schedule class by name (subclasses defined elsewhere included)."""
    found, stack = {}, [LearningRateSchedule]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            found.setdefault(sub.__name__, sub)
            stack.append(sub)
    return found


def serialize(schedule):
    """``{"class_name": ..., "config": ...}`` of a schedule.

    Parameters
    ----------
    schedule : LearningRateSchedule
        The schedule.
    """
    return schedule.get_config()


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; ``ValueError`` for an unknown class.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": ...}``.
    custom_objects : dict, optional
        ``{name: class}`` for schedule classes defined outside layergraph
        (subclasses of :class:`LearningRateSchedule` are found anyway).
    """
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"A learning-rate schedule config must be {{'class_name': str, 'config': dict}}, "
                         f"got {config!r:.200}")
    name = config["class_name"]
    classes = {**_classes(), **(custom_objects or {})}
    if name not in classes:
        raise ValueError(f"Unknown learning-rate schedule {name!r}; known: {', '.join(sorted(_classes()))}")
    return classes[name](**config.get("config", {}))


def get(identifier):
    """A schedule from an instance or a config dict.

    Parameters
    ----------
    identifier : LearningRateSchedule or dict
        An instance (returned as is) or :func:`serialize`'s dict.
    """
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    return deserialize(identifier)
