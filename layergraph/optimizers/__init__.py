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
from ..framework.optimizers import *  # noqa: F403
from ..framework.optimizers import __all__ as _all

# isort: split
# After the star import, which brings its own ``get``: this one (which also knows "lbfgs") replaces it.
from ..framework.full_batch import ScipyOptimizer
from ..framework.full_batch import get_optimizer as get  # noqa: F401 -- public: "get" is in _all
from . import schedules as schedules

__all__ = [*_all, "ScipyOptimizer"]
