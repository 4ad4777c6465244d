"""Callbacks that watch one logged quantity: :class:`EarlyStopping` and :class:`ReduceLROnPlateau`.

Both follow Keras 3 (``keras/src/callbacks/monitor_callback.py``): the
monitored key is read from the epoch logs; ``mode="auto"`` minimises the
losses (``loss``, ``val_loss``, ``<output>_loss``) and otherwise asks the
compiled metric of that name which way is better (:attr:`Metric.direction
<layergraph.framework.metrics.Metric.direction>`: accuracy, AUC, precision
and recall go up; errors go down), and raises ``ValueError`` when it cannot
tell (pass ``mode="min"`` or ``"max"``). A value improves on the best so far
when it is better by more than ``min_delta``. A key missing from the logs
(e.g. ``val_loss`` on an epoch without validation) gives a warning, as in
Keras, and the epoch is skipped.

Example
-------
>>> import numpy as np, layergraph as lg
>>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,), kernel_initializer="zeros")])
>>> model.compile("sgd", "mse")
>>> stop = lg.callbacks.EarlyStopping(monitor="loss", patience=2)
>>> history = model.fit(np.ones((4, 2)), np.zeros(4), epochs=10, verbose=0, callbacks=[stop])
>>> len(history.history["loss"])   # the loss is 0 from the start: no improvement after epoch 0
3
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .._checks import is_number
from .base import Callback

__all__ = ["MonitorCallback", "EarlyStopping", "ReduceLROnPlateau"]


def _non_negative_int(owner, what, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{owner}: {what} must be an integer >= 0, got {value!r}")
    return int(value)


def _finite(owner, what, value, allow_none=False):
    if value is None and allow_none:
        return None
    if not is_number(value) or not math.isfinite(value):
        raise ValueError(f"{owner}: {what} must be a finite number, got {value!r}")
    return float(value)


class MonitorCallback(Callback):
    """Base class of the callbacks that watch ``monitor`` (Keras 3's ``MonitorCallback``).

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, e.g. ``"val_loss"`` or ``"val_accuracy"``.
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; ``"auto"`` decides as the module
        docstring says.
    baseline : float, optional
        The initial best value (``None``: the first value seen is the best).
    min_delta : float
        An improvement must beat the best by more than ``|min_delta|``.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        owner = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"{owner}: monitor must be a non-empty string (a key of the logs), got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.mode = monitor, mode
        self.baseline = _finite(owner, "baseline", baseline, allow_none=True)
        self.min_delta = abs(_finite(owner, "min_delta", min_delta))
        self.best = self.baseline
        self._maximize = None  # decided on first use: the compiled metrics are known by then

    @property
    def maximize(self):
        """Whether higher values of ``monitor`` are better (decided from ``mode`` and the compiled metrics)."""
        self._decide()
        return self._maximize

    def _decide(self):
        """Decide the direction once (``ValueError`` when ``mode="auto"`` cannot tell)."""
        if self._maximize is None:
            self._maximize = self._direction() == "up"

    def _direction(self):
        if self.mode != "auto":
            return "up" if self.mode == "max" else "down"
        name = self.monitor.removeprefix("val_")
        if name == "loss" or name.endswith("_loss"):
            return "down"
        trainer = self.model.trainer if self.model is not None else None
        for key, _, metric in (trainer.metrics if trainer is not None else []):
            if key == name and metric.direction is not None:
                return metric.direction
        raise ValueError(f"{type(self).__name__} callback received monitor={self.monitor!r}, but it cannot tell "
                         f"whether that metric should be maximized or minimized. Pass mode='max' in order to "
                         f"monitor based on the highest metric value, or mode='min' to use the lowest value.")

    def _is_improvement(self, value, reference):
        """Whether ``value`` beats ``reference`` (``None``: anything does) by more than ``min_delta``."""
        self._decide()
        if reference is None:
            return True
        if self._maximize:
            return value - self.min_delta > reference
        return value + self.min_delta < reference

    def _monitored(self, logs, what):
        """``logs[monitor]``, or ``None`` with Keras' warning when it is missing."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{what} is conditioned on metric `{self.monitor}` which is not available. Available "
                          f"metrics are: {','.join(logs or {})}", stacklevel=3)
        return value


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has stopped improving (Keras 3's semantics).

    Each epoch without an improvement adds one to a counter; an improvement
    on the best value (and on ``baseline``, when given) resets it. Training
    stops at the end of the epoch where the counter reaches ``patience``
    (never at the first epoch).

    Parameters
    ----------
    monitor : str
    min_delta : float
        An improvement must be larger than this.
    patience : int
        Epochs without improvement before stopping.
    verbose : int
        1: print a line when stopping and when restoring weights.
    mode : {"auto", "min", "max"}
    baseline : float, optional
        Training stops after ``patience`` epochs unless the monitored value
        beats this.
    restore_best_weights : bool
        At the end, put back the weights of the best epoch (also when no
        epoch beat ``baseline``).
    start_from_epoch : int
        Epochs of warm-up before monitoring starts.

    Attributes
    ----------
    stopped_epoch : int
        The epoch (0-based) at which training was stopped, 0 if it was not.
    best, best_epoch : the best value seen and its epoch.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, baseline, min_delta)
        self.patience = _non_negative_int("EarlyStopping", "patience", patience)
        self.start_from_epoch = _non_negative_int("EarlyStopping", "start_from_epoch", start_from_epoch)
        self.verbose, self.restore_best_weights = verbose, bool(restore_best_weights)
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # Reusable across fit calls.
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best, self.best_weights = None, None

    def on_epoch_end(self, epoch, logs=None):
        self._decide()  # first, as Keras: an undecidable monitor fails at the first epoch
        current = self._monitored(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has stopped improving (Keras 3's semantics).

    After ``patience`` epochs without improvement the rate becomes
    ``max(lr * factor, min_lr)`` (unless it is already at ``min_lr``); then
    ``cooldown`` epochs pass before epochs without improvement count again.
    Each epoch's logs get the rate used in it as ``"learning_rate"``.

    Parameters
    ----------
    monitor : str
    factor : float
        In ``(0, 1)``.
    patience : int
    verbose : int
        1: print a line at each reduction.
    mode : {"auto", "min", "max"}
    min_delta : float
    cooldown : int
    min_lr : float
        Lower bound of the rate.

    Raises
    ------
    TypeError
        During ``fit``, when the optimizer's learning rate is a schedule (it
        cannot be set, as in Keras).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,), kernel_initializer="zeros")])
    >>> model.compile(lg.optimizers.SGD(0.1), "mse")
    >>> reduce = lg.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> history = model.fit(np.ones((4, 2)), np.zeros(4), epochs=4, verbose=0, callbacks=[reduce])
    >>> history.history["learning_rate"]
    [0.1, 0.1, 0.05, 0.025]
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, None, min_delta)
        factor = _finite("ReduceLROnPlateau", "factor", factor)
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must lie in (0, 1) (new_lr = lr * factor), got {factor!r}")
        min_lr = _finite("ReduceLROnPlateau", "min_lr", min_lr)
        if min_lr < 0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got {min_lr!r}")
        self.factor, self.min_lr, self.verbose = factor, min_lr, verbose
        self.patience = _non_negative_int("ReduceLROnPlateau", "patience", patience)
        self.cooldown = _non_negative_int("ReduceLROnPlateau", "cooldown", cooldown)
        self.wait = self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _rate(self):
        optimizer = self.model.optimizer
        if not isinstance(optimizer.learning_rate, float):
            raise TypeError(f"ReduceLROnPlateau: the optimizer's learning rate is a schedule "
                            f"({type(optimizer.learning_rate).__name__}), so it cannot be set; create the optimizer "
                            f"with a float learning_rate")
        return optimizer, optimizer.learning_rate

    def on_epoch_end(self, epoch, logs=None):
        self._decide()
        optimizer, old_lr = self._rate()
        if logs is not None:
            logs["learning_rate"] = old_lr
        current = self._monitored(logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        # As Keras: compared in float32, so a rate that only rounds to min_lr stops shrinking.
        if self.wait >= self.patience and old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            self.cooldown_counter, self.wait = self.cooldown, 0
