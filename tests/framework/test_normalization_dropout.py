"""BatchNormalization, Dropout (and frozen masks), and kernel regularisers in gradient checks."""
import json

import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers
from layergraph.framework.gradients import AnalyticGradient, NumericGradient
from layergraph.regularizers import l2


def _check(model, loss, x, y, tol=1e-6):
    errors = gradients.check(model, loss, x, y)
    assert len(errors) == len(model.trainable_weights)
    assert max(errors) < tol, errors


class TestBatchNormalization:
    def test_weights_in_keras_order(self):
        layer = layers.BatchNormalization(input_shape=(3,))
        assert [w.name.split("/")[-1] for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
        assert [w.name.split("/")[-1] for w in layer.trainable_weights] == ["gamma", "beta"]
        assert [w.value.tolist() for w in layer.weights] == [[1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]]

    def test_center_and_scale_off(self):
        layer = layers.BatchNormalization(center=False, scale=False, input_shape=(2,))
        assert [w.name.split("/")[-1] for w in layer.weights] == ["moving_mean", "moving_variance"]
        out = layer(np.array([[1.0, 2.0], [3.0, 6.0]]), training=True)
        np.testing.assert_allclose(out, [[-1, -1], [1, 1]], atol=1e-3)

    def test_training_normalises_per_channel_2d_and_4d(self, rng):
        for shape in [(50, 3), (6, 4, 5, 3)]:
            x = rng.normal(3.0, 2.0, size=shape) * np.array([1.0, 5.0, 0.1])
            out = layers.BatchNormalization(epsilon=1e-9)(x, training=True)
            axes = tuple(range(len(shape) - 1))
            np.testing.assert_allclose(out.mean(axis=axes), 0, atol=1e-10)
            np.testing.assert_allclose(out.std(axis=axes), 1, atol=1e-6)

    def test_moving_average_update_by_hand(self):
        layer = layers.BatchNormalization(momentum=0.9, input_shape=(2,))
        x = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 16.0]])  # means (3, 12), biased variances (8/3, 8)
        layer(x, training=True)
        np.testing.assert_allclose(layer.moving_mean.value, [0.9 * 0 + 0.1 * 3, 0.1 * 12])
        np.testing.assert_allclose(layer.moving_variance.value, [0.9 + 0.1 * 8 / 3, 0.9 + 0.1 * 8])
        layer(x, training=True)
        np.testing.assert_allclose(layer.moving_mean.value, [0.3 * 0.9 + 0.3, 1.2 * 0.9 + 1.2])

    def test_inference_uses_moving_statistics_and_changes_nothing(self, rng):
        layer = layers.BatchNormalization(epsilon=0.01, input_shape=(2,))
        layer.set_weights([np.array([2.0, 0.5]), np.array([1.0, -1.0]), np.array([3.0, -2.0]), np.array([4.0, 0.25])])
        x = rng.normal(size=(5, 2))
        before = layer.get_weights()
        out = layer(x)  # training=False
        expected = (x - [3.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 0.01) * [2.0, 0.5] + [1.0, -1.0]
        np.testing.assert_allclose(out, expected)
        for a, b in zip(before, layer.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)

    def test_inference_backward_uses_the_forward_statistics(self, rng):
        layer = layers.BatchNormalization(epsilon=0.01, input_shape=(3,))
        gamma, beta, mean, var = (np.array([2.0, 0.5, -1.0]), np.array([1.0, -1.0, 0.0]),
                                  np.array([3.0, -2.0, 0.5]), np.array([4.0, 0.25, 1.0]))
        layer.set_weights([gamma, beta, mean, var])
        x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
        inv_std = 1.0 / np.sqrt(var + 0.01)
        x_hat = (x - mean) * inv_std
        out, cache = layer.forward(x, training=False)
        np.testing.assert_array_equal(out, x_hat * gamma + beta)  # the same arithmetic as x_hat first
        layer.moving_mean.value[...] = 100.0  # changing the statistics after the forward pass changes nothing
        dx, (dgamma, dbeta) = layer.backward(g, cache)
        np.testing.assert_allclose(dx, g * gamma * inv_std)
        np.testing.assert_allclose(dgamma, (g * x_hat).sum(axis=0))
        np.testing.assert_allclose(dbeta, g.sum(axis=0))

    def test_not_trainable_runs_in_inference_mode(self, rng):
        layer = layers.BatchNormalization(trainable=False, input_shape=(2,))
        x = rng.normal(5.0, 1.0, size=(8, 2))
        out, cache = layer.forward(x, training=True)
        np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3))
        assert layer.moving_mean.value.tolist() == [0.0, 0.0]
        assert layer.backward(np.ones_like(x), cache)[1] == []

    def test_axis_one_on_4d(self, rng):
        x = rng.normal(size=(4, 3, 2, 2)) + np.arange(3.0).reshape(1, 3, 1, 1)
        layer = layers.BatchNormalization(axis=1, epsilon=1e-9)
        out = layer(x, training=True)
        assert layer.gamma.shape == (3,)
        np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-10)

    def test_gradient_check_after_dense(self, rng):
        model = lg.Sequential([
            layers.Dense(4, use_bias=False, input_shape=(3,), seed=0),
            layers.BatchNormalization(gamma_initializer="random_normal", beta_initializer="random_normal"),
            layers.Activation("tanh"),
            layers.Dense(3, activation="softmax", seed=1),
        ])
        model.layers[1].gamma.value += 1.0
        x = rng.normal(size=(6, 3))
        before = [w.copy() for w in model.layers[1].get_weights()[2:]]
        _check(model, "sparse_categorical_crossentropy", x, np.array([0, 1, 2, 0, 1, 2]))
        for a, b in zip(before, model.layers[1].get_weights()[2:], strict=True):  # check restores the moving statistics
            np.testing.assert_array_equal(a, b)

    def test_gradient_check_after_conv(self, rng):
        model = lg.Sequential([
            layers.Conv2D(3, 2, use_bias=False, input_shape=(4, 4, 2), seed=0),
            layers.BatchNormalization(momentum=0.5, gamma_initializer="random_normal",
                                      beta_initializer="random_normal"),
            layers.Activation("sigmoid"),
            layers.Flatten(),
            layers.Dense(2, activation="softmax", seed=1),
        ])
        model.layers[1].gamma.value += 1.0
        _check(model, "sparse_categorical_crossentropy", rng.normal(size=(3, 4, 4, 2)), np.array([0, 1, 1]))

    def test_numeric_strategy_updates_moving_statistics_once_per_step(self, rng):
        layer = layers.BatchNormalization(momentum=0.5)
        model = lg.Sequential([lg.Input(shape=(2,)), layer, layers.Dense(1, seed=0)])
        x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
        NumericGradient().gradients(model, "mse", x, y)
        np.testing.assert_allclose(layer.moving_mean.value, 0.5 * x.mean(axis=0))

    def test_fit_then_predict_uses_moving_statistics(self, rng):
        x = rng.normal(10.0, 3.0, size=(64, 2))
        y = (x[:, 0] > x[:, 1]).astype(float)
        model = lg.Sequential([layers.Dense(4, use_bias=False, input_shape=(2,), seed=0),
                               layers.BatchNormalization(momentum=0.5), layers.Activation("relu"),
                               layers.Dense(1, activation="sigmoid", seed=1)])
        model.compile(optimizer="adam", loss="binary_crossentropy", seed=0)
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        bn = model.layers[1]
        h = x @ model.layers[0].kernel.value
        np.testing.assert_allclose(bn.moving_mean.value, h.mean(axis=0), rtol=0.3)
        # a single sample in inference gives the same result as within a batch
        np.testing.assert_allclose(model.predict(x[:1]), model.predict(x)[:1])

    @pytest.mark.parametrize("kwargs, match", [
        ({"momentum": 1.5}, "momentum must be a number in"),
        ({"momentum": "0.9"}, "momentum"),
        ({"epsilon": -1.0}, "epsilon must be a finite number"),
        ({"axis": 1.0}, "axis must be an integer"),
    ])
    def test_invalid_arguments(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            layers.BatchNormalization(**kwargs)

    def test_shape_errors(self):
        with pytest.raises(ValueError, match=r"'bn'.*axis 0.*batch axis"):
            layers.BatchNormalization(axis=0, name="bn")(np.zeros((2, 3)))
        with pytest.raises(ValueError, match=r"'bn2'.*axis 3"):
            layers.BatchNormalization(axis=3, name="bn2")(np.zeros((2, 3)))
        layer = layers.BatchNormalization(input_shape=(3,), name="bn3")
        with pytest.raises(ValueError, match=r"'bn3' was built for inputs of rank 2 with 3 features.*\(2, 4\)"):
            layer(np.zeros((2, 4)))
        with pytest.raises(ValueError, match="rank 2"):
            layer(np.zeros((2, 2, 3)))
        with pytest.raises(ValueError, match="rank >= 2"):
            layers.BatchNormalization()(np.zeros(3))
        with pytest.raises(ValueError, match=r"'bn4' needs one input of rank >= 2, got shape \(3,\)"):
            layers.BatchNormalization(name="bn4").forward(np.zeros(3))

    def test_config_round_trip(self):
        layer = layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, name="bn",
                                          input_shape=(3, 4))
        config = layer.get_config()
        json.dumps(config)
        clone = layers.BatchNormalization.from_config(config)
        assert clone.get_config() == config
        assert [w.shape for w in clone.weights] == [(3,), (3,), (3,)]

    def test_float32(self, rng):
        layer = layers.BatchNormalization(dtype="float32")
        out = layer(rng.normal(size=(4, 3, 3, 2)).astype(np.float32), training=True)
        assert out.dtype == np.float32 and layer.moving_mean.value.dtype == np.float32


