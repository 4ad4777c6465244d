"""Public alias of :mod:`layergraph.framework.activations`."""
from .framework.activations import *  # noqa: F403
from .framework.activations import __all__, __doc__  # noqa: F401
