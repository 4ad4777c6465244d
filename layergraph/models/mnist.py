"""The tutorial's MNIST classifier, and a registry for better ones.

The tutorial trains a two-layer perceptron on the 28x28 digits flattened to
784 inputs: ``Dense(64, sigmoid) -> Dense(10, softmax)``, weights
``0.01 * randn`` from ``numpy.random.RandomState(777)`` (kernel of the first
layer drawn first), zero biases, plain SGD with learning rate 0.1 on
mini-batches of 100, batch-mean cross-entropy ``-sum(t * log(p + 1e-7))``.
The gradient is analytic (backpropagation; the loss's fused softmax gradient
``(p - t) / N``): the numeric strategy would need ``2 * 50,890`` forward
passes per step, which is the tutorial's point. It reaches about 95% test
accuracy after 20 epochs: 95.04% with the default shuffling seed, the
tutorial's 777 (used for the weights too), and 94.96% to 95.07% (median
95.035%) over the shuffling seeds 0 to 9 -- exactly, seed for seed, what a
hand-written numpy loop of the same recipe with the same shuffling reaches.

Every recipe lives in :data:`MODELS` (name -> :class:`Recipe`); the command
line (``python -m layergraph mnist --model NAME``) and :func:`train` look
models up there, so a new model is one builder plus one registry entry. A
recipe trains with ``model.fit``, or with its own loop (:attr:`Recipe.run`):
``as-written`` is the tutorial's network exactly as the tutorial wrote it,
bugs included (:func:`tutorial_as_written`, :mod:`.mnist_as_written`).
Every recipe takes a gradient strategy (``gradient="analytic"`` or
``"numeric"``).

Example
-------
>>> from layergraph.models import mnist
>>> model = mnist.tutorial_mlp()
>>> [w.shape for w in model.get_weights()]
[(784, 64), (64,), (64, 10), (10,)]
>>> model, history, accuracy = mnist.train(epochs=20)      # doctest: +SKIP
>>> accuracy > 0.95                                         # doctest: +SKIP
True
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import Input, Sequential, layers, losses, optimizers
from ..datasets import batching
from ..datasets import mnist as mnist_data
from ..optimizers.schedules import CosineDecay
from . import mnist_as_written

#: Seed of the tutorial's ``numpy.random.RandomState`` weight draw.
TUTORIAL_SEED = mnist_as_written.SEED

NUM_CLASSES = 10


def tutorial_loss():
    """The tutorial's batch-mean cross-entropy, ``-sum(t * log(p + 1e-7)) / N``."""
    return losses.CategoricalCrossentropy(delta=1e-7)


def tutorial_weights(seed=TUTORIAL_SEED, hidden=64):
    """The tutorial's initial weights ``[W1, b1, W2, b2]`` (float64).

    ``W1 = 0.01 * randn(784, hidden)`` then ``W2 = 0.01 * randn(hidden, 10)``
    from one ``numpy.random.RandomState(seed)``, in that order; zero biases.

    Parameters
    ----------
    seed : int, default 777
        Seed of the ``RandomState``.
    hidden : int, default 64
        Width of the hidden layer.

    Example
    -------
    >>> from layergraph.models import mnist
    >>> [w.shape for w in mnist.tutorial_weights()]
    [(784, 64), (64,), (64, 10), (10,)]
    """
    return mnist_as_written.draw_weights(np.random.RandomState(seed), hidden)


def tutorial_mlp(learning_rate=0.1, dtype="float64", seed=TUTORIAL_SEED, compile=True, gradient="analytic"):
    """The tutorial's ``784 -> 64 sigmoid -> 10 softmax`` perceptron.

    Parameters
    ----------
    learning_rate : float
        Of plain SGD (the tutorial's 0.1).
    dtype : {"float64", "float32"}
        Of weights and computations.
    seed : int
        Seed of the shuffling in ``fit`` (default: the tutorial's 777). The
        weights always come from ``RandomState(777)`` (:func:`tutorial_weights`).
    compile : bool
        Compile with SGD, :func:`tutorial_loss`, ``gradient`` and the
        accuracy metric.
    gradient : {"analytic", "numeric"} or GradientStrategy
        How the trainer gets the gradient (numeric: ``2 * 50,890`` forward
        passes per step).

    Returns
    -------
    Sequential
        Inputs ``(n, 784)`` in ``[0, 1]``, outputs ``(n, 10)`` probabilities.
    """
    model = Sequential([
        layers.Dense(64, activation="sigmoid", input_shape=(784,), name="hidden"),
        layers.Dense(NUM_CLASSES, activation="softmax", name="output"),
    ], name="mnist_tutorial_mlp", dtype=dtype)
    model.set_weights(tutorial_weights())
    if compile:
        model.compile(optimizer=optimizers.SGD(learning_rate), loss=tutorial_loss(), metrics=["accuracy"],
                      gradient=gradient, seed=seed)
    return model