class TestDropout:
    def test_identity_in_inference(self, rng):
        x = rng.normal(size=(4, 5))
        out, cache = layers.Dropout(0.5).forward(x, training=False)
        assert out is x
        assert layers.Dropout(0.5).backward(x, cache)[0] is x

    def test_training_scales_kept_units(self, rng):
        layer = layers.Dropout(0.25, seed=0)
        out, mask = layer.forward(np.ones((200, 50)), training=True)
        values = set(np.unique(out).tolist())
        assert values == {0.0, 1 / 0.75}
        assert abs((out == 0).mean() - 0.25) < 0.02
        assert abs(out.mean() - 1.0) < 0.03  # the mean is preserved
        grad = np.full(out.shape, 3.0)
        np.testing.assert_allclose(layer.backward(grad, mask)[0], 3.0 * out)

    def test_seeded_masks_are_reproducible(self):
        x = np.ones((3, 10))
        a, b = layers.Dropout(0.5, seed=7), layers.Dropout(0.5, seed=7)
        first = [a.forward(x, training=True)[0] for _ in range(3)]
        second = [b.forward(x, training=True)[0] for _ in range(3)]
        for u, v in zip(first, second, strict=True):
            np.testing.assert_array_equal(u, v)
        assert not np.array_equal(first[0], first[1])  # a new mask each training pass

    def test_rate_zero_is_identity(self):
        x = np.ones((2, 3))
        assert layers.Dropout(0.0).forward(x, training=True)[0] is x

    def test_float32_mask(self):
        out, mask = layers.Dropout(0.5, seed=0).forward(np.ones((2, 8), np.float32), training=True)
        assert out.dtype == np.float32 and mask.dtype == np.float32

    @pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", True, float("nan"), None])
    def test_invalid_rate(self, rate):
        with pytest.raises(ValueError, match=r"Dropout 'd': rate must be a number in \[0, 1\)"):
            layers.Dropout(rate, name="d")

    def test_frozen_masks_reuse_one_mask_and_nest(self):
        layer = layers.Dropout(0.5, seed=3)
        model = lg.Sequential([lg.Input(shape=(20,)), layer])
        x = np.ones((4, 20))
        with layers.frozen_masks(model):
            a = model.forward(x, training=True)[0]
            with layers.frozen_masks(model):
                b = model.forward(x, training=True)[0]
            c = model.forward(x, training=True)[0]
        d = model.forward(x, training=True)[0]
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
        assert not np.array_equal(a, d)
        with layers.frozen_masks(model):  # a new block draws a new mask
            e = model.forward(x, training=True)[0]
        assert not np.array_equal(d, e)

    def _model(self, rate=0.4):
        return lg.Sequential([
            layers.Dense(6, activation="tanh", input_shape=(3,), seed=0),
            layers.Dropout(rate, seed=1),
            layers.Dense(2, activation="softmax", seed=2),
        ])

    def test_gradient_check_with_a_fixed_mask(self, rng):
        model = self._model()
        x, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
        _check(model, "sparse_categorical_crossentropy", x, y)
        assert (model.layers[1]._mask == 0).any()  # dropout really was active

    def test_numeric_strategy_sees_one_mask_per_step(self, rng):
        # Each NumericGradient step is a valid central difference of the loss
        # with one mask: it matches backprop through that same mask.
        model = self._model()
        x, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
        value, numeric = NumericGradient().gradients(model, "sparse_categorical_crossentropy", x, y)
        mask = model.layers[1]._mask  # the mask of that step
        analytic_model = self._model()
        analytic_model.set_weights(model.get_weights())
        dropout = analytic_model.layers[1]
        with layers.frozen_masks(analytic_model):
            dropout._mask = mask  # reused by the forward pass inside the block
            analytic_value, analytic = AnalyticGradient().gradients(analytic_model, "sparse_categorical_crossentropy",
                                                                    x, y)
        assert value == pytest.approx(analytic_value)
        for a, n in zip(analytic, numeric, strict=True):
            np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-8)

    def test_numeric_strategy_with_dropout_off_differentiates_the_plain_network(self, rng):
        model = self._model()
        x, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
        value, numeric = NumericGradient(dropout="off").gradients(model, "sparse_categorical_crossentropy", x, y)
        plain = lg.Sequential([layers.Dense(6, activation="tanh", input_shape=(3,)),
                               layers.Dense(2, activation="softmax")])
        plain.set_weights(model.get_weights())
        plain_value, analytic = AnalyticGradient().gradients(plain, "sparse_categorical_crossentropy", x, y)
        assert value == pytest.approx(plain_value, rel=1e-12)
        for a, n in zip(analytic, numeric, strict=True):
            np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-9)
        # check() runs both strategies without dropout then, and they agree.
        assert max(gradients.check(model, "sparse_categorical_crossentropy", x, y,
                                   numeric=NumericGradient(dropout="off"))) < 1e-6
        # Outside the block dropout is active again.
        assert not np.array_equal(model.forward(np.ones((4, 3)), training=True)[0],
                                  model.forward(np.ones((4, 3)), training=False)[0])

    def test_disabled_dropout_nests(self):
        layer = layers.Dropout(0.5, seed=0)
        x = np.ones((3, 10))
        with layers.disabled_dropout(layer):
            with layers.disabled_dropout(layer):
                pass
            assert layer.forward(x, training=True)[0] is x
        assert (layer.forward(x, training=True)[0] == 0).any()

    def test_numeric_dropout_mode_is_validated(self):
        with pytest.raises(ValueError, match=r"NumericGradient: dropout must be one of \['frozen', 'off'\], got 'on'"):
            NumericGradient(dropout="on")

    def test_training_with_the_numeric_strategy_draws_new_masks(self, rng):
        model = self._model()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", gradient="numeric")
        x, y = rng.normal(size=(4, 3)), np.array([0, 1, 1, 0])
        model.train_on_batch(x, y)
        first = model.layers[1]._mask.copy()
        model.train_on_batch(x, y)
        assert not np.array_equal(first, model.layers[1]._mask)

    def test_fit_and_predict(self, rng):
        model = self._model(0.5)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", seed=0)
        x = rng.normal(size=(32, 3))
        y = (x[:, 0] > 0).astype(int)
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        # Inference skips dropout: predict is the two Dense layers alone, with the trained weights.
        w1, b1, w2, b2 = model.get_weights()
        z = np.tanh(x @ w1 + b1) @ w2 + b2
        expected = np.exp(z - z.max(axis=1, keepdims=True))
        expected /= expected.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(model.predict(x), expected, rtol=1e-12, atol=1e-15)
        # Training did drop units: a training-mode pass differs, and the same fit without the Dropout
        # layer (same initial weights, same batches) ends at other weights.
        assert not np.allclose(model.forward(x, training=True)[0], expected)
        plain = lg.Sequential([layers.Dense(6, activation="tanh", input_shape=(3,), seed=0),
                               layers.Dense(2, activation="softmax", seed=2)])
        plain.compile(optimizer="adam", loss="sparse_categorical_crossentropy", seed=0)
        assert all(np.array_equal(a, b)
                   for a, b in zip(plain.get_weights(), self._model(0.5).get_weights(), strict=True))
        plain.fit(x, y, epochs=2, batch_size=8, verbose=0)
        assert not np.allclose(plain.get_weights()[0], w1)

    def test_config_round_trip(self):
        layer = layers.Dropout(0.3, seed=4, name="drop")
        config = layer.get_config()
        json.dumps(config)
        assert config["rate"] == 0.3 and config["seed"] == 4
        assert layers.Dropout.from_config(config).get_config() == config


