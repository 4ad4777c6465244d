"""SimpleRNN, LSTM and GRU: forward against per-step references of Keras'
equations and against Keras' own outputs, gradients (weights and inputs),
return_state, float32, configs and saving, shape errors, and training."""
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import layergraph as lg
from layergraph import activations, layers
from layergraph.regularizers import l1, l2

KERAS_REFERENCE = Path(__file__).with_name("data") / "keras_rnn_reference.npz"


# -- per-step references of Keras' equations (one gate at a time, as Keras' implementation 1) --
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": lambda z: np.maximum(z, 0.0), None: lambda z: z}


def split(w, n):
    """The gate blocks of ``n`` columns (last axis)."""
    return [w[..., k * n:(k + 1) * n] for k in range(w.shape[-1] // n)]


def reference(kind, x, weights, go_backwards=False, activation="tanh", recurrent_activation="sigmoid",
              reset_after=True):
    """``(outputs (batch, time, units) in processing order, [final states])`` by explicit steps."""
    phi, sig = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
    kernel, recurrent = weights[0], weights[1]
    n = recurrent.shape[0]
    bias = weights[2] if len(weights) > 2 else np.zeros((2, 3 * n) if kind == "gru" and reset_after else
                                                         kernel.shape[1])
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    h = np.zeros((len(x), n))
    c = np.zeros((len(x), n))
    outputs = []
    for t in steps:
        xt = x[:, t]
        if kind == "simple_rnn":
            h = phi(xt @ kernel + h @ recurrent + bias)
        elif kind == "lstm":
            (wi, wf, wc, wo), (ui, uf, uc, uo), (bi, bf, bc, bo) = split(kernel, n), split(recurrent, n), split(bias, n)
            i = sig(xt @ wi + h @ ui + bi)
            f = sig(xt @ wf + h @ uf + bf)
            c = f * c + i * phi(xt @ wc + h @ uc + bc)
            o = sig(xt @ wo + h @ uo + bo)
            h = o * phi(c)
        else:  # gru
            (wz, wr, wh), (uz, ur, uh) = split(kernel, n), split(recurrent, n)
            if reset_after:
                (bz, br, bh), (rz, rr, rh) = split(bias[0], n), split(bias[1], n)
                z = sig(xt @ wz + bz + h @ uz + rz)
                r = sig(xt @ wr + br + h @ ur + rr)
                hh = phi(xt @ wh + bh + r * (h @ uh + rh))
            else:
                bz, br, bh = split(bias, n)
                z = sig(xt @ wz + bz + h @ uz)
                r = sig(xt @ wr + br + h @ ur)
                hh = phi(xt @ wh + bh + (r * h) @ uh)
            h = z * h + (1 - z) * hh
        outputs.append(h)
    states = [h, c] if kind == "lstm" else [h]
    return np.stack(outputs, axis=1), states


KINDS = {
    "simple_rnn": (layers.SimpleRNN, {}),
    "lstm": (layers.LSTM, {}),
    "gru": (layers.GRU, {}),
    "gru_reset_before": (layers.GRU, {"reset_after": False}),
}


def make(kind, units=3, features=2, randomize=True, seed=0, **kwargs):
    """A built layer; with ``randomize``, every weight (biases too) drawn from N(0, 0.5²)."""
    cls, extra = KINDS[kind]
    layer = cls(units, input_shape=(None, features), seed=seed, **extra, **kwargs)
    if randomize:
        rng = np.random.default_rng(seed + 100)
        layer.set_weights([rng.normal(scale=0.5, size=w.shape) for w in layer.weights])
    return layer


def ref_kind(kind):
    return "gru" if kind.startswith("gru") else kind


def ref_for(layer, kind, x):
    return reference(ref_kind(kind), x, layer.get_weights(), go_backwards=layer.go_backwards,
                     reset_after=getattr(layer, "reset_after", True))


class TestForward:
    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("return_sequences", [False, True])
    @pytest.mark.parametrize("return_state", [False, True])
    @pytest.mark.parametrize("go_backwards", [False, True])
    def test_matches_per_step_reference(self, rng, kind, return_sequences, return_state, go_backwards):
        layer = make(kind, return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards)
        x = rng.normal(size=(4, 5, 2))
        seq, states = ref_for(layer, kind, x)
        out = layer(x)
        expected = seq if return_sequences else seq[:, -1]
        if return_state:
            assert isinstance(out, list) and len(out) == 1 + len(states)
            for got, want in zip(out[1:], states, strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
            out = out[0]
        assert out.shape == expected.shape
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("key, kind", [("simple_rnn", "simple_rnn"), ("lstm", "lstm"), ("gru", "gru"),
                                           ("gru_reset_before", "gru_reset_before")])
    @pytest.mark.parametrize("direction", ["forwards", "backwards"])
    def test_keras_weights_give_keras_outputs(self, key, kind, direction):
        # Outputs of Keras 3.15.1's own layers (tests/framework/data/make_keras_rnn_reference.py).
        data = np.load(KERAS_REFERENCE)
        x = data["x"]
        cls, extra = KINDS[kind]
        layer = cls(5, return_sequences=True, return_state=True, go_backwards=direction == "backwards",
                    input_shape=(None, 4), dtype="float32", **extra)
        layer.set_weights([data[f"{key}_{direction}/weight{i}"] for i in range(len(layer.weights))])
        outputs = layer(x)
        assert len(outputs) == (3 if kind == "lstm" else 2)
        for i, out in enumerate(outputs):
            np.testing.assert_allclose(out, data[f"{key}_{direction}/output{i}"], rtol=0, atol=2e-6)

    def test_lstm_one_unit_by_hand(self):
        # units 1, one feature, kernel 0.5 and recurrent kernel 1 for every gate, zero bias.
        layer = layers.LSTM(1, unit_forget_bias=False, return_state=True, input_shape=(2, 1))
        layer.set_weights([np.full((1, 4), 0.5), np.ones((1, 4)), np.zeros(4)])
        h, h_state, c_state = layer(np.array([[[1.0], [2.0]]]))
        s = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
        c1 = s(0.5) * math.tanh(0.5)  # f * 0 + i * g
        h1 = s(0.5) * math.tanh(c1)
        z = 1.0 + h1  # step 2: x W + h1 U
        c2 = s(z) * c1 + s(z) * math.tanh(z)
        h2 = s(z) * math.tanh(c2)
        assert h[0, 0] == pytest.approx(h2, abs=1e-15)
        assert h_state[0, 0] == pytest.approx(h2, abs=1e-15) and c_state[0, 0] == pytest.approx(c2, abs=1e-15)

    def test_gru_one_unit_by_hand(self):
        # One step from h0 = 0: z = s(x wz + bz + rz), r = s(...), h~ = tanh(x wh + bh + r * rh), h = (1 - z) h~.
        layer = layers.GRU(1, input_shape=(1, 1))
        layer.set_weights([np.array([[1.0, 2.0, 3.0]]), np.ones((1, 3)), np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])])
        h = layer(np.array([[[1.0]]]))[0, 0]
        s = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
        z, r = s(1.0 + 0.1 + 0.4), s(2.0 + 0.2 + 0.5)
        assert h == pytest.approx((1 - z) * math.tanh(3.0 + 0.3 + r * 0.6), abs=1e-15)

    @pytest.mark.parametrize("kind", KINDS)
    def test_other_activations(self, rng, kind):
        cls, extra = KINDS[kind]
        kwargs = {"activation": "relu"}
        if kind != "simple_rnn":
            kwargs["recurrent_activation"] = "tanh"
        layer = cls(3, input_shape=(None, 2), return_sequences=True, **extra, **kwargs)
        layer.set_weights([rng.normal(scale=0.5, size=w.shape) for w in layer.weights])
        x = rng.normal(size=(2, 4, 2))
        seq, _ = reference(ref_kind(kind), x, layer.get_weights(), activation="relu",
                           recurrent_activation="tanh", reset_after=extra.get("reset_after", True))
        np.testing.assert_allclose(layer(x), seq, rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("kind", KINDS)
    def test_without_bias(self, rng, kind):
        layer = make(kind, use_bias=False, return_sequences=True)
        assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel", "recurrent_kernel"]
        x = rng.normal(size=(2, 3, 2))
        np.testing.assert_allclose(layer(x), ref_for(layer, kind, x)[0], rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("kind", KINDS)
    def test_any_sequence_length_at_call_time(self, rng, kind):
        layer = make(kind, return_sequences=True)
        for steps in (1, 4, 9):
            x = rng.normal(size=(2, steps, 2))
            np.testing.assert_allclose(layer(x), ref_for(layer, kind, x)[0], rtol=1e-12, atol=1e-12)

    def test_samples_are_independent(self, rng):
        layer = make("lstm")
        x = rng.normal(size=(5, 4, 2))
        np.testing.assert_allclose(layer(x)[3:4], layer(x[3:4]), rtol=1e-12, atol=1e-14)


class TestShapesAndWeights:
    @pytest.mark.parametrize("kind, gates", [("simple_rnn", 1), ("lstm", 4), ("gru", 3)])
    def test_keras_weight_layout(self, kind, gates):
        layer = make(kind, units=5, features=7, randomize=False)
        bias_shape = (2, 15) if kind == "gru" else (5 * gates,)
        assert [w.name for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/recurrent_kernel",
                                                   f"{layer.name}/bias"]
        assert [w.shape for w in layer.weights] == [(7, 5 * gates), (5, 5 * gates), bias_shape]
        assert layer.count_params() == 7 * 5 * gates + 25 * gates + math.prod(bias_shape)
        assert layers.GRU(5, reset_after=False, input_shape=(None, 7)).bias.shape == (15,)

    def test_keras_default_names(self):
        assert layers.LSTM(2).name.startswith("lstm") and layers.GRU(2).name.startswith("gru")
        assert layers.SimpleRNN(2).name.startswith("simple_rnn")

    @pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
    def test_default_initializers(self, kind):
        layer = make(kind, units=4, features=3, randomize=False)
        kernel, recurrent, bias = layer.get_weights()
        np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-12)  # orthogonal rows
        limit = math.sqrt(6 / (3 + kernel.shape[1]))  # glorot_uniform
        assert np.abs(kernel).max() <= limit and kernel.std() > limit / 4
        expected_bias = np.zeros(bias.shape)
        if kind == "lstm":  # unit_forget_bias: the f block starts at 1, as Keras' LSTM(3) does
            expected_bias[4:8] = 1.0
        np.testing.assert_array_equal(bias, expected_bias)

    def test_unit_forget_bias_keeps_the_other_gates_initializer(self):
        layer = layers.LSTM(2, bias_initializer="ones", input_shape=(3, 1))
        np.testing.assert_array_equal(layer.bias.value, np.ones(8))
        layer = layers.LSTM(2, bias_initializer=lg.initializers.Constant(0.5), unit_forget_bias=False,
                            input_shape=(3, 1))
        np.testing.assert_array_equal(layer.bias.value, np.full(8, 0.5))
        keras_bias = np.load(KERAS_REFERENCE)["lstm_initial_bias"]
        np.testing.assert_array_equal(layers.LSTM(3, input_shape=(2, 4)).bias.value, keras_bias)

    @pytest.mark.parametrize("kind, n_states", [("simple_rnn", 1), ("lstm", 2), ("gru", 1)])
    def test_compute_output_shape_keeps_a_none_time_axis(self, kind, n_states):
        cls = KINDS[kind][0]
        assert cls(4).compute_output_shape((None, None, 3)) == (None, 4)
        assert cls(4, return_sequences=True).compute_output_shape((None, None, 3)) == (None, None, 4)
        assert cls(4, return_sequences=True).compute_output_shape((None, 7, 3)) == (None, 7, 4)
        assert cls(4, return_state=True).compute_output_shape((None, None, 3)) == [(None, 4)] * (1 + n_states)
        assert (cls(4, return_sequences=True, return_state=True).compute_output_shape((None, 5, 3))
                == [(None, 5, 4)] + [(None, 4)] * n_states)

    def test_functional_model_with_variable_length_input(self, rng):
        inputs = lg.Input(shape=(None, 2))
        model = lg.Model(inputs, layers.Dense(1)(layers.SimpleRNN(3)(layers.LSTM(4, return_sequences=True)(inputs))))
        for steps in (1, 3, 7):
            assert model.predict(rng.normal(size=(2, steps, 2)), verbose=0).shape == (2, 1)

    def test_sequential_with_variable_length_input(self, rng):
        model = lg.Sequential([layers.GRU(3, return_sequences=True, input_shape=(None, 2)), layers.LSTM(2),
                               layers.Dense(1)])
        assert model.compute_output_shape((None, None, 2)) == (None, 1)
        for steps in (2, 6):
            assert model.predict(rng.normal(size=(3, steps, 2)), verbose=0).shape == (3, 1)

    def test_stacked_layers_match_composed_references(self, rng):
        first, second = make("gru", return_sequences=True), make("lstm", features=3, seed=1)
        model = lg.Sequential([first, second])
        x = rng.normal(size=(3, 4, 2))
        seq, _ = ref_for(first, "gru", x)
        np.testing.assert_allclose(model.predict(x, verbose=0), ref_for(second, "lstm", seq)[0][:, -1], atol=1e-12)


# -- gradients ----------------------------------------------------------------------------
OPTIONS = [
    {},
    {"return_sequences": True},
    {"go_backwards": True},
    {"return_sequences": True, "go_backwards": True},
    {"use_bias": False},
    {"kernel_regularizer": l2(0.01), "recurrent_regularizer": l1(0.01), "bias_regularizer": l2(0.1)},
]


def _option_id(option):
    return "-".join(sorted(option)) or "default"


class TestGradients:
    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("options", OPTIONS, ids=_option_id)
    def test_gradient_check_in_a_small_model(self, rng, kind, options):
        rnn = make(kind, **options)
        model = lg.Sequential([rnn, layers.Dense(2, seed=3)])
        x = rng.normal(size=(3, 4, 2))
        y = rng.normal(size=(3, 4, 2) if options.get("return_sequences") else (3, 2))
        result = lg.gradients.check(model, "mse", x, y)
        assert result.passed, str(result)
        assert len(result) == len(model.trainable_weights) == (4 if options.get("use_bias") is False else 5)

    @pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
    def test_gradient_check_with_non_default_activations(self, rng, kind):
        cls, _ = KINDS[kind]
        kwargs = {"activation": "sigmoid"} if kind == "simple_rnn" else {"activation": "sigmoid",
                                                                         "recurrent_activation": "tanh"}
        model = lg.Sequential([cls(3, input_shape=(None, 2), seed=1, **kwargs), layers.Dense(1, seed=2)])
        x, y = rng.normal(size=(3, 5, 2)), rng.normal(size=(3, 1))
        result = lg.gradients.check(model, "mse", x, y)
        assert result.passed, str(result)

    def test_gradient_check_stacked_in_a_functional_model_with_cross_entropy(self, rng):
        inputs = lg.Input(shape=(5, 2))
        seq = layers.GRU(3, return_sequences=True, seed=1)(inputs)
        last = layers.LSTM(3, go_backwards=True, seed=2)(seq)
        both = layers.Concatenate()([last, layers.SimpleRNN(2, seed=3)(seq)])
        model = lg.Model(inputs, layers.Dense(3, activation="softmax", seed=4)(both))
        x, y = rng.normal(size=(4, 5, 2)), np.array([0, 2, 1, 2])
        result = lg.gradients.check(model, "sparse_categorical_crossentropy", x, y)
        assert result.passed, str(result)

    def test_sigmoid_output_is_not_taken_as_a_fusable_activation(self, rng):
        # A SimpleRNN(sigmoid) at the output: the loss must not skip its Jacobian.
        model = lg.Sequential([layers.SimpleRNN(1, activation="sigmoid", input_shape=(3, 2), seed=1)])
        assert model.layers[0].output_activation() is None
        x, y = rng.normal(size=(4, 3, 2)), np.array([[0.0], [1.0], [1.0], [0.0]])
        result = lg.gradients.check(model, "binary_crossentropy", x, y)
        assert result.passed, str(result)

    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("options", OPTIONS[:4], ids=_option_id)
    def test_input_gradient_against_central_differences(self, rng, kind, options):
        layer = make(kind, **options)
        x = rng.normal(size=(2, 4, 2))
        out, cache = layer.forward(x)
        g = rng.normal(size=out.shape)
        grad_x, _ = layer.backward(g, cache)
        assert grad_x.shape == x.shape
        np.testing.assert_allclose(grad_x, numeric_gradient(lambda: np.sum(g * layer.forward(x)[0]), x),
                                   rtol=1e-6, atol=1e-9)

    def test_input_grad_false_skips_the_input_gradient_only(self, rng):
        layer = make("lstm")
        x = rng.normal(size=(2, 3, 2))
        out, cache = layer.forward(x)
        g = rng.normal(size=out.shape)
        full = layer.backward(g, cache)
        skipped = layer.backward(g, cache, input_grad=False)
        assert skipped[0] is None
        for a, b in zip(full[1], skipped[1], strict=True):
            np.testing.assert_array_equal(a, b)

    def test_frozen_layer_returns_no_weight_gradients(self, rng):
        layer = make("gru", trainable=False)
        x = rng.normal(size=(2, 3, 2))
        out, cache = layer.forward(x)
        grad_x, grads = layer.backward(np.ones_like(out), cache)
        assert grads == [] and grad_x.shape == x.shape


def numeric_gradient(f, array, eps=1e-5):
    """Central differences of the scalar ``f()`` with respect to every element of ``array`` (in place)."""
    grad = np.zeros_like(array)
    flat, gflat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = f()
        flat[i] = original - eps
        minus = f()
        flat[i] = original
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


class TestReturnState:
    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("return_sequences", [False, True])
    @pytest.mark.parametrize("unused", [None, 0, 1, -1], ids=["all-used", "output-unused", "h-unused", "last-unused"])
    def test_gradients_of_every_output_against_central_differences(self, rng, kind, return_sequences, unused):
        layer = make(kind, return_state=True, return_sequences=return_sequences, go_backwards=kind == "gru")
        x = rng.normal(size=(2, 4, 2))
        outputs, cache = layer.forward(x)
        coefficients = [rng.normal(size=o.shape) for o in outputs]
        if unused is not None:
            coefficients[unused] = None  # that output does not reach the loss

        def loss():
            return sum(np.sum(c * o) for c, o in zip(coefficients, layer.forward(x)[0], strict=True) if c is not None)

        grad_x, grads = layer.backward(list(coefficients), cache)
        np.testing.assert_allclose(grad_x, numeric_gradient(loss, x), rtol=1e-6, atol=1e-9)
        for w, g in zip(layer.trainable_weights, grads, strict=True):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, numeric_gradient(loss, w.value), rtol=1e-6, atol=1e-9)

    def test_states_are_copies_of_the_last_step(self, rng):
        layer = make("lstm", return_state=True, return_sequences=True)
        seq, h, c = layer(rng.normal(size=(2, 3, 2)))
        np.testing.assert_array_equal(h, seq[:, -1])
        h[...] = 0.0  # the caller may write into what it got
        assert seq[:, -1].any()

    def test_functional_model_with_states_as_outputs_and_inputs_of_other_layers(self, rng):
        # Keras' encoder idiom: the final states feed other layers; c is used, the sequence is not.
        inputs = lg.Input(shape=(None, 2))
        seq, h, c = layers.LSTM(3, return_sequences=True, return_state=True, seed=1)(inputs)
        assert (seq.shape, h.shape, c.shape) == ((None, None, 3), (None, 3), (None, 3))
        outputs = layers.Dense(2, seed=2)(layers.Concatenate()([h, c]))
        model = lg.Model(inputs, outputs)
        x, y = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 2))
        result = lg.gradients.check(model, "mse", x, y)
        assert result.passed, str(result)
        lstm = model.layers[1]
        _, (h_ref, c_ref) = ref_for(lstm, "lstm", x)
        np.testing.assert_allclose(model.predict(x, verbose=0),
                                   np.concatenate([h_ref, c_ref], axis=1) @ model.layers[-1].kernel.value
                                   + model.layers[-1].bias.value, atol=1e-12)

    @pytest.mark.parametrize("kind", ["simple_rnn", "gru"])
    def test_functional_model_outputs_the_state_too(self, rng, kind, tmp_path):
        cls, _ = KINDS[kind]
        inputs = lg.Input(shape=(5, 2))
        out, state = cls(3, go_backwards=True, return_state=True, seed=1)(inputs)
        model = lg.Model(inputs, [layers.Dense(1, seed=2)(out), state])
        x = rng.normal(size=(4, 5, 2))
        first, second = model.predict(x, verbose=0)
        np.testing.assert_allclose(second, ref_for(model.layers[1], kind, x)[1][0], atol=1e-12)
        path = tmp_path / "states.lg"
        model.save(path)
        for a, b in zip(lg.load_model(path).predict(x, verbose=0), (first, second), strict=True):
            np.testing.assert_array_equal(a, b)

    def test_backward_needs_one_gradient_per_output(self, rng):
        layer = make("lstm", return_state=True)
        outputs, cache = layer.forward(rng.normal(size=(2, 3, 2)))
        with pytest.raises(ValueError, match=r"LSTM 'lstm\w*' has 3 outputs \(return_state=True\) and needs a "
                                             r"list of 3 gradients, got list"):
            layer.backward([np.ones((2, 3))] * 2, cache)


