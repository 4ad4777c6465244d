"""One MNIST epoch of the tutorial's MLP: layergraph ``model.fit`` vs a hand-written numpy loop (and PyTorch).

All contestants do the same math on the same data in the same order: the
784-64-10 sigmoid/softmax net from the tutorial's initial weights, mini-batches
of 100 drawn by one ``default_rng(seed).permutation`` per epoch and fancy
indexing, forward pass, batch-mean cross-entropy and accuracy of the batch
(``fit`` reports both), backpropagation with the fused softmax gradient
``(p - t) / N``, plain SGD at lr 0.1. They run in this one process, interleaved
(the order rotates every repetition), so machine noise hits all alike; the
medians are compared. The bars (issue 14): layergraph takes at most 1.05x the
numpy loop's time in float64 and 1.10x in float32 with one BLAS thread, and
at most 1.10x and 1.15x with more threads (where Python's per-step overhead is
a larger share of a faster step).

Also reported: float32 for both, PyTorch CPU (float64 and float32, same
permutation, ``torch.set_num_threads`` = ``--threads``) when torch is
installed, and the peak resident memory.

Run: ``python benchmarks/bench_mnist_mlp.py [--repeats 11] [--threads 1] [--data-dir D]``
(without the MNIST files it falls back to random images of the same shape).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

from _common import interleave, limit_blas_threads

#: The most layergraph may take, as a multiple of the numpy loop's time: by (one thread?, dtype).
BARS = {(True, "float64"): 1.05, (True, "float32"): 1.10, (False, "float64"): 1.10, (False, "float32"): 1.15}


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11, help="timed epochs per contestant (default 11)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS / torch threads (default 1: steadier on a shared machine; 0 leaves them alone)")
    parser.add_argument("--data-dir", help="MNIST files (default $LAYERGRAPH_MNIST_DIR)")
    parser.add_argument("--limit", type=int, help="train on the first N images only")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--no-float32", action="store_true", help="skip the float32 contestants")
    return parser.parse_args(argv)


ARGS = _parse(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:  # before numpy loads its BLAS
    limit_blas_threads(ARGS.threads)

import numpy as np  # noqa: E402

from layergraph.models import mnist  # noqa: E402

BATCH, LR, SEED = 100, 0.1, 0


def load(data_dir, limit):
    """``{dtype: (x, y_onehot)}`` for float64 and float32, and a description."""
    try:
        (x, y), _ = mnist.load_data("idx", data_dir, limit=limit, download=False, progress=False)
        what = "MNIST training set"
    except OSError as err:
        print(f"(MNIST files not found: {err}; timing random images of the same shape instead)")
        rng = np.random.default_rng(0)
        n = limit or 60000
        x = rng.integers(0, 256, size=(n, 784)).astype(np.float64) / 255
        y = np.eye(10)[rng.integers(0, 10, n)]
        what = "random images"
    return {"float64": (x, y), "float32": (x.astype(np.float32), y.astype(np.float32))}, what


def numpy_epoch(x, y, weights, seed=SEED):
    """The hand-written reference: one epoch, returns the final weights."""
    w1, b1, w2, b2 = (w.copy() for w in weights)
    n = len(x)
    order = np.random.default_rng(seed).permutation(n)
    for start in range(0, n, BATCH):
        idx = order[start:start + BATCH]
        xb, yb = x[idx], y[idx]
        h = 1.0 / (1.0 + np.exp(-(xb @ w1 + b1)))
        z = h @ w2 + b2
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.sum(yb * np.log(p + 1e-7)) / len(xb)  # noqa: F841 (fit reports it)
        acc = np.mean(p.argmax(axis=1) == yb.argmax(axis=1))  # noqa: F841
        # The gradient of the loss as defined, log(p + 1e-7) included (what layergraph's fused softmax +
        # CategoricalCrossentropy(delta=1e-7) computes): r = y p / (p + 1e-7), dL/dz = (p sum(r) - r) / n.
        r = yb * (p / (p + 1e-7))
        dz2 = (p * r.sum(axis=1, keepdims=True) - r) / len(xb)
        dw2, db2 = h.T @ dz2, dz2.sum(axis=0)
        dz1 = (dz2 @ w2.T) * h * (1 - h)
        dw1, db1 = xb.T @ dz1, dz1.sum(axis=0)
        w1 -= LR * dw1
        b1 -= LR * db1
        w2 -= LR * dw2
        b2 -= LR * db2
    return [w1, b1, w2, b2]


def layergraph_epoch(x, y, dtype, seed=SEED):
    """One ``model.fit`` epoch of :func:`layergraph.models.mnist.tutorial_mlp`; (seconds, weights)."""
    model = mnist.tutorial_mlp(learning_rate=LR, dtype=dtype, seed=seed)
    start = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    return time.perf_counter() - start, model.get_weights()


def torch_epoch_factory(threads):
    import torch

    if threads > 0:
        torch.set_num_threads(threads)

    def run(x, y, weights, seed=SEED):
        dtype = torch.float64 if x.dtype == np.float64 else torch.float32
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        w1, b1, w2, b2 = (torch.tensor(w, dtype=dtype, requires_grad=True) for w in weights)
        params = [w1, b1, w2, b2]
        optimizer = torch.optim.SGD(params, lr=LR)
        order = torch.from_numpy(np.random.default_rng(seed).permutation(len(x)))
        start = time.perf_counter()
        for s in range(0, len(x), BATCH):
            idx = order[s:s + BATCH]
            xb, yb = tx[idx], ty[idx]
            logits = torch.sigmoid(xb @ w1 + b1) @ w2 + b2
            loss = -(yb * torch.log(torch.softmax(logits, dim=1) + 1e-7)).sum() / len(xb)  # the tutorial's loss
            acc = (logits.argmax(dim=1) == yb.argmax(dim=1)).double().mean()  # noqa: F841
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss.item()
        return time.perf_counter() - start, [p.detach().numpy() for p in params]

    return run, torch.__version__


def peak_rss_mib():
    """Peak resident set size of this process (MiB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024


def main(args):
    data, what = load(args.data_dir, args.limit)
    weights64 = mnist.tutorial_weights()
    n = len(data["float64"][0])

    # Same math: one epoch from the same weights in the same order ends at the same weights.
    ref = numpy_epoch(*data["float64"], weights64)
    _, got = layergraph_epoch(*data["float64"], "float64")
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(ref, got, strict=True))
    assert worst < 1e-10, f"layergraph and the numpy loop disagree after one epoch (max |diff| {worst:.2e})"

    contestants = {}

    def timed_numpy(dtype):
        w = [v.astype(dtype) for v in weights64]
        def run():
            start = time.perf_counter()
            numpy_epoch(*data[dtype], w)
            return time.perf_counter() - start
        return run

    dtypes = ["float64"] + ([] if args.no_float32 else ["float32"])
    for dtype in dtypes:
        contestants[f"numpy {dtype}"] = timed_numpy(dtype)
        contestants[f"layergraph {dtype}"] = lambda dtype=dtype: layergraph_epoch(*data[dtype], dtype)[0]
    torch_version = None
    if not args.no_torch:
        try:
            torch_run, torch_version = torch_epoch_factory(args.threads)
        except ImportError:
            print("(PyTorch not installed: skipped)")
        else:
            _, tw = torch_run(*data["float64"], weights64)
            worst_t = max(float(np.max(np.abs(a - b))) for a, b in zip(ref, tw, strict=True))
            assert worst_t < 1e-8, f"torch and the numpy loop disagree after one epoch (max |diff| {worst_t:.2e})"
            for dtype in dtypes:
                w = [v.astype(dtype) for v in weights64]
                contestants[f"torch {dtype}"] = lambda dtype=dtype, w=w: torch_run(*data[dtype], w)[0]

    names = list(contestants)
    times = interleave(contestants, args.repeats)  # after one warm-up round (caches, BLAS buffers, lazy imports)
    med = {name: statistics.median(v) for name, v in times.items()}

    threads = args.threads if args.threads > 0 else "default"
    print(f"One epoch of the tutorial MLP (784-64-10, batch {BATCH}, {n // BATCH} steps) on the {what} ({n} images); "
          f"BLAS/torch threads: {threads}; numpy {np.__version__}"
          + (f", torch {torch_version}" if torch_version else ""))
    print(f"median of {args.repeats} interleaved repetitions (min-max in brackets):")
    for name in names:
        print(f"  {name:>18}: {med[name]:7.3f} s   [{min(times[name]):.3f}-{max(times[name]):.3f}]")
    print("ratios (time / numpy time of the same dtype; lower is faster): of the medians, and of the fastest runs")
    for name in names:
        if not name.startswith("numpy"):
            ref = f"numpy {name.split()[-1]}"
            fastest = min(times[name]) / min(times[ref])
            print(f"  {name:>18} / {ref}: {med[name] / med[ref]:.3f}   (fastest: {fastest:.3f})")
    x64 = data["float64"][0]
    print(f"peak RSS: {peak_rss_mib():.0f} MiB (float64 training images alone: {x64.nbytes / 2**20:.0f} MiB, "
          f"float32: {data['float32'][0].nbytes / 2**20:.0f} MiB)")
    ok = True
    for dtype in ("float64", "float32"):
        if f"layergraph {dtype}" not in med:
            continue
        ratio = med[f"layergraph {dtype}"] / med[f"numpy {dtype}"]
        bar = BARS[(args.threads == 1, dtype)]
        ok &= ratio <= bar
        print(f"layergraph {dtype} / numpy {dtype} = {ratio:.3f}  (bar: <= {bar}) -> "
              f"{'PASS' if ratio <= bar else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(ARGS))
