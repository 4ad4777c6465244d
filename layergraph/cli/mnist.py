"""``mnist`` command: train a registered MNIST model end to end.

``python -m layergraph mnist [--model tutorial] [--epochs 20] [--gradient analytic] [--plot out.png] ...``
loads the data, trains with a per-epoch log (the test set serves as the
validation data, as in the tutorial), prints the final test accuracy and
writes the figures. Options default to the model's recipe in
:data:`layergraph.models.mnist.MODELS`, so a new model needs no change here;
a recipe with its own training loop (``--model as-written``, the tutorial's
network as written) prints its own log instead of ``fit``'s.

When the data can be neither found nor downloaded, it says so and exits 1,
or 0 with ``--skip-missing`` (for ``make demo`` on offline machines).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from .. import plot
from ..datasets import mnist as mnist_data
from ..models import mnist
from .logic import _positive_float, _positive_int
from .outputs import check_writable

#: Exit code when the data is missing (without ``--skip-missing``).
EXIT_NO_DATA = 1


def load_data(args, flatten=True, dtype="float64", command="mnist"):
    """The preprocessed MNIST data for a command, or ``None`` after explaining why it is unavailable.

    Shared by the commands that read MNIST (``mnist``, ``evaluate``,
    ``compare-optimizers``), whose parsers get the data options from
    :func:`add_data_arguments`.

    Parameters
    ----------
    args : argparse.Namespace
        ``source``, ``data_dir``, ``limit``, ``no_download`` and ``skip_missing``.
    flatten : bool
        ``(n, 784)`` inputs when true, else ``(n, 28, 28, 1)`` images.
    dtype : str
    command : str
        Names the command in the error message.

    Returns
    -------
    tuple or None
        ``((x_train, y_train), (x_test, y_test))``; ``None`` when the files
        can be neither found nor downloaded, after printing why (to stderr, or
        to stdout with ``--skip-missing``).
    """
    start = time.perf_counter()
    try:
        data = mnist.load_data(args.source, args.data_dir, dtype=dtype, flatten=flatten, limit=args.limit,
                               download=not args.no_download)
    except (OSError, ImportError) as err:  # missing files, failed download, no tensorflow_datasets
        where = mnist_data.resolve_data_dir(args.data_dir)
        message = (f"MNIST data is not available ({type(err).__name__}: {err}).\n"
                   f"Put the four official files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                   f"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in {where}, pass --data-dir, "
                   f"or set {mnist_data.ENV_VAR}; with network access they are downloaded from "
                   f"{mnist_data.MIRROR_URL}")
        if args.skip_missing:
            print(f"Skipping the MNIST run: {message}")
        else:
            print(f"layergraph {command}: error: {message}", file=sys.stderr)
        return None
    (x_train, _), (x_test, _) = data
    print(f"MNIST: {len(x_train)} training and {len(x_test)} test images, {args.source} source, {dtype} "
          f"({time.perf_counter() - start:.1f}s to load)")
    return data


def missing_data_exit_code(args):
    """What a command returns when :func:`load_data` found no data."""
    return 0 if args.skip_missing else EXIT_NO_DATA


def add_data_arguments(parser):
    """Add ``--source``, ``--data-dir``, ``--no-download``, ``--skip-missing`` and the hidden ``--limit``."""
    parser.add_argument("--source", choices=mnist_data.SOURCES, default="idx",
                        help="idx: the official files via numpy; tfds: tensorflow_datasets; auto: tfds if installed")
    parser.add_argument("--data-dir", help=f"folder of the four files (default ${mnist_data.ENV_VAR}, else the cache)")
    parser.add_argument("--no-download", action="store_true", help="never download missing files")
    parser.add_argument("--skip-missing", action="store_true",
                        help="exit 0 with a message when the data is unavailable")
    parser.add_argument("--limit", type=_positive_int, help=argparse.SUPPRESS)  # tests: first N samples of each split


def _describe(args):
    return (f"== MNIST '{args.model}' model: {args.epochs} epochs, batch {args.batch_size}, lr {args.lr}, "
            f"{args.dtype}, seed {args.seed}, {args.gradient} gradient ==")


def save_plots(path, history, x_test, y_test, probabilities, title=""):
    """The figures of one run: ``path`` (training curves) and, beside it,
    ``-digits`` (first test digits), ``-mistakes`` (first misclassified ones)
    and ``-confusion``. Returns the written paths."""
    path = Path(path)
    sibling = lambda tag: path.with_name(f"{path.stem}-{tag}{path.suffix or '.png'}")  # noqa: E731
    labels, predicted = np.argmax(y_test, axis=1), np.argmax(probabilities, axis=1)
    written = [plot.plot_history(history, path, title=title),
               plot.plot_digits(x_test, labels, predicted, sibling("digits"), n=25, title=f"{title}: test digits")]
    wrong = np.flatnonzero(predicted != labels)
    if len(wrong):
        written.append(plot.plot_digits(x_test[wrong], labels[wrong], predicted[wrong], sibling("mistakes"), n=25,
                                        title=f"{title}: mistakes ({len(wrong)} of {len(labels)})"))
    written.append(plot.plot_confusion_matrix(labels, predicted, sibling("confusion"), num_classes=10))
    return written


#: A numeric run estimated to take longer than this (seconds) is warned about before it starts.
NUMERIC_WARNING_SECONDS = 3600


def warn_numeric_cost(args, data):
    """Print the estimated cost of numeric training; warn on stderr when the run would exceed an hour.

    The estimate is the recipe's coordinates times the time per coordinate
    measured on a sample of each weight's elements
    (:func:`~layergraph.models.mnist.estimate_numeric`), times the steps of
    ``args.epochs`` epochs.
    """
    estimate = mnist.estimate_numeric(args.model, data, batch_size=args.batch_size, dtype=args.dtype, seed=args.seed)
    total = estimate.seconds_per_step * estimate.steps_per_epoch * args.epochs
    print(f"Numeric gradient: {estimate.describe()}")
    if total > NUMERIC_WARNING_SECONDS:
        print(f"layergraph mnist: warning: --gradient numeric would train the '{args.model}' model for about "
              f"{mnist.format_duration(total)} ({args.epochs} epoch{'s' if args.epochs != 1 else ''} x "
              f"{estimate.steps_per_epoch:,} steps x {estimate.coordinates:,} coordinates x "
              f"{estimate.seconds_per_coordinate * 1e3:.3g} ms measured per coordinate); --gradient analytic "
              f"trains it by backpropagation", file=sys.stderr)


def run_mnist(args):
    # Before anything else: a file that cannot be written would lose the trained model.
    if args.save:
        check_writable(args.save, "--save")
    if args.plot:
        check_writable(args.plot, "--plot", create_folders=True)
    recipe = mnist.get_recipe(args.model)
    for name, default in (("epochs", recipe.epochs), ("batch_size", recipe.batch_size), ("lr", recipe.learning_rate),
                          ("dtype", recipe.dtype), ("seed", recipe.seed), ("gradient", recipe.gradient)):
        if getattr(args, name) is None:
            setattr(args, name, default)
    data = load_data(args, flatten=recipe.flatten, dtype=args.dtype)
    if data is None:
        return missing_data_exit_code(args)
    (x_train, y_train), (x_test, y_test) = data
    print(_describe(args))
    if args.gradient == "numeric":
        warn_numeric_cost(args, data)
    model, history, test_accuracy = mnist.train(args.model, args.epochs, args.batch_size, args.lr, data=data,
                                                verbose=args.verbose, dtype=args.dtype, seed=args.seed,
                                                gradient=args.gradient)
    seconds = history.train_seconds
    print(f"Test accuracy: {test_accuracy:.4f} after {len(history.epoch)} epochs "
          f"({seconds:.1f}s training, {seconds / max(len(history.epoch), 1):.2f}s per epoch)")
    if args.epochs == recipe.epochs and args.limit is None and recipe.target:
        verdict = "reached" if test_accuracy >= recipe.target else "NOT reached"
        print(f"Target {recipe.target:.4f}: {verdict}")
    if args.save:
        model.save(args.save)
        print(f"Saved model to {args.save}")
    if args.plot:
        paths = save_plots(args.plot, history, x_test, y_test, model.predict(x_test),
                           title=f"MNIST {args.model} ({args.dtype})")
        print("Saved plots: " + ", ".join(str(p) for p in paths))
    return 0


def register(sub):
    models = "; ".join(f"{name}: {recipe.description}" for name, recipe in mnist.MODELS.items())
    p = sub.add_parser("mnist", help="train an MNIST classifier end to end (the tutorial's MLP by default)",
                       description="Train an MNIST model, print the per-epoch log and the test accuracy.")
    p.add_argument("--model", choices=sorted(mnist.MODELS), default="tutorial",
                   help=f"which recipe ({models})".replace("%", "%%"))
    p.add_argument("--epochs", type=_positive_int, help="default: the model's (20 for tutorial; 2 for as-written, "
                                                         "whose 'epoch' is one update on one batch)")
    p.add_argument("--batch-size", type=_positive_int, help="default: the model's (100 for tutorial)")
    p.add_argument("--lr", type=_positive_float, help="learning rate; default: the model's (0.1 for tutorial)")
    p.add_argument("--gradient", choices=["analytic", "numeric"],
                   help="how the gradient is computed: analytic (backpropagation) or numeric (central differences "
                        "of every weight element, vectorised: ~0.3 s per step for the tutorial's 50,890 weights; "
                        "the estimated cost is printed first, with a warning beyond an hour); default: the "
                        "model's (numeric for as-written, analytic for the others)")
    add_data_arguments(p)
    p.add_argument("--plot", metavar="PNG", help="write training curves here, and -digits, -mistakes, -confusion "
                                                "figures beside it")
    p.add_argument("--save", metavar="FILE", help="save the trained model (model.save format)")
    p.add_argument("--dtype", choices=["float64", "float32"], help="default: the model's (float64 for tutorial)")
    p.add_argument("--seed", type=int, help="shuffling (and initialisation) seed; default: the model's "
                                           "(777 for tutorial and as-written, as "
                                           "their weights; 0 for the others)")
    p.add_argument("--verbose", type=int, choices=[0, 1, 2], default=1,
                   help="1: a progress bar per epoch on a terminal, else one line per epoch; 2: lines; 0: quiet")
    p.set_defaults(func=run_mnist)
