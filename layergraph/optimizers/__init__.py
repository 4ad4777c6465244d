"""Optimizers (Keras' ``keras.optimizers``), learning-rate schedules, and :class:`ScipyOptimizer` (full-batch scipy).

Schedules live in the subpackage ``schedules``
(``from layergraph.optimizers.schedules import ExponentialDecay``); ``get``
here also knows ``"lbfgs"`` (a :class:`ScipyOptimizer`).

Example
-------
>>> import layergraph as lg
>>> optimizer = lg.optimizers.Adam(learning_rate=lg.optimizers.schedules.ExponentialDecay(1e-3, 1000, 0.9))
>>> optimizer.current_learning_rate
0.001
"""
from ..framework.full_batch import ScipyOptimizer, get_optimizer
from ..framework.optimizers import *  # noqa: F403
from ..framework.optimizers import __all__ as _all
from . import schedules  # noqa: F401 (the public subpackage, keras.optimizers.schedules)

# After the star import, which brings the framework's get (without "lbfgs"): this one knows every optimizer.
get = get_optimizer

__all__ = [*_all, "ScipyOptimizer"]
