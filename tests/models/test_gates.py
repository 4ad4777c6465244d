"""The tutorial's gate neurons: exact reproduction of the published log."""
import numpy as np
import pytest

from layergraph.datasets import logic
from layergraph.models import gates

# The tutorial's published log for AND (epoch: cost, weights, bias).
AND_LOG = {
    100: (0.6886489498071491, [1.56426876, 0.79168393], [-2.14871589]),
    1000: (0.1604392693330146, [4.27548114, 4.27284863], [-6.6027234]),
}
AND_PREDICTIONS = [0.00135483, 0.08867878, 0.08889176, 0.87496677]


@pytest.fixture(scope="module", params=["numeric", "analytic"])
def and_run(request):
    snapshots = {}

    def spy(line):
        snapshots[int(line.split(",")[0].split()[1])] = line

    model, history = gates.train("AND", epochs=1000, learning_rate=0.1, gradient=request.param, log_every=100,
                                 print_fn=spy)
    return model, history, snapshots


def test_initial_weights_are_the_tutorials():
    rs = np.random.RandomState(1)
    kernel, bias = rs.randn(2), rs.rand(1)
    w = gates.build().get_weights()
    np.testing.assert_array_equal(w[0].ravel(), kernel)
    np.testing.assert_array_equal(w[1], bias)


@pytest.mark.parametrize("epoch", [100, 1000])
def test_reproduces_published_cost(and_run, epoch):
    _, history, _ = and_run
    assert history.history["cost"][epoch - 1] == pytest.approx(AND_LOG[epoch][0], abs=1e-6)
    assert abs(history.history["cost"][epoch - 1] - AND_LOG[epoch][0]) < 1e-9  # in fact far closer


def test_reproduces_published_weights_and_predictions(and_run):
    model, _, snapshots = and_run
    cost, weights, bias = AND_LOG[1000]
    kernel, b = model.get_weights()
    np.testing.assert_allclose(kernel.ravel(), weights, atol=1e-6)
    np.testing.assert_allclose(b, bias, atol=1e-6)
    np.testing.assert_allclose(model.predict(logic.INPUTS).ravel(), AND_PREDICTIONS, atol=1e-6)
    assert snapshots[1000].startswith("Epoch: 1000, Cost: 0.16043926933")
    assert snapshots[1000].endswith("Weights: [4.27548114 4.27284863], Bias: [-6.6027234]")
    assert snapshots[100].endswith("Weights: [1.56426876 0.79168393], Bias: [-2.14871589]")


def test_keras_loss_is_cost_before_update(and_run):
    _, history, _ = and_run
    np.testing.assert_allclose(history.history["loss"][1:], history.history["cost"][:-1], rtol=1e-9)


@pytest.mark.parametrize("gate", ["OR", "NAND"])
def test_other_gates_learn(gate):
    model, history = gates.train(gate, epochs=1000, gradient="analytic")
    _, y = logic.truth_table(gate)
    assert np.all((model.predict(logic.INPUTS) > 0.5) == (y > 0.5))
    assert history.history["accuracy"][-1] == 1.0


def test_single_neuron_cannot_learn_xor():
    model, history = gates.train("XOR", epochs=1000, gradient="numeric")
    assert history.history["cost"][-1] == pytest.approx(2 * np.log(2), abs=2e-3)
    np.testing.assert_allclose(model.predict(logic.INPUTS).ravel(), 0.5, atol=0.02)


def test_unknown_gate():
    with pytest.raises(ValueError, match="Unknown gate 'XAND'. Valid gates: AND, OR, NAND"):
        gates.train("XAND")
