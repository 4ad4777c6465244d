"""``compare-optimizers`` command: SGD, momentum, Adagrad, RMSprop and Adam on MNIST.

``python -m layergraph compare-optimizers [--epochs 3] [--batch-size 100] [--plot optimizers.png] ...``
trains the tutorial's perceptron once per optimizer, from the same initial
weights on the same batches (see :mod:`layergraph.models.optimizer_comparison`
for the learning rates), prints each run as it finishes and then a table of
final training loss, test accuracy and time, and writes the loss curves of
all runs to one figure.
"""
from __future__ import annotations

from ..models import mnist
from ..models import optimizer_comparison as oc
from .logic import _positive_int
from .mnist import add_data_arguments, load_data, missing_data_exit_code
from .outputs import check_writable


def run_compare(args):
    if args.plot:  # before training: a figure that cannot be written would lose the runs
        check_writable(args.plot, "--plot", create_folders=True)
    data = load_data(args, flatten=True, dtype=args.dtype, command="compare-optimizers")
    if data is None:
        return missing_data_exit_code(args)
    print(f"== Optimizers on the tutorial's MNIST MLP: {args.epochs} epochs, batch {args.batch_size}, "
          f"{args.dtype}, seed {args.seed} ==")
    runs = []
    for contender in oc.CONTENDERS:
        run = oc.train_with(contender, data, args.epochs, args.batch_size, args.seed, args.dtype)
        accuracies = " ".join(f"{a:.4f}" for a in run.test_accuracy)
        print(f"{run.name} ({run.settings}): test accuracy per epoch {accuracies} ({run.seconds:.1f}s)"
              + (" - stopped: non-finite loss" if run.stopped else ""))
        runs.append(run)
    print()
    print(oc.table(runs))
    if args.plot:
        title = f"Optimizers on the MNIST tutorial MLP ({args.epochs} epochs, batch {args.batch_size})"
        print(f"Saved plot: {oc.plot_runs(runs, args.plot, title=title)}")
    return 0


def register(sub):
    p = sub.add_parser("compare-optimizers", help="train the tutorial's MNIST MLP with SGD, momentum, Adagrad, "
                                                  "RMSprop and Adam; compare their loss curves",
                       description="Train the tutorial's MNIST MLP once per optimizer from the same initial weights "
                                   "and compare training loss, test accuracy and time.")
    p.add_argument("--epochs", type=_positive_int, default=3, help="per optimizer (default 3)")
    p.add_argument("--batch-size", type=_positive_int, default=100, help="default 100, the tutorial's")
    p.add_argument("--plot", metavar="PNG", help="write the loss curves (and test accuracy per epoch) here")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--seed", type=int, default=mnist.TUTORIAL_SEED,
                   help=f"shuffling seed, the same for every optimizer (default {mnist.TUTORIAL_SEED}, the tutorial's)")
    add_data_arguments(p)
    p.set_defaults(func=run_compare)
