"""The :class:`Lambda` layer: a function of the inputs, differentiated automatically."""
from __future__ import annotations

from ..naming import function_name, saved_function
from .base import Layer

__all__ = ["Lambda"]


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer (Keras' ``Lambda``).

    The function is written in plain numpy (or :mod:`layergraph.ops`); the
    analytic strategy differentiates it by recording it, like any
    :meth:`~layergraph.framework.layers.Layer.call`. It has no weights.

    Parameters
    ----------
    function : callable
        ``function(inputs) -> outputs``; for several inputs it receives the list.
    output_shape : tuple or callable, optional
        The output shape without the batch axis, or ``f(input_shape) ->
        output_shape`` (with the batch axis). By default it is found by
        running ``function`` once on a batch of zeros.
    arguments : dict, optional
        Extra keyword arguments passed to ``function``.
    **kwargs
        ``name``, ``dtype``, ``input_shape``...

    Shapes
    ------
    Input: what ``function`` takes; output: what it returns (``output_shape``).

    Notes
    -----
    Saving stores the function by name: a function defined with ``def`` is
    found again through ``custom_objects`` or a ``custom_object_scope``; a
    ``lambda`` cannot be saved (save the weights instead), as Keras 3 refuses
    to load one without ``safe_mode=False``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Lambda
    >>> Lambda(lambda x, power: x ** power, arguments={"power": 3})(np.array([[1.0, 2.0]]))
    array([[1., 8.]])
    """

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda {self.name!r}: function must be callable, got {function!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda {self.name!r}: arguments must be a dict of keyword arguments, "
                            f"got {type(arguments).__name__}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = tuple(output_shape) if isinstance(output_shape, (list, tuple)) else output_shape

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (batch, *self._output_shape)

    def get_config(self):
        name = function_name(self.function, "<lambda>")
        if name == "<lambda>":
            raise ValueError(f"Lambda {self.name!r} wraps a lambda, which cannot be saved: define the function "
                             f"with def (and pass it in custom_objects when loading), or save the weights only")
        config = super().get_config()
        config.update(function=name, arguments=self.arguments)
        if self._output_shape is not None and not callable(self._output_shape):
            config["output_shape"] = list(self._output_shape)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(saved_function(config.pop("function"), "Lambda function"), **config)
