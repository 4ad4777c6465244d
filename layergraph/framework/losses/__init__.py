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

The losses live in submodules, re-exported here: :mod:`~layergraph.framework.losses.base` (the
:class:`Loss` contract), :mod:`~layergraph.framework.losses.crossentropy`,
:mod:`~layergraph.framework.losses.regression` (MSE, MAE, MAPE, MSLE, Huber, LogCosh, CosineSimilarity),
:mod:`~layergraph.framework.losses.probabilistic` (KLDivergence, Poisson) and
:mod:`~layergraph.framework.losses.hinge`. Each also has Keras' function form,
``mean_absolute_error(y_true, y_pred)`` and so on, returning the unreduced values (one per sample for ``(n, d)``
predictions).

Example
-------
>>> import numpy as np
>>> from layergraph import losses
>>> losses.get("mse")(np.array([[1.0], [0.0]]), np.array([[0.5], [0.0]]))
0.125
"""
from __future__ import annotations

from ..naming import custom_object_scope, lookup
from .base import EPSILON, LOSSES, REDUCTIONS, ElementwiseLoss, Loss, LossFunctionWrapper
from .crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from .hinge import Hinge, SquaredHinge, hinge, squared_hinge
from .probabilistic import KLDivergence, Poisson, kl_divergence, poisson
from .regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    SumSquaredError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

__all__ = ["Loss", "ElementwiseLoss", "LossFunctionWrapper", "MeanSquaredError", "SumSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Huber", "LogCosh", "CosineSimilarity",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence",
           "Poisson", "Hinge", "SquaredHinge", "mean_squared_error", "mean_absolute_error",
           "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "huber", "log_cosh",
           "cosine_similarity", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "kl_divergence", "poisson", "hinge", "squared_hinge", "get", "serialize", "deserialize", "LOSSES",
           "REDUCTIONS", "EPSILON"]

#: Names accepted by :func:`get` (Keras' and the tutorial's).
_LOSSES = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "sum_squared_error": SumSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "huber": Huber, "huber_loss": Huber, "log_cosh": LogCosh, "logcosh": LogCosh,
    "cosine_similarity": CosineSimilarity,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy, "cce": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "poisson": Poisson, "hinge": Hinge, "squared_hinge": SquaredHinge,
}

#: Keras' loss functions given as ``compile(loss=keras.losses.mean_absolute_error)``: their classes.
_FUNCTIONS = {
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError, huber: Huber, log_cosh: LogCosh,
    cosine_similarity: CosineSimilarity, binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy, sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    kl_divergence: KLDivergence, poisson: Poisson, hinge: Hinge, squared_hinge: SquaredHinge,
}


def get(identifier) -> Loss:
    """A loss from a name (``"mse"``, ``"mae"``, ``"binary_crossentropy"``, a class name such as
    ``"Huber"``...), a class, a config dict, an instance, or one of this module's loss functions.

    Parameters
    ----------
    identifier : str, type, dict, Loss or callable
        A name, a class, :func:`serialize`'s dict, an instance (returned as is) or a loss function.

    Raises
    ------
    ValueError
        An unknown name; the message lists the valid ones.
    TypeError
        Anything else.

    Example
    -------
    >>> import layergraph as lg
    >>> type(lg.losses.get("mae")).__name__, type(lg.losses.get("Huber")).__name__
    ('MeanAbsoluteError', 'Huber')
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    for function, cls in _FUNCTIONS.items():
        if identifier is function:
            return cls()
    if callable(identifier) and not isinstance(identifier, (str, type)):
        return LossFunctionWrapper(identifier)
    if isinstance(identifier, str) and identifier not in ("Loss", "ElementwiseLoss") \
            and identifier in LOSSES.names():
        return LOSSES.get(identifier)()  # a class name, as Keras takes "MeanAbsoluteError"
    return lookup(_LOSSES, identifier, "loss")()


def serialize(loss: Loss):
    """``{"class_name": ..., "config": ...}``.

    Parameters
    ----------
    loss : Loss
        The loss.
    """
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config, custom_objects=None) -> Loss:
    """Inverse of :func:`serialize`; user classes through ``custom_objects`` or a custom-object scope.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": ...}``.
    custom_objects : dict, optional
        ``{name: class}`` for losses defined outside layergraph.
    """
    with custom_object_scope(custom_objects or {}):  # LossFunctionWrapper finds its function by name
        return LOSSES.deserialize(config, custom_objects)
