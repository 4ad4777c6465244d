"""Optimizers: single steps against hand-computed numbers, schedules, clipping,
validation, per-variable state, lookup, and the full-batch ScipyOptimizer."""
import math

import numpy as np
import pytest

import layergraph as lg
from layergraph.datasets import logic
from layergraph.framework.variables import Variable
from layergraph.models import gates, xor
from layergraph.optimizers import (
    SGD,
    Adagrad,
    Adam,
    ExponentialDecay,
    PiecewiseConstantDecay,
    RMSprop,
    ScipyOptimizer,
    StepDecay,
)

W0 = [1.0, 2.0]
G = [0.5, -1.0]


def _step(optimizer, grads_per_step, w0=W0):
    w = Variable(np.array(w0))
    for g in grads_per_step:
        optimizer.apply([w], [np.array(g)])
    return w.value


# -- one or two steps, numbers worked out by hand ----------------------------------------------------
def test_sgd_plain():
    # w - lr * g = [1 - 0.05, 2 + 0.1]
    np.testing.assert_allclose(_step(SGD(0.1), [G]), [0.95, 2.1], rtol=0, atol=1e-15)


def test_sgd_momentum_two_steps():
    # v1 = -0.1 g = [-0.05, 0.1];            w1 = [0.95, 2.1]
    # v2 = 0.9 v1 - 0.1 g = [-0.095, 0.19];  w2 = [0.855, 2.29]
    np.testing.assert_allclose(_step(SGD(0.1, momentum=0.9), [G]), [0.95, 2.1], atol=1e-15)
    np.testing.assert_allclose(_step(SGD(0.1, momentum=0.9), [G, G]), [0.855, 2.29], atol=1e-15)


def test_sgd_nesterov_two_steps():
    # v1 = [-0.05, 0.1];    w1 = w0 + 0.9 v1 - 0.1 g = w0 + [-0.095, 0.19] = [0.905, 2.19]
    # v2 = [-0.095, 0.19];  w2 = w1 + 0.9 v2 - 0.1 g = w1 + [-0.1355, 0.271] = [0.7695, 2.461]
    np.testing.assert_allclose(_step(SGD(0.1, momentum=0.9, nesterov=True), [G]), [0.905, 2.19], atol=1e-15)
    np.testing.assert_allclose(_step(SGD(0.1, momentum=0.9, nesterov=True), [G, G]), [0.7695, 2.461], atol=1e-15)


def test_adagrad_one_step():
    # a = 0.1 + g^2 = [0.35, 1.1];  w = w0 - 0.1 g / (sqrt(a) + 1e-7)
    expected = [1.0 - 0.05 / (math.sqrt(0.35) + 1e-7), 2.0 + 0.1 / (math.sqrt(1.1) + 1e-7)]
    np.testing.assert_allclose(_step(Adagrad(0.1), [G]), expected, rtol=1e-14)
    np.testing.assert_allclose(expected, [0.9154845888, 2.0953462498], rtol=1e-10)


def test_rmsprop_without_momentum():
    # s1 = 0.1 g^2 = [0.025, 0.1] -> step = 0.01 g / sqrt(s1) = 0.01 sign(g) / sqrt(0.1)
    # s2 = 0.9 s1 + 0.1 g^2 = 0.19 g^2 -> step = 0.01 sign(g) / sqrt(0.19)
    s1 = 0.01 * 0.5 / math.sqrt(0.025), 0.01 / math.sqrt(0.1)
    np.testing.assert_allclose(_step(RMSprop(0.01, epsilon=0.0), [G]), [1 - s1[0], 2 + s1[1]], rtol=1e-14)
    np.testing.assert_allclose(s1, [0.0316227766, 0.0316227766], rtol=1e-9)
    two = 0.01 / math.sqrt(0.1) + 0.01 / math.sqrt(0.19)
    np.testing.assert_allclose(_step(RMSprop(0.01, epsilon=0.0), [G, G]), [1 - two, 2 + two], rtol=1e-14)
    # with the default epsilon 1e-7 added to sqrt(s)
    with_eps = 0.01 * 0.5 / (math.sqrt(0.025) + 1e-7)
    np.testing.assert_allclose(_step(RMSprop(0.01), [G])[0], 1 - with_eps, rtol=1e-14)


