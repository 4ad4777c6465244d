"""Full-batch training speed on the 2-2-1 XOR net: layergraph vs a hand-written numpy loop.

Both do the same math per step (sigmoid hidden layer, sigmoid output, mean
binary cross-entropy, plain SGD on all four samples), in float64, in this one
process, interleaved, so machine noise hits both alike. Prints steps per second
and the ratio layergraph / numpy (the bar: at least 0.8).

Run: ``python benchmarks/bench_xor.py [--steps 2000] [--repeats 7]``
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import layergraph as lg
from layergraph.datasets import logic


def numpy_loop(x, y, weights, steps, lr):
    """The hand-written reference: forward, loss, backward, update."""
    w1, b1, w2, b2 = (w.copy() for w in weights)
    n = len(x)
    for _ in range(steps):
        h = 1.0 / (1.0 + np.exp(-(x @ w1 + b1)))
        p = 1.0 / (1.0 + np.exp(-(h @ w2 + b2)))
        pc = np.clip(p, 1e-7, 1 - 1e-7)
        loss = -np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))  # noqa: F841 (computed as fit reports it)
        dz2 = (p - y) / n
        dw2, db2 = h.T @ dz2, dz2.sum(axis=0)
        dz1 = (dz2 @ w2.T) * h * (1 - h)
        dw1, db1 = x.T @ dz1, dz1.sum(axis=0)
        w1 -= lr * dw1
        b1 -= lr * db1
        w2 -= lr * dw2
        b2 -= lr * db2
    return [w1, b1, w2, b2]


def layergraph_fit(x, y, weights, steps, lr):
    model = lg.Sequential([lg.layers.Dense(2, activation="sigmoid", input_shape=(2,)),
                           lg.layers.Dense(1, activation="sigmoid")])
    model.set_weights(weights)
    model.compile(optimizer=lg.optimizers.SGD(lr), loss="binary_crossentropy", gradient="analytic")
    model.fit(x, y, epochs=steps, batch_size=len(x), shuffle=False, verbose=0)
    return model.get_weights()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    x, y = logic.truth_table("XOR")
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(2, 2)), np.zeros(2), rng.normal(size=(2, 1)), np.zeros(1)]
    lr = 1.0

    # Same math: both runs end at the same weights.
    ref, got = numpy_loop(x, y, weights, 200, lr), layergraph_fit(x, y, weights, 200, lr)
    assert all(np.allclose(a, b, rtol=1e-10) for a, b in zip(ref, got, strict=True)), "the two loops disagree"

    times = {"numpy": [], "layergraph": []}
    for _ in range(args.repeats):
        for name, fn in (("numpy", numpy_loop), ("layergraph", layergraph_fit)):
            start = time.perf_counter()
            fn(x, y, weights, args.steps, lr)
            times[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    for name in ("numpy", "layergraph"):
        print(f"{name:>10}: {args.steps / med[name]:10.0f} steps/s  (median of {args.repeats} x {args.steps} steps)")
    ratio = med["numpy"] / med["layergraph"]
    print(f"layergraph speed / numpy speed = {ratio:.2f}  (bar: >= 0.80) -> {'PASS' if ratio >= 0.8 else 'FAIL'}")
    return 0 if ratio >= 0.8 else 1


if __name__ == "__main__":
    raise SystemExit(main())
