"""Training callbacks with Keras hooks.

The trainer calls every hook of every callback in order; the ``logs`` dict of
``on_epoch_end`` holds the epoch's metrics (``loss``, ``accuracy``,
``val_loss``...). A callback may add entries to it, and :class:`History`, which
always runs last, records what it finds.

Example
-------
>>> import numpy as np, layergraph as lg
>>> class CountEpochs(lg.callbacks.Callback):
...     def on_epoch_end(self, epoch, logs=None):
...         logs["epoch_number"] = epoch + 1
>>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(1,))])
>>> model.compile("sgd", "mse")
>>> h = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[CountEpochs()])
>>> h.history["epoch_number"]
[1, 2]
"""
from __future__ import annotations

import csv
import math
import os
import sys
import time

import numpy as np

__all__ = ["Callback", "CallbackList", "History", "ProgressLogger", "EarlyStopping", "LearningRateScheduler",
           "CSVLogger", "ModelCheckpoint"]


class Callback:
    """Base class; override any of the hooks. ``self.model`` and ``self.params`` are set by the trainer.

    Hooks (Keras' names and arguments): ``on_train_begin/end(logs)``,
    ``on_epoch_begin/end(epoch, logs)``, ``on_train_batch_begin/end(batch,
    logs)`` (``on_batch_begin/end`` are their aliases, as in Keras),
    ``on_test_begin/end(logs)``, ``on_test_batch_begin/end(batch, logs)``,
    ``on_predict_begin/end(logs)``, ``on_predict_batch_begin/end(batch,
    logs)``. The batch logs of training and testing hold the running values
    of the loss and metrics over the epoch so far; ``on_epoch_end`` gets the
    epoch's values (and ``val_*``), ``on_train_end`` the last epoch's logs.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...


#: Every hook, and the older name whose override it also honours.
HOOKS = {
    "on_train_begin": None, "on_train_end": None, "on_epoch_begin": None, "on_epoch_end": None,
    "on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end",
    "on_test_begin": None, "on_test_end": None, "on_test_batch_begin": None, "on_test_batch_end": None,
    "on_predict_begin": None, "on_predict_end": None, "on_predict_batch_begin": None, "on_predict_batch_end": None,
}


def _overrides(cb, hook):
    """Whether ``cb`` changes ``hook`` (in its class or on the instance) from the base's no-op."""
    # Reflection on purpose: the hooks are looked up by their names.
    return getattr(type(cb), hook) is not getattr(Callback, hook) or hook in vars(cb)


class CallbackList:
    """Runs a list of callbacks in order, with :class:`History` (and a logger) last.

    Each hook calls only the callbacks that override it (or its Keras alias):
    the batch hooks run every step, and a step of a small model takes
    microseconds.

    Raises
    ------
    TypeError
        For an entry that is not a :class:`Callback`, naming its position.
    """

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for i, cb in enumerate(self.callbacks):
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks[{i}] must be a layergraph.callbacks.Callback, got "
                                f"{type(cb).__name__}: {cb!r:.80}")
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self._calls = {hook: [getattr(cb, hook) for cb in self.callbacks
                              if _overrides(cb, hook) or (alias is not None and _overrides(cb, alias))]
                       for hook, alias in HOOKS.items()}

    def call(self, hook, *args):
        """Run ``hook`` of every callback that has it."""
        for fn in self._calls[hook]:
            fn(*args)

    def wants(self, hook):
        """Whether any callback overrides ``hook`` (so the caller can skip building its logs)."""
        return bool(self._calls[hook])

    def on_train_begin(self, logs=None):
        self.call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self.call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self.call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self.call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.call("on_train_batch_end", batch, logs)


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"][epoch]``."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


def _is_number(v):
    return isinstance(v, (float, np.floating))


def _format_logs(logs):
    return " - ".join(f"{k}: {v:.4f}" if _is_number(v) else f"{k}: {v}" for k, v in logs.items())


