"""Public alias of :mod:`layergraph.framework.regularizers`."""
from .framework.regularizers import *  # noqa: F403
from .framework.regularizers import __all__, __doc__  # noqa: F401
