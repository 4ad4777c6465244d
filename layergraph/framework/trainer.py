"""The training loop.

One step: the :class:`Trainer` takes a batch, asks its injected gradient
strategy for ``(loss, grads)``, checks that both are finite, lets the
optimizer update the weights and tells the callbacks. ``model.fit`` is a thin
front of this class; it can also be used directly:

Example
-------
>>> import numpy as np, layergraph as lg
>>> model = lg.Sequential([lg.layers.Dense(1, activation="sigmoid", input_shape=(2,))])
>>> trainer = lg.Trainer(model, loss="binary_crossentropy", optimizer=lg.optimizers.SGD(0.5),
...                      gradient="numeric", seed=0)
>>> x, y = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]), np.array([0., 0., 0., 1.])
>>> history = trainer.fit(x, y, epochs=3, batch_size=4, verbose=0)
>>> len(history.history["loss"])
3
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import gradients as gradients_module
from . import losses as losses_module
from . import metrics as metrics_module
from . import optimizers as optimizers_module
from .callbacks import CallbackList, History, ProgressLogger
from .gradients import regularization


def _as_float_array(x, dtype, what):
    """Cast once to the model's dtype (no copy when it already matches)."""
    if isinstance(x, (list, tuple)) and x and isinstance(x[0], np.ndarray) and x[0].ndim > 1:
        raise TypeError(f"{what}: multiple input arrays are not supported by fit; pass one array")
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be a numeric array, got dtype {a.dtype}")
    return a.astype(dtype, copy=False)


def _as_labels(y, dtype, what="y"):
    a = np.asarray(y)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be a numeric array, got dtype {a.dtype}")
    return a.astype(dtype, copy=False) if a.dtype.kind == "f" else a


