"""Public alias of :mod:`layergraph.framework.metrics`."""
from .framework.metrics import *  # noqa: F403
from .framework.metrics import __all__, __doc__  # noqa: F401
