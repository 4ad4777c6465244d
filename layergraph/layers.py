"""Public alias of :mod:`layergraph.framework.layers`."""
from .framework.layers import *  # noqa: F403
from .framework.layers import __all__, __doc__  # noqa: F401
