"""Hostile input to the training API: every case raises a clear ValueError/TypeError, and a model that ``fit``
was training is left exactly as it was before ``fit`` (weights, optimizer state, shuffling state).

Bad values sit at random positions (hypothesis), the last one always among them: checking only the first rows
is the bug these tests exist for.
"""
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import layergraph as lg
from layergraph import layers
from layergraph.framework import schedules
from layergraph.framework.trainer import ROLLBACK_NOTE

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _model(units=3, activation="softmax", loss="sparse_categorical_crossentropy", optimizer=None, metrics=None):
    model = lg.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,), seed=0),
                           layers.Dense(units, activation=activation, seed=1)])
    model.compile(optimizer or lg.optimizers.SGD(0.1, momentum=0.9), loss, metrics=metrics, seed=5)
    return model


def _snapshot(model):
    state = model.trainer.get_state()
    slots = [(i, name, a.copy()) for i, name, a in state["optimizer"]["slots"]]
    return [w.copy() for w in model.get_weights()], state["optimizer"]["iterations"], slots, state["shuffle_rng"]


def _assert_unchanged(model, before):
    weights, iterations, slots, rng = _snapshot(model)
    for a, b in zip(before[0], weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert iterations == before[1]
    assert [(i, n) for i, n, _ in slots] == [(i, n) for i, n, _ in before[2]]
    for (_, _, a), (_, _, b) in zip(before[2], slots, strict=True):
        np.testing.assert_array_equal(a, b)
    assert rng == before[3]


def _trained(model, x, y):
    """The model after one clean epoch, so that the optimizer has state to protect."""
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return model


def _position(n):
    """A row of ``n``: anywhere, with the last (and the first) always tried."""
    return st.one_of(st.just(n - 1), st.just(0), st.integers(0, n - 1))


@st.composite
def _bad_row(draw, bad_values):
    n = draw(st.integers(2, 50))
    return n, draw(_position(n)), draw(st.sampled_from(bad_values))


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3))


# -- labels, checked all at once before any update ----------------------------------------------------------
@SETTINGS
@given(_bad_row([3, 4, 100, -1, 2.5, math.nan, math.inf]))
@example((40, 39, 7))
def test_sparse_labels_any_bad_row(case):
    n, row, bad = case
    x = _data(n)
    y = np.arange(n) % 3
    model = _trained(_model(), x, y)
    before = _snapshot(model)
    y = y.astype(float)
    y[row] = bad
    what = "must be integers" if not (math.isfinite(bad) and bad == round(bad)) else r"must lie in \[0, 3\)"
    with pytest.raises(ValueError, match=rf"SparseCategoricalCrossentropy: labels {what}.* at row {row} \(of {n}\)"):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    _assert_unchanged(model, before)


@SETTINGS
@given(_bad_row([2.0, -0.5, 1.0000001, math.nan, -math.inf]))
@example((40, 33, 2.0))
def test_binary_labels_any_bad_row(case):
    n, row, bad = case
    x = _data(n)
    y = (x[:, 0] > 0).astype(float)
    model = _trained(_model(1, "sigmoid", "binary_crossentropy"), x, y)
    before = _snapshot(model)
    y[row] = bad
    with pytest.raises(ValueError, match=rf"BinaryCrossentropy: labels must lie in \[0, 1\].*the first outside is "
                                         rf"\[.*\] at row {row} \(of {n}\)"):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    _assert_unchanged(model, before)


@SETTINGS
@given(_bad_row([[1, 1, 0], [0, 0, 0], [1.5, -0.5, 0], [math.nan, 1, 0], [0.3, 0.3, 0.3]]))
def test_one_hot_labels_any_bad_row(case):
    n, row, bad = case
    x = _data(n)
    y = np.eye(3)[np.arange(n) % 3]
    model = _trained(_model(loss="categorical_crossentropy"), x, y)
    before = _snapshot(model)
    y[row] = bad
    with pytest.raises(ValueError, match=rf"CategoricalCrossentropy: .* at row {row} \(of {n}\)"):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    _assert_unchanged(model, before)


@SETTINGS
@given(_bad_row([math.nan, math.inf, -math.inf]))
def test_regression_labels_any_bad_row(case):
    n, row, bad = case
    x = _data(n)
    y = x[:, :1].copy()
    model = _trained(_model(1, None, "mse"), x, y)
    before = _snapshot(model)
    y[row] = bad
    with pytest.raises(ValueError, match=rf"MeanSquaredError: labels must be finite; got \[-?(nan|inf)\] at row "
                                         rf"{row} \(of {n}\)"):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    _assert_unchanged(model, before)


