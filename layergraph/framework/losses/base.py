"""The :class:`Loss` contract: one reduction for value and gradient, label checks, sample weights.

Example
-------
>>> import numpy as np
>>> class Absolute(Loss):
...     def _per_sample(self, t, y):
...         return np.abs(y - t).sum(axis=1)
...     def _grad(self, t, y):
...         return np.sign(y - t)
>>> Absolute()(np.array([[1.0], [0.0]]), np.array([[0.5], [2.0]]))
1.25
"""
from __future__ import annotations

import numpy as np

from .. import autodiff
from .._checks import is_number
from ..naming import Registry, function_name, saved_function

__all__ = ["Loss", "ElementwiseLoss", "LossFunctionWrapper", "LOSSES", "REDUCTIONS", "EPSILON"]

#: Every :class:`Loss` subclass by class name, for :func:`deserialize`.
LOSSES = Registry("loss")

#: Accepted ``reduction`` values; ``"sum_over_batch_size"`` is Keras 3's name for ``"mean"``.
REDUCTIONS = ("mean", "sum", "sum_over_batch_size")

#: Keras' ``backend.epsilon()``: the floor of divisions and logarithms in the losses.
EPSILON = 1e-7


class Loss:
    """Base class of the losses: one reduction for value and gradient, label checks, sample weights.

    There are two ways to write a loss. **The Keras way**: implement
    ``call(y_true, y_pred)`` returning the loss of each sample, shape
    ``(batch,)`` (or ``(batch, ...)``, averaged over the other axes), in
    plain numpy; the base class reduces it and differentiates it on the
    autodiff tape. **With a hand-written gradient** (the built-in losses):
    implement ``_per_sample(y_true, y_pred) -> (n,)`` and ``_grad(y_true,
    y_pred) -> dL_sample/dy_pred`` (before reduction). Either may override
    :meth:`validate` (shape and range checks of one batch),
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
        The loss's name (its log key for several outputs); default the class's ``name``.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> loss = lg.losses.MeanSquaredError()
    >>> loss(np.array([[1.0], [0.0]]), np.array([[0.5], [2.0]]))    # (0.25 + 4) / 2
    2.125
    >>> value, grad = loss.value_and_gradient(np.array([[1.0], [0.0]]), np.array([[0.5], [2.0]]))
    >>> grad.ravel().tolist()                                           # 2 (y - t) / n
    [-0.5, 2.0]
    """

    name = "loss"

    #: Whether predictions are logits (losses that take probabilities say ``False``).
    from_logits = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        LOSSES.register(cls)
        # A loss written the Keras way (call() and no _per_sample of its own) is reduced and
        # differentiated from call().
        if "call" in cls.__dict__ and "_per_sample" not in cls.__dict__:
            cls._per_sample = Loss._per_sample_from_call
            cls._grad = Loss._grad_from_call
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
        """Reduced loss value (a Python float).

        Parameters
        ----------
        y_true : array-like
            Labels ``(n, ...)`` (integer class labels for the sparse losses).
        y_pred : array-like
            Predictions ``(n, ...)``.
        sample_weight : array-like, optional
            ``(n,)`` weights of the samples' losses.
        """
        y_true, y_pred = self.validate(y_true, y_pred)
        return self.value(y_true, y_pred, _as_sample_weight(sample_weight, len(y_pred), type(self).__name__))

    def call(self, y_true, y_pred):
        """The unreduced loss, as Keras' ``Loss.call`` and its loss functions: one value per sample for
        ``(n, d)`` predictions (the last axis reduced), no label checks.

        ``layergraph.losses.mean_absolute_error(y_true, y_pred)`` and the other
        functions of that module are this method of their class.

        Parameters
        ----------
        y_true : array-like
            Labels ``(n, ...)`` (integer class labels for the sparse losses).
        y_pred : array-like
            Predictions ``(n, ...)``.
        """
        y_pred = np.asarray(y_pred)
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(np.float64)
        y_true, y_pred = self.validate(y_true, y_pred, check=False)
        return self._unreduced(np.asarray(y_true, dtype=y_pred.dtype), y_pred)

    def _unreduced(self, y_true, y_pred):
        """Hook of :meth:`call`: the loss reduced over the last axis only."""
        raise NotImplementedError(f"{type(self).__name__} has no unreduced form")

    # -- losses written with call() -----------------------------------------------
    def _call_values(self, t, y):
        """``call(y_true, y_pred)`` with the labels in the predictions' dtype, checked to be per sample."""
        out = self.call(np.asarray(t, dtype=y.dtype) if t.dtype != y.dtype else t, y)
        shape = np.shape(out)
        if len(shape) == 0 or shape[0] != len(y):
            raise ValueError(f"{type(self).__name__}.call must return one loss per sample, shape ({len(y)},) "
                             f"(or ({len(y)}, ...)), got shape {shape}")
        return out

    def _per_sample_from_call(self, t, y):
        """``_per_sample`` of a loss written with ``call()``: its values averaged over all but the batch axis."""
        out = np.asarray(autodiff.stop_gradient(self._call_values(t, y)), dtype=y.dtype)
        return out if out.ndim == 1 else out.reshape(len(out), -1).mean(axis=1)

    def _grad_from_call(self, t, y):
        """``_grad`` of a loss written with ``call()``: its ops recorded on the tape and replayed backwards."""
        out, backward = autodiff.record(lambda pred: self._call_values(t, pred), y, name=type(self).__name__)
        seed = np.full(out.shape, len(out) / out.size, dtype=out.dtype)  # the mean over the non-batch axes
        return backward(seed)[0]

    def value_and_gradient(self, y_true, y_pred, sample_weight=None):
        """``(loss, dL/dy_pred)`` with ``dL/dy_pred`` of ``y_pred``'s shape.

        Parameters
        ----------
        y_true : array-like
            Labels ``(n, ...)`` (integer class labels for the sparse losses).
        y_pred : array-like
            Predictions ``(n, ...)``.
        sample_weight : array-like, optional
            ``(n,)`` weights of the samples' losses.
        """
        y_true, y_pred = self.validate(y_true, y_pred)
        sample_weight = _as_sample_weight(sample_weight, len(y_pred), type(self).__name__)
        return self.value(y_true, y_pred, sample_weight), self.gradient(y_true, y_pred, sample_weight)

    # The three methods below take labels already passed through :meth:`validate`
    # (gradient strategies coerce once per step and then call them), and
    # ``sample_weight`` as ``None`` or a validated ``(n,)`` array.
    def value(self, y_true, y_pred, sample_weight=None):
        """Reduced loss of validated labels (a Python float).

        Parameters
        ----------
        y_true : numpy.ndarray
            Labels already passed through :meth:`validate`.
        y_pred : numpy.ndarray
            Predictions ``(n, ...)``.
        sample_weight : numpy.ndarray, optional
            Validated ``(n,)`` weights, or ``None``.
        """
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
        changed samples of many perturbed copies at once through it. It is
        ``None`` (then each copy's :meth:`value` is computed on its whole
        batch) for a subclass that redefines :meth:`value` without
        redefining this, and for a loss written with ``call()`` (and
        :class:`LossFunctionWrapper`): nothing guarantees that its ``call``
        computes each sample's loss from that sample alone.

        Parameters
        ----------
        y_true, y_pred : numpy.ndarray
            Validated labels and predictions, ``(n, ...)``.
        sample_weight : numpy.ndarray, optional
            ``(n,)`` weights.
        batch_size : int, optional
            The batch whose reduction factor applies (default ``n``).
        """
        if type(self)._per_sample is Loss._per_sample_from_call:
            return None
        per_sample = self._per_sample(y_true, y_pred)
        if sample_weight is not None:
            per_sample = per_sample * sample_weight
        return per_sample * self._factor(len(y_pred) if batch_size is None else batch_size)

    def _not_a_sum(self, y_true, y_pred, sample_weight=None, batch_size=None):
        """:meth:`sample_losses` of a loss whose :meth:`value` is not known to be a sum over samples."""
        return None

    def gradient(self, y_true, y_pred, sample_weight=None):
        """``dL/dy_pred`` for validated labels.

        Parameters
        ----------
        y_true : numpy.ndarray
            Labels already passed through :meth:`validate`.
        y_pred : numpy.ndarray
            Predictions ``(n, ...)``.
        sample_weight : numpy.ndarray, optional
            Validated ``(n,)`` weights, or ``None``.
        """
        return self._weighted(self._grad(y_true, y_pred) * self._factor(len(y_pred)), sample_weight)

    def fused_gradient(self, activation, y_true, y_pred, sample_weight=None):
        """``dL/dz`` before ``activation`` for validated labels when a closed
        form exists that is exact for this loss as defined, else ``None``.

        Parameters
        ----------
        activation : ActivationFunction
            The output layer's activation.
        y_true : numpy.ndarray
            Labels already passed through :meth:`validate`.
        y_pred : numpy.ndarray
            The activation's output.
        sample_weight : numpy.ndarray, optional
            Validated ``(n,)`` weights, or ``None``.
        """
        return None

    def validate(self, y_true, y_pred, check=True):
        """Coerce the labels of one batch to the predictions' shape; with
        ``check``, also verify their values. Raises ``ValueError`` naming the
        loss and the shapes.

        Parameters
        ----------
        y_true : array-like
            Labels ``(n, ...)`` (integer class labels for the sparse losses).
        y_pred : array-like
            Predictions ``(n, ...)``.
        check : bool, default True
            Also verify the label values (not only their shape).
        """
        if not check and type(y_true) is np.ndarray and type(y_pred) is np.ndarray and y_true.shape == y_pred.shape:
            return y_true, y_pred  # labels prepared by the trainer: nothing to coerce on this step
        y_pred = np.asarray(y_pred)
        y_true = _as_numeric(y_true, f"{type(self).__name__} labels")
        if y_true.shape != y_pred.shape:
            if y_true.ndim == 1 and y_pred.ndim == 2 and y_pred.shape[1] == 1:
                y_true = y_true[:, None]
            else:
                raise ValueError(
                    f"{type(self).__name__}: labels of shape {y_true.shape} do not fit predictions "
                    f"of shape {y_pred.shape}"
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
        """The constructor arguments (JSON-able)."""
        return {"reduction": self.reduction, "scale": self.scale}

    @classmethod
    def from_config(cls, config):
        """A new loss from :meth:`get_config`'s dict.

        Parameters
        ----------
        config : dict
            What :meth:`get_config` returned.
        """
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


#: The bounds of :func:`_clip_probabilities` by dtype, as 0-d arrays of it: the same values as the
#: Python floats, which numpy would convert at every call (a third of a small batch's call).
_CLIP_BOUNDS = {np.dtype(t): (np.array(1e-7, dtype=t), np.array(1 - 1e-7, dtype=t)) for t in (np.float64, np.float32)}


def _clip_probabilities(p):
    """``p`` clipped to ``[1e-7, 1 - 1e-7]`` as Keras does; the ufuncs
    directly, since ``np.clip``'s wrapper costs more than the work on small batches."""
    low, high = _CLIP_BOUNDS.get(p.dtype, (1e-7, 1 - 1e-7))
    return np.minimum(np.maximum(p, low), high)


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


