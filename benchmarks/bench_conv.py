"""Speed of the Keras-example MNIST CNN: layergraph vs hand-written numpy vs PyTorch.

The net (Keras' ``mnist_convnet`` example)::

    Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2)
    -> Flatten -> Dropout(0.5) -> Dense(10, softmax)

trained with Adam and sparse categorical cross-entropy on random
MNIST-shaped float32 data, batch 128. Each repetition times the same number of
training steps in three implementations, one after the other (interleaved, the
order rotating every repetition, so that load from other processes hits all
three alike):

- ``layergraph``: ``model.train_on_batch`` of a ``Sequential(dtype="float32")``;
- ``numpy``: the same forward, backward and Adam update written by hand in
  numpy, with every trick layergraph uses and one it cannot (see
  :class:`NumpyCNN`: the bias inside the GEMM, buffers reused across steps,
  element-wise work split over ``--threads`` threads, the ReLU mask applied
  on the 4x smaller pooled gradient, and no input gradient for the first
  convolution, which nobody needs);
- ``torch``: PyTorch on the CPU with ``torch.set_num_threads(threads)``, in
  a separate worker process (its OpenMP threads would otherwise spin
  against OpenBLAS' threads); skipped when torch is not importable.

It prints the median time per step of each and the ratios
``layergraph / numpy`` and ``layergraph / torch`` (medians of the
per-repetition ratios).

Usage::

    PYTHONPATH=. python benchmarks/bench_conv.py [--steps 20] [--repeats 7] [--threads 2] [--retain-memory]

``--threads`` sets the BLAS threads (before numpy loads) and torch's threads
alike (0 leaves both alone). Every contestant runs with the C library's
default allocator settings; ``--retain-memory`` opts all of them in to
``layergraph.framework.memory.retain_freed_memory`` instead.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys

from _common import WorkerProcess, interleave, limit_blas_threads, median_ratio, retain_freed_memory, timer

BATCH, CLASSES = 128, 10


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps (batches of 128) per repetition")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved repetitions (medians reported)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS and torch threads (0 leaves them alone)")
    parser.add_argument("--retain-memory", action="store_true",
                        help="raise glibc's malloc thresholds in every contestant's process first")
    return parser.parse_args(argv)


ARGS = _parse(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:  # before numpy loads its BLAS
    limit_blas_threads(ARGS.threads)

from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402


def make_data(steps, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((steps * BATCH, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, CLASSES, steps * BATCH)
    return x, y


# -- layergraph ---------------------------------------------------------------------
def layergraph_model(seed=0):
    """The net as a compiled ``Sequential(dtype="float32")`` with Adam(1e-3)."""
    import layergraph as lg
    from layergraph import layers

    model = lg.Sequential([
        lg.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu", seed=seed),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu", seed=seed + 1),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.5, seed=seed),
        layers.Dense(CLASSES, activation="softmax", seed=seed + 2),
    ], dtype="float32")
    model.compile(optimizer=lg.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def layergraph_runner(x, y, seed=0):
    return batches_runner(layergraph_model(seed).train_on_batch, x, y)


def batches_runner(step, x, y):
    """A callable that runs ``step(x_batch, y_batch)`` over all batches and returns the last loss."""
    def run():
        loss = 0.0
        for i in range(0, len(x), BATCH):
            loss = step(x[i:i + BATCH], y[i:i + BATCH])
        return loss

    return run


# -- hand-written numpy ----------------------------------------------------------------
class NumpyCNN:
    """The same net, written directly in numpy as fast as we know how (float32).

    What makes it fast (layergraph's Conv2D, MaxPooling2D and ReLU do the
    same, except for the ReLU fused into the pooling's backward pass):

    - im2col into a matrix with a last column of ones, and the bias as the
      last row of the kernel matrix: the GEMM adds the bias, and the weight
      gradient's GEMM sums the bias gradient;
    - ReLU in place on the GEMM's output;
    - max pooling as a running maximum over the four strided window offsets;
      its backward pass routes the gradient to each window's first maximum
      with one mask and one multiply, and applies the ReLU's mask on the 4x
      smaller pooled gradient (at a window's maximum ``relu(z) > 0`` iff the
      pooled output is);
    - the second convolution's input gradient as one GEMM for all kernel
      offsets, then one add per offset into a strided window (col2im); none
      for the first;
    - every large array reused from step to step (:meth:`buffer`), so that
      steady steps allocate nothing large and fault in no pages;
    - the element-wise work (im2col, ReLU, pooling, col2im) split over the
      batch into ``threads`` threads (:meth:`split`; numpy releases the GIL
      in its loops), as the GEMMs are split by the BLAS.
    """

    def __init__(self, seed=0, threads=1):
        rng = np.random.default_rng(seed)

        def glorot(shape):
            receptive = math.prod(shape[:-2])
            limit = math.sqrt(6.0 / (shape[-2] * receptive + shape[-1] * receptive))
            return rng.uniform(-limit, limit, shape).astype(np.float32)

        self.params = [glorot((3, 3, 1, 32)), np.zeros(32, np.float32), glorot((3, 3, 32, 64)),
                       np.zeros(64, np.float32), glorot((1600, CLASSES)), np.zeros(CLASSES, np.float32)]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0
        self.rng = np.random.default_rng(seed + 1)
        self.buffers = {}
        self.threads = threads
        self.workers = ThreadPoolExecutor(threads - 1) if threads > 1 else None

    def buffer(self, name, shape, dtype=np.float32):
        """The array kept under ``name``, new when the shape changes (its contents are the last step's)."""
        buf = self.buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self.buffers[name] = np.empty(shape, dtype)
        return buf

    def split(self, fn, n):
        """``fn(part)`` for ``self.threads`` slices covering ``range(n)``, in parallel."""
        if self.workers is None:
            fn(slice(0, n))
            return
        bounds = [n * k // self.threads for k in range(self.threads + 1)]
        futures = [self.workers.submit(fn, slice(a, b)) for a, b in zip(bounds[1:-1], bounds[2:], strict=True)]
        fn(slice(0, bounds[1]))
        for future in futures:
            future.result()

    @staticmethod
    def im2col(x, oh, ow, out=None):
        """``(n * oh * ow, 9 * c + 1)`` 3x3 receptive fields of ``x`` and a last column of ones."""
        n, _, _, c = x.shape
        if out is None:
            out = np.empty((n * oh * ow, 9 * c + 1), x.dtype)
        fields = out[:, :-1].reshape(n, oh, ow, 3, 3, c)
        if c >= 8:
            view = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))
            np.copyto(fields, view.transpose(0, 1, 2, 4, 5, 3))
        else:
            for i in range(3):
                for j in range(3):
                    fields[:, :, :, i, j, :] = x[:, i:i + oh, j:j + ow, :]
        out[:, -1] = 1
        return out

    @staticmethod
    def conv_relu(cols, w, b, shape, out=None):
        """``relu(cols @ [W; b])`` (the bias added by the GEMM), in place, as ``shape``."""
        z = np.matmul(cols, np.concatenate([w.reshape(-1, w.shape[-1]), b[None]]), out=out)
        np.maximum(z, 0, out=z)
        return z.reshape(shape)

    @staticmethod
    def pool_forward(a, out=None):
        """2x2 max pooling: a running maximum over the four strided window offsets."""
        n, h, w, c = a.shape
        blocks = a[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c)
        out = np.maximum(blocks[:, :, 0, :, 0], blocks[:, :, 0, :, 1], out=out)
        np.maximum(out, blocks[:, :, 1, :, 0], out=out)
        np.maximum(out, blocks[:, :, 1, :, 1], out=out)
        return blocks, out

    @staticmethod
    def pool_backward(blocks, out, g, dx, g_relu, mask, taken):
        """Route ``g`` into ``dx``: to the first maximum of each window, and
        through the ReLU before the pool (its mask is ``out > 0`` at the maximum)."""
        np.multiply(g, out > 0, out=g_relu)
        np.equal(blocks, out[:, :, None, :, None, :], out=mask)
        np.copyto(taken, mask[:, :, 0, :, 0])
        for i, j in ((0, 1), (1, 0), (1, 1)):
            m = mask[:, :, i, :, j]
            np.greater(m, taken, out=m)
            taken |= m
        dx[:, blocks.shape[1] * 2:], dx[:, :, blocks.shape[3] * 2:] = 0, 0  # rows/columns no window covers
        dblocks = dx[:, :blocks.shape[1] * 2, :blocks.shape[3] * 2].reshape(blocks.shape)
        np.multiply(g_relu[:, :, None, :, None, :], mask, out=dblocks)

    def conv_layer(self, name, x, w, b, oh, ow):
        """im2col (in threads), one GEMM with the bias, ReLU (in threads): ``(cols, a)``."""
        n, c, f = len(x), x.shape[-1], w.shape[-1]
        cols = self.buffer(name + "/cols", (n * oh * ow, 9 * c + 1))
        self.split(lambda s: self.im2col(x[s], oh, ow, out=cols[s.start * oh * ow:s.stop * oh * ow]), n)
        z = np.matmul(cols, np.concatenate([w.reshape(-1, f), b[None]]), out=self.buffer(name + "/a", (n * oh * ow, f)))
        a = z.reshape(n, oh, ow, f)
        self.split(lambda s: np.maximum(a[s], 0, out=a[s]), n)
        return cols, a

    def pool_layer(self, name, a):
        n, h, w, c = a.shape
        out = self.buffer(name + "/out", (n, h // 2, w // 2, c))
        self.split(lambda s: self.pool_forward(a[s], out=out[s]), n)
        return out

    def pool_layer_backward(self, name, a, out, g):
        n, h, w, c = a.shape
        blocks = a[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c)
        dx, g_relu = self.buffer(name + "/dx", a.shape), self.buffer(name + "/g", out.shape)
        mask, taken = self.buffer(name + "/mask", blocks.shape, bool), self.buffer(name + "/taken", out.shape, bool)
        self.split(lambda s: self.pool_backward(blocks[s], out[s], g[s], dx[s], g_relu[s], mask[s], taken[s]), n)
        return dx

    def step(self, x, y):
        w1, b1, w2, b2, w3, b3 = self.params
        n = len(x)
        cols1, a1 = self.conv_layer("conv1", x, w1, b1, 26, 26)
        p1 = self.pool_layer("pool1", a1)
        cols2, a2 = self.conv_layer("conv2", p1, w2, b2, 11, 11)
        p2 = self.pool_layer("pool2", a2)
        f = p2.reshape(n, -1)
        mask = (self.rng.random(f.shape, dtype=np.float32) >= 0.5) * np.float32(2.0)
        d = f * mask
        z = d @ w3 + b3
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -float(np.log(np.clip(p[np.arange(n), y], 1e-7, 1)).mean())
        dz = p
        dz[np.arange(n), y] -= 1
        dz /= n
        gw3, gb3 = d.T @ dz, dz.sum(axis=0)
        df = (dz @ w3.T) * mask
        da2 = self.pool_layer_backward("pool2", a2, p2, df.reshape(p2.shape))
        g2 = da2.reshape(-1, 64)
        gw2 = cols2.T @ g2  # the bias gradient is the last row
        dcols = np.matmul(g2, w2.reshape(288, 64).T, out=self.buffer("dcols2", (n * 121, 288)))
        dcols = dcols.reshape(n, 11, 11, 3, 3, 32)
        dp1 = self.buffer("dp1", (n, 13, 13, 32))

        def col2im(s):
            dp1[s].fill(0)
            for i in range(3):
                for j in range(3):
                    window = dp1[s, i:i + 11, j:j + 11, :]
                    np.add(window, dcols[s, :, :, i, j, :], out=window)

        self.split(col2im, n)
        da1 = self.pool_layer_backward("pool1", a1, p1, dp1)
        gw1 = cols1.T @ da1.reshape(-1, 32)
        # (no input gradient for the first convolution)
        self.adam([gw1[:-1].reshape(w1.shape), gw1[-1], gw2[:-1].reshape(w2.shape), gw2[-1], gw3, gb3])
        return loss

    def adam(self, grads, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
        self.t += 1
        alpha = lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m += (1 - b1) * (g - m)
            v += (1 - b2) * (g * g - v)
            p -= alpha * m / (np.sqrt(v) + eps)


def numpy_runner(x, y, seed=0, threads=1):
    return batches_runner(NumpyCNN(seed, threads).step, x, y)


# -- PyTorch -----------------------------------------------------------------------------
def torch_runner(x, y, threads, seed=0):
    try:
        import torch
    except ImportError:
        return None
    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, CLASSES),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits
    tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    ty = torch.from_numpy(y.astype(np.int64))
    model.train()

    def run():
        loss = None
        for i in range(0, len(tx), BATCH):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(tx[i:i + BATCH]), ty[i:i + BATCH])
            loss.backward()
            opt.step()
        return loss.item()

    return run


def torch_runs(steps, threads):
    """Worker-process factory (:class:`_common.WorkerProcess`): ``{"torch": run}``, or ``None`` without torch."""
    x, y = make_data(steps)
    run = torch_runner(x, y, threads)
    return None if run is None else {"torch": run}


#: Issue 14: a training step takes at most this multiple of PyTorch's (2 threads, batch 128, float32).
TORCH_BAR = 1.2


def main(args):
    if args.retain_memory:
        retain_freed_memory()
    x, y = make_data(args.steps)
    threads = args.threads if args.threads > 0 else len(os.sched_getaffinity(0))
    timed = {"layergraph": timer(layergraph_runner(x, y)), "numpy": timer(numpy_runner(x, y, threads=threads))}
    with WorkerProcess(torch_runs, args.steps, args.threads, retain_memory=args.retain_memory) as torch_process:
        if torch_process.available:
            timed["torch"] = torch_process.timer("torch")
        else:
            print("torch not importable: skipping the PyTorch comparison")
        times = {name: [t / args.steps for t in ts] for name, ts in interleave(timed, args.repeats).items()}
    threads = args.threads if args.threads > 0 else "default"
    allocator = "raised malloc thresholds" if args.retain_memory else "default allocator"
    print(f"Keras-example CNN, batch {BATCH}, float32, {args.steps} steps x {args.repeats} repeats, "
          f"threads {threads}, {allocator} (median ms per step; min in brackets)")
    for name, ts in times.items():
        print(f"  {name:<11} {1e3 * statistics.median(ts):8.2f} ms  [{1e3 * min(ts):.2f}]")
    for other in ("numpy", "torch"):
        if other in times:
            median, fastest = median_ratio(times, "layergraph", other)
            print(f"  layergraph / {other:<6} {median:.2f}x (ratio of minima {fastest:.2f}x)")
    if "torch" in times:
        median, _ = median_ratio(times, "layergraph", "torch")
        ok = median <= TORCH_BAR
        print(f"layergraph / torch = {median:.2f}x  (bar: <= {TORCH_BAR}) -> {'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(ARGS))
