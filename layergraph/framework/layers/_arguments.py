"""Constructor-argument checks and Keras default names shared by the newer layers.

Each check raises ``ValueError`` naming the owner (``"Conv1D 'conv1d'"``) and
the argument before the layer changes any state, as Keras'
``standardize_tuple`` does.
"""
from __future__ import annotations

import re

import numpy as np

from .base import _unique_name


def to_snake_case(name):
    """Keras' default-name rule: ``"Conv2DTranspose" -> "conv2d_transpose"``, ``"ReLU" -> "re_lu"``.

    >>> to_snake_case("GlobalAveragePooling1D"), to_snake_case("LeakyReLU")
    ('global_average_pooling1d', 'leaky_re_lu')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def with_keras_name(cls, kwargs):
    """``kwargs`` with a unique Keras-style default ``name`` for ``cls`` when none was given."""
    if kwargs.get("name") is None:
        kwargs["name"] = _unique_name(to_snake_case(cls.__name__))
    return kwargs


def is_int(value):
    """True for a Python or numpy integer that is not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def int_tuple(value, n, what, owner, minimum=1):
    """``value`` (an int, or a tuple/list of ``n`` ints) as a tuple of ``n`` ints ``>= minimum``.

    >>> int_tuple(3, 2, "kernel_size", "Conv2DTranspose 'c'")
    (3, 3)
    >>> int_tuple((1, 0), 2, "output_padding", "Conv2DTranspose 'c'", minimum=0)
    (1, 0)
    """
    if is_int(value):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(is_int(v) for v in value):
        values = tuple(int(v) for v in value)
    else:
        values = None
    if values is None or min(values) < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        shape = kind if n == 1 else f"{kind} or a tuple of {n} of them"
        raise ValueError(f"{owner}: {what} must be {shape}, got {value!r}")
    return values


def positive_int(value, what, owner):
    """``int(value)`` for a positive integer, else ``ValueError`` naming the argument."""
    if not is_int(value) or value <= 0:
        raise ValueError(f"{owner}: {what} must be a positive integer, got {value!r}")
    return int(value)


def choice(value, options, what, owner):
    """Lower-cased ``value`` when it is one of ``options``, else ``ValueError`` listing them."""
    if not isinstance(value, str) or value.lower() not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{owner}: {what} must be one of {listed}, got {value!r}")
    return value.lower()


def check_rank(owner, shape, rank, layout):
    """Raise ``ValueError`` unless ``shape`` (an input shape or an array's shape) has ``rank`` axes.

    ``layout`` names the axes for the message, e.g. ``"(batch, steps, channels)"``.
    """
    if isinstance(shape, list) or len(shape) != rank:
        shown = shape if isinstance(shape, list) else tuple(shape)
        raise ValueError(f"{owner} expects inputs of rank {rank} {layout}, got shape {shown}")


def channels_last(data_format, owner):
    """``"channels_last"`` for ``None`` or ``"channels_last"``: layergraph's only layout."""
    if data_format is None or (isinstance(data_format, str) and data_format.lower() == "channels_last"):
        return "channels_last"
    raise ValueError(f"{owner}: data_format must be 'channels_last' or None (layergraph supports channels-last "
                     f"inputs only), got {data_format!r}")