class ElementwiseLoss(Loss):
    """A loss that is the mean, over every non-batch element, of an element-wise function (MAE, Huber...).

    Subclasses implement ``_elements(y_true, y_pred)`` (the element-wise
    losses, the predictions' shape) and ``_element_grad(y_true, y_pred)``
    (their derivatives with respect to ``y_pred``); the per-sample loss is
    their mean over the non-batch axes (Keras' mean over the last axis,
    then over the others by the ``"sum_over_batch_size"`` reduction), and
    Keras' loss function (:meth:`call`) their mean over the last axis.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> class Quartic(lg.losses.ElementwiseLoss):
    ...     def _elements(self, t, y):
    ...         return (y - t) ** 4
    ...     def _element_grad(self, t, y):
    ...         return 4 * (y - t) ** 3
    >>> Quartic()(np.array([[0.0, 0.0]]), np.array([[1.0, 2.0]]))      # mean of 1 and 16
    8.5
    """

    def _per_sample(self, t, y):
        return _mean_last(self._elements(t, y))

    def _grad(self, t, y):
        d = y[0].size if y.ndim > 1 else 1
        return self._element_grad(t, y) / d

    def _unreduced(self, t, y):
        return np.mean(self._elements(t, y), axis=-1)

    def _elements(self, t, y):
        raise NotImplementedError(f"{type(self).__name__} must implement _elements()")

    def _element_grad(self, t, y):
        raise NotImplementedError(f"{type(self).__name__} must implement _element_grad()")


