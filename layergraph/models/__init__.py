"""Keras' ``keras.models`` (:class:`Model`, :class:`Sequential`, :func:`load_model`, :func:`save_model`,
:func:`clone_model`, :func:`model_from_json`), and the tutorial's models, built only from the public API:
``layergraph.models.gates``, ``xor``, ``mnist`` (imported on use).

Example
-------
>>> import layergraph as keras
>>> model = keras.models.Sequential([keras.layers.Dense(2, input_shape=(3,))])
>>> keras.models.model_from_json(model.to_json()).layers[0].units
2
"""
from ..framework.cloning import clone_model
from ..framework.model import Model
from ..framework.saving import load_model, model_from_json, save_model
from ..framework.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "save_model", "clone_model", "model_from_json"]
