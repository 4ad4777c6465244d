"""Conv2D and pooling reuse their large arrays across steps, never while a cache or a caller still holds them."""
import subprocess
import sys

import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers
from layergraph.framework import memory


def _conv(in_c, padding, use_bias):
    return layers.Conv2D(3, 3, padding=padding, use_bias=use_bias, activation="relu",
                         bias_initializer="random_normal", input_shape=(6, 5, in_c), seed=3)


def _fresh_backward(layer, x, grad):
    """Forward and backward at once, on a copy of the layer (its own workspace)."""
    twin = type(layer).from_config(layer.get_config())
    if not twin.built:
        twin.build((None, *x.shape[1:]))
    twin.set_weights(layer.get_weights())
    out, cache = twin.forward(x, training=True)
    dx, grads = twin.backward(grad, cache)
    return out.copy(), dx.copy(), [g.copy() for g in grads]


@pytest.mark.parametrize("in_c", [1, 9])  # the two col2im paths
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_conv_caches_survive_newer_forward_passes(rng, in_c, padding, use_bias):
    layer = _conv(in_c, padding, use_bias)
    xa, xb, xc = (rng.normal(size=(2, 6, 5, in_c)) for _ in range(3))
    out_a, cache_a = layer.forward(xa, training=True)
    out_b, cache_b = layer.forward(xb, training=True)
    grad = rng.normal(size=out_a.shape)
    expected_b = _fresh_backward(layer, xb, grad)
    dx_b, grads_b = layer.backward(grad, cache_b)  # the newer cache first
    layer.forward(xc, training=True)  # and one more pass while cache_a is alive
    expected_a = _fresh_backward(layer, xa, grad)
    dx_a, grads_a = layer.backward(grad, cache_a)
    for (out, dx, grads), expected in (((out_a, dx_a, grads_a), expected_a), ((out_b, dx_b, grads_b), expected_b)):
        np.testing.assert_array_equal(out, expected[0])
        np.testing.assert_array_equal(dx, expected[1])
        assert len(grads) == len(expected[2]) == (2 if use_bias else 1)
        for g, e in zip(grads, expected[2], strict=True):
            np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("pool_cls", [layers.MaxPooling2D, layers.AveragePooling2D])
@pytest.mark.parametrize("pool, strides, padding", [(2, None, "valid"), (3, 2, "same")])
def test_pooling_caches_survive_newer_forward_passes(rng, pool_cls, pool, strides, padding):
    layer = pool_cls(pool, strides=strides, padding=padding)
    xa = rng.integers(0, 3, size=(2, 7, 6, 2)).astype(float)  # ties: routing must stay first-maximum
    xb = rng.normal(size=xa.shape)
    out_a, cache_a = layer.forward(xa)
    kept = out_a.copy()
    out_b, cache_b = layer.forward(xb)
    grad = rng.normal(size=out_a.shape)
    expected_a = _fresh_backward(layer, xa, grad)
    expected_b = _fresh_backward(layer, xb, grad)
    dx_b, _ = layer.backward(grad, cache_b)
    dx_b = dx_b.copy()
    dx_a, _ = layer.backward(grad, cache_a)
    np.testing.assert_array_equal(out_a, kept)
    np.testing.assert_array_equal(dx_a, expected_a[1])
    np.testing.assert_array_equal(dx_b, expected_b[1])


def test_outputs_a_caller_keeps_are_never_overwritten(rng):
    conv, pool = _conv(2, "same", True), layers.MaxPooling2D(2)
    x1, x2 = rng.normal(size=(2, 4, 6, 5, 2))
    y1, p1 = conv(x1), pool(conv(x1))
    kept_y1, kept_p1 = y1.copy(), p1.copy()
    for _ in range(3):
        conv(x2), pool(conv(x2))
    np.testing.assert_array_equal(y1, kept_y1)
    np.testing.assert_array_equal(p1, kept_p1)
    assert not np.array_equal(conv(x2), y1)