def test_rmsprop_with_momentum():
    # m1 = step1 = 0.01/sqrt(0.1);  m2 = 0.5 m1 + 0.01/sqrt(0.19);  w2 = w0 -/+ (m1 + m2)
    m1 = 0.01 / math.sqrt(0.1)
    m2 = 0.5 * m1 + 0.01 / math.sqrt(0.19)
    got = _step(RMSprop(0.01, momentum=0.5, epsilon=0.0), [G, G])
    np.testing.assert_allclose(got, [1 - (m1 + m2), 2 + (m1 + m2)], rtol=1e-14)
    np.testing.assert_allclose(m1 + m2, 0.0316228 + 0.0387530, rtol=1e-5)


def test_adam_two_steps_keras_bias_correction():
    g1, g2 = [0.5, -1.0], [0.1, 0.2]
    # t = 1: m = 0.1 g1 = [0.05, -0.1]; v = 0.001 g1^2 = [0.00025, 0.001]
    #        alpha = 0.1 sqrt(1 - 0.999) / (1 - 0.9)
    m1, v1 = np.array([0.05, -0.1]), np.array([0.00025, 0.001])
    alpha1 = 0.1 * math.sqrt(0.001) / 0.1
    w1 = np.array(W0) - alpha1 * m1 / (np.sqrt(v1) + 1e-7)
    np.testing.assert_allclose(w1, [0.9, 2.1], atol=1e-6)  # the first Adam step is ~lr * sign(g)
    # t = 2: m = 0.9 m1 + 0.1 g2 = [0.055, -0.07]; v = 0.999 v1 + 0.001 g2^2 = [0.00025975, 0.001039]
    #        alpha = 0.1 sqrt(1 - 0.999^2) / (1 - 0.9^2) = 0.1 sqrt(0.001999) / 0.19
    m2, v2 = np.array([0.055, -0.07]), np.array([0.00025975, 0.001039])
    alpha2 = 0.1 * math.sqrt(0.001999) / 0.19
    w2 = w1 - alpha2 * m2 / (np.sqrt(v2) + 1e-7)
    opt = Adam(0.1)
    np.testing.assert_allclose(_step(opt, [g1]), w1, rtol=1e-13)
    np.testing.assert_allclose(_step(Adam(0.1), [g1, g2]), w2, rtol=1e-13)
    np.testing.assert_allclose(w2, [0.9000006 - 0.0803036, 2.0999994 + 0.0511027], rtol=1e-6)


# -- learning-rate schedules ------------------------------------------------------------------------------
def test_exponential_decay():
    smooth = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    stairs = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert smooth(0) == pytest.approx(0.1)
    assert smooth(5) == pytest.approx(0.1 / math.sqrt(2))
    assert smooth(20) == pytest.approx(0.025)
    assert [stairs(s) for s in (0, 5, 9, 10, 19, 25)] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025])


def test_step_decay():
    schedule = StepDecay(1.0, step_size=3, factor=0.1)
    assert [schedule(s) for s in (0, 2, 3, 5, 6)] == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])


