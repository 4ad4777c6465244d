"""Merge layers and Keras' functional helpers: broadcasting, gradients (ties included), Dot, config, errors."""
import numpy as np
import pytest

import layergraph as lg
from layergraph import layers

ELEMENTWISE = [  # class, numpy reference, helper
    (layers.Add, lambda xs: sum(xs[1:], xs[0]), lg.layers.add),
    (layers.Multiply, lambda xs: np.prod(np.broadcast_arrays(*xs), axis=0), lg.layers.multiply),
    (layers.Average, lambda xs: sum(xs[1:], xs[0]) / len(xs), lg.layers.average),
    (layers.Maximum, lambda xs: np.max(np.broadcast_arrays(*xs), axis=0), lg.layers.maximum),
    (layers.Minimum, lambda xs: np.min(np.broadcast_arrays(*xs), axis=0), lg.layers.minimum),
]
SHAPES = [  # input shapes -> Keras' output shape
    ([(3, 4), (3, 4)], (3, 4)),
    ([(3, 4), (3, 4), (3, 4)], (3, 4)),
    ([(3, 2, 4), (3, 4)], (3, 2, 4)),  # the rank-2 input gets an axis after the batch: (3, 1, 4)
    ([(3, 2, 1), (3, 1, 5), (3, 5)], (3, 2, 5)),
    ([(3, 1), (3, 4)], (3, 4)),
]


def _keras_aligned(xs):
    """Keras' expand_dims(x, 1) until the ranks agree."""
    rank = max(x.ndim for x in xs)
    return [x.reshape(x.shape[0], *(1,) * (rank - x.ndim), *x.shape[1:]) for x in xs]


