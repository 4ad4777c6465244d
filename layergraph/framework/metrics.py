"""Metrics reported by ``fit``/``evaluate`` (Keras names).

``"accuracy"`` resolves, like Keras, to the right kind from the shapes:
binary (one output unit, threshold 0.5, or 0 for logits), sparse categorical
(integer labels) or categorical (one-hot labels, arg-max).

Example
-------
>>> import numpy as np
>>> from layergraph.framework import metrics
>>> metrics.accuracy(np.array([[0, 1], [1, 0]]), np.array([[0.2, 0.8], [0.3, 0.7]]))
0.5
"""
from __future__ import annotations

import numpy as np

from .naming import lookup


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Share of outputs on the right side of ``threshold``."""
    y_true = np.asarray(y_true).reshape(np.shape(y_pred))
    return float(np.mean((np.asarray(y_pred) > threshold) == (y_true > 0.5)))


def categorical_accuracy(y_true, y_pred):
    """Share of rows whose arg-max matches the one-hot label's."""
    hits = np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)
    # A Python float, like np.mean's, at a fraction of its cost (this runs at every step).
    return float(np.count_nonzero(hits)) / hits.size if hits.size else float("nan")


def sparse_categorical_accuracy(y_true, y_pred):
    """Share of rows whose arg-max equals the integer label."""
    y_true = np.asarray(y_true).reshape(len(y_pred))
    return float(np.mean(np.argmax(y_pred, axis=-1) == y_true))


def accuracy(y_true, y_pred, from_logits=False):
    """Binary, sparse or categorical accuracy, chosen from the shapes."""
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
        return binary_accuracy(y_true, y_pred, 0.0 if from_logits else 0.5)
    if y_true.ndim == 1 or (y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1):
        return sparse_categorical_accuracy(y_true, y_pred)
    return categorical_accuracy(y_true, y_pred)


_METRICS = {
    "accuracy": accuracy, "acc": accuracy,
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
}


def get(identifier, loss=None):
    """``(name, fn(y_true, y_pred) -> float)`` from a name or a callable."""
    if callable(identifier):
        return getattr(identifier, "__name__", "metric"), identifier
    fn = lookup(_METRICS, identifier, "metric")
    name = "accuracy" if fn is accuracy else identifier
    if fn is accuracy and getattr(loss, "from_logits", False):
        return name, lambda t, p: accuracy(t, p, from_logits=True)
    return name, fn
