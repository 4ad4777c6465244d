"""ReLU, LeakyReLU and Softmax layers: Keras' formulas, gradients, the fused softmax output, config, errors."""
import numpy as np
import pytest

import layergraph as lg
from layergraph import activations, layers


def keras_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras 3's ``activations.relu`` written out element by element."""
    out = np.empty_like(x)
    for i, v in np.ndenumerate(x):
        if v > threshold:
            out[i] = v if max_value is None else min(v, max_value)
        else:
            out[i] = negative_slope * (v - threshold)
    return out


RELU_CASES = [dict(), dict(max_value=6.0), dict(negative_slope=0.5), dict(threshold=1.0),
              dict(max_value=2.5, negative_slope=0.2, threshold=0.5), dict(max_value=0.0)]


class TestReLU:
    @pytest.mark.parametrize("kwargs", RELU_CASES)
    def test_matches_the_formula(self, rng, kwargs):
        x = rng.normal(scale=3, size=(4, 6))
        np.testing.assert_allclose(layers.ReLU(**kwargs)(x), keras_relu(x, **kwargs), rtol=1e-15)

    def test_keras_docstring_example(self):
        x = np.array([[-10.0, -5.0, 0.0, 5.0, 10.0]])
        out = layers.ReLU(max_value=10, negative_slope=0.5, threshold=0)(x)
        assert out.tolist() == [[-5.0, -2.5, 0.0, 5.0, 10.0]]
        # keras.activations.relu(x, threshold=5.0) -> [-0., -0., 0., 0., 10.]
        assert layers.ReLU(threshold=5.0)(x).tolist() == [[0.0, 0.0, 0.0, 0.0, 10.0]]

    @pytest.mark.parametrize("kwargs", RELU_CASES)
    def test_input_gradient(self, checks, rng, kwargs):
        x = rng.normal(scale=3, size=(3, 5))
        x[np.abs(x - kwargs.get("threshold", 0.0)) < 1e-3] += 0.01  # away from the kinks
        checks.input_gradient(layers.ReLU(**kwargs), x)

    def test_derivative_values(self):
        layer = layers.ReLU(max_value=2.0, negative_slope=0.25, threshold=1.0)
        x = np.array([[-1.0, 0.5, 1.5, 3.0]])
        out, cache = layer.forward(x)
        dx, grads = layer.backward(np.ones_like(x), cache)
        assert dx.tolist() == [[0.25, 0.25, 1.0, 0.0]] and grads == []

    def test_weight_gradients_float32_config_and_save_load(self, checks, rng, tmp_path):
        model = lg.Sequential([layers.Dense(4, input_shape=(3,), bias_initializer="random_normal", seed=0),
                               layers.ReLU(max_value=1.5, negative_slope=0.1),
                               layers.Dense(2, activation="softmax", seed=1)])
        x = rng.normal(size=(5, 3))
        checks.weights_gradient(model, "sparse_categorical_crossentropy", x, np.array([0, 1, 1, 0, 1]))
        checks.save_load(model, x, tmp_path / "relu.lg")
        clone = checks.config_round_trip(layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.2), x)
        assert (clone.max_value, clone.negative_slope, clone.threshold) == (6.0, 0.1, 0.2)
        out, cache = layers.ReLU(negative_slope=0.1).forward(x.astype(np.float32))
        assert out.dtype == np.float32
        assert layers.ReLU(negative_slope=0.1).backward(np.ones_like(out), cache)[0].dtype == np.float32

    @pytest.mark.parametrize("kwargs, match", [
        (dict(max_value=-1.0), "max_value must be a number >= 0 or None, got -1.0"),
        (dict(negative_slope=None), "negative_slope must be a number >= 0, got None"),
        (dict(negative_slope=-0.1), "negative_slope must be a number >= 0, got -0.1"),
        (dict(threshold=-2), "threshold must be a number >= 0, got -2"),
        (dict(threshold="1"), "threshold must be a number >= 0, got '1'"),
    ])
    def test_bad_arguments(self, kwargs, match):
        assert layers.ReLU().name.startswith("re_lu")  # Keras' default name
        with pytest.raises(ValueError, match=f"ReLU 'r': {match}"):
            layers.ReLU(name="r", **kwargs)


class TestLeakyReLU:
    def test_formula_default_slope_and_keras_example(self, rng):
        x = rng.normal(size=(3, 4))
        np.testing.assert_array_equal(layers.LeakyReLU()(x), np.where(x >= 0, x, 0.3 * x))
        out = layers.LeakyReLU(negative_slope=0.5)(np.array([[-10.0, -5.0, 0.0, 5.0, 10.0]]))
        assert out.tolist() == [[-5.0, -2.5, 0.0, 5.0, 10.0]]

    def test_alpha_is_deprecated(self):
        with pytest.warns(UserWarning, match="alpha is deprecated"):
            layer = layers.LeakyReLU(alpha=0.1)
        assert layer.negative_slope == 0.1 and "alpha" not in layer.get_config()

    def test_gradients_config_and_save_load(self, checks, rng, tmp_path):
        checks.input_gradient(layers.LeakyReLU(0.2), rng.normal(size=(3, 4)))
        model = lg.Sequential([layers.Conv1D(2, 2, input_shape=(5, 1), seed=0), layers.LeakyReLU(),
                               layers.Flatten(), layers.Dense(1, seed=1)])
        x = rng.normal(size=(3, 5, 1))
        checks.weights_gradient(model, "mse", x, rng.normal(size=(3, 1)))
        checks.save_load(model, x, tmp_path / "leaky.lg")
        assert checks.config_round_trip(layers.LeakyReLU(0.05), x).negative_slope == 0.05
        assert layers.LeakyReLU().forward(np.ones((1, 2), dtype=np.float32))[0].dtype == np.float32

    def test_bad_slope_and_name(self):
        assert layers.LeakyReLU().name.startswith("leaky_re_lu")
        with pytest.raises(ValueError, match="LeakyReLU 'l': negative_slope must be a number >= 0, got -0.3"):
            layers.LeakyReLU(-0.3, name="l")


