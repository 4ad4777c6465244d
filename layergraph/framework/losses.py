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

from ._checks import is_number
from .activations import Sigmoid, Softmax
from .naming import Registry, lookup

__all__ = ["Loss", "MeanSquaredError", "SumSquaredError", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "get", "serialize", "deserialize", "LOSSES"]

#: Every :class:`Loss` subclass by class name, for :func:`deserialize`.
LOSSES = Registry("loss")

#: Accepted ``reduction`` values; ``"sum_over_batch_size"`` is Keras 3's name for ``"mean"``.
REDUCTIONS = ("mean", "sum", "sum_over_batch_size")


class Loss:
    """Base class.

    Subclasses implement ``_per_sample(y_true, y_pred) -> (n,)`` and
    ``_grad(y_true, y_pred) -> dL_sample/dy_pred`` (before reduction), and
    may override :meth:`validate` (shape and range checks of one batch),
    :meth:`check_labels` (the same checks on a whole dataset, once per
    ``fit``) and :meth:`fused_gradient`.

    Parameters
    ----------
    reduction : {"mean", "sum"}
        How per-sample losses combine over the batch (``"mean"`` divides
        by the batch size, with or without sample weights, like Keras'
        ``"sum_over_batch_size"``).
    scale : float
        Constant factor (0.5 for the tutorial's half sums).
    name : str, optional
    """

    name = "loss"

    #: Whether predictions are logits (losses that take probabilities say ``False``).
    from_logits = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        LOSSES.register(cls)
        # A subclass that redefines value() alone may no longer be a sum over samples.
        if "value" in cls.__dict__ and "sample_losses" not in cls.__dict__:
            cls.sample_losses = Loss._not_a_sum

    def __init__(self, reduction="mean", scale=1.0, name=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean' or 'sum' (Keras' "
                             f"'sum_over_batch_size' means 'mean'), got {reduction!r}")
        if not is_number(scale) or not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"{type(self).__name__}: scale must be a positive finite number, got {scale!r}")
        self.reduction = "mean" if reduction == "sum_over_batch_size" else reduction
        self.scale = float(scale)
        if name:
            self.name = name

    # -- public ---------------------------------------------------------------
    def __call__(self, y_true, y_pred, sample_weight=None):
        """Reduced loss value (a Python float)."""
        y_true, y_pred = self.validate(y_true, y_pred)
        return self.value(y_true, y_pred, _as_sample_weight(sample_weight, len(y_pred), type(self).__name__))

    def value_and_gradient(self, y_true, y_pred, sample_weight=None):
        """``(loss, dL/dy_pred)`` with ``dL/dy_pred`` of ``y_pred``'s shape."""
        y_true, y_pred = self.validate(y_true, y_pred)
        sample_weight = _as_sample_weight(sample_weight, len(y_pred), type(self).__name__)
        return self.value(y_true, y_pred, sample_weight), self.gradient(y_true, y_pred, sample_weight)

    # The three methods below take labels already passed through :meth:`validate`
    # (gradient strategies coerce once per step and then call them), and
    # ``sample_weight`` as ``None`` or a validated ``(n,)`` array.
    def value(self, y_true, y_pred, sample_weight=None):
        """Reduced loss of validated labels (a Python float)."""
        per_sample = self._per_sample(y_true, y_pred)
        if sample_weight is not None:
            per_sample = per_sample * sample_weight
        return float(np.add.reduce(per_sample, axis=None) * self._factor(len(per_sample)))

    def sample_losses(self, y_true, y_pred, sample_weight=None, batch_size=None):
        """Each sample's share of :meth:`value`, ``(n,)``, for validated labels; ``None`` if the loss is no such sum.

        The per-sample loss (times its weight) times the reduction's factor
        for a batch of ``batch_size`` samples (default ``len(y_pred)``), so
        that the shares of a whole batch add up to :meth:`value` (up to
        rounding). The vectorised numeric gradient evaluates the loss on the
        changed samples of many perturbed copies at once through it. A
        subclass that redefines :meth:`value` without redefining this gets
        ``None`` (then each copy's :meth:`value` is computed on its own).
        """
        per_sample = self._per_sample(y_true, y_pred)
        if sample_weight is not None:
            per_sample = per_sample * sample_weight
        return per_sample * self._factor(len(y_pred) if batch_size is None else batch_size)

    def _not_a_sum(self, y_true, y_pred, sample_weight=None, batch_size=None):
        """:meth:`sample_losses` of a loss whose :meth:`value` is not known to be a sum over samples."""
        return None

    def gradient(self, y_true, y_pred, sample_weight=None):
        """``dL/dy_pred`` for validated labels."""
        return self._weighted(self._grad(y_true, y_pred) * self._factor(len(y_pred)), sample_weight)

    def fused_gradient(self, activation, y_true, y_pred, sample_weight=None):
        """``dL/dz`` before ``activation`` for validated labels when a closed
        form exists that is exact for this loss as defined, else ``None``."""
        return None

    def validate(self, y_true, y_pred, check=True):
        """Coerce the labels of one batch to the predictions' shape; with
        ``check``, also verify their values. Raises ``ValueError`` naming the
        loss and the shapes."""
        if not check and type(y_true) is np.ndarray and type(y_pred) is np.ndarray and y_true.shape == y_pred.shape:
            return y_true, y_pred  # labels prepared by the trainer: nothing to coerce on this step
        y_pred = np.asarray(y_pred)
        y_true = _as_numeric(y_true, f"{type(self).__name__} labels")
        if y_true.shape != y_pred.shape:
            if y_true.ndim == 1 and y_pred.ndim == 2 and y_pred.shape[1] == 1:
                y_true = y_true[:, None]
            else:
                raise ValueError(
                    f"{type(self).__name__}: labels of shape {y_true.shape} do not fit predictions of shape {y_pred.shape}"
                )
        if check:
            self._check_values(y_true, y_pred.shape[1:] if y_pred.ndim > 1 else ())
        return y_true, y_pred

    def check_labels(self, y_true, output_shape):
        """Verify a whole dataset's labels once, vectorised, before training.

        Parameters
        ----------
        y_true : numpy.ndarray
            All the labels, ``(n, ...)``.
        output_shape : tuple
            The model output's feature shape (no batch axis).

        Raises
        ------
        ValueError
            Naming the loss, the problem and the first offending row.
        """
        y_true = _as_numeric(y_true, f"{type(self).__name__} labels")
        shape = (len(y_true), *output_shape)
        if y_true.shape != shape and not (y_true.ndim == 1 and shape[1:] == (1,)):
            raise ValueError(f"{type(self).__name__}: labels of shape {y_true.shape} do not fit predictions of "
                             f"shape {shape}")
        self._check_values(y_true.reshape(shape) if y_true.shape != shape else y_true, tuple(output_shape))

    def _check_values(self, y_true, output_shape):
        """Hook: raise ``ValueError`` for label values this loss cannot take (finiteness by default)."""
        _require(y_true, np.isfinite(y_true), type(self).__name__, "labels must be finite")

    def get_config(self):
        return {"reduction": self.reduction, "scale": self.scale}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- helpers --------------------------------------------------------------
    def _factor(self, n):
        return self.scale / n if self.reduction == "mean" else self.scale

    @staticmethod
    def _weighted(grad, sample_weight):
        if sample_weight is None:
            return grad
        return grad * sample_weight.reshape((-1,) + (1,) * (grad.ndim - 1))

    def __repr__(self):
        return f"{type(self).__name__}({self.get_config()})"


