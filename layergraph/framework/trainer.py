"""The training loop: :class:`Trainer`, and :func:`predict` for any model.

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

Safety
------
Everything a ``fit`` call is given is checked before the first update:
shapes and structures, all labels against the loss (ranges, one-hot rows,
integers, finiteness), sample and class weights, validation data (inputs
included). The training inputs ``x`` are not scanned up front: one pass
over MNIST's 60,000 float64 images costs about 40 ms, a tenth of an epoch
of the tutorial's MLP, at every ``fit``. A non-finite input makes the loss
or the weights non-finite (through the first layer with weights), and
only then is all of ``x`` scanned, to tell bad input from divergence.

Bad input met during training (a non-finite input, an index out of range
in a later batch, a learning-rate schedule giving a negative rate at step
1000: any ``ValueError`` or ``TypeError`` raised by a training step) makes
``fit`` put back every weight, the optimizer's state and the shuffling
state as they were when it started, and raise that error, saying so. When
the loss (or a weight) becomes non-finite for any other reason
(divergence), training stops and the weights and optimizer state from
*before the update that produced it* are put back; a ``RuntimeWarning`` and
``history.stopped`` say at which epoch and step. (A layer without weights
that maps a non-finite input to a finite value, such as a first ``ReLU``
turning ``-inf`` into 0, lets training go on as the arithmetic says.)
"""
from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from . import data as data_module
from . import gradients as gradients_module
from . import losses as losses_module
from . import metrics as metrics_module
from . import optimizers as optimizers_module
from . import seeding
from .callbacks import CallbackList, History, ProgressLogger
from .objective import Objective, as_list

__all__ = ["Trainer", "predict", "predict_batch_size", "PREDICT_BATCH_SIZE", "PREDICT_BATCH_MIN",
           "PREDICT_BATCH_MAX", "PREDICT_BATCH_BYTES"]


def _positive_int(value, what, allow_none=True):
    if value is None and allow_none:
        return None
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def _callback_list(callbacks, what):
    """``callbacks`` as a new list (``None``: empty); ``TypeError`` unless it is a list or tuple."""
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"{what}: callbacks must be a list of layergraph.callbacks.Callback objects, got "
                        f"{type(callbacks).__name__}: {callbacks!r:.80}")
    return list(callbacks)


_VALUE = operator.attrgetter("value")


def _finite_grads(grads):
    # One reduction per gradient: a nan or inf anywhere makes its sum non-finite.
    return math.isfinite(float(sum(np.add.reduce(g, axis=None) for g in grads)))


class _Snapshot:
    """Copies of a model's weights and its optimizer's state, to undo training.

    The weights of the model's dtype are first gathered into one contiguous
    buffer (each :class:`Variable` keeps a view of its part), so that
    :meth:`take` is one copy and :meth:`weights_finite` one reduction however
    many weights there are: the per-step cost of being able to undo a step
    stays small next to a step of a tiny net. Weights of other dtypes, and
    the optimizer's state, are copied one by one into buffers made once.
    """

    def __init__(self, weights, optimizer, dtype):
        self.optimizer, self.weights = optimizer, list(weights)
        packed = [w for w in weights if w.value.dtype == dtype]
        self._others = [w for w in weights if w.value.dtype != dtype]
        self._arena = np.empty(sum(w.value.size for w in packed), dtype=dtype)
        start = 0
        for w in packed:
            view = self._arena[start:start + w.value.size].reshape(w.value.shape)
            view[...] = w.value
            w.value = view
            start += w.value.size
        self._packed = packed
        self._views = [w.value for w in packed]
        self._arena_copy = np.empty_like(self._arena)
        self._other_buffers = [np.empty_like(w.value) for w in self._others]
        self._slots, self._slot_buffers, self._layout, self.iterations = [], [], [], 0
        self.taken = False

    def intact(self):
        """Whether every packed weight still lives in the buffer (nobody replaced a ``value``)."""
        # map over C callables: checked once an epoch, which for a full batch is once a step.
        return all(map(operator.is_, map(_VALUE, self._packed), self._views))

    def packed_weights(self, weights):
        """:class:`~layergraph.framework.optimizers.PackedWeights` of the buffer when it holds exactly
        ``weights``' values, in their order (what ``Optimizer.apply`` may update in one go), else ``None``."""
        same = len(weights) == len(self._packed) and all(map(operator.is_, weights, self._packed))
        return optimizers_module.PackedWeights(self._arena, [w.value.shape for w in weights]) if same else None

    def take(self):
        self._arena_copy[...] = self._arena  # (copyto's dispatch costs more than the copy of a small model)
        if self._others:  # (the tests skip loops that are empty for most models, at every step)
            for buffer, w in zip(self._other_buffers, self._others, strict=True):
                np.copyto(buffer, w.value)
        slots = self.optimizer.state_arrays()
        if slots or self._slots:  # plain SGD keeps none
            if len(slots) != len(self._slots) or not all(map(operator.is_, slots, self._slots)):
                self._slots, self._slot_buffers = slots, [np.empty_like(a) for a in slots]
                self._layout = self.optimizer.state_layout(self.weights)
            for buffer, a in zip(self._slot_buffers, slots, strict=True):
                np.copyto(buffer, a)
        self.iterations = self.optimizer.iterations
        self.taken = True

    def restore(self):
        np.copyto(self._arena, self._arena_copy)
        for buffer, w in zip(self._other_buffers, self._others, strict=True):
            np.copyto(w.value, buffer)
        # Through the optimizer's own API: state the undone update created (e.g. the first step's momenta) goes.
        self.optimizer.set_state(self.weights, {"iterations": self.iterations, "slots": [
            (i, name, buffer) for (i, name), buffer in zip(self._layout, self._slot_buffers, strict=True)]})

    def weights_finite(self):
        return math.isfinite(np.add.reduce(self._arena)) and (
            not self._others or _finite_grads([w.value for w in self._others]))

    def save(self):
        """Copies of everything :meth:`take` covers, kept apart from the per-step buffers."""
        return self._arena.copy(), [w.value.copy() for w in self._others], self.optimizer.get_state(self.weights)

    def load(self, saved):
        """Put back what :meth:`save` returned (weights, optimizer state and step count)."""
        arena, others, state = saved
        np.copyto(self._arena, arena)
        for w, value in zip(self._others, others, strict=True):
            np.copyto(w.value, value)
        self.optimizer.set_state(self.weights, state)


