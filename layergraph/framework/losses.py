r"""Loss functions with Keras names, and the fused output gradients.

Every loss reduces its value and its gradient the same way: a per-sample loss
(averaged over the last axis for MSE/BCE, summed over classes for CE), then
``reduction="mean"`` (over the batch, the default) or ``"sum"``, then times
``scale``. The tutorial's losses are all expressible:

=====================================  ==============================================================
tutorial                               layergraph
=====================================  ==============================================================
:math:`0.5 \sum (y - t)^2`             ``MeanSquaredError(reduction="sum", scale=0.5)`` (one output)
                                       or ``SumSquaredError()`` (any width)
:math:`0.5 \sum` binary CE             ``BinaryCrossentropy(reduction="sum", scale=0.5, delta=0)``
batch-mean CE, ``log(y + 1e-7)``       ``CategoricalCrossentropy(delta=1e-7)``
=====================================  ==============================================================

When the model's output activation is ``softmax`` (``sigmoid``) and the loss is
categorical (binary) cross-entropy on probabilities, :meth:`Loss.fused_gradient`
returns ``dL/dz = scale * (p - t) / N`` with respect to the pre-activation
``z`` directly: exact, stable, and cheaper than chaining the two Jacobians.

Example
-------
>>> import numpy as np
>>> from layergraph import losses
>>> losses.get("mse")(np.array([[1.0], [0.0]]), np.array([[0.5], [0.0]]))
0.125
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .activations import Sigmoid, Softmax
from .naming import lookup


class Loss:
    """Base class.

    Subclasses implement ``_per_sample(y_true, y_pred) -> (n,)`` and
    ``_grad(y_true, y_pred) -> dL_sample/dy_pred`` (before reduction).

    Parameters
    ----------
    reduction : {"mean", "sum"}
        How per-sample losses combine over the batch.
    scale : float
        Constant factor (0.5 for the tutorial's half sums).
    name : str, optional
    """

    name = "loss"

    def __init__(self, reduction="mean", scale=1.0, name=None):
        if reduction not in ("mean", "sum"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean' or 'sum', got {reduction!r}")
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"{type(self).__name__}: scale must be a positive finite number, got {scale!r}")
        self.reduction = reduction
        self.scale = float(scale)
        if name:
            self.name = name

    # -- public ---------------------------------------------------------------
    def __call__(self, y_true, y_pred):
        """Reduced loss value (a Python float)."""
        y_true, y_pred = self.validate(y_true, y_pred)
        return self.value(y_true, y_pred)

    def value_and_gradient(self, y_true, y_pred):
        """``(loss, dL/dy_pred)`` with ``dL/dy_pred`` of ``y_pred``'s shape."""
        y_true, y_pred = self.validate(y_true, y_pred)
        return self.value(y_true, y_pred), self.gradient(y_true, y_pred)

    # The three methods below take labels already passed through :meth:`validate`
    # (gradient strategies validate once per step and then call them).
    def value(self, y_true, y_pred):
        """Reduced loss of validated labels (a Python float)."""
        return self._reduce(self._per_sample(y_true, y_pred))

    def gradient(self, y_true, y_pred):
        """``dL/dy_pred`` for validated labels."""
        return self._grad(y_true, y_pred) * self._factor(len(y_pred))

    def fused_gradient(self, activation, y_true, y_pred):
        """``dL/dz`` before ``activation`` for validated labels when a stable
        closed form exists, else ``None``."""
        return None

    def validate(self, y_true, y_pred):
        """Check and coerce the labels; raises ``ValueError`` naming the loss and shapes."""
        y_pred = np.asarray(y_pred)
        y_true = _as_numeric(y_true, f"{type(self).__name__} labels")
        if y_true.shape != y_pred.shape:
            if y_true.ndim == 1 and y_pred.ndim == 2 and y_pred.shape[1] == 1:
                y_true = y_true[:, None]
            else:
                raise ValueError(
                    f"{type(self).__name__}: labels of shape {y_true.shape} do not fit predictions of shape {y_pred.shape}"
                )
        return y_true, y_pred

    def get_config(self):
        return {"reduction": self.reduction, "scale": self.scale}

    # -- helpers --------------------------------------------------------------
    def _factor(self, n):
        return self.scale / n if self.reduction == "mean" else self.scale

    def _reduce(self, per_sample):
        return float(np.add.reduce(per_sample, axis=None) * self._factor(len(per_sample)))

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


def _clip_probabilities(p):
    """``p`` clipped to ``[1e-7, 1 - 1e-7]`` as Keras does; the ufuncs
    directly, since ``np.clip``'s wrapper costs more than the work on small batches."""
    return np.minimum(np.maximum(p, 1e-7), 1 - 1e-7)


def _as_numeric(a, what):
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be numeric, got dtype {a.dtype}")
    return a


def _mean_last(a):
    if a.ndim == 1:
        return a
    flat = a.reshape(len(a), -1)
    return flat[:, 0] if flat.shape[1] == 1 else flat.sum(axis=1) / flat.shape[1]


class MeanSquaredError(Loss):
    r"""Per sample :math:`\frac{1}{d}\sum_j (y_j - t_j)^2`; Keras' ``"mse"``."""

    name = "mean_squared_error"

    def _per_sample(self, t, y):
        return _mean_last(np.square(y - t))

    def _grad(self, t, y):
        d = y[0].size if y.ndim > 1 else 1
        return 2.0 * (y - t) / d


class SumSquaredError(Loss):
    r"""The tutorial's :math:`\frac12 \sum (y - t)^2` over batch and outputs."""

    name = "sum_squared_error"

    def __init__(self, reduction="sum", scale=0.5, name=None):
        super().__init__(reduction, scale, name)

    def _per_sample(self, t, y):
        return np.square(y - t).reshape(len(y), -1).sum(axis=1)

    def _grad(self, t, y):
        return 2.0 * (y - t)


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
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=False, reduction="mean", scale=1.0, delta=None, name=None):
        super().__init__(reduction, scale, name)
        self.from_logits = from_logits
        self.delta = delta

    def validate(self, y_true, y_pred):
        y_true, y_pred = super().validate(y_true, y_pred)
        if y_true.size and (y_true.min() < 0 or y_true.max() > 1):
            raise ValueError(f"BinaryCrossentropy: labels must lie in [0, 1], got values in [{y_true.min()}, {y_true.max()}]")
        return y_true, y_pred

    def _per_sample(self, t, y):
        if self.from_logits:
            # -[t log s(z) + (1-t) log(1-s(z))] = softplus(z) - t z, stable for any z.
            return _mean_last(np.logaddexp(0, y) - t * y)
        if self.delta is None:
            p = _clip_probabilities(y)
            return _mean_last(-(t * np.log(p) + (1 - t) * np.log(1 - p)))
        return _mean_last(-(t * np.log(y + self.delta) + (1 - t) * np.log(1 - y + self.delta)))

    def _grad(self, t, y):
        d = y[0].size if y.ndim > 1 else 1
        if self.from_logits:
            return (special.expit(y) - t) / d
        if self.delta is None:
            p = _clip_probabilities(y)
            inside = (y > 1e-7) & (y < 1 - 1e-7)  # clip has zero slope outside
            return inside * (-(t / p) + (1 - t) / (1 - p)) / d
        return (-(t / (y + self.delta)) + (1 - t) / (1 - y + self.delta)) / d

    def fused_gradient(self, activation, y_true, y_pred):
        if self.from_logits or not isinstance(activation, Sigmoid):
            return None
        d = y_pred[0].size if y_pred.ndim > 1 else 1
        return (y_pred - y_true) / d * self._factor(len(y_pred))

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
    """

    name = "categorical_crossentropy"

    def __init__(self, from_logits=False, reduction="mean", scale=1.0, delta=None, name=None):
        super().__init__(reduction, scale, name)
        self.from_logits = from_logits
        self.delta = delta

    def validate(self, y_true, y_pred):
        y_true, y_pred = super().validate(y_true, y_pred)
        if y_pred.ndim != 2:
            raise ValueError(f"{type(self).__name__}: predictions must be (batch, classes), got shape {y_pred.shape}")
        return y_true, y_pred

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

    def _grad(self, t, y):
        if self.from_logits:
            return special.softmax(y, axis=-1) * t.sum(axis=-1, keepdims=True) - t
        if self.delta is None:
            p = _clip_probabilities(y)
            return -(t / p) * ((y > 1e-7) & (y < 1 - 1e-7))
        return -t / (y + self.delta)

    def fused_gradient(self, activation, y_true, y_pred):
        if self.from_logits or not isinstance(activation, Softmax):
            return None
        return (y_pred * y_true.sum(axis=-1, keepdims=True) - y_true) * self._factor(len(y_pred))

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "delta": self.delta}


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer labels ``(n,)`` or ``(n, 1)`` in ``[0, classes)``."""

    name = "sparse_categorical_crossentropy"

    def validate(self, y_true, y_pred):
        y_pred = np.asarray(y_pred)
        y_true = _as_numeric(y_true, "SparseCategoricalCrossentropy labels")
        if y_true.ndim == 2 and y_true.shape[1] == 1:
            y_true = y_true[:, 0]
        if y_pred.ndim != 2 or y_true.shape != (len(y_pred),):
            raise ValueError(
                f"SparseCategoricalCrossentropy: integer labels of shape (batch,) do not fit predictions of shape "
                f"{y_pred.shape}, got labels of shape {y_true.shape}"
            )
        if y_true.dtype.kind == "f" and np.any(y_true != np.round(y_true)):
            raise ValueError("SparseCategoricalCrossentropy: labels must be integers (class indices)")
        if y_true.size and (y_true.min() < 0 or y_true.max() >= y_pred.shape[1]):
            raise ValueError(
                f"SparseCategoricalCrossentropy: labels must lie in [0, {y_pred.shape[1]}), "
                f"got values in [{y_true.min()}, {y_true.max()}]"
            )
        one_hot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        one_hot[np.arange(len(y_true)), y_true.astype(np.intp)] = 1
        return one_hot, y_pred


_LOSSES = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "sum_squared_error": SumSquaredError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy, "cce": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def get(identifier) -> Loss:
    """A loss from a name (``"mse"``, ``"binary_crossentropy"``, ...), class or instance."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    return lookup(_LOSSES, identifier, "loss")()


def serialize(loss: Loss):
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config) -> Loss:
    classes = {cls.__name__: cls for cls in set(_LOSSES.values())}
    return classes[config["class_name"]](**config["config"])
