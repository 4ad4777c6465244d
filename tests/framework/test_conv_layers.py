"""Conv2D: forward against independent references, gradients, errors, config."""
import json

import numpy as np
import pytest
from scipy import signal

import layergraph as lg
from layergraph import gradients, layers
from layergraph.regularizers import l2


def naive_conv(x, kernel, bias, strides, padding):
    """Direct loops over samples, output pixels and filters (TF/Keras padding rule)."""
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    sh, sw = strides
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        pad_h = max((oh - 1) * sh + kh - h, 0)
        pad_w = max((ow - 1) * sw + kw - w, 0)
        top, left = pad_h // 2, pad_w // 2  # the extra row/column goes to the bottom/right
        xp = np.zeros((n, h + pad_h, w + pad_w, c))
        xp[:, top:top + h, left:left + w] = x
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        xp = x
    out = np.zeros((n, oh, ow, f))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                patch = xp[b, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
                for k in range(f):
                    out[b, i, j, k] = np.sum(patch * kernel[:, :, :, k]) + bias[k]
    return out


def _check(model, loss, x, y, tol=1e-6):
    errors = gradients.check(model, loss, x, y)
    assert len(errors) == len(model.trainable_weights)
    assert max(errors) < tol, errors


class TestForward:
    @pytest.mark.parametrize("padding", ["valid", "same"])
    @pytest.mark.parametrize("strides", [1, 2, (2, 1)])
    @pytest.mark.parametrize("shape, kernel_size", [((7, 6, 3), 3), ((6, 6, 2), 2), ((5, 8, 1), (2, 3)),
                                                    ((9, 9, 12), 3)])
    def test_matches_naive_loops(self, rng, padding, strides, shape, kernel_size):
        layer = layers.Conv2D(4, kernel_size, strides=strides, padding=padding, bias_initializer="random_normal",
                              input_shape=shape, seed=1)
        x = rng.normal(size=(2, *shape))
        kernel, bias = layer.get_weights()
        expected = naive_conv(x, kernel, bias, layer.strides, padding)
        out = layer(x)
        assert out.shape == expected.shape
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)

    def test_valid_matches_scipy_correlate(self, rng):
        layer = layers.Conv2D(3, 3, use_bias=False, input_shape=(8, 7, 2), seed=2)
        x = rng.normal(size=(2, 8, 7, 2))
        kernel = layer.kernel.value
        out = layer(x)
        for b in range(2):
            for f in range(3):
                ref = sum(signal.correlate(x[b, :, :, c], kernel[:, :, c, f], mode="valid") for c in range(2))
                np.testing.assert_allclose(out[b, :, :, f], ref, atol=1e-12)

    def test_same_padding_puts_the_extra_row_at_the_bottom_right(self):
        # 4x4 input, 2x2 kernel of ones: total padding 1, all of it after (TF rule).
        layer = layers.Conv2D(1, 2, padding="same", use_bias=False, kernel_initializer="ones", input_shape=(4, 4, 1))
        x = np.arange(16.0).reshape(1, 4, 4, 1)
        out = layer(x)[0, :, :, 0]
        assert out[0, 0] == 0 + 1 + 4 + 5
        assert out[3, 3] == 15  # bottom-right window sees one real pixel
        assert out[0, 3] == 3 + 7

    def test_same_with_stride_two_output_size_is_ceil(self):
        assert layers.Conv2D(2, 3, strides=2, padding="same").compute_output_shape((None, 7, 8, 1)) == (None, 4, 4, 2)
        assert layers.Conv2D(2, 3, strides=2).compute_output_shape((None, 7, 8, 1)) == (None, 3, 3, 2)

    def test_activation_applies_after_bias(self, rng):
        layer = layers.Conv2D(2, 3, activation="relu", bias_initializer="random_normal", input_shape=(5, 5, 1))
        linear = layers.Conv2D(2, 3, input_shape=(5, 5, 1))
        linear.set_weights(layer.get_weights())
        x = rng.normal(size=(3, 5, 5, 1))
        np.testing.assert_allclose(layer(x), np.maximum(linear(x), 0))

    def test_float32_stays_float32(self, rng):
        layer = layers.Conv2D(3, 3, padding="same", dtype="float32", input_shape=(6, 6, 2))
        out, cache = layer.forward(rng.normal(size=(2, 6, 6, 2)).astype(np.float32))
        assert out.dtype == np.float32
        dx, grads = layer.backward(np.ones_like(out), cache)
        assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)

    def test_kernel_layout_and_lazy_build(self):
        layer = layers.Conv2D(8, (3, 2))
        assert not layer.built and layer.weights == []
        layer(np.zeros((1, 5, 5, 4)))
        assert [w.shape for w in layer.weights] == [(3, 2, 4, 8), (8,)]
        assert layer.name.startswith("conv2d")

    def test_glorot_fans_include_the_receptive_field(self):
        layer = layers.Conv2D(16, 3, input_shape=(8, 8, 8), seed=0)
        limit = np.sqrt(6 / (9 * 8 + 9 * 16))
        assert 0.9 * limit < np.abs(layer.kernel.value).max() <= limit

    def test_symbolic_shapes_in_a_functional_model(self):
        inp = lg.Input(shape=(12, 12, 3))
        h = layers.Conv2D(4, 3, strides=2, padding="same")(inp)
        assert h.shape == (None, 6, 6, 4)
        model = lg.Model(inp, layers.Dense(2)(layers.Flatten()(h)))
        assert model.predict(np.zeros((5, 12, 12, 3))).shape == (5, 2)


