"""One MNIST epoch of the tutorial's MLP built from ``call()``-only layers vs the built-in Dense layers.

Issue 11's bar: the tutorial's 784-64-10 perceptron with two custom Dense
layers that define only ``call()`` in plain numpy (``np.matmul(x, self.w) +
self.b``, a sigmoid, a softmax output), trained by ``model.fit`` with the
analytic strategy (so their gradient comes from the autodiff tape), takes at
most 1.5x the epoch time of the same model made of the built-in layers
(hand-written ``backward``, fused softmax/cross-entropy gradient).

Contestants, each one ``fit`` epoch (float64, batches of 100, SGD lr 0.1,
the tutorial's loss and accuracy metric, same weights and shuffling):

- ``builtin``: :func:`layergraph.models.mnist.tutorial_mlp`;
- ``custom-numpy``: ``Sequential([NumpyDense(64, "sigmoid"), NumpyDense(10, "softmax")])``
  whose sigmoid is ``1 / (1 + np.exp(-z))`` and softmax
  ``e / e.sum(axis=1, keepdims=True)`` with ``e = np.exp(z - z.max(axis=1, keepdims=True))``;
- ``custom-ops``: the same layers with ``layergraph.ops.sigmoid`` /
  ``ops.softmax`` (one recorded op each).

They run interleaved in one process (the order rotates every round); the
report is the median over rounds of each round's time ratio to ``builtin``,
and its spread. The final weights of the three are checked equal first
(the same maths, so the same training).

Run: ``PYTHONPATH=. python benchmarks/bench_custom_layers.py [--repeats 9] [--threads 1] [--limit N]``
(``--threads 0`` leaves the BLAS threads at numpy's default; MNIST from
``$LAYERGRAPH_MNIST_DIR``, or random images of the same shape).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from _common import interleave, limit_blas_threads

BAR = 1.5


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed epochs per contestant (default 9)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1; 0 leaves them alone)")
    parser.add_argument("--data-dir", help="MNIST files (default $LAYERGRAPH_MNIST_DIR)")
    parser.add_argument("--limit", type=int, help="train on the first N images only")
    return parser.parse_args(argv)


ARGS = _parse(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:  # before numpy loads its BLAS
    limit_blas_threads(ARGS.threads)

import numpy as np  # noqa: E402

import layergraph as lg  # noqa: E402
from layergraph import ops  # noqa: E402
from layergraph.models import mnist  # noqa: E402

BATCH, LR, SEED = 100, 0.1, 0


class NumpyDense(lg.layers.Layer):
    """A Dense layer the Keras way: ``call()`` only, plain numpy, no ``backward``."""

    def __init__(self, units, activation, use_ops=False, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation, self.use_ops = units, activation, use_ops

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        z = np.matmul(inputs, self.w) + self.b
        if self.activation == "sigmoid":
            return ops.sigmoid(z) if self.use_ops else 1.0 / (1.0 + np.exp(-z))
        if self.use_ops:
            return ops.softmax(z)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def custom_mlp(use_ops):
    model = lg.Sequential([lg.Input(shape=(784,)), NumpyDense(64, "sigmoid", use_ops, name="hidden"),
                           NumpyDense(mnist.NUM_CLASSES, "softmax", use_ops, name="output")])
    model.set_weights(mnist.tutorial_weights())
    model.compile(optimizer=lg.optimizers.SGD(LR), loss=mnist.tutorial_loss(), metrics=["accuracy"],
                  gradient="analytic", seed=SEED)
    return model


def epoch(make, x, y):
    """One ``fit`` epoch of a fresh model; ``(seconds, weights)``."""
    model = make()
    start = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    return time.perf_counter() - start, model.get_weights()


def load(data_dir, limit):
    try:
        (x, y), _ = mnist.load_data("idx", data_dir, limit=limit, download=False, progress=False)
        return x, y, "MNIST training set"
    except OSError as err:
        print(f"(MNIST files not found: {err}; timing random images of the same shape instead)")
        rng = np.random.default_rng(0)
        n = limit or 60000
        return rng.integers(0, 256, size=(n, 784)) / 255, np.eye(10)[rng.integers(0, 10, n)], "random images"


def main(args):
    x, y, what = load(args.data_dir, args.limit)
    makers = {"builtin": lambda: mnist.tutorial_mlp(learning_rate=LR, seed=SEED),
              "custom-numpy": lambda: custom_mlp(False), "custom-ops": lambda: custom_mlp(True)}
    reference = epoch(makers["builtin"], x[:2000], y[:2000])[1]
    for name in ("custom-numpy", "custom-ops"):
        weights = epoch(makers[name], x[:2000], y[:2000])[1]
        worst = max(float(np.max(np.abs(a - b))) for a, b in zip(weights, reference, strict=True))
        assert worst < 1e-9, f"{name} trains differently from the built-in layers (max weight difference {worst})"
    print(f"{what}: {len(x)} images, float64, batch {BATCH}, BLAS threads: {args.threads or 'default'}; "
          f"{args.repeats} interleaved epochs per contestant")
    times = interleave({name: (lambda make=make: epoch(make, x, y)[0]) for name, make in makers.items()},
                       args.repeats)
    print(f"{'contestant':<14} {'median s':>9} {'min s':>7} {'ratio (median)':>15} {'ratio range':>14}")
    for name in makers:
        ratios = [a / b for a, b in zip(times[name], times["builtin"], strict=True)]
        print(f"{name:<14} {statistics.median(times[name]):9.3f} {min(times[name]):7.3f} "
              f"{statistics.median(ratios):15.3f} {min(ratios):6.3f}-{max(ratios):.3f}")
    worst = max(statistics.median([a / b for a, b in zip(times[n], times["builtin"], strict=True)])
                for n in ("custom-numpy", "custom-ops"))
    print(f"bar: call()-only layers within {BAR}x the built-in layers: {'met' if worst <= BAR else 'NOT met'} "
          f"(worst median ratio {worst:.3f})")


if __name__ == "__main__":
    main(ARGS)
