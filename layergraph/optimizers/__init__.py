"""Public alias of :mod:`layergraph.framework.optimizers`, plus :class:`ScipyOptimizer` (full-batch scipy)
and the subpackage ``schedules`` (``from layergraph.optimizers.schedules import ExponentialDecay``).

``get`` here also knows ``"lbfgs"`` (a :class:`ScipyOptimizer`).
"""
from ..framework.optimizers import *  # noqa: F401,F403
from ..framework.optimizers import __all__ as _all
from ..framework.full_batch import ScipyOptimizer
from ..framework.full_batch import get_optimizer as get
from . import schedules

__all__ = [*_all, "ScipyOptimizer"]
