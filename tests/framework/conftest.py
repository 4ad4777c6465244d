"""Checks shared by the layer tests, as the ``checks`` fixture.

- ``checks.input_gradient(layer, x)``: ``backward``'s ``dL/dx`` against
  central differences of ``L = sum(R * layer(x))`` for a fixed random ``R``
  (float64; ``x`` may be a list for merge layers);
- ``checks.weights_gradient(model, loss, x, y)``: ``lg.gradients.check``
  passes and compares every trainable weight;
- ``checks.config_round_trip(layer, x)``: ``get_config`` survives JSON and
  ``from_config`` rebuilds a layer with the same config and, given the same
  weights, the same outputs;
- ``checks.save_load(model, x, path)``: ``model.save`` / ``lg.load_model``
  give identical predictions.
"""
import json
import types

import numpy as np
import pytest

import layergraph as lg


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def input_gradient(layer, x, seed=0, eps=1e-6, rtol=1e-6, atol=1e-8):
    """Assert that ``layer.backward`` gives ``dL/dx`` of ``L = sum(R * layer(x))`` (central differences)."""
    xs = [np.array(a, dtype=np.float64) for a in _as_list(x)]
    several = isinstance(x, (list, tuple))
    out, cache = layer.forward(xs if several else xs[0], training=True)
    weights = np.random.default_rng(seed).normal(size=out.shape)
    analytic, _ = layer.backward(weights.copy(), cache)
    analytic = _as_list(analytic) if several else [analytic]
    assert len(analytic) == len(xs)

    def loss():
        return float(np.sum(weights * layer.forward(xs if several else xs[0], training=True)[0]))

    for a, g in zip(xs, analytic, strict=True):
        assert g.shape == a.shape, (g.shape, a.shape)
        numeric = np.zeros_like(a)
        for i in np.ndindex(a.shape):  # a test may loop: a few hundred elements at most
            saved = a[i]
            a[i] = saved + eps
            up = loss()
            a[i] = saved - eps
            down = loss()
            a[i] = saved
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=rtol, atol=atol)


def weights_gradient(model, loss, x, y):
    """Assert that ``lg.gradients.check`` passes and covers every trainable weight."""
    result = lg.gradients.check(model, loss, x, y)
    assert len(result) == len(model.trainable_weights) > 0
    assert result.passed, str(result)


def config_round_trip(layer, x):
    """Rebuild ``layer`` from its JSON'd config; same config, and the same outputs with the same weights."""
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config
    expected = layer(x)
    if layer.weights:
        clone(x)  # builds it
        clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), expected)
    return clone


def save_load(model, x, path):
    """``model.save(path)`` then ``lg.load_model(path)``: identical predictions and weights."""
    model.save(path)
    restored = lg.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    return restored


@pytest.fixture
def checks():
    return types.SimpleNamespace(input_gradient=input_gradient, weights_gradient=weights_gradient,
                                 config_round_trip=config_round_trip, save_load=save_load)
