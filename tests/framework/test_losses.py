"""Losses: values by hand, gradients, fused gradients, reductions, label errors."""
import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers, losses
from layergraph.framework import activations


def _numeric_grad(loss, y_true, y_pred, eps=1e-6):
    g = np.zeros_like(y_pred)
    for idx in np.ndindex(y_pred.shape):
        p, m = y_pred.copy(), y_pred.copy()
        p[idx] += eps
        m[idx] -= eps
        g[idx] = (loss(y_true, p) - loss(y_true, m)) / (2 * eps)
    return g


class TestValues:
    def test_mse_by_hand(self):
        y, p = np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.5, 0.0], [1.0, 1.0]])
        # per sample: (0.25 + 0)/2 = 0.125 and (1 + 1)/2 = 1
        assert losses.MeanSquaredError()(y, p) == pytest.approx(0.5625)
        assert losses.MeanSquaredError(reduction="sum")(y, p) == pytest.approx(1.125)

    def test_tutorial_half_sum_squared_error(self):
        y, p = np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.5, 0.0], [1.0, 1.0]])
        assert losses.SumSquaredError()(y, p) == pytest.approx(0.5 * (0.25 + 1 + 1))

    def test_tutorial_half_sum_bce(self):
        y, p = np.array([0.0, 1.0]), np.array([[0.2], [0.9]])
        expected = -0.5 * (np.log(0.8) + np.log(0.9))
        loss = losses.BinaryCrossentropy(reduction="sum", scale=0.5, delta=0.0)
        assert loss(y, p) == pytest.approx(expected, rel=1e-14)

    def test_tutorial_cross_entropy_with_delta(self):
        y = np.array([[0, 1, 0], [1, 0, 0]], dtype=float)
        p = np.array([[0.2, 0.7, 0.1], [0.0, 0.5, 0.5]])
        expected = -(np.log(0.7 + 1e-7) + np.log(0.0 + 1e-7)) / 2
        assert losses.CategoricalCrossentropy(delta=1e-7)(y, p) == pytest.approx(expected, rel=1e-14)

    def test_keras_style_clipping(self):
        y, p = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
        assert losses.CategoricalCrossentropy()(y, p) == pytest.approx(-np.log(1e-7))

    def test_sparse_equals_categorical(self, rng):
        p = activations.softmax(rng.normal(size=(6, 4)))
        labels = np.array([0, 3, 1, 2, 2, 0])
        one_hot = np.eye(4)[labels]
        assert losses.SparseCategoricalCrossentropy()(labels, p) == pytest.approx(
            losses.CategoricalCrossentropy()(one_hot, p))
        assert losses.get("sparse_categorical_crossentropy")(labels[:, None], p) == pytest.approx(
            losses.CategoricalCrossentropy()(one_hot, p))

    def test_from_logits_matches_probabilities_and_is_stable(self, rng):
        z = rng.normal(size=(5, 3))
        y = np.eye(3)[[0, 1, 2, 1, 0]]
        assert losses.CategoricalCrossentropy(from_logits=True)(y, z) == pytest.approx(
            losses.CategoricalCrossentropy()(y, activations.softmax(z)))
        big = np.array([[1000.0, -1000.0, 0.0]])
        assert losses.CategoricalCrossentropy(from_logits=True)(np.array([[0, 1.0, 0]]), big) == pytest.approx(2000.0)
        assert losses.BinaryCrossentropy(from_logits=True)(np.array([[1.0]]), np.array([[-1000.0]])) == pytest.approx(
            1000.0)

    def test_string_names(self):
        for name, cls in [("mse", losses.MeanSquaredError), ("binary_crossentropy", losses.BinaryCrossentropy),
                          ("categorical_crossentropy", losses.CategoricalCrossentropy),
                          ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy)]:
            assert type(losses.get(name)) is cls

    def test_unknown_name_lists_valid(self):
        with pytest.raises(ValueError,
                           match=r"Unknown loss 'hinj'\. Valid loss names: .*binary_crossentropy.*hinge.*mae.*mse"):
            losses.get("hinj")

    def test_bad_reduction(self):
        with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum'"):
            losses.MeanSquaredError(reduction="none")