class TestElementwise:
    @pytest.mark.parametrize("shapes, out_shape", SHAPES)
    @pytest.mark.parametrize("cls, reference, helper", ELEMENTWISE)
    def test_values_and_keras_shapes(self, rng, cls, reference, helper, shapes, out_shape):
        xs = [rng.normal(size=s) for s in shapes]
        out = cls()(xs)
        assert out.shape == out_shape
        assert cls().compute_output_shape([(None, *s[1:]) for s in shapes]) == (None, *out_shape[1:])
        np.testing.assert_allclose(out, reference(_keras_aligned(xs)), rtol=1e-14)
        np.testing.assert_array_equal(helper(xs), out)  # the functional helper on arrays

    @pytest.mark.parametrize("cls, shapes", [(cls, shapes) for cls, *_ in ELEMENTWISE for shapes, _ in SHAPES]
                             + [(layers.Subtract, shapes) for shapes, _ in SHAPES if len(shapes) == 2])
    def test_input_gradients_with_broadcasting(self, checks, rng, cls, shapes):
        checks.input_gradient(cls(), [rng.normal(size=s) for s in shapes])

    def test_subtract(self, rng):
        a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 1))
        np.testing.assert_array_equal(layers.Subtract()([a, b]), a - b)
        np.testing.assert_array_equal(lg.layers.subtract([a, b]), a - b)

    def test_multiply_gradient_with_zeros(self):
        xs = [np.array([[0.0, 2.0]]), np.array([[3.0, 0.0]]), np.array([[5.0, 7.0]])]
        out, cache = layers.Multiply().forward(xs)
        grads, weight_grads = layers.Multiply().backward(np.ones((1, 2)), cache)
        assert [g.tolist() for g in grads] == [[[15.0, 0.0]], [[0.0, 14.0]], [[0.0, 0.0]]] and weight_grads == []

    @pytest.mark.parametrize("cls", [layers.Maximum, layers.Minimum])
    def test_ties_send_the_whole_gradient_to_the_first_input(self, cls):
        xs = [np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 5.0, -1.0]]), np.array([[1.0, 2.0, 3.0]])]
        out, cache = cls().forward(xs)
        grads, _ = cls().backward(np.array([[10.0, 20.0, 30.0]]), cache)
        if cls is layers.Maximum:  # maxima 1 (all tie), 5 (second), 3 (first and third tie)
            assert [g.tolist() for g in grads] == [[[10.0, 0.0, 30.0]], [[0.0, 20.0, 0.0]], [[0.0, 0.0, 0.0]]]
        else:  # minima 1 (all tie), 2 (first and third tie), -1 (second)
            assert [g.tolist() for g in grads] == [[[10.0, 20.0, 0.0]], [[0.0, 0.0, 30.0]], [[0.0, 0.0, 0.0]]]

    def test_broadcast_input_gets_the_summed_gradient(self):
        out, cache = layers.Add().forward([np.zeros((2, 3)), np.zeros((2, 1))])
        grads, _ = layers.Add().backward(np.arange(6.0).reshape(2, 3), cache)
        assert grads[0].shape == (2, 3) and grads[1].tolist() == [[3.0], [12.0]]

    @pytest.mark.parametrize("cls, reference, helper", ELEMENTWISE + [(layers.Subtract, None, lg.layers.subtract)])
    def test_functional_model_gradients_config_and_save_load(self, checks, rng, cls, reference, helper, tmp_path):
        # One input, two branches of different ranks (lg.gradients.check takes a single x).
        a = lg.Input(shape=(3,))
        ha = layers.Dense(3, activation="tanh", bias_initializer="random_normal", seed=0)(a)
        hb = layers.Reshape((2, 3))(layers.Dense(6, activation="tanh", bias_initializer="random_normal", seed=1)(a))
        merged = helper([ha, hb])  # the helper on symbolic tensors: (None, 2, 3)
        assert merged.shape == (None, 2, 3) and isinstance(merged.node.layer, cls)
        model = lg.Model(a, layers.Dense(1, seed=2)(layers.Flatten()(merged)))
        x = rng.normal(size=(4, 3))
        checks.weights_gradient(model, "mse", x, rng.normal(size=(4, 1)))
        checks.save_load(model, x, tmp_path / "merge.lg")
        two = lg.Model([a, b := lg.Input(shape=(2, 3))], helper([a, b]))  # two model inputs
        xs = [rng.normal(size=(4, 3)), rng.normal(size=(4, 2, 3))]
        np.testing.assert_array_equal(two.predict(xs, verbose=0), cls()(xs))
        clone = checks.config_round_trip(cls(name="m"), [rng.normal(size=(2, 3)), rng.normal(size=(2, 3))])
        assert clone.name == "m"

    @pytest.mark.parametrize("cls, reference, helper", ELEMENTWISE)
    def test_float32(self, cls, reference, helper):
        xs = [np.ones((2, 3), dtype=np.float32), np.full((2, 1), 2.0, dtype=np.float32)]
        out, cache = cls().forward(xs)
        grads, _ = cls().backward(np.ones_like(out), cache)
        assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)

    @pytest.mark.parametrize("cls, reference, helper", ELEMENTWISE)
    def test_errors_name_the_layer(self, cls, reference, helper):
        name = cls.__name__
        with pytest.raises(ValueError, match=rf"{name} 'm': inputs have incompatible shapes \[\(3, 2\), \(3, 3\)\]"):
            cls(name="m")([np.ones((3, 2)), np.ones((3, 3))])
        with pytest.raises(ValueError, match=rf"{name} 'm': inputs need a batch axis of one size, got shapes "
                                             rf"\[\(3, 2\), \(4, 2\)\]"):
            cls(name="m").forward([np.ones((3, 2)), np.ones((4, 2))])
        with pytest.raises(ValueError, match=f"{name} 'm' needs a list of at least 2 inputs, got 1 inputs"):
            cls(name="m").forward([np.ones((3, 2))])
        with pytest.raises(ValueError, match=f"{name} 'm' needs a list of at least 2 inputs, got ndarray"):
            cls(name="m").forward(np.ones((3, 2)))
        with pytest.raises(ValueError, match=rf"{name} 'm': inputs have incompatible shapes"):
            cls(name="m")([lg.Input(shape=(2,)), lg.Input(shape=(3,))])

    def test_subtract_needs_exactly_two_inputs(self):
        with pytest.raises(ValueError, match="Subtract 's' needs a list of exactly 2 inputs, got 3 inputs"):
            layers.Subtract(name="s").forward([np.ones((1, 2))] * 3)
        with pytest.raises(ValueError, match="Subtract 's' needs a list of exactly 2 inputs"):
            layers.Subtract(name="s")([lg.Input(shape=(2,))] * 3)

    def test_concatenate_helper(self):
        a, b = lg.Input(shape=(2, 3)), lg.Input(shape=(2, 4))
        assert lg.layers.concatenate([a, b]).shape == (None, 2, 7)
        assert lg.layers.concatenate([a, a], axis=1).shape == (None, 4, 3)
        out = lg.layers.concatenate([np.zeros((1, 2)), np.ones((1, 1))], name="joined")
        assert out.tolist() == [[0.0, 0.0, 1.0]]


def naive_batch_dot(x, y, ax, ay):
    """Per-sample tensordot of axis ``ax`` of x with axis ``ay`` of y (axes counted with the batch axis)."""
    out = np.stack([np.tensordot(x[i], y[i], axes=(ax - 1, ay - 1)) for i in range(x.shape[0])])
    return out.reshape(x.shape[0], 1) if out.ndim == 1 else out


DOT_CASES = [  # shapes, axes, output shape (Keras' batch_dot rule)
    ([(2, 4), (2, 4)], 1, (2, 1)),
    ([(2, 4), (2, 4)], -1, (2, 1)),
    ([(2, 5, 2), (2, 3, 5)], (1, 2), (2, 2, 3)),
    ([(2, 3, 4), (2, 4, 5)], (2, 1), (2, 3, 5)),
    ([(2, 3, 4), (2, 4)], -1, (2, 3)),
    ([(2, 4), (2, 3, 4)], (1, 2), (2, 3)),
    ([(2, 2, 3, 4), (2, 4, 5)], (3, 1), (2, 2, 3, 5)),
]


