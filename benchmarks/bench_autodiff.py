"""The autodiff tape's overhead: the tutorial MLP's forward + backward through the tape vs hand-written numpy.

A standalone proxy for issue 11's benchmark (an epoch of the tutorial's
MNIST MLP with two ``call()``-only Dense layers within 1.5x the built-in
layers), before the tape is wired into ``Layer``. Every contestant does,
per batch of 100 (float64, 784-64-10, sigmoid hidden layer, fused
softmax cross-entropy gradient ``(p - t) / N`` at the logits):

- ``numpy``: the forward and backward passes written by hand;
- ``tape``: each Dense layer is a ``call()`` in plain numpy,
  ``ops.sigmoid(np.matmul(x, kernel) + bias)`` and ``np.matmul(h, kernel) + bias``,
  recorded with :func:`layergraph.framework.autodiff.record` (one recording
  per layer, as a layer's forward will do), the loss gradient computed by
  hand as for the built-in layers, then the two backward functions (the
  first with ``input_grad=False``);
- ``tape-plain-sigmoid``: the same with the sigmoid spelled
  ``1 / (1 + np.exp(-z))`` (four recorded ops instead of one);
- ``autograd``, when HIPS autograd is importable (``pip install autograd``;
  not a dependency): the same plain-numpy layers differentiated by
  ``autograd.make_vjp``, the alternative the tape was measured against.

Contestants run interleaved in one process (the order rotates every
repetition), one BLAS thread; the report is the median over repetitions of
the per-repetition time ratio to ``numpy``. The gradients of all three are
checked equal first.

Run: ``PYTHONPATH=. python benchmarks/bench_autodiff.py [--repeats 15] [--steps 100] [--threads 1] [--clock cpu]``
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from _common import interleave, limit_blas_threads, median_ratio, timer

BAR = 1.5


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per contestant (default 15)")
    parser.add_argument("--steps", type=int, default=100, help="batches per round (default 100)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1; 0 leaves them alone)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall time (default) or this process's CPU time, steadier on a busy machine")
    return parser.parse_args(argv)


ARGS = _parse(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:  # before numpy loads its BLAS
    limit_blas_threads(ARGS.threads)

import numpy as np  # noqa: E402

try:
    import autograd
except ImportError:
    autograd = None

from layergraph import ops  # noqa: E402
from layergraph.framework import autodiff  # noqa: E402
from layergraph.framework.variables import Variable  # noqa: E402

BATCH = 100


def make_problem(seed=0):
    """Random MNIST-shaped batches (pixels in [0, 1], one-hot labels) and the tutorial's initial weights."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(BATCH, 784)) / 255.0
    y = np.eye(10)[rng.integers(0, 10, BATCH)]
    weights = [rng.normal(0, 0.1, (784, 64)), np.zeros(64), rng.normal(0, 0.1, (64, 10)), np.zeros(10)]
    return x, y, weights


def numpy_step(x, y, w1, b1, w2, b2):
    """Hand-written forward and backward; returns the four gradients."""
    h = 1.0 / (1.0 + np.exp(-(x @ w1 + b1)))
    z = h @ w2 + b2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    dz = (e / e.sum(axis=1, keepdims=True) - y) / len(x)
    dh = dz @ w2.T
    dz1 = dh * h * (1.0 - h)
    return [x.T @ dz1, dz1.sum(axis=0), h.T @ dz, dz.sum(axis=0)]


class Dense:
    """A ``call()``-only Dense layer, as a user would write it."""

    def __init__(self, kernel, bias, activation=None):
        self.kernel, self.bias = Variable(kernel, "kernel"), Variable(bias, "bias")
        self.activation = activation

    def call(self, x):
        z = np.matmul(x, self.kernel) + self.bias
        return z if self.activation is None else self.activation(z)


def plain_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def tape_step(x, y, layers):
    """Forward through each layer's recording, fused loss gradient, backward through both."""
    hidden, output = layers
    h, back1 = autodiff.record(hidden.call, x, [hidden.kernel, hidden.bias], name="hidden")
    z, back2 = autodiff.record(output.call, h, [output.kernel, output.bias], name="output")
    e = np.exp(z - z.max(axis=1, keepdims=True))
    dz = (e / e.sum(axis=1, keepdims=True) - y) / len(x)
    dh, (dw2, db2) = back2(dz)
    _, (dw1, db1) = back1(dh, input_grad=False)
    return [dw1, db1, dw2, db2]


def autograd_step(x, y, w1, b1, w2, b2):
    """The same layers in plain numpy, differentiated by ``autograd.make_vjp`` (weights passed as arguments)."""
    vjp1, h = autograd.make_vjp(lambda p: plain_sigmoid(np.matmul(x, p[0]) + p[1]))((w1, b1))
    vjp2, z = autograd.make_vjp(lambda p: np.matmul(p[0], p[1]) + p[2])((h, w2, b2))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    dz = (e / e.sum(axis=1, keepdims=True) - y) / len(x)
    dh, dw2, db2 = vjp2(dz)
    dw1, db1 = vjp1(dh)
    return [dw1, db1, dw2, db2]


def cpu_timer(run):
    """Like ``_common.timer``, in this process's CPU seconds (time the machine gave to others is not counted)."""
    def timed():
        start = time.process_time()
        run()
        return time.process_time() - start
    return timed


def main(args):
    x, y, weights = make_problem()
    w1, b1, w2, b2 = weights
    contestants = {
        "numpy": lambda: numpy_step(x, y, *weights),
        "tape": lambda: tape_step(x, y, [Dense(w1, b1, ops.sigmoid), Dense(w2, b2)]),
        "tape-plain-sigmoid": lambda: tape_step(x, y, [Dense(w1, b1, plain_sigmoid), Dense(w2, b2)]),
    }
    if autograd is not None:
        contestants["autograd"] = lambda: autograd_step(x, y, *weights)
    reference = contestants["numpy"]()
    for name in list(contestants)[1:]:
        for ref, got in zip(reference, contestants[name](), strict=True):
            np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)
    if args.clock == "wall":
        rounds = {name: timer(lambda run=run: [run() for _ in range(args.steps)]) for name, run in contestants.items()}
    else:
        rounds = {name: cpu_timer(lambda run=run: [run() for _ in range(args.steps)])
                  for name, run in contestants.items()}
    times = interleave(rounds, args.repeats)
    per_step = {name: 1e3 * statistics.median(t) / args.steps for name, t in times.items()}
    print(f"tutorial MLP 784-64-10, batch {BATCH}, float64, forward + backward, {args.steps} steps x "
          f"{args.repeats} interleaved rounds, BLAS threads {args.threads or 'default'}, {args.clock} time")
    for name in contestants:
        line = f"  {name:20s} {per_step[name]:7.3f} ms/step"
        if name != "numpy":
            ratio, min_ratio = median_ratio(times, name, "numpy")
            line += f"   {ratio:.3f}x numpy (median of ratios; ratio of minima {min_ratio:.3f}x)"
        print(line)
    ratio = median_ratio(times, "tape", "numpy")[0]
    print(f"tape / numpy = {ratio:.3f}x (bar for the integrated epoch: <= {BAR}x) "
          f"{'OK' if ratio <= BAR else 'ABOVE THE BAR'}")


if __name__ == "__main__":
    main(ARGS)
