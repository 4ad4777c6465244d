"""Regression metrics: mean squared and absolute errors over everything seen."""
from __future__ import annotations

import numpy as np

from .base import Mean

__all__ = ["MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError"]


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
