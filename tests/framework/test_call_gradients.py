"""The built-in layers define their maths once, in call(): the tape's gradient of call() equals their backward.

For every built-in layer with both a traceable ``call()`` and a hand-written
``backward``, the forward pass must give exactly ``call()``'s output, and the
automatic gradient of ``call()`` (recorded by :func:`autodiff.record` with the
layer's trainable weights watched) must equal ``backward`` to about 1e-10 in
float64, for the inputs and every weight. Layers whose fast forward cannot
be traced (the strided im2col views of Conv1D, Conv2D, Conv2DTranspose, the
2-D and 1-D pooling windows) have no ``call()``, nor do ``ZeroPadding2D``
(a write into zeros, faster than ``np.pad``) and ``Dot``; they keep their
numeric gradient checks (tests/framework/test_conv_layers.py, test_pooling_reshape.py,
test_pooling1d_global.py, test_conv1d_transpose.py).
"""
import numpy as np
import pytest

import layergraph as lg
from layergraph.framework import autodiff

L = lg.layers


CASES = {
    "dense-linear": (lambda: L.Dense(3), [(4, 5)], False),
    "dense-sigmoid": (lambda: L.Dense(3, activation="sigmoid"), [(4, 5)], False),
    "dense-tanh": (lambda: L.Dense(3, activation="tanh"), [(4, 5)], False),
    "dense-relu": (lambda: L.Dense(3, activation="relu"), [(4, 5)], False),
    "dense-softmax": (lambda: L.Dense(3, activation="softmax"), [(4, 5)], False),
    "dense-no-bias-rank3": (lambda: L.Dense(2, use_bias=False, activation="tanh"), [(2, 3, 5)], False),
    "activation": (lambda: L.Activation("sigmoid"), [(4, 5)], False),
    "relu-options": (lambda: L.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.2), [(6, 5)], False),
    "relu": (lambda: L.ReLU(), [(6, 5)], False),
    "leaky-relu": (lambda: L.LeakyReLU(negative_slope=0.2), [(6, 5)], False),
    "softmax-last": (lambda: L.Softmax(), [(4, 5)], False),
    "softmax-axes": (lambda: L.Softmax(axis=[1, 2]), [(2, 3, 4)], False),
    "dropout-training": (lambda: L.Dropout(0.5, seed=3), [(4, 6)], True),
    "dropout-inference": (lambda: L.Dropout(0.5, seed=3), [(4, 6)], False),
    "flatten": (lambda: L.Flatten(), [(2, 3, 4)], False),
    "reshape": (lambda: L.Reshape((4, -1)), [(2, 3, 4)], False),
    "rescaling": (lambda: L.Rescaling(scale=2.0, offset=-0.5), [(3, 4)], False),
    "batchnorm-training": (lambda: L.BatchNormalization(momentum=0.5), [(6, 3)], True),
    "batchnorm-inference": (lambda: L.BatchNormalization(), [(6, 3)], False),
    "batchnorm-images": (lambda: L.BatchNormalization(axis=-1), [(2, 3, 3, 2)], True),
    "concatenate": (lambda: L.Concatenate(), [(4, 2), (4, 3)], False),
    "add-broadcast": (lambda: L.Add(), [(4, 3), (4, 1), (4, 2, 3)], False),
    "subtract": (lambda: L.Subtract(), [(4, 3), (4, 3)], False),
    "multiply-three": (lambda: L.Multiply(), [(4, 3), (4, 3), (4, 1)], False),
    "average": (lambda: L.Average(), [(4, 3), (4, 3)], False),
    "maximum": (lambda: L.Maximum(), [(4, 3), (4, 3), (4, 3)], False),
    "minimum": (lambda: L.Minimum(), [(4, 3), (4, 3)], False),
    "global-average-2d": (lambda: L.GlobalAveragePooling2D(), [(2, 3, 3, 4)], False),
    "global-average-1d-keepdims": (lambda: L.GlobalAveragePooling1D(keepdims=True), [(2, 5, 3)], False),
    "global-max-2d": (lambda: L.GlobalMaxPooling2D(), [(2, 3, 3, 4)], False),
    "global-max-1d": (lambda: L.GlobalMaxPooling1D(), [(2, 5, 3)], False),
    "cropping2d": (lambda: L.Cropping2D(((1, 0), (0, 2))), [(2, 4, 5, 3)], False),
    "upsampling2d-nearest": (lambda: L.UpSampling2D((2, 3)), [(2, 2, 3, 2)], False),
    "upsampling2d-bilinear": (lambda: L.UpSampling2D(2, interpolation="bilinear"), [(2, 3, 3, 2)], False),
}


def _nonzero_weights(layer, rng):
    """Random weights (biases and batch-norm statistics too), so no gradient is trivially zero."""
    for w in layer.weights:
        w.value[...] = rng.uniform(0.5, 1.5, w.shape) if "variance" in w.name else rng.standard_normal(w.shape)


