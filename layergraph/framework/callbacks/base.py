"""The callback protocol: :class:`Callback` (every Keras hook), :class:`CallbackList` and :class:`History`.

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

__all__ = ["Callback", "CallbackList", "History", "HOOKS"]


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