def modern_mlp(learning_rate=1e-3, dtype="float32", seed=0, compile=True, dropout=0.2, decay=0.85, steps_per_epoch=469,
               gradient="analytic"):
    """A modern MLP: ``784 -> 256 -> 128 -> 10`` with He initialisation,
    batch normalisation before each ReLU, dropout after it, and Adam.

    ``Dense(256) -> BatchNormalization -> ReLU -> Dropout -> Dense(128) ->
    BatchNormalization -> ReLU -> Dropout -> Dense(10, softmax)``; the hidden
    Dense layers have no bias (batch normalisation's shift replaces it).
    Compiled with Adam, categorical cross-entropy, ``gradient`` (default
    analytic) and accuracy. The learning rate starts at ``learning_rate`` and is multiplied
    by ``decay`` every ``steps_per_epoch`` steps (default: one epoch of
    60,000 images in batches of 128). ``seed`` seeds the weights, the dropout
    masks and the shuffling.

    Parameters
    ----------
    learning_rate : float
        Of the optimizer.
    dtype : {"float32", "float64"}
        Of the weights and computations.
    seed : int
        Seed of the weights (and of dropout masks and shuffling where the model has them).
    compile : bool, default True
        Compile the model (else it is returned uncompiled).
    dropout : float, default 0.2
        Rate of both dropout layers.
    decay : float, default 0.85
        Factor of the learning rate per ``steps_per_epoch`` steps.
    steps_per_epoch : int, default 469
        Steps between two decays.
    gradient : {"analytic", "numeric"} or GradientStrategy
        The compiled gradient strategy.
    """
    L = layers
    model = Sequential([
        L.Dense(256, use_bias=False, kernel_initializer="he_normal", input_shape=(784,), seed=seed, name="dense_1"),
        L.BatchNormalization(name="bn_1"),
        L.Activation("relu", name="relu_1"),
        L.Dropout(dropout, seed=seed + 1, name="dropout_1"),
        L.Dense(128, use_bias=False, kernel_initializer="he_normal", seed=seed + 2, name="dense_2"),
        L.BatchNormalization(name="bn_2"),
        L.Activation("relu", name="relu_2"),
        L.Dropout(dropout, seed=seed + 3, name="dropout_2"),
        L.Dense(NUM_CLASSES, activation="softmax", seed=seed + 4, name="output"),
    ], name="mnist_modern_mlp", dtype=dtype)
    if compile:
        rate = optimizers.ExponentialDecay(learning_rate, steps_per_epoch, decay) if decay != 1 else learning_rate
        model.compile(optimizer=optimizers.Adam(rate), loss="categorical_crossentropy", metrics=["accuracy"],
                      gradient=gradient, seed=seed)
    return model


