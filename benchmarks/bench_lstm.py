"""Speed of an LSTM training step: layergraph vs hand-written numpy vs PyTorch.

The task is sequential MNIST by rows: each image is a sequence of 28 steps
of 28 features, read by ``LSTM(128)``; ``Dense(10, softmax)`` classifies
the last state. Adam (lr 1e-3), sparse categorical cross-entropy, float32,
batch 128, on random MNIST-shaped data (speed does not depend on the
pixels). Each repetition times the same number of training steps (forward,
backward, Adam update) in three implementations, interleaved, the order
rotating every repetition, so that load from other processes hits all
alike:

- ``layergraph``: ``model.train_on_batch`` of a ``Sequential(dtype="float32")``;
- ``numpy``: the same forward, backpropagation through time and Adam update
  written by hand in numpy: one GEMM for all input projections, one per
  step for the recurrent part, the three sigmoid gates and the candidate
  in one pass per step (tanh as ``2 sigmoid(2z) - 1``), one GEMM per weight
  gradient at the end, and no input gradient;
- ``torch``: ``nn.LSTM`` + ``nn.Linear`` on the CPU, in a separate worker
  process (its OpenMP threads would otherwise spin against OpenBLAS'
  threads); skipped when torch is not importable.

All three start from the same weights (layergraph's initialisation, copied
into the others: PyTorch's ``weight_ih`` is Keras' ``kernel`` transposed,
with the same gate order i, f, c, o) and see the same batches; before
timing, the script checks that their losses on the first batch agree.

It prints the median time per step of each and the ratios
``layergraph / numpy`` and ``layergraph / torch`` (medians of the
per-repetition ratios). The bar: layergraph at most 2x PyTorch per step.

Usage::

    PYTHONPATH=. python benchmarks/bench_lstm.py [--steps 8] [--repeats 9] [--threads 2]

``--threads`` sets the BLAS threads of this process and PyTorch's threads
(before numpy loads; ``0`` leaves both at their defaults).
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys

from _common import WorkerProcess, interleave, limit_blas_threads, median_ratio, timer

BATCH, STEPS, FEATURES, UNITS, CLASSES = 128, 28, 28, 128, 10
BAR = 2.0


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="training steps (batches of 128) per repetition")
    parser.add_argument("--repeats", type=int, default=9, help="interleaved repetitions (medians reported)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS and torch threads (0: their defaults)")
    return parser.parse_args(argv)


ARGS = _parse(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:  # before numpy loads its BLAS
    limit_blas_threads(ARGS.threads)

import numpy as np  # noqa: E402


def make_data(steps, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((steps * BATCH, STEPS, FEATURES), dtype=np.float32)
    y = rng.integers(0, CLASSES, steps * BATCH)
    return x, y


def batches_runner(step, x, y):
    """A callable that runs ``step(x_batch, y_batch)`` over all batches and returns the last loss."""
    def run():
        loss = 0.0
        for i in range(0, len(x), BATCH):
            loss = step(x[i:i + BATCH], y[i:i + BATCH])
        return float(loss)

    return run


# -- layergraph ---------------------------------------------------------------------
def layergraph_model(seed=0):
    import layergraph as lg
    from layergraph import layers

    model = lg.Sequential([
        lg.Input(shape=(STEPS, FEATURES)),
        layers.LSTM(UNITS, seed=seed),
        layers.Dense(CLASSES, activation="softmax", seed=seed + 1),
    ], dtype="float32")
    model.compile(optimizer=lg.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def layergraph_runner(x, y):
    return batches_runner(layergraph_model().train_on_batch, x, y)


# -- hand-written numpy ----------------------------------------------------------------
class NumpyLSTM:
    """The same net, written directly in numpy as fast as we know how (float32).

    ``weights``: Keras' ``[kernel, recurrent_kernel, bias, dense_kernel, dense_bias]``.
    """

    def __init__(self, weights):
        self.params = [np.array(w, dtype=np.float32) for w in weights]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, x, y):
        kernel, recurrent, bias, dense, dense_bias = self.params
        n, (batch, steps, features) = UNITS, x.shape
        xt = np.ascontiguousarray(x.swapaxes(0, 1)).reshape(steps * batch, features)
        gates = (xt @ kernel).reshape(steps, batch, 4 * n)
        gates += bias
        gates[:, :, 2 * n:3 * n] *= 2.0  # tanh(z) = 2 sigmoid(2z) - 1: one sigmoid pass per step
        scaled_recurrent = recurrent.copy()
        scaled_recurrent[:, 2 * n:3 * n] *= 2.0
        hs = np.zeros((steps + 1, batch, n), np.float32)
        cs = np.zeros((steps + 1, batch, n), np.float32)
        tanh_c = np.empty((steps, batch, n), np.float32)
        for t in range(steps):
            z = gates[t]
            if t:
                z += hs[t] @ scaled_recurrent
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1.0
            np.reciprocal(z, out=z)
            g = z[:, 2 * n:3 * n]
            g *= 2.0
            g -= 1.0
            i, f, o = z[:, :n], z[:, n:2 * n], z[:, 3 * n:]
            np.multiply(f, cs[t], out=cs[t + 1])
            cs[t + 1] += i * g
            np.tanh(cs[t + 1], out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hs[t + 1])
        h = hs[-1]
        logits = h @ dense + dense_bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        rows = np.arange(batch)
        loss = -float(np.log(np.clip(p[rows, y], 1e-7, 1)).mean())
        dlogits = p
        dlogits[rows, y] -= 1.0
        dlogits /= batch
        g_dense, g_dense_bias = h.T @ dlogits, dlogits.sum(axis=0)
        dh = dlogits @ dense.T
        dz = np.empty_like(gates)
        dc = np.zeros((batch, n), np.float32)
        recurrent_t = recurrent.T
        for t in range(steps - 1, -1, -1):
            z, d = gates[t], dz[t]
            i, f, g, o = z[:, :n], z[:, n:2 * n], z[:, 2 * n:3 * n], z[:, 3 * n:]
            tc = tanh_c[t]
            np.multiply(dh, tc, out=d[:, 3 * n:])  # dL/do
            dc += dh * o * (1.0 - tc * tc)
            np.multiply(dc, g, out=d[:, :n])  # dL/di
            np.multiply(dc, cs[t], out=d[:, n:2 * n])  # dL/df
            np.multiply(dc, i, out=d[:, 2 * n:3 * n])  # dL/dg
            dc *= f
            # sigmoid' = s (1 - s) on the gates; tanh' = 1 - g^2 on the candidate
            deriv = z * (1.0 - z)
            deriv[:, 2 * n:3 * n] = 1.0 - g * g
            d *= deriv
            if t:
                dh = d @ recurrent_t
        flat = dz.reshape(steps * batch, 4 * n)
        grads = [xt.T @ flat, hs[:-1].reshape(steps * batch, n).T @ flat, flat.sum(axis=0), g_dense, g_dense_bias]
        self.adam(grads)
        return loss

    def adam(self, grads, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
        self.t += 1
        alpha = lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m += (1 - b1) * (g - m)
            v += (1 - b2) * (g * g - v)
            p -= alpha * m / (np.sqrt(v) + eps)


def numpy_runner(x, y, weights):
    return batches_runner(NumpyLSTM(weights).step, x, y)


# -- PyTorch -----------------------------------------------------------------------------
def torch_runner(x, y, weights, threads):
    try:
        import torch
    except ImportError:
        return None
    if threads > 0:
        torch.set_num_threads(threads)
    nn = torch.nn
    lstm = nn.LSTM(FEATURES, UNITS, batch_first=True)
    head = nn.Linear(UNITS, CLASSES)
    kernel, recurrent, bias, dense, dense_bias = weights
    with torch.no_grad():  # Keras' layout transposed; PyTorch's second bias stays zero
        lstm.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
        lstm.weight_hh_l0.copy_(torch.from_numpy(recurrent.T.copy()))
        lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
        lstm.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(dense.T.copy()))
        head.bias.copy_(torch.from_numpy(dense_bias))
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    def run():
        loss = None
        for i in range(0, len(tx), BATCH):
            opt.zero_grad(set_to_none=True)
            out, _ = lstm(tx[i:i + BATCH])
            loss = loss_fn(head(out[:, -1]), ty[i:i + BATCH])
            loss.backward()
            opt.step()
        return loss.item()

    return run


def torch_runs(steps, threads, weights):
    """Worker-process factory (:class:`_common.WorkerProcess`): ``{"torch": run, "first batch": run}``
    (the second trains a fresh copy on the first batch only), or ``None`` without torch."""
    x, y = make_data(steps)
    run = torch_runner(x, y, weights, threads)
    if run is None:
        return None
    return {"torch": run, "first batch": torch_runner(x[:BATCH], y[:BATCH], weights, threads)}


def check_same_math(x, y, weights, torch_process):
    """The loss of the first batch (before any update) from the same weights, in every implementation.

    After an update PyTorch drifts slightly from the other two: its Adam adds
    epsilon to the bias-corrected ``sqrt(v_hat)``, Keras' (and layergraph's)
    to ``sqrt(v)``, which matters while ``v`` is tiny.
    """
    first = {"layergraph": layergraph_runner(x[:BATCH], y[:BATCH])(),
             "numpy": numpy_runner(x[:BATCH], y[:BATCH], weights)()}
    if torch_process.available:
        first["torch"] = torch_process.result("first batch")
    print("first-batch loss: " + ", ".join(f"{k} {v:.7f}" for k, v in first.items()))
    worst = max(abs(v - first["layergraph"]) / first["layergraph"] for v in first.values())
    if worst > 1e-5:
        raise SystemExit(f"the implementations disagree (relative loss difference {worst:.1e}): not the same math")


def main(args):
    x, y = make_data(args.steps)
    weights = layergraph_model().get_weights()
    runs = {"layergraph": layergraph_runner(x, y), "numpy": numpy_runner(x, y, weights)}
    with WorkerProcess(torch_runs, args.steps, args.threads, weights) as torch_process:
        check_same_math(x, y, weights, torch_process)
        timed = {name: timer(run) for name, run in runs.items()}
        if torch_process.available:
            timed["torch"] = torch_process.timer("torch")
        else:
            print("torch not importable: skipping the PyTorch comparison")
        times = {name: [t / args.steps for t in ts] for name, ts in interleave(timed, args.repeats).items()}
    threads = args.threads if args.threads > 0 else "default"
    print(f"LSTM({UNITS}) on {STEPS} steps x {FEATURES} features + Dense({CLASSES}), batch {BATCH}, float32, Adam; "
          f"{args.steps} steps x {args.repeats} repeats; BLAS/torch threads: {threads} "
          f"(median ms per training step; min in brackets)")
    for name, ts in times.items():
        print(f"  {name:<11} {1e3 * statistics.median(ts):8.2f} ms  [{1e3 * min(ts):.2f}]")
    for other in ("numpy", "torch"):
        if other in times:
            median, fastest = median_ratio(times, "layergraph", other)
            print(f"  layergraph / {other:<6} {median:.2f}x (ratio of minima {fastest:.2f}x)")
    if "torch" in times:
        ratio = median_ratio(times, "layergraph", "torch")[0]
        print(f"layergraph / torch = {ratio:.2f}  (bar: <= {BAR}) -> {'PASS' if ratio <= BAR else 'FAIL'}")
        return 0 if ratio <= BAR else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
