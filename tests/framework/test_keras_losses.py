"""The Keras 3 losses added for issue 12: hand-computed values, Keras' loss functions (per-sample values),
gradients (against central differences and through a model), label checks, names and configs."""
import math

import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers, losses

EPS = 1e-7


def _numeric_grad(loss, y_true, y_pred, eps=1e-6):
    g = np.zeros_like(y_pred)
    for idx in np.ndindex(y_pred.shape):
        p, m = y_pred.copy(), y_pred.copy()
        p[idx] += eps
        m[idx] -= eps
        g[idx] = (loss(y_true, p) - loss(y_true, m)) / (2 * eps)
    return g


class TestValuesByHand:
    def test_mean_absolute_error(self):
        y, p = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.5, 2.0], [2.0, 6.0]])
        assert losses.mean_absolute_error(y, p).tolist() == [0.25, 1.5]
        assert losses.MeanAbsoluteError()(y, p) == 0.875
        assert losses.MeanAbsoluteError(reduction="sum")(y, p) == 1.75

    def test_mean_absolute_percentage_error(self):
        assert losses.mean_absolute_percentage_error(np.array([[2.0, 4.0]]), np.array([[1.0, 5.0]])).tolist() == [37.5]
        # a zero label divides by epsilon, as Keras
        assert losses.MeanAbsolutePercentageError()(np.array([[0.0]]), np.array([[1e-7]])) == pytest.approx(100.0)

    def test_mean_squared_logarithmic_error(self):
        y, p = np.array([[0.0, math.e - 1]]), np.array([[math.e - 1, math.e - 1]])
        # log(1 + e - 1) = 1 against log(1 + max(0, eps)) for the first value; the second matches
        expected = (1.0 - math.log1p(EPS)) ** 2 / 2
        assert losses.mean_squared_logarithmic_error(y, p)[0] == pytest.approx(expected, rel=1e-14)

    def test_huber(self):
        y, p = np.zeros((2, 1)), np.array([[0.5], [3.0]])
        assert losses.huber(y, p).tolist() == [0.125, 2.5]  # 0.5^2/2 and 1*3 - 1/2
        assert losses.Huber(delta=2.0)(y, p) == pytest.approx((0.125 + 4.0) / 2)  # 2*3 - 4/2

    def test_log_cosh_and_its_stability(self):
        assert losses.log_cosh(np.zeros((1, 1)), np.ones((1, 1)))[0] == pytest.approx(math.log(math.cosh(1.0)))
        assert losses.LogCosh()(np.zeros((1, 1)), np.array([[1000.0]])) == pytest.approx(1000.0 - math.log(2.0))
        assert losses.LogCosh()(np.zeros((1, 1)), np.array([[-1000.0]])) == pytest.approx(1000.0 - math.log(2.0))

    def test_cosine_similarity(self):
        y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        p = np.array([[1.0, 1.0], [0.0, -2.0], [0.0, 0.0]])
        np.testing.assert_allclose(losses.cosine_similarity(y, p), [-1 / math.sqrt(2), 1.0, 0.0])
        # along the middle axis of (n, 2, 1): one value per sample
        y3, p3 = y[:2, :, None], p[:2, :, None]
        np.testing.assert_allclose(losses.CosineSimilarity(axis=1).call(y3, p3), [[-1 / math.sqrt(2)], [1.0]])

    def test_kl_divergence(self):
        assert losses.kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]]))[0] == pytest.approx(
            0.5 * math.log(2) + 0.5 * math.log(2 / 3))
        # a zero label is clipped to epsilon, as Keras
        assert losses.KLDivergence()(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])) == pytest.approx(
            math.log(2) + EPS * math.log(EPS / 0.5))

    def test_poisson(self):
        assert losses.poisson(np.array([[1.0, 0.0]]), np.array([[1.0, 2.0]]))[0] == pytest.approx(
            ((1.0 - math.log(1.0 + EPS)) + 2.0) / 2)

    def test_hinge_and_squared_hinge_convert_0_1_labels(self):
        p = np.array([[0.5, 0.5]])
        # labels -1, 1: margins 1 + 0.5 and 1 - 0.5
        for y in (np.array([[0.0, 1.0]]), np.array([[-1.0, 1.0]])):
            assert losses.hinge(y, p).tolist() == [1.0]
            assert losses.squared_hinge(y, p).tolist() == [1.25]
        assert losses.Hinge()(np.array([[1.0]]), np.array([[2.0]])) == 0.0

    def test_functions_agree_with_their_classes_and_labels_n_fit_n_1(self, rng):
        y, p = rng.uniform(0.1, 0.9, (5, 1)), rng.uniform(0.1, 0.9, (5, 1))
        for fn, cls in [(losses.mean_absolute_error, losses.MeanAbsoluteError), (losses.huber, losses.Huber),
                        (losses.poisson, losses.Poisson), (losses.log_cosh, losses.LogCosh),
                        (losses.mean_squared_logarithmic_error, losses.MeanSquaredLogarithmicError),
                        (losses.mean_squared_error, losses.MeanSquaredError)]:
            values = fn(y[:, 0], p)  # labels (n,) for predictions (n, 1), as Keras squeezes
            assert values.shape == (5,)
            assert np.mean(values) == pytest.approx(cls()(y, p), rel=1e-12)


