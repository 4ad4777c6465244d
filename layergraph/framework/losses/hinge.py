r"""Hinge losses for labels -1/1 (or 0/1, converted): :class:`Hinge` and :class:`SquaredHinge` (Keras 3's formulas).

- :class:`Hinge` (``"hinge"``): the mean of :math:`\max(1 - y \hat y, 0)`;
- :class:`SquaredHinge` (``"squared_hinge"``): the mean of :math:`\max(1 - y \hat y, 0)^2`.

As in Keras, labels that are all 0 or 1 are converted to -1 and 1
(:math:`2y - 1`); labels must be -1 or 1, or 0 or 1 (not a mix of 0 and
-1).

Example
-------
>>> import numpy as np
>>> hinge(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])).tolist()   # labels -1, 1: (1.5 + 0.5) / 2
[1.0]
"""
from __future__ import annotations

import numpy as np

from .base import ElementwiseLoss, _require

__all__ = ["Hinge", "SquaredHinge", "hinge", "squared_hinge"]


def _signed(y_true):
    """Keras' ``convert_binary_labels_to_hinge``: labels that are all 0 or 1 become -1 and 1."""
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


class Hinge(ElementwiseLoss):
    r"""Mean of :math:`\max(1 - y \hat y, 0)` for labels :math:`y` in {-1, 1} (or {0, 1})."""

    name = "hinge"

    def _check_values(self, y_true, output_shape):
        owner = type(self).__name__
        _require(y_true, np.isin(y_true, (-1, 0, 1)), owner, "labels must be -1 or 1 (or 0 or 1, converted to -1 "
                                                             "and 1)")
        if (y_true == 0).any() and (y_true == -1).any():
            raise ValueError(f"{owner}: labels mix 0 and -1; use -1 and 1, or 0 and 1 (converted to -1 and 1)")

    def _margin(self, t, y):
        return 1.0 - _signed(t) * y

    def _elements(self, t, y):
        return np.maximum(self._margin(t, y), 0.0)

    def _element_grad(self, t, y):
        return -_signed(t) * (self._margin(t, y) > 0)


class SquaredHinge(Hinge):
    r"""Mean of :math:`\max(1 - y \hat y, 0)^2` for labels :math:`y` in {-1, 1} (or {0, 1})."""

    name = "squared_hinge"

    def _elements(self, t, y):
        return np.square(np.maximum(self._margin(t, y), 0.0))

    def _element_grad(self, t, y):
        return -2.0 * _signed(t) * np.maximum(self._margin(t, y), 0.0)


def hinge(y_true, y_pred):
    """Keras' ``hinge``: averaged over the last axis."""
    return Hinge().call(y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """Keras' ``squared_hinge``: averaged over the last axis."""
    return SquaredHinge().call(y_true, y_pred)
