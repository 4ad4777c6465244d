"""Layers to and from ``{"class_name": ..., "config": ...}`` dicts (Keras' ``layers.serialize``).

A layer's class is found by name in :data:`~layergraph.framework.layers.base.LAYERS`,
which every :class:`~layergraph.framework.layers.Layer` subclass joins when
it is defined (models included), or among the ``custom_objects`` given here
or by an enclosing :func:`~layergraph.framework.naming.custom_object_scope`.

Example
-------
>>> from layergraph.layers import Dense
>>> spec = serialize(Dense(3, name="d"))
>>> spec["class_name"], deserialize(spec).units
('Dense', 3)
"""
from __future__ import annotations

from ..naming import custom_object_scope
from .base import LAYERS

__all__ = ["serialize", "deserialize"]


def serialize(layer):
    """``{"class_name": ..., "config": layer.get_config()}``.

    Parameters
    ----------
    layer : Layer
        Any layer or model.

    Returns
    -------
    dict
        JSON-able; :func:`deserialize` rebuilds the layer (without its weights).
    """
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec, custom_objects=None):
    """Inverse of :func:`serialize` (nested models included).

    Parameters
    ----------
    spec : dict
        ``{"class_name": ..., "config": ...}``.
    custom_objects : dict, optional
        ``{name: class}`` for layer classes that are not layergraph's own.

    Returns
    -------
    Layer
        A new layer, built from the config (fresh weights).

    Raises
    ------
    ValueError
        A malformed entry or an unknown class (the message lists the known
        ones and says how to pass custom objects).
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str) \
            or not isinstance(spec.get("config"), dict):
        raise ValueError(f"A layer entry must be {{'class_name': str, 'config': dict}}, got {spec!r:.200}")
    name = spec["class_name"]
    cls = LAYERS.get("Functional" if name == "Model" else name, custom_objects)
    with custom_object_scope(custom_objects or {}):
        return cls.from_config(dict(spec["config"]))
