"""layergraph: a modular, Keras-style neural-network framework on numpy and scipy.

Example
-------
>>> import numpy as np, layergraph as lg
>>> model = lg.Sequential([lg.layers.Dense(8, activation="tanh", input_shape=(2,)),
...                        lg.layers.Dense(1, activation="sigmoid")])
>>> model.compile(optimizer=lg.optimizers.SGD(0.5), loss="binary_crossentropy", metrics=["accuracy"])
>>> x = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = np.array([0., 1., 1., 0.])
>>> history = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
>>> sorted(history.history)
['accuracy', 'loss']
"""
from . import activations, callbacks, gradients, initializers, layers, losses, metrics, optimizers, regularizers
from .framework.graph import Input, Model, Sequential
from .framework.trainer import Trainer

__version__ = "0.1.0"


def load_model(path, custom_objects=None, compile=True):
    """Load a model saved with ``model.save(path)`` (never unpickles).

    See :func:`layergraph.framework.saving.load_model`.
    """
    from .framework.saving import load_model as _load

    return _load(path, custom_objects=custom_objects, compile=compile)


__all__ = ["Input", "Model", "Sequential", "Trainer", "load_model", "activations", "callbacks", "gradients",
           "initializers", "layers", "losses", "metrics", "optimizers", "regularizers", "__version__"]
