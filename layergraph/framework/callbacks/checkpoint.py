"""Writing training to disk: :class:`ModelCheckpoint` and :class:`BackupAndRestore` (Keras 3's semantics).

Files are layergraph's own format whatever their extension (Keras' names
such as ``"best.keras"`` or ``"ckpt.weights.h5"`` work), written atomically:
an interrupted save leaves the previous file intact. Missing folders are
created.

Example
-------
>>> import os, tempfile
>>> import numpy as np, layergraph as lg
>>> folder = tempfile.mkdtemp()
>>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,))])
>>> model.compile("sgd", "mse")
>>> checkpoint = lg.callbacks.ModelCheckpoint(os.path.join(folder, "runs", "m-{epoch:02d}.keras"))
>>> _ = model.fit(np.ones((4, 2)), np.zeros(4), epochs=2, verbose=0, callbacks=[checkpoint])
>>> sorted(os.listdir(os.path.join(folder, "runs")))
['m-01.keras', 'm-02.keras']
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np

from ..._atomic import atomic_write
from .base import Callback
from .monitor import MonitorCallback

__all__ = ["ModelCheckpoint", "BackupAndRestore"]


def _save_freq(owner, save_freq):
    if save_freq == "epoch":
        return save_freq
    if not isinstance(save_freq, (int, np.integer)) or isinstance(save_freq, bool) or save_freq < 1:
        raise ValueError(f"{owner}: save_freq must be 'epoch' or a positive integer (a number of batches), "
                         f"got {save_freq!r}")
    return int(save_freq)


class _BatchCounter:
    """Counts training batches across epochs; says when ``every`` of them have passed (Keras' rule)."""

    def __init__(self, every):
        self.every, self.seen, self.last = every, 0, None

    def step(self, batch):
        # A batch index not above the last one starts a new epoch.
        self.seen += batch + 1 if self.last is None or batch <= self.last else batch - self.last
        self.last = batch
        if self.seen >= self.every:
            self.seen = 0
            return True
        return False


class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) after every epoch, every ``save_freq`` batches, or when it improves.

    Parameters
    ----------
    filepath : str or os.PathLike
        May contain ``{epoch}`` (1-based), ``{batch}`` (1-based, with an
        integer ``save_freq``) and keys of the logs, with format specs, e.g.
        ``"ckpt/{epoch:02d}-{val_loss:.2f}.keras"``. Missing folders are made.
    monitor : str
        The logged quantity that decides what is best (``save_best_only``).
    verbose : int
        1: print a line at each decision.
    save_best_only : bool
        Save only when ``monitor`` improves on the best so far (a file name
        without placeholders then always holds the best model). When
        ``monitor`` is missing from the logs, save with a warning, as Keras.
    save_weights_only : bool
        ``model.save_weights`` (weights and training state) instead of
        ``model.save`` (architecture too; :func:`~layergraph.load_model` reads it).
    mode : {"auto", "min", "max"}
    save_freq : "epoch" or int
        Save at the end of each epoch, or after every ``save_freq`` training
        batches (counted across epochs; the batch logs then hold the running
        values of the current epoch).
    initial_value_threshold : float, optional
        The best value to beat before the first save (``save_best_only``).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose, self.save_best_only = verbose, bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = _save_freq("ModelCheckpoint", save_freq)
        self._current_epoch = 0
        if self.save_freq != "epoch":
            # The trainer builds batch logs only for callbacks that have a batch hook,
            # so the hook exists only when it is needed.
            self._batches = _BatchCounter(self.save_freq)
            self.on_train_batch_end = self._on_train_batch_end

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def _on_train_batch_end(self, batch, logs=None):
        if self._batches.step(batch):
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as err:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {err} is not '
                           f'among epoch, batch and the logged keys {sorted(logs)}') from None

    def _should_save(self, epoch, logs, path):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: saving model to {path}")
            return True
        current = self._monitored(logs, f"ModelCheckpoint(save_best_only=True) saving to {path}")
        if current is None:
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, saving model to "
                      f"{path}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch, batch, logs):
        logs = logs or {}
        path = self._path(epoch, batch, logs)
        if not self._should_save(epoch, logs, path):
            return
        if os.path.isdir(path):
            raise IsADirectoryError(f"ModelCheckpoint: the filepath {path!r} is an existing directory; give a file "
                                    f"name")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)