def cnn(learning_rate=1e-3, dtype="float32", seed=0, compile=True, gradient="analytic"):
    """The Keras example convnet on ``(28, 28, 1)`` images.

    ``Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) ->
    MaxPooling2D(2) -> Flatten -> Dropout(0.5) -> Dense(10, softmax)``
    (34,826 weights), compiled with ``Adam(learning_rate)``, categorical
    cross-entropy, ``gradient`` (default analytic) and accuracy.

    Parameters
    ----------
    learning_rate : float
        Of the optimizer.
    dtype : {"float32", "float64"}
        Of the weights and computations.
    seed : int
        Seed of the weights (and of dropout masks and shuffling where the model has them).
    compile : bool, default True
        Compile the model (else it is returned uncompiled).
    gradient : {"analytic", "numeric"} or GradientStrategy
        The compiled gradient strategy.
    """
    L = layers
    model = Sequential([
        L.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1), seed=seed, name="conv_1"),
        L.MaxPooling2D(2, name="pool_1"),
        L.Conv2D(64, 3, activation="relu", seed=seed + 1, name="conv_2"),
        L.MaxPooling2D(2, name="pool_2"),
        L.Flatten(name="flatten"),
        L.Dropout(0.5, seed=seed + 2, name="dropout"),
        L.Dense(NUM_CLASSES, activation="softmax", seed=seed + 3, name="output"),
    ], name="mnist_cnn", dtype=dtype)
    if compile:
        model.compile(optimizer=optimizers.Adam(learning_rate), loss="categorical_crossentropy", metrics=["accuracy"],
                      gradient=gradient, seed=seed)
    return model


def as_written_mlp(learning_rate=mnist_as_written.LEARNING_RATE, dtype="float64", seed=TUTORIAL_SEED, compile=True,
                   gradient="numeric"):
    """The tutorial's network as written, at its initial weights.

    ``Dense(64, sigmoid) -> Dense(10, batch_softmax)`` with the weights drawn
    from ``RandomState(seed)`` (:func:`.mnist_as_written.build`), compiled
    with ``SGD(learning_rate)``, the tutorial's ``0.5 * sum`` binary
    cross-entropy (:func:`.mnist_as_written.tutorial_loss`) and ``gradient``.
    Its training loop is not ``fit``: see :func:`tutorial_as_written`.

    Parameters
    ----------
    learning_rate : float
        Of the optimizer.
    dtype : {"float32", "float64"}
        Of the weights and computations.
    seed : int
        Seed of the weights (and of dropout masks and shuffling where the model has them).
    compile : bool, default True
        Compile the model (else it is returned uncompiled).
    gradient : {"analytic", "numeric"} or GradientStrategy
        The compiled gradient strategy.
    """
    model = mnist_as_written.build(np.random.RandomState(seed), dtype=dtype)
    if compile:
        model.compile(optimizer=optimizers.SGD(learning_rate), loss=mnist_as_written.tutorial_loss(),
                      gradient=gradient)
    return model


def tutorial_as_written(epochs=mnist_as_written.EPOCHS, batch_size=mnist_as_written.BATCH_SIZE,
                        learning_rate=mnist_as_written.LEARNING_RATE, gradient="numeric", seed=TUTORIAL_SEED,
                        source="idx", data_dir=None, limit=None, data=None, dtype="float64", print_fn=print,
                        progress=False):
    """The tutorial's MNIST network and training loop as written: its log, bugs included.

    The batch-wide softmax, the ``0.5 * sum`` binary cross-entropy with no
    batch mean, the numerical gradient (central differences, ``eps = 1e-5``,
    every weight element), ``0.01 * randn`` weights from seed 777, and
    ``epochs`` "epochs" of *one* SGD update each (lr 0.1) on 100 indices
    drawn with replacement from the same generator. After each update it
    prints ``Epoch: 1, Cost: ..., Train Accuracy: ..., Test Accuracy: ...``,
    and the total time at the end. :mod:`.mnist_as_written` documents every
    choice; a test proves the run equal to a plain-numpy transcription of the
    tutorial's code. With the numeric gradient one update takes about 17 s
    on a quiet machine.

    Parameters
    ----------
    epochs, batch_size : int
        The tutorial's 2 updates of 100 images by default.
    learning_rate : float
        The tutorial's 0.1 by default.
    seed : int
        The tutorial's 777 by default.
    gradient : {"numeric", "analytic"} or GradientStrategy
        ``"numeric"`` (default) is ``NumericGradient(epsilon=1e-5)``.
    source : {"idx", "tfds", "auto"}
        See :func:`load_data`.
    data_dir : path-like, optional
        See :func:`load_data`.
    limit : int, optional
        Keep the first samples of each split.
    dtype : str
        Of the model and the data.
    data : tuple, optional
        ``((x_train, y_train), (x_test, y_test))`` from :func:`load_data`.
    print_fn : callable or None
        Receives each log line (default ``print``).
    progress : bool
        A progress bar over each numeric gradient's coordinates.

    Returns
    -------
    mnist_as_written.AsWrittenResult
        ``losses``, ``train_accuracies``, ``test_accuracies``, ``batches``,
        ``weights``, ``seconds``, ``lines``, ``model`` and ``history``.

    Example
    -------
    >>> result = tutorial_as_written()      # doctest: +SKIP
    Epoch: 1, Cost: ..., Train Accuracy: ..., Test Accuracy: ...
    Epoch: 2, Cost: ..., Train Accuracy: ..., Test Accuracy: ...
    Total time: ... seconds
    """
    if data is None:
        data = load_data(source, data_dir, dtype=dtype, flatten=True, limit=limit)
    (x_train, y_train), (x_test, y_test) = data
    return mnist_as_written.train(x_train, y_train, x_test, y_test, epochs=epochs, batch_size=batch_size,
                                  learning_rate=learning_rate, seed=seed, gradient=gradient, dtype=dtype,
                                  print_fn=print_fn, progress=progress)


