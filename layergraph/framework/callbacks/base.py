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
    """Base class of the callbacks; override any hook. ``self.model`` and ``self.params`` are set by the trainer.

    Hooks (Keras' names and arguments): ``on_train_begin/end(logs)``,
    ``on_epoch_begin/end(epoch, logs)``, ``on_train_batch_begin/end(batch,
    logs)`` (``on_batch_begin/end`` are their aliases, as in Keras),
    ``on_test_begin/end(logs)``, ``on_test_batch_begin/end(batch, logs)``,
    ``on_predict_begin/end(logs)``, ``on_predict_batch_begin/end(batch,
    logs)``. The batch logs of training and testing hold the running values
    of the loss and metrics over the epoch so far; ``on_epoch_end`` gets the
    epoch's values (and ``val_*``), ``on_train_end`` the last epoch's logs.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> class PrintLoss(lg.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.2f}")
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(1,), kernel_initializer="zeros", use_bias=False)])
    >>> model.compile(optimizer=lg.optimizers.SGD(0.1), loss="mse")
    >>> _ = model.fit(np.ones((2, 1)), np.ones(2), epochs=2, verbose=0, callbacks=[PrintLoss()])
    epoch 0: loss 1.00
    epoch 1: loss 0.64
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        """Called by ``fit``/``evaluate``/``predict`` before the first hook: sets ``self.model``.

        Parameters
        ----------
        model : Model
            The model being trained, evaluated or run.
        """
        self.model = model

    def set_params(self, params):
        """Called before the first hook: sets ``self.params``.

        Parameters
        ----------
        params : dict
            ``epochs``, ``steps`` (per epoch), ``verbose``, ``samples``, ``batch_size``.
        """
        self.params = params

    def on_train_begin(self, logs=None):
        """At the start of ``fit``.

        Parameters
        ----------
        logs : dict, optional
            Empty.
        """
        ...

    def on_train_end(self, logs=None):
        """At the end of ``fit``.

        Parameters
        ----------
        logs : dict, optional
            The last epoch's logs.
        """
        ...

    def on_epoch_begin(self, epoch, logs=None):
        """At the start of an epoch.

        Parameters
        ----------
        epoch : int
            Index of the epoch (from 0).
        logs : dict, optional
            Empty.
        """
        ...

    def on_epoch_end(self, epoch, logs=None):
        """At the end of an epoch; entries added to ``logs`` are recorded too.

        Parameters
        ----------
        epoch : int
            Index of the epoch (from 0).
        logs : dict, optional
            The epoch's loss and metrics (``val_*`` too when validating).
        """
        ...

    def on_batch_begin(self, batch, logs=None):
        """Keras' older name of :meth:`on_train_batch_begin`.

        Parameters
        ----------
        batch : int
            Index of the batch in the epoch (or in the pass).
        logs : dict, optional
            Empty.
        """
        ...

    def on_batch_end(self, batch, logs=None):
        """Keras' older name of :meth:`on_train_batch_end`.

        Parameters
        ----------
        batch : int
            Index of the batch in the epoch (or in the pass).
        logs : dict, optional
            Running loss and metrics over the epoch so far.
        """
        ...

    def on_train_batch_begin(self, batch, logs=None):
        """Before a training step (calls :meth:`on_batch_begin`).

        Parameters
        ----------
        batch : int
            Index of the batch in the epoch (or in the pass).
        logs : dict, optional
            Empty.
        """
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """After a training step (calls :meth:`on_batch_end`).

        Parameters
        ----------
        batch : int
            Index of the batch in the epoch (or in the pass).
        logs : dict, optional
            Running loss and metrics over the epoch so far.
        """
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None):
        """At the start of ``evaluate`` (and of validation in ``fit``).

        Parameters
        ----------
        logs : dict, optional
            Empty.
        """
        ...

    def on_test_end(self, logs=None):
        """At the end of ``evaluate`` (and of validation).

        Parameters
        ----------
        logs : dict, optional
            The loss and metrics.
        """
        ...

    def on_test_batch_begin(self, batch, logs=None):
        """Before an evaluation batch.

        Parameters
        ----------
        batch : int
            Index of the batch in the epoch (or in the pass).
        logs : dict, optional
            Empty.
        """
        ...

    def on_test_batch_end(self, batch, logs=None):
        """After an evaluation batch.

        Parameters
        ----------
        batch : int
            Index of the batch in the epoch (or in the pass).
        logs : dict, optional
            Running loss and metrics so far.
        """
        ...

    def on_predict_begin(self, logs=None):
        """At the start of ``predict``.

        Parameters
        ----------
        logs : dict, optional
            Empty.
        """
        ...

    def on_predict_end(self, logs=None):
        """At the end of ``predict``.

        Parameters
        ----------
        logs : dict, optional
            Empty.
        """
        ...

    def on_predict_batch_begin(self, batch, logs=None):
        """Before a ``predict`` batch.

        Parameters
        ----------
        batch : int
            Index of the batch in the epoch (or in the pass).
        logs : dict, optional
            Empty.
        """
        ...

    def on_predict_batch_end(self, batch, logs=None):
        """After a ``predict`` batch.

        Parameters
        ----------
        batch : int
            Index of the batch in the epoch (or in the pass).
        logs : dict, optional
            ``{"outputs": ...}`` of the batch.
        """
        ...


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

    Parameters
    ----------
    callbacks : list of Callback
        In call order.
    model : Model
        Given to each callback's :meth:`Callback.set_model`.
    params : dict
        Given to each callback's :meth:`Callback.set_params`.

    Raises
    ------
    TypeError
        For an entry that is not a :class:`Callback`, naming its position.

    Example
    -------
    >>> import layergraph as lg
    >>> history = lg.callbacks.History()
    >>> callbacks = lg.callbacks.CallbackList([history], model=None, params={})
    >>> callbacks.on_train_begin({})
    >>> callbacks.on_epoch_end(0, {"loss": 0.5})
    >>> history.history
    {'loss': [0.5]}
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
        # Bound methods by hook name, once per fit (reflection on purpose, as in _overrides).
        self._calls = {hook: [getattr(cb, hook) for cb in self.callbacks
                              if _overrides(cb, hook) or (alias is not None and _overrides(cb, alias))]
                       for hook, alias in HOOKS.items()}

    def call(self, hook, *args):
        """Run ``hook`` of every callback that has it.

        Parameters
        ----------
        hook : str
            A hook's name, e.g. ``"on_test_begin"``.
        *args
            Its arguments.
        """
        for fn in self._calls[hook]:
            fn(*args)

    def wants(self, hook):
        """Whether any callback overrides ``hook`` (so the caller can skip building its logs).

        Parameters
        ----------
        hook : str
            A hook's name.
        """
        return bool(self._calls[hook])

    def on_train_begin(self, logs=None):
        """Same arguments as :meth:`layergraph.callbacks.Callback.on_train_begin`: every callback's, in order."""
        self.call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        """Same arguments as :meth:`layergraph.callbacks.Callback.on_train_end`: every callback's, in order."""
        self.call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        """Same arguments as :meth:`layergraph.callbacks.Callback.on_epoch_begin`: every callback's, in order."""
        self.call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        """Same arguments as :meth:`layergraph.callbacks.Callback.on_epoch_end`: every callback's, in order."""
        self.call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        """Same arguments as :meth:`layergraph.callbacks.Callback.on_train_batch_begin`: every callback's, in order."""
        self.call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Same arguments as :meth:`layergraph.callbacks.Callback.on_train_batch_end`: every callback's, in order."""
        self.call("on_train_batch_end", batch, logs)


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"][epoch]``; what ``fit`` returns.

    Attributes
    ----------
    history : dict
        ``{name: [value per epoch]}`` for the loss, the metrics and their ``val_`` forms.
    epoch : list of int
        The epochs recorded.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> model = lg.Sequential([lg.layers.Dense(1, input_shape=(1,))])
    >>> model.compile("sgd", "mse")
    >>> history = model.fit(np.ones((4, 1)), np.ones(4), epochs=3, validation_split=0.5, verbose=0)
    >>> sorted(history.history), history.epoch
    (['loss', 'val_loss'], [0, 1, 2])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        history = self.history
        for k, v in (logs or {}).items():
            if k in history:  # not setdefault: it would build a list to throw away, every epoch
                history[k].append(v)
            else:
                history[k] = [v]