@SETTINGS
@given(_bad_row([3, -1, 0.5, math.nan]))
def test_validation_labels_any_bad_row_fail_before_training(case):
    n, row, bad = case
    x, y = _data(40), np.arange(40) % 3
    model = _trained(_model(), x, y)
    before = _snapshot(model)
    vx, vy = _data(n, seed=1), (np.arange(n) % 3).astype(float)
    vy[row] = bad
    with pytest.raises(ValueError, match=rf"at row {row} \(of {n}\)"):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_data=(vx, vy))
    _assert_unchanged(model, before)


@SETTINGS
@given(_bad_row([math.nan, math.inf, -math.inf]), st.sampled_from(["validation_data", "validation_split"]))
def test_validation_inputs_any_bad_row_fail_before_training(case, how):
    n, row, bad = case
    x, y = _data(40), np.arange(40) % 3
    model = _trained(_model(), x, y)
    before = _snapshot(model)
    if how == "validation_data":
        vx = _data(n, seed=1)
        vx[row, 2] = bad
        kwargs, match = {"validation_data": (vx, np.arange(n) % 3)}, rf"validation x contains a non-finite value " \
                                                                      rf"\(-?(nan|inf)\) at index \({row}, 2\)"
    else:  # the last 25% of x validate: rows 30..39
        x = x.copy()
        x[30 + row % 10, 2] = bad
        kwargs, match = {"validation_split": 0.25}, rf"x \(its validation part, samples 30 to 39\) contains a " \
                                                    rf"non-finite value \(-?(nan|inf)\) at index \({row % 10}, 2\)"
    with pytest.raises(ValueError, match=match):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, **kwargs)
    _assert_unchanged(model, before)


@SETTINGS
@given(_bad_row([math.nan, -1.0, math.inf, -math.inf]))
def test_sample_weights_any_bad_row(case):
    n, row, bad = case
    x, y = _data(n), np.arange(n) % 3
    model = _trained(_model(), x, y)
    before = _snapshot(model)
    weights = np.ones(n)
    weights[row] = bad
    with pytest.raises(ValueError, match=rf"^sample_weight must be finite and non-negative, got {bad} at sample "
                                         rf"{row}$"):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, sample_weight=weights)
    _assert_unchanged(model, before)


# -- inputs, met during training and undone ------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(_bad_row([math.nan, math.inf, -math.inf]), st.integers(0, 2), st.booleans())
@example((40, 39, math.inf), 0, False)
def test_a_non_finite_input_anywhere_undoes_the_whole_fit(case, column, shuffle):
    """Met in its batch, or a few steps later through the weights it broke: either way everything is undone."""
    n, row, bad = case
    x, y = _data(n), np.arange(n) % 3
    model = _trained(_model(), x, y)
    before = _snapshot(model)
    x = x.copy()
    x[row, column] = bad
    with pytest.raises(ValueError, match=rf"^x contains a non-finite value \(-?(nan|inf)\) at index "
                                         rf"\({row}, {column}\) \(sample {row} of {n}\); {ROLLBACK_NOTE}$"), \
            np.errstate(all="ignore"):
        model.fit(x, y, epochs=3, batch_size=8, shuffle=shuffle, verbose=0)
    _assert_unchanged(model, before)


def test_an_embedding_index_out_of_range_in_the_last_batch_undoes_the_whole_fit():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 10, size=(40, 3)), rng.normal(size=(40, 1))
    x[-1, 1] = 57
    model = lg.Sequential([layers.Embedding(10, 2, input_shape=(3,), seed=0), layers.Flatten(),
                           layers.Dense(1, seed=1)])
    model.compile(lg.optimizers.Adam(0.01), "mse", seed=0)
    model.fit(x[:-8], y[:-8], epochs=1, batch_size=8, verbose=0)
    before = _snapshot(model)
    with pytest.raises(ValueError, match=rf"^Embedding 'embedding\S*': index 57 is out of range \[0, 10\) .*; "
                                         rf"{ROLLBACK_NOTE}$"):
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    _assert_unchanged(model, before)


# -- learning rates -----------------------------------------------------------------------------------------
class _NegativeAfter(schedules.LearningRateSchedule):
    def __init__(self, step):
        self.step = step

    def __call__(self, step):
        return 0.1 if step < self.step else -0.1


