"""Keras' ``keras.utils`` for layergraph: labels to one-hot rows, normalising, seeding, custom objects, model plots.

=========================================  ==========================================================
:func:`to_categorical`                     integer labels to one-hot rows (:mod:`.numerical`)
:func:`normalize`                          divide by the norm along an axis
:func:`set_random_seed`                    seed ``random``, ``np.random`` and the shuffling of unseeded
                                           trainers (:mod:`layergraph.framework.seeding`)
:func:`custom_object_scope`                user classes and functions known to deserialisation in a block
:func:`get_custom_objects`                 the live global dict of custom objects
:func:`model_to_dot`, :func:`plot_model`   the model's graph (:mod:`layergraph.framework.visualization`)
:func:`clear_session`                      restart the default layer names (``dense``, ``dense_1``...)
=========================================  ==========================================================

Example
-------
>>> import layergraph as keras
>>> keras.utils.to_categorical([1, 0], num_classes=2).tolist()
[[0.0, 1.0], [1.0, 0.0]]
"""
from ..framework.naming import clear_session, custom_object_scope, get_custom_objects
from ..framework.seeding import set_random_seed
from ..framework.visualization import model_to_dot, plot_model
from .numerical import normalize, to_categorical

__all__ = ["to_categorical", "normalize", "set_random_seed", "custom_object_scope", "get_custom_objects",
           "model_to_dot", "plot_model", "clear_session"]
