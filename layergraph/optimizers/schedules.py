"""Public alias of :mod:`layergraph.framework.schedules` (Keras' ``keras.optimizers.schedules``)."""
from ..framework.schedules import *  # noqa: F403
from ..framework.schedules import (
    __all__,  # noqa: F401
    __doc__,  # noqa: F401
)
