"""UpSampling2D, ZeroPadding2D, Cropping2D and Rescaling: references, shapes, gradients, config, errors."""
import math

import numpy as np
import pytest

import layergraph as lg
from layergraph import layers


def naive_bilinear(x, sh, sw):
    """TF/Keras half-pixel bilinear resize by loops: sample at (o + 0.5) / s - 0.5, clamped to the edge pixels."""
    n, h, w, c = x.shape
    out = np.zeros((n, h * sh, w * sw, c))
    for oy in range(h * sh):
        sy = min(max((oy + 0.5) / sh - 0.5, 0.0), h - 1.0)
        y0 = math.floor(sy)
        y1, fy = min(y0 + 1, h - 1), sy - y0
        for ox in range(w * sw):
            sx = min(max((ox + 0.5) / sw - 0.5, 0.0), w - 1.0)
            x0 = math.floor(sx)
            x1, fx = min(x0 + 1, w - 1), sx - x0
            out[:, oy, ox] = ((1 - fy) * ((1 - fx) * x[:, y0, x0] + fx * x[:, y0, x1])
                              + fy * ((1 - fx) * x[:, y1, x0] + fx * x[:, y1, x1]))
    return out


def naive_nearest(x, sh, sw):
    n, h, w, c = x.shape
    out = np.zeros((n, h * sh, w * sw, c))
    for oy in range(h * sh):
        for ox in range(w * sw):
            out[:, oy, ox] = x[:, oy // sh, ox // sw]
    return out


class TestUpSampling2D:
    @pytest.mark.parametrize("size", [2, (1, 3), (3, 2), (2, 1)])
    @pytest.mark.parametrize("interpolation, reference", [("nearest", naive_nearest), ("bilinear", naive_bilinear)])
    def test_matches_naive_loops_and_shapes(self, rng, size, interpolation, reference):
        layer = layers.UpSampling2D(size, interpolation=interpolation)
        x = rng.normal(size=(2, 3, 4, 2))
        out = layer(x)
        sh, sw = layer.size
        assert out.shape == (2, 3 * sh, 4 * sw, 2)  # Keras: (batch, rows * size[0], cols * size[1], channels)
        assert layer.compute_output_shape((None, 3, 4, 2)) == (None, *out.shape[1:])
        assert layer.compute_output_shape((None, None, 4, 2)) == (None, None, 4 * sw, 2)
        np.testing.assert_allclose(out, reference(x, sh, sw), rtol=1e-12, atol=1e-14)

    def test_hand_computed_bilinear(self):
        # rows [0, 4] doubled: samples at -0.25, 0.25, 0.75, 1.25 -> clamped 0, 0.25, 0.75, 1
        x = np.array([0.0, 4.0]).reshape(1, 2, 1, 1)
        out = layers.UpSampling2D((2, 1), interpolation="bilinear")(x)
        assert out[0, :, 0, 0].tolist() == [0.0, 1.0, 3.0, 4.0]

    def test_keras_docstring_shape(self):
        # keras.layers.UpSampling2D(size=(1, 2)) on np.arange(12).reshape(2, 2, 1, 3) -> (2, 2, 2, 3)
        out = layers.UpSampling2D(size=(1, 2))(np.arange(12).reshape(2, 2, 1, 3))
        assert out.shape == (2, 2, 2, 3) and out[0, 0].tolist() == [[0, 1, 2], [0, 1, 2]]

    @pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
    @pytest.mark.parametrize("size", [2, (1, 3), (3, 2)])
    def test_input_gradient(self, checks, rng, interpolation, size):
        checks.input_gradient(layers.UpSampling2D(size, interpolation=interpolation), rng.normal(size=(2, 3, 2, 2)))

    @pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
    def test_weight_gradients_float32_config_and_save_load(self, checks, rng, interpolation, tmp_path):
        model = lg.Sequential([layers.Conv2D(2, 2, activation="tanh", input_shape=(3, 3, 1), seed=0),
                               layers.UpSampling2D((2, 3), interpolation=interpolation),
                               layers.Conv2D(1, 2, activation="sigmoid", seed=1)])
        x = rng.normal(size=(2, 3, 3, 1))
        y = (rng.random(size=(2, 3, 5, 1)) > 0.5).astype(float)
        checks.weights_gradient(model, "binary_crossentropy", x, y)
        checks.save_load(model, x, tmp_path / "up.lg")
        clone = checks.config_round_trip(layers.UpSampling2D((2, 3), interpolation=interpolation), x)
        assert clone.size == (2, 3) and clone.interpolation == interpolation
        out, cache = layers.UpSampling2D(interpolation=interpolation).forward(x.astype(np.float32))
        dx, _ = layers.UpSampling2D(interpolation=interpolation).backward(np.ones_like(out), cache)
        assert out.dtype == dx.dtype == np.float32

    def test_errors_name_the_layer(self):
        assert layers.UpSampling2D().name.startswith("up_sampling2d")
        with pytest.raises(ValueError, match="UpSampling2D 'u': size must be a positive integer or a tuple of 2"):
            layers.UpSampling2D((2, 0), name="u")
        with pytest.raises(ValueError, match="UpSampling2D 'u': interpolation must be one of 'nearest', 'bilinear', "
                                             "got 'bicubic'"):
            layers.UpSampling2D(interpolation="bicubic", name="u")
        with pytest.raises(ValueError, match=r"UpSampling2D 'u' expects inputs of rank 4 .* got shape \(2, 3, 4\)"):
            layers.UpSampling2D(name="u").forward(np.zeros((2, 3, 4)))


PAD_FORMS = [  # argument, ((top, bottom), (left, right))
    (1, ((1, 1), (1, 1))), (0, ((0, 0), (0, 0))), ((2, 1), ((2, 2), (1, 1))),
    (((1, 0), (0, 3)), ((1, 0), (0, 3))), ([[0, 2], [1, 1]], ((0, 2), (1, 1))),
]


class TestZeroPadding2D:
    @pytest.mark.parametrize("padding, pairs", PAD_FORMS)
    def test_matches_numpy_pad_and_keras_shape(self, rng, padding, pairs):
        layer = layers.ZeroPadding2D(padding)
        assert layer.padding == pairs
        x = rng.normal(size=(2, 3, 4, 2))
        out = layer(x)
        np.testing.assert_array_equal(out, np.pad(x, ((0, 0), *pairs, (0, 0))))
        (top, bottom), (left, right) = pairs
        # Keras: (batch, padded_rows, padded_cols, channels)
        assert out.shape == (2, 3 + top + bottom, 4 + left + right, 2)
        assert layer.compute_output_shape((None, 3, 4, 2)) == (None, *out.shape[1:])

    def test_keras_docstring_example(self):
        out = layers.ZeroPadding2D(padding=1)(np.arange(4).reshape(1, 1, 2, 2))
        assert out.shape == (1, 3, 4, 2) and out[0, 1, 1:3].tolist() == [[0, 1], [2, 3]]

    @pytest.mark.parametrize("padding, pairs", PAD_FORMS)
    def test_input_gradient(self, checks, rng, padding, pairs):
        checks.input_gradient(layers.ZeroPadding2D(padding), rng.normal(size=(2, 2, 3, 2)))

    def test_weight_gradients_float32_config_and_save_load(self, checks, rng, tmp_path):
        model = lg.Sequential([layers.Conv2D(2, 2, activation="tanh", input_shape=(4, 4, 1), seed=0),
                               layers.ZeroPadding2D(((1, 0), (2, 1))), layers.Conv2D(2, 3, seed=1),
                               layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax", seed=2)])
        x = rng.normal(size=(3, 4, 4, 1))
        checks.weights_gradient(model, "sparse_categorical_crossentropy", x, np.array([0, 1, 0]))
        checks.save_load(model, x, tmp_path / "pad.lg")
        clone = checks.config_round_trip(layers.ZeroPadding2D(((1, 0), (2, 1))), x)
        assert clone.padding == ((1, 0), (2, 1))
        assert layers.ZeroPadding2D(2).forward(np.ones((1, 2, 2, 1), dtype=np.float32))[0].dtype == np.float32

    @pytest.mark.parametrize("padding", [-1, (1, 2, 3), ((1, 2), (3,)), "same", ((1, -1), (0, 0)), 1.5])
    def test_bad_padding(self, padding):
        with pytest.raises(ValueError, match="ZeroPadding2D 'z': padding must be a non-negative integer, a pair"):
            layers.ZeroPadding2D(padding, name="z")

    def test_bad_input_and_name(self):
        assert layers.ZeroPadding2D().name.startswith("zero_padding2d")
        with pytest.raises(ValueError, match=r"ZeroPadding2D 'z' expects inputs of rank 4 .* got shape \(3, 4\)"):
            layers.ZeroPadding2D(name="z").forward(np.zeros((3, 4)))


class TestCropping2D:
    @pytest.mark.parametrize("cropping, pairs", PAD_FORMS)
    def test_matches_slicing_and_keras_shape(self, rng, cropping, pairs):
        layer = layers.Cropping2D(cropping)
        x = rng.normal(size=(2, 6, 7, 2))
        out = layer(x)
        (top, bottom), (left, right) = pairs
        np.testing.assert_array_equal(out, x[:, top:6 - bottom, left:7 - right])
        # Keras: (batch, cropped_rows, cropped_cols, channels)
        assert out.shape == (2, 6 - top - bottom, 7 - left - right, 2)
        assert layer.compute_output_shape((None, 6, 7, 2)) == (None, *out.shape[1:])

    def test_keras_docstring_shape(self):
        # keras: Cropping2D(cropping=((2, 2), (4, 4))) on (2, 28, 28, 3) -> (2, 24, 20, 3)
        assert layers.Cropping2D(((2, 2), (4, 4)))(np.zeros((2, 28, 28, 3))).shape == (2, 24, 20, 3)

    def test_cropping_undoes_zero_padding(self, rng):
        x = rng.normal(size=(2, 3, 3, 1))
        pad = ((1, 2), (0, 3))
        np.testing.assert_array_equal(layers.Cropping2D(pad)(layers.ZeroPadding2D(pad)(x)), x)

    @pytest.mark.parametrize("cropping, pairs", PAD_FORMS)
    def test_input_gradient(self, checks, rng, cropping, pairs):
        checks.input_gradient(layers.Cropping2D(cropping), rng.normal(size=(1, 5, 5, 2)))

    def test_weight_gradients_config_and_save_load(self, checks, rng, tmp_path):
        model = lg.Sequential([layers.Conv2D(2, 2, activation="tanh", input_shape=(5, 5, 1), seed=0),
                               layers.Cropping2D(((1, 0), (0, 2))), layers.Flatten(),
                               layers.Dense(2, activation="softmax", seed=1)])
        x = rng.normal(size=(3, 5, 5, 1))
        checks.weights_gradient(model, "sparse_categorical_crossentropy", x, np.array([1, 1, 0]))
        checks.save_load(model, x, tmp_path / "crop.lg")
        clone = checks.config_round_trip(layers.Cropping2D((1, 2)), x)
        assert clone.cropping == ((1, 1), (2, 2))
        assert layers.Cropping2D(1).forward(np.ones((1, 4, 4, 1), dtype=np.float32))[0].dtype == np.float32

    def test_errors_name_the_layer(self):
        assert layers.Cropping2D().name.startswith("cropping2d")
        with pytest.raises(ValueError, match="Cropping2D 'c': cropping must be a non-negative integer"):
            layers.Cropping2D(-2, name="c")
        layer = layers.Cropping2D(((2, 2), (0, 0)), name="c")
        with pytest.raises(ValueError, match=r"Cropping2D 'c': cropping \(\(2, 2\), \(0, 0\)\) leaves no height of "
                                             r"the input \(input shape \(None, 4, 9, 1\)\)"):
            layer(np.zeros((1, 4, 9, 1)))
        assert not layer.built
        with pytest.raises(ValueError, match=r"Cropping2D 'c' expects inputs of rank 4"):
            layer.forward(np.zeros((1, 9, 9)))


class TestRescaling:
    def test_keras_examples(self):
        pixels = np.array([[0.0, 127.5, 255.0]])
        np.testing.assert_allclose(layers.Rescaling(1 / 255)(pixels), [[0.0, 0.5, 1.0]])
        np.testing.assert_allclose(layers.Rescaling(1 / 127.5, offset=-1)(pixels), [[-1.0, 0.0, 1.0]])

    def test_per_channel_scale_and_integer_input(self):
        layer = layers.Rescaling([1.0, 10.0], offset=[0.0, 1.0])
        out = layer(np.array([[[1, 2], [3, 4]]], dtype=np.uint8))  # (1, 2, 2), channels last
        assert out.dtype == np.float64 and out.tolist() == [[[1.0, 21.0], [3.0, 41.0]]]
        assert layer.compute_output_shape((None, 2, 2)) == (None, 2, 2)

    def test_input_gradient_and_weight_gradients(self, checks, rng):
        checks.input_gradient(layers.Rescaling([0.5, -2.0, 3.0], offset=1.0), rng.normal(size=(2, 4, 3)))
        model = lg.Sequential([layers.Dense(3, activation="tanh", input_shape=(2,), seed=0),
                               layers.Rescaling(2.5, offset=-0.5), layers.Dense(1, seed=1)])
        checks.weights_gradient(model, "mse", rng.normal(size=(4, 2)), rng.normal(size=(4, 1)))

    def test_float32_config_and_save_load(self, checks, rng, tmp_path):
        out, _ = layers.Rescaling(1 / 255, dtype="float32").forward(np.full((1, 2), 255, dtype=np.uint8))
        assert out.dtype == np.float32 and out.tolist() == [[1.0, 1.0]]
        x = rng.normal(size=(2, 3))
        clone = checks.config_round_trip(layers.Rescaling([1.0, 2.0, 3.0], offset=0.5), x)
        assert clone.get_config()["scale"] == [1.0, 2.0, 3.0] and clone.get_config()["offset"] == 0.5
        model = lg.Sequential([layers.Rescaling(1 / 255, input_shape=(3,)), layers.Dense(2, seed=0)])
        checks.save_load(model, x, tmp_path / "rescale.lg")

    @pytest.mark.parametrize("scale, match", [("half", "scale must be a finite number"),
                                              (np.inf, "scale must be a finite number"),
                                              ([], "scale must be a finite number"), (True, "scale")])
    def test_bad_arguments(self, scale, match):
        assert layers.Rescaling(1.0).name.startswith("rescaling")
        with pytest.raises(ValueError, match=f"Rescaling 'r': {match}"):
            layers.Rescaling(scale, name="r")
        with pytest.raises(ValueError, match="Rescaling 'r': offset must be a finite number"):
            layers.Rescaling(1.0, offset=float("nan"), name="r")

    def test_scale_that_does_not_fit_the_features(self):
        layer = layers.Rescaling([1.0, 2.0], name="r")
        with pytest.raises(ValueError, match=r"Rescaling 'r': scale of shape \(2,\) does not broadcast against the "
                                             r"input features \(3,\)"):
            layer(np.ones((4, 3)))
        with pytest.raises(ValueError, match=r"Rescaling 'r': scale of shape \(2, 1\)"):
            layers.Rescaling(np.ones((2, 1)), name="r")(np.ones((4, 3)))  # would enlarge the features