class ProgressLogger(Callback):
    """``verbose=1``: a tqdm bar per epoch on a terminal; ``verbose=2`` (or no
    terminal): one Keras-style line per epoch with metrics and time.

    The bar counts steps and shows the running values of the loss and
    metrics over the epoch so far (the batch logs, as in Keras); at the end
    of the epoch it shows the epoch's logs, validation metrics included.
    Used by ``evaluate`` (outside ``fit``) it prints one line with the
    results, ``N/N - 0.1s - loss: ... - accuracy: ...``.
    """

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self._bar = None
        self._in_fit = False

    def _use_bar(self):
        # Any file-like object may be the stream; not all of them can say whether they are a terminal.
        return self.verbose == 1 and hasattr(self.stream, "isatty") and self.stream.isatty()

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        if self._use_bar():
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.params.get("steps"), desc=f"Epoch {epoch + 1}/{self.params.get('epochs')}",
                             unit="step", file=self.stream, leave=True)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            # refresh=False: tqdm redraws at most every 0.1 s, not at every step.
            self._bar.set_postfix({k: f"{float(v):.4f}" for k, v in (logs or {}).items() if _is_number(v)},
                                  refresh=False)
            self._bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        if self._bar is not None:
            self._bar.set_postfix({k: f"{v:.4f}" for k, v in (logs or {}).items() if _is_number(v)})
            self._bar.close()
            self._bar = None
            return
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs')} - {elapsed:.1f}s - {_format_logs(logs or {})}",
                  file=self.stream, flush=True)

    def on_train_end(self, logs=None):
        self._in_fit = False
        if self._bar is not None:  # an epoch that did not finish (training stopped)
            self._bar.close()
            self._bar = None

    def on_test_begin(self, logs=None):
        self._test_start = time.perf_counter()

    def on_test_end(self, logs=None):
        if self._in_fit or not self.verbose:
            return  # validation inside fit is reported in the epoch's line
        steps = self.params.get("steps")
        elapsed = time.perf_counter() - self._test_start
        print(f"{steps}/{steps} - {elapsed:.1f}s - {_format_logs(logs or {})}", file=self.stream, flush=True)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, e.g. ``"val_loss"``.
    mode : {"auto", "min", "max"}
        ``auto`` maximises names containing ``acc``, minimises the rest.
    restore_best_weights : bool
        At the end, put back the weights of the best epoch.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto", restore_best_weights=False,
                 verbose=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be auto, min or max, got {mode!r}")
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.restore_best_weights, self.verbose = restore_best_weights, verbose
        self.maximize = mode == "max" or (mode == "auto" and "acc" in monitor)

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch = 0, None
        self.best = -math.inf if self.maximize else math.inf
        self.best_weights, self.best_epoch = None, None

    def _improved(self, value):
        if self.maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor not in (logs or {}):
            raise ValueError(f"EarlyStopping: monitored metric {self.monitor!r} not in the logs {sorted(logs or {})}")
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:  # Keras: stop after `patience` epochs without improvement
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        if self.verbose and self.stopped_epoch is not None:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping (best epoch {self.best_epoch + 1})")


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate from ``schedule(epoch, lr)`` at each epoch start."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = float(self.schedule(epoch, optimizer.current_learning_rate))
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"LearningRateScheduler: schedule returned an invalid learning rate {lr!r} at epoch {epoch}")
        optimizer.learning_rate = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {lr:g}")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.current_learning_rate


class CSVLogger(Callback):
    """Append each epoch's logs as a CSV row to ``filename`` (header first)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename)
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None
        self._has_header = exists and os.path.getsize(self.filename) > 0

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, **{k: v for k, v in (logs or {}).items()}}
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=list(row), delimiter=self.separator)
            if not self._has_header:
                self._writer.writeheader()
        self._writer.writerow({k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in row.items()})
        self._file.flush()

    def on_train_end(self, logs=None):
        self._file.close()


class ModelCheckpoint(Callback):
    """Save the model (atomically) after each epoch, or only when ``monitor`` improves.

    ``filepath`` may contain ``{epoch}`` and log keys, e.g. ``"ckpt-{epoch:02d}.lg"``.
    """

    def __init__(self, filepath, monitor="val_loss", save_best_only=False, mode="auto", verbose=0):
        super().__init__()
        self.filepath, self.monitor, self.save_best_only = os.fspath(filepath), monitor, save_best_only
        self.verbose = verbose
        self.maximize = mode == "max" or (mode == "auto" and "acc" in monitor)
        self.best = -math.inf if self.maximize else math.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            if self.monitor not in logs:
                raise ValueError(f"ModelCheckpoint: monitored metric {self.monitor!r} not in the logs {sorted(logs)}")
            value = logs[self.monitor]
            better = value > self.best if self.maximize else value < self.best
            if not better:
                return
            self.best = value
        self.model.save(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved model to {path}")
