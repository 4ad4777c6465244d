"""Layers. Every layer follows the contract of :class:`~layergraph.framework.layers.base.Layer`."""
from .activation import LeakyReLU, ReLU, Softmax
from .augmentation import RandomRotation, RandomTranslation, RandomZoom
from .base import LAYERS, ActivatedLayer, Layer
from .convolutional import Conv2D
from .convolutional1d import Conv1D
from .convolutional_transpose import Conv2DTranspose
from .core import Activation, Dense, Input, InputLayer
from .embedding import Embedding
from .global_pooling import GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D
from .lambda_layer import Lambda
from .merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from .normalization import BatchNormalization
from .pooling import AveragePooling2D, MaxPooling2D
from .pooling1d import AveragePooling1D, MaxPooling1D
from .preprocessing import Rescaling
from .randomness import RandomLayer
from .recurrent import GRU, LSTM, SimpleRNN
from .regularization import Dropout, disabled_dropout, frozen_masks
from .reshaping import Cropping2D, Flatten, Reshape, UpSampling2D, ZeroPadding2D
from .serialization import deserialize, serialize
from .tracing import backward_follows

__all__ = ["Layer", "ActivatedLayer", "Input", "InputLayer", "Dense", "Activation", "Concatenate", "Add",
           "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Reshape", "Dropout", "BatchNormalization",
           "frozen_masks", "disabled_dropout", "serialize", "deserialize", "LAYERS", "Lambda", "backward_follows",
           # convolution and pooling
           "Conv1D", "Conv2DTranspose", "MaxPooling1D", "AveragePooling1D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           # reshaping and preprocessing
           "UpSampling2D", "ZeroPadding2D", "Cropping2D", "Rescaling",
           # embedding and activations
           "Embedding", "ReLU", "LeakyReLU", "Softmax",
           # merging: layers and Keras' functional helpers
           "Average", "Maximum", "Minimum", "Multiply", "Subtract", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
           # recurrent
           "SimpleRNN", "LSTM", "GRU",
           # augmentation (random layers, active only in training)
           "RandomLayer", "RandomTranslation", "RandomRotation", "RandomZoom"]