class Trainer:
    """Owns the training loop and injects the gradient strategy.

    Parameters
    ----------
    model : Model or Sequential
    loss : str or Loss
    optimizer : str or Optimizer
    gradient : {"analytic", "numeric"} or GradientStrategy
    metrics : list of str or callable, optional
    seed : int, optional
        Seed of the per-epoch shuffling.
    """

    def __init__(self, model, loss, optimizer="sgd", gradient="analytic", metrics=None, seed=None):
        self.model = model
        self.loss = losses_module.get(loss)
        self.optimizer = optimizers_module.get(optimizer)
        self.gradient = gradients_module.get(gradient)
        if getattr(self.gradient, "max_coordinates", None):
            raise ValueError("A NumericGradient with max_coordinates samples the gradient: use it with "
                             "gradients.check, not for training")
        self.metrics = [metrics_module.get(m, self.loss) for m in (metrics or [])]
        self.rng = np.random.default_rng(seed)
        self.stop_training = False
        self.epoch = 0

    # -- steps -------------------------------------------------------------------
    def _metric_logs(self, y, y_pred):
        return {name: fn(y, y_pred) for name, fn in self.metrics}

    def train_step(self, x, y):
        """One update on one batch. Returns the logs (loss and metrics, measured
        before the update), or ``None`` if the loss or a gradient was not
        finite (then no weight changed)."""
        model = self.model
        value, grads = self.gradient.gradients(model, self.loss, x, y)
        # One reduction per gradient: a nan or inf anywhere makes its sum non-finite.
        if not math.isfinite(value) or not math.isfinite(float(sum(np.add.reduce(g, axis=None) for g in grads))):
            return None
        if hasattr(self.optimizer, "minimize_model"):
            raise TypeError("ScipyOptimizer minimises the whole problem at once: use model.fit with it, not train_step")
        logs = {"loss": value}
        if self.metrics:
            # Metrics are measured on the batch before the update, as Keras does: on the
            # outputs of the strategy's own (training-mode) forward pass when it offers them,
            # else on one more, inference-mode, pass.
            seen = getattr(self.gradient, "last_outputs", None)
            y_pred = seen[1] if seen is not None and seen[0] is x else model.forward(x, training=False)[0]
            logs.update(self._metric_logs(y, y_pred))
        self.optimizer.apply(model.trainable_weights, grads)
        return logs

    def _ensure_built(self, x):
        if not self.model.built:
            self.model.build((None, *x.shape[1:]))

    def _validate(self, x, y, what=""):
        if len(x) != len(y):
            raise ValueError(f"{what}x and y have different numbers of samples: x {x.shape}, y {np.shape(y)}")
        if len(x) == 0:
            raise ValueError(f"{what}x is empty")
        self._ensure_built(x)
        # One forward pass on two samples catches shape and label errors
        # (naming the layer or the loss) before any weight is changed.
        try:
            probe = self.model.forward(x[:2], training=False)[0]
            self.loss.validate(y[:2], probe)
        except ValueError as err:
            raise ValueError(f"{err} (checked on the first samples of {what}x, shape {x.shape}, "
                             f"y shape {np.shape(y)})") from None

    # -- fit -----------------------------------------------------------------------
    def fit(self, x, y, epochs=1, batch_size=None, shuffle=True, validation_data=None, verbose=1, callbacks=None,
            initial_epoch=0):
        """Train for ``epochs`` epochs; returns the :class:`History`.

        ``batch_size=None`` means 32, as in Keras. Each epoch visits every
        sample once, in a new order when ``shuffle`` is true.
        """
        if not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"fit: batch_size must be a positive integer, got {batch_size!r}")
        dtype = self.model.dtype
        x = _as_float_array(x, dtype, "x")
        y = _as_labels(y, dtype)
        self._validate(x, y)
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be a tuple (x_val, y_val)")
            vx = _as_float_array(validation_data[0], dtype, "validation x")
            vy = _as_labels(validation_data[1], dtype, "validation y")
            self._validate(vx, vy, "validation ")
        n = len(x)
        batch_size = min(int(batch_size or 32), n)
        steps = math.ceil(n / batch_size)
        history = History()
        logger = [ProgressLogger(verbose)] if verbose else []
        cbs = CallbackList(list(callbacks or []) + [history] + logger, self.model,
                           {"epochs": epochs, "steps": steps, "verbose": verbose, "samples": n})
        self.stop_training = False
        self.model.stop_training = False
        scipy_opt = hasattr(self.optimizer, "minimize_model")
        cbs.on_train_begin({})
        for epoch in range(initial_epoch, epochs):
            self.epoch = epoch
            cbs.on_epoch_begin(epoch, {})
            if scipy_opt:
                logs = self.optimizer.minimize_model(self, x, y)
                cbs.on_train_batch_end(0, dict(logs))
            else:
                logs = self._run_epoch(x, y, batch_size, shuffle, epoch, cbs)
            if logs is None:  # non-finite loss: stopped, weights of the last finite step kept
                break
            if validation_data is not None:
                for k, v in self.evaluate(vx, vy, batch_size=batch_size).items():
                    logs[f"val_{k}"] = v
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training or getattr(self.model, "stop_training", False):
                break
        cbs.on_train_end({})
        self.model.history = history
        return history

    def _run_epoch(self, x, y, batch_size, shuffle, epoch, cbs):
        n = len(x)
        order = self.rng.permutation(n) if shuffle else None
        total = 0.0
        metric_sums = {name: 0.0 for name, _ in self.metrics}
        for step, start in enumerate(range(0, n, batch_size)):
            if order is None:
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            else:
                idx = order[start:start + batch_size]
                xb, yb = x[idx], y[idx]
            cbs.on_train_batch_begin(step, {})
            logs = self.train_step(xb, yb)
            if logs is None:
                message = (f"Non-finite loss or gradient at epoch {epoch + 1}, batch {step + 1}: training stopped; "
                           "the weights of the last finite step are kept")
                warnings.warn(message, RuntimeWarning, stacklevel=3)
                self.stop_training = True
                self.model.stop_training = True
                self.nonfinite = (epoch, step)
                return None
            for k in metric_sums:
                metric_sums[k] += logs[k] * len(xb)
            total += logs["loss"] * len(xb)
            cbs.on_train_batch_end(step, logs)
        out = {"loss": total / n}
        out.update({k: v / n for k, v in metric_sums.items()})
        return out

    # -- inference -----------------------------------------------------------------
    def evaluate(self, x, y, batch_size=None):
        """Loss (with weight penalties) and metrics on all of ``x``; a dict."""
        x = _as_float_array(x, self.model.dtype, "x")
        y = _as_labels(y, self.model.dtype)
        if len(x) != len(y):
            raise ValueError(f"evaluate: x and y have different numbers of samples: x {x.shape}, y {np.shape(y)}")
        y_pred = predict(self.model, x, batch_size)
        logs = {"loss": self.loss(y, y_pred) + regularization(self.model)[0]}
        logs.update(self._metric_logs(y, y_pred))
        return logs


