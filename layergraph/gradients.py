"""Public alias of :mod:`layergraph.framework.gradients`."""
from .framework.gradients import *  # noqa: F403
from .framework.gradients import __all__, __doc__  # noqa: F401
