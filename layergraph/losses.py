"""Public alias of :mod:`layergraph.framework.losses`."""
from .framework.losses import *  # noqa: F403
from .framework.losses import __all__, __doc__  # noqa: F401
