r"""Losses between distributions or counts: :class:`KLDivergence` and :class:`Poisson` (Keras 3's formulas).

- :class:`KLDivergence` (``"kl_divergence"``, ``"kld"``): per sample
  :math:`\sum_j y'_j \log(y'_j / \hat y'_j)` over the last axis, with labels
  and predictions clipped to :math:`[\epsilon, 1]`; labels must lie in
  :math:`[0, 1]`;
- :class:`Poisson` (``"poisson"``): the mean of :math:`\hat y - y \log(\hat y + \epsilon)`;
  labels (counts, rates) must be non-negative.

Example
-------
>>> import numpy as np
>>> round(float(KLDivergence()(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]]))), 6)   # 0.5 log 2 + 0.5 log(2/3)
0.143841
>>> poisson(np.array([[1.0, 0.0]]), np.array([[1.0, 2.0]])).round(6).tolist()   # ((1 - log 1) + 2) / 2
[1.5]
"""
from __future__ import annotations

import numpy as np

from .base import EPSILON, ElementwiseLoss, Loss, _require

__all__ = ["KLDivergence", "Poisson", "kl_divergence", "poisson"]


class KLDivergence(Loss):
    r"""Kullback-Leibler divergence :math:`\sum_j y'_j \log(y'_j / \hat y'_j)` over the last axis.

    Both arguments are clipped to :math:`[\epsilon, 1]` (so the gradient is
    zero where a prediction lies outside); with several values per sample
    besides the last axis, the per-sample loss is their mean.
    """

    name = "kl_divergence"

    def _check_values(self, y_true, output_shape):
        _require(y_true, np.isfinite(y_true) & (y_true >= 0) & (y_true <= 1), type(self).__name__,
                 "labels must be probabilities in [0, 1]")

    def _unreduced(self, t, y):
        t, p = np.clip(t, EPSILON, 1.0), np.clip(y, EPSILON, 1.0)
        return np.sum(t * np.log(t / p), axis=-1)

    def _per_sample(self, t, y):
        values = self._unreduced(t, y)
        return values if values.ndim == 1 else values.reshape(len(values), -1).mean(axis=1)

    def _grad(self, t, y):
        inside = (y >= EPSILON) & (y <= 1.0)  # clip's slope
        grad = -np.clip(t, EPSILON, 1.0) / np.clip(y, EPSILON, 1.0) * inside
        others = y[0].size // y.shape[-1] if y.ndim > 1 else 1
        return grad / others


class Poisson(ElementwiseLoss):
    r"""Mean of :math:`\hat y - y \log(\hat y + \epsilon)` (predictions are rates, labels counts)."""

    name = "poisson"

    def _check_values(self, y_true, output_shape):
        _require(y_true, np.isfinite(y_true) & (y_true >= 0), type(self).__name__,
                 "labels must be finite and non-negative (counts)")

    def _elements(self, t, y):
        return y - t * np.log(y + EPSILON)

    def _element_grad(self, t, y):
        return 1.0 - t / (y + EPSILON)


def kl_divergence(y_true, y_pred):
    """Keras' ``kl_divergence``: summed over the last axis."""
    return KLDivergence().call(y_true, y_pred)


def poisson(y_true, y_pred):
    """Keras' ``poisson``: averaged over the last axis."""
    return Poisson().call(y_true, y_pred)
