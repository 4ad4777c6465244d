r"""Regression losses (Keras 3's formulas) and their functional forms.

Element-wise losses of the error :math:`e = \hat y - y` (prediction minus label):

- :class:`MeanSquaredError` (``"mse"``): :math:`e^2`;
- :class:`MeanAbsoluteError` (``"mae"``): :math:`|e|`;
- :class:`MeanAbsolutePercentageError` (``"mape"``): :math:`100\,|e| / \max(|y|, \epsilon)`;
- :class:`MeanSquaredLogarithmicError` (``"msle"``):
  :math:`(\log(\max(\hat y, \epsilon) + 1) - \log(\max(y, \epsilon) + 1))^2`, labels :math:`\ge 0`;
- :class:`Huber` (``"huber"``): :math:`e^2/2` where :math:`|e| \le \delta`, else :math:`\delta |e| - \delta^2/2`;
- :class:`LogCosh` (``"log_cosh"``): :math:`\log\cosh e`, computed as :math:`e + \mathrm{softplus}(-2e) - \log 2`;

and :class:`CosineSimilarity` (``"cosine_similarity"``), per sample
:math:`-\sum_j \hat u_j u_j` of the unit vectors along ``axis``,
with :math:`\epsilon = 10^{-7}`. The per-sample loss is the mean of the
element-wise losses over the sample's values; the functions
(:func:`mean_absolute_error`...) return Keras' unreduced values, the mean
over the last axis. Gradients are exact where the loss is differentiable;
at the kinks (:math:`e = 0` for MAE and MAPE, the clipping floors) they take
the value TensorFlow's Keras uses (0 for :math:`|e|` at 0, the gradient
flowing into ``max`` on ties).

Example
-------
>>> import numpy as np
>>> mean_absolute_error(np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])).tolist()
[0.5, 0.5]
>>> float(Huber(delta=1.0)(np.array([[0.0], [0.0]]), np.array([[0.5], [3.0]])))   # (0.125 + 2.5) / 2
1.3125
"""
from __future__ import annotations

import math

import numpy as np

from .._checks import is_number
from .base import EPSILON, ElementwiseLoss, Loss, _mean_last, _require

__all__ = ["MeanSquaredError", "SumSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "Huber", "LogCosh", "CosineSimilarity", "mean_squared_error",
           "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "huber",
           "log_cosh", "cosine_similarity"]

_LOG2 = math.log(2.0)


class MeanSquaredError(Loss):
    r"""Per sample :math:`\frac{1}{d}\sum_j (y_j - t_j)^2`; Keras' ``"mse"``."""

    name = "mean_squared_error"

    def _per_sample(self, t, y):
        return _mean_last(np.square(y - t))

    def _grad(self, t, y):
        d = y[0].size if y.ndim > 1 else 1
        return 2.0 * (y - t) / d

    def _unreduced(self, t, y):
        return np.mean(np.square(y - t), axis=-1)


class SumSquaredError(Loss):
    r"""The tutorial's :math:`\frac12 \sum (y - t)^2` over batch and outputs."""

    name = "sum_squared_error"

    def __init__(self, reduction="sum", scale=0.5, name=None):
        super().__init__(reduction, scale, name)

    def _per_sample(self, t, y):
        return np.square(y - t).reshape(len(y), -1).sum(axis=1)

    def _grad(self, t, y):
        return 2.0 * (y - t)


class MeanAbsoluteError(ElementwiseLoss):
    r"""Mean of :math:`|\hat y - y|`; Keras' ``"mae"``."""

    name = "mean_absolute_error"

    def _elements(self, t, y):
        return np.abs(y - t)

    def _element_grad(self, t, y):
        return np.sign(y - t)


class MeanAbsolutePercentageError(ElementwiseLoss):
    r"""Mean of :math:`100\,|\hat y - y| / \max(|y|, \epsilon)`; Keras' ``"mape"``."""

    name = "mean_absolute_percentage_error"

    def _elements(self, t, y):
        return 100.0 * np.abs(y - t) / np.maximum(np.abs(t), EPSILON)

    def _element_grad(self, t, y):
        return 100.0 * np.sign(y - t) / np.maximum(np.abs(t), EPSILON)


class MeanSquaredLogarithmicError(ElementwiseLoss):
    r"""Mean of :math:`(\log(\max(\hat y, \epsilon) + 1) - \log(\max(y, \epsilon) + 1))^2`; Keras' ``"msle"``.

    Labels must be non-negative (Keras would replace a negative one by
    :math:`\epsilon` silently).
    """

    name = "mean_squared_logarithmic_error"

    def _check_values(self, y_true, output_shape):
        _require(y_true, np.isfinite(y_true) & (y_true >= 0), type(self).__name__,
                 "labels must be finite and non-negative (the loss compares log(1 + label))")

    def _elements(self, t, y):
        return np.square(np.log1p(np.maximum(y, EPSILON)) - np.log1p(np.maximum(t, EPSILON)))

    def _element_grad(self, t, y):
        clipped = np.maximum(y, EPSILON)
        diff = np.log1p(clipped) - np.log1p(np.maximum(t, EPSILON))
        return 2.0 * diff / (1.0 + clipped) * (y >= EPSILON)