class SameSigmoid(activations.Sigmoid):
    """Sigmoid by another class: the LSTM must take its generic path."""


class SameTanh(activations.Tanh):
    pass


class TestFusedLSTM:
    """LSTM(sigmoid, tanh) runs a fused loop; any other activations the generic one. Both compute the same."""

    def test_paths(self):
        assert layers.LSTM(2)._fused
        assert not layers.LSTM(2, recurrent_activation=SameSigmoid())._fused
        assert not layers.LSTM(2, activation=SameTanh())._fused
        assert not layers.LSTM(2, activation="relu")._fused

    @pytest.mark.parametrize("options", [{}, {"return_sequences": True, "go_backwards": True},
                                         {"return_state": True}, {"return_state": True, "return_sequences": True}],
                             ids=_option_id)
    @pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 2e-6)])
    def test_fused_and_generic_paths_agree(self, rng, options, dtype, tol):
        fused = make("lstm", dtype=dtype, **options)
        generic = make("lstm", dtype=dtype, recurrent_activation=SameSigmoid(), activation=SameTanh(), **options)
        generic.set_weights(fused.get_weights())
        x = rng.normal(size=(3, 5, 2)).astype(dtype)
        out_f, cache_f = fused.forward(x)
        out_g, cache_g = generic.forward(x)
        outs_f, outs_g = (out_f, out_g) if isinstance(out_f, list) else ([out_f], [out_g])
        for a, b in zip(outs_f, outs_g, strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=tol)
        grads = [rng.normal(size=o.shape).astype(dtype) for o in outs_f]
        grads = grads if isinstance(out_f, list) else grads[0]
        (gx_f, gw_f), (gx_g, gw_g) = fused.backward(grads, cache_f), generic.backward(grads, cache_g)
        for a, b in zip([gx_f, *gw_f], [gx_g, *gw_g], strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=tol * 10)

    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("dtype", ["float64", "float32"])
    def test_saturated_gates_stay_finite_and_silent(self, rng, kind, dtype):
        layer = make(kind, dtype=dtype, return_sequences=True)
        x = (1000.0 * np.sign(rng.normal(size=(2, 4, 2)))).astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no overflow warning from exp
            out, cache = layer.forward(x)
            grad_x, grads = layer.backward(np.ones_like(out), cache)
        assert np.isfinite(out).all() and np.abs(out).max() <= 1.0
        assert all(np.isfinite(g).all() for g in [grad_x, *grads])


