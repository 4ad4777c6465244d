"""Public alias of :mod:`layergraph.framework.gradients`."""
from .framework.gradients import *  # noqa: F401,F403
from .framework.gradients import __doc__  # noqa: F401
from .framework.gradients import __all__  # noqa: F401
