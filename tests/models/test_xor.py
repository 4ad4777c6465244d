"""XOR composed from gates and learned by a 2-layer net."""
import numpy as np
import pytest
from scipy.special import expit

import layergraph as lg
from layergraph.datasets import logic
from layergraph.models import xor


@pytest.fixture(scope="module")
def trained_gates():
    return xor.train_gates(gradient="analytic")


def test_composed_equals_tutorial_composition(trained_gates):
    nand, or_, and_ = trained_gates
    model = xor.composed(nand, or_, and_)
    assert isinstance(model, lg.Model)
    x = logic.INPUTS

    def neuron(m, inputs):
        w, b = m.get_weights()
        return expit(inputs @ w + b)

    expected = neuron(and_, np.hstack([neuron(nand, x), neuron(or_, x)]))
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-15)
    assert np.all((model.predict(x).ravel() > 0.5) == [False, True, True, False])


def test_composed_graph_shares_gate_weights(trained_gates):
    nand, or_, and_ = trained_gates
    model = xor.composed(nand, or_, and_)
    assert {id(w) for w in model.weights} == {id(w) for m in trained_gates for w in m.weights}
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Sequential", "Sequential",
                                                                "Concatenate", "Sequential"]


def test_composed_graph_gradient_check(trained_gates):
    model = xor.composed(*trained_gates)
    x, y = logic.truth_table("XOR")
    assert max(lg.gradients.check(model, "binary_crossentropy", x, y)) < 1e-6


def test_composed_rejects_non_models():
    with pytest.raises(TypeError, match="nand must be a built gate model"):
        xor.composed("nand", None, None)


def test_learned_default_recipe_solves_all_seeds():
    solved = [xor.solved(xor.learned(seed=s)[0]) for s in range(20)]
    assert sum(solved) >= 19, f"solved {sum(solved)}/20"


def test_learned_with_numeric_gradient():
    model, history = xor.learned(seed=0, gradient="numeric", epochs=300, learning_rate=2.0)
    analytic, _ = xor.learned(seed=0, gradient="analytic", epochs=300, learning_rate=2.0)
    for a, n in zip(model.get_weights(), analytic.get_weights(), strict=True):
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-8)
    assert history.history["cost"][-1] < history.history["cost"][0]
