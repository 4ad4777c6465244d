"""Inference throughput on 10,000 MNIST-shaped images: layergraph ``predict`` vs hand-written numpy vs PyTorch.

The models, with the same weights in all three implementations (copied from
the layergraph model):

- ``tutorial-f64`` / ``tutorial-f32``: the tutorial's 784-64-10 sigmoid /
  softmax MLP (:func:`layergraph.models.mnist.tutorial_mlp`), float64 and float32;
- ``modern-mlp``: :func:`layergraph.models.mnist.modern_mlp` (784-256-128-10,
  batch norm, ReLU, dropout; float32) in inference mode: batch norm uses its
  moving statistics (set to random, non-trivial values here), dropout is off;
- ``cnn``: the Keras-example convnet :func:`layergraph.models.mnist.cnn` (float32).

Each is run three ways on the same images, in batches of the same size
(``--batch-size``; by default the one ``model.predict`` picks for the model,
:func:`layergraph.framework.trainer.predict_batch_size`: 1024 for the MLPs,
32 for the CNN):

- ``layergraph``: ``model.predict(x)`` (``batch_size`` passed only when given);
- ``numpy``: the same layers' forward math written by hand in numpy, with
  in-place bias, activations and batch-norm arithmetic, the batch-norm scale
  ``gamma / sqrt(var + eps)`` computed once, and the outputs written into one
  preallocated array (the CNN reuses ``bench_conv``'s im2col and pooling);
- ``torch``: PyTorch on the CPU, ``torch.inference_mode()``,
  ``torch.set_num_threads(threads)``, ``eval()`` modules, NCHW images, in a
  separate worker process (as in ``bench_conv``: its OpenMP threads would
  otherwise spin against OpenBLAS' threads); skipped when torch is not
  importable.

Before timing, the three outputs are checked to agree (``allclose``). Then
every model's three implementations run interleaved (the order rotating every
repetition) so that load from other processes hits all alike. Printed:
images per second of each (from the median time), and the time ratios
``layergraph / numpy`` and ``layergraph / torch`` (medians of the
per-repetition ratios; above 1 means layergraph is slower). The bar:
``layergraph / numpy <= 1.15`` for every model (exit status 1 otherwise).

Benchmarks
----------
Usage::

    PYTHONPATH=. python benchmarks/bench_predict.py [--n 10000] [--repeats 9] [--threads 1]
        [--batch-size B] [--models tutorial-f64,tutorial-f32,modern-mlp,cnn] [--no-torch] [--data-dir D]

``--threads`` sets the BLAS threads (before numpy loads) and torch's threads
alike (0 leaves both alone); with 2 BLAS threads on a busy 2-core machine
a thread that waits for a core stalls every matrix product, so the default
is 1. It predicts the first ``--n`` MNIST training images, or, without the
files (``--data-dir`` or ``$LAYERGRAPH_MNIST_DIR``), random images of the
same shape: the speed does not depend on the pixels.
"""
from __future__ import annotations

import argparse
import statistics
import sys

from _common import WorkerProcess, interleave, limit_blas_threads, median_ratio, timer

BAR = 1.15
MODELS = ("tutorial-f64", "tutorial-f32", "modern-mlp", "cnn")


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="images to predict (default 10000)")
    parser.add_argument("--repeats", type=int, default=9, help="interleaved repetitions (medians reported)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and torch threads (default 1: steadier on a shared machine; 0 leaves them alone)")
    parser.add_argument("--batch-size", type=int, help="predict batch (default: the one layergraph picks per model)")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {', '.join(MODELS)}")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--data-dir", help="MNIST files (default $LAYERGRAPH_MNIST_DIR)")
    args = parser.parse_args(argv)
    args.models = args.models.split(",")
    unknown = set(args.models) - set(MODELS)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; known: {', '.join(MODELS)}")
    return args


