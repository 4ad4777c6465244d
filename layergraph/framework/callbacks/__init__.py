"""Training callbacks with Keras 3's hooks, names, arguments and semantics.

The trainer calls every hook of every callback in order; the ``logs`` dict of
``on_epoch_end`` holds the epoch's metrics (``loss``, ``accuracy``,
``val_loss``...). A callback may add entries to it, and :class:`History`,
which always runs last, records what it finds. ``on_train_end`` gets the last
epoch's logs.

==============================  =============================================================
:class:`Callback`               the base class: every Keras hook (:mod:`~layergraph.framework.callbacks.base`)
:class:`History`                records each epoch's logs; ``fit`` returns it
:class:`ProgressLogger`         the progress bar or lines of ``verbose=1``/``2``
:class:`EarlyStopping`          stop when a logged quantity stops improving
                                (:mod:`~layergraph.framework.callbacks.monitor`)
:class:`ReduceLROnPlateau`      lower the learning rate when it stops improving
:class:`ModelCheckpoint`        save the model or its weights (:mod:`~layergraph.framework.callbacks.checkpoint`)
:class:`BackupAndRestore`       resume an interrupted ``fit`` where it stopped
:class:`LambdaCallback`         a callback from functions (:mod:`~layergraph.framework.callbacks.simple`)
:class:`TerminateOnNaN`         stop on a non-finite batch loss
:class:`LearningRateScheduler`  the learning rate from ``schedule(epoch, lr)``
:class:`CSVLogger`              each epoch's logs as a CSV row
==============================  =============================================================

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
from .base import HOOKS, Callback, CallbackList, History
from .checkpoint import BackupAndRestore, ModelCheckpoint
from .monitor import EarlyStopping, MonitorCallback, ReduceLROnPlateau
from .progress import ProgressLogger
from .simple import CSVLogger, LambdaCallback, LearningRateScheduler, TerminateOnNaN

__all__ = ["Callback", "CallbackList", "History", "ProgressLogger", "MonitorCallback", "EarlyStopping",
           "ReduceLROnPlateau", "ModelCheckpoint", "BackupAndRestore", "LambdaCallback", "TerminateOnNaN",
           "LearningRateScheduler", "CSVLogger", "HOOKS"]