#: Batch size of ``predict``/``evaluate`` when none is given and the model
#: cannot tell its layers' output shapes (see :func:`predict_batch_size`).
PREDICT_BATCH_SIZE = 256

#: Bounds of the default ``predict``/``evaluate`` batch (:func:`predict_batch_size`).
PREDICT_BATCH_MIN, PREDICT_BATCH_MAX = 32, 1024

#: Bytes that the largest layer output of one default ``predict`` batch may take.
PREDICT_BATCH_BYTES = 4 * 2**20


def predict_batch_size(model):
    """The batch size of ``predict``/``evaluate`` for ``model`` when none is given.

    Inference is fastest when a batch's intermediate arrays stay in the CPU's
    caches, and when each call does enough work to amortise Python's overhead:
    the largest power of two between :data:`PREDICT_BATCH_MIN` (32, Keras'
    default) and :data:`PREDICT_BATCH_MAX` (1024) whose largest layer output
    (over samples of the model's input shape, in its dtype) fits in
    :data:`PREDICT_BATCH_BYTES`. E.g. 1024 for the MNIST MLPs, whose widest
    layer holds 256 numbers a sample, and 32 for the Keras-example CNN, whose
    first convolution holds 21,632. :data:`PREDICT_BATCH_SIZE` when the model
    is not built or cannot list its layers' output shapes. The outputs do not
    depend on the batch size (inference mode), only the speed and the memory.
    """
    try:
        sizes = model._output_sizes()
    except (AttributeError, TypeError, ValueError):
        sizes = None
    if not sizes:
        return PREDICT_BATCH_SIZE
    fit = PREDICT_BATCH_BYTES // max(1, max(sizes) * np.dtype(model.dtype).itemsize)
    return max(PREDICT_BATCH_MIN, min(PREDICT_BATCH_MAX, 1 << (max(int(fit), 1).bit_length() - 1)))


def predict(model, x, batch_size=None):
    """Inference-mode outputs of ``model`` for ``x``, computed in batches of
    ``batch_size`` (default :func:`predict_batch_size`)."""
    infer = getattr(model, "forward_inference", None) or (lambda a: model.forward(a, training=False)[0])
    if getattr(model, "_multi_input", False):
        xs = [_as_float_array(a, model.dtype, f"x[{i}]") for i, a in enumerate(x)]
        n = len(xs[0])
        run = lambda s: infer([a[s] for a in xs])  # noqa: E731
    else:
        x = _as_float_array(x, model.dtype, "x")
        if not model.built:
            model.build((None, *x.shape[1:]))
        n = len(x)
        run = lambda s: infer(x[s])  # noqa: E731
    batch_size = batch_size or predict_batch_size(model)
    if batch_size >= n:
        return run(slice(None))
    parts = [run(slice(i, i + batch_size)) for i in range(0, n, batch_size)]
    if isinstance(parts[0], list):  # several outputs
        return [np.concatenate(p) for p in zip(*parts)]
    return np.concatenate(parts)