def test_piecewise_constant_decay_keras_boundaries():
    schedule = PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.1])
    assert [schedule(s) for s in (0, 2, 3, 5, 6, 100)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    with pytest.raises(ValueError, match="len"):
        PiecewiseConstantDecay([2, 5], [1.0, 0.5])


def test_schedule_drives_the_optimizer_step_by_step():
    # lr per step 1, 0.5, 0.25 with g = 1: w = 0 - 1 - 0.5 - 0.25
    opt = SGD(StepDecay(1.0, step_size=1, factor=0.5))
    w = Variable(np.zeros(1))
    rates = []
    for _ in range(3):
        rates.append(opt.current_learning_rate)
        opt.apply([w], [np.ones(1)])
    assert rates == [1.0, 0.5, 0.25]
    assert w.value[0] == -1.75
    assert opt.iterations == 3 and opt.current_learning_rate == 0.125


def test_schedule_inside_adam_uses_scheduled_rate():
    scheduled = Adam(PiecewiseConstantDecay([0], [0.1, 0.01]))
    w = Variable(np.array(W0))
    for g in ([0.5, -1.0], [0.1, 0.2]):
        scheduled.apply([w], [np.array(g)])
    # step 1 at lr 0.1 (~[0.9, 2.1]), step 2 at lr 0.01
    m2, v2 = np.array([0.055, -0.07]), np.array([0.00025975, 0.001039])
    w1 = np.array(W0) - 0.1 * math.sqrt(0.001) / 0.1 * np.array([0.05, -0.1]) / (np.sqrt([0.00025, 0.001]) + 1e-7)
    expected = w1 - 0.01 * math.sqrt(0.001999) / 0.19 * m2 / (np.sqrt(v2) + 1e-7)
    np.testing.assert_allclose(w.value, expected, rtol=1e-13)


# -- clipping ------------------------------------------------------------------------------------------------
def test_clipnorm_rescales_each_gradient_separately():
    a, b = Variable(np.zeros(2)), Variable(np.zeros(1))
    SGD(1.0, clipnorm=1.0).apply([a, b], [np.array([3.0, 4.0]), np.array([0.5])])
    np.testing.assert_allclose(a.value, [-0.6, -0.8])  # norm 5 -> 1
    np.testing.assert_allclose(b.value, [-0.5])  # norm 0.5 < 1: unchanged


def test_global_clipnorm_rescales_all_gradients_together():
    a, b = Variable(np.zeros(2)), Variable(np.zeros(1))
    SGD(1.0, global_clipnorm=1.0).apply([a, b], [np.array([3.0, 4.0]), np.array([12.0])])
    np.testing.assert_allclose(a.value, [-3 / 13, -4 / 13])  # joint norm 13
    np.testing.assert_allclose(b.value, [-12 / 13])
    c = Variable(np.zeros(1))
    SGD(1.0, global_clipnorm=10.0).apply([c], [np.array([2.0])])
    assert c.value[0] == -2.0


# -- validation --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, value", [
    (lambda: SGD(learning_rate=-0.1), "-0.1"),
    (lambda: SGD(learning_rate=0), "0"),
    (lambda: Adam(learning_rate=float("nan")), "nan"),
    (lambda: RMSprop(learning_rate="fast"), "'fast'"),
    (lambda: SGD(0.1, momentum=1.0), "1.0"),
    (lambda: SGD(0.1, momentum=-0.5), "-0.5"),
    (lambda: RMSprop(rho=1.5), "1.5"),
    (lambda: RMSprop(momentum=2), "2"),
    (lambda: Adam(beta_1=1.0), "1.0"),
    (lambda: Adam(beta_2=-0.001), "-0.001"),
    (lambda: Adagrad(initial_accumulator_value=-1), "-1"),
    (lambda: SGD(0.1, clipnorm=0), "0"),
    (lambda: ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5), "0"),
])
def test_invalid_hyperparameters_name_the_value(make, value):
    with pytest.raises(ValueError, match=f"invalid .*{value}"):
        make()


def test_error_message_names_optimizer_and_parameter():
    with pytest.raises(ValueError, match=r"^Adam: invalid beta_1 1\.0"):
        Adam(beta_1=1.0)
    with pytest.raises(ValueError, match=r"^SGD: invalid learning rate -1"):
        SGD(-1)


def test_gradient_shape_mismatch_is_refused():
    w = Variable(np.zeros((2, 2)), name="layer/kernel")
    with pytest.raises(ValueError, match="layer/kernel"):
        SGD().apply([w], [np.zeros(3)])


# -- state keyed by variable identity -----------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9), lambda: Adam(0.1), lambda: RMSprop(0.1),
                                  lambda: Adagrad(0.1)])