class Huber(ElementwiseLoss):
    r"""Mean of :math:`e^2/2` where :math:`|e| \le \delta`, else :math:`\delta|e| - \delta^2/2`, :math:`e = \hat y - y`.

    Parameters
    ----------
    delta : float
        Where the loss turns from quadratic to linear (positive).
    reduction, scale, name : see :class:`~layergraph.framework.losses.base.Loss`.
    """

    name = "huber_loss"

    def __init__(self, delta=1.0, reduction="mean", scale=1.0, name=None):
        super().__init__(reduction, scale, name)
        if not is_number(delta) or not math.isfinite(delta) or delta <= 0:
            raise ValueError(f"Huber: delta must be a positive finite number, got {delta!r}")
        self.delta = float(delta)

    def _elements(self, t, y):
        e = np.abs(y - t)
        return np.where(e <= self.delta, 0.5 * np.square(e), self.delta * e - 0.5 * self.delta ** 2)

    def _element_grad(self, t, y):
        return np.clip(y - t, -self.delta, self.delta)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


class LogCosh(ElementwiseLoss):
    r"""Mean of :math:`\log\cosh(\hat y - y)`, stable for large errors; Keras' ``"log_cosh"``."""

    name = "log_cosh"

    def _elements(self, t, y):
        e = y - t
        return e + np.logaddexp(0.0, -2.0 * e) - _LOG2

    def _element_grad(self, t, y):
        return np.tanh(y - t)


class CosineSimilarity(Loss):
    r"""Minus the cosine similarity along ``axis``: :math:`-\sum_j \hat u_j u_j`, with
    :math:`u = x / \sqrt{\max(\sum x^2, \epsilon^2)}` (Keras' ``normalize``).

    A value in ``[-1, 1]``; -1 when prediction and label point the same way.
    With several values per sample besides ``axis``, the per-sample loss is
    their mean.

    Parameters
    ----------
    axis : int
        A non-batch axis of the predictions (default the last).
    reduction, scale, name : see :class:`~layergraph.framework.losses.base.Loss`.
    """

    name = "cosine_similarity"

    def __init__(self, axis=-1, reduction="mean", scale=1.0, name=None):
        super().__init__(reduction, scale, name)
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"CosineSimilarity: axis must be an integer, got {axis!r}")
        self.axis = int(axis)

    def _axis(self, y):
        if y.ndim < 2 or not -y.ndim <= self.axis < y.ndim or self.axis % y.ndim == 0:
            raise ValueError(f"CosineSimilarity: axis={self.axis} must be a non-batch axis of predictions of "
                             f"shape {y.shape}")
        return self.axis % y.ndim

    def _unit(self, x, axis):
        inv_norm = 1.0 / np.sqrt(np.maximum(np.sum(np.square(x), axis=axis, keepdims=True), EPSILON ** 2))
        return x * inv_norm, inv_norm

    def _unreduced(self, t, y):
        axis = self._axis(y)
        return -np.sum(self._unit(t, axis)[0] * self._unit(y, axis)[0], axis=axis)

    def _per_sample(self, t, y):
        return _mean_last(self._unreduced(t, y))

    def _grad(self, t, y):
        axis = self._axis(y)
        t_unit, _ = self._unit(t, axis)
        u, inv_norm = self._unit(y, axis)
        # d(-t.u)/dy = -(t - (t.u) u) / |y| while |y| > epsilon; below, the norm is the constant epsilon.
        above = np.sum(np.square(y), axis=axis, keepdims=True) > EPSILON ** 2
        grad = -inv_norm * (t_unit - above * np.sum(t_unit * u, axis=axis, keepdims=True) * u)
        others = y[0].size // y.shape[axis]  # values averaged per sample
        return grad / others

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def mean_squared_error(y_true, y_pred):
    """Keras' ``mean_squared_error``: :math:`(\\hat y - y)^2` averaged over the last axis."""
    return MeanSquaredError().call(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """Keras' ``mean_absolute_error``: :math:`|\\hat y - y|` averaged over the last axis."""
    return MeanAbsoluteError().call(y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """Keras' ``mean_absolute_percentage_error``, averaged over the last axis."""
    return MeanAbsolutePercentageError().call(y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Keras' ``mean_squared_logarithmic_error``, averaged over the last axis."""
    return MeanSquaredLogarithmicError().call(y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    """Keras' ``huber``, averaged over the last axis."""
    return Huber(delta).call(y_true, y_pred)


def log_cosh(y_true, y_pred):
    """Keras' ``log_cosh``, averaged over the last axis."""
    return LogCosh().call(y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Keras' ``cosine_similarity`` loss: minus the cosine along ``axis``."""
    return CosineSimilarity(axis).call(y_true, y_pred)
