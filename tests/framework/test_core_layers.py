"""Dense, Activation, Concatenate, Add: shapes, lazy build, errors, gradients."""
import warnings

import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers
from layergraph.framework import activations


def _check(model, loss, x, y, tol=1e-6):
    errors = gradients.check(model, loss, x, y)
    assert len(errors) == len(model.trainable_weights)
    assert max(errors) < tol, errors


class TestDense:
    def test_lazy_build_from_first_input(self, rng):
        layer = layers.Dense(3)
        assert not layer.built and layer.weights == []
        out = layer(rng.normal(size=(5, 4)))
        assert out.shape == (5, 3)
        assert [w.shape for w in layer.weights] == [(4, 3), (3,)]
        assert layer.get_weights()[1].tolist() == [0.0, 0.0, 0.0]

    def test_input_shape_builds_at_once(self):
        layer = layers.Dense(2, input_shape=(7,))
        assert layer.built and layer.kernel.shape == (7, 2)

    def test_forward_matches_numpy(self, rng):
        layer = layers.Dense(3, activation="tanh", input_shape=(4,))
        x = rng.normal(size=(6, 4))
        w, b = layer.get_weights()
        np.testing.assert_allclose(layer(x), np.tanh(x @ w + b))

    def test_no_bias(self):
        layer = layers.Dense(2, use_bias=False, input_shape=(3,))
        assert [w.shape for w in layer.weights] == [(3, 2)]

    def test_glorot_uniform_default_limits(self):
        layer = layers.Dense(300, input_shape=(200,), seed=0)
        limit = np.sqrt(6 / 500)
        k = layer.kernel.value
        assert np.abs(k).max() <= limit and np.abs(k).max() > 0.95 * limit

    def test_seeded_initialisation_is_reproducible(self):
        a = layers.Dense(4, input_shape=(3,), seed=5).get_weights()[0]
        b = layers.Dense(4, input_shape=(3,), seed=5).get_weights()[0]
        np.testing.assert_array_equal(a, b)

    def test_mismatched_features_error_names_layer_and_shapes(self):
        layer = layers.Dense(2, input_shape=(3,), name="hidden")
        with pytest.raises(ValueError, match=r"hidden.*last dimension 3.*\(5, 4\)"):
            layer(np.ones((5, 4)))

    def test_wrong_rank_error(self):
        layer = layers.Dense(2, input_shape=(3,), name="d")
        with pytest.raises(ValueError, match=r"'d'.*rank.*\(3,\)"):
            layer.forward(np.ones(3))

    @pytest.mark.parametrize("units", [0, -1, 2.5, "3", True])
    def test_bad_units(self, units):
        with pytest.raises(ValueError, match="units must be a positive integer"):
            layers.Dense(units)

    def test_unknown_activation_lists_valid(self):
        with pytest.raises(ValueError, match=r"Unknown activation 'relux'.*linear, relu, sigmoid, softmax, tanh"):
            layers.Dense(2, activation="relux")

    def test_unknown_initializer(self):
        with pytest.raises(ValueError, match="Unknown initializer 'glorot'"):
            layers.Dense(2, kernel_initializer="glorot")

    def test_unexpected_kwarg(self):
        with pytest.raises(TypeError, match="unexpected keyword"):
            layers.Dense(2, input_shap=(3,))

    def test_set_weights_validates_all_before_changing(self):
        layer = layers.Dense(2, input_shape=(3,))
        before = layer.get_weights()
        with pytest.raises(ValueError, match=r"bias.*\(2,\).*\(3,\)"):
            layer.set_weights([np.ones((3, 2)), np.ones(3)])
        for a, b in zip(before, layer.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)

    @pytest.mark.parametrize("activation", ["linear", "sigmoid", "tanh", "softmax", "batch_softmax"])
    def test_gradient_check(self, rng, activation):
        model = lg.Sequential([layers.Dense(3, activation=activation, input_shape=(4,), seed=1)])
        _check(model, "mse", rng.normal(size=(5, 4)), rng.normal(size=(5, 3)))

    def test_gradient_check_relu_away_from_kink(self, rng):
        model = lg.Sequential([layers.Dense(3, activation="relu", input_shape=(4,),
                                            bias_initializer=lg.initializers.Constant(0.3), seed=2)])
        x = rng.normal(size=(5, 4))
        z = x @ model.get_weights()[0] + 0.3
        assert np.abs(z).min() > 1e-3  # no input sits on the kink
        _check(model, "mse", x, rng.normal(size=(5, 3)))

    def test_gradient_check_rank3_input(self, rng):
        model = lg.Sequential([layers.Dense(2, activation="tanh", input_shape=(3, 4), seed=3)])
        _check(model, "mse", rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 2)))


