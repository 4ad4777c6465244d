"""Gradient strategies: agreement, restoration, sampling, injection."""
import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers


def _net(seed=0):
    return lg.Sequential([layers.Dense(3, activation="tanh", input_shape=(2,), seed=seed),
                          layers.Dense(1, activation="sigmoid", seed=seed + 1)])


def test_strategies_agree_and_return_weights_order(rng):
    model = _net()
    x, y = rng.normal(size=(6, 2)), rng.integers(0, 2, (6, 1)).astype(float)
    va, ga = gradients.AnalyticGradient().gradients(model, "binary_crossentropy", x, y)
    vn, gn = gradients.NumericGradient().gradients(model, "binary_crossentropy", x, y)
    assert va == pytest.approx(vn, rel=1e-12)
    assert [g.shape for g in ga] == [w.shape for w in model.get_weights()] == [g.shape for g in gn]
    for a, n in zip(ga, gn, strict=True):
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-10)


def test_numeric_does_not_change_weights(rng):
    model = _net()
    before = model.get_weights()
    gradients.NumericGradient().gradients(model, "mse", rng.normal(size=(3, 2)), rng.normal(size=(3, 1)))
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_numeric_restores_weights_when_forward_raises(rng):
    model = _net()
    before = model.get_weights()

    class Exploding(lg.losses.MeanSquaredError):
        calls = 0

        def value(self, y_true, y_pred, sample_weight=None):  # what the objective calls per evaluation
            Exploding.calls += 1
            if Exploding.calls == 4:  # in the middle of a perturbation
                raise RuntimeError("boom")
            return super().value(y_true, y_pred, sample_weight)

    with pytest.raises(RuntimeError, match="boom"):
        gradients.NumericGradient().gradients(model, Exploding(), rng.normal(size=(3, 2)), rng.normal(size=(3, 1)))
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_element_loop_costs_two_forward_passes_per_parameter(rng):
    model = _net()
    calls = []
    original = model.forward

    def counting_forward(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    model.forward = counting_forward
    loop = gradients.NumericGradient(vectorized=False)
    loop.gradients(model, "mse", rng.normal(size=(3, 2)), rng.normal(size=(3, 1)))
    assert len(calls) == 1 + 2 * model.count_params()


def test_sampled_coordinates(rng):
    model = lg.Sequential([layers.Dense(20, activation="tanh", input_shape=(10,), seed=0), layers.Dense(1, seed=1)])
    x, y = rng.normal(size=(4, 10)), rng.normal(size=(4, 1))
    numeric = gradients.NumericGradient(max_coordinates=7, seed=3)
    _, grads = numeric.gradients(model, "mse", x, y)
    assert [int(np.sum(~np.isnan(g))) for g in grads] == [7, 7, 7, 1]
    errors = gradients.check(model, "mse", x, y, numeric=numeric)
    assert max(errors) < 1e-6
    with pytest.raises(ValueError, match="max_coordinates samples the gradient"):
        model.compile("sgd", "mse", gradient=numeric)


def test_check_detects_a_wrong_backward(rng):
    class WrongDense(layers.Dense):
        def backward_preactivation(self, grad_z, cache):
            dx, grads = super().backward_preactivation(grad_z, cache)
            return dx, [1.01 * grads[0], grads[1]]  # 1% off in the kernel gradient

    model = lg.Sequential([WrongDense(2, input_shape=(3,), seed=0)])
    errors = gradients.check(model, "mse", rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))
    assert errors[0] > 1e-3 and errors[1] < 1e-6


def test_regularizer_in_loss_and_both_strategies(rng):
    model = lg.Sequential([layers.Dense(2, input_shape=(3,), seed=0, kernel_regularizer=lg.regularizers.l2(0.1))])
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    value, _ = gradients.AnalyticGradient().gradients(model, "mse", x, y)
    plain = lg.losses.MeanSquaredError()(y, model.predict(x))
    assert value == pytest.approx(plain + 0.1 * np.sum(model.get_weights()[0] ** 2))
    assert max(gradients.check(model, "mse", x, y)) < 1e-6


def test_get_strategy_by_name():
    assert isinstance(gradients.get("numeric"), gradients.NumericGradient)
    with pytest.raises(ValueError, match=r"Unknown gradient strategy 'symbolic'.*analytic, numeric"):
        gradients.get("symbolic")
    with pytest.raises(ValueError, match="epsilon must be a positive number"):
        gradients.NumericGradient(epsilon=0)


def test_trainer_uses_the_injected_strategy(rng):
    class Spy(gradients.AnalyticGradient):
        calls = 0

        def gradients(self, model, loss, x, y):
            Spy.calls += 1
            return super().gradients(model, loss, x, y)

    model = _net()
    model.compile("sgd", "binary_crossentropy", gradient=Spy())
    model.fit(rng.normal(size=(10, 2)), rng.integers(0, 2, 10).astype(float), epochs=3, batch_size=4, verbose=0)
    assert Spy.calls == 3 * 3