# -- dtypes, configs, saving --------------------------------------------------------------
class TestFloat32:
    @pytest.mark.parametrize("kind", KINDS)
    def test_float32_forward_and_backward_stay_float32_and_agree_with_float64(self, rng, kind):
        wide = make(kind, return_sequences=True)
        narrow = make(kind, return_sequences=True, dtype="float32")
        narrow.set_weights(wide.get_weights())
        x = rng.normal(size=(3, 5, 2))
        out64, cache64 = wide.forward(x)
        out32, cache32 = narrow.forward(x.astype(np.float32))
        assert out32.dtype == np.float32
        np.testing.assert_allclose(out32, out64, atol=1e-5)
        g = rng.normal(size=out64.shape)
        gx64, grads64 = wide.backward(g, cache64)
        gx32, grads32 = narrow.backward(g.astype(np.float32), cache32)
        assert gx32.dtype == np.float32 and all(a.dtype == np.float32 for a in grads32)
        for a, b in zip([gx32, *grads32], [gx64, *grads64], strict=True):
            np.testing.assert_allclose(a, b, atol=1e-4)

    def test_float32_model_trains(self, rng):
        x = rng.normal(size=(32, 6, 1)).astype(np.float32)
        y = (x[:, 0, 0] > 0).astype(np.float32)
        model = lg.Sequential([layers.LSTM(4, input_shape=(6, 1), seed=0),
                               layers.Dense(1, activation="sigmoid", seed=1)], dtype="float32")
        model.compile(optimizer=lg.optimizers.Adam(0.05), loss="binary_crossentropy", seed=0)
        history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
        assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
        assert model.predict(x, verbose=0).dtype == np.float32