class TestActivations:
    @pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "batch_softmax", "relu", "linear"])
    def test_stable_at_extremes(self, name):
        z = np.array([[-1000.0, 0.0, 1000.0]])
        act = activations.get(name)
        a, cache = act.forward(z)
        assert np.all(np.isfinite(a))
        assert np.all(np.isfinite(act.backward(np.ones_like(z), cache)))

    def test_softmax_is_row_wise_not_batch_wide(self):
        z = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
        a = activations.softmax(z)
        np.testing.assert_allclose(a.sum(axis=1), [1.0, 1.0])
        np.testing.assert_allclose(a[1], [1 / 3] * 3)
        e = np.exp(z[0] - 3)
        np.testing.assert_allclose(a[0], e / e.sum())

    @pytest.mark.parametrize("dtype, tiny", [("float64", 1e-300), ("float32", 1e-37), ("float16", 0.0)])
    def test_sigmoid_saturates_without_overflow_warnings(self, dtype, tiny):
        z = np.array([-1e4, -1000.0, -50.0, 0.0, 50.0, 1e4], dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "overflow encountered in exp"
            a, _ = activations.get("sigmoid").forward(z)
            inplace, _ = activations.get("sigmoid").forward_inplace(z.copy())
        assert a.dtype == np.dtype(dtype)
        assert np.all(a[:2] <= tiny) and np.all(a[:2] >= 0)
        np.testing.assert_array_equal(a[3:], [0.5, 1.0, 1.0])
        np.testing.assert_array_equal(a, inplace)

    def test_sigmoid_values(self):
        np.testing.assert_allclose(activations.sigmoid(np.array([0.0, np.log(3)])), [0.5, 0.75])

    @pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "batch_softmax"])
    def test_backward_matches_finite_differences(self, rng, name):
        act = activations.get(name)
        z = rng.normal(size=(3, 4))
        g = rng.normal(size=(3, 4))
        _, cache = act.forward(z)
        analytic = act.backward(g, cache)
        eps = 1e-6
        numeric = np.zeros_like(z)
        for idx in np.ndindex(z.shape):
            zp, zm = z.copy(), z.copy()
            zp[idx] += eps
            zm[idx] -= eps
            numeric[idx] = np.sum(g * (act(zp) - act(zm))) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)

    def test_batch_softmax_normalises_the_whole_batch(self):
        z = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
        a = activations.get("batch_softmax")(z)
        e = np.exp(z - 3.0)  # the tutorial's formula: exp(a - max) / sum over every entry
        np.testing.assert_allclose(a, e / e.sum(), rtol=1e-15)
        assert a.sum() == pytest.approx(1.0, rel=1e-15)
        # By hand: the second row is three times e^-2 / (e^-2 + e^-1 + 1 + 3 e^-2)
        assert a[1, 0] == pytest.approx(np.exp(-2) / (4 * np.exp(-2) + np.exp(-1) + 1), rel=1e-14)
        # A sample's outputs depend on the rest of its batch; a row-wise softmax's do not
        alone = activations.get("batch_softmax")(z[1:])
        np.testing.assert_allclose(alone, [[1 / 3] * 3])
        assert not np.allclose(alone, a[1:])

    def test_batch_softmax_keeps_each_rows_arg_max(self, rng):
        z = rng.normal(size=(50, 10)) * 5
        z[-1] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 9]  # the last row too
        batch, rows = activations.get("batch_softmax")(z), activations.softmax(z)
        np.testing.assert_array_equal(batch.argmax(axis=1), rows.argmax(axis=1))
        # ... because it is the row-wise softmax times each row's share of the total
        shares = np.exp(z).sum(axis=1, keepdims=True) / np.exp(z).sum()
        np.testing.assert_allclose(batch, rows * shares, rtol=1e-12)

    def test_batch_softmax_is_no_softmax_to_the_losses(self, rng):
        activation = activations.get("batch_softmax")
        assert not isinstance(activation, activations.Softmax)
        t, p = np.eye(3)[[0, 2]], np.full((2, 3), 1 / 6)
        assert lg.losses.CategoricalCrossentropy().fused_gradient(activation, t, p) is None
        model = lg.Sequential([layers.Dense(3, activation="batch_softmax", input_shape=(4,), seed=1)])
        _check(model, "categorical_crossentropy", rng.normal(size=(5, 4)), np.eye(3)[rng.integers(0, 3, 5)])

    def test_batch_softmax_of_an_empty_array_is_an_error(self):
        act = activations.get("batch_softmax")
        for forward in (act.forward, act.forward_inplace):
            with pytest.raises(ValueError, match=r"batch_softmax: cannot normalise an empty array \(shape \(0, 10\)\)"):
                forward(np.zeros((0, 10)))

    def test_batch_softmax_survives_save_and_load(self, tmp_path):
        model = lg.Sequential([layers.Dense(3, activation="batch_softmax", input_shape=(2,), seed=0)])
        model.save(tmp_path / "m.lg")
        loaded = lg.load_model(tmp_path / "m.lg")
        assert loaded.layers[0].activation.name == "batch_softmax"
        x = np.array([[0.5, -1.0], [2.0, 0.0]])
        np.testing.assert_array_equal(loaded.predict(x), model.predict(x))

    def test_activation_layer(self):
        out = layers.Activation("relu")(np.array([[-1.0, 2.0]]))
        np.testing.assert_array_equal(out, [[0.0, 2.0]])

    @pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "batch_softmax", "relu", "linear"])
    @pytest.mark.parametrize("dtype", [np.float64, np.float32])
    def test_forward_inplace_is_forward_in_z(self, rng, name, dtype):
        act = activations.get(name)
        z = (rng.normal(size=(4, 5)) * 30).astype(dtype)
        z[0, :3] = [-1000.0, 0.0, 1000.0]
        a, cache = act.forward(z.copy())
        z_own = z.copy()
        b, cache_b = act.forward_inplace(z_own)
        np.testing.assert_array_equal(b, a)  # the same arithmetic, bit for bit
        assert b.dtype == dtype
        if name != "linear":
            assert b is z_own  # written into z
        g = rng.normal(size=z.shape).astype(dtype)
        np.testing.assert_array_equal(act.backward(g, cache_b), act.backward(g, cache))

    @pytest.mark.parametrize("name", ["sigmoid", "softmax", "batch_softmax"])
    def test_integer_inputs_give_float64(self, name):
        act = activations.get(name)
        np.testing.assert_array_equal(act(np.array([[0, 1]])), act(np.array([[0.0, 1.0]])))

    def test_subclass_overriding_forward_alone_keeps_its_forward(self, rng):
        class Doubled(activations.ReLU):
            def forward(self, z):
                a = 2.0 * np.maximum(z, 0)
                return a, a

        layer = layers.Dense(3, activation=Doubled(), input_shape=(2,), seed=0)
        x = rng.normal(size=(4, 2))
        np.testing.assert_allclose(layer(x), 2 * np.maximum(x @ layer.kernel.value, 0))

    @pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "softmax", "batch_softmax"])
    def test_activations_never_overwrite_inputs(self, rng, activation):
        x = rng.normal(size=(4, 3))
        kept = x.copy()
        model = lg.Sequential([layers.Activation(activation, input_shape=(3,)),
                               layers.Dense(3, activation=activation, seed=0), layers.Activation(activation)])
        model.predict(x)
        model.forward(x, training=True)
        np.testing.assert_array_equal(x, kept)

    def test_owns_preactivation_only_for_the_layers_own_forward(self):
        class Scaled(layers.Dense):
            def forward_preactivation(self, x, training=False):
                return super().forward_preactivation(x, training)

        assert layers.Dense(2).owns_preactivation and layers.Conv2D(2, 3).owns_preactivation
        assert not Scaled(2).owns_preactivation and not layers.Activation("relu").owns_preactivation

    def test_activation_by_class_and_instance(self):
        assert isinstance(activations.get(activations.Tanh), activations.Tanh)
        inst = activations.ReLU()
        assert activations.get(inst) is inst
        assert isinstance(activations.get(None), activations.Linear)

    def test_activation_bad_type(self):
        with pytest.raises(TypeError, match="activation name"):
            activations.get(3)


