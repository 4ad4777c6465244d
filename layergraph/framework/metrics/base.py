"""The :class:`Metric` protocol (Keras' ``keras.metrics.Metric``) and the averaging metrics
:class:`Mean`, :class:`Sum` and :class:`MeanMetricWrapper`.

Example
-------
>>> m = Mean()
>>> m.update_state([1.0, 3.0]); m.update_state(5.0)
>>> m.result()
3.0
"""
from __future__ import annotations

import numpy as np

from ..naming import Registry

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "METRICS"]

#: Every :class:`Metric` subclass by class name, for :func:`deserialize`.
METRICS = Registry("metric")


class Metric:
    """Base class of stateful metrics (Keras' ``keras.metrics.Metric``).

    Subclasses implement :meth:`update_state`, :meth:`result` and
    :meth:`reset_state`; state lives in plain attributes (numbers or small
    arrays), set up by :meth:`reset_state`, which the constructor calls.

    Parameters
    ----------
    name : str, optional
        The key of the metric in the logs and the history; default the
        class's snake-case name.
    dtype : str, optional
        Accepted for Keras compatibility.
    """

    #: Which way is better: ``"up"`` (accuracy, AUC...), ``"down"`` (errors) or ``None`` (unknown).
    #: Monitoring callbacks with ``mode="auto"`` read it, as Keras 3 reads a metric's ``_direction``.
    direction = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        METRICS.register(cls)

    def __init__(self, name=None, dtype=None):
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"{type(self).__name__}: name must be a non-empty string, got {name!r}")
        self.name = name or _snake(type(self).__name__)
        self.dtype = dtype
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate one batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        """The metric over everything accumulated since the last reset (a Python float)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self):
        """Forget the accumulated state."""
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state()")

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Update with one batch and return the result so far (Keras' ``metric(y_true, y_pred)``)."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _weights(sample_weight, values):
    """Per-value weights broadcast to ``values`` (``None`` when unweighted)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim < values.ndim:
        w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
    return np.broadcast_to(w, values.shape)


class Mean(Metric):
    """The (weighted) mean of the values given to :meth:`update_state`.

    Example
    -------
    >>> m = Mean()
    >>> m.update_state([1.0, 3.0]); m.update_state(5.0)
    >>> m.result()
    3.0
    """

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, dtype=np.float64)
        w = _weights(sample_weight, values)
        if w is None:
            self.total += float(np.add.reduce(values, axis=None))
            self.count += values.size
        else:
            self.total += float(np.add.reduce(values * w, axis=None))
            self.count += float(np.add.reduce(w, axis=None))

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    """The (weighted) sum of the values given to :meth:`update_state`."""

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, dtype=np.float64)
        w = _weights(sample_weight, values)
        self.total += float(np.add.reduce(values if w is None else values * w, axis=None))

    def result(self):
        return self.total


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred)``: per-sample values (Keras' convention) or a batch mean.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred) -> values``: one value per sample (shape
        ``(n,)`` or ``(n, ...)``, averaged), or a single number taken as the
        batch's mean (weighted by the batch size).
    name : str, optional
        Default: the function's name.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: fn must be callable, got {type(fn).__name__}")
        self.fn, self._fn_kwargs = fn, kwargs
        # Any callable may be a metric; functools.partial objects, for one, have no __name__.
        super().__init__(name or getattr(fn, "__name__", "metric"), dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.asarray(self.fn(y_true, y_pred, **self._fn_kwargs), dtype=np.float64)
        n = len(y_pred)
        if values.ndim == 0:  # a batch mean
            if sample_weight is not None:
                raise ValueError(f"Metric {self.name!r}: sample weights need a metric function that returns one "
                                 f"value per sample, this one returned a single number")
            self.total += float(values) * n
            self.count += n
            return
        if values.ndim > 1:
            values = values.reshape(len(values), -1).mean(axis=1)
        super().update_state(values, sample_weight)

    def get_config(self):
        return {"name": self.name, **self._fn_kwargs}