def test_steady_steps_reuse_the_same_arrays(rng):
    model = lg.Sequential([lg.Input(shape=(10, 10, 2)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                           layers.MaxPooling2D(2), layers.Conv2D(4, 3, activation="relu"), layers.Flatten(),
                           layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = rng.normal(size=(8, 10, 10, 2)), rng.integers(0, 3, 8)
    convs_and_pools = model.layers[:3]
    model.train_on_batch(x, y)
    before = [[buf.ctypes.data for buf in layer._workspace._buffers] for layer in convs_and_pools]
    for _ in range(3):
        model.train_on_batch(x, y)
    after = [[buf.ctypes.data for buf in layer._workspace._buffers] for layer in convs_and_pools]
    assert all(before) and sorted(map(sorted, before)) == sorted(map(sorted, after))


@pytest.mark.parametrize("pool_cls", [layers.MaxPooling2D, layers.AveragePooling2D])
def test_layers_called_twice_in_one_graph(rng, pool_cls):
    """Shared weights: both calls' caches are alive until the backward pass."""
    conv = layers.Conv2D(3, 2, activation="tanh", bias_initializer="random_normal", seed=0)
    pool = pool_cls(2)
    inputs = lg.Input(shape=(7, 6, 2))
    first = layers.Flatten()(pool(conv(inputs)))
    second = layers.Flatten()(pool(conv(layers.Activation("tanh")(inputs))))
    outputs = layers.Dense(2, activation="softmax", seed=1)(layers.Concatenate()([first, second]))
    model = lg.Model(inputs, outputs)
    x = rng.normal(size=(3, 7, 6, 2))  # continuous values: no ties in the max windows
    # The graph's forward pass against the layers called one at a time, each result copied at once:
    branches = [pool(conv(x)).reshape(3, -1).copy(), pool(conv(np.tanh(x))).reshape(3, -1).copy()]
    dense = model.layers[-1]
    np.testing.assert_allclose(model.forward(x, training=True)[0], dense(np.concatenate(branches, axis=1)),
                               rtol=1e-12, atol=1e-15)
    check = gradients.check(model, "sparse_categorical_crossentropy", x, np.array([1, 0, 1]))
    assert len(check) == 4 and check.passed, str(check)


FAULT_PROBE = """
import resource, sys
import numpy as np
from layergraph import layers
from layergraph.framework import workspace

if sys.argv[1] == "fresh":  # every request gets a new array, as before workspaces
    workspace.Workspace._take = lambda self, shape, dtype: np.empty(shape, dtype)
conv1, pool1 = layers.Conv2D(32, 3, activation="relu", dtype="float32"), layers.MaxPooling2D(2)
conv2, pool2 = layers.Conv2D(64, 3, activation="relu", dtype="float32"), layers.MaxPooling2D(2)
x = np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32)

def step():
    a1, c1 = conv1.forward(x, training=True); p1, d1 = pool1.forward(a1, training=True)
    a2, c2 = conv2.forward(p1, training=True); p2, d2 = pool2.forward(a2, training=True)
    g = pool2.backward(np.ones_like(p2), d2)[0]
    g = conv2.backward(g, c2)[0]
    g = pool1.backward(g, d1)[0]
    conv1.backward(g, c1, input_grad=False)

step(); step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def _faults_per_step(mode):
    out = subprocess.run([sys.executable, "-c", FAULT_PROBE, mode], capture_output=True, text=True, check=True,
                         env={"PATH": "", "PYTHONPATH": ":".join(sys.path), "OPENBLAS_NUM_THREADS": "1"})
    return float(out.stdout)


@pytest.mark.skipif(memory._glibc_mallopt() is None, reason="page-fault counts from glibc's default allocator")
def test_steady_steps_fault_in_no_pages_with_the_default_allocator():
    # A CNN's conv/pool forward and backward at batch 64 moves about 30 MB of
    # arrays per step: 7,000 pages, faulted in anew every step when glibc
    # trims the freed heap top, unless the layers reuse them.
    assert _faults_per_step("workspace") < 50
    assert _faults_per_step("fresh") > 500


@pytest.mark.parametrize("use_bias", [True, False])
def test_inference_passes_use_fresh_arrays_and_equal_training_ones(rng, use_bias):
    # Inference allocates afresh (no workspace: nothing survives the call) and without the ones column;
    # its outputs are the training pass's, and a backward pass from an inference cache still works.
    conv, pool = _conv(4, "same", use_bias), layers.MaxPooling2D(2)
    x = rng.normal(size=(3, 6, 5, 4))
    trained = pool.forward(conv.forward(x, training=True)[0], training=True)[0].copy()
    z, cache = conv.forward(x, training=False)
    inferred = pool.forward(z, training=False)[0]
    kept = [*conv._workspace._buffers, *pool._workspace._buffers]
    assert kept and not any(np.shares_memory(a, b) for a in (z, inferred) for b in kept)
    np.testing.assert_allclose(inferred, trained, rtol=1e-12, atol=1e-12)
    pool.forward(conv.forward(rng.normal(size=x.shape), training=False)[0], training=False)
    np.testing.assert_allclose(inferred, trained, rtol=1e-12, atol=1e-12)  # not overwritten by a later call
    grad = rng.normal(size=z.shape)
    dx, grads = conv.backward(grad, cache)
    _, dx_expected, grads_expected = _fresh_backward(conv, x, grad)
    np.testing.assert_allclose(dx, dx_expected, rtol=1e-12, atol=1e-12)
    for got, want in zip(grads, grads_expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