@pytest.mark.parametrize("schedule,match", [
    (_NegativeAfter(7), r"SGD: the learning-rate schedule _NegativeAfter gave -0.1 at step 7; a rate must be a "
                        r"non-negative finite number"),
    (schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=1e300), r"SGD: the learning-rate schedule "
                                                                       r"ExponentialDecay failed at step 2 "
                                                                       r"\(OverflowError: "),
])
def test_a_schedule_that_gives_a_bad_rate_at_use_undoes_the_whole_fit(schedule, match):
    x, y = _data(40), np.arange(40) % 3
    model = _model(optimizer=lg.optimizers.SGD(schedule))
    before = _snapshot(model)
    with pytest.raises(ValueError, match=rf"^{match}.*; {ROLLBACK_NOTE}$"):
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("make,match", [
    (lambda: schedules.PiecewiseConstantDecay([10], [0.1, -0.1]), r"invalid learning rate values\[1\] -0.1"),
    (lambda: schedules.PiecewiseConstantDecay([10], [math.nan, 0.1]), r"invalid learning rate values\[0\] nan"),
    (lambda: schedules.PiecewiseConstantDecay([10], [0.1, "0.2"]), r"invalid learning rate values\[1\] '0.2'"),
    (lambda: schedules.PiecewiseConstantDecay([10, 5], [0.1, 0.2, 0.3]), r"boundaries must increase strictly, got "
                                                                         r"\[10, 5\]"),
    (lambda: schedules.PiecewiseConstantDecay([-1], [0.1, 0.2]), r"invalid boundaries\[0\] -1"),
    (lambda: schedules.PiecewiseConstantDecay([10], [0.1]), "need len\\(values\\) == len\\(boundaries\\) \\+ 1, got 1 "
                                                            "values and 1 boundaries"),
    (lambda: schedules.ExponentialDecay(-0.1, 10, 0.5), r"ExponentialDecay: invalid initial_learning_rate -0.1"),
    (lambda: schedules.ExponentialDecay(math.nan, 10, 0.5), r"ExponentialDecay: invalid initial_learning_rate nan"),
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), r"ExponentialDecay: invalid decay_steps 0"),
    (lambda: schedules.ExponentialDecay(0.1, 10, -0.5), r"ExponentialDecay: invalid decay_rate -0.5"),
    (lambda: schedules.StepDecay(math.inf, 10), r"StepDecay: invalid initial_learning_rate inf"),
    (lambda: schedules.StepDecay(0.1, 10, factor=0), r"StepDecay: invalid factor 0"),
    (lambda: lg.optimizers.SGD(-1), r"SGD: invalid learning rate -1"),
    (lambda: lg.optimizers.Adam(math.nan), r"Adam: invalid learning rate nan"),
])
def test_learning_rates_are_checked_when_made(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("value", [-1, 0, math.nan, math.inf, "0.1", True, None])
def test_assigning_a_bad_learning_rate_keeps_the_old_one(value):
    optimizer = lg.optimizers.SGD(0.1)
    with pytest.raises(ValueError, match=rf"^SGD: invalid learning rate {re.escape(repr(value))}; expected a number "
                                         rf"in \(0.0, inf\)$"):
        optimizer.learning_rate = value
    assert optimizer.learning_rate == 0.1


# -- divergence ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", [lambda: lg.optimizers.SGD(1e6), lambda: lg.optimizers.SGD(1e3, momentum=0.9),
                                       lambda: lg.optimizers.SGD(1e3, momentum=0.9, nesterov=True)])