ARGS = _parse(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:  # before numpy loads its BLAS
    limit_blas_threads(ARGS.threads)

import numpy as np  # noqa: E402
from bench_conv import NumpyCNN  # noqa: E402
from bench_mnist_mlp import load  # noqa: E402

from layergraph import layers  # noqa: E402
from layergraph.framework.trainer import predict_batch_size  # noqa: E402
from layergraph.models import mnist  # noqa: E402


# -- the models -------------------------------------------------------------------------
def randomize_batch_norm(model, seed=0):
    """Give every batch norm of ``model`` random gamma, beta and moving statistics,
    so that checking the implementations against each other tests them."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            k = layer.moving_mean.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, k), rng.normal(0, 0.2, k),
                               rng.normal(0, 0.5, k), rng.uniform(0.5, 2.0, k)])


def build_layergraph(name):
    """``(model, kind, dtype)``: the uncompiled layergraph model behind ``name``."""
    kind, dtype = {"tutorial-f64": ("tutorial", "float64"), "tutorial-f32": ("tutorial", "float32"),
                   "modern-mlp": ("modern", "float32"), "cnn": ("cnn", "float32")}[name]
    builder = {"tutorial": mnist.tutorial_mlp, "modern": mnist.modern_mlp, "cnn": mnist.cnn}[kind]
    model = builder(dtype=dtype, compile=False)
    model.build((None, 28, 28, 1) if kind == "cnn" else (None, 784))
    randomize_batch_norm(model)
    return model, kind, dtype


def params_of(model):
    """``{layer name: [weights]}`` (batch norm: gamma, beta, moving mean, moving variance)
    and ``{"epsilon": ...}`` of the batch norms."""
    params = {layer.name: layer.get_weights() for layer in model.layers if layer.weights}
    eps = {layer.epsilon for layer in model.layers if hasattr(layer, "epsilon")}
    params["epsilon"] = eps.pop() if eps else None
    return params


def images(x, kind, dtype):
    """The ``(n, 784)`` float64 pixels as the model takes them."""
    x = x.astype(dtype)
    return x.reshape(-1, 28, 28, 1) if kind == "cnn" else x


# -- hand-written numpy ---------------------------------------------------------------------
def _sigmoid_(z):
    with np.errstate(over="ignore"):  # e^-z = inf gives the right limit 0
        np.exp(np.negative(z, out=z), out=z)
    z += 1
    return np.divide(1.0, z, out=z)  # (faster than np.reciprocal)


def _softmax_(z):
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _dense_(x, w, b=None):
    z = x @ w
    if b is not None:
        z += b
    return z


def numpy_forward(kind, p):
    """The hand-written forward pass ``f(x_batch) -> probabilities`` of ``kind``."""
    if kind == "tutorial":
        (w1, b1), (w2, b2) = p["hidden"], p["output"]
        return lambda x: _softmax_(_dense_(_sigmoid_(_dense_(x, w1, b1)), w2, b2))
    if kind == "modern":
        bns = []
        for dense, bn in (("dense_1", "bn_1"), ("dense_2", "bn_2")):
            gamma, beta, mean, var = p[bn]
            bns.append((p[dense][0], mean, gamma / np.sqrt(var + p["epsilon"]), beta))
        (w3, b3) = p["output"]

        def forward(x):
            for w, mean, scale, beta in bns:
                x = x @ w
                x -= mean
                x *= scale
                x += beta
                np.maximum(x, 0, out=x)  # (dropout: off in inference)
            return _softmax_(_dense_(x, w3, b3))
        return forward
    (w1, b1), (w2, b2), (w3, b3) = p["conv_1"], p["conv_2"], p["output"]

    def forward(x):
        n = len(x)  # (no names for the intermediates: each is freed as soon as it is used)
        x = NumpyCNN.pool_forward(NumpyCNN.conv_relu(NumpyCNN.im2col(x, 26, 26), w1, b1, (n, 26, 26, 32)))[1]
        x = NumpyCNN.pool_forward(NumpyCNN.conv_relu(NumpyCNN.im2col(x, 11, 11), w2, b2, (n, 11, 11, 64)))[1]
        return _softmax_(_dense_(x.reshape(n, -1), w3, b3))
    return forward


def numpy_predict(forward, x, batch):
    out = None
    for i in range(0, len(x), batch):
        part = forward(x[i:i + batch])
        if out is None:
            out = np.empty((len(x), *part.shape[1:]), part.dtype)
        out[i:i + batch] = part
    return out


# -- PyTorch ------------------------------------------------------------------------------------
def torch_model(kind, dtype, p):
    """The ``eval()`` torch module of ``kind`` holding the weights ``p``, of ``dtype``."""
    import torch

    nn = torch.nn
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=dtype))  # noqa: E731

    def linear(w, b=None):
        layer = nn.Linear(*w.shape, bias=b is not None)
        layer.weight.data = t(w.T)
        if b is not None:
            layer.bias.data = t(b)
        return layer

    def batch_norm(gamma, beta, mean, var):
        layer = nn.BatchNorm1d(len(gamma), eps=p["epsilon"])
        layer.weight.data, layer.bias.data = t(gamma), t(beta)
        layer.running_mean.data, layer.running_var.data = t(mean), t(var)
        return layer

    def conv(w, b):
        layer = nn.Conv2d(w.shape[2], w.shape[3], w.shape[:2])
        layer.weight.data, layer.bias.data = t(w.transpose(3, 2, 0, 1)), t(b)
        return layer

    if kind == "tutorial":
        mods = [linear(*p["hidden"]), nn.Sigmoid(), linear(*p["output"])]
    elif kind == "modern":
        mods = [linear(*p["dense_1"]), batch_norm(*p["bn_1"]), nn.ReLU(), nn.Dropout(0.2),
                linear(*p["dense_2"]), batch_norm(*p["bn_2"]), nn.ReLU(), nn.Dropout(0.2),
                linear(*p["output"])]
    else:
        w3, b3 = p["output"]
        # layergraph flattens (h, w, c), torch (c, h, w): permute the dense rows.
        w3 = w3.reshape(5, 5, 64, -1).transpose(2, 0, 1, 3).reshape(1600, -1)
        mods = [conv(*p["conv_1"]), nn.ReLU(), nn.MaxPool2d(2), conv(*p["conv_2"]), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Dropout(0.5), linear(w3, b3)]
    return nn.Sequential(*mods, nn.Softmax(dim=1)).eval()


def torch_runs(x64, specs, threads):
    """Worker-process factory: ``{name: run}``, ``run()`` predicting all images in torch."""
    import torch

    if threads > 0:
        torch.set_num_threads(threads)
    runs = {}
    for name, (kind, dtype, p, batch) in specs.items():
        model = torch_model(kind, dtype, p)
        x = images(x64, kind, dtype)
        tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if kind == "cnn" else x)

        def run(model=model, tx=tx, batch=batch):
            with torch.inference_mode():
                out = None
                for i in range(0, len(tx), batch):
                    part = model(tx[i:i + batch])
                    if out is None:
                        out = torch.empty((len(tx), *part.shape[1:]), dtype=part.dtype)
                    out[i:i + batch] = part
            return out.numpy()
        runs[name] = run
    return runs


# -- main ---------------------------------------------------------------------------------------
def _check(name, what, got, ref):
    tol = {"float64": dict(rtol=1e-9, atol=1e-12), "float32": dict(rtol=1e-4, atol=1e-6)}[str(ref.dtype)]
    worst = float(np.max(np.abs(got.astype(ref.dtype) - ref)))
    if got.shape != ref.shape or not np.allclose(got, ref, **tol):
        raise AssertionError(f"{name}: {what} and layergraph disagree (max |diff| {worst:.2e})")
    return worst


def main(args):
    data, what = load(args.data_dir, args.n)
    x64 = data["float64"][0][:args.n]
    setups = {name: build_layergraph(name) for name in args.models}
    specs = {name: (kind, dtype, params_of(model), args.batch_size or predict_batch_size(model))
             for name, (model, kind, dtype) in setups.items()}
    torch_worker = None if args.no_torch else WorkerProcess(torch_runs, x64, specs, args.threads)
    if torch_worker is not None and not torch_worker.available:
        print("(torch not importable: skipping the PyTorch comparison)")
        torch_worker.close()
        torch_worker = None

    results = {}
    try:
        for name, (model, kind, dtype) in setups.items():
            x = images(x64, kind, dtype)
            _, _, params, batch = specs[name]
            forward = numpy_forward(kind, params)
            runs = {"layergraph": lambda model=model, x=x: model.predict(x, batch_size=args.batch_size),
                    "numpy": lambda forward=forward, x=x, batch=batch: numpy_predict(forward, x, batch)}
            ref = runs["layergraph"]()
            diffs = {"numpy": _check(name, "numpy", runs["numpy"](), ref)}
            contestants = {impl: timer(run) for impl, run in runs.items()}
            if torch_worker is not None:
                diffs["torch"] = _check(name, "torch", torch_worker.result(name), ref)
                contestants["torch"] = torch_worker.timer(name)
            results[name] = interleave(contestants, args.repeats), diffs
    finally:
        if torch_worker is not None:
            torch_worker.close()

    threads = args.threads if args.threads > 0 else "default"
    versions = f"numpy {np.__version__}"
    if torch_worker is not None:
        import torch
        versions += f", torch {torch.__version__}"
    print(f"predict on {len(x64)} images ({what}), BLAS/torch threads {threads}; {versions}")
    print(f"images/s from the median of {args.repeats} interleaved repetitions; ratios: median per-repetition "
          f"time ratio (ratio of the fastest runs in brackets), > 1 means layergraph is slower")
    impls = ["layergraph", "numpy"] + (["torch"] if torch_worker is not None else [])
    print(f"  {'model':<13}{'batch':>6}" + "".join(f"{impl + ' img/s':>17}" for impl in impls)
          + "".join(f"{'layergraph/' + other:>24}" for other in impls[1:]) + "   max |diff| vs layergraph")
    ok = True
    for name, (times, diffs) in results.items():
        row = f"  {name:<13}{specs[name][3]:>6}" + "".join(
            f"{len(x64) / statistics.median(times[impl]):>17,.0f}" for impl in impls)
        for other in impls[1:]:
            med, fastest = median_ratio(times, "layergraph", other)
            row += f"{med:>16.2f} [{fastest:.2f}]"
        row += "   " + ", ".join(f"{impl} {d:.1e}" for impl, d in diffs.items())
        print(row)
        ok &= median_ratio(times, "layergraph", "numpy")[0] <= BAR
    print(f"bar: layergraph / numpy <= {BAR} for every model -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(ARGS))
