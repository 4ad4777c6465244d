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
from . import (
    activations,
    callbacks,
    datasets,
    gradients,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    regularizers,
    utils,
)
from ._version import __version__
from .framework import Functional, Input, Model, Sequential, Trainer, load_model

__all__ = ["Input", "Model", "Functional", "Sequential", "Trainer", "load_model", "activations", "callbacks",
           "datasets", "gradients", "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers",
           "regularizers", "utils", "__version__"]