class TestMerge:
    def test_concatenate_shapes_and_backward_split(self, rng):
        layer = layers.Concatenate()
        a, b = rng.normal(size=(4, 1)), rng.normal(size=(4, 2))
        out, cache = layer.forward([a, b])
        assert out.shape == (4, 3)
        (ga, gb), grads = layer.backward(np.arange(12.0).reshape(4, 3), cache)
        assert ga.shape == (4, 1) and gb.shape == (4, 2) and grads == []
        np.testing.assert_array_equal(ga[:, 0], [0, 3, 6, 9])

    def test_concatenate_incompatible_shapes(self):
        with pytest.raises(ValueError, match="Concatenate.*incompatible"):
            layers.Concatenate()([np.ones((4, 1)), np.ones((3, 1))])

    def test_concatenate_needs_list(self):
        with pytest.raises(ValueError, match="at least 2 inputs"):
            layers.Concatenate().forward(np.ones((2, 2)))

    def test_add(self, rng):
        a, b, c = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
        layer = layers.Add()
        out, cache = layer.forward([a, b, c])
        np.testing.assert_array_equal(out, a + b + c)
        upstream = rng.normal(size=(3, 2))
        grads_in, weight_grads = layer.backward(upstream, cache)
        # d(a + b + c)/da = 1: every input receives the upstream gradient unchanged; Add has no weights.
        assert len(grads_in) == 3 and weight_grads == []
        for g in grads_in:
            np.testing.assert_array_equal(g, upstream)

    def test_add_shape_mismatch(self):
        # Keras' rule: (3, 2) + (3, 1) broadcasts; (3, 2) + (3, 3) does not.
        with pytest.raises(ValueError, match="Add 'add.*incompatible shapes"):
            layers.Add()([np.ones((3, 2)), np.ones((3, 3))])


