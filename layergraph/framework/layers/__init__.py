"""Layers. Every layer follows the contract of :class:`~layergraph.framework.layers.base.Layer`."""
from .augmentation import RandomRotation, RandomTranslation, RandomZoom
from .base import ActivatedLayer, Layer
from .convolutional import Conv2D
from .core import Activation, Dense, InputLayer
from .merge import Add, Concatenate
from .normalization import BatchNormalization
from .pooling import AveragePooling2D, MaxPooling2D
from .randomness import RandomLayer
from .regularization import Dropout, disabled_dropout, frozen_masks
from .reshaping import Flatten, Reshape

__all__ = ["Layer", "ActivatedLayer", "InputLayer", "Dense", "Activation", "Concatenate", "Add",
           "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Reshape", "Dropout", "BatchNormalization",
           "RandomLayer", "RandomTranslation", "RandomRotation", "RandomZoom",
           "frozen_masks", "disabled_dropout"]
