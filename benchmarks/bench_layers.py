"""Speed of the issue-12 layers: one forward + backward pass, layergraph vs PyTorch CPU.

Each case runs one layer on a batch of random float32 data: the forward pass
(training mode) and the backward pass from a fixed output gradient, with
the input gradient and the weight gradients, as inside a model:

- ``conv1d``: ``Conv1D(128, 5, padding="same", activation="relu")`` on
  ``(64, 100, 64)`` (a text CNN);
- ``conv2d_transpose``: ``Conv2DTranspose(64, 4, strides=2, padding="same",
  activation="relu")`` on ``(32, 7, 7, 128)`` (a DCGAN generator step);
- ``embedding``: ``Embedding(20000, 128)`` on ``(64, 100)`` indices (table
  gradient only: indices get none);
- ``upsampling_bilinear``: ``UpSampling2D(2, interpolation="bilinear")`` on
  ``(32, 14, 14, 64)``;
- ``max_pooling1d``: ``MaxPooling1D(2)`` on ``(64, 100, 128)``;
- ``global_average_pooling2d`` on ``(64, 14, 14, 128)``.

PyTorch runs the same operations (same weights, outputs checked equal to
1e-4 before timing) in a worker process with ``torch.set_num_threads``; the
two are interleaved and the median time per pass and the median ratio
``layergraph / torch`` are printed. Without torch only layergraph's times
are printed.

Usage::

    PYTHONPATH=. python benchmarks/bench_layers.py [--repeats 15] [--threads 2] [--cases conv1d embedding]

On a loaded machine give both one thread (``OMP_NUM_THREADS=1 ... --threads 1``):
PyTorch's OpenMP threads spin when the cores are busy.
"""
from __future__ import annotations

import argparse
import statistics

import numpy as np
from _common import WorkerProcess, interleave, median_ratio, timer

SHAPES = {
    "conv1d": (64, 100, 64),
    "conv2d_transpose": (32, 7, 7, 128),
    "embedding": (64, 100),
    "upsampling_bilinear": (32, 14, 14, 64),
    "max_pooling1d": (64, 100, 128),
    "global_average_pooling2d": (64, 14, 14, 128),
}
VOCAB = 20000


def make_input(case, seed=0):
    rng = np.random.default_rng(seed)
    if case == "embedding":
        return rng.integers(0, VOCAB, size=SHAPES[case])
    return rng.normal(size=SHAPES[case]).astype(np.float32)


def layergraph_layer(case):
    from layergraph import layers

    return {
        "conv1d": lambda: layers.Conv1D(128, 5, padding="same", activation="relu", dtype="float32", seed=1),
        "conv2d_transpose": lambda: layers.Conv2DTranspose(64, 4, strides=2, padding="same", activation="relu",
                                                           dtype="float32", seed=1),
        "embedding": lambda: layers.Embedding(VOCAB, 128, dtype="float32", seed=1),
        "upsampling_bilinear": lambda: layers.UpSampling2D(2, interpolation="bilinear", dtype="float32"),
        "max_pooling1d": lambda: layers.MaxPooling1D(2, dtype="float32"),
        "global_average_pooling2d": lambda: layers.GlobalAveragePooling2D(dtype="float32"),
    }[case]()


def layergraph_runs(cases):
    """``{case: run}``: each run is one forward and one backward pass; also the layers' weights and outputs."""
    runs, weights, outputs = {}, {}, {}
    for case in cases:
        layer = layergraph_layer(case)
        x = make_input(case)
        x_in = x.astype(np.float32)  # models hand every layer their float dtype (indices as whole floats)
        out = layer(x_in)
        grad = np.random.default_rng(2).normal(size=out.shape).astype(np.float32)

        def run(layer=layer, x_in=x_in, grad=grad):
            y, cache = layer.forward(x_in, training=True)
            return layer.backward(grad, cache)

        runs[case], weights[case], outputs[case] = run, layer.get_weights(), out
    return runs, weights, outputs


def torch_runs(cases, weights, threads):
    """Worker-process factory: ``{case: run}`` of the same passes in PyTorch, or ``None`` without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    F = torch.nn.functional
    runs = {}
    for case in cases:
        x = make_input(case)
        w = [torch.from_numpy(np.ascontiguousarray(a)) for a in weights[case]]
        if case == "conv1d":  # NCL layout; Keras kernel (k, in, out) -> torch (out, in, k)
            kernel, bias = w[0].permute(2, 1, 0).contiguous().requires_grad_(), w[1].requires_grad_()
            tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 1))).requires_grad_()

            def forward(tx=tx, kernel=kernel, bias=bias):
                # "same" with an even total padding (k = 5): 2 on each side
                return F.relu(F.conv1d(tx, kernel, bias, padding=2)).permute(0, 2, 1)
        elif case == "conv2d_transpose":  # Keras kernel (kh, kw, out, in) -> torch (in, out, kh, kw)
            kernel, bias = w[0].permute(3, 2, 0, 1).contiguous().requires_grad_(), w[1].requires_grad_()
            tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).requires_grad_()

            def forward(tx=tx, kernel=kernel, bias=bias):
                # Keras "same", k 4, s 2: crop 1 on each side = torch padding 1
                return F.relu(F.conv_transpose2d(tx, kernel, bias, stride=2, padding=1)).permute(0, 2, 3, 1)
        elif case == "embedding":
            table = w[0].requires_grad_()
            tx = torch.from_numpy(x.astype(np.int64))

            def forward(tx=tx, table=table):
                return F.embedding(tx, table)
        elif case == "upsampling_bilinear":
            tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).requires_grad_()

            def forward(tx=tx):
                return F.interpolate(tx, scale_factor=2, mode="bilinear", align_corners=False).permute(0, 2, 3, 1)
        elif case == "max_pooling1d":
            tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 1))).requires_grad_()

            def forward(tx=tx):
                return F.max_pool1d(tx, 2).permute(0, 2, 1)
        else:  # global_average_pooling2d
            tx = torch.from_numpy(x).requires_grad_()

            def forward(tx=tx):
                return tx.mean(dim=(1, 2))

        out = forward()
        grad = torch.from_numpy(np.random.default_rng(2).normal(size=tuple(out.shape)).astype(np.float32))

        def run(forward=forward, grad=grad):
            forward().backward(grad)

        def result(forward=forward):
            with torch.no_grad():
                return forward().numpy()

        runs[case], runs[f"{case}/result"] = run, result
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="interleaved repetitions (medians reported)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--cases", nargs="*", default=list(SHAPES), choices=list(SHAPES))
    args = parser.parse_args(argv)

    runs, weights, outputs = layergraph_runs(args.cases)
    with WorkerProcess(torch_runs, args.cases, weights, args.threads) as worker:
        if not worker.available:
            print("torch not importable: layergraph's times only")
        print(f"one forward + backward pass, float32, {args.repeats} interleaved repeats "
              f"(median ms; min in brackets)")
        for case in args.cases:
            timed = {"layergraph": timer(runs[case])}
            if worker.available:
                np.testing.assert_allclose(outputs[case], worker.result(f"{case}/result"), rtol=1e-4, atol=1e-4)
                timed["torch"] = worker.timer(case)
            times = interleave(timed, args.repeats)
            line = f"  {case:<25} " + "  ".join(
                f"{name} {1e3 * statistics.median(ts):7.2f} [{1e3 * min(ts):.2f}]" for name, ts in times.items())
            if "torch" in times:
                median, fastest = median_ratio(times, "layergraph", "torch")
                line += f"   layergraph/torch {median:.2f}x"
            print(line)


if __name__ == "__main__":
    main()