class _BadInput(Exception):
    """Bad input met during training: ``error`` is raised again once ``fit`` has undone everything."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


#: What ``fit`` adds to the message of an error it met while training, after undoing everything.
ROLLBACK_NOTE = ("fit stopped, and every weight, the optimizer's state and the shuffling state are as they were "
                 "before fit")


def _noted(error):
    """``error`` with :data:`ROLLBACK_NOTE` in its message (a plain ``ValueError``/``TypeError``) or as a note."""
    if type(error) in (ValueError, TypeError):
        return type(error)(f"{error}; {ROLLBACK_NOTE}").with_traceback(error.__traceback__)
    error.add_note(ROLLBACK_NOTE)
    return error


class Trainer:
    """Owns the training loop and injects the gradient strategy.

    ``model.compile(...)`` makes one (``model.trainer``) and ``model.fit``
    delegates to it; use it directly to train a model with a strategy or
    settings of your own.

    Parameters
    ----------
    model : Model or Sequential
        The model to train (any :class:`~layergraph.Model`).
    loss : str, Loss, list or dict
        One loss, or one per output (a list in output order or a dict keyed
        by output name), as in Keras.
    optimizer : str or Optimizer, default "sgd"
        A name (``"sgd"``, ``"adam"``...) or an
        :class:`~layergraph.optimizers.Optimizer`.
    gradient : {"analytic", "numeric"} or GradientStrategy, default "analytic"
        The strategy the trainer asks for ``(loss, gradients)`` each step.
    metrics : list or dict, optional
        E.g. ``["accuracy"]``; for several outputs a list of lists (one per
        output) or a dict keyed by output name. Names, :class:`Metric`
        objects or functions ``fn(y_true, y_pred)``.
    seed : int, optional
        Seed of the per-epoch shuffling.
    loss_weights : list or dict, optional
        Weight of each output's loss in the total.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(1, use_bias=False, input_shape=(1,), kernel_initializer="zeros")])
    >>> trainer = lg.Trainer(model, loss="mse", optimizer=lg.optimizers.SGD(0.1), seed=0)
    >>> history = trainer.fit(np.array([[1.0], [2.0]]), np.array([2.0, 4.0]), epochs=100, verbose=0)
    >>> round(float(model.predict(np.array([[3.0]]))[0, 0]), 2)
    6.0
    """

    def __init__(self, model, loss, optimizer="sgd", gradient="analytic", metrics=None, seed=None, loss_weights=None):
        if loss is None:
            raise ValueError(f"compile: model {model.name!r} needs a loss, e.g. loss='mse'")
        self.model = model
        self.output_names = list(model.output_names)
        self.objective = Objective.from_compile(loss, loss_weights, self.output_names)
        self.optimizer = self._get_optimizer(optimizer)
        self.gradient = gradients_module.get(gradient)
        self.gradient.check_trainable()
        self.metrics_config = metrics
        self.metrics = _build_metrics(metrics, self.output_names, self.objective.losses)
        self._multi_output = len(self.output_names) > 1
        self._output_losses = None
        self.seed = seed
        self.rng = seeding.generator(seed)  # seed None: fresh, or from layergraph.utils.set_random_seed
        self.stop_training = False
        self.epoch = 0
        self.stopped = None

    def _get_optimizer(self, identifier):
        """The optimizer object for compile's ``optimizer`` (a trainer variant may take other kinds)."""
        return optimizers_module.get(identifier)

    @property
    def loss(self):
        """The compiled loss (a list for a model with several outputs)."""
        return self.objective.loss if len(self.objective.losses) == 1 else list(self.objective.losses)

    @property
    def metrics_names(self):
        """The keys of the logs, ``loss`` (per output ``<name>_loss``) then the metrics."""
        names = ["loss"]
        if len(self.output_names) > 1:
            names += [f"{name}_loss" for name in self.output_names]
        return names + [key for key, _, _ in self.metrics]

    def get_config(self):
        """The compile configuration (JSON-able), for saving."""
        return {"loss": [_loss_config(loss) for loss in self.objective.losses],
                "loss_weights": self.objective.loss_weights,
                "metrics": _metrics_config(self.metrics_config),
                "gradient": gradients_module.serialize(self.gradient),
                "optimizer": optimizers_module.serialize(self.optimizer),
                "seed": self.seed}

    def get_state(self):
        """Optimizer state and shuffling state (for saving and resuming)."""
        return {"optimizer": self.optimizer.get_state(self.model.weights),
                "shuffle_rng": self.rng.bit_generator.state}

    def set_state(self, state):
        """Restore :meth:`get_state`'s result (validated before anything changes).

        Parameters
        ----------
        state : dict
            ``{"optimizer": ..., "shuffle_rng": ...}`` as :meth:`get_state` returns it.
        """
        rng = np.random.default_rng()
        if state.get("shuffle_rng") is not None:
            try:
                rng.bit_generator.state = state["shuffle_rng"]
            except (TypeError, ValueError, KeyError) as err:
                raise ValueError(f"invalid shuffling state ({err})") from None
        if state.get("optimizer") is not None:
            self.optimizer.set_state(self.model.weights, state["optimizer"])
        self.rng = rng

    # -- data ----------------------------------------------------------------------
    def _inputs(self, x, what="x"):
        model = self.model
        arrays = data_module.as_arrays(x, model.input_names, what)
        return data_module.as_floats(arrays, model.input_dtypes, what)

    def _targets(self, y, what="y"):
        if y is None:
            raise ValueError(f"{what} is required to train or evaluate model {self.model.name!r}")
        return data_module.as_labels(data_module.as_arrays(y, self.output_names, what), self.model.dtype, what)

    def _sample_weights(self, sample_weight, n, what="sample_weight"):
        if sample_weight is None:
            return None
        arrays = data_module.as_arrays(sample_weight, self.output_names, what, allow_none=True) \
            if isinstance(sample_weight, dict) or (isinstance(sample_weight, (list, tuple))
                                                   and len(self.output_names) > 1) \
            else [sample_weight] * len(self.output_names)
        out = []
        for name, w in zip(self.output_names, arrays, strict=True):
            if w is None:
                out.append(None)
                continue
            w = np.asarray(w)
            if w.dtype.kind not in "biuf":
                raise TypeError(f"{what} must be numeric, got dtype {w.dtype}")
            if w.ndim == 2 and w.shape[1] == 1:
                w = w[:, 0]
            if w.shape != (n,):
                label = what if len(arrays) == 1 else f"{what} of output {name!r}"
                raise ValueError(f"{label} must have one weight per sample, shape ({n},), got {w.shape}")
            if not (np.isfinite(w).all() and (w >= 0).all()):
                bad = int(np.argmax(~(np.isfinite(w) & (w >= 0))))
                raise ValueError(f"{what} must be finite and non-negative, got {w[bad]} at sample {bad}")
            out.append(w.astype(np.float64))
        return out

    def _prepare(self, x, y, sample_weight=None, class_weight=None, what=""):
        """``(xs, ys, sws, n)`` checked: structures, lengths, labels against the loss, weights."""
        xs = self._inputs(x, f"{what}x")
        ys = self._targets(y, f"{what}y")
        n = data_module.num_samples([(f"{what}x", xs), (f"{what}y", ys)])
        if n == 0:
            raise ValueError(f"{what}x is empty")
        sws = self._sample_weights(sample_weight, n, f"{what}sample_weight")
        if class_weight is not None:
            if len(self.output_names) > 1:
                raise ValueError("fit: class_weight is only supported for models with one output")
            if sws is not None:
                raise ValueError("fit: give class_weight or sample_weight, not both")
            sws = [data_module.class_sample_weights(ys[0], class_weight)]
        self.model.build_from_inputs(xs)
        self._check_shapes(xs, ys, what)
        return xs, ys, sws, n

    def _check_shapes(self, xs, ys, what):
        # One forward pass on two samples catches shape errors (naming the
        # layer) before anything is changed; then every label is checked
        # against its loss, vectorised, once.
        model = self.model
        try:
            with np.errstate(all="ignore"):  # a non-finite value in these rows is reported by the checks below
                probe = as_list(model.forward(model.arrays_for_forward([a[:2] for a in xs]), training=False)[0])
        except ValueError as err:
            raise ValueError(f"{err} (checked on the first samples of {what}x, shape "
                             f"{[a.shape for a in xs] if len(xs) > 1 else xs[0].shape})") from None
        finally:
            model._clear_losses()
        self.objective.check_labels(ys, [p.shape[1:] for p in probe])
        data_module.check_finite(ys, f"{what}y")
        # Labels (n,) for outputs (n, 1) are reshaped once here, not at every step.
        for i, (y, p) in enumerate(zip(ys, probe, strict=True)):
            if y.ndim == 1 and p.shape[1:] == (1,):
                ys[i] = y[:, None]

    # -- steps -------------------------------------------------------------------
    def train_step(self, x, y, sample_weight=None):
        """One update on one batch (arrays as the model's forward takes them).

        Parameters
        ----------
        x : numpy.ndarray or list of numpy.ndarray
            The batch's inputs, already in the model's dtype.
        y : numpy.ndarray or list of numpy.ndarray
            The batch's targets.
        sample_weight : numpy.ndarray or list, optional
            Weights of the samples' losses.

        Returns
        -------
        float or None
            The loss before the update, or ``None`` if the loss (or, outside
            ``fit``, a gradient) was not finite (then no weight changed).
            Inside ``fit`` a non-finite gradient needs no check of its own:
            the weights it produces make the next loss, or the end-of-epoch
            check, non-finite, and the update is undone.
        """
        model = self.model
        value, grads = self.gradient.gradients(model, self.objective, x, y, sample_weight)
        if not math.isfinite(value) or (self._snapshot is None and not _finite_grads(grads)):
            return None
        if self.metrics or self._multi_output:
            # Metrics (and each output's loss) are measured on the batch before the update, as
            # Keras does: on the outputs of the strategy's own (training-mode) forward pass when
            # it offers them, else on one more, inference-mode, pass.
            seen = self.gradient.last_outputs
            y_pred = seen[1] if seen is not None and seen[0] is x else model.forward(x, training=False)[0]
            self._update_metrics(y, y_pred, sample_weight)
            if self._multi_output:
                self._output_losses = self._per_output_losses(y, y_pred, sample_weight)
        if self._snapshot is not None:
            self._snapshot.take()
        self.optimizer.apply(self._trainable, grads, self._packed)
        return value

    def _per_output_losses(self, y, y_pred, sample_weight):
        preds = as_list(y_pred)
        ys = self.objective.prepare(y, preds)
        sws = sample_weight if isinstance(sample_weight, list) else [sample_weight] * len(preds)
        return [loss.value(t, p, sw) for loss, t, p, sw in zip(self.objective.losses, ys, preds, sws, strict=True)]

    def _update_metrics(self, y, y_pred, sample_weight):
        preds = as_list(y_pred)
        ys = y if len(preds) > 1 else [y]
        sws = sample_weight if isinstance(sample_weight, list) else [sample_weight] * len(preds)
        for _, index, metric in self.metrics:
            metric.update_state(ys[index], preds[index], sws[index])

    def _reset_metrics(self):
        for _, _, metric in self.metrics:
            metric.reset_state()

    def _metric_results(self):
        return {key: metric.result() for key, _, metric in self.metrics}

    # -- fit -----------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns the :class:`History` (Keras' arguments and semantics).

        Same arguments as :meth:`layergraph.Model.fit` (here ``verbose``
        defaults to 1). ``batch_size=None`` means 32. Each epoch visits every sample once, in
        a new order when ``shuffle`` is true; with ``steps_per_epoch`` an
        epoch is that many batches from a stream of shuffled passes over the
        data. ``validation_split`` holds out the *last* fraction of the
        samples (before shuffling); ``validation_data`` is ``(x, y)`` or
        ``(x, y, sample_weight)`` and takes precedence.
        """
        model = self.model
        if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
        if not isinstance(initial_epoch, (int, np.integer)) or isinstance(initial_epoch, bool) or initial_epoch < 0:
            raise ValueError(f"fit: initial_epoch must be a non-negative integer, got {initial_epoch!r}")
        batch_size = _positive_int(batch_size, "fit: batch_size")
        steps_per_epoch = _positive_int(steps_per_epoch, "fit: steps_per_epoch")
        validation_batch_size = _positive_int(validation_batch_size, "fit: validation_batch_size")
        validation_freq = _positive_int(validation_freq, "fit: validation_freq", allow_none=False)
        if verbose not in (0, 1, 2, "auto"):
            raise ValueError(f"fit: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        verbose = 1 if verbose == "auto" else verbose
        xs, ys, sws, n = self._prepare(x, y, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                                 "sample_weight_val)")
            vx, vy, vsw = (*validation_data, None)[:3]
            val = self._prepare(vx, vy, vsw, what="validation ")
            data_module.check_finite(val[0], "validation x")
        elif validation_split:
            at = data_module.split_at(n, validation_split)
            index_train, index_val = slice(0, at), slice(at, n)
            val = (data_module.take(xs, index_val), data_module.take(ys, index_val),
                   None if sws is None else data_module.take(sws, index_val), n - at)
            # Validation inputs never reach a training loss: scanned here (the held-out part only).
            data_module.check_finite(val[0], f"x (its validation part, samples {at} to {n - 1})")
            xs, ys = data_module.take(xs, index_train), data_module.take(ys, index_train)
            sws = None if sws is None else data_module.take(sws, index_train)
            n = at
        batch_size = min(batch_size or 32, n)
        steps = steps_per_epoch or math.ceil(n / batch_size)
        history = History()
        logger = [ProgressLogger(verbose)] if verbose else []
        cbs = CallbackList(_callback_list(callbacks, "fit") + [history] + logger, model,
                           {"epochs": epochs, "steps": steps, "verbose": verbose, "samples": n,
                            "batch_size": batch_size})
        self._plan(model)
        # Hooks nobody overrides are not called, nor their logs built (fixed for the fit, as the callbacks are).
        self._batch_hooks = cbs.wants("on_train_batch_begin"), cbs.wants("on_train_batch_end")
        epoch_begin = cbs.wants("on_epoch_begin")
        self.stop_training = model.stop_training = False
        self.stopped = history.stopped = None
        epoch_logs = {}
        # A callback may restore a backup in on_train_begin (weights, optimizer and shuffling
        # state) and move the first epoch, as Keras' BackupAndRestore does through
        # model._initial_epoch: what follows reads the state after that hook.
        model._initial_epoch = initial_epoch
        try:
            cbs.on_train_begin({})
            initial_epoch = _resumed_epoch(model._initial_epoch)
            start_state = self._snapshot.save()
            start_rng = self.rng.bit_generator.state
            batches = _BatchStream(n, batch_size, shuffle, self.rng)
            for epoch in range(initial_epoch, epochs):
                self.epoch = epoch
                if epoch_begin:
                    cbs.on_epoch_begin(epoch, {})
                epoch_logs = self._run_epoch(xs, ys, sws, batches, steps, epoch, cbs)
                if epoch_logs is None:  # diverged: stopped, weights from before the bad update restored
                    epoch_logs = {}
                    break
                if val is not None and (epoch + 1) % validation_freq == 0:  # Keras: the 1-based epoch number
                    val_logs = self._evaluate_arrays(*val[:3], batch_size=validation_batch_size or batch_size,
                                                     callbacks=cbs)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, epoch_logs)
                if self.stop_training or model.stop_training:
                    break
        except _BadInput as bad:
            self._snapshot.load(start_state)
            self.rng.bit_generator.state = start_rng
            cbs.on_train_end({})
            raise _noted(bad.error) from None
        finally:
            self._snapshot = self._packed = None
            self.objective.unbind()
            model._initial_epoch = None
        history.stopped = self.stopped
        cbs.on_train_end(dict(epoch_logs))
        model.history = history
        return history

    def _plan(self, model):
        """What stays fixed during a ``fit``, worked out once: the weight lists, the undo
        buffers, and the objective's view of the model (its penalties and loss-adding layers)."""
        self._trainable = model.trainable_weights
        self._snapshot = _Snapshot(model.weights, self.optimizer, model.dtype)
        self._packed = self._snapshot.packed_weights(self._trainable)
        self.objective.bind(model)

    def _run_epoch(self, xs, ys, sws, batches, steps, epoch, cbs):
        model = self.model
        single_x, single_y = len(xs) == 1, len(ys) == 1
        x0, y0 = xs[0], ys[0]
        if not self._snapshot.intact():  # a callback replaced a weight's array: gather them again
            self._plan(model)
        batch_begin, batch_logs = self._batch_hooks
        total = count = 0.0
        output_totals = [0.0] * len(self.output_names) if self._multi_output else None
        if self.metrics:
            self._reset_metrics()
        for step in range(steps):
            index = None if batches.whole else batches.next()
            if index is None:  # the whole data in order (one full batch, not shuffled): no slicing
                xb, yb, swb, m = (x0 if single_x else xs), (y0 if single_y else ys), sws, batches.n
            else:
                xb = x0[index] if single_x else [a[index] for a in xs]
                yb = y0[index] if single_y else [a[index] for a in ys]
                swb = None if sws is None else [None if w is None else w[index] for w in sws]
                m = len(x0[index]) if isinstance(index, slice) else len(index)
            if swb is not None and single_y:
                swb = swb[0]
            if batch_begin:
                cbs.on_train_batch_begin(step, {})
            try:
                value = self.train_step(xb, yb, swb)
            except (ValueError, TypeError) as err:  # bad input in this batch, or a bad learning rate
                raise _BadInput(err) from None
            if value is None:
                self._stop_nonfinite(epoch, step, xs)
                return None
            total += value * m
            count += m
            if self._multi_output:
                output_totals = [t + v * m for t, v in zip(output_totals, self._output_losses, strict=True)]
            if batch_logs:
                cbs.on_train_batch_end(step, self._epoch_logs(total, output_totals, count))
            if self.stop_training or model.stop_training:
                break
        if not self._snapshot.weights_finite():  # the epoch's last update broke a weight
            self._stop_nonfinite(epoch, steps - 1, xs, after_update=True)
            return None
        return self._epoch_logs(total, output_totals, count)

    def _epoch_logs(self, total, output_totals, count):
        logs = {"loss": total / count}
        if self._multi_output:
            logs.update({f"{name}_loss": t / count for name, t in zip(self.output_names, output_totals, strict=True)})
        if self.metrics:
            logs.update(self._metric_results())
        return logs

    def _stop_nonfinite(self, epoch, step, xs, after_update=False):
        """Non-finite loss or weights: bad input (raise) or divergence (undo the last update, stop).

        All of ``x`` is scanned here, on this path only (labels were checked
        before training): a non-finite input may have broken the weights a
        few steps before the loss showed it.
        """
        try:
            data_module.check_finite(xs, "x")
        except ValueError as err:
            raise _BadInput(err) from None
        if self._snapshot.taken:
            self._snapshot.restore()
        where = f"epoch {epoch + 1}, " + (f"after step {step + 1}" if after_update else f"step {step + 1}")
        self.stopped = {"epoch": epoch, "step": step, "reason": "non-finite loss or weights"}
        message = (f"Non-finite loss or weights at {where}: training stopped; the weights and optimizer state "
                   "from before the update that produced them are restored")
        warnings.warn(message, RuntimeWarning, stacklevel=4)
        self.stop_training = True
        self.model.stop_training = True

    # -- evaluate ----------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose=0, sample_weight=None, steps=None, callbacks=None,
                 return_dict=False):
        """Loss (with penalties and added losses) and metrics on all of ``x``: a dict.

        Same arguments as :meth:`layergraph.Model.evaluate`; the result is
        always the dict.

        Outputs are computed in inference mode, batch by batch (see
        :func:`predict`); the loss is that of all the outputs together.
        """
        batch_size = _positive_int(batch_size, "evaluate: batch_size")
        steps = _positive_int(steps, "evaluate: steps")
        if verbose not in (0, 1, 2, "auto"):
            raise ValueError(f"evaluate: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        xs, ys, sws, n = self._prepare(x, y, sample_weight, what="")
        if steps is not None:
            bs = batch_size or predict_batch_size(self.model)
            n = min(n, steps * bs)
            xs, ys = data_module.take(xs, slice(0, n)), data_module.take(ys, slice(0, n))
            sws = None if sws is None else data_module.take(sws, slice(0, n))
        batch_size = batch_size or predict_batch_size(self.model)
        logger = [ProgressLogger(1 if verbose == "auto" else verbose)] if verbose else []
        cbs = CallbackList(_callback_list(callbacks, "evaluate") + logger, self.model,
                           {"verbose": verbose, "steps": math.ceil(n / batch_size)})
        return self._evaluate_arrays(xs, ys, sws, batch_size, cbs)

    def _evaluate_arrays(self, xs, ys, sws, batch_size=None, callbacks=None):
        model = self.model
        cbs = callbacks
        n = len(xs[0])
        batch_size = batch_size or predict_batch_size(model)
        if cbs is not None:
            cbs.call("on_test_begin", {})
        outputs, added = [], []
        self._reset_metrics()
        batch_logs = cbs is not None and cbs.wants("on_test_batch_end")
        running, seen = {}, 0
        for step, start in enumerate(range(0, n, batch_size)):
            index = slice(start, start + batch_size)
            if cbs is not None:
                cbs.call("on_test_batch_begin", step, {})
            xb = model.arrays_for_forward(data_module.take(xs, index))
            model._clear_losses()
            out = model.forward_inference(xb)
            added.append((sum(model.losses), min(batch_size, n - start)))
            preds = as_list(out)
            outputs.append(preds)
            yb = data_module.take(ys, index)
            swb = None if sws is None else data_module.take(sws, index)
            for _, i, metric in self.metrics:
                metric.update_state(yb[i], preds[i], None if swb is None else swb[i])
            if batch_logs:  # running means over the batches so far, as the metrics and Keras' batch logs
                seen += added[-1][1]
                for key, value in self._loss_logs(yb, preds, swb, added[-1][0]).items():
                    running[key] = running.get(key, 0.0) + value * added[-1][1]
                cbs.call("on_test_batch_end", step, {**{key: total / seen for key, total in running.items()},
                                                     **self._metric_results()})
        preds = [np.concatenate(parts) if len(outputs) > 1 else parts[0] for parts in zip(*outputs, strict=True)]
        extra = sum(v * m for v, m in added) / n if any(v for v, _ in added) else 0.0
        logs = self._loss_logs(ys, preds, sws, extra)
        logs.update(self._metric_results())
        if cbs is not None:
            cbs.call("on_test_end", dict(logs))
        return logs

    def _loss_logs(self, ys, preds, sws, extra):
        objective = self.objective
        prepared = objective.prepare(ys, preds)
        parts = [loss.value(y, p, None if sws is None else sws[i])
                 for i, (loss, y, p) in enumerate(zip(objective.losses, prepared, preds, strict=True))]
        total = sum(w * v for w, v in zip(objective.loss_weights, parts, strict=True))
        total += sum(reg(var.value) for var, reg in self.model.penalties()) + extra
        logs = {"loss": float(total)}
        if len(parts) > 1:
            logs.update({f"{name}_loss": v for name, v in zip(self.output_names, parts, strict=True)})
        return logs

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch (inference mode), metrics reset first: a dict.

        Same arguments as :meth:`layergraph.Model.test_on_batch`.
        """
        xs, ys, sws, _ = self._prepare(x, y, sample_weight)
        return self._evaluate_arrays(xs, ys, sws, batch_size=len(xs[0]))

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One optimizer step on one batch; returns the logs of the batch (measured before the step).

        Same arguments as :meth:`layergraph.Model.train_on_batch` (the
        result is always the dict).
        """
        xs, ys, sws, n = self._prepare(x, y, sample_weight, class_weight)
        self._trainable = self.model.trainable_weights
        self._snapshot = self._packed = None  # one step: nothing to undo but the step itself, which a failure skips
        self._reset_metrics()
        xb = self.model.arrays_for_forward(xs)
        yb = ys if len(ys) > 1 else ys[0]
        swb = None if sws is None else (sws if len(sws) > 1 else sws[0])
        value = self.train_step(xb, yb, swb)
        if value is None:
            raise FloatingPointError(f"train_on_batch: non-finite loss or gradient; the weights of "
                                     f"{self.model.name!r} are unchanged")
        return {"loss": value, **self._metric_results()}

    _snapshot = None
    _packed = None
    _trainable = ()


def _resumed_epoch(epoch):
    """The first epoch after ``on_train_begin`` (a callback may have moved it), validated."""
    if not isinstance(epoch, (int, np.integer)) or isinstance(epoch, bool) or epoch < 0:
        raise ValueError(f"fit: a callback set the initial epoch to {epoch!r}; it must be a non-negative integer")
    return int(epoch)


class _BatchStream:
    """Batch indices: slices in order, or chunks of a new permutation per pass over the data."""

    def __init__(self, n, batch_size, shuffle, rng):
        self.n, self.batch_size, self.shuffle, self.rng = n, batch_size, shuffle, rng
        self._order, self._start = None, n
        #: Every batch is all the data in order (one batch, not shuffled): :meth:`next` is always ``None``.
        self.whole = not shuffle and batch_size >= n

    def next(self):
        """The next batch's index: a slice, an array of indices, or ``None`` for all the data in order."""
        if self._start >= self.n:
            self._start = 0
            self._order = self.rng.permutation(self.n) if self.shuffle else None
        start, stop = self._start, min(self._start + self.batch_size, self.n)
        self._start = stop
        if self._order is not None:
            return self._order[start:stop]
        return None if stop - start == self.n else slice(start, stop)


def _build_metrics(metrics, output_names, losses):
    """``[(log key, output index, Metric)]`` from compile's ``metrics`` (Keras 3's rules)."""
    if metrics is None:
        return []
    if not isinstance(metrics, (list, tuple, dict)):
        raise ValueError(f"compile: metrics must be a list, tuple or dict, got {type(metrics).__name__}: "
                         f"{metrics!r}")
    n = len(output_names)
    per_output = [[] for _ in range(n)]
    if isinstance(metrics, dict):
        unknown = sorted(set(metrics) - set(output_names))
        if unknown:
            raise ValueError(f"compile: metrics names unknown output(s) {unknown}; the model's outputs are "
                             f"{output_names}")
        for i, name in enumerate(output_names):
            entry = metrics.get(name)
            per_output[i] = [] if entry is None else list(entry) if isinstance(entry, (list, tuple)) else [entry]
    elif n == 1:
        per_output[0] = list(metrics)
    else:
        if len(metrics) != n:
            raise ValueError(f"compile: for a model with {n} outputs {output_names}, metrics must be a list with one "
                             f"entry (a metric or a list of metrics) per output, or a dict; got {len(metrics)} "
                             f"entries")
        per_output = [[] if m is None else list(m) if isinstance(m, (list, tuple)) else [m] for m in metrics]
    out, seen = [], {}
    for i, entries in enumerate(per_output):
        for entry in entries:
            metric = metrics_module.get(entry, losses[i])
            key = metric.name if n == 1 else f"{output_names[i]}_{metric.name}"
            if key in seen:
                seen[key] += 1
                key = f"{key}_{seen[key] - 1}"
            else:
                seen[key] = 1
            out.append((key, i, metric))
    return out


def _loss_config(loss):
    return losses_module.serialize(loss)


def _metrics_config(metrics):
    """A JSON form of compile's ``metrics`` (names and serialised metric objects)."""
    def one(m):
        if isinstance(m, str):
            return m
        metric = metrics_module.get(m)
        return metrics_module.serialize(metric)

    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {k: [one(m) for m in (v if isinstance(v, (list, tuple)) else [v])] for k, v in metrics.items()}
    return [[one(e) for e in m] if isinstance(m, (list, tuple)) else None if m is None else one(m) for m in metrics]


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
    is not built or its layers' output sizes are not all known. The outputs
    do not depend on the batch size (inference mode), only the speed and the
    memory.
    """
    sizes = model.layer_output_sizes()
    if not sizes:
        return PREDICT_BATCH_SIZE
    fit = PREDICT_BATCH_BYTES // max(1, max(sizes) * np.dtype(model.dtype).itemsize)
    return max(PREDICT_BATCH_MIN, min(PREDICT_BATCH_MAX, 1 << (max(int(fit), 1).bit_length() - 1)))


def predict(model, x, batch_size=None, verbose=0, steps=None, callbacks=None):
    """Inference-mode outputs of ``model`` for ``x``, computed in batches of
    ``batch_size`` (default :func:`predict_batch_size`).

    Returns
    -------
    numpy.ndarray, or a list of them for a model with several outputs.
    """
    batch_size = _positive_int(batch_size, "predict: batch_size")
    steps = _positive_int(steps, "predict: steps")
    arrays = data_module.as_floats(data_module.as_arrays(x, model.input_names, "x"), model.input_dtypes, "x")
    n = data_module.num_samples([("x", arrays)])
    model.build_from_inputs(arrays)
    batch_size = batch_size or predict_batch_size(model)
    if steps is not None:
        n = min(n, steps * batch_size)
    callbacks = _callback_list(callbacks, "predict")
    cbs = CallbackList(callbacks, model, {"verbose": verbose, "steps": math.ceil(n / batch_size)}) \
        if callbacks else None
    if cbs is not None:
        cbs.call("on_predict_begin", {})
    parts = []
    for step, start in enumerate(range(0, max(n, 1), batch_size)):
        if cbs is not None:
            cbs.call("on_predict_batch_begin", step, {})
        index = slice(start, start + batch_size) if n > batch_size else slice(0, n)
        out = model.forward_inference(model.arrays_for_forward(data_module.take(arrays, index)))
        parts.append(out)
        if cbs is not None:
            cbs.call("on_predict_batch_end", step, {"outputs": out})
        if n <= batch_size:
            break
    if cbs is not None:
        cbs.call("on_predict_end", {})
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], list):  # several outputs
        return [np.concatenate(p) for p in zip(*parts, strict=True)]
    return np.concatenate(parts)
