"""The progress display of ``fit`` and ``evaluate``: :class:`ProgressLogger` (``verbose=1`` or ``2``)."""
from __future__ import annotations

import sys
import time

import numpy as np

from .base import Callback

__all__ = ["ProgressLogger"]


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