class TestDot:
    @pytest.mark.parametrize("shapes, axes, out_shape", DOT_CASES)
    def test_matches_tensordot_and_keras_shapes(self, rng, shapes, axes, out_shape):
        x, y = (rng.normal(size=s) for s in shapes)
        layer = layers.Dot(axes=axes)
        out = layer([x, y])
        assert out.shape == out_shape
        assert layer.compute_output_shape([(None, *s[1:]) for s in shapes]) == (None, *out_shape[1:])
        ax, ay = (axes, axes) if isinstance(axes, int) else axes
        np.testing.assert_allclose(out, naive_batch_dot(x, y, ax % x.ndim, ay % y.ndim), rtol=1e-12)

    def test_keras_docstring_example(self):
        x, y = np.arange(10.0).reshape(1, 5, 2), np.arange(10.0, 20.0).reshape(1, 2, 5)
        assert layers.Dot(axes=(1, 2))([x, y]).tolist() == [[[260.0, 360.0], [320.0, 445.0]]]

    def test_normalize_gives_cosines(self, rng):
        x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        cos = np.sum(x * y, axis=1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
        np.testing.assert_allclose(lg.layers.dot([x, y], axes=1, normalize=True)[:, 0], cos, rtol=1e-12)
        # a zero vector is divided by Keras' epsilon, not by zero
        assert layers.Dot(1, normalize=True)([np.zeros((1, 2)), np.ones((1, 2))]).tolist() == [[0.0]]

    @pytest.mark.parametrize("shapes, axes, out_shape", DOT_CASES)
    @pytest.mark.parametrize("normalize", [False, True])
    def test_input_gradients(self, checks, rng, shapes, axes, out_shape, normalize):
        checks.input_gradient(layers.Dot(axes, normalize=normalize), [rng.normal(size=s) for s in shapes])

    def test_input_gradient_of_a_tiny_vector_under_normalize(self, checks, rng):
        checks.input_gradient(layers.Dot(1, normalize=True), [np.full((1, 2), 1e-9), rng.normal(size=(1, 2))],
                              eps=1e-12, rtol=1e-5, atol=1e-3)

    def test_functional_model_gradients_config_and_save_load(self, checks, rng, tmp_path):
        a = lg.Input(shape=(3, 4))
        b = layers.GlobalAveragePooling1D()(a)
        sim = lg.layers.dot([layers.Dense(4, seed=0)(a), layers.Dense(4, seed=1)(b)], axes=-1, normalize=True)
        assert sim.shape == (None, 3)
        model = lg.Model(a, layers.Dense(2, activation="softmax", seed=2)(sim))
        x = rng.normal(size=(3, 3, 4))
        checks.weights_gradient(model, "sparse_categorical_crossentropy", x, np.array([1, 0, 1]))
        checks.save_load(model, x, tmp_path / "dot.lg")
        clone = checks.config_round_trip(layers.Dot(axes=(2, 1), normalize=True, name="d"),
                                         [rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 5))])
        assert clone.axes == [2, 1] and clone.normalize is True
        out, cache = layers.Dot(1).forward([np.ones((2, 3), dtype=np.float32)] * 2)
        assert out.dtype == np.float32 and layers.Dot(1).backward(out, cache)[0][0].dtype == np.float32

    @pytest.mark.parametrize("axes, match", [("last", "axes must be an integer or a pair of integers, got 'last'"),
                                             ((1, 2, 3), "axes must be an integer or a pair")])
    def test_bad_axes(self, axes, match):
        with pytest.raises(ValueError, match=f"Dot 'd': {match}"):
            layers.Dot(axes, name="d")
        with pytest.raises(ValueError, match="Dot 'd': normalize must be True or False"):
            layers.Dot(1, normalize="yes", name="d")

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match=r"Dot 'd': incompatible input shapes \[\(None, 3\), \(None, 4\)\]: "
                                             r"axis 1 of the first has length 3, axis 1 of the second has length 4"):
            layers.Dot(1, name="d")([np.ones((2, 3)), np.ones((2, 4))])
        with pytest.raises(ValueError, match=r"Dot 'd': axes 0 must name a feature axis \(not the batch axis 0\)"):
            layers.Dot(0, name="d").forward([np.ones((2, 3)), np.ones((2, 3))])
        with pytest.raises(ValueError, match="Dot 'd' needs inputs of rank >= 2"):
            layers.Dot(1, name="d").forward([np.ones(2), np.ones(2)])
        with pytest.raises(ValueError, match="Dot 'd' needs a list of exactly 2 inputs, got 3 inputs"):
            layers.Dot(1, name="d").forward([np.ones((1, 2))] * 3)
        with pytest.raises(ValueError, match=r"Dot 'd': inputs need one batch size"):
            layers.Dot(1, name="d").forward([np.ones((1, 2)), np.ones((3, 2))])
        with pytest.raises(ValueError, match=r"Dot 'd': incompatible input shapes"):
            layers.Dot(-1, name="d")([lg.Input(shape=(3,)), lg.Input(shape=(5,))])
