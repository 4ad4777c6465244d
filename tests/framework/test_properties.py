"""Property tests (hypothesis) for the maths every model relies on."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import layergraph as lg
from layergraph import layers
from layergraph.framework import activations

finite = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=finite))
def test_softmax_rows_are_distributions(z):
    a = activations.softmax(z)
    assert np.all(a >= 0) and np.all(np.isfinite(a))
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(activations.softmax(z + 123.0), a, atol=1e-12)  # shift invariance per row


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=2, max_size=4))
def test_concatenate_backward_inverts_forward(n, widths):
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(n, w)) for w in widths]
    layer = layers.Concatenate()
    out, cache = layer.forward(inputs)
    pieces, _ = layer.backward(out, cache)
    for a, b in zip(inputs, pieces, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 10_000))
def test_dense_gradient_check_random_sizes(n, d_in, d_out, seed):
    rng = np.random.default_rng(seed)
    model = lg.Sequential([layers.Dense(d_out, activation="tanh", input_shape=(d_in,), seed=seed)])
    errors = lg.gradients.check(model, "mse", rng.normal(size=(n, d_in)), rng.normal(size=(n, d_out)))
    assert max(errors) < 1e-6


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.just(1)), elements=st.floats(-50, 50)))
def test_fused_sigmoid_bce_gradient_is_p_minus_t(z):
    t = (z > 0).astype(float)
    p = activations.sigmoid(z)
    loss = lg.losses.BinaryCrossentropy()
    np.testing.assert_allclose(loss.fused_gradient(activations.Sigmoid(), t, p), (p - t) / len(z))