class TestGradients:
    @pytest.mark.parametrize("loss", [
        losses.MeanSquaredError(), losses.MeanSquaredError(reduction="sum"), losses.SumSquaredError(),
        losses.BinaryCrossentropy(), losses.BinaryCrossentropy(from_logits=True),
        losses.BinaryCrossentropy(reduction="sum", scale=0.5, delta=0.0),
        losses.CategoricalCrossentropy(), losses.CategoricalCrossentropy(delta=1e-7),
        losses.CategoricalCrossentropy(from_logits=True), losses.CategoricalCrossentropy(reduction="sum"),
    ], ids=repr)
    def test_gradient_matches_value(self, rng, loss):
        n, k = 4, 3
        if isinstance(loss, losses.CategoricalCrossentropy):
            y = np.eye(k)[rng.integers(0, k, n)]
        else:
            y = rng.integers(0, 2, (n, k)).astype(float)
        p = rng.uniform(0.05, 0.95, (n, k))
        if getattr(loss, "from_logits", False):
            p = rng.normal(size=(n, k))
        value, grad = loss.value_and_gradient(y, p)
        assert value == pytest.approx(loss(y, p))
        np.testing.assert_allclose(grad, _numeric_grad(loss, y, p), rtol=1e-6, atol=1e-9)

    def test_fused_softmax_gradient_is_p_minus_t_over_n(self, rng):
        p = activations.softmax(rng.normal(size=(4, 3)))
        y = np.eye(3)[[0, 1, 2, 0]]
        fused = losses.CategoricalCrossentropy().fused_gradient(activations.Softmax(), y, p)
        np.testing.assert_allclose(fused, (p - y) / 4)
        assert losses.CategoricalCrossentropy().fused_gradient(activations.Sigmoid(), y, p) is None
        assert losses.MeanSquaredError().fused_gradient(activations.Softmax(), y, p) is None

    def test_fused_gradient_finite_when_softmax_saturates(self):
        # p underflows to exactly 0 for the true class: the unfused chain would give 0 * inf.
        model = lg.Sequential([layers.Dense(2, activation="softmax", input_shape=(1,),
                                            kernel_initializer="ones", bias_initializer="zeros")])
        model.set_weights([np.array([[800.0, -800.0]]), np.zeros(2)])
        value, grads = gradients.AnalyticGradient().gradients(model, "categorical_crossentropy",
                                                              np.array([[1.0]]), np.array([[0.0, 1.0]]))
        assert np.isfinite(value)
        assert all(np.all(np.isfinite(g)) for g in grads)
        np.testing.assert_allclose(grads[0], [[1.0, -1.0]])

    @pytest.mark.parametrize("loss,act", [("categorical_crossentropy", "softmax"), ("binary_crossentropy", "sigmoid")])
    def test_fused_path_gradient_check(self, rng, loss, act):
        units = 3 if act == "softmax" else 1
        model = lg.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,), seed=0),
                               layers.Dense(units, activation=act, seed=1)])
        y = np.eye(3)[[0, 2, 1, 1, 0]] if units == 3 else rng.integers(0, 2, (5, 1)).astype(float)
        assert max(gradients.check(model, loss, rng.normal(size=(5, 3)), y)) < 1e-6

    @pytest.mark.parametrize("loss", ["mse", "sum_squared_error",
                                      losses.CategoricalCrossentropy(from_logits=True),
                                      losses.SparseCategoricalCrossentropy(from_logits=True),
                                      losses.BinaryCrossentropy(from_logits=True)], ids=str)
    def test_every_loss_gradient_check_through_model(self, rng, loss):
        units = 1 if isinstance(loss, losses.BinaryCrossentropy) else 3
        model = lg.Sequential([layers.Dense(units, input_shape=(2,), seed=4)])
        if isinstance(loss, losses.SparseCategoricalCrossentropy):
            y = np.array([0, 2, 1, 2])
        elif isinstance(loss, losses.CategoricalCrossentropy):
            y = np.eye(3)[[0, 2, 1, 2]]
        else:
            y = rng.integers(0, 2, (4, units)).astype(float)
        assert max(gradients.check(model, loss, rng.normal(size=(4, 2)), y)) < 1e-6


class TestLabelErrors:
    def test_shape_mismatch_names_loss_and_shapes(self):
        with pytest.raises(ValueError, match=r"CategoricalCrossentropy.*\(4, 3\).*\(4, 2\)"):
            losses.CategoricalCrossentropy()(np.zeros((4, 3)), np.full((4, 2), 0.5))

    def test_sparse_out_of_range(self):
        with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\).*\[0, 3\]"):
            losses.SparseCategoricalCrossentropy()(np.array([0, 3]), np.full((2, 3), 1 / 3))

    def test_sparse_non_integer(self):
        with pytest.raises(ValueError, match="must be integers"):
            losses.SparseCategoricalCrossentropy()(np.array([0.5, 1.0]), np.full((2, 3), 1 / 3))

    def test_sparse_given_one_hot(self):
        with pytest.raises(ValueError, match=r"integer labels of shape \(batch,\)"):
            losses.SparseCategoricalCrossentropy()(np.eye(3), np.full((3, 3), 1 / 3))

    def test_bce_labels_outside_unit_interval(self):
        with pytest.raises(ValueError, match=r"BinaryCrossentropy: labels must lie in \[0, 1\]"):
            losses.BinaryCrossentropy()(np.array([[2.0]]), np.array([[0.5]]))

    def test_non_numeric_labels(self):
        with pytest.raises(TypeError, match="labels must be numeric"):
            losses.MeanSquaredError()(np.array([["a"]]), np.array([[0.5]]))