class TestConfigAndSaving:
    @pytest.mark.parametrize("kind", KINDS)
    def test_config_round_trip(self, kind):
        cls, extra = KINDS[kind]
        layer = cls(3, activation="relu", use_bias=False, kernel_initializer="he_normal",
                    recurrent_initializer=lg.initializers.Orthogonal(gain=2.0),
                    kernel_regularizer=l2(0.1), recurrent_regularizer=l1(0.2), return_sequences=True,
                    return_state=True, go_backwards=True, name="rec", **extra)
        config = json.loads(json.dumps(layer.get_config()))
        assert config["units"] == 3 and config["activation"] == "relu" and config["go_backwards"] is True
        assert config["recurrent_initializer"] == {"class_name": "Orthogonal", "config": {"gain": 2.0, "seed": None}}
        clone = cls.from_config(config)
        assert clone.get_config() == layer.get_config()
        if kind == "lstm":
            assert config["recurrent_activation"] == "sigmoid" and config["unit_forget_bias"] is True
        if kind.startswith("gru"):
            assert config["reset_after"] is extra.get("reset_after", True)

    @pytest.mark.parametrize("kind", KINDS)
    def test_save_and_load_give_identical_predictions(self, rng, kind, tmp_path):
        cls, extra = KINDS[kind]
        model = lg.Sequential([cls(4, return_sequences=True, input_shape=(None, 3), seed=1, **extra),
                               cls(2, go_backwards=True, seed=2, bias_regularizer=l2(0.01), **extra),
                               layers.Dense(1, activation="sigmoid", seed=3)])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        x = rng.normal(size=(6, 5, 3))
        model.fit(x, (x[:, 0, 0] > 0).astype(float), epochs=1, batch_size=3, verbose=0)
        path = tmp_path / "rnn.lg"
        model.save(path)
        loaded = lg.load_model(path)
        assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
        for steps in (5, 8):
            batch = rng.normal(size=(4, steps, 3))
            np.testing.assert_array_equal(loaded.predict(batch, verbose=0), model.predict(batch, verbose=0))