def _run_as_written(data, epochs, batch_size, learning_rate, dtype, seed, gradient, verbose):
    """:attr:`Recipe.run` of ``as-written``: its log on ``verbose`` 1 and 2, with a
    progress bar over the numeric gradient on 1 when stderr is a terminal."""
    result = tutorial_as_written(epochs, batch_size, learning_rate, gradient=gradient, seed=seed, data=data,
                                 dtype=dtype, print_fn=print if verbose else None,
                                 progress=verbose == 1 and sys.stderr.isatty())
    return result.model, result.history


def augmented_cnn(learning_rate=3e-3, dtype="float32", seed=0, compile=True, epochs=12, steps_per_epoch=469,
                  augment=True, gradient="analytic"):
    """A small convnet with augmentation, batch normalisation and a warmup + cosine schedule.

    Augmentation (Keras preprocessing layers, active only in training; black
    ``"constant"`` fill): ``RandomRotation`` up to 10 degrees either way,
    ``RandomZoom(0.1)``, ``RandomTranslation(0.1, 0.1)`` (up to 2.8 pixels,
    with ``"nearest"`` interpolation: whole-pixel shifts, so that only two of
    the three resamplings blur the strokes). Then::

        Conv2D(32, 3) -> MaxPooling2D(2) -> BatchNormalization -> ReLU     26x26 -> 13x13x32
        Conv2D(64, 3) -> BatchNormalization -> ReLU                        11x11x64
        Conv2D(64, 3) -> MaxPooling2D(2) -> BatchNormalization -> ReLU     9x9 -> 4x4x64
        Flatten -> Dense(128) -> BatchNormalization -> ReLU -> Dropout(0.3) -> Dense(10, softmax)

    (189,098 weights; no biases before batch normalisation, He-uniform
    initialisation). Pooling before batch normalisation and ReLU does that
    per-element work on a quarter of the first block's pixels. Compiled with
    Adam whose learning rate rises linearly from 0 to ``learning_rate`` over
    the first epoch and then follows a cosine to 0 at the end of epoch
    ``epochs`` (:class:`~layergraph.framework.schedules.CosineDecay` with
    warmup: the shape of the one-cycle policy), categorical cross-entropy,
    the analytic gradient and accuracy.

    Measured (``python -m layergraph mnist --model cnn-aug --seed N``, 12
    epochs on 2 shared cores): see the README's results table.

    Parameters
    ----------
    learning_rate : float
        The peak rate, reached after one epoch.
    dtype : {"float32", "float64"}
        Of the weights and computations.
    seed : int
        Seeds the weights, the augmentation draws, the dropout masks and the
        shuffling.
    compile : bool, default True
        Compile the model (else it is returned uncompiled).
    epochs, steps_per_epoch : int
        The length of the schedule (:func:`train` passes the run's).
    augment : bool
        Include the three augmentation layers.
    gradient : {"analytic", "numeric"} or GradientStrategy
        The compiled gradient strategy.

    Returns
    -------
    Sequential
        Inputs ``(n, 28, 28, 1)`` in ``[0, 1]``, outputs ``(n, 10)`` probabilities.
    """
    L = layers
    s = 100 * seed  # a distinct seed for every random layer, and distinct sets across recipe seeds
    augmentation = [
        L.RandomRotation(10 / 360, fill_mode="constant", seed=s, name="rotation"),
        L.RandomZoom(0.1, fill_mode="constant", seed=s + 1, name="zoom"),
        L.RandomTranslation(0.1, 0.1, fill_mode="constant", interpolation="nearest", seed=s + 2,
                            name="translation"),
    ] if augment else []

    def conv(filters, k):
        return L.Conv2D(filters, 3, use_bias=False, kernel_initializer="he_uniform", seed=s + 9 + k, name=f"conv_{k}")

    def normalized(k):
        return [L.BatchNormalization(name=f"bn_{k}"), L.Activation("relu", name=f"relu_{k}")]

    model = Sequential([
        Input(shape=(28, 28, 1)),
        *augmentation,
        conv(32, 1), L.MaxPooling2D(2, name="pool_1"), *normalized(1),
        conv(64, 2), *normalized(2),
        conv(64, 3), L.MaxPooling2D(2, name="pool_3"), *normalized(3),
        L.Flatten(name="flatten"),
        L.Dense(128, use_bias=False, kernel_initializer="he_uniform", seed=s + 20, name="dense"),
        *normalized(4),
        L.Dropout(0.3, seed=s + 21, name="dropout"),
        L.Dense(NUM_CLASSES, activation="softmax", seed=s + 22, name="output"),
    ], name="mnist_augmented_cnn", dtype=dtype)
    if compile:
        schedule = CosineDecay(0.0, decay_steps=max(1, (epochs - 1) * steps_per_epoch), warmup_target=learning_rate,
                               warmup_steps=steps_per_epoch)
        model.compile(optimizer=optimizers.Adam(schedule), loss="categorical_crossentropy", metrics=["accuracy"],
                      gradient=gradient, seed=seed)
    return model


