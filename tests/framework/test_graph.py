"""Functional Model and Sequential: graph order, fan-out, sharing, nesting."""
import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers


def _fanout_model():
    x = lg.Input(shape=(3,))
    h1 = layers.Dense(4, activation="tanh", seed=1, name="h1")(x)
    h2 = layers.Dense(2, activation="sigmoid", seed=2, name="h2")(x)  # x fans out to h1, h2 and the merge
    h3 = layers.Dense(2, activation="tanh", seed=3, name="h3")(h1)   # h1 fans out to h3 and the merge
    merged = layers.Concatenate()([h1, h3, h2, x])
    out = layers.Dense(2, seed=4, name="out")(merged)
    return lg.Model(inputs=x, outputs=out)


def test_functional_shapes_and_weight_order():
    model = _fanout_model()
    assert [layer.name for layer in model.layers if layer.weights] == ["h1", "h2", "h3", "out"]
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (3, 2), (2,), (4, 2), (2,), (11, 2), (2,)]
    assert model.predict(np.ones((5, 3))).shape == (5, 2)


def test_weight_order_ties_broken_by_creation_order():
    x = lg.Input(shape=(2,))
    b = layers.Dense(1, name="made_first")
    a = layers.Dense(1, name="made_second")
    out = layers.Add()([a(x), b(x)])  # a is called first, but b was created first
    model = lg.Model(x, out)
    assert [layer.name for layer in model.layers if layer.weights] == ["made_first", "made_second"]


def test_fanout_gradient_accumulates(rng):
    model = _fanout_model()
    assert max(gradients.check(model, "mse", rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))) < 1e-6


def test_shared_layer_gradient_accumulates(rng):
    shared = layers.Dense(3, activation="tanh", seed=7)
    x = lg.Input(shape=(3,))
    out = layers.Dense(1, seed=8)(shared(shared(x)))  # same weights applied twice
    model = lg.Model(x, out)
    assert len(model.get_weights()) == 4
    assert max(gradients.check(model, "mse", rng.normal(size=(4, 3)), rng.normal(size=(4, 1)))) < 1e-6


def test_nested_model_as_layer(rng):
    inner = lg.Sequential([layers.Dense(3, activation="sigmoid", input_shape=(2,), seed=1)], name="inner")
    x = lg.Input(shape=(2,))
    y = layers.Dense(1, activation="sigmoid", seed=2)(layers.Concatenate()([inner(x), x]))
    model = lg.Model(x, y)
    assert model.get_weights()[0] is not inner.get_weights()[0]
    np.testing.assert_array_equal(model.get_weights()[0], inner.get_weights()[0])
    assert max(gradients.check(model, "binary_crossentropy", rng.normal(size=(4, 2)),
                               np.array([0.0, 1.0, 1.0, 0.0]))) < 1e-6
    # Training the outer model trains the shared inner weights.
    before = inner.get_weights()[0].copy()
    model.compile(lg.optimizers.SGD(0.5), "binary_crossentropy")
    model.fit(rng.normal(size=(4, 2)), np.array([0.0, 1.0, 1.0, 0.0]), epochs=2, verbose=0)
    assert not np.allclose(before, inner.get_weights()[0])


def test_multi_input_multi_output(rng):
    a, b = lg.Input(shape=(2,)), lg.Input(shape=(3,))
    h = layers.Concatenate()([a, b])
    o1, o2 = layers.Dense(1, name="o1")(h), layers.Dense(2, name="o2")(h)
    model = lg.Model([a, b], [o1, o2])
    out1, out2 = model.predict([rng.normal(size=(4, 2)), rng.normal(size=(4, 3))])
    assert out1.shape == (4, 1) and out2.shape == (4, 2)
    out1b, out2b = model.predict([rng.normal(size=(5, 2)), rng.normal(size=(5, 3))], batch_size=2)
    assert out1b.shape == (5, 1) and out2b.shape == (5, 2)
    # Several outputs train (one loss each, weighted), and their gradients check.
    xs, ys = [rng.normal(size=(6, 2)), rng.normal(size=(6, 3))], [rng.normal(size=(6, 1)), rng.normal(size=(6, 2))]
    model.compile("sgd", ["mse", "mse"], loss_weights=[1.0, 0.5])
    assert gradients.check(model, model.trainer.objective, xs, ys).passed
    history = model.fit(xs, ys, epochs=2, verbose=0)
    assert sorted(history.history) == ["loss", "o1_loss", "o2_loss"]


def test_unused_branch_is_ignored(rng):
    x = lg.Input(shape=(2,))
    used = layers.Dense(1, seed=1)(x)
    layers.Dense(5)(x)  # a dangling branch that is not an output
    model = lg.Model(x, used)
    assert len(model.layers) == 2
    assert max(gradients.check(model, "mse", rng.normal(size=(3, 2)), rng.normal(size=(3, 1)))) < 1e-6


