"""The framework proper: layers, graph models, losses, optimizers, gradient
strategies, the trainer and its callbacks."""
from . import activations, callbacks, gradients, initializers, layers, losses, metrics, optimizers, regularizers
from .graph import Input, Model, Sequential
from .trainer import Trainer
from .variables import Variable

__all__ = ["activations", "callbacks", "gradients", "initializers", "layers", "losses", "metrics", "optimizers",
           "regularizers", "Input", "Model", "Sequential", "Trainer", "Variable"]