def test_numeric_and_analytic_training_agree(rng):
    x, y = rng.normal(size=(8, 2)), rng.integers(0, 2, (8, 1)).astype(float)
    results = []
    for strategy in ("numeric", "analytic"):
        model = _net(seed=5)
        model.compile(lg.optimizers.SGD(0.5), "binary_crossentropy", gradient=strategy)
        model.fit(x, y, epochs=20, batch_size=8, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for a, n in zip(*results, strict=True):
        np.testing.assert_allclose(a, n, rtol=1e-7, atol=1e-9)


def test_check_combines_relative_and_absolute_tolerance(rng):
    class Tiny(layers.Layer):  # y = s * x with s ~ 1e-6: gradients near zero, round-off ~1e-11
        def build(self, input_shape):
            self.s = self.add_weight(shape=(input_shape[-1],), initializer=lg.initializers.Constant(1e-6), name="s")

        def forward(self, x, training=False):
            return x * self.s.value, x

        def backward(self, grad, x, input_grad=True):
            return grad * self.s.value, [(grad * x).sum(axis=0)]

    model = lg.Sequential([Tiny(input_shape=(3,)), layers.Dense(1, seed=0)])
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 1))
    result = gradients.check(model, "mse", x, y)
    assert result.passed and max(result) < 1e-6
    assert [w.compared for w in result.weights] == [3, 3, 1]
    # The same comparison with no absolute floor is at the mercy of round-off.
    strict = gradients.check(model, "mse", x, y, atol=1e-30)
    assert [w.index for w in strict.weights][0] in {(0,), (1,), (2,)}


def test_check_names_the_failing_element(rng):
    class WrongDense(layers.Dense):
        def backward_preactivation(self, grad_z, cache, input_grad=True):
            dx, grads = super().backward_preactivation(grad_z, cache, input_grad)
            grads[0][1, 0] += 1e-3  # one wrong element
            return dx, grads

    model = lg.Sequential([WrongDense(2, input_shape=(3,), seed=0)])
    result = gradients.check(model, "mse", rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))
    assert not result.passed and result.weights[0].index == (1, 0) and result.weights[1].error < 1e-6
    text = str(result)
    assert "FAILED" in text and "worst element (1, 0)" in text and model.layers[0].kernel.name in text


def _two_inputs():
    a, b = lg.Input((2,), name="a"), lg.Input((3,), name="b")
    h = layers.Concatenate()([layers.Dense(3, activation="tanh", seed=0)(a), b])
    out = layers.Dense(2, activation="softmax", seed=1)(layers.Multiply()([h, layers.Dense(6, seed=2)(b)]))
    return lg.Model([a, b], out)


@pytest.mark.parametrize("as_dict", [False, True])
def test_check_accepts_what_predict_accepts_for_several_inputs(rng, as_dict):
    model = _two_inputs()
    xa, xb = rng.normal(size=(5, 2)), rng.normal(size=(5, 3))
    x = {"a": xa, "b": xb} if as_dict else [xa, xb]
    y = np.eye(2)[[0, 1, 1, 0, 1]]
    result = gradients.check(model, "categorical_crossentropy", x, y)
    assert result.passed and len(result) == len(model.trainable_weights) == 6
    assert all(w.compared == np.prod(v.shape) for w, v in zip(result.weights, model.trainable_weights, strict=True))
    assert model.predict(x).shape == (5, 2)


def test_check_on_several_inputs_detects_a_wrong_gradient(rng, monkeypatch):
    model = _two_inputs()
    multiply = model.layers[-2]
    backward = type(multiply).backward

    def halved(self, grad, cache, input_grad=True):  # half the gradient reaching the second input
        grads, weights = backward(self, grad, cache, input_grad)
        return [grads[0], grads[1] * 0.5], weights

    monkeypatch.setattr(type(multiply), "backward", halved)
    result = gradients.check(model, "categorical_crossentropy", [rng.normal(size=(5, 2)), rng.normal(size=(5, 3))],
                             np.eye(2)[[0, 1, 1, 0, 1]])
    assert not result.passed and "FAILED" in str(result)


@pytest.mark.parametrize("epsilon", [1e-4, 1e-5, 1e-6])
@pytest.mark.parametrize("loss,units,activation", [
    (lg.losses.BinaryCrossentropy(delta=1e-7), 2, "sigmoid"),
    (lg.losses.CategoricalCrossentropy(delta=1e-7), 3, "softmax"),  # the tutorial's loss
])
def test_fused_output_gradients_with_delta_are_exact(rng, loss, units, activation, epsilon):
    """Outputs pushed towards 0 (where delta matters): the analytic gradient is that of the loss as defined, so
    the check passes at every epsilon (the old fused form, which ignored delta, is off by 7e-4 (BCE) and 1.0
    (CCE) here, at every epsilon)."""
    model = lg.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,), seed=0),
                           layers.Dense(units, activation=activation, seed=1,
                                        kernel_initializer=lg.initializers.RandomNormal(stddev=3.0, seed=2))])
    x = rng.normal(size=(8, 3))
    y = np.eye(units)[rng.integers(0, units, 8)] if units == 3 else rng.integers(0, 2, (8, units)).astype(float)
    p = model.predict(x)
    assert p.min() < 1e-3  # an output near 0, where delta is not negligible
    result = gradients.check(model, loss, x, y, numeric=gradients.NumericGradient(epsilon=epsilon))
    assert result.passed, str(result)
    # Which path ran: softmax + CCE is fused (exactly, r = t p / (p + delta)); sigmoid + BCE with delta goes
    # through the sigmoid's Jacobian.
    fused = loss.fused_gradient(model.layers[-1].activation, y, p)
    assert (fused is not None) == (activation == "softmax")
