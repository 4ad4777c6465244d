"""The framework proper: layers, graph models, losses, optimizers, gradient
strategies, the trainer and its callbacks.

Modules import in the direction data flows through a training step (see
``docs/architecture.rst``; ``make lint`` checks it): the user-facing models
(:mod:`.sequential`, :mod:`.functional`, :mod:`.model`) on top, then
:mod:`.saving`, the trainer (:mod:`.trainer`, :mod:`.full_batch`,
:mod:`.callbacks`, :mod:`.data`), the gradient strategies
(:mod:`.gradients`), the objective, the graph and layers, losses and
metrics, optimizers, and the leaves (variables, symbolic tensors, names,
activations, initialisers, regularisers, schedules).
"""
from . import activations, callbacks, gradients, initializers, layers, losses, metrics, optimizers, regularizers
from .functional import Functional
from .layers.core import Input
from .model import Model
from .saving import load_model
from .sequential import Sequential
from .trainer import Trainer
from .variables import Variable

__all__ = ["activations", "callbacks", "gradients", "initializers", "layers", "losses", "metrics", "optimizers",
           "regularizers", "Input", "Model", "Functional", "Sequential", "Trainer", "Variable", "load_model"]