@pytest.mark.parametrize("init", ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "random_normal",
                                  "random_uniform", "zeros", "ones", lg.initializers.VarianceScaling(2.0, "fan_out")])
def test_dense_config_round_trip(init):
    layer = layers.Dense(3, activation="relu", kernel_initializer=init, input_shape=(2,),
                         kernel_regularizer=lg.regularizers.l2(1e-3), name="roundtrip")
    config = layer.get_config()
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config
    assert type(clone.kernel_initializer) is type(layer.kernel_initializer)


class TestAddWeight:
    """add_weight with Keras 3's signature, its defaults and its errors."""

    def test_keras_signature_defaults_and_names(self):
        layer = layers.Layer(name="holder", seed=0)
        w = layer.add_weight(shape=(3, 2))
        b = layer.add_weight((2,), "zeros")
        c = layer.add_weight(shape=(), initializer="ones", trainable=False, name="count")
        assert [v.name for v in layer.weights] == ["holder/variable", "holder/variable_1", "holder/count"]
        assert w.value.std() > 0 and not b.value.any() and c.value == 1.0  # glorot_uniform default
        assert layer.trainable_weights == [w, b] and layer.non_trainable_weights == [c]

    def test_legacy_name_first_order(self):
        layer = layers.Layer(name="legacy")
        v = layer.add_weight("gamma", (2,), "ones")
        assert v.name == "legacy/gamma" and v.value.tolist() == [1.0, 1.0]

    @pytest.mark.parametrize("kwargs, error, message", [
        (dict(shape=(2, -1)), ValueError, "shape of weight 'w' must be a tuple of non-negative integers"),
        (dict(shape=(2,), initializer="nonsense"), ValueError,
         "invalid initializer for weight 'w'.*Unknown initializer"),
        (dict(shape=(2,), dtype="int32"), TypeError, "trainable weight 'w' must have a floating dtype"),
    ])
    def test_bad_arguments_name_the_layer_and_weight(self, kwargs, error, message):
        layer = layers.Layer(name="bad")
        with pytest.raises(error, match=message):
            layer.add_weight(name="w", **kwargs)
        with pytest.raises(ValueError, match="shape of weight 'w' must be"):  # legacy order, shape not a shape
            layer.add_weight("w", "not a shape")
        assert layer.weights == []

    def test_duplicate_name(self):
        layer = layers.Layer(name="dup")
        layer.add_weight(shape=(1,), name="w")
        with pytest.raises(ValueError, match="Layer 'dup' .* already has a weight named 'w'"):
            layer.add_weight(shape=(1,), name="w")
        assert len(layer.weights) == 1

    def test_any_regularized_weight_joins_the_objective(self, rng):
        class Scale(layers.Layer):  # no `kernel`: its penalty still counts
            def build(self, input_shape):
                self.s = self.add_weight(shape=input_shape[-1:], initializer="ones", name="s",
                                         regularizer=lg.regularizers.l2(0.5))

            def forward(self, x, training=False):
                return x * self.s.value, x

            def backward(self, grad, x, input_grad=True):
                return grad * self.s.value, [(grad * x).sum(axis=0)]

        model = lg.Sequential([Scale(input_shape=(2,)), layers.Dense(1, seed=0, kernel_regularizer="l1")])
        x, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
        value, _ = lg.gradients.AnalyticGradient().gradients(model, "mse", x, y)
        kernel = model.layers[1].kernel.value
        plain = lg.losses.MeanSquaredError()(y, model.predict(x))
        assert value == pytest.approx(plain + 0.5 * 2 + 0.01 * np.abs(kernel).sum())
        assert lg.gradients.check(model, "mse", x, y).passed
        model.layers[0].trainable = False
        assert [v.name for v, _ in model.penalties()] == [model.layers[1].kernel.name]


def test_set_random_seed_makes_unseeded_layers_reproducible():
    def weights():
        lg.utils.set_random_seed(7)
        model = lg.Sequential([layers.Dense(3, input_shape=(2,)), layers.Dropout(0.5), layers.Dense(1)])
        mask = model.layers[1].forward(np.ones((4, 3)), training=True)[0]
        return model.get_weights() + [mask]

    first, second = weights(), weights()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    lg.utils.set_random_seed(8)
    other = lg.Sequential([layers.Dense(3, input_shape=(2,))]).get_weights()[0]
    assert not np.array_equal(other, first[0])
