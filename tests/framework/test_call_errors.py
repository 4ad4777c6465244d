"""Bad input to layers written with call(): each error names the layer and the op, before any weight changes."""
import re

import numpy as np
import pytest

import layergraph as lg
from layergraph.framework.autodiff import NotDifferentiableError, TracingError


class Svd(lg.layers.Layer):
    def call(self, inputs):
        return inputs * np.linalg.svd(inputs)[1].sum()


class WritesIntoItsInput(lg.layers.Layer):
    def call(self, inputs):
        inputs[..., 0] = 0.0
        return inputs


class UsesOut(lg.layers.Layer):
    def call(self, inputs):
        result = np.empty_like(inputs)
        np.exp(inputs, out=result)
        return result


class ReturnsADict(lg.layers.Layer):
    def call(self, inputs):
        return {"y": inputs}


class ReturnsAFloatLater(lg.layers.Layer):
    """Returns an array when building (batch of one), a float on real batches: caught when it happens."""

    def call(self, inputs):
        return inputs if inputs.shape[0] == 1 else 1.5


def _model(layer):
    model = lg.Sequential([lg.Input(shape=(3,)), lg.layers.Dense(3, seed=0, name="dense_in"), layer])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _fit_fails(model, error, message):
    x, y = np.ones((4, 3)), np.zeros((4, 3))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(error, match=message):
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))  # no weight changed


def test_a_numpy_function_without_a_rule_names_the_layer_and_the_op_and_says_how_to_go_on():
    _fit_fails(_model(Svd(name="svd_layer")), NotDifferentiableError, re.escape(
        "layer 'svd_layer': np.linalg.svd has no gradient rule in layergraph's autodiff; implement backward() "
        "for this layer or use the numeric gradient strategy (gradient='numeric')"))


def test_the_numeric_strategy_trains_the_same_layer():
    model = _model(Svd())
    model.compile(optimizer="sgd", loss="mse", gradient="numeric")
    history = model.fit(np.ones((4, 3)), np.zeros((4, 3)), epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_writing_into_a_traced_array_is_refused():
    _fit_fails(_model(WritesIntoItsInput(name="writer")), TracingError, re.escape(
        "layer 'writer': writing into a traced array (x[...] = v) is not differentiable; build a new array "
        "instead (np.where(mask, v, x), np.concatenate, np.pad)"))


def test_an_out_argument_is_refused():
    _fit_fails(_model(UsesOut(name="uses_out")), TracingError, re.escape(
        "layer 'uses_out': np.exp with out= writes in place, which the tape cannot differentiate; assign the "
        "result to a new name instead (y = np.exp(...))"))


def test_call_returning_something_that_is_not_an_array_is_refused_when_the_layer_is_built():
    with pytest.raises(TypeError, match=re.escape(
            "Layer 'returns_dict' (ReturnsADict): call() returned dict where an array was expected; return a "
            "numpy array, or a list or tuple of them")):
        _model(ReturnsADict(name="returns_dict"))


@pytest.mark.parametrize("gradient", ["analytic", "numeric"])
def test_call_returning_a_float_on_a_later_batch_is_refused_in_both_strategies(gradient):
    model = _model(ReturnsAFloatLater(name="later"))
    model.compile(optimizer="sgd", loss="mse", gradient=gradient)
    _fit_fails(model, TypeError, re.escape(
        "Layer 'later' (ReturnsAFloatLater): call() returned float where an array was expected"))


def test_backward_of_a_forward_pass_that_was_not_recorded_says_what_to_do():
    layer = lg.layers.Lambda(np.tanh, name="tanh_lambda")
    x = np.ones((2, 2))
    _, cache = layer.forward(x)
    with pytest.raises(NotImplementedError, match=re.escape(
            "Lambda ('tanh_lambda') has no backward() and its forward pass was not recorded (record it inside "
            "layergraph.layers.backward_follows(), as the analytic strategy does): implement backward() or train "
            "with gradient='numeric'")):
        layer.backward(np.ones((2, 2)), cache)


class _TwoWeights(lg.layers.Layer):
    def __init__(self, second_name, **kwargs):
        super().__init__(**kwargs)
        self.second_name = second_name

    def build(self, input_shape):
        self.a = self.add_weight(shape=(2,), name="w")
        self.b = self.add_weight(shape=(2,), name=self.second_name)

    def call(self, inputs):
        return inputs * self.a * self.b


def test_a_weight_created_twice_with_the_same_name_is_refused():
    with pytest.raises(ValueError, match=re.escape(
            "Layer 'twice' (_TwoWeights) already has a weight named 'w'; weight names must be unique in a layer")):
        _TwoWeights("w", name="twice")(np.ones((1, 2)))
    layer = _TwoWeights("v")
    layer(np.ones((1, 2)))
    assert [w.name for w in layer.weights] == [f"{layer.name}/w", f"{layer.name}/v"]


@pytest.mark.parametrize("shape, shown", [((2, -1), "(2, -1)"), ((2.5,), "(2.5,)"), ([2, "3"], "[2, '3']"),
                                          ((2, None), "(2, None)")])
def test_add_weight_with_a_bad_shape_names_the_layer_and_the_weight(shape, shown):
    layer = lg.layers.Layer(name="holder")
    with pytest.raises(ValueError, match=re.escape(
            f"Layer 'holder' (Layer): the shape of weight 'kernel' must be a tuple of non-negative integers, "
            f"got {shown}")):
        layer.add_weight(shape=shape, name="kernel")
    assert layer.weights == []


def test_add_weight_with_a_bad_initializer_names_the_layer_and_the_weight():
    layer = lg.layers.Layer(name="holder")
    with pytest.raises(ValueError, match=re.escape("Layer 'holder' (Layer): invalid initializer for weight 'kernel': "
                                                   "Unknown initializer 'glorious'")):
        layer.add_weight(shape=(2,), initializer="glorious", name="kernel")
    with pytest.raises(ValueError, match=re.escape("Layer 'holder' (Layer): the initializer of weight 'bias' "
                                                   "returned shape (3,), expected (2,)")):
        layer.add_weight(shape=(2,), initializer=lambda shape, dtype, rng=None: np.zeros(3), name="bias")
    assert layer.weights == []


def test_a_loss_written_with_call_must_return_one_value_per_sample():
    class MeanOnly(lg.losses.Loss):
        def call(self, y_true, y_pred):
            return np.mean(np.square(y_true - y_pred))

    with pytest.raises(ValueError, match=re.escape("MeanOnly.call must return one loss per sample, shape (4,) "
                                                   "(or (4, ...)), got shape ()")):
        MeanOnly()(np.zeros((4, 1)), np.ones((4, 1)))
