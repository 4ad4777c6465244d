"""One numeric gradient of the tutorial's MNIST MLP: the vectorised strategy vs the element-by-element loop.

Both compute the same central differences ``(J(w + eps e_i) - J(w - eps e_i)) / 2 eps``
of the same objective (the tutorial's batch-mean cross-entropy on one batch of
100 MNIST images, the 784-64-10 sigmoid/softmax net at the tutorial's initial
weights, eps 1e-5), each of the 50,890 weight elements perturbed alone:

- ``vectorized``: ``NumericGradient()``, the default, timed on the full step;
- ``loop``: ``NumericGradient(vectorized=False)``, two whole forward passes
  per element, timed on a random sample of ``--sample`` elements per weight
  (a new sample every round) and scaled to the 50,890 elements: every
  element costs the loop the same two forward passes, so the scaled time is
  its full step up to the one reference pass.

They run in this one process, interleaved (the order alternates every round), so
machine noise hits both alike; the ratio is the median over rounds of the
same-round ratios, in wall time and in CPU time of this process (steadier on a
shared machine). The bar: the vectorised step at least 30x faster. The
agreement figure: the largest ``|vectorized - loop|`` over the sampled elements,
relative to the largest gradient element, and against backpropagation.

``--model as-written`` times the tutorial's network as written instead (batch-wide
softmax, ``0.5 * sum`` binary cross-entropy): every copy's whole batch changes,
so it gains far less.

Run: ``python benchmarks/bench_numeric.py [--repeats 7] [--threads 1] [--sample 100] [--data-dir D]``
(``--threads 0`` leaves BLAS at its default; without the MNIST files it falls
back to random images of the same shape).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from _common import interleave, limit_blas_threads

BAR = 30.0


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (default 1: steadier on a shared machine; 0 leaves them alone)")
    parser.add_argument("--sample", type=int, default=100, help="loop: elements timed per weight (default 100)")
    parser.add_argument("--batch", type=int, default=100, help="images in the batch (default 100)")
    parser.add_argument("--model", choices=["tutorial", "as-written"], default="tutorial")
    parser.add_argument("--data-dir", help="MNIST files (default $LAYERGRAPH_MNIST_DIR)")
    return parser.parse_args(argv)


ARGS = _parse(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:  # before numpy loads its BLAS
    limit_blas_threads(ARGS.threads)

import numpy as np  # noqa: E402

from layergraph import gradients  # noqa: E402
from layergraph.models import mnist  # noqa: E402
from layergraph.models import mnist_as_written as aw  # noqa: E402


def batch(data_dir, size):
    """The first ``size`` MNIST training images and one-hot labels (or random ones), and a description."""
    try:
        (x, y), _ = mnist.load_data("idx", data_dir, limit=size, download=False, progress=False)
        return x, y, f"the first {size} MNIST training images"
    except OSError as err:
        print(f"(MNIST files not found: {err}; timing random images of the same shape instead)")
        rng = np.random.default_rng(0)
        return rng.random((size, 784)) * (rng.random((size, 784)) < 0.19), np.eye(10)[rng.integers(0, 10, size)], \
            "random images"


def network(which):
    """The model (at its initial weights) and its loss."""
    if which == "as-written":
        return aw.build(), aw.tutorial_loss()
    return mnist.tutorial_mlp(compile=False), mnist.tutorial_loss()


def main(args):
    x, y, what = batch(args.data_dir, args.batch)
    model, loss = network(args.model)
    coordinates = model.count_params()
    fast = gradients.NumericGradient()
    cpu = {"vectorized": [], "loop": []}
    result = {}
    rounds = iter(range(10 ** 9))

    def vectorized():
        start, c = time.perf_counter(), time.process_time()
        result["vectorized"] = fast.gradients(model, loss, x, y)[1]
        cpu["vectorized"].append(time.process_time() - c)
        return time.perf_counter() - start

    def loop():
        strategy = gradients.NumericGradient(vectorized=False, max_coordinates=args.sample, seed=next(rounds))
        sampled = sum(len(c) for c in strategy.coordinates(model.trainable_weights))
        start, c = time.perf_counter(), time.process_time()
        result["loop"] = (strategy.gradients(model, loss, x, y)[1], strategy)
        cpu["loop"].append((time.process_time() - c) * coordinates / sampled)
        return (time.perf_counter() - start) * coordinates / sampled

    load_before = os.getloadavg()
    times = interleave({"vectorized": vectorized, "loop": loop}, args.repeats)
    load_after = os.getloadavg()

    fast_grads, (loop_grads, _) = result["vectorized"], result["loop"]
    scale = max(float(np.abs(g).max()) for g in fast_grads)
    worst = max(float(np.nanmax(np.abs(a - b))) for a, b in zip(fast_grads, loop_grads, strict=True))
    elementwise = max(float(np.nanmax(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-9 / 1e-6)))
                      for a, b in zip(fast_grads, loop_grads, strict=True))
    analytic = gradients.AnalyticGradient().gradients(model, loss, x, y)[1]
    backprop = max(float(np.abs(a - b).max()) for a, b in zip(fast_grads, analytic, strict=True))

    wall = [lo / fa for lo, fa in zip(times["loop"], times["vectorized"], strict=True)]
    cpu_ratio = [lo / fa for lo, fa in zip(cpu["loop"], cpu["vectorized"], strict=True)]
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"Numeric gradient of the {'tutorial MLP' if args.model == 'tutorial' else 'as-written net'} "
          f"({coordinates:,} weights) on {what}, eps 1e-5; BLAS threads: {threads}; {args.repeats} rounds; "
          f"loop timed on {args.sample} elements per weight and scaled")
    print(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after ({os.cpu_count()} CPUs)")
    for name in ("vectorized", "loop"):
        print(f"  {name:10s} one step: median {statistics.median(times[name]):8.3f} s wall, "
              f"{statistics.median(cpu[name]):8.3f} s CPU  (min {min(times[name]):.3f} s wall)")
    ratio = statistics.median(wall)
    verdict = (f"(bar: {BAR:.0f}x) -> {'OK' if ratio >= BAR else 'BELOW THE BAR'}" if args.model == "tutorial"
               else "(the bar is the tutorial MLP's)")
    print(f"  speed-up (median of same-round ratios): {ratio:.0f}x wall, {statistics.median(cpu_ratio):.0f}x CPU "
          f"{verdict}")
    print(f"  agreement on the sampled elements: max |vectorized - loop| = {worst:.2e} = {worst / scale:.1e} of the "
          f"largest gradient element ({scale:.3g}); worst element error {elementwise:.1e} "
          f"(|a - b| / max(|a| + |b|, 1e-3), as gradients.check with atol 1e-9, rtol 1e-6)")
    print(f"  vs backpropagation: max |vectorized - analytic| = {backprop:.2e} = {backprop / scale:.1e} relative")
    return 0 if ratio >= BAR or args.model != "tutorial" else 1


if __name__ == "__main__":
    sys.exit(main(ARGS))