def _require(values, ok, owner, what, first="got"):
    """Raise ``ValueError`` ``"<owner>: <what>; got <value> at row <i>"`` for the first row where ``ok`` fails."""
    ok = np.asarray(ok)
    if ok.all():
        return
    rows = ok.reshape(len(ok), -1).all(axis=1) if ok.ndim > 1 else ok
    row = int(np.argmin(rows))
    bad = np.asarray(values)[row]
    raise ValueError(f"{owner}: {what}; {first} {np.array2string(np.asarray(bad), threshold=8)} at row {row} "
                     f"(of {len(ok)})")


def _as_sample_weight(sample_weight, n, owner):
    """``None`` or a float ``(n,)`` array of finite, non-negative weights."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: sample_weight must be numeric, got dtype {w.dtype}")
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.shape != (n,):
        raise ValueError(f"{owner}: sample_weight must have one value per sample, shape ({n},), got {w.shape}")
    _require(w, np.isfinite(w) & (w >= 0), owner, "sample weights must be finite and non-negative")
    return w.astype(np.float64, copy=False)


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

    Notes
    -----
    After a sigmoid, backpropagation starts from the fused gradient
    ``dL/dz = (p - t) / d`` with ``delta=0`` (exact) and with the default
    clipping (the gradient of the unclipped cross-entropy, as TensorFlow's
    Keras computes it from the logits: the clip only keeps the reported
    value finite, and a saturated wrong output still gets a gradient). With
    ``delta > 0`` it goes through the sigmoid's Jacobian, exactly.
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
            _require(y_true, inside, "BinaryCrossentropy", f"labels must lie in [0, 1], got values in "
                                                           f"[{np.nanmin(y_true)}, {np.nanmax(y_true)}]", "the first outside is")

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

    def fused_gradient(self, activation, y_true, y_pred, sample_weight=None):
        if self.from_logits or not isinstance(activation, Sigmoid) or self.delta:
            return None
        d = y_pred[0].size if y_pred.ndim > 1 else 1
        return self._weighted((y_pred - y_true) * (self._factor(len(y_pred)) / d), sample_weight)

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
    """Categorical cross-entropy with integer labels ``(n,)`` or ``(n, 1)`` in ``[0, classes)``."""

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


#: Names accepted by :func:`get` (Keras' and the tutorial's).
_LOSSES = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "sum_squared_error": SumSquaredError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy, "cce": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def get(identifier) -> Loss:
    """A loss from a name (``"mse"``, ``"binary_crossentropy"``, ...), class, config dict or instance."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return lookup(_LOSSES, identifier, "loss")()


def serialize(loss: Loss):
    """``{"class_name": ..., "config": ...}``."""
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config, custom_objects=None) -> Loss:
    """Inverse of :func:`serialize`; user classes through ``custom_objects`` or a custom-object scope."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"A loss config must be {{'class_name': str, 'config': dict}}, got {config!r:.200}")
    cls = LOSSES.get(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))
