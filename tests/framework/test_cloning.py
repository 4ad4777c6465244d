"""clone_model: same architecture, new layers, fresh weights; shared layers stay shared; clone_function and
input_tensors; Sequential, functional (several inputs and outputs, dict inputs, nested) and subclassed models."""
import numpy as np
import pytest

import layergraph as lg
from layergraph import layers
from layergraph.framework.cloning import clone_layer
from layergraph.models import clone_model


def _same_outputs_with_the_same_weights(model, clone, x):
    clone.set_weights(model.get_weights())
    for a, b in zip(*(o if isinstance(o, list) else [o] for o in (model.predict(x, verbose=0),
                                                                   clone.predict(x, verbose=0))), strict=True):
        np.testing.assert_array_equal(a, b)


def test_sequential(rng):
    model = lg.Sequential([lg.Input(shape=(3,)), layers.Dense(4, activation="relu"), layers.Dropout(0.5),
                           layers.Dense(2, activation="softmax")], name="seq")
    model.compile("adam", "categorical_crossentropy")
    clone = clone_model(model)
    assert type(clone) is lg.Sequential and clone.name == "seq" and clone.trainer is None
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers, strict=True))
    assert clone.get_config()["layers"] == model.get_config()["layers"]
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])  # fresh weights
    _same_outputs_with_the_same_weights(model, clone, rng.normal(size=(5, 3)))


def test_seeded_layers_start_from_the_same_weights():
    model = lg.Sequential([layers.Dense(3, input_shape=(2,), seed=4)])
    np.testing.assert_array_equal(clone_model(model).get_weights()[0], model.get_weights()[0])


def test_functional_with_shared_layer_several_inputs_and_outputs(rng):
    a, b = lg.Input(shape=(3,), name="a"), lg.Input(shape=(3,), name="b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    merged = layers.Concatenate(name="concat")([shared(a), shared(b)])
    out1 = layers.Dense(1, name="out1")(merged)
    out2 = layers.Dense(2, activation="softmax", name="out2")(merged)
    model = lg.Model({"a": a, "b": b}, [out1, out2], name="two")
    clone = clone_model(model)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert clone.input_names == ["a", "b"] and clone.output_names == ["out1", "out2"]
    assert len(clone.weights) == len(model.weights) == 6  # the shared layer once
    shared_clone = clone.get_layer("shared")
    assert shared_clone is not shared and len(shared_clone._inbound_nodes) == 2
    x = {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=(4, 3))}
    _same_outputs_with_the_same_weights(model, clone, x)


def test_clone_function_can_share_layers_and_input_tensors(rng):
    x = lg.Input(shape=(2,))
    body = layers.Dense(3, activation="tanh", name="body")
    model = lg.Model(x, layers.Dense(1, name="head")(body(x)))

    def keep_body(layer):
        return layer if layer.name == "body" else clone_layer(layer)

    new_input = lg.Input(shape=(2,), name="new_input")
    clone = clone_model(model, input_tensors=new_input, clone_function=keep_body)
    assert clone.get_layer("body") is body  # shared with the original, weights and all
    assert clone.get_layer("head") is not model.get_layer("head")
    assert clone.inputs[0] is new_input


def test_nested_models_and_fixed_training_mode(rng):
    base = lg.Sequential([lg.Input(shape=(3,)), layers.Dense(3, name="inner")], name="base")
    x = lg.Input(shape=(3,))
    y = layers.Dense(1, name="top")(layers.Dropout(0.9)(base(x, training=False), training=True))
    model = lg.Model(x, y)
    clone = clone_model(model)
    assert clone.get_layer("base") is not base and isinstance(clone.get_layer("base"), lg.Sequential)
    assert [node.training for node in clone._graph.nodes if node.inputs] == [False, True, None]


def test_errors():
    x = lg.Input(shape=(2,))
    model = lg.Model(x, layers.Dense(1)(x))
    with pytest.raises(ValueError, match=r"has 1 input\(s\) \['input_layer.*'\], got 2 input tensor\(s\)"):
        clone_model(model, input_tensors=[lg.Input(shape=(2,)), lg.Input(shape=(2,))])
    with pytest.raises(ValueError, match=r"has shape \(None, 5\), the model's input has \(None, 2\)"):
        clone_model(model, input_tensors=lg.Input(shape=(5,)))
    with pytest.raises(TypeError, match="clone_function must return a layer, got NoneType"):
        clone_model(model, clone_function=lambda layer: None)

    class Sub(lg.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = layers.Dense(1)

        def call(self, inputs):
            return self.d(inputs)

        def get_config(self):
            return {"name": self.name}

    sub = Sub(name="sub")
    assert type(clone_model(sub)) is Sub
    with pytest.raises(ValueError, match="is a subclassed model"):
        clone_model(sub, clone_function=lambda layer: layer)