@dataclass(frozen=True)
class Recipe:
    """How to build and train one MNIST model.

    Attributes
    ----------
    build : callable
        ``build(learning_rate=..., dtype=..., seed=..., gradient=...) -> compiled model``.
    epochs : int
        Default number of epochs of :func:`train` and the command line.
    batch_size : int
        Default batch size of :func:`train` and the command line.
    learning_rate : float
        Default learning rate of the recipe's optimizer.
    flatten : bool
        Inputs ``(n, 784)`` when true, else images ``(n, 28, 28, 1)``.
    dtype : str
        Default dtype of weights and data.
    description : str
        One line for ``--help``.
    target : float
        The test accuracy this recipe is expected to reach with its defaults.
    seed : int
        Default seed of :func:`train` and the command line.
    gradient : {"analytic", "numeric"}
        Default gradient strategy of :func:`train` and the command line.
    run : callable, optional
        The recipe's own training loop, for recipes that are not trained
        with ``model.fit``: ``run(data, epochs=..., batch_size=...,
        learning_rate=..., dtype=..., seed=..., gradient=..., verbose=...) ->
        (model, history)``, ``history`` a
        :class:`~layergraph.framework.callbacks.History` with
        ``train_seconds``. ``None``: :func:`train` builds with :attr:`build`
        and calls ``fit``.
    scheduled : bool
        ``build`` also takes ``epochs=`` and ``steps_per_epoch=``: its
        learning-rate schedule spans the run :func:`train` makes.

    Example
    -------
    >>> from layergraph.models import mnist
    >>> recipe = mnist.get_recipe("cnn")
    >>> recipe.flatten, recipe.dtype
    (False, 'float32')
    """

    build: Callable
    epochs: int
    batch_size: int
    learning_rate: float
    flatten: bool = True
    dtype: str = "float64"
    description: str = ""
    target: float = 0.0
    seed: int = 0
    gradient: str = "analytic"
    run: Callable | None = None
    scheduled: bool = False


