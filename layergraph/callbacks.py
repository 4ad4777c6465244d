"""Public alias of :mod:`layergraph.framework.callbacks`."""
from .framework.callbacks import *  # noqa: F403
from .framework.callbacks import __all__, __doc__  # noqa: F401
