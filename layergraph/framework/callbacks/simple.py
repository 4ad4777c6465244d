"""Small callbacks: :class:`LambdaCallback`, :class:`TerminateOnNaN`, :class:`LearningRateScheduler`,
:class:`CSVLogger`.

Example
-------
>>> import numpy as np, layergraph as lg
>>> seen = []
>>> log = lg.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
>>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,))])
>>> model.compile("sgd", "mse")
>>> _ = model.fit(np.ones((4, 2)), np.zeros(4), epochs=3, verbose=0, callbacks=[log])
>>> seen
[0, 1, 2]
"""
from __future__ import annotations

import csv
import math
import os

import numpy as np

from .base import HOOKS, Callback

__all__ = ["LambdaCallback", "TerminateOnNaN", "LearningRateScheduler", "CSVLogger"]

#: The hooks a :class:`LambdaCallback` takes: every Keras hook and the ``on_batch_*`` aliases.
LAMBDA_HOOKS = tuple(HOOKS) + ("on_batch_begin", "on_batch_end")


class LambdaCallback(Callback):
    """A callback made of functions, one per hook (Keras' ``LambdaCallback``, with every hook).

    Each argument is a function with the hook's arguments: ``on_epoch_begin``
    and ``on_epoch_end`` take ``(epoch, logs)``; ``on_train_batch_begin``,
    ``on_train_batch_end`` (``on_batch_begin``/``on_batch_end``), the
    ``on_test_batch_*`` and ``on_predict_batch_*`` hooks take ``(batch,
    logs)``; ``on_train_begin``/``end``, ``on_test_begin``/``end`` and
    ``on_predict_begin``/``end`` take ``(logs)``.

    Parameters
    ----------
    **hooks : callable
        Keyword arguments named after hooks (``on_epoch_end=...``), each a function of that hook's arguments.

    Raises
    ------
    TypeError
        For an argument that is not a hook, or a hook that is not callable.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> ends = []
    >>> callback = lg.callbacks.LambdaCallback(on_train_end=lambda logs: ends.append(sorted(logs)))
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(1,))])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((2, 1)), np.ones(2), verbose=0, callbacks=[callback])
    >>> ends
    [['loss']]
    """

    def __init__(self, **hooks):
        super().__init__()
        unknown = sorted(set(hooks) - set(LAMBDA_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {unknown}; the hooks are {list(LAMBDA_HOOKS)}")
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got {type(fn).__name__}: {fn!r:.80}")
            # Instance attributes: the callback list calls exactly the hooks given.
            setattr(self, name, fn)


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite (Keras' ``TerminateOnNaN``).

    The trainer already stops on a non-finite loss by itself and puts back
    the weights from before the update that produced it; this callback
    also stops (or, with ``raise_error``, raises ``RuntimeError``) when a
    batch's logged loss is not finite.

    Parameters
    ----------
    raise_error : bool, default False
        Raise ``RuntimeError`` instead of stopping quietly.

    Example
    -------
    >>> import layergraph as lg
    >>> lg.callbacks.TerminateOnNaN(raise_error=True).raise_error
    True
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                                   f"Terminating training immediately.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate from ``schedule(epoch, lr)`` at each epoch start.

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> new lr`` (epoch from 0).
    verbose : int, default 0
        1: print the rate at each epoch.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(1,))])
    >>> model.compile(lg.optimizers.SGD(0.1), "mse")
    >>> halve = lg.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr)
    >>> history = model.fit(np.ones((2, 1)), np.ones(2), epochs=3, verbose=0, callbacks=[halve])
    >>> history.history["learning_rate"]
    [0.1, 0.05, 0.025]
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = float(self.schedule(epoch, optimizer.current_learning_rate))
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"LearningRateScheduler: schedule returned an invalid learning rate {lr!r} "
                             f"at epoch {epoch}")
        optimizer.learning_rate = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {lr:g}")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.current_learning_rate


class CSVLogger(Callback):
    """Append each epoch's logs as a CSV row to ``filename`` (header first).

    Parameters
    ----------
    filename : str or path-like
        The CSV file.
    separator : str, default ","
        Between the fields.
    append : bool, default False
        Add to an existing file (without a second header).

    Example
    -------
    >>> import os, tempfile, numpy as np, layergraph as lg
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(1,))])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((2, 1)), np.ones(2), epochs=2, verbose=0, callbacks=[lg.callbacks.CSVLogger(path)])
    >>> open(path).read().splitlines()[0]
    'epoch,loss'
    """

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
