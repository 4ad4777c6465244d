"""When a layer's ``call()`` is recorded for automatic differentiation, and the call context.

A layer written the Keras way has a :meth:`~layergraph.framework.layers.Layer.call`
and no ``backward``. Recording its ops costs time and memory, so its
forward pass records them only when a backward pass will follow: inside a
:func:`backward_follows` block, which the analytic gradient strategy opens
around its forward pass. The setting is per thread and is restored when the
block ends (as DeZero's ``using_config``): predicting, evaluating and the
numeric strategy run ``call()`` on plain arrays with no tape at all.

The *call context* is what a layer called inside another layer's ``call()``
inherits, as in Keras: the ``training`` flag of the outer call (when it is
not passed explicitly), and the fact that the outer call owns the added
losses (only the outermost call clears them).

Example
-------
>>> import numpy as np, layergraph as lg
>>> class Square(lg.layers.Layer):
...     def call(self, inputs):
...         return inputs ** 2
>>> layer, x = Square(), np.array([[1.0, -2.0]])
>>> with backward_follows():
...     y, cache = layer.forward(x, training=True)
>>> layer.backward(np.ones_like(y), cache)[0].tolist()
[[2.0, -4.0]]
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np

__all__ = ["backward_follows", "will_backward", "RecordedCall", "call_context"]


class _State(threading.local):
    def __init__(self):
        self.backward_follows = False
        self.training = None  # the training flag of the innermost enclosing call(); None outside any
        self.losses = None  # [(layer, index, traced value)] of the add_loss calls of the recording under way


_state = _State()


def call_context():
    """The per-thread state (``backward_follows``, ``training``, ``losses``); layers read it."""
    return _state


@contextlib.contextmanager
def backward_follows(enabled=True):
    """Within the block, forward passes keep what a backward pass needs.

    Layers whose gradient comes from automatic differentiation (a
    :meth:`~layergraph.framework.layers.Layer.call` and no ``backward``)
    record their ops on a tape in :meth:`~layergraph.framework.layers.Layer.forward`
    only inside this block. ``enabled=False`` switches it off again inside
    (forward passes whose outputs nobody differentiates). Blocks nest; each
    restores the setting it found.
    """
    saved = _state.backward_follows
    _state.backward_follows = bool(enabled)
    try:
        yield
    finally:
        _state.backward_follows = saved


def will_backward():
    """Whether forward passes in this thread are inside a :func:`backward_follows` block.

    >>> will_backward()
    False
    """
    return _state.backward_follows


class RecordedCall:
    """The cache of a recorded ``call()``: its tape's backward function and the added losses' seeds.

    Parameters
    ----------
    backward : ~layergraph.framework.autodiff.Backward
    multi : bool
        ``call()`` returned a list or tuple of outputs.
    loss_seeds : list of numpy.ndarray
        ``dJ/d(loss) = 1`` for each value passed to ``add_loss`` during the
        recording (they are extra outputs of the recording).
    """

    __slots__ = ("backward", "multi", "loss_seeds")

    def __init__(self, backward, multi, loss_seeds):
        self.backward, self.multi, self.loss_seeds = backward, multi, loss_seeds

    def gradients(self, grad, input_grad=True):
        """``(dL/d(inputs), [dL/dw ...])`` for ``dL/d(outputs)`` plus the added losses."""
        if self.loss_seeds:
            grads = (list(grad) if self.multi else [grad]) + self.loss_seeds
            return self.backward(grads, input_grad)
        return self.backward(grad, input_grad)


def loss_seed(value):
    """``1`` shaped like an added loss value: its weight in the objective."""
    return np.ones(np.shape(value), dtype=value.dtype)