def test_divergence_keeps_the_weights_and_optimizer_state_from_before_the_bad_update(optimizer):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = x @ np.array([[1.0], [2.0], [-3.0]]) * 1e3
    model = lg.Sequential([layers.Dense(4, input_shape=(3,), seed=0), layers.Dense(1, seed=1)])
    model.compile(optimizer(), "mse")
    seen = []

    class Record(lg.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            state = self.model.trainer.get_state()["optimizer"]
            seen.append((self.model.get_weights(), state["iterations"], [a.copy() for _, _, a in state["slots"]]))

    with pytest.warns(RuntimeWarning) as warned, np.errstate(all="ignore"):
        history = model.fit(x, y, epochs=100, batch_size=8, shuffle=False, verbose=0, callbacks=[Record()])
    stopped = history.stopped
    assert stopped["reason"] == "non-finite loss or weights"
    message = str(warned[-1].message)
    assert f"at epoch {stopped['epoch'] + 1}, step {stopped['step'] + 1}:" in message
    assert "the weights and optimizer state from before the update that produced them are restored" in message
    # The failing step is the last one that began; the update before it produced the non-finite values,
    # and the state from before that update is what is kept.
    weights, iterations, slots = seen[-2]
    for a, b in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    state = model.trainer.get_state()["optimizer"]
    assert state["iterations"] == iterations == len(seen) - 2
    for a, (_, _, b) in zip(slots, state["slots"], strict=True):
        np.testing.assert_array_equal(a, b)
    loss = model.evaluate(x, y, verbose=0)
    assert math.isfinite(loss)
    assert np.all(np.isfinite(model.predict(x, verbose=0)))
    assert len(history.epoch) == stopped["epoch"]  # the epoch that diverged is not logged


# -- arguments of fit, evaluate and predict -------------------------------------------------------------------
@pytest.mark.parametrize("method", ["predict", "evaluate"])
@pytest.mark.parametrize("batch_size", [-5, 0, 2.5, True, "8", np.float64(4)])
def test_predict_and_evaluate_refuse_bad_batch_sizes(method, batch_size):
    model = _model()
    x, y = _data(10), np.arange(10) % 3
    call = (lambda: model.predict(x, batch_size=batch_size)) if method == "predict" else \
        (lambda: model.evaluate(x, y, batch_size=batch_size))
    got = re.escape(repr(batch_size))
    with pytest.raises(ValueError, match=rf"^{method}: batch_size must be a positive integer, got {got}$"):
        call()


@SETTINGS
@given(st.integers(1, 30), st.integers(1, 40))
def test_predict_and_evaluate_do_not_depend_on_the_batch_size(n, batch_size):
    x, y = _data(n), np.arange(n) % 3
    model = _model(metrics=["accuracy"])
    whole = model.forward(x, training=False)[0]
    np.testing.assert_allclose(model.predict(x, batch_size=batch_size, verbose=0), whole, rtol=1e-12)
    loss, accuracy = model.evaluate(x, y, batch_size=batch_size, verbose=0)
    assert loss == pytest.approx(lg.losses.SparseCategoricalCrossentropy()(y, whole), rel=1e-12)
    assert accuracy == pytest.approx(np.mean(np.argmax(whole, axis=1) == y))


def test_fit_and_evaluate_on_empty_arrays():
    model = _model()
    with pytest.raises(ValueError, match="^x is empty$"):
        model.evaluate(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(ValueError, match="^x is empty$"):
        model.fit(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(ValueError, match="^validation x is empty$"):
        model.fit(_data(4), np.zeros(4), validation_data=(np.zeros((0, 3)), np.zeros(0)))
    assert model.predict(np.zeros((0, 3))).shape == (0, 3)  # nothing to predict is an empty answer


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize("callbacks,error,match", [
    ([object()], TypeError, r"^callbacks\[0\] must be a layergraph.callbacks.Callback, got object: <object object"),
    ([lg.callbacks.History(), "csv"], TypeError, r"^callbacks\[1\] must be a layergraph.callbacks.Callback, got str: "
                                                 r"'csv'$"),
    (object(), TypeError, r"callbacks must be a list of layergraph.callbacks.Callback objects, got object"),
    (lg.callbacks.History(), TypeError, r"callbacks must be a list of layergraph.callbacks.Callback objects, got "
                                        r"History"),
])
def test_callbacks_that_are_not_callbacks(method, callbacks, error, match):
    model = _model()
    before = _snapshot(model)
    x, y = _data(10), np.arange(10) % 3
    with pytest.raises(error, match=match):
        if method == "predict":
            model.predict(x, callbacks=callbacks)
        else:
            getattr(model, method)(x, y, callbacks=callbacks, verbose=0)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("metrics", ["accuracy", lg.metrics.get("accuracy"), 1])
def test_compile_metrics_must_be_a_list_tuple_or_dict_as_in_keras_3(metrics):
    model = _model()
    with pytest.raises(ValueError, match=rf"^compile: metrics must be a list, tuple or dict, got "
                                         rf"{type(metrics).__name__}: "):
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=metrics)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=("accuracy",))
    assert model.metrics_names == ["loss", "accuracy"]


@pytest.mark.parametrize("dtype", ["int32", "int8", "uint8", "bool", "complex128", "object", "<U3"])
def test_only_floating_dtypes_make_layers_and_models(dtype):
    with pytest.raises(TypeError, match=r"^Dense 'dense\S*': dtype must be a floating type such as 'float32' or "
                                        r"'float64', got \S+$"):
        layers.Dense(3, dtype=dtype)
    with pytest.raises(TypeError, match="dtype must be a floating type"):
        lg.Sequential([layers.Dense(3, input_shape=(2,))], dtype=dtype)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_floating_dtypes_are_accepted(dtype):
    layer = layers.Dense(3, dtype=dtype)
    layer(np.ones((2, 2), dtype=dtype))
    assert layer.kernel.dtype == np.dtype(dtype) and np.any(layer.kernel.value != 0)