@pytest.mark.parametrize("name", sorted(CASES))
def test_automatic_gradient_of_call_equals_the_hand_written_backward(name):
    factory, shapes, training = CASES[name]
    rng = np.random.default_rng(sorted(CASES).index(name))
    layer = factory()
    xs = [rng.standard_normal(s) for s in shapes]
    x = xs if len(xs) > 1 else xs[0]
    layer(x)  # build
    _nonzero_weights(layer, rng)
    assert layer.trainable_weights == [] or all(w.value.dtype == np.float64 for w in layer.trainable_weights)
    state = [w.value.copy() for w in layer.non_trainable_weights]
    with L.frozen_masks(layer):  # dropout: one mask for both passes
        out, cache = layer.forward(x, training)
        for w, saved in zip(layer.non_trainable_weights, state, strict=True):
            w.value[...] = saved
        g = rng.standard_normal(np.shape(out))
        hand_x, hand_w = layer.backward(g, cache)

        def call(inputs):
            return layer.call(inputs, training=training) if layer._call_takes_training else layer.call(inputs)

        auto_out, backward = autodiff.record(call, x, layer.trainable_weights)
    auto_x, auto_w = backward(g)
    np.testing.assert_array_equal(auto_out, out)  # forward is call(): the very same arithmetic
    hand_x = hand_x if isinstance(hand_x, list) else [hand_x]
    auto_x = auto_x if isinstance(auto_x, list) else [auto_x]
    assert len(hand_x) == len(auto_x) == len(xs)
    for hand, auto in zip(hand_x, auto_x, strict=True):
        np.testing.assert_allclose(auto, hand, rtol=1e-10, atol=1e-12)
    assert len(auto_w) == len(hand_w) == len(layer.trainable_weights)
    for hand, auto in zip(hand_w, auto_w, strict=True):
        np.testing.assert_allclose(auto, hand, rtol=1e-10, atol=1e-12)


def test_the_cases_cover_every_built_in_layer_with_call_and_backward():
    covered = {type(CASES[name][0]()).__name__ for name in CASES} | {"Embedding"}  # integer inputs: below
    classes = [lg.layers.LAYERS.get(name) for name in lg.layers.LAYERS.names()]
    with_both = {cls.__name__ for cls in classes
                 if cls.__module__.startswith("layergraph.framework.layers")
                 and not cls.__name__.startswith("_") and _defines_call(cls) and not cls._records_call}
    assert with_both <= covered, sorted(with_both - covered)


def _defines_call(cls):
    for klass in cls.__mro__:
        if klass is L.Layer:
            return False
        if "call" in klass.__dict__ and klass is not L.ActivatedLayer:
            return True
        if klass is L.ActivatedLayer and "preactivation" in _below(cls, L.ActivatedLayer):
            return True
    return False


def _below(cls, stop):
    names = set()
    for klass in cls.__mro__:
        if klass is stop:
            break
        names.update(klass.__dict__)
    return names


def test_a_built_in_layer_inside_a_recording_is_one_op_whose_gradient_is_its_backward():
    rng = np.random.default_rng(0)
    dense = L.Dense(3, activation="tanh")
    x = rng.standard_normal((4, 5))
    dense(x)
    calls = []
    original = dense.backward

    def counting_backward(grad, cache, input_grad=True):
        calls.append(input_grad)
        return original(grad, cache, input_grad=input_grad)

    dense.backward = counting_backward
    y, backward = autodiff.record(lambda t: dense(t), x, dense.trainable_weights)
    g = rng.standard_normal(y.shape)
    dx, (dk, db) = backward(g)
    assert calls == [True]  # one backward pass for the three parents (x, kernel, bias)
    hand_x, (hand_k, hand_b) = original(g, dense.forward(x)[1])
    np.testing.assert_allclose(dx, hand_x, rtol=1e-14)
    np.testing.assert_allclose(dk, hand_k, rtol=1e-14)
    np.testing.assert_allclose(db, hand_b, rtol=1e-14)
    _, (dk2, _) = backward(g.copy(), input_grad=False)
    assert calls == [True, False]  # no input gradient wanted: the layer is told so
    np.testing.assert_allclose(dk2, hand_k, rtol=1e-14)


def test_a_sequential_of_call_layers_inside_a_users_own_recording_gets_its_gradient():
    class Tanh(lg.layers.Layer):
        def call(self, inputs):
            return np.tanh(inputs)

    rng = np.random.default_rng(1)
    stack = lg.Sequential([lg.Input(shape=(3,)), L.Dense(2, seed=0), Tanh()])
    x = rng.standard_normal((4, 3))
    result = autodiff.check_gradients(lambda t: stack(t), x, stack.trainable_weights)
    assert result.passed, str(result)


def test_embedding_call_gradient_equals_its_backward():
    rng = np.random.default_rng(2)
    layer = L.Embedding(7, 3)
    ids = np.array([[1, 4, 1], [6, 0, 4]])
    out, cache = layer.forward(ids)
    g = rng.standard_normal(out.shape)
    _, (hand,) = layer.backward(g, cache)
    auto_out, backward = autodiff.record(lambda i: layer.call(i), ids, layer.trainable_weights)
    np.testing.assert_array_equal(auto_out, out)
    dx, (auto,) = backward(g)
    assert dx is None  # integer indices get no gradient
    np.testing.assert_allclose(auto, hand, rtol=1e-12, atol=1e-14)  # rows 1 and 4 appear twice: the sums agree
