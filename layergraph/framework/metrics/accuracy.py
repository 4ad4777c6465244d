"""The accuracy metrics: classes (state over batches) and functions (one batch).

``"accuracy"`` (or ``"acc"``) resolves, like Keras, to the right kind from
the loss and the shapes: binary (one output unit, threshold 0.5, or 0 for
logits), sparse categorical (integer labels) or categorical (one-hot
labels, arg-max).

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

from .base import Metric

__all__ = ["Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "accuracy", "binary_accuracy",
           "categorical_accuracy", "sparse_categorical_accuracy"]


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

    direction = "up"

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
