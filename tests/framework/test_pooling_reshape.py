"""MaxPooling2D, AveragePooling2D, Flatten, Reshape: references, gradients, errors, config."""
import json

import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers


def naive_pool(x, pool, strides, padding, mode):
    """Loops over windows; "same" windows cover only real pixels (TF rule)."""
    n, h, w, c = x.shape
    (ph, pw), (sh, sw) = pool, strides
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        top = max((oh - 1) * sh + ph - h, 0) // 2
        left = max((ow - 1) * sw + pw - w, 0) // 2
    else:
        oh, ow = (h - ph) // sh + 1, (w - pw) // sw + 1
        top = left = 0
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - top, j * sw - left
            window = x[:, max(r0, 0):r0 + ph, max(c0, 0):c0 + pw, :]
            out[:, i, j, :] = window.max(axis=(1, 2)) if mode == "max" else window.mean(axis=(1, 2))
    return out


def naive_max_pool_grad(x, grad, pool, strides):
    """Each window's gradient to its first maximum in row-major order ("valid")."""
    dx = np.zeros_like(x)
    (ph, pw), (sh, sw) = pool, strides
    for b in range(x.shape[0]):
        for i in range(grad.shape[1]):
            for j in range(grad.shape[2]):
                for ch in range(x.shape[3]):
                    window = x[b, i * sh:i * sh + ph, j * sw:j * sw + pw, ch]
                    r, c = np.unravel_index(np.argmax(window), window.shape)  # argmax: first maximum
                    dx[b, i * sh + r, j * sw + c, ch] += grad[b, i, j, ch]
    return dx


def _check(model, loss, x, y, tol=1e-6):
    errors = gradients.check(model, loss, x, y)
    assert len(errors) == len(model.trainable_weights)
    assert max(errors) < tol, errors


CASES = [  # pool_size, strides, padding, input (h, w)
    (2, None, "valid", (6, 6)),
    (2, None, "valid", (7, 5)),  # last row/column dropped
    ((2, 3), None, "valid", (6, 7)),
    (3, 2, "valid", (7, 7)),  # overlapping windows
    (3, 1, "valid", (5, 6)),
    (2, None, "same", (5, 5)),  # padded bottom/right
    (3, 2, "same", (6, 5)),
    (2, 3, "valid", (8, 8)),  # gaps between windows
]


class TestPoolingForward:
    @pytest.mark.parametrize("pool, strides, padding, hw", CASES)
    @pytest.mark.parametrize("layer_cls, mode", [(layers.MaxPooling2D, "max"), (layers.AveragePooling2D, "avg")])
    def test_matches_naive_loops(self, rng, pool, strides, padding, hw, layer_cls, mode):
        layer = layer_cls(pool, strides=strides, padding=padding)
        x = rng.normal(size=(2, *hw, 3))
        expected = naive_pool(x, layer.pool_size, layer.strides, padding, mode)
        out = layer(x)
        assert out.shape == expected.shape
        assert layer.compute_output_shape((None, *hw, 3)) == (None, *out.shape[1:])
        np.testing.assert_allclose(out, expected, rtol=1e-12)

    def test_default_strides_equal_pool_size(self):
        layer = layers.MaxPooling2D((2, 3))
        assert layer.strides == (2, 3) and layer.name.startswith("max_pooling2d")
        assert layers.AveragePooling2D().name.startswith("average_pooling2d")

    def test_float32_stays_float32(self):
        x = np.arange(32, dtype=np.float32).reshape(1, 4, 4, 2)
        for cls in (layers.MaxPooling2D, layers.AveragePooling2D):
            out, cache = cls(2, dtype="float32").forward(x)
            assert out.dtype == np.float32


class TestPoolingBackward:
    @pytest.mark.parametrize("pool, strides, hw", [(2, None, (6, 6)), (2, None, (7, 5)), (3, 2, (7, 7)),
                                                   ((2, 3), (1, 2), (5, 7))])
    def test_max_routes_to_first_maximum_like_naive(self, rng, pool, strides, hw):
        layer = layers.MaxPooling2D(pool, strides=strides)
        x = rng.integers(0, 3, size=(2, *hw, 3)).astype(float)  # many ties
        out, cache = layer.forward(x)
        grad = rng.normal(size=out.shape)
        dx, weight_grads = layer.backward(grad, cache)
        assert weight_grads == []
        np.testing.assert_allclose(dx, naive_max_pool_grad(x, grad, layer.pool_size, layer.strides))

    def test_ties_go_to_the_first_element_only(self):
        layer = layers.MaxPooling2D(2)
        x = np.zeros((1, 2, 2, 1))
        out, cache = layer.forward(x)
        dx, _ = layer.backward(np.ones_like(out), cache)
        assert dx[0, :, :, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]

    def test_same_padding_never_routes_to_padding(self, rng):
        layer = layers.MaxPooling2D(2, padding="same")
        x = -np.abs(rng.normal(size=(1, 3, 3, 2)))  # all negative: padding must not win
        out, cache = layer.forward(x)
        dx, _ = layer.backward(np.ones_like(out), cache)
        assert dx.shape == x.shape and dx.sum() == out.size

    def test_average_spreads_evenly(self):
        layer = layers.AveragePooling2D(2)
        out, cache = layer.forward(np.zeros((1, 5, 4, 1)))
        dx, _ = layer.backward(np.ones_like(out), cache)
        np.testing.assert_allclose(dx[0, :4, :, 0], 0.25)
        np.testing.assert_allclose(dx[0, 4, :, 0], 0.0)  # the dropped row

    @pytest.mark.parametrize("pool, strides, padding", [(2, None, "valid"), (3, 2, "valid"), (2, None, "same"),
                                                        (3, 2, "same")])
    @pytest.mark.parametrize("pool_cls", [layers.MaxPooling2D, layers.AveragePooling2D])
    def test_gradient_check_in_a_conv_net(self, rng, pool, strides, padding, pool_cls):
        model = lg.Sequential([
            layers.Conv2D(2, 2, activation="tanh", input_shape=(6, 5, 2), bias_initializer="random_normal", seed=0),
            pool_cls(pool, strides=strides, padding=padding),
            layers.Flatten(),
            layers.Dense(2, activation="softmax", seed=1),
        ])
        x = rng.normal(size=(2, 6, 5, 2))  # continuous values: no ties in the max windows
        _check(model, "sparse_categorical_crossentropy", x, np.array([1, 0]))


