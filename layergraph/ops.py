"""Public alias of :mod:`layergraph.framework.ops`: Keras 3 op names, differentiable under recording."""
from .framework.ops import *  # noqa: F403
from .framework.ops import __all__, __doc__  # noqa: F401