class TestSoftmax:
    def test_rows_sum_to_one_and_keras_example(self, rng):
        out = layers.Softmax()(np.array([[1.0, 2.0, 1.0]]))
        np.testing.assert_allclose(out, [[0.21194157, 0.5761169, 0.21194157]], atol=1e-8)
        x = rng.normal(scale=300, size=(4, 6))  # large logits: no overflow
        out = layers.Softmax()(x)
        np.testing.assert_allclose(out.sum(axis=-1), 1.0)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        np.testing.assert_allclose(out, e / e.sum(axis=-1, keepdims=True), rtol=1e-12)

    @pytest.mark.parametrize("axis, sum_axes", [(1, (1,)), (-2, (2,)), ([1, 2], (1, 2)), ((2, -1), (2, 3))])
    def test_other_axes(self, rng, axis, sum_axes):
        x = rng.normal(size=(2, 3, 4, 5))
        out = layers.Softmax(axis=axis)(x)
        e = np.exp(x - x.max(axis=sum_axes, keepdims=True))
        np.testing.assert_allclose(out, e / e.sum(axis=sum_axes, keepdims=True), rtol=1e-12)
        assert layers.Softmax(axis=axis).compute_output_shape((None, 3, 4, 5)) == (None, 3, 4, 5)

    @pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
    def test_input_gradient(self, checks, rng, axis):
        checks.input_gradient(layers.Softmax(axis=axis), rng.normal(size=(2, 3, 3)))

    def test_last_axis_softmax_gets_the_fused_cross_entropy_gradient(self, rng, monkeypatch):
        model = lg.Sequential([layers.Dense(3, input_shape=(4,), seed=0), layers.Softmax()])
        assert isinstance(layers.Softmax().activation, activations.Softmax)  # what the losses fuse with
        assert isinstance(layers.Softmax(axis=2).activation, activations.Softmax) is False
        built = layers.Softmax(axis=2)
        built.build((None, 5, 3))  # axis 2 is the last axis of rank-3 inputs
        assert isinstance(built.activation, activations.Softmax)
        calls = []
        original = activations.Softmax.backward
        monkeypatch.setattr(activations.Softmax, "backward", lambda *a: calls.append(1) or original(*a))
        x, y = rng.normal(size=(5, 4)), np.array([0, 2, 1, 1, 0])
        lg.gradients.AnalyticGradient().gradients(model, "sparse_categorical_crossentropy", x, y)
        assert calls == []  # started from dL/dz = (p - t) / N: the softmax Jacobian was never applied

    @pytest.mark.parametrize("axis", [-1, 1])
    def test_weight_gradients_save_load_and_float32(self, checks, rng, axis, tmp_path):
        model = lg.Sequential([layers.Dense(4, input_shape=(3, 2), seed=0), layers.Softmax(axis=axis),
                               layers.Flatten(), layers.Dense(2, activation="softmax", seed=1)])
        x = rng.normal(size=(4, 3, 2))
        checks.weights_gradient(model, "sparse_categorical_crossentropy", x, np.array([0, 1, 1, 0]))
        checks.save_load(model, x, tmp_path / "softmax.lg")
        clone = checks.config_round_trip(layers.Softmax(axis=[1, 2]), x)
        assert clone.axis == [1, 2] and "activation" not in clone.get_config()
        assert layers.Softmax().forward(np.ones((1, 2), dtype=np.float32))[0].dtype == np.float32

    def test_output_layer_trains_like_dense_softmax(self, rng):
        x, y = rng.normal(size=(8, 3)), rng.integers(0, 3, size=8)
        split = lg.Sequential([layers.Dense(3, input_shape=(3,), seed=0), layers.Softmax()])
        fused = lg.Sequential([layers.Dense(3, activation="softmax", input_shape=(3,), seed=0)])
        loss_a, grads_a = lg.gradients.AnalyticGradient().gradients(split, "sparse_categorical_crossentropy", x, y)
        loss_b, grads_b = lg.gradients.AnalyticGradient().gradients(fused, "sparse_categorical_crossentropy", x, y)
        assert loss_a == pytest.approx(loss_b, rel=1e-14)
        for a, b in zip(grads_a, grads_b, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-13)

    @pytest.mark.parametrize("axis, match", [("last", "axis must be an integer or a list of distinct integers"),
                                             ([1, 1], "axis must be an integer or a list of distinct integers"),
                                             ([], "axis must be an integer or a list")])
    def test_bad_axis(self, axis, match):
        with pytest.raises(ValueError, match=f"Softmax 's': {match}"):
            layers.Softmax(axis=axis, name="s")

    def test_axis_out_of_range_or_batch(self):
        assert layers.Softmax().name.startswith("softmax")
        with pytest.raises(ValueError, match=r"Softmax 's': axis 3 is out of range for inputs of rank 3"):
            layers.Softmax(axis=3, name="s")(np.zeros((2, 3, 4)))
        with pytest.raises(ValueError, match=r"Softmax 's': axis \[0, 1\] includes the batch axis 0"):
            layers.Softmax(axis=[0, 1], name="s")(np.zeros((2, 3)))
