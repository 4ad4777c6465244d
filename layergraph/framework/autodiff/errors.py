"""The errors the tracer raises (both ``TypeError`` subclasses) and how they name ops."""
from __future__ import annotations

import numpy as np

from ..naming import function_name

__all__ = ["TracingError", "NotDifferentiableError", "op_name", "owner_prefix", "HOW_TO_GO_ON"]

#: How every "no rule" message ends.
HOW_TO_GO_ON = "implement backward() for this layer or use the numeric gradient strategy (gradient='numeric')"


class TracingError(TypeError):
    """Code inside a recording did something the tape cannot follow.

    Writing into a traced array (``x[i] = v``, ``out=``), converting one to
    a plain array (``np.asarray``), returning something that is not an
    array, or mixing values of two recordings.
    """


class NotDifferentiableError(TracingError):
    """A numpy function or ufunc with no vector-Jacobian product in the tables.

    The message names the op and says how to go on: implement ``backward()``
    for the layer, or train with the numeric gradient strategy.
    """


def op_name(op):
    """How messages name an op: ``"np.sum"``, ``"np.linalg.svd"``, ``"np.add"``, ``"expit"``."""
    name = function_name(op, repr(op))
    if isinstance(op, np.ufunc):  # ufuncs carry no module: numpy's own, or e.g. scipy.special's
        # Reflection on purpose: is it numpy's ufunc of that name, or another library's?
        return f"np.{name}" if getattr(np, name, None) is op else name
    module = getattr(op, "__module__", None) or ""  # any callable: builtins and C functions may have none
    if module == "numpy" or module.startswith("numpy."):
        return "np" + module[len("numpy"):] + "." + name
    return f"{module}.{name}" if module else name


def owner_prefix(name):
    """``"layer 'dense': "`` when the recording was given a name, else ``""``."""
    return f"layer {name!r}: " if name else ""