#: The models the command line knows, by name.
MODELS: dict[str, Recipe] = {
    "tutorial": Recipe(tutorial_mlp, epochs=20, batch_size=100, learning_rate=0.1, flatten=True,
                       description="the tutorial's 784-64-10 sigmoid MLP, SGD lr 0.1 (~95% in 20 epochs)",
                       target=0.95, seed=TUTORIAL_SEED),
    "mlp": Recipe(modern_mlp, epochs=15, batch_size=128, learning_rate=1e-3, flatten=True, dtype="float32",
                  description="784-256-128-10 ReLU MLP, He init, batch norm, dropout 0.2, Adam with decay",
                  target=0.982),
    "cnn": Recipe(cnn, epochs=15, batch_size=128, learning_rate=1e-3, flatten=False, dtype="float32",
                  description="the Keras example convnet (2 conv + 2 pool + dropout), Adam",
                  target=0.992),
    "cnn-aug": Recipe(augmented_cnn, epochs=12, batch_size=128, learning_rate=3e-3, flatten=False, dtype="float32",
                      description="convnet with rotation/zoom/translation augmentation, batch norm, dropout, "
                                  "Adam with warmup + cosine decay (>= 99.4% in 12 epochs)",
                      target=0.994, scheduled=True),
    "as-written": Recipe(as_written_mlp, epochs=mnist_as_written.EPOCHS, batch_size=mnist_as_written.BATCH_SIZE,
                         learning_rate=mnist_as_written.LEARNING_RATE, flatten=True, seed=TUTORIAL_SEED,
                         gradient="numeric", run=_run_as_written,
                         description="the tutorial's network exactly as written, bugs included (batch-wide "
                                     "softmax, 0.5*sum binary CE, numeric gradient, one update of 100 random "
                                     "images per 'epoch', 2 epochs; ~17 s per update) and its log"),
}


def get_recipe(name):
    """The :class:`Recipe` registered under ``name``; ``ValueError`` lists the known ones.

    Parameters
    ----------
    name : str
        ``"tutorial"``, ``"mlp"``, ``"cnn"`` or ``"as-written"``.

    Example
    -------
    >>> from layergraph.models import mnist
    >>> recipe = mnist.get_recipe("tutorial")
    >>> recipe.epochs, recipe.batch_size, recipe.learning_rate
    (20, 100, 0.1)
    """
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown MNIST model {name!r}; known models: {', '.join(sorted(MODELS))}") from None


def preprocess(images, labels, dtype="float64", flatten=True):
    """The tutorial's preprocessing, vectorised.

    Parameters
    ----------
    images : numpy.ndarray
        ``(n, 28, 28)`` ``uint8`` pixels.
    labels : numpy.ndarray
        ``(n,)`` integers ``0..9``.
    dtype : str
        Of both results.
    flatten : bool
        ``(n, 784)`` when true, else ``(n, 28, 28, 1)`` (channels last, for convolutions).

    Returns
    -------
    x : numpy.ndarray
        Pixels scaled to ``[0, 1]``.
    y : numpy.ndarray, ``(n, 10)``
        One-hot labels of ``dtype``.
    """
    x = batching.normalize(images, dtype=dtype)
    x = batching.flatten(x) if flatten else x.reshape(*x.shape, 1)
    return x, batching.to_categorical(labels, NUM_CLASSES, dtype=dtype)


def load_data(source="idx", data_dir=None, dtype="float64", flatten=True, limit=None, download=True,
              progress=True):
    """Load MNIST and preprocess it as the tutorial does.

    Parameters
    ----------
    source : {"idx", "tfds", "auto"}
        See :func:`layergraph.datasets.mnist.load`.
    data_dir : path-like, optional
        Folder of the four official files (default ``$LAYERGRAPH_MNIST_DIR``,
        else the cache, where missing files are downloaded).
    dtype : str
        Of the arrays returned.
    flatten : bool
        See :func:`preprocess`.
    limit : int, optional
        Keep only the first ``limit`` samples of each split (quick runs, tests).
    download : bool
        Allow downloading missing files.
    progress : bool, default True
        Show download progress.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x`` of shape ``(n, 784)`` (or ``(n, 28, 28, 1)``) in ``[0, 1]``,
        ``y`` one-hot ``(n, 10)``, both of ``dtype``.
    """
    (x_train, y_train), (x_test, y_test) = mnist_data.load(source, data_dir, download=download, progress=progress)
    if limit is not None:
        if not isinstance(limit, (int, np.integer)) or limit < 1:
            raise ValueError(f"load_data: limit must be a positive integer, got {limit!r}")
        x_train, y_train, x_test, y_test = x_train[:limit], y_train[:limit], x_test[:limit], y_test[:limit]
    return (preprocess(x_train, y_train, dtype, flatten), preprocess(x_test, y_test, dtype, flatten))


