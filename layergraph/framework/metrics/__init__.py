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

===============================================  ========================================================
:mod:`~layergraph.framework.metrics.base`        :class:`Metric`, :class:`Mean`, :class:`Sum`,
                                                 :class:`MeanMetricWrapper`
:mod:`~layergraph.framework.metrics.accuracy`    the accuracy metrics
:mod:`~layergraph.framework.metrics.regression`  MSE, MAE, RMSE, MAPE, MSLE
:mod:`~layergraph.framework.metrics.confusion`   :class:`Precision`, :class:`Recall`, :class:`AUC` and the four counts
===============================================  ========================================================

Names accepted by :func:`get` (``compile(metrics=[...])``): ``"accuracy"``,
Keras' snake-case class names (``"auc"``, ``"precision"``...) and class
names (``"AUC"``), the short names ``"mse"``, ``"mae"``, ``"mape"``, ``"msle"``, and the loss
functions (``"hinge"``, ``"kl_divergence"``, ``"poisson"``,
``"binary_crossentropy"``...) as the mean of their per-sample values.

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

from .. import losses as losses_module
from ..naming import lookup, saved_function
from .accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    _AutoAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
)
from .base import METRICS, Mean, MeanMetricWrapper, Metric, Sum
from .confusion import AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives
from .regression import (
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
)

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
           "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "Precision", "Recall", "AUC",
           "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "accuracy", "binary_accuracy",
           "categorical_accuracy", "sparse_categorical_accuracy", "get", "serialize", "deserialize", "METRICS"]

#: Metric names accepted by :func:`get` (their classes take the name given): Keras' snake-case class
#: names and short names.
_NAMED = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
    "precision": Precision, "recall": Recall, "auc": AUC,
    "true_positives": TruePositives, "false_positives": FalsePositives,
    "true_negatives": TrueNegatives, "false_negatives": FalseNegatives,
}

#: Loss functions that are also metrics by name (the mean over samples of the per-sample loss, lower is
#: better), as ``keras.metrics.mape``, ``keras.metrics.hinge``...
_LOSS_FUNCTIONS = {
    "hinge": losses_module.hinge, "squared_hinge": losses_module.squared_hinge,
    "kl_divergence": losses_module.kl_divergence, "kld": losses_module.kl_divergence,
    "poisson": losses_module.poisson, "log_cosh": losses_module.log_cosh, "logcosh": losses_module.log_cosh,
    "huber": losses_module.huber,
    "binary_crossentropy": losses_module.binary_crossentropy,
    "categorical_crossentropy": losses_module.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses_module.sparse_categorical_crossentropy,
}


def get(identifier, loss=None):
    """A fresh :class:`Metric` from a name, a class, an instance, a config dict or a function.

    ``"accuracy"``/``"acc"`` pick the kind from the data (and logits from
    ``loss.from_logits``). The metric keeps the name the user gave, so
    ``metrics=["acc"]`` is logged as ``"acc"`` (as in Keras).

    Parameters
    ----------
    identifier : str, type, Metric, dict or callable
        A name (``"accuracy"``, ``"mae"``, a class name...), a class, an
        instance, :func:`serialize`'s result or a function ``fn(y_true, y_pred)``.
    loss : Loss, optional
        The compiled loss, which tells ``"accuracy"`` whether predictions are logits.

    Raises
    ------
    ValueError
        Unknown name; the message lists the valid ones.
    TypeError
        Anything else that is not a metric.

    Example
    -------
    >>> import layergraph as lg
    >>> metric = lg.metrics.get("mae")
    >>> metric.name, metric([[0.0]], [[2.0]])
    ('mae', 2.0)
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
        if key in _LOSS_FUNCTIONS:
            metric = MeanMetricWrapper(_LOSS_FUNCTIONS[key], name=identifier)
            metric.direction = "down"
            return metric
        if identifier in METRICS.names() and identifier not in ("Metric", "Mean", "Sum", "MeanMetricWrapper"):
            metric = METRICS.get(identifier)()  # a class name, as Keras takes "AUC" or "Precision"
            metric.name = identifier  # logged under the name given, as Keras
            return metric
        return lookup({**_NAMED, **_LOSS_FUNCTIONS}, identifier, "metric")(name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"Expected a metric name (str), Metric or function, got {type(identifier).__name__}: "
                    f"{identifier!r}")


def serialize(metric):
    """``{"class_name", "config"}``; a name string for the metrics resolved by name.

    Parameters
    ----------
    metric : Metric
        The metric.
    """
    if isinstance(metric, _AutoAccuracy) or (isinstance(metric, MeanMetricWrapper)
                                             and metric.name.lower() in _LOSS_FUNCTIONS):
        return metric.name
    if isinstance(metric, MeanMetricWrapper):
        return {"class_name": "function", "config": {"name": metric.name}}
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`; functions and user classes come from ``custom_objects`` or a scope.

    Parameters
    ----------
    config : str or dict
        What :func:`serialize` returned.
    custom_objects : dict, optional
        ``{name: class or function}`` for metrics defined outside layergraph.
    """
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"A metric config must be a name or {{'class_name', 'config'}}, got {config!r:.200}")
    if config["class_name"] == "function":
        name = config.get("config", {}).get("name")
        return MeanMetricWrapper(saved_function(name, "metric", custom_objects), name=name)
    return METRICS.deserialize(config, custom_objects)
