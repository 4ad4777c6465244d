"""Public alias of :mod:`layergraph.framework.regularizers`."""
from .framework.regularizers import *  # noqa: F401,F403
from .framework.regularizers import __doc__  # noqa: F401
