"""Public alias of :mod:`layergraph.framework.schedules` (Keras' ``keras.optimizers.schedules``)."""
from ..framework.schedules import *  # noqa: F401,F403
from ..framework.schedules import __all__  # noqa: F401
from ..framework.schedules import __doc__  # noqa: F401,F811
