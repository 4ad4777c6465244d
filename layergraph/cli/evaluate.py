"""``evaluate`` command: the test loss and accuracy of a saved MNIST model.

``python -m layergraph evaluate model.lg [--batch-size N] [--summary] ...``
loads a model written by ``python -m layergraph mnist --save model.lg`` (or by
``model.save``), prepares the MNIST test set the way the model takes it, and
prints its loss and accuracy. The input layout comes from the model itself:
flat ``(n, 784)`` vectors for a model whose input shape is ``(784,)``, images
``(n, 28, 28, 1)`` for a convnet; the data gets the model's dtype.

A model saved without its training configuration is evaluated with
categorical cross-entropy. A missing, truncated or corrupted file is an error
naming the file (exit status 2); missing data is handled as by ``mnist``.
"""
from __future__ import annotations

import time

import numpy as np

from .. import load_model
from ..models import mnist
from .logic import _positive_int
from .mnist import add_data_arguments, load_data, missing_data_exit_code

#: The number of values in one MNIST image.
PIXELS = 28 * 28


def input_layout(model, path):
    """``(flatten, shape)``: how to preprocess MNIST for ``model``, and the
    per-sample input shape it takes.

    Raises
    ------
    ValueError
        If the model takes several inputs, or inputs that are not one 28x28
        image in some layout; the message names ``path``.
    """
    shape = model.input_shape
    if shape is None or isinstance(shape, list):
        raise ValueError(f"{path}: the model takes {'several inputs' if shape else 'no known input shape'}; "
                         "evaluate needs one input of 784 values (a 28x28 image)")
    shape = tuple(shape[1:])
    if any(d is None for d in shape) or int(np.prod(shape)) != PIXELS:
        raise ValueError(f"{path}: the model takes inputs of shape {shape}, not 28x28 MNIST images "
                         f"({PIXELS} values)")
    return len(shape) == 1, shape


def _ensure_compiled(model):
    """Compile a model saved without its training configuration; says whether it had one."""
    if model.trainer is not None:
        return True
    # Only the loss matters: evaluate never takes an optimizer step.
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return False


def _describe(model, path, shape, had_config):
    loss = type(model.loss).__name__
    how = f"its saved loss {loss}" if had_config else f"{loss} (saved without a training configuration)"
    return (f'Model "{model.name}" from {path}: {model.count_params():,} parameters, inputs {shape} '
            f"{model.dtype}; evaluated with {how}")


def run_evaluate(args):
    model = load_model(args.model)
    flatten, shape = input_layout(model, args.model)
    had_config = _ensure_compiled(model)
    print(_describe(model, args.model, shape, had_config))
    if args.summary:
        model.summary()
    data = load_data(args, flatten=flatten, dtype=model.dtype, command="evaluate")
    if data is None:
        return missing_data_exit_code(args)
    _, (x_test, y_test) = data
    x_test = x_test.reshape(len(x_test), *shape)  # e.g. (n, 28, 28) for a model without a channel axis
    start = time.perf_counter()
    logs = model.evaluate(x_test, y_test, batch_size=args.batch_size, return_dict=True)
    # A model compiled without the accuracy metric is still judged by its arg-max predictions.
    accuracy = logs["accuracy"] if "accuracy" in logs else mnist.accuracy(model, x_test, y_test)
    print(f"Test loss: {logs['loss']:.4f}")
    print(f"Test accuracy: {accuracy:.4f} on {len(x_test)} images ({time.perf_counter() - start:.1f}s)")
    return 0


def register(sub):
    p = sub.add_parser("evaluate", help="test loss and accuracy of a saved MNIST model (mnist --save)",
                       description="Load a model saved by 'mnist --save' and evaluate it on the MNIST test set.")
    p.add_argument("model", metavar="MODEL_FILE", help="a file written by 'mnist --save' or model.save")
    p.add_argument("--batch-size", type=_positive_int,
                   help="inference batch size (default: predict's, chosen from the model's layer sizes)")
    p.add_argument("--summary", action="store_true", help="also print the model's layer table")
    add_data_arguments(p)
    p.set_defaults(func=run_evaluate)