LOSSES = [losses.MeanAbsoluteError(), losses.MeanAbsolutePercentageError(), losses.MeanSquaredLogarithmicError(),
          losses.Huber(delta=0.3), losses.LogCosh(), losses.CosineSimilarity(), losses.KLDivergence(),
          losses.Poisson(), losses.Hinge(), losses.SquaredHinge(), losses.MeanAbsoluteError(reduction="sum")]


def _labels_and_outputs(loss, rng, shape=(4, 3)):
    """Labels in each loss's domain, and the output activation that keeps predictions in theirs."""
    if isinstance(loss, losses.Hinge):
        return rng.choice([-1.0, 1.0], shape), None
    if isinstance(loss, losses.KLDivergence):
        return rng.dirichlet(np.ones(shape[-1]), shape[0]), "softmax"
    if isinstance(loss, (losses.Poisson, losses.MeanSquaredLogarithmicError)):
        return rng.uniform(0.0, 2.0, shape), "sigmoid"
    return rng.normal(size=shape), None


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_gradient_matches_the_value(rng, loss):
    y, act = _labels_and_outputs(loss, rng)
    p = rng.uniform(0.05, 0.95, y.shape) if act else rng.normal(size=y.shape)
    value, grad = loss.value_and_gradient(y, p)
    assert value == pytest.approx(loss(y, p))
    np.testing.assert_allclose(grad, _numeric_grad(loss, y, p), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_gradient_check_through_a_model(rng, loss):
    y, act = _labels_and_outputs(loss, rng)
    model = lg.Sequential([layers.Dense(5, activation="tanh", input_shape=(2,), seed=0),
                           layers.Dense(3, activation=act, seed=1)])
    check = gradients.check(model, loss, rng.normal(size=(4, 2)), y)
    assert check.passed, str(check)


def test_gradient_is_zero_where_a_clip_flattens_the_loss():
    # KL clips predictions to [eps, 1], MSLE to >= eps: outside, the loss does not change with them
    for loss, y, p in [(losses.KLDivergence(), np.array([[0.3, 0.7]]), np.array([[1.2, 0.4]])),
                       (losses.MeanSquaredLogarithmicError(), np.array([[0.3, 0.7]]), np.array([[-0.5, 0.4]]))]:
        grad = loss.gradient(*loss.validate(y, p))
        assert grad[0, 0] == 0.0 and grad[0, 1] != 0.0
        np.testing.assert_allclose(grad, _numeric_grad(loss, y, p), rtol=1e-6, atol=1e-9)


def test_gradient_of_sample_weighted_rank_3_predictions(rng):
    # (n, 2, 3) predictions: the per-sample loss averages (MAE) or sums then averages (KL, cosine)
    weights = np.array([1.0, 0.0, 2.0])
    for loss, y in [(losses.Huber(delta=0.5), rng.normal(size=(3, 2, 3))),
                    (losses.KLDivergence(), rng.dirichlet(np.ones(3), (3, 2))),
                    (losses.CosineSimilarity(axis=1), rng.normal(size=(3, 2, 3)))]:
        p = rng.uniform(0.05, 0.95, y.shape)
        _, grad = loss.value_and_gradient(y, p, weights)
        np.testing.assert_allclose(grad, _numeric_grad(lambda t, q, loss=loss: loss(t, q, weights), y, p), rtol=1e-6,
                                   atol=1e-8)


class TestLabelChecks:
    @pytest.mark.parametrize("loss,labels,message", [
        (losses.Hinge(), [[1.0], [0.0], [2.0]],
         r"Hinge: labels must be -1 or 1 \(or 0 or 1, converted to -1 and 1\); got \[2.\] at row 2 \(of 3\)"),
        (losses.SquaredHinge(), [[1.0], [0.0], [-1.0]], r"SquaredHinge: labels mix 0 and -1"),
        (losses.KLDivergence(), [[0.5], [0.2], [1.5]],
         r"KLDivergence: labels must be probabilities in \[0, 1\]; got \[1.5\] at row 2 \(of 3\)"),
        (losses.Poisson(), [[1.0], [3.0], [-1.0]],
         r"Poisson: labels must be finite and non-negative \(counts\); got \[-1.\] at row 2 \(of 3\)"),
        (losses.MeanSquaredLogarithmicError(), [[1.0], [3.0], [-0.5]],
         r"MeanSquaredLogarithmicError: labels must be finite and non-negative .*; got \[-0.5\] at row 2"),
    ], ids=lambda v: type(v).__name__ if isinstance(v, losses.Loss) else None)
    def test_bad_label_at_the_end(self, loss, labels, message):
        with pytest.raises(ValueError, match=message):
            loss(np.array(labels), np.full((3, 1), 0.5))

    def test_fit_checks_every_label_before_changing_a_weight(self, rng):
        model = lg.Sequential([layers.Dense(1, input_shape=(2,), seed=0)])
        model.compile("sgd", "poisson")
        before = model.get_weights()
        y = rng.uniform(0, 3, 50)
        y[-1] = -2.0
        with pytest.raises(ValueError, match=r"Poisson: labels must be finite and non-negative .* at row 49 \(of 50\)"):
            model.fit(rng.normal(size=(50, 2)), y, verbose=0)
        for a, b in zip(before, model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)

    def test_argument_errors(self):
        with pytest.raises(ValueError, match="Huber: delta must be a positive finite number, got 0"):
            losses.Huber(delta=0)
        with pytest.raises(ValueError, match=r"CosineSimilarity: axis=0 must be a non-batch axis of predictions "
                                             r"of shape \(2, 3\)"):
            losses.CosineSimilarity(axis=0)(np.ones((2, 3)), np.ones((2, 3)))


class TestNamesAndConfigs:
    @pytest.mark.parametrize("name,cls", [
        ("mae", losses.MeanAbsoluteError), ("mean_absolute_error", losses.MeanAbsoluteError),
        ("mape", losses.MeanAbsolutePercentageError), ("msle", losses.MeanSquaredLogarithmicError),
        ("mean_squared_logarithmic_error", losses.MeanSquaredLogarithmicError), ("huber", losses.Huber),
        ("log_cosh", losses.LogCosh), ("kld", losses.KLDivergence), ("kl_divergence", losses.KLDivergence),
        ("poisson", losses.Poisson), ("hinge", losses.Hinge), ("squared_hinge", losses.SquaredHinge),
        ("cosine_similarity", losses.CosineSimilarity), ("MeanAbsoluteError", losses.MeanAbsoluteError),
        ("Huber", losses.Huber)])
    def test_string_names(self, name, cls):
        assert type(losses.get(name)) is cls

    def test_keras_loss_functions_compile(self):
        assert type(losses.get(losses.mean_absolute_error)) is losses.MeanAbsoluteError
        model = lg.Sequential([layers.Dense(1, input_shape=(2,))])
        model.compile("sgd", loss=losses.huber)
        assert type(model.loss) is losses.Huber

    def test_configs_round_trip(self):
        for loss in (losses.Huber(delta=2.5), losses.CosineSimilarity(axis=-2), losses.Poisson(reduction="sum")):
            again = losses.deserialize(losses.serialize(loss))
            assert type(again) is type(loss) and again.get_config() == loss.get_config()


def test_training_with_mae_lowers_it(rng):
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    model = lg.Sequential([layers.Dense(1, input_shape=(3,), seed=0)])
    model.compile(lg.optimizers.SGD(0.05), loss="mae", metrics=["mape"])
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    results = model.evaluate(x, y, batch_size=10, return_dict=True)
    predictions = model.predict(x, verbose=0)
    assert results["loss"] == pytest.approx(np.mean(np.abs(predictions - y)), rel=1e-12)
    assert results["mape"] == pytest.approx(np.mean(100 * np.abs(predictions - y) / np.abs(y)), rel=1e-12)