def train(model_name="tutorial", epochs=None, batch_size=None, learning_rate=None, source="idx", data_dir=None,
          verbose=2, dtype=None, seed=None, limit=None, data=None, callbacks=None, validation=True, gradient=None):
    """Train a registered model on MNIST and measure its test accuracy.

    Parameters
    ----------
    model_name : str
        A key of :data:`MODELS`; ``None`` arguments below take its defaults.
    epochs, batch_size : int, optional
        Default: the recipe's.
    learning_rate : float, optional
        Default: the recipe's.
    source : {"idx", "tfds", "auto"}
        See :func:`load_data`.
    data_dir : path-like, optional
        See :func:`load_data`.
    limit : int, optional
        See :func:`load_data`.
    verbose : {0, 1, 2}
        ``fit``'s: 1 a progress bar per epoch, 2 one line per epoch (a
        recipe with its own loop prints its own log on 1 and 2).
    dtype : {"float64", "float32"}, optional
        Default: the recipe's (float64 for the tutorial's model).
    seed : int, optional
        Shuffling (and, for models with random initialisation, weights and
        dropout masks). Default: the recipe's (777 for the tutorial's model).
    data : tuple, optional
        ``((x_train, y_train), (x_test, y_test))`` already loaded by
        :func:`load_data`; skips loading.
    callbacks : list of Callback, optional
        For ``fit``; a recipe with its own loop (:attr:`Recipe.run`) takes none.
    validation : bool
        Evaluate on the test set after every epoch (``val_loss``,
        ``val_accuracy`` in the history), as the tutorial does. (A recipe
        with its own loop scores the test set as its loop does.)
    gradient : {"analytic", "numeric"} or GradientStrategy, optional
        Default: the recipe's (numeric for ``as-written``, else analytic).

    Returns
    -------
    model : Sequential
    history : History
        ``history.history`` holds ``loss``, ``accuracy`` (and ``val_*``) per
        epoch; ``history.train_seconds`` the wall time of ``fit``.
    test_accuracy : float
    """
    recipe = get_recipe(model_name)
    epochs = recipe.epochs if epochs is None else epochs
    batch_size = recipe.batch_size if batch_size is None else batch_size
    learning_rate = recipe.learning_rate if learning_rate is None else learning_rate
    dtype = recipe.dtype if dtype is None else dtype
    seed = recipe.seed if seed is None else seed
    gradient = recipe.gradient if gradient is None else gradient
    if recipe.run is not None and callbacks:
        raise ValueError(f"train: MNIST model {model_name!r} runs its own training loop and takes no callbacks")
    if data is None:
        data = load_data(source, data_dir, dtype=dtype, flatten=recipe.flatten, limit=limit)
    (x_train, y_train), (x_test, y_test) = data
    if recipe.run is not None:
        model, history = recipe.run(data, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                                    dtype=dtype, seed=seed, gradient=gradient, verbose=verbose)
        return model, history, accuracy(model, x_test, y_test)
    schedule = {}
    if recipe.scheduled:
        schedule = {"epochs": epochs, "steps_per_epoch": -(-len(x_train) // batch_size)}
    model = recipe.build(learning_rate=learning_rate, dtype=dtype, seed=seed, gradient=gradient, **schedule)
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=verbose,
                        validation_data=(x_test, y_test) if validation else None, callbacks=callbacks)
    history.train_seconds = time.perf_counter() - start
    return model, history, accuracy(model, x_test, y_test)


def accuracy(model, x, y):
    """Share of samples whose arg-max prediction matches the label (one-hot or integer).

    Parameters
    ----------
    model : Model
        A trained classifier.
    x : numpy.ndarray
        Inputs.
    y : numpy.ndarray
        One-hot ``(n, k)`` or integer ``(n,)`` labels.
    """
    predicted = np.argmax(model.predict(x), axis=-1)
    y = np.asarray(y)
    labels = np.argmax(y, axis=-1) if y.ndim == 2 else y
    return float(np.mean(predicted == labels))
