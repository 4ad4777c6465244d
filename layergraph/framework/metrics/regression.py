"""Regression metrics: mean errors over everything seen (Keras' formulas, lower is better).

Example
-------
>>> m = MeanAbsolutePercentageError()
>>> m.update_state([[2.0], [4.0]], [[1.0], [5.0]])
>>> m.result()
37.5
"""
from __future__ import annotations

import numpy as np

from .. import losses as losses_module
from .base import Mean

__all__ = ["MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError"]


class MeanSquaredError(Mean):
    """Mean over samples of the mean squared error over the last axis."""

    direction = "down"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, dtype=np.float64)
        diff = np.square(y_pred - np.asarray(y_true, dtype=np.float64).reshape(y_pred.shape))
        super().update_state(diff.reshape(len(diff), -1).mean(axis=1), sample_weight)


class MeanAbsoluteError(Mean):
    """Mean over samples of the mean absolute error over the last axis."""

    direction = "down"

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


class _LossMean(Mean):
    """The mean over samples of a loss function's per-sample values (Keras' metric twins of the losses)."""

    direction = "down"
    _function = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.asarray(type(self)._function(y_true, y_pred), dtype=np.float64)
        super().update_state(values.reshape(len(values), -1).mean(axis=1) if values.ndim > 1 else values,
                             sample_weight)


class MeanAbsolutePercentageError(_LossMean):
    """Mean of :func:`~layergraph.framework.losses.mean_absolute_percentage_error` over everything seen."""

    _function = staticmethod(losses_module.mean_absolute_percentage_error)

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name, dtype)


class MeanSquaredLogarithmicError(_LossMean):
    """Mean of :func:`~layergraph.framework.losses.mean_squared_logarithmic_error` over everything seen."""

    _function = staticmethod(losses_module.mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name, dtype)
