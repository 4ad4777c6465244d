"""MaxPooling1D, AveragePooling1D and the global pooling layers: references, shapes, gradients, config, errors."""
import numpy as np
import pytest

import layergraph as lg
from layergraph import layers


def naive_pool1d(x, pool, stride, padding, mode):
    """Loops over windows; "same" windows cover only real steps (TF rule, extra padding after)."""
    n, steps, c = x.shape
    if padding == "same":
        out = -(-steps // stride)
        before = max((out - 1) * stride + pool - steps, 0) // 2
    else:
        out, before = (steps - pool) // stride + 1, 0
    y = np.zeros((n, out, c))
    for t in range(out):
        start = t * stride - before
        window = x[:, max(start, 0):start + pool, :]
        y[:, t] = window.max(axis=1) if mode == "max" else window.mean(axis=1)
    return y


POOL_CASES = [  # pool_size, strides, padding, steps
    (2, None, "valid", 8), (2, None, "valid", 7), (3, 1, "valid", 6), (3, 2, "valid", 9), (2, 3, "valid", 8),
    (2, None, "same", 5), (3, 2, "same", 6), (3, 1, "same", 4), (4, 3, "same", 7),
]
POOL_1D = [(layers.MaxPooling1D, "max"), (layers.AveragePooling1D, "avg")]


class TestPooling1D:
    @pytest.mark.parametrize("pool, strides, padding, steps", POOL_CASES)
    @pytest.mark.parametrize("cls, mode", POOL_1D)
    def test_matches_naive_loops(self, rng, cls, mode, pool, strides, padding, steps):
        layer = cls(pool, strides=strides, padding=padding)
        x = rng.normal(size=(2, steps, 3))
        out = layer(x)
        expected = naive_pool1d(x, pool, strides or pool, padding, mode)
        assert out.shape == expected.shape
        assert layer.compute_output_shape((None, steps, 3)) == (None, *out.shape[1:])
        np.testing.assert_allclose(out, expected, rtol=1e-12)

    @pytest.mark.parametrize("cls", [layers.MaxPooling1D, layers.AveragePooling1D])
    @pytest.mark.parametrize("kwargs, in_shape, out_shape", [
        # the shapes of Keras' MaxPooling1D / AveragePooling1D docstring examples
        (dict(pool_size=2, strides=1, padding="valid"), (1, 5, 1), (1, 4, 1)),
        (dict(pool_size=2, strides=2, padding="valid"), (1, 5, 1), (1, 2, 1)),
        (dict(pool_size=2, strides=1, padding="same"), (1, 5, 1), (1, 5, 1)),
        (dict(), (4, 10, 3), (4, 5, 3)),
    ])
    def test_keras_output_shapes(self, cls, kwargs, in_shape, out_shape):
        assert cls(**kwargs)(np.zeros(in_shape)).shape == out_shape
        assert cls(**kwargs).compute_output_shape((None, *in_shape[1:])) == (None, *out_shape[1:])
        assert cls(**kwargs).compute_output_shape((None, None, 3)) == (None, None, 3)

    def test_keras_docstring_values(self):
        x = np.array([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 5, 1)
        assert layers.MaxPooling1D(2, strides=1, padding="same")(x)[0, :, 0].tolist() == [2, 3, 4, 5, 5]
        assert layers.AveragePooling1D(2, strides=2)(x)[0, :, 0].tolist() == [1.5, 3.5]

    def test_max_gradient_goes_to_the_first_maximum(self):
        layer = layers.MaxPooling1D(3, strides=1)
        x = np.array([[[1.0], [3.0], [3.0], [0.0], [3.0]]])  # ties in every window
        out, cache = layer.forward(x)
        dx, grads = layer.backward(np.array([[[1.0], [10.0], [100.0]]]), cache)
        # windows [1, 3, 3], [3, 3, 0], [3, 0, 3] start at steps 0, 1, 2: first maxima at steps 1, 1, 2
        assert grads == [] and dx[0, :, 0].tolist() == [0.0, 11.0, 100.0, 0.0, 0.0]

    def test_average_same_divides_by_real_steps(self):
        layer = layers.AveragePooling1D(2, padding="same")
        out, cache = layer.forward(np.ones((1, 3, 1)))
        assert out[0, :, 0].tolist() == [1.0, 1.0]  # the last window has one real step
        dx, _ = layer.backward(np.ones_like(out), cache)
        assert dx[0, :, 0].tolist() == [0.5, 0.5, 1.0]

    @pytest.mark.parametrize("pool, strides, padding, steps", POOL_CASES)
    @pytest.mark.parametrize("cls, mode", POOL_1D)
    def test_input_gradient(self, checks, rng, cls, mode, pool, strides, padding, steps):
        checks.input_gradient(cls(pool, strides=strides, padding=padding), rng.normal(size=(2, steps, 2)))

    @pytest.mark.parametrize("cls", [layers.MaxPooling1D, layers.AveragePooling1D])
    def test_weight_gradients_in_a_model(self, checks, rng, cls):
        model = lg.Sequential([layers.Conv1D(3, 2, activation="tanh", input_shape=(9, 2), seed=0),
                               cls(3, strides=2, padding="same"), layers.Flatten(),
                               layers.Dense(2, activation="softmax", seed=1)])
        checks.weights_gradient(model, "sparse_categorical_crossentropy", rng.normal(size=(3, 9, 2)),
                                np.array([1, 0, 1]))

    @pytest.mark.parametrize("cls", [layers.MaxPooling1D, layers.AveragePooling1D])
    def test_float32_config_and_save_load(self, checks, rng, cls, tmp_path):
        out, _ = cls(2).forward(np.ones((1, 4, 2), dtype=np.float32))
        assert out.dtype == np.float32
        layer = cls(3, strides=1, padding="same", name="p")
        x = rng.normal(size=(2, 6, 2))
        clone = checks.config_round_trip(layer, x)
        assert (clone.pool_size, clone.strides, clone.padding) == ((3,), (1,), "same")
        assert layer.get_config()["pool_size"] == [3]
        model = lg.Sequential([layers.Conv1D(2, 2, input_shape=(6, 2), seed=0), cls(2)])
        checks.save_load(model, x, tmp_path / "pool1d.lg")

    def test_default_names_follow_keras(self):
        assert layers.MaxPooling1D().name.startswith("max_pooling1d")
        assert layers.AveragePooling1D().name.startswith("average_pooling1d")

    @pytest.mark.parametrize("cls", [layers.MaxPooling1D, layers.AveragePooling1D])
    @pytest.mark.parametrize("kwargs, match", [
        ({"pool_size": 0}, "pool_size must be a positive integer, got 0"),
        ({"pool_size": (2, 2)}, "pool_size must be a positive integer"),
        ({"strides": -1}, "strides must be a positive integer, got -1"),
        ({"padding": "causal"}, "padding must be one of 'valid', 'same', got 'causal'"),
        ({"data_format": "channels_first"}, "data_format must be 'channels_last' or None"),
    ])
    def test_bad_arguments(self, cls, kwargs, match):
        with pytest.raises(ValueError, match=f"{cls.__name__} 'p': {match}"):
            cls(name="p", **kwargs)

    @pytest.mark.parametrize("cls", [layers.MaxPooling1D, layers.AveragePooling1D])
    def test_bad_inputs(self, cls):
        layer = cls(4, name="p")
        with pytest.raises(ValueError, match=rf"{cls.__name__} 'p' expects inputs of rank 3 \(batch, steps, "
                                             rf"channels\), got shape \(2, 6, 6, 1\)"):
            layer.forward(np.zeros((2, 6, 6, 1)))
        with pytest.raises(ValueError, match=rf"{cls.__name__} 'p': pool_size 4 is larger than the input's 3 steps"):
            layer.forward(np.zeros((2, 3, 1)))


GLOBAL = [(layers.GlobalAveragePooling1D, 1, np.mean), (layers.GlobalMaxPooling1D, 1, np.max),
          (layers.GlobalAveragePooling2D, 2, np.mean), (layers.GlobalMaxPooling2D, 2, np.max)]


class TestGlobalPooling:
    @pytest.mark.parametrize("cls, rank, reduce", GLOBAL)
    @pytest.mark.parametrize("keepdims", [False, True])
    def test_matches_numpy_and_keras_shapes(self, rng, cls, rank, reduce, keepdims):
        shape = (3, 5, 2) if rank == 1 else (3, 4, 5, 2)
        x = rng.normal(size=shape)
        layer = cls(keepdims=keepdims)
        out = layer(x)
        axes = tuple(range(1, rank + 1))
        np.testing.assert_allclose(out, reduce(x, axis=axes, keepdims=keepdims), rtol=1e-12)
        # Keras: (batch, channels), or (batch, 1, channels) / (batch, 1, 1, channels) with keepdims
        assert out.shape == ((3, *(1,) * rank, 2) if keepdims else (3, 2))
        assert layer.compute_output_shape((None, *shape[1:])) == (None, *out.shape[1:])
        assert layer.compute_output_shape((None, *(None,) * rank, 2)) == (None, *out.shape[1:])

    def test_max_gradient_goes_to_the_first_maximum(self):
        x = np.array([[[[1.0], [4.0]], [[4.0], [2.0]]]])  # (1, 2, 2, 1): the maximum 4 twice
        layer = layers.GlobalMaxPooling2D()
        out, cache = layer.forward(x)
        dx, _ = layer.backward(np.array([[5.0]]), cache)
        assert dx[0, :, :, 0].tolist() == [[0.0, 5.0], [0.0, 0.0]]

    def test_average_spreads_evenly(self):
        out, cache = layers.GlobalAveragePooling1D().forward(np.zeros((2, 4, 3)))
        dx, _ = layers.GlobalAveragePooling1D().backward(np.ones((2, 3)), cache)
        np.testing.assert_array_equal(dx, np.full((2, 4, 3), 0.25))

    @pytest.mark.parametrize("cls, rank, reduce", GLOBAL)
    @pytest.mark.parametrize("keepdims", [False, True])
    def test_input_gradient(self, checks, rng, cls, rank, reduce, keepdims):
        shape = (2, 4, 3) if rank == 1 else (2, 3, 3, 2)
        checks.input_gradient(cls(keepdims=keepdims), rng.normal(size=shape))

    @pytest.mark.parametrize("cls, rank, reduce", GLOBAL)
    def test_weight_gradients_in_a_model(self, checks, rng, cls, rank, reduce):
        conv = (layers.Conv1D(3, 2, activation="tanh", input_shape=(6, 2), bias_initializer="random_normal", seed=0)
                if rank == 1 else
                layers.Conv2D(3, 2, activation="tanh", input_shape=(4, 4, 2), bias_initializer="random_normal",
                              seed=0))
        model = lg.Sequential([conv, cls(), layers.Dense(2, activation="softmax", seed=1)])
        x = rng.normal(size=(3, 6, 2) if rank == 1 else (3, 4, 4, 2))
        checks.weights_gradient(model, "sparse_categorical_crossentropy", x, np.array([0, 1, 1]))

    @pytest.mark.parametrize("cls, rank, reduce", GLOBAL)
    def test_float32_config_and_save_load(self, checks, rng, cls, rank, reduce, tmp_path):
        shape = (2, 5, 3) if rank == 1 else (2, 3, 4, 3)
        out, _ = cls().forward(np.ones(shape, dtype=np.float32))
        assert out.dtype == np.float32
        x = rng.normal(size=shape)
        clone = checks.config_round_trip(cls(keepdims=True, name="g"), x)
        assert clone.keepdims is True and clone.get_config()["data_format"] == "channels_last"
        model = lg.Sequential([layers.Dense(2, input_shape=shape[1:], seed=0), cls()])
        checks.save_load(model, x, tmp_path / "global.lg")

    @pytest.mark.parametrize("cls, rank, reduce", GLOBAL)
    def test_default_names_and_bad_input(self, cls, rank, reduce):
        keras_name = {"GlobalAveragePooling1D": "global_average_pooling1d", "GlobalMaxPooling1D":
                      "global_max_pooling1d", "GlobalAveragePooling2D": "global_average_pooling2d",
                      "GlobalMaxPooling2D": "global_max_pooling2d"}[cls.__name__]
        assert cls().name.startswith(keras_name)
        layer = cls(name="g")
        wrong = (2, 3, 4, 5) if rank == 1 else (2, 3, 4)
        with pytest.raises(ValueError, match=rf"{cls.__name__} 'g' expects inputs of rank {rank + 2} "
                                             rf"\(batch, .*channels\), got shape \({', '.join(map(str, wrong))}\)"):
            layer.forward(np.zeros(wrong))
        with pytest.raises(ValueError, match=f"{cls.__name__} 'g': keepdims must be True or False, got 'yes'"):
            cls(keepdims="yes", name="g")
        with pytest.raises(ValueError, match=f"{cls.__name__} 'g': data_format must be"):
            cls("channels_first", name="g")
