"""Conv1D and Conv2DTranspose: naive references, Keras' output shapes, gradients, config, saving, errors."""
import numpy as np
import pytest
from scipy import signal

import layergraph as lg
from layergraph import layers


# -- references ----------------------------------------------------------------------------
def naive_conv1d(x, kernel, bias, stride, padding, dilation):
    """Loops over samples, output steps and filters; TF's "same" rule, "causal" pads the front."""
    n, steps, c = x.shape
    k, _, f = kernel.shape
    span = dilation * (k - 1) + 1
    if padding == "valid":
        before, out = 0, (steps - span) // stride + 1
    elif padding == "same":
        out = -(-steps // stride)
        before = max((out - 1) * stride + span - steps, 0) // 2
    else:  # causal
        before, out = span - 1, -(-steps // stride)
    xp = np.zeros((n, steps + 2 * span, c))
    xp[:, before:before + steps] = x
    y = np.zeros((n, out, f))
    for b in range(n):
        for t in range(out):
            for g in range(f):
                y[b, t, g] = bias[g] + sum(xp[b, t * stride + a * dilation] @ kernel[a, :, g] for a in range(k))
    return y


def naive_conv2d_transpose(x, kernel, bias, strides, dilation, out_size, crop):
    """Every input pixel scatters the kernel into a large buffer (loops), then ``out_size`` is cut at ``crop``."""
    n, h, w, _ = x.shape
    kh, kw, f, _ = kernel.shape
    (sh, sw), (dh, dw) = strides, dilation
    big = np.zeros((n, h * sh + kh * dh + out_size[0], w * sw + kw * dw + out_size[1], f))
    for b in range(n):
        for i in range(h):
            for j in range(w):
                for a in range(kh):
                    for c in range(kw):
                        big[b, i * sh + a * dh, j * sw + c * dw] += kernel[a, c] @ x[b, i, j]
    return big[:, crop[0]:crop[0] + out_size[0], crop[1]:crop[1] + out_size[1]] + bias


# -- Conv1D ----------------------------------------------------------------------------------
CONV1D_CASES = [  # kernel, strides, padding, dilation, steps
    (3, 1, "valid", 1, 9), (3, 2, "valid", 1, 10), (4, 3, "valid", 1, 11), (3, 1, "same", 1, 7),
    (4, 2, "same", 1, 9), (2, 3, "same", 1, 8), (3, 1, "causal", 1, 6), (3, 2, "causal", 1, 7),
    (3, 1, "valid", 2, 9), (2, 1, "same", 3, 8), (3, 1, "causal", 2, 7),
]


class TestConv1D:
    @pytest.mark.parametrize("kernel, strides, padding, dilation, steps", CONV1D_CASES)
    def test_matches_naive_loops_and_compute_output_shape(self, rng, kernel, strides, padding, dilation, steps):
        layer = layers.Conv1D(4, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                              bias_initializer="random_normal", seed=1)
        x = rng.normal(size=(2, steps, 3))
        out = layer(x)
        expected = naive_conv1d(x, layer.kernel.value, layer.bias.value, strides, padding, dilation)
        assert out.shape == expected.shape
        assert layer.compute_output_shape((None, steps, 3)) == (None, *out.shape[1:])
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)

    def test_valid_matches_scipy_correlate(self, rng):
        layer = layers.Conv1D(2, 4, use_bias=False, seed=3)
        x = rng.normal(size=(2, 12, 3))
        out = layer(x)
        kernel = layer.kernel.value
        for b in range(2):
            for f in range(2):
                ref = sum(signal.correlate(x[b, :, c], kernel[:, c, f], mode="valid") for c in range(3))
                np.testing.assert_allclose(out[b, :, f], ref, atol=1e-12)

    @pytest.mark.parametrize("kwargs, in_shape, out_shape", [
        # Keras' own conv_test cases (groups=1) and the Conv1D docstring example
        (dict(filters=5, kernel_size=2), (3, 5, 4), (3, 4, 5)),
        (dict(filters=6, kernel_size=2, padding="same", dilation_rate=(2,)), (3, 4, 4), (3, 4, 6)),
        (dict(filters=6, kernel_size=2, padding="causal", dilation_rate=(2,)), (3, 4, 4), (3, 4, 6)),
        (dict(filters=6, kernel_size=2, strides=(2,)), (3, 5, 4), (3, 2, 6)),
        (dict(filters=32, kernel_size=3, activation="relu"), (4, 10, 128), (4, 8, 32)),
    ])
    def test_keras_output_shapes(self, kwargs, in_shape, out_shape):
        assert layers.Conv1D(**kwargs)(np.zeros(in_shape)).shape == out_shape
        assert layers.Conv1D(**kwargs).compute_output_shape((None, *in_shape[1:])) == (None, *out_shape[1:])

    def test_symbolic_and_unknown_lengths(self):
        x = lg.Input(shape=(12, 3))
        assert layers.Conv1D(2, 3, padding="causal")(x).shape == (None, 12, 2)
        assert layers.Conv1D(2, 3, strides=2).compute_output_shape((None, None, 3)) == (None, None, 2)

    def test_causal_output_never_sees_the_future(self, rng):
        layer = layers.Conv1D(2, 3, padding="causal", dilation_rate=2, seed=0)
        x = rng.normal(size=(1, 10, 2))
        changed = x.copy()
        changed[:, 6:] += 1.0
        np.testing.assert_array_equal(layer(x)[:, :6], layer(changed)[:, :6])
        assert not np.allclose(layer(x)[:, 6:], layer(changed)[:, 6:])

    @pytest.mark.parametrize("kernel, strides, padding, dilation, steps", [c for c in CONV1D_CASES if c[4] <= 9])
    def test_input_gradient(self, checks, kernel, strides, padding, dilation, steps, rng):
        layer = layers.Conv1D(2, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                              activation="tanh", bias_initializer="random_normal", seed=2)
        checks.input_gradient(layer, rng.normal(size=(2, steps, 3)))

    @pytest.mark.parametrize("padding, strides, dilation", [("valid", 2, 1), ("same", 1, 2), ("causal", 1, 2)])
    def test_weight_gradients_in_a_model(self, checks, rng, padding, strides, dilation):
        model = lg.Sequential([
            layers.Conv1D(3, 3, strides=strides, padding=padding, dilation_rate=dilation, activation="tanh",
                          bias_initializer="random_normal", kernel_regularizer=lg.regularizers.l2(1e-2),
                          input_shape=(9, 2), seed=0),
            layers.Conv1D(2, 2, activation="relu", bias_initializer="ones", seed=1),
            layers.Flatten(),
            layers.Dense(3, activation="softmax", seed=2),
        ])
        checks.weights_gradient(model, "sparse_categorical_crossentropy", rng.normal(size=(3, 9, 2)),
                                np.array([0, 2, 1]))

    def test_first_layer_skips_the_input_gradient(self, rng):
        layer = layers.Conv1D(2, 3, seed=0)
        out, cache = layer.forward(rng.normal(size=(2, 6, 3)))
        dx, grads = layer.backward(np.ones_like(out), cache, input_grad=False)
        assert dx is None and [g.shape for g in grads] == [(3, 3, 2), (2,)]

    def test_float32(self, rng):
        layer = layers.Conv1D(4, 3, padding="same", dtype="float32", seed=0)
        x = rng.normal(size=(2, 7, 3)).astype(np.float32)
        out, cache = layer.forward(x)
        assert out.dtype == np.float32
        dx, grads = layer.backward(np.ones_like(out), cache)
        assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
        np.testing.assert_allclose(out, naive_conv1d(x.astype(float), layer.kernel.value.astype(float),
                                                     layer.bias.value.astype(float), 1, "same", 1), rtol=1e-5,
                                   atol=1e-5)

    def test_config_round_trip_and_save_load(self, checks, rng, tmp_path):
        layer = layers.Conv1D(3, 2, strides=2, padding="same", activation="relu", use_bias=True,
                              kernel_initializer="he_uniform", bias_initializer="random_normal",
                              kernel_regularizer=lg.regularizers.l2(1e-3), bias_regularizer="l1", seed=4)
        x = rng.normal(size=(2, 7, 3))
        clone = checks.config_round_trip(layer, x)
        assert clone.padding == "same" and clone.strides == (2,) and clone.name == layer.name
        assert layer.get_config()["dilation_rate"] == [1] and layer.get_config()["data_format"] == "channels_last"
        model = lg.Sequential([layers.Conv1D(2, 3, padding="causal", dilation_rate=2, input_shape=(7, 3), seed=0),
                               layers.GlobalMaxPooling1D()])
        checks.save_load(model, x, tmp_path / "conv1d.lg")

    def test_bias_regularizer_joins_the_penalties(self):
        layer = layers.Conv1D(2, 3, bias_regularizer=lg.regularizers.l2(0.5), input_shape=(5, 1))
        assert [v.name.rsplit("/", 1)[-1] for v, _ in layer.penalties()] == ["bias"]

    def test_default_names_follow_keras(self):
        assert layers.Conv1D(1, 1).name.startswith("conv1d")

    @pytest.mark.parametrize("kwargs, match", [
        (dict(filters=0, kernel_size=3), "Conv1D 'c': filters must be a positive integer, got 0"),
        (dict(filters=2, kernel_size=(3, 3)), "Conv1D 'c': kernel_size must be a positive integer"),
        (dict(filters=2, kernel_size=0), "Conv1D 'c': kernel_size"),
        (dict(filters=2, kernel_size=3, strides=0), "Conv1D 'c': strides"),
        (dict(filters=2, kernel_size=3, padding="full"),
         "Conv1D 'c': padding must be one of 'valid', 'same', 'causal', got 'full'"),
        (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2),
         "Conv1D 'c': strides > 1 is not supported together with dilation_rate > 1"),
        (dict(filters=2, kernel_size=3, groups=2), "Conv1D 'c': only groups=1 is supported"),
        (dict(filters=2, kernel_size=3, data_format="channels_first"), "Conv1D 'c': data_format must be"),
    ])
    def test_bad_arguments(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            layers.Conv1D(name="c", **kwargs)

    def test_bad_inputs(self):
        layer = layers.Conv1D(2, 4, name="c")
        with pytest.raises(ValueError, match=r"Conv1D 'c' expects inputs of rank 3 \(batch, steps, channels\), "
                                             r"got shape \(None, 5\)"):
            layer(np.zeros((2, 5)))
        with pytest.raises(ValueError, match="Conv1D 'c': the kernel .* is longer than the valid-padded input of 3 "
                                             "steps"):
            layer(np.zeros((2, 3, 1)))
        assert not layer.built  # nothing was created by the failed calls
        layer(np.zeros((2, 6, 3)))
        with pytest.raises(ValueError, match=r"Conv1D 'c' expects inputs with 3 channels .* got input shape "
                                             r"\(2, 6, 2\)"):
            layer(np.zeros((2, 6, 2)))


# -- Conv2DTranspose -------------------------------------------------------------------------------
TRANSPOSE_CASES = [  # kernel, strides, padding, output_padding, dilation, (h, w)
    (3, 2, "same", None, 1, (4, 3)), (4, 2, "same", None, 1, (3, 4)), (3, 1, "same", None, 1, (4, 4)),
    (2, 1, "same", None, 1, (3, 5)), (3, 2, "valid", None, 1, (3, 4)), (2, 3, "valid", None, 1, (3, 2)),
    ((2, 3), (2, 1), "valid", None, 1, (3, 3)), (5, 3, "same", None, 1, (2, 3)), (1, 2, "same", None, 1, (3, 3)),
    (3, 2, "same", 1, 1, (3, 3)), (2, 3, "same", 2, 1, (2, 3)), (3, 2, "valid", 1, 1, (3, 2)),
    (3, 3, "valid", (2, 0), 1, (2, 3)), (3, 1, "valid", None, 2, (3, 3)), (2, 1, "same", None, (2, 3), (4, 4)),
]


def _expected_transpose_geometry(size, kernel, stride, padding, output_padding, dilation):
    """Keras' output length and the rows its crops drop at the top/left, derived independently:
    "same" without output_padding is the adjoint of Conv2D "same" (TF padding) on ``size * stride``."""
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        out = (size - 1) * stride + k + (max(k, stride) - k if output_padding is None else output_padding)
        return out, 0
    if output_padding is None:
        out = size * stride
        return out, max((size - 1) * stride + k - out, 0) // 2  # Conv2D "same" on `out` pads this much on top
    out = (size - 1) * stride + k % 2 + output_padding
    pad = k + k % 2 - 2 + output_padding  # Keras' JAX rule
    return out, k - 1 - min(pad // 2 + pad % 2, k - 1)


class TestConv2DTranspose:
    @pytest.mark.parametrize("kernel, strides, padding, output_padding, dilation, hw", TRANSPOSE_CASES)
    @pytest.mark.parametrize("filters", [2, 9])
    def test_matches_naive_scatter(self, rng, kernel, strides, padding, output_padding, dilation, hw, filters):
        layer = layers.Conv2DTranspose(filters, kernel, strides=strides, padding=padding,
                                       output_padding=output_padding, dilation_rate=dilation,
                                       bias_initializer="random_normal", seed=1)
        x = rng.normal(size=(2, *hw, 3))
        out = layer(x)
        geometry = [_expected_transpose_geometry(hw[a], layer.kernel_size[a], layer.strides[a], padding,
                                                 None if output_padding is None else layer.output_padding[a],
                                                 layer.dilation_rate[a]) for a in (0, 1)]
        (oh, top), (ow, left) = geometry
        assert out.shape == (2, oh, ow, filters)
        assert layer.compute_output_shape((None, *hw, 3)) == (None, oh, ow, filters)
        expected = naive_conv2d_transpose(x, layer.kernel.value, layer.bias.value, layer.strides,
                                          layer.dilation_rate, (oh, ow), (top, left))
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("kernel, strides, padding", [(3, 2, "same"), (4, 2, "same"), (2, 1, "same"),
                                                          (3, 2, "valid"), (2, 3, "valid"), ((3, 2), (1, 2), "same")])
    def test_is_the_adjoint_of_conv2d(self, rng, kernel, strides, padding):
        # <Conv2D(u), x> == <u, Conv2DTranspose(x)> with the same kernel: an independent check of the crops.
        transpose = layers.Conv2DTranspose(3, kernel, strides=strides, padding=padding, use_bias=False, seed=0)
        x = rng.normal(size=(2, 4, 5, 2))
        y = transpose(x)
        conv = layers.Conv2D(2, kernel, strides=strides, padding=padding, use_bias=False,
                             input_shape=y.shape[1:])
        conv.kernel.value[...] = transpose.kernel.value
        u = rng.normal(size=y.shape)
        assert conv(u).shape == x.shape
        np.testing.assert_allclose(np.sum(conv(u) * x), np.sum(u * y), rtol=1e-12)

    @pytest.mark.parametrize("kwargs, in_shape, out_shape", [
        # Keras' own conv_transpose_test cases (channels_last) and the class docstring example
        (dict(filters=5, kernel_size=2, strides=2), (2, 8, 8, 4), (2, 16, 16, 5)),
        (dict(filters=6, kernel_size=2, strides=3, padding="same", output_padding=2), (2, 8, 8, 4), (2, 23, 23, 6)),
        (dict(filters=6, kernel_size=(2, 3), strides=(2, 1)), (2, 8, 8, 4), (2, 16, 10, 6)),
        (dict(filters=2, kernel_size=(7, 7), strides=(16, 16)), (1, 14, 14, 2), (1, 224, 224, 2)),
        (dict(filters=32, kernel_size=2, strides=2, activation="relu"), (4, 10, 8, 128), (4, 20, 16, 32)),
    ])
    def test_keras_output_shapes(self, kwargs, in_shape, out_shape):
        assert layers.Conv2DTranspose(**kwargs)(np.zeros(in_shape)).shape == out_shape
        assert layers.Conv2DTranspose(**kwargs).compute_output_shape((None, *in_shape[1:])) == (None, *out_shape[1:])

    @pytest.mark.parametrize("kernel, strides, padding, output_padding, dilation, hw",
                             [c for c in TRANSPOSE_CASES if c[5][0] * c[5][1] <= 9])
    def test_input_gradient(self, checks, rng, kernel, strides, padding, output_padding, dilation, hw):
        layer = layers.Conv2DTranspose(2, kernel, strides=strides, padding=padding, output_padding=output_padding,
                                       dilation_rate=dilation, activation="tanh", bias_initializer="random_normal",
                                       seed=3)
        checks.input_gradient(layer, rng.normal(size=(2, *hw, 2)))

    @pytest.mark.parametrize("filters, padding, output_padding", [(2, "same", None), (9, "valid", 1),
                                                                 (3, "same", 1)])
    def test_weight_gradients_in_a_model(self, checks, rng, filters, padding, output_padding):
        model = lg.Sequential([
            layers.Conv2D(2, 2, activation="tanh", input_shape=(4, 4, 1), seed=0),
            layers.Conv2DTranspose(filters, 3, strides=2, padding=padding, output_padding=output_padding,
                                   activation="tanh", bias_initializer="random_normal",
                                   kernel_regularizer=lg.regularizers.l2(1e-2), seed=1),
            layers.Conv2DTranspose(1, 2, activation="sigmoid", seed=2),
        ])
        x = rng.normal(size=(2, 4, 4, 1))
        y = (rng.random(size=(2, *model.compute_output_shape((None, 4, 4, 1))[1:])) > 0.5).astype(float)
        checks.weights_gradient(model, "binary_crossentropy", x, y)

    def test_first_layer_skips_the_input_gradient(self, rng):
        layer = layers.Conv2DTranspose(2, 3, strides=2, seed=0)
        out, cache = layer.forward(rng.normal(size=(1, 3, 3, 4)))
        dx, grads = layer.backward(np.ones_like(out), cache, input_grad=False)
        assert dx is None and [g.shape for g in grads] == [(3, 3, 2, 4), (2,)]

    def test_float32(self, rng):
        layer = layers.Conv2DTranspose(3, 3, strides=2, padding="same", dtype="float32", seed=0)
        x = rng.normal(size=(2, 3, 3, 2)).astype(np.float32)
        out, cache = layer.forward(x)
        dx, grads = layer.backward(np.ones_like(out), cache)
        assert out.dtype == dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)

    def test_config_round_trip_and_save_load(self, checks, rng, tmp_path):
        layer = layers.Conv2DTranspose(2, (3, 2), strides=(2, 1), padding="same", output_padding=(1, 0),
                                       activation="sigmoid", kernel_regularizer=lg.regularizers.l2(1e-3), seed=2)
        x = rng.normal(size=(2, 3, 4, 3))
        clone = checks.config_round_trip(layer, x)
        assert clone.output_padding == (1, 0) and clone.name == layer.name
        model = lg.Sequential([layers.Conv2DTranspose(2, 3, strides=2, padding="same", input_shape=(3, 4, 3),
                                                      seed=0),
                               layers.Conv2D(1, 2, seed=1)])
        checks.save_load(model, x, tmp_path / "transpose.lg")

    def test_default_names_follow_keras(self):
        assert layers.Conv2DTranspose(1, 1).name.startswith("conv2d_transpose")

    @pytest.mark.parametrize("kwargs, match", [
        (dict(filters=-1, kernel_size=3), "filters must be a positive integer, got -1"),
        (dict(filters=2, kernel_size=(3, 0)), "kernel_size must be a positive integer or a tuple of 2"),
        (dict(filters=2, kernel_size=3, padding="causal"), "padding must be one of 'valid', 'same', got 'causal'"),
        (dict(filters=2, kernel_size=3, strides=2, output_padding=2),
         r"each output_padding must be smaller than its stride, got output_padding=\(2, 2\) and strides=\(2, 2\)"),
        (dict(filters=2, kernel_size=3, output_padding=-1), "output_padding must be an integer >= 0"),
        (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), "strides > 1 is not supported together"),
    ])
    def test_bad_arguments(self, kwargs, match):
        with pytest.raises(ValueError, match="Conv2DTranspose 't': " + match):
            layers.Conv2DTranspose(name="t", **kwargs)

    def test_bad_inputs(self):
        layer = layers.Conv2DTranspose(2, 3, name="t")
        with pytest.raises(ValueError, match=r"Conv2DTranspose 't' expects inputs of rank 4 \(batch, height, width, "
                                             r"channels\), got shape \(None, 5, 3\)"):
            layer(np.zeros((2, 5, 3)))
        assert not layer.built
        layer(np.zeros((1, 3, 3, 2)))
        with pytest.raises(ValueError, match="Conv2DTranspose 't' expects inputs with 2 channels"):
            layer(np.zeros((1, 3, 3, 5)))
        with pytest.raises(ValueError, match="Conv2DTranspose 'e': the output would be empty along the height"):
            layers.Conv2DTranspose(1, 2, padding="same", output_padding=0, name="e")(np.zeros((1, 1, 3, 1)))