def test_variables_with_equal_names_get_separate_state(make):
    twin_a, twin_b = Variable(np.zeros(2), name="dense/kernel"), Variable(np.zeros(2), name="dense/kernel")
    ga, gb = np.array([1.0, -2.0]), np.array([-3.0, 0.5])
    opt = make()
    for _ in range(3):
        opt.apply([twin_a, twin_b], [ga, gb])
    assert len(opt._state) == 2
    # each must match a run of its own, alone
    for var, g in ((twin_a, ga), (twin_b, gb)):
        alone, solo = Variable(np.zeros(2), name="dense/kernel"), make()
        for _ in range(3):
            solo.apply([alone], [g])
        np.testing.assert_array_equal(var.value, alone.value)


# -- lookup and serialisation -------------------------------------------------------------------------------
def test_get_by_name_class_and_instance():
    assert type(lg.optimizers.get("sgd")) is SGD
    assert type(lg.optimizers.get("Adam")) is Adam
    assert type(lg.optimizers.get(RMSprop)) is RMSprop
    assert type(lg.optimizers.get(ScipyOptimizer)) is ScipyOptimizer
    assert type(lg.optimizers.get("lbfgs")) is ScipyOptimizer
    opt = Adagrad()
    assert lg.optimizers.get(opt) is opt


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'nadam'.*adagrad, adam, lbfgs, rmsprop, sgd"):
        lg.optimizers.get("nadam")


@pytest.mark.parametrize("opt", [SGD(0.2, momentum=0.5, nesterov=True, clipnorm=1.0), Adagrad(0.3),
                                 RMSprop(0.01, rho=0.8, momentum=0.1), Adam(ExponentialDecay(0.1, 10, 0.9, True)),
                                 ScipyOptimizer("BFGS", options={"gtol": 1e-9}, maxiter=7)])
def test_serialize_round_trip(opt):
    again = lg.optimizers.deserialize(lg.optimizers.serialize(opt))
    assert type(again) is type(opt) and again.get_config() == opt.get_config()


# -- ScipyOptimizer ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("gradient", ["analytic", "numeric"])
def test_lbfgs_solves_xor(gradient):
    x, y = logic.truth_table("XOR")
    model = xor.build(hidden_units=4, seed=1)
    model.compile(optimizer=ScipyOptimizer("L-BFGS-B", maxiter=100), loss="binary_crossentropy",
                  gradient=gradient, metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, verbose=0)
    assert xor.solved(model)
    assert history.history["accuracy"][-1] == 1.0
    assert history.history["loss"][-1] < 1e-3
    # the weights written back are the ones the reported loss belongs to
    assert model.evaluate(x, y)[0] == pytest.approx(history.history["loss"][-1], rel=1e-9)
    assert model.optimizer.iterations > 0 and model.optimizer.result is not None


@pytest.mark.parametrize("gradient", ["analytic", "numeric"])
def test_lbfgs_trains_and_gate_with_tutorial_loss(gradient):
    # The tutorial's cost has log(0) = -inf at saturated outputs: such points are
    # reported to scipy as +inf, so the line search steps back from them.
    x, y = logic.truth_table("AND")
    model = gates.build()
    model.compile(optimizer=ScipyOptimizer(maxiter=50), loss=gates.tutorial_loss(), gradient=gradient)
    history = model.fit(x, y, epochs=2, verbose=0)
    assert np.all(np.isfinite(model.get_weights()[0]))
    np.testing.assert_array_equal(model.predict(x).round(), y)
    assert history.history["loss"][-1] < 1e-3