def test_disconnected_input_error():
    x, other = lg.Input(shape=(2,)), lg.Input(shape=(2,))
    out = layers.Dense(1)(other)
    with pytest.raises(ValueError, match="not in the model's inputs"):
        lg.Model(x, out)


def test_model_input_shape_error_names_input():
    x = lg.Input(shape=(2,), name="features")
    model = lg.Model(x, layers.Dense(1)(x))
    with pytest.raises(ValueError, match=r"'features' expects shape \(None, 2\), got \(4, 3\)"):
        model.predict(np.ones((4, 3)))


def test_input_validation():
    with pytest.raises(ValueError, match="positive integers"):
        lg.Input(shape=(0,))
    with pytest.raises(TypeError, match="symbolic tensors"):
        lg.Model(np.ones(2), np.ones(2))


class TestSequential:
    def test_lazy_build_on_first_data(self, rng):
        model = lg.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
        assert not model.built and model.get_weights() == []
        assert model.predict(rng.normal(size=(3, 5))).shape == (3, 2)
        assert [w.shape for w in model.get_weights()] == [(5, 4), (4,), (4, 2), (2,)]

    def test_input_first_and_add(self):
        model = lg.Sequential([lg.Input(shape=(3,))])
        model.add(layers.Dense(2))
        assert model.built and model.count_params() == 8

    def test_add_rejects_non_layer(self):
        with pytest.raises(TypeError, match="expected a Layer"):
            lg.Sequential(["dense"])

    def test_set_weights_round_trip_and_errors(self):
        model = lg.Sequential([layers.Dense(2, input_shape=(3,)), layers.Dense(1)])
        weights = [np.full(w.shape, i, dtype=float) for i, w in enumerate(model.get_weights())]
        model.set_weights(weights)
        for a, b in zip(weights, model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        with pytest.raises(ValueError, match="expects 4 weight arrays, got 3"):
            model.set_weights(weights[:3])

    def test_summary(self):
        lines = []
        model = lg.Sequential([layers.Dense(4, input_shape=(3,), name="hidden"), layers.Dense(1, name="out")], name="m")
        model.summary(print_fn=lines.append)
        text = lines[0]
        assert 'Model: "m"' in text and "hidden (Dense)" in text and "(None, 4)" in text
        assert "Total params: 21" in text and "Trainable params: 21" in text

    def test_float32_end_to_end(self, rng):
        model = lg.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), layers.Dense(1)], dtype="float32")
        assert all(w.dtype == np.float32 for w in model.get_weights())
        model.compile("sgd", "mse")
        model.fit(rng.normal(size=(8, 3)), rng.normal(size=(8, 1)), epochs=1, verbose=0)
        assert model.predict(rng.normal(size=(2, 3))).dtype == np.float32
        assert all(w.dtype == np.float32 for w in model.get_weights())

    def test_non_trainable_layer_gets_no_update(self, rng):
        frozen = layers.Dense(3, input_shape=(2,), trainable=False)
        model = lg.Sequential([frozen, layers.Dense(1)])
        before = frozen.get_weights()
        model.compile(lg.optimizers.SGD(0.1), "mse")
        model.fit(rng.normal(size=(8, 2)), rng.normal(size=(8, 1)), epochs=2, verbose=0)
        assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
        for a, b in zip(before, frozen.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_get_layer_by_name_or_index_as_in_keras_3():
    model = _fanout_model()
    assert model.get_layer(index=1) is model.layers[1] and model.get_layer(index=-1).name == "out"
    assert model.get_layer("h3") is model.get_layer(index=[layer.name for layer in model.layers].index("h3"))
    n = len(model.layers)
    with pytest.raises(ValueError, match=rf"no layer at index {n}; it has {n} layers"):
        model.get_layer(index=n)
    with pytest.raises(ValueError, match=rf"no layer at index -{n + 1}; it has {n} layers"):
        model.get_layer(index=-n - 1)
    for index in (True, 1.0, "1"):
        with pytest.raises(ValueError, match=rf"no layer at index {index!r}"):
            model.get_layer(index=index)
    with pytest.raises(ValueError, match=r"^get_layer: give a layer name or a layer index, not both \(got index=1, "
                                         r"name='h1'\)$"):
        model.get_layer("h1", index=1)
    with pytest.raises(ValueError, match="^get_layer: give a name or an index$"):
        model.get_layer()
    with pytest.raises(ValueError, match=r"No layer named 'h9' in model .*; layers: \["):
        model.get_layer("h9")
    stack = lg.Sequential([layers.Dense(2, input_shape=(3,), name="first"), layers.Dense(1, name="second")])
    assert stack.get_layer(index=0).name == "first" and stack.get_layer(index=1).name == "second"