class TestKernelRegularizer:
    def test_dense_with_l2_gradient_check(self, rng):
        model = lg.Sequential([
            layers.Dense(4, activation="tanh", kernel_regularizer=l2(0.05), input_shape=(3,), seed=0),
            layers.Dense(1, activation="sigmoid", kernel_regularizer=l2(0.2), seed=1),
        ])
        x, y = rng.normal(size=(5, 3)), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
        _check(model, "binary_crossentropy", x, y)
        value, _ = AnalyticGradient().gradients(model, "binary_crossentropy", x, y)
        penalty = 0.05 * np.sum(model.layers[0].kernel.value ** 2) + 0.2 * np.sum(model.layers[1].kernel.value ** 2)
        assert value == pytest.approx(lg.losses.get("binary_crossentropy")(y, model.predict(x)) + penalty)


class TestL1Regularizer:
    def test_value_and_gradient_by_hand(self):
        reg = lg.regularizers.l1(0.5)
        w = np.array([[-2.0, 0.0], [3.0, -0.25]])
        assert reg(w) == 0.5 * (2 + 0 + 3 + 0.25)
        assert reg.gradient(w).tolist() == [[-0.5, 0.0], [0.5, -0.5]]  # 0 at 0: the subgradient Keras' sign gives
        assert lg.regularizers.l1()(np.array([1.0, -1.0])) == pytest.approx(0.02)  # Keras' default 0.01

    def test_in_a_model_the_loss_and_both_strategies_see_it(self, rng):
        model = lg.Sequential([
            layers.Dense(4, activation="tanh", kernel_regularizer=lg.regularizers.l1(0.1), input_shape=(3,), seed=0),
            layers.Dense(1, kernel_regularizer="l1", seed=1),
        ])
        x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 1))
        _check(model, "mse", x, y)  # glorot weights are far from the kink at 0
        value, grads = AnalyticGradient().gradients(model, "mse", x, y)
        k0, k1 = model.layers[0].kernel.value, model.layers[1].kernel.value
        penalty = 0.1 * np.abs(k0).sum() + 0.01 * np.abs(k1).sum()
        assert value == pytest.approx(lg.losses.get("mse")(y, model.predict(x)) + penalty, rel=1e-12)
        without = lg.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,), seed=0), layers.Dense(1, seed=1)])
        _, plain = AnalyticGradient().gradients(without, "mse", x, y)
        np.testing.assert_allclose(grads[0] - plain[0], 0.1 * np.sign(k0), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(grads[2] - plain[2], 0.01 * np.sign(k1), rtol=1e-12, atol=1e-15)

    def test_config_and_bad_factors(self):
        reg = lg.regularizers.l1(0.3)
        config = json.loads(json.dumps(reg.get_config()))
        assert config == {"class_name": "L1L2", "config": {"l1": 0.3, "l2": 0.0}}
        assert lg.regularizers.get(config)(np.array([2.0])) == pytest.approx(0.6)
        for bad in (-0.1, float("nan"), float("inf"), "0.1", True, None):
            with pytest.raises(ValueError, match=r"^Regularizer l1 factor must be a finite number >= 0, got "):
                lg.regularizers.l1(bad)
        with pytest.raises(ValueError, match="A regularizer config must be"):
            lg.regularizers.get({"class_name": "Orthogonal", "config": {}})
