"""Metrics reported by ``fit``/``evaluate``, with Keras names and semantics.

A :class:`Metric` is stateful, as in Keras: ``update_state(y_true, y_pred,
sample_weight=None)`` accumulates over batches, ``result()`` gives the value
so far, ``reset_state()`` starts again. The value that ``fit`` reports for
an epoch is therefore the metric over the whole epoch (e.g. the share of all
its samples classified right), not a mean of per-batch values.

``"accuracy"`` (or ``"acc"``) resolves, like Keras, to the right kind from
the loss and the shapes: binary (one output unit, threshold 0.5, or 0 for
logits), sparse categorical (integer labels) or categorical (one-hot
labels, arg-max). The functions :func:`accuracy`, :func:`binary_accuracy`,
:func:`categorical_accuracy` and :func:`sparse_categorical_accuracy` return
the share of one batch directly.

Example
-------
>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]]))
>>> m.update_state(np.array([1]), np.array([[0.1, 0.9]]))
>>> round(m.result(), 4)
0.6667
>>> accuracy(np.array([[0, 1], [1, 0]]), np.array([[0.2, 0.8], [0.3, 0.7]]))
0.5
"""
from __future__ import annotations

import numpy as np

from .naming import Registry, get_custom_objects, lookup

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
           "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "accuracy", "binary_accuracy",
           "categorical_accuracy", "sparse_categorical_accuracy", "get", "serialize", "deserialize", "METRICS"]

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


# -- the accuracy family ---------------------------------------------------------------
def _per_sample_binary(y_true, y_pred, threshold):
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true).reshape(y_pred.shape)
    hits = (y_pred > threshold) == (y_true > 0.5)
    return hits.reshape(len(hits), -1).mean(axis=1) if hits.ndim > 1 else hits.astype(np.float64)


