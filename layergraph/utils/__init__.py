"""Utilities, as Keras' ``keras.utils``.

Example
-------
>>> import layergraph as lg
>>> lg.utils.clear_session()
>>> lg.layers.Dense(2).name, lg.layers.Dense(2).name
('dense', 'dense_1')
"""
from ..framework.naming import clear_session

__all__ = ["clear_session"]
