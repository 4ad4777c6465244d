"""Public alias of :mod:`layergraph.framework.initializers`."""
from .framework.initializers import *  # noqa: F403
from .framework.initializers import __all__, __doc__  # noqa: F401