class TestPoolingErrors:
    @pytest.mark.parametrize("kwargs, match", [
        ({"pool_size": 0}, "pool_size must be a positive integer"),
        ({"pool_size": (2, 0)}, "pool_size"),
        ({"pool_size": 2.0}, "pool_size"),
        ({"pool_size": 2, "strides": 0}, "strides must be a positive integer"),
        ({"pool_size": 2, "strides": (1, 2, 3)}, "strides"),
        ({"pool_size": 2, "padding": "causal"}, "padding must be 'valid' or 'same'"),
    ])
    @pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
    def test_invalid_arguments(self, cls, kwargs, match):
        with pytest.raises(ValueError, match=match):
            cls(**kwargs)

    @pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
    def test_wrong_rank_and_too_small_input(self, cls):
        layer = cls(3, name="pool")
        with pytest.raises(ValueError, match=r"'pool'.*rank 4.*\(4, 5\)"):
            layer.forward(np.zeros((4, 5)))
        with pytest.raises(ValueError, match=r"'pool'.*pool_size \(3, 3\) is larger than.*\(2, 5\)"):
            layer(np.zeros((1, 2, 5, 1)))
        assert layer(np.zeros((1, 3, 5, 1))).shape == (1, 1, 1, 1)


class TestFlatten:
    def test_forward_backward_shapes(self, rng):
        layer = layers.Flatten()
        x = rng.normal(size=(3, 2, 4, 5))
        out, cache = layer.forward(x)
        np.testing.assert_array_equal(out, x.reshape(3, 40))
        dx, grads = layer.backward(out * 2, cache)
        np.testing.assert_array_equal(dx, x * 2)
        assert grads == []
        assert layer.compute_output_shape((None, 2, 4, 5)) == (None, 40)

    def test_rank_one_and_empty_batches(self):
        assert layers.Flatten()(np.zeros(4)).shape == (4, 1)
        assert layers.Flatten()(np.zeros((0, 3, 2))).shape == (0, 6)

    def test_channels_last_order_matches_keras(self):
        x = np.arange(8.0).reshape(1, 2, 2, 2)
        assert layers.Flatten()(x).tolist() == [[0, 1, 2, 3, 4, 5, 6, 7]]


class TestReshape:
    def test_forward_backward(self, rng):
        layer = layers.Reshape((3, -1))
        x = rng.normal(size=(2, 12))
        out, cache = layer.forward(x)
        assert out.shape == (2, 3, 4)
        dx, _ = layer.backward(out, cache)
        np.testing.assert_array_equal(dx, x)
        assert layer.compute_output_shape((None, 6, 2)) == (None, 3, 4)

    def test_int_target(self):
        assert layers.Reshape(6)(np.zeros((2, 2, 3))).shape == (2, 6)

    @pytest.mark.parametrize("target, match", [
        ((-1, -1), "at most one -1"),
        ((0, 3), "positive integers"),
        ((2, -2), "positive integers"),
        ((), "positive integers"),
        ("3", "positive integers"),
        ((2.0, 3), "positive integers"),
    ])
    def test_invalid_target_shape(self, target, match):
        with pytest.raises(ValueError, match=match):
            layers.Reshape(target)

    def test_size_mismatch(self):
        with pytest.raises(ValueError, match=r"'r'.*\(2, 3\) \(6 values\) to \(4,\) \(4 values\)"):
            layers.Reshape((4,), name="r")(np.zeros((1, 2, 3)))
        with pytest.raises(ValueError, match=r"'r2'.*7 is not a multiple of 2"):
            layers.Reshape((2, -1), name="r2")(np.zeros((1, 7)))
        layer = layers.Reshape((4,), name="r3")
        with pytest.raises(ValueError, match="6 values"):
            lg.Sequential([lg.Input(shape=(6,)), layer])
        assert not layer.built

    def test_gradient_check_through_reshape_and_conv(self, rng):
        model = lg.Sequential([
            layers.Dense(16, activation="tanh", input_shape=(3,), seed=0),
            layers.Reshape((4, 4, 1)),
            layers.Conv2D(2, 3, activation="tanh", seed=1),
            layers.Flatten(),
            layers.Dense(1, activation="sigmoid", seed=2),
        ])
        _check(model, "binary_crossentropy", rng.normal(size=(3, 3)), np.array([0.0, 1.0, 1.0]))


class TestConfigs:
    @pytest.mark.parametrize("layer", [
        layers.MaxPooling2D((2, 3), strides=1, padding="same", name="mp"),
        layers.AveragePooling2D(3, strides=2, name="ap"),
        layers.Flatten(name="f"),
        layers.Reshape((2, -1), name="r", input_shape=(6,)),
    ], ids=lambda layer: type(layer).__name__)
    def test_round_trip(self, layer):
        config = layer.get_config()
        json.dumps(config)
        assert type(layer).from_config(config).get_config() == config