def test_gradient_free_method_and_epoch_count():
    x, y = logic.truth_table("OR")
    model = gates.build()
    model.compile(optimizer=ScipyOptimizer("Powell", maxiter=20), loss="mse")
    history = model.fit(x, y, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert history.history["loss"][-1] <= history.history["loss"][0]
    np.testing.assert_array_equal(model.predict(x).round(), y)


def test_scipy_optimizer_validation_and_train_on_batch():
    with pytest.raises(ValueError, match=r"unsupported method 'newton'.*L-BFGS-B"):
        ScipyOptimizer("newton")
    with pytest.raises(ValueError, match="invalid maxiter 0"):
        ScipyOptimizer(maxiter=0)
    assert ScipyOptimizer("l-bfgs-b").method == "L-BFGS-B"
    model = gates.build()
    model.compile(optimizer=ScipyOptimizer(), loss="mse")
    x, y = logic.truth_table("AND")
    with pytest.raises(TypeError, match="model.fit"):
        model.train_on_batch(x, y)


# -- Keras' apply_gradients and Variable.assign ------------------------------------------------------
def test_apply_gradients_takes_keras_pairs_and_keeps_state_per_variable():
    w, b = Variable(np.array([1.0, 2.0]), "w"), Variable(np.array([[0.5]]), "b")
    optimizer = SGD(0.1, momentum=0.9)
    # a one-pass iterator
    optimizer.apply_gradients(zip([np.array([1.0, -1.0]), np.array([[2.0]])], [w, b], strict=True))
    # v = -0.1 g; w + v
    np.testing.assert_allclose(w.value, [0.9, 2.1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(b.value, [[0.3]], rtol=0, atol=1e-15)
    optimizer.apply_gradients([(np.array([1.0, -1.0]), w), (np.array([[0.0]]), b)])
    # v = 0.9 * (-0.1 g) - 0.1 g = -0.19 g for w; 0.9 * -0.2 = -0.18 for b
    np.testing.assert_allclose(w.value, [0.71, 2.29], rtol=0, atol=1e-15)
    np.testing.assert_allclose(b.value, [[0.12]], rtol=0, atol=1e-15)
    assert optimizer.iterations == 2


def test_apply_gradients_refuses_a_bad_pair_before_any_update():
    w, b = Variable(np.array([1.0, 2.0]), "w"), Variable(np.array([[0.5]]), "b")
    optimizer = Adam(0.1)
    with pytest.raises(ValueError, match=r"^Adam: gradient of shape \(3,\) for b of shape \(1, 1\)$"):
        optimizer.apply_gradients([(np.ones(2), w), (np.ones(3), b)])  # the bad pair comes last
    assert w.value.tolist() == [1.0, 2.0] and b.value.tolist() == [[0.5]]
    assert optimizer.iterations == 0 and optimizer.get_state([w, b])["slots"] == []


def test_variable_assign_copies_into_its_own_array():
    v = Variable(np.zeros((2, 2), dtype=np.float32), "v")
    array = v.value
    v.assign([[1, 2], [3, 4]])  # a list of ints: cast into the float32 array the optimizer updates
    assert v.value is array and v.dtype == np.float32 and v.value.tolist() == [[1, 2], [3, 4]]
    source = np.full((2, 2), 5.0)
    v.assign(source)
    source[0, 0] = 9.0
    assert v.value[0, 0] == 5.0  # a copy, not a view
    with pytest.raises(ValueError, match=r"^Cannot assign a value of shape \(4,\) to variable 'v' of shape \(2, 2\)$"):
        v.assign([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(TypeError, match=r"^Cannot assign a value of dtype <U1 to variable 'v': it must be numeric$"):
        v.assign([["a", "b"], ["c", "d"]])
    assert v.value.tolist() == [[5, 5], [5, 5]] and v.numpy() is not v.value


# -- learning rates at use -----------------------------------------------------------------------------
def test_current_learning_rate_checks_what_a_schedule_gives():
    class Negative(lg.optimizers.LearningRateSchedule):
        def __call__(self, step):
            return 0.1 - 0.1 * step

    w = Variable(np.array([1.0]))
    optimizer = SGD(Negative())
    optimizer.apply([w], [np.array([1.0])])
    optimizer.apply([w], [np.array([1.0])])  # rates 0.1, then 0.0 (a schedule may reach 0, as a cosine does)
    np.testing.assert_allclose(w.value, [0.9], rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match=r"^SGD: the learning-rate schedule Negative gave -0.1 at step 2; a rate "
                                         r"must be a non-negative finite number$"):
        optimizer.apply([w], [np.array([1.0])])
    assert w.value.tolist() == [0.9] and optimizer.iterations == 2
