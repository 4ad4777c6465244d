"""Public alias of :mod:`layergraph.framework.optimizers`."""
from .framework.optimizers import *  # noqa: F401,F403
from .framework.optimizers import __doc__  # noqa: F401
