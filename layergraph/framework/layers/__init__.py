"""Layers. Every layer follows the contract of :class:`~layergraph.framework.layers.base.Layer`."""
from .base import ActivatedLayer, Layer
from .core import Activation, Dense, InputLayer
from .merge import Add, Concatenate

__all__ = ["Layer", "ActivatedLayer", "InputLayer", "Dense", "Activation", "Concatenate", "Add"]