class LossFunctionWrapper(Loss):
    """A loss from a function ``fn(y_true, y_pred, **kwargs)`` returning one value per sample (Keras' wrapper).

    The base class reduces the values (``reduction``) and differentiates
    the function on the autodiff tape, so it is written in plain numpy.
    ``compile(loss=fn)`` wraps a function this way. Saving stores the
    function's name; loading finds it in ``custom_objects`` or a
    ``custom_object_scope``.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **kwargs)`` returning the ``(n,)`` per-sample
        losses, in plain numpy.
    reduction : {"mean", "sum"}, default "mean"
        How the per-sample values are reduced.
    name : str, optional
        Default: the function's ``__name__``.
    **kwargs
        Extra keyword arguments passed to ``fn`` (saved with the config).

    Example
    -------
    >>> import numpy as np
    >>> def mean_abs(y_true, y_pred):
    ...     return np.mean(np.abs(y_true - y_pred), axis=-1)
    >>> loss = LossFunctionWrapper(mean_abs)
    >>> loss.name, loss(np.array([[1.0], [0.0]]), np.array([[0.5], [2.0]]))
    ('mean_abs', 1.25)
    >>> loss.value_and_gradient(np.array([[1.0], [0.0]]), np.array([[0.5], [2.0]]))[1].tolist()
    [[-0.5], [0.5]]
    """

    def __init__(self, fn, reduction="mean", name=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: fn must be a function fn(y_true, y_pred), got {fn!r}")
        # Any callable may be a loss; functools.partial objects, for one, have no __name__.
        super().__init__(reduction=reduction, name=name or function_name(fn, "loss"))
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        name = function_name(self.fn, None)
        if name is None or name == "<lambda>":
            raise ValueError(f"The loss function {self.fn!r} cannot be saved by name: give it a name (def), or "
                             f"save the weights only")
        return {"fn": name, "reduction": self.reduction, "name": self.name, **self.fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(saved_function(config.pop("fn"), "loss function"), **config)
