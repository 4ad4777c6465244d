"""What the augmentation layers cost in a training step of the ``cnn-aug`` MNIST recipe.

Two measurements, on random MNIST-shaped float32 batches of 128:

- *direct*: the time of the three augmentation layers themselves in a
  training step (their forward passes, and their backward passes as the
  model calls them: the first is asked for no input gradient, the two
  others are), as a share of a full ``train_on_batch`` step of the model;
- *difference*: ``train_on_batch`` of :func:`layergraph.models.mnist.augmented_cnn`
  with and without the augmentation layers (same weights), interleaved, the
  order rotating every repetition; ``1 - plain / augmented`` (median of
  per-repetition ratios) is their share of the step.

An epoch is these steps plus the validation pass, in which the layers are
the identity, so the share of an epoch is at most the share of a step.

Usage::

    PYTHONPATH=. python benchmarks/bench_augmentation.py [--steps 10] [--repeats 7] [--threads 2]
"""
from __future__ import annotations

import argparse
import statistics

from _common import interleave, limit_blas_threads, median_ratio, retain_freed_memory, timer

BATCH = 128


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="training steps per repetition")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=0, help="BLAS threads (0: leave the default)")
    args = parser.parse_args(argv)
    limit_blas_threads(args.threads)

    import numpy as np

    from layergraph.models import mnist

    retain_freed_memory()
    rng = np.random.default_rng(0)
    x = rng.random((args.steps * BATCH, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, len(x))]
    batches = [(x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(x), BATCH)]
    augmented = mnist.augmented_cnn(seed=0)
    plain = mnist.augmented_cnn(seed=0, augment=False)
    plain.set_weights(augmented.get_weights())

    def steps(model):
        def run():
            for xb, yb in batches:
                model.train_on_batch(xb, yb)
        return run

    def augmentation_only():
        for xb, _ in batches:
            h, caches = xb, []
            for layer in augmented.layers[:3]:
                h, cache = layer.forward(h, training=True)
                caches.append(cache)
            grad = np.ones_like(h)
            for i in (2, 1, 0):
                grad, _ = augmented.layers[i].backward(grad, caches[i], input_grad=i > 0)

    times = interleave({"augmented": timer(steps(augmented)), "plain": timer(steps(plain)),
                        "augmentation layers": timer(augmentation_only)}, args.repeats)
    per_step = {name: 1e3 * statistics.median(t) / args.steps for name, t in times.items()}
    for name, ms in per_step.items():
        print(f"{name:>20}: {ms:7.2f} ms per step (median of {args.repeats} x {args.steps} steps)")
    direct, _ = median_ratio(times, "augmentation layers", "augmented")
    ratio, _ = median_ratio(times, "plain", "augmented")
    print(f"augmentation share of a training step: {100 * direct:.1f}% (direct), {100 * (1 - ratio):.1f}% "
          f"(difference of the steps)")


if __name__ == "__main__":
    main()