# -- bad input ------------------------------------------------------------------------------
class TestErrors:
    @pytest.mark.parametrize("kind", KINDS)
    def test_wrong_rank(self, kind):
        layer = make(kind, randomize=False)
        name = f"{KINDS[kind][0].__name__} {layer.name!r}"
        with pytest.raises(ValueError, match=f"^{name} expects inputs of shape \\(batch, time, features\\), "
                                             r"got shape \(4, 2\)$"):
            layer.forward(np.zeros((4, 2)))
        with pytest.raises(ValueError, match=r"got shape \(4, 3, 2, 1\)"):
            layer.forward(np.zeros((4, 3, 2, 1)))

    def test_wrong_rank_when_building(self):
        layer = layers.LSTM(2, name="encoder")
        with pytest.raises(ValueError, match=r"^LSTM 'encoder' expects inputs of shape \(batch, time, features\), "
                                             r"got shape \(None, 2\)$"):
            layer(np.zeros((4, 2)))
        assert not layer.built and layer.weights == []

    @pytest.mark.parametrize("kind", KINDS)
    def test_wrong_feature_size_leaves_the_layer_unchanged(self, rng, kind):
        layer = make(kind)
        before = layer.get_weights()
        layer(rng.normal(size=(2, 3, 2)))
        bad = rng.normal(size=(2, 3, 5))
        with pytest.raises(ValueError, match=f"^{KINDS[kind][0].__name__} {layer.name!r} expects 2 features "
                                             r"\(the last axis\), got input shape \(2, 3, 5\)$"):
            layer(bad)
        for a, b in zip(layer.get_weights(), before, strict=True):
            np.testing.assert_array_equal(a, b)

    def test_bad_feature_size_in_the_last_batch_of_fit(self, rng):
        model = lg.Sequential([layers.SimpleRNN(2, input_shape=(None, 3), name="rnn"), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(rng.normal(size=(8, 4, 3)), np.zeros(8), epochs=1, batch_size=4, verbose=0)
        with pytest.raises(ValueError, match=r"SimpleRNN 'rnn' expects 3 features \(the last axis\), "
                                             r"got input shape \(4, 4, 2\)"):
            model.predict(rng.normal(size=(4, 4, 2)), verbose=0)

    def test_empty_time_axis(self):
        with pytest.raises(ValueError, match=r"^GRU 'g' needs at least one time step, got input shape \(2, 0, 3\)$"):
            layers.GRU(2, name="g")(np.zeros((2, 0, 3)))

    def test_several_inputs_are_refused(self):
        with pytest.raises(ValueError, match=r"LSTM 'l' takes one input array .* got a list of 2 "
                                             r"\(initial_state is not supported yet\)"):
            layers.LSTM(2, name="l").forward([np.zeros((1, 2, 3)), np.zeros((1, 2))])

    @pytest.mark.parametrize("units", [0, -3, 2.5, True, "4"])
    def test_bad_units(self, units):
        with pytest.raises(ValueError, match=f"^GRU 'g': units must be a positive integer, got {units!r}$".replace(
                "(", r"\(").replace(")", r"\)")):
            layers.GRU(units, name="g")

    @pytest.mark.parametrize("argument", ["dropout", "recurrent_dropout"])
    def test_dropout_is_refused_not_ignored(self, argument):
        with pytest.raises(ValueError, match=f"LSTM 'l': {argument} is not supported yet \\(got 0.2\\); "
                                             "put a Dropout layer before the recurrent layer instead"):
            layers.LSTM(2, name="l", **{argument: 0.2})
        layers.LSTM(2, **{argument: 0.0})  # Keras' default is accepted

    @pytest.mark.parametrize("argument", ["return_sequences", "return_state", "go_backwards", "use_bias"])
    def test_flags_must_be_booleans(self, argument):
        with pytest.raises(TypeError, match=f"SimpleRNN 's': {argument} must be True or False, got 'yes'"):
            layers.SimpleRNN(2, name="s", **{argument: "yes"})

    def test_unknown_activation(self):
        with pytest.raises(ValueError, match="Unknown activation 'swishy'"):
            layers.LSTM(2, recurrent_activation="swishy")


# -- learning -------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_learns_to_remember_the_first_step(cls):
    """The label is the sign of the first of 8 noisy steps: the state must carry it to the end."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 8, 1))
    y = (x[:, 0, 0] > 0).astype(float)
    model = lg.Sequential([cls(8, input_shape=(8, 1), seed=0), layers.Dense(1, activation="sigmoid", seed=1)])
    model.compile(optimizer=lg.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"], seed=0)
    model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    x_test = rng.normal(size=(256, 8, 1))
    accuracy = np.mean((model.predict(x_test, verbose=0)[:, 0] > 0.5) == (x_test[:, 0, 0] > 0))
    assert accuracy > 0.95


def test_keras_text_model_idiom():
    """Keras' text-classification idiom on synthetic tokens: Embedding -> LSTM -> Dense.
    The label says whether token 1 occurs anywhere in the sequence of 12."""
    rng = np.random.default_rng(3)
    x = rng.integers(2, 20, size=(600, 12))
    has = rng.random(600) < 0.5
    x[has, rng.integers(0, 12, has.sum())] = 1
    model = lg.Sequential([lg.Input(shape=(12,)), layers.Embedding(20, 8, seed=0), layers.LSTM(8, seed=1),
                           layers.Dense(1, activation="sigmoid", seed=2)])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], seed=0)
    history = model.fit(x[:500], has[:500].astype(float), epochs=25, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.95
    assert np.mean((model.predict(x[500:], verbose=0)[:, 0] > 0.5) == has[500:]) > 0.95
    small = lg.Sequential([lg.Input(shape=(5,)), layers.Embedding(6, 3, seed=0), layers.GRU(2, seed=1),
                           layers.Dense(1, seed=2)])
    result = lg.gradients.check(small, "mse", x[:4, :5] % 6, rng.normal(size=(4, 1)))
    assert result.passed, str(result)
