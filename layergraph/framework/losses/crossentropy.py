"""Cross-entropy losses: :class:`BinaryCrossentropy`, :class:`CategoricalCrossentropy`,
:class:`SparseCategoricalCrossentropy`, with their fused output gradients, and their functional forms.

Example
-------
>>> import numpy as np
>>> binary_crossentropy(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]])).round(4).tolist()
[0.6931, 0.6931]
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .._checks import is_number
from ..activations import Sigmoid, Softmax
from .base import Loss, _as_numeric, _clip_probabilities, _mean_last, _require

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "binary_crossentropy",
           "categorical_crossentropy", "sparse_categorical_crossentropy"]


class BinaryCrossentropy(Loss):
    r"""Per sample :math:`-\frac{1}{d}\sum_j t_j \log p_j + (1 - t_j)\log(1 - p_j)`.

    Parameters
    ----------
    from_logits : bool
        Predictions are logits; the loss applies the sigmoid itself (stably).
    delta : float, optional
        The tutorial's form ``log(p + delta)`` and ``log(1 - p + delta)``.
        When ``None`` (default), probabilities are clipped to
        ``[1e-7, 1 - 1e-7]`` as Keras does.
    reduction : {"mean", "sum"}
        How the per-sample losses combine over the batch (see :class:`Loss`).
    scale : float
        Constant factor of the loss.
    name : str, optional
        The loss's name.

    Notes
    -----
    After a sigmoid, backpropagation starts from the fused gradient
    ``dL/dz = (p - t) / d`` with ``delta=0`` (exact) and with the default
    clipping (the gradient of the unclipped cross-entropy, as TensorFlow's
    Keras computes it from the logits: the clip only keeps the reported
    value finite, and a saturated wrong output still gets a gradient). With
    ``delta > 0`` it goes through the sigmoid's Jacobian, exactly.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> round(lg.losses.BinaryCrossentropy()(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]])), 4)   # ln 2
    0.6931
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=False, reduction="mean", scale=1.0, delta=None, name=None):
        super().__init__(reduction, scale, name)
        if delta is not None and (not is_number(delta) or not np.isfinite(delta) or delta < 0):
            raise ValueError(f"BinaryCrossentropy: delta must be None or a finite number >= 0, got {delta!r}")
        self.from_logits = bool(from_logits)
        self.delta = delta

    def _check_values(self, y_true, output_shape):
        inside = np.isfinite(y_true) & (y_true >= 0) & (y_true <= 1)
        if not inside.all():
            _require(y_true, inside, "BinaryCrossentropy",
                     f"labels must lie in [0, 1], got values in [{np.nanmin(y_true)}, {np.nanmax(y_true)}]",
                     "the first outside is")

    def _elements(self, t, y):
        if self.from_logits:
            # -[t log s(z) + (1-t) log(1-s(z))] = softplus(z) - t z, stable for any z.
            return np.logaddexp(0, y) - t * y
        if self.delta is None:
            p = _clip_probabilities(y)
            return -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p))  # a float 1: no int conversion per call
        return -(t * np.log(y + self.delta) + (1 - t) * np.log(1 - y + self.delta))

    def _per_sample(self, t, y):
        return _mean_last(self._elements(t, y))

    def _unreduced(self, t, y):
        return np.mean(self._elements(t, y), axis=-1)

    def _grad(self, t, y):
        d = y[0].size if y.ndim > 1 else 1
        if self.from_logits:
            return (special.expit(y) - t) / d
        if self.delta is None:
            p = _clip_probabilities(y)
            inside = (y > 1e-7) & (y < 1 - 1e-7)  # clip has zero slope outside
            return inside * (-(t / p) + (1 - t) / (1 - p)) / d
        return (-(t / (y + self.delta)) + (1 - t) / (1 - y + self.delta)) / d

    def fused_gradient(self, activation, y_true, y_pred, sample_weight=None):
        if self.from_logits or not isinstance(activation, Sigmoid) or self.delta:
            return None
        d = y_pred[0].size if y_pred.ndim > 1 else 1
        grad = (y_pred - y_true) * (self._factor(len(y_pred)) / d)
        return grad if sample_weight is None else self._weighted(grad, sample_weight)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "delta": self.delta}


