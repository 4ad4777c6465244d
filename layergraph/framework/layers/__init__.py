"""Layers. Every layer follows the contract of :class:`~layergraph.framework.layers.base.Layer`."""
from .base import LAYERS, ActivatedLayer, Layer
from .convolutional import Conv2D
from .core import Activation, Dense, Input, InputLayer
from .merge import Add, Concatenate
from .normalization import BatchNormalization
from .pooling import AveragePooling2D, MaxPooling2D
from .regularization import Dropout, disabled_dropout, frozen_masks
from .reshaping import Flatten, Reshape
from .serialization import deserialize, serialize

__all__ = ["Layer", "ActivatedLayer", "Input", "InputLayer", "Dense", "Activation", "Concatenate", "Add",
           "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Reshape", "Dropout", "BatchNormalization",
           "frozen_masks", "disabled_dropout", "serialize", "deserialize", "LAYERS"]