class TestGradients:
    @pytest.mark.parametrize("padding", ["valid", "same"])
    @pytest.mark.parametrize("strides", [1, 2])
    def test_conv_flatten_dense(self, rng, padding, strides):
        model = lg.Sequential([
            layers.Conv2D(3, 3, strides=strides, padding=padding, activation="tanh", input_shape=(6, 5, 2),
                          bias_initializer="random_normal", seed=0),
            layers.Flatten(),
            layers.Dense(3, activation="softmax", seed=1),
        ])
        x = rng.normal(size=(3, 6, 5, 2))
        _check(model, "sparse_categorical_crossentropy", x, np.array([0, 2, 1]))

    def test_stacked_convs_rectangular_kernel_and_strides(self, rng):
        model = lg.Sequential([
            layers.Conv2D(2, (2, 3), strides=(2, 1), padding="same", activation="sigmoid", input_shape=(5, 6, 3),
                          seed=0),
            layers.Conv2D(2, 2, activation="tanh", use_bias=False, seed=1),
            layers.Flatten(),
            layers.Dense(1, seed=2),
        ])
        _check(model, "mse", rng.normal(size=(2, 5, 6, 3)), rng.normal(size=(2, 1)))

    def test_fused_sigmoid_as_the_output_layer(self, rng):
        # A conv with a sigmoid as the last layer: binary CE uses its
        # backward_preactivation (the fused gradient).
        model = lg.Sequential([layers.Conv2D(2, 3, padding="same", activation="sigmoid", input_shape=(4, 4, 2),
                                             bias_initializer="random_normal", seed=3)])
        y = (rng.random((2, 4, 4, 2)) > 0.5).astype(float)
        _check(model, "binary_crossentropy", rng.normal(size=(2, 4, 4, 2)), y)

    def test_kernel_regularizer_joins_loss_and_gradient(self, rng):
        model = lg.Sequential([layers.Conv2D(2, 3, activation="tanh", kernel_regularizer=l2(0.1), input_shape=(4, 4, 1),
                                             seed=0),
                               layers.Flatten(), layers.Dense(1, seed=1)])
        x, y = rng.normal(size=(2, 4, 4, 1)), rng.normal(size=(2, 1))
        _check(model, "mse", x, y)
        plain = lg.losses.get("mse")(y, model.predict(x))
        value, _ = gradients.AnalyticGradient().gradients(model, "mse", x, y)
        assert value == pytest.approx(plain + 0.1 * np.sum(model.layers[0].kernel.value ** 2))

    def test_input_gradient_matches_central_differences(self, rng):
        layer = layers.Conv2D(2, 3, strides=2, padding="same", input_shape=(5, 4, 3), seed=0)
        x = rng.normal(size=(2, 5, 4, 3))
        out, cache = layer.forward(x)
        upstream = rng.normal(size=out.shape)
        dx, _ = layer.backward(upstream, cache)
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[idx] += 1e-6
            xm[idx] -= 1e-6
            numeric[idx] = np.sum((layer(xp) - layer(xm)) * upstream) / 2e-6
        np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8)

    def test_skipping_the_input_gradient_keeps_weight_gradients(self, rng):
        layer = layers.Conv2D(3, 3, activation="tanh", input_shape=(5, 5, 2), seed=0)
        out, cache = layer.forward(rng.normal(size=(2, 5, 5, 2)))
        g = rng.normal(size=out.shape)
        dx, grads = layer.backward(g, cache)
        none, same = layer.backward(g, cache, input_grad=False)
        assert dx.shape == (2, 5, 5, 2) and none is None
        for a, b in zip(grads, same, strict=True):
            np.testing.assert_array_equal(a, b)

    def test_frozen_layer_returns_no_weight_gradients(self, rng):
        layer = layers.Conv2D(2, 3, trainable=False, input_shape=(4, 4, 1))
        out, cache = layer.forward(rng.normal(size=(1, 4, 4, 1)))
        dx, grads = layer.backward(np.ones_like(out), cache)
        assert grads == [] and dx.shape == (1, 4, 4, 1)

    def test_training_reduces_the_loss(self, rng):
        x = rng.normal(size=(32, 6, 6, 1))
        y = (x[:, :3].sum(axis=(1, 2, 3)) > x[:, 3:].sum(axis=(1, 2, 3))).astype(int)
        model = lg.Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(6, 6, 1), seed=0),
                               layers.MaxPooling2D(2), layers.Flatten(),
                               layers.Dense(2, activation="softmax", seed=1)])
        model.compile(optimizer=lg.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", seed=0)
        history = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
        assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


class TestErrors:
    def test_wrong_rank(self):
        layer = layers.Conv2D(2, 3, name="conv")
        with pytest.raises(ValueError, match=r"'conv'.*rank 4.*\(None, 5, 5\)"):
            layer(np.zeros((2, 5, 5)))
        assert not layer.built and layer.weights == []

    def test_wrong_rank_in_forward_names_the_array_shape(self):
        with pytest.raises(ValueError, match=r"'conv'.*rank 4.*\(4, 4, 1\)"):
            layers.Conv2D(2, 3, name="conv").forward(np.zeros((4, 4, 1)))
        layer = layers.Conv2D(2, 3)
        assert layer.forward(np.zeros((1, 4, 4, 1)))[0].shape == (1, 2, 2, 2) and layer.built  # lazy build

    def test_wrong_channel_count(self):
        layer = layers.Conv2D(2, 3, input_shape=(5, 5, 3), name="conv")
        with pytest.raises(ValueError, match=r"'conv' expects inputs with 3 channels.*\(1, 5, 5, 2\)"):
            layer(np.zeros((1, 5, 5, 2)))

    def test_wrong_channel_count_symbolic(self):
        layer = layers.Conv2D(2, 3, input_shape=(5, 5, 3), name="conv")
        with pytest.raises(ValueError, match="3 channels"):
            layer(lg.Input(shape=(5, 5, 1)))

    def test_kernel_larger_than_input(self):
        layer = layers.Conv2D(2, 5, name="big")
        with pytest.raises(ValueError, match=r"'big'.*kernel \(5, 5\) is larger than the valid-padded input.*\(4, 6\)"):
            layer(np.zeros((1, 4, 6, 1)))
        assert not layer.built and layer.weights == []
        assert layers.Conv2D(2, 5, padding="same")(np.zeros((1, 4, 6, 1))).shape == (1, 4, 6, 2)

    def test_kernel_larger_than_input_in_a_model(self):
        with pytest.raises(ValueError, match="larger than"):
            lg.Sequential([lg.Input(shape=(3, 3, 1)), layers.Conv2D(2, 4)])

    @pytest.mark.parametrize("kwargs, match", [
        ({"filters": 0, "kernel_size": 3}, "filters must be a positive integer"),
        ({"filters": 2.5, "kernel_size": 3}, "filters"),
        ({"filters": 2, "kernel_size": 0}, "kernel_size"),
        ({"filters": 2, "kernel_size": (3, 3, 3)}, "kernel_size"),
        ({"filters": 2, "kernel_size": 3, "strides": 0}, "strides must be a positive integer"),
        ({"filters": 2, "kernel_size": 3, "strides": 1.5}, "strides"),
        ({"filters": 2, "kernel_size": 3, "padding": "full"}, "padding must be 'valid' or 'same'"),
        ({"filters": 2, "kernel_size": 3, "activation": "nope"}, "Unknown activation"),
    ])
    def test_invalid_arguments(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            layers.Conv2D(**kwargs)


class TestConfig:
    def test_round_trip(self, rng):
        layer = layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="tanh", use_bias=True,
                              kernel_regularizer=l2(0.01), input_shape=(6, 6, 2), name="c1")
        config = layer.get_config()
        json.dumps(config)
        clone = layers.Conv2D.from_config(config)
        assert clone.get_config() == config
        clone.set_weights(layer.get_weights())
        x = rng.normal(size=(2, 6, 6, 2))
        np.testing.assert_array_equal(clone(x), layer(x))
        assert clone.kernel_regularizer.l2 == 0.01

    def test_cnn_with_every_new_layer_saves_and_loads(self, rng, tmp_path):
        model = lg.Sequential([
            lg.Input(shape=(8, 8, 1)),
            layers.Conv2D(4, 3, padding="same", activation="relu", seed=0),
            layers.BatchNormalization(),
            layers.MaxPooling2D(2),
            layers.AveragePooling2D(2, strides=1),
            layers.Reshape((-1,)),
            layers.Flatten(),
            layers.Dropout(0.5, seed=1),
            layers.Dense(3, activation="softmax", seed=2),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        x, y = rng.normal(size=(16, 8, 8, 1)), np.arange(16) % 3
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        model.save(tmp_path / "cnn.lg")
        restored = lg.load_model(tmp_path / "cnn.lg")
        assert [type(layer).__name__ for layer in restored.layers] == [type(layer).__name__ for layer in model.layers]
        np.testing.assert_array_equal(restored.predict(x), model.predict(x))