def _per_sample_categorical(y_true, y_pred):
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def _per_sample_sparse(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    return (np.argmax(y_pred, axis=-1) == np.asarray(y_true).reshape(len(y_pred))).astype(np.float64)


def _per_sample_top_k(y_true, y_pred, k, sparse):
    y_pred = np.asarray(y_pred)
    labels = np.asarray(y_true).reshape(len(y_pred)).astype(np.intp) if sparse else np.argmax(y_true, axis=-1)
    score = y_pred[np.arange(len(y_pred)), labels]
    # In the top k when fewer than k classes score strictly higher (ties counted in favour, as Keras).
    return (np.count_nonzero(y_pred > score[:, None], axis=-1) < k).astype(np.float64)


class _Counting(Metric):
    """Hits over samples, weighted: the shared state of the accuracy metrics."""

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def _add(self, hits, sample_weight):
        if sample_weight is None:
            self.total += float(np.count_nonzero(hits)) if hits.dtype == bool else float(np.add.reduce(hits))
            self.count += len(hits)
        else:
            w = np.asarray(sample_weight, dtype=np.float64).reshape(len(hits))
            self.total += float(np.dot(hits.astype(np.float64), w))
            self.count += float(np.add.reduce(w))

    def result(self):
        return self.total / self.count if self.count else 0.0


class BinaryAccuracy(_Counting):
    """Share of outputs on the right side of ``threshold`` (labels above 0.5 count as 1)."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        self.threshold = float(threshold)
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._add(_per_sample_binary(y_true, y_pred, self.threshold), sample_weight)

    def get_config(self):
        return {"name": self.name, "threshold": self.threshold}


class CategoricalAccuracy(_Counting):
    """Share of rows whose arg-max matches the one-hot label's."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._add(np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1), sample_weight)


class SparseCategoricalAccuracy(_Counting):
    """Share of rows whose arg-max equals the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred)
        self._add(np.argmax(y_pred, axis=-1) == np.asarray(y_true).reshape(len(y_pred)), sample_weight)


class Accuracy(_Counting):
    """Share of predictions exactly equal to the labels (Keras' ``Accuracy``: no arg-max, no threshold)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred)
        hits = np.asarray(y_true).reshape(y_pred.shape) == y_pred
        self._add(hits.reshape(len(hits), -1).mean(axis=1) if hits.ndim > 1 else hits, sample_weight)


class TopKCategoricalAccuracy(_Counting):
    """Share of rows whose one-hot label is among the ``k`` highest scores."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"{type(self).__name__}: k must be a positive integer, got {k!r}")
        self.k = int(k)
        super().__init__(name, dtype)

    _sparse = False

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._add(_per_sample_top_k(y_true, y_pred, self.k, self._sparse), sample_weight)

    def get_config(self):
        return {"name": self.name, "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """Share of rows whose integer label is among the ``k`` highest scores."""

    _sparse = True

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(k, name, dtype)


# -- regression metrics -------------------------------------------------------------------
class MeanSquaredError(Mean):
    """Mean over samples of the mean squared error over the last axis."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, dtype=np.float64)
        diff = np.square(y_pred - np.asarray(y_true, dtype=np.float64).reshape(y_pred.shape))
        super().update_state(diff.reshape(len(diff), -1).mean(axis=1), sample_weight)


class MeanAbsoluteError(Mean):
    """Mean over samples of the mean absolute error over the last axis."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, dtype=np.float64)
        diff = np.abs(y_pred - np.asarray(y_true, dtype=np.float64).reshape(y_pred.shape))
        super().update_state(diff.reshape(len(diff), -1).mean(axis=1), sample_weight)


class RootMeanSquaredError(MeanSquaredError):
    """Square root of the mean squared error over everything seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        Mean.__init__(self, name, dtype)

    def result(self):
        return float(np.sqrt(super().result()))


# -- functions (one batch, a Python float) ---------------------------------------------------
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Share of outputs on the right side of ``threshold``."""
    return float(np.mean(_per_sample_binary(y_true, y_pred, threshold)))


def categorical_accuracy(y_true, y_pred):
    """Share of rows whose arg-max matches the one-hot label's."""
    hits = np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)
    return float(np.count_nonzero(hits)) / hits.size if hits.size else float("nan")


def sparse_categorical_accuracy(y_true, y_pred):
    """Share of rows whose arg-max equals the integer label."""
    return float(np.mean(_per_sample_sparse(y_true, y_pred)))


def accuracy(y_true, y_pred, from_logits=False):
    """Binary, sparse or categorical accuracy, chosen from the shapes."""
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
        return binary_accuracy(y_true, y_pred, 0.0 if from_logits else 0.5)
    if y_true.ndim == 1 or (y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1):
        return sparse_categorical_accuracy(y_true, y_pred)
    return categorical_accuracy(y_true, y_pred)


class _AutoAccuracy(_Counting):
    """``"accuracy"``/``"acc"``: the accuracy kind that fits the labels and outputs, chosen on each batch."""

    def __init__(self, name="accuracy", from_logits=False):
        self.from_logits = from_logits
        super().__init__(name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred, y_true = np.asarray(y_pred), np.asarray(y_true)
        if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
            hits = _per_sample_binary(y_true, y_pred, 0.0 if self.from_logits else 0.5)
        elif y_true.ndim == 1 or (y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1):
            hits = np.argmax(y_pred, axis=-1) == y_true.reshape(len(y_pred))
        else:
            hits = np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)
        self._add(hits, sample_weight)


#: Metric names accepted by :func:`get` (their classes take the name given).
_NAMED = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError,
}


def get(identifier, loss=None):
    """A fresh :class:`Metric` from a name, a class, an instance, a config dict or a function.

    ``"accuracy"``/``"acc"`` pick the kind from the data (and logits from
    ``loss.from_logits``). The metric keeps the name the user gave, so
    ``metrics=["acc"]`` is logged as ``"acc"`` (as in Keras).

    Raises
    ------
    ValueError
        Unknown name; the message lists the valid ones.
    TypeError
        Anything else that is not a metric.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            return _AutoAccuracy(identifier, from_logits=bool(loss is not None and loss.from_logits))
        return lookup(_NAMED, identifier, "metric")(name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"Expected a metric name (str), Metric or function, got {type(identifier).__name__}: "
                    f"{identifier!r}")


def serialize(metric):
    """``{"class_name", "config"}``; a name string for the metrics resolved by name."""
    if isinstance(metric, _AutoAccuracy):
        return metric.name
    if isinstance(metric, MeanMetricWrapper):
        return {"class_name": "function", "config": {"name": metric.name}}
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; functions and user classes come from ``custom_objects`` or a scope."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"A metric config must be a name or {{'class_name', 'config'}}, got {config!r:.200}")
    if config["class_name"] == "function":
        name = config.get("config", {}).get("name")
        fn = {**get_custom_objects(), **(custom_objects or {})}.get(name)
        if fn is None:
            raise ValueError(f"Unknown metric {name!r} (a function): pass custom_objects={{{name!r}: fn}} or use "
                             f"layergraph.utils.custom_object_scope")
        return MeanMetricWrapper(fn, name=name)
    cls = METRICS.get(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))