class CategoricalCrossentropy(Loss):
    r"""Per sample :math:`-\sum_k t_k \log p_k` for one-hot (or soft) labels ``(n, k)``.

    Parameters
    ----------
    from_logits : bool
        Predictions are logits; the loss applies a stable log-softmax.
    delta : float, optional
        The tutorial's ``log(p + delta)`` (it used ``1e-7``). When ``None``
        (default), probabilities are clipped to ``[1e-7, 1 - 1e-7]`` like Keras.
    reduction : {"mean", "sum"}
        How the per-sample losses combine over the batch (see :class:`Loss`).
    scale : float
        Constant factor of the loss.
    name : str, optional
        The loss's name.

    Notes
    -----
    After a softmax, backpropagation starts from the fused gradient
    :math:`dL/dz = p \sum_k r_k - r`, stable where a probability underflows
    to 0: with ``delta > 0`` (the tutorial's form), :math:`r = t\,p / (p + \delta)`,
    exact for the loss as defined; with ``delta=0``, :math:`r = t`, exact;
    with the default clipping, :math:`r = t`, the gradient of the unclipped
    cross-entropy, as TensorFlow's Keras computes it from the logits (the
    clip only keeps the reported value finite, and a saturated wrong output
    still gets a gradient).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> round(lg.losses.CategoricalCrossentropy()(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])), 4)   # -ln 0.5
    0.6931
    """

    name = "categorical_crossentropy"

    def __init__(self, from_logits=False, reduction="mean", scale=1.0, delta=None, name=None):
        super().__init__(reduction, scale, name)
        if delta is not None and (not is_number(delta) or not np.isfinite(delta) or delta < 0):
            raise ValueError(f"{type(self).__name__}: delta must be None or a finite number >= 0, got {delta!r}")
        self.from_logits = bool(from_logits)
        self.delta = delta

    def validate(self, y_true, y_pred, check=True):
        y_true, y_pred = super().validate(y_true, y_pred, check)
        if y_pred.ndim != 2:
            raise ValueError(f"{type(self).__name__}: predictions must be (batch, classes), got shape {y_pred.shape}")
        return y_true, y_pred

    def _check_values(self, y_true, output_shape):
        owner = type(self).__name__
        _require(y_true, np.isfinite(y_true) & (y_true >= 0), owner, "labels must be finite and non-negative")
        if y_true.ndim == 2:
            _require(y_true, np.abs(y_true.sum(axis=1) - 1) <= 1e-6, owner,
                     "each label row must be one-hot (or probabilities summing to 1)")

    def _log_p(self, y):
        if self.from_logits:
            return special.log_softmax(y, axis=-1)
        if self.delta is None:
            return np.log(_clip_probabilities(y))
        return np.log(y + self.delta)

    def _per_sample(self, t, y):
        log_p = self._log_p(y)
        if self.from_logits or self.delta == 0:
            # log p may be -inf; only the nonzero targets contribute (avoids 0 * log(0) = nan).
            return -np.where(t != 0, t * log_p, 0.0).sum(axis=-1)
        return -(t * log_p).sum(axis=-1)  # clipped or shifted by delta: log p is finite

    def _unreduced(self, t, y):
        return self._per_sample(t, y)

    def _grad(self, t, y):
        if self.from_logits:
            return special.softmax(y, axis=-1) * t.sum(axis=-1, keepdims=True) - t
        if self.delta is None:
            p = _clip_probabilities(y)
            return -(t / p) * ((y > 1e-7) & (y < 1 - 1e-7))
        return -t / (y + self.delta)

    def fused_gradient(self, activation, y_true, y_pred, sample_weight=None):
        if self.from_logits or not isinstance(activation, Softmax):
            return None
        r = y_true * (y_pred / (y_pred + self.delta)) if self.delta else y_true
        dz = y_pred * r.sum(axis=-1, keepdims=True)
        dz -= r
        dz *= self._factor(len(y_pred))
        return self._weighted(dz, sample_weight)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "delta": self.delta}


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer labels ``(n,)`` or ``(n, 1)`` in ``[0, classes)``.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> round(lg.losses.SparseCategoricalCrossentropy()(np.array([1]), np.array([[0.5, 0.5]])), 4)   # -ln 0.5
    0.6931
    """

    name = "sparse_categorical_crossentropy"

    def validate(self, y_true, y_pred, check=True):
        y_pred = np.asarray(y_pred)
        y_true = _as_numeric(y_true, "SparseCategoricalCrossentropy labels")
        if y_true.ndim == 2 and y_true.shape[1] == 1:
            y_true = y_true[:, 0]
        if y_pred.ndim != 2 or y_true.shape != (len(y_pred),):
            raise ValueError(
                f"SparseCategoricalCrossentropy: integer labels of shape (batch,) do not fit predictions of shape "
                f"{y_pred.shape}, got labels of shape {y_true.shape}"
            )
        if check:
            self._check_values(y_true, y_pred.shape[1:])
        one_hot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        one_hot[np.arange(len(y_true)), y_true.astype(np.intp)] = 1
        return one_hot, y_pred

    def check_labels(self, y_true, output_shape):
        y_true = _as_numeric(y_true, "SparseCategoricalCrossentropy labels")
        if y_true.ndim == 2 and y_true.shape[1] == 1:
            y_true = y_true[:, 0]
        if y_true.ndim != 1 or len(output_shape) != 1:
            raise ValueError(f"SparseCategoricalCrossentropy: integer labels of shape (batch,) do not fit predictions "
                             f"of shape {(len(y_true), *output_shape)}, got labels of shape {y_true.shape}")
        self._check_values(y_true, output_shape)

    def _check_values(self, y_true, output_shape):
        owner = "SparseCategoricalCrossentropy"
        if y_true.dtype.kind == "f":
            _require(y_true, np.isfinite(y_true) & (y_true == np.round(y_true)), owner,
                     "labels must be integers (class indices)")
        classes = output_shape[0]
        inside = (y_true >= 0) & (y_true < classes)
        if not inside.all():
            _require(y_true, inside, owner, f"labels must lie in [0, {classes}), got values in "
                                            f"[{y_true.min()}, {y_true.max()}]", "the first outside is")


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Keras' ``binary_crossentropy``: averaged over the last axis (probabilities clipped to [1e-7, 1 - 1e-7]).

    Parameters
    ----------
    y_true : array-like
        Labels ``(n, ..., d)``.
    y_pred : array-like
        Predictions ``(n, ..., d)``.
    from_logits : bool, default False
        Predictions are logits, not probabilities.
    """
    return BinaryCrossentropy(from_logits=from_logits).call(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Keras' ``categorical_crossentropy``: one value per sample for one-hot labels ``(n, k)``.

    Parameters
    ----------
    y_true : array-like
        Labels ``(n, ..., d)``.
    y_pred : array-like
        Predictions ``(n, ..., d)``.
    from_logits : bool, default False
        Predictions are logits, not probabilities.
    """
    return CategoricalCrossentropy(from_logits=from_logits).call(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Keras' ``sparse_categorical_crossentropy``: one value per sample for integer labels ``(n,)``.

    Parameters
    ----------
    y_true : array-like
        Integer class labels ``(n, ...)``.
    y_pred : array-like
        Predictions ``(n, ..., d)``.
    from_logits : bool, default False
        Predictions are logits, not probabilities.
    """
    return SparseCategoricalCrossentropy(from_logits=from_logits).call(y_true, y_pred)