class BackupAndRestore(Callback):
    """Back up the training state, so that a ``fit`` interrupted by an error resumes where it stopped.

    At the end of every epoch (or every ``save_freq`` batches) the weights,
    the optimizer's state and step count, its learning rate and the
    shuffling state go to ``backup_dir`` (``model.save_weights``), with the
    number of the next epoch. When ``fit`` starts and a backup exists, it is
    loaded and training continues at that epoch: with ``save_freq="epoch"``
    the resumed run reaches the same weights as an uninterrupted one (the
    layers' own random state, such as dropout masks, is not part of the
    backup). With an integer ``save_freq``, as in Keras, a resumed run
    repeats the interrupted epoch from its start, from the weights of the
    last backup. When ``fit`` completes, the backup is deleted
    (``delete_checkpoint``); after an error it stays.

    Parameters
    ----------
    backup_dir : str or os.PathLike
        A folder used by this callback only.
    save_freq : "epoch" or int
    double_checkpoint : bool
        Keep the previous backup too and fall back on it when the latest
        cannot be read.
    delete_checkpoint : bool
        Delete ``backup_dir`` when ``fit`` completes.

    Example
    -------
    >>> import tempfile
    >>> import numpy as np, layergraph as lg
    >>> class Interrupt(lg.callbacks.Callback):
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 4:
    ...             raise RuntimeError("Interrupting!")
    >>> backup = lg.callbacks.BackupAndRestore(backup_dir=tempfile.mkdtemp())
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> x, y = np.ones((5, 2)), np.zeros(5)
    >>> try:
    ...     model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup, Interrupt()], verbose=0)
    ... except RuntimeError:
    ...     pass
    >>> history = model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup], verbose=0)
    >>> len(history.history["loss"])   # epochs 4 to 9
    6
    """

    WEIGHTS_FILE = "latest.weights.lg"
    METADATA_FILE = "training_metadata.json"

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore: backup_dir must name a folder, got {backup_dir!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = _save_freq("BackupAndRestore", save_freq)
        self.double_checkpoint, self.delete_checkpoint = bool(double_checkpoint), bool(delete_checkpoint)
        self._weights_path = os.path.join(self.backup_dir, self.WEIGHTS_FILE)
        self._metadata_path = os.path.join(self.backup_dir, self.METADATA_FILE)
        self._current_epoch = 0
        if self.save_freq != "epoch":
            self._batches = _BatchCounter(self.save_freq)
            self.on_train_batch_end = self._on_train_batch_end  # see ModelCheckpoint

    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError(f"BackupAndRestore: model {self.model.name!r} must be built before fit(); build it or "
                             f"call it on a batch of data first")
        try:
            self._restore(self._weights_path, self._metadata_path)
        except (OSError, ValueError):
            previous = (f"{self._weights_path}.bkp", f"{self._metadata_path}.bkp")
            if not (self.double_checkpoint and os.path.exists(previous[0])):
                raise
            self._restore(*previous)

    def _restore(self, weights_path, metadata_path):
        if not os.path.exists(weights_path):
            return
        with open(metadata_path, encoding="utf-8") as f:
            metadata = json.load(f)
        epoch = metadata.get("epoch") if isinstance(metadata, dict) else None
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
            raise ValueError(f"BackupAndRestore: {metadata_path!r} has no valid epoch: {metadata!r:.100}")
        self.model.load_weights(weights_path)  # with the optimizer's and the shuffling state (compiled models)
        self.model._initial_epoch = epoch
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save()
        else:
            self._batches.last = None  # the next batch starts a new epoch

    def _on_train_batch_end(self, batch, logs=None):
        if self._batches.step(batch):
            self._save()

    def _save(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            shutil.copyfile(self._weights_path, f"{self._weights_path}.bkp")
            if os.path.exists(self._metadata_path):
                shutil.copyfile(self._metadata_path, f"{self._metadata_path}.bkp")
        self.model.save_weights(self._weights_path, overwrite=True)
        with atomic_write(self._metadata_path, durable=True) as f:
            f.write(json.dumps({"epoch": self._current_epoch}).encode("utf-8"))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
