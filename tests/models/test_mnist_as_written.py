"""The tutorial's MNIST network as written: the framework's run equals a plain-numpy
transcription of the tutorial's code (weights, batches, gradients, updates, log),
its loss, its log format, the recipe and the command line, and bad input.

The real two-update numeric run on all of MNIST (~17 s an update with the element loop,
~1.5 s of CPU vectorised) is not a unit test: ``python -m layergraph mnist --model as-written``.
"""
import re
import time

import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients
from layergraph.cli import main
from layergraph.framework import activations
from layergraph.models import mnist
from layergraph.models import mnist_as_written as aw

# -- the tutorial's code, transcribed ------------------------------------------------------
# Line for line, except that np.random.seed(777) and the global generator become one
# RandomState(777) (same stream), numerical_gradient may be given the coordinates to
# differentiate (the framework's NumericGradient(max_coordinates=...) samples them), the
# "appned" typo is fixed, and the lines are collected as well as formatted.
KEYS = ("W1", "b1", "W2", "b2")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(a):
    c = np.max(a)
    exp_a = np.exp(a - c)
    sum_exp_a = np.sum(exp_a)
    y = exp_a / sum_exp_a
    return y


class TwoLayerNet:
    def __init__(self, random, input_size=784, hidden_size=64, output_size=10, weight_init_std=0.01):
        self.params = {}
        self.params["W1"] = weight_init_std * random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = weight_init_std * random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

    def predict(self, x):
        W1, W2 = self.params["W1"], self.params["W2"]
        b1, b2 = self.params["b1"], self.params["b2"]
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        y = softmax(a2)
        return y

    def loss(self, x, t):
        y = self.predict(x)
        return 0.5 * np.sum(-t * np.log(y) - (1 - t) * np.log(1 - y))

    def accuracy(self, x, t):
        y = self.predict(x)
        y = np.argmax(y, axis=1)
        t = np.argmax(t, axis=1)
        accuracy = np.sum(y == t) / float(x.shape[0])
        return accuracy

    def numerical_gradient(self, x, t, coordinates=None):
        loss_W = lambda W: self.loss(x, t)  # noqa: E731
        grads = {}
        for i, key in enumerate(KEYS):
            grads[key] = numerical_gradient(loss_W, self.params[key], None if coordinates is None else coordinates[i])
        return grads

    def backprop_gradient(self, x, t):
        """Not the tutorial's: the exact gradient of its loss, by hand, for full-weight comparisons."""
        W1, W2 = self.params["W1"], self.params["W2"]
        b1, b2 = self.params["b1"], self.params["b2"]
        z1 = sigmoid(np.dot(x, W1) + b1)
        y = softmax(np.dot(z1, W2) + b2)
        dy = (-t / y + (1 - t) / (1 - y)) * 0.5
        da2 = y * (dy - np.sum(dy * y))  # the softmax spans the whole batch
        dz1 = np.dot(da2, W2.T)
        da1 = dz1 * z1 * (1.0 - z1)
        return {"W1": np.dot(x.T, da1), "b1": np.sum(da1, axis=0), "W2": np.dot(z1.T, da2), "b2": np.sum(da2, axis=0)}


def numerical_gradient(f, x, coordinates=None):
    h = 1e-5
    grad = np.zeros_like(x) if coordinates is None else np.full_like(x, np.nan)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for idx in range(x.size) if coordinates is None else coordinates:
        tmp_val = flat_x[idx]
        flat_x[idx] = tmp_val + h
        fxh1 = f(x)
        flat_x[idx] = tmp_val - h
        fxh2 = f(x)
        flat_grad[idx] = (fxh1 - fxh2) / (2 * h)
        flat_x[idx] = tmp_val
    return grad


def tutorial(x_train, t_train, x_test, t_test, epochs=2, hidden_size=64, batch_size=100, gradient="numerical"):
    random = np.random.RandomState(777)  # np.random.seed(777)
    network = TwoLayerNet(random, hidden_size=hidden_size)
    train_size = x_train.shape[0]
    learning_rate = 0.1
    train_loss_list, train_acc_list, test_acc_list, lines, batches = [], [], [], [], []
    start = time.time()
    for epoch in range(epochs):
        batch_mask = random.choice(train_size, batch_size)
        x_batch = x_train[batch_mask]
        t_batch = t_train[batch_mask]
        if gradient == "numerical":
            grad = network.numerical_gradient(x_batch, t_batch)
        else:
            grad = network.backprop_gradient(x_batch, t_batch)
        for key in KEYS:
            network.params[key] -= learning_rate * grad[key]
        loss = network.loss(x_batch, t_batch)
        train_loss_list.append(loss)
        train_acc = network.accuracy(x_train, t_train)
        test_acc = network.accuracy(x_test, t_test)
        train_acc_list.append(train_acc)
        test_acc_list.append(test_acc)  # the tutorial's "appned" stops its run here
        lines.append(f"Epoch: {epoch + 1}, Cost: {loss}, Train Accuracy: {train_acc}, Test Accuracy: {test_acc}")
        batches.append(batch_mask)
    lines.append(f"Total time: {time.time() - start:.2f} seconds")
    return network, lines, batches, train_loss_list


# -- data ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data(mnist_dir):
    """Real MNIST, float64, all 60,000 training images (batch indices range over all of them)."""
    return mnist.load_data("idx", mnist_dir, download=False, progress=False)


@pytest.fixture(scope="module")
def batch(data):
    """The tutorial's first batch: the 100 indices drawn after the weights."""
    (x_train, y_train), _ = data
    rs = np.random.RandomState(777)
    aw.draw_weights(rs)
    idx = aw.draw_batch(rs, len(x_train))
    return x_train[idx], y_train[idx]


def _synthetic(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)), np.eye(10)[rng.integers(0, 10, n)]


def _without_time(lines):
    assert lines[-1].startswith("Total time: ")
    return lines[:-1]


# -- equal to the transcription -------------------------------------------------------------
def test_weights_and_batches_are_the_tutorials():
    random = np.random.RandomState(777)
    network = TwoLayerNet(random)
    model = aw.build()
    for got, key in zip(model.get_weights(), KEYS, strict=True):
        np.testing.assert_array_equal(got, network.params[key])
    rs = np.random.RandomState(777)
    aw.draw_weights(rs)
    for _ in range(3):
        np.testing.assert_array_equal(aw.draw_batch(rs, 60000), random.choice(60000, 100))
    # ... which are the global generator's after np.random.seed(777), without touching it here
    # (NPY002: the tutorial being reproduced uses the legacy global generator; that is the point)
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(777)  # noqa: NPY002
        np.random.randn(784, 64), np.random.randn(64, 10)  # noqa: NPY002
        expected = np.random.choice(60000, 100)  # noqa: NPY002
    finally:
        np.random.set_state(state)  # noqa: NPY002
    rs = np.random.RandomState(777)
    aw.draw_weights(rs)
    np.testing.assert_array_equal(aw.draw_batch(rs, 60000), expected)


def test_a_run_leaves_numpys_global_generator_alone():
    x, y = _synthetic(200)
    # NPY002: the legacy global generator is what this test watches
    np.random.seed(5)  # noqa: NPY002
    before = np.random.random(3)  # noqa: NPY002
    np.random.seed(5)  # noqa: NPY002
    aw.train(x, y, x[:20], y[:20], epochs=2, gradient="analytic", print_fn=None)
    np.testing.assert_array_equal(np.random.random(3), before)  # noqa: NPY002


def test_numeric_gradient_equals_the_transcriptions_on_sampled_coordinates(batch):
    x, t = batch
    model = aw.build()
    strategy = gradients.NumericGradient(epsilon=1e-5, max_coordinates=12, seed=3, vectorized=False)
    coordinates = strategy.coordinates(model.trainable_weights)
    assert [len(c) for c in coordinates] == [12, 12, 12, 10]
    loss, grads = strategy.gradients(model, aw.tutorial_loss(), x, t)
    network = TwoLayerNet(np.random.RandomState(777))
    expected = network.numerical_gradient(x, t, coordinates)
    assert loss == network.loss(x, t)
    for got, key, idx in zip(grads, KEYS, coordinates, strict=True):
        # The same floating-point operations in the same order: equal to the last bit.
        np.testing.assert_array_equal(got.reshape(-1)[idx], expected[key].reshape(-1)[idx])
        assert np.count_nonzero(~np.isnan(got)) == len(idx)
    # The batch-wide softmax ignores a constant added to every logit, so the output
    # bias gradient sums to zero (up to the central differences' round-off).
    assert abs(grads[3].sum()) < 1e-6 < np.abs(grads[3]).min()


def test_the_vectorised_numeric_gradient_agrees_with_the_transcription_to_rounding(batch):
    """The default (vectorised) strategy computes the same central differences of the
    same loss; only the rounding of J (about 345 here) differs: one unit in the last
    place of J is 5.7e-14, divided by 2 eps 2.8e-9."""
    x, t = batch
    model = aw.build()
    strategy = gradients.NumericGradient(epsilon=1e-5, max_coordinates=40, seed=4)
    coordinates = strategy.coordinates(model.trainable_weights)
    loss, grads = strategy.gradients(model, aw.tutorial_loss(), x, t)
    expected = TwoLayerNet(np.random.RandomState(777)).numerical_gradient(x, t, coordinates)
    ulp = np.spacing(loss) / (2 * 1e-5)
    for got, key, idx in zip(grads, KEYS, coordinates, strict=True):
        difference = np.abs(got.reshape(-1)[idx] - expected[key].reshape(-1)[idx])
        assert difference.max() <= 4 * ulp, (key, difference.max() / ulp)
    assert max(np.abs(g[~np.isnan(g)]).max() for g in grads) > 1e4 * ulp  # the gradients are not noise


def test_analytic_gradient_of_the_same_loss_agrees_with_the_numeric_one(batch):
    """The framework's backprop through the batch-wide softmax and the summed loss is the
    gradient of the tutorial's loss: equal to the hand-written one on a real batch, and
    checked against central differences on every coordinate of a smaller net."""
    x, t = batch
    network = TwoLayerNet(np.random.RandomState(777))
    model = aw.build()
    _, analytic = gradients.AnalyticGradient().gradients(model, aw.tutorial_loss(), x, t)
    by_hand = network.backprop_gradient(x, t)
    for got, key in zip(analytic, KEYS, strict=True):
        np.testing.assert_array_equal(got, by_hand[key])
    small = aw.build(hidden=3)
    check = gradients.check(small, aw.tutorial_loss(), x[:20], t[:20], rtol=1e-5, atol=1e-8)
    assert check.passed, str(check)


def test_one_update_equals_the_transcription(data):
    """Full weights after one update, the batch, the cost and both accuracies (analytic
    gradient on both sides: the numeric one takes seconds an update)."""
    (x_train, y_train), (x_test, y_test) = data
    result = aw.train(x_train, y_train, x_test, y_test, epochs=1, gradient="analytic", print_fn=None)
    network, lines, batches, costs = tutorial(x_train, y_train, x_test, y_test, epochs=1, gradient="backprop")
    np.testing.assert_array_equal(result.batches[0], batches[0])
    for got, key in zip(result.weights, KEYS, strict=True):
        np.testing.assert_array_equal(got, network.params[key])
    assert result.losses == costs
    assert _without_time(result.lines) == _without_time(lines)  # the printed cost and accuracies, digit for digit


def test_whole_numeric_run_equals_the_transcription_on_a_small_net(data):
    """The as-written loop with the numeric strategy, every coordinate, two updates, equals
    the transcription's numerical_gradient loop, line for line (a 3-unit hidden layer
    and batches of 20 keep it to seconds; the loop does not depend on the width)."""
    (x_train, y_train), (x_test, y_test) = data
    x_train, y_train, x_test, y_test = x_train[:5000], y_train[:5000], x_test[:1000], y_test[:1000]
    loop = gradients.NumericGradient(epsilon=1e-5, vectorized=False)  # the transcription's operations, in its order
    result = aw.train(x_train, y_train, x_test, y_test, epochs=2, batch_size=20, hidden=3, print_fn=None,
                      gradient=loop)
    network, lines, batches, costs = tutorial(x_train, y_train, x_test, y_test, epochs=2, hidden_size=3,
                                              batch_size=20)
    assert result.model.trainer.gradient is loop
    for got, expected in zip(result.batches, batches, strict=True):
        np.testing.assert_array_equal(got, expected)
    for got, key in zip(result.weights, KEYS, strict=True):
        np.testing.assert_array_equal(got, network.params[key])
    assert _without_time(result.lines) == _without_time(lines)
    # The default, vectorised strategy: the same run up to rounding (same accuracies, costs to 1e-10).
    fast = aw.train(x_train, y_train, x_test, y_test, epochs=2, batch_size=20, hidden=3, print_fn=None)
    assert isinstance(fast.model.trainer.gradient, gradients.NumericGradient)
    assert fast.model.trainer.gradient.vectorized and fast.model.trainer.gradient.epsilon == 1e-5
    assert fast.train_accuracies == result.train_accuracies and fast.test_accuracies == result.test_accuracies
    np.testing.assert_allclose(fast.losses, costs, rtol=1e-10)
    # Each gradient element carries the rounding of J (~69 here: one ulp / 2 eps = 7e-10), times lr 0.1, twice.
    for got, key in zip(fast.weights, KEYS, strict=True):
        np.testing.assert_allclose(got, network.params[key], rtol=0, atol=1e-9)


# -- the loss -----------------------------------------------------------------------------
def test_loss_is_half_the_sum_of_binary_cross_entropy_over_samples_and_outputs():
    t = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
    loss = aw.tutorial_loss()
    # By hand: 0.5 * -(log .5 + log .75 + log .75 + log .9 + log .9 + log .8) = -0.5 * ln 0.18225
    assert loss(t, p) == pytest.approx(0.5 * -np.log(0.5 * 0.75 * 0.75 * 0.9 * 0.9 * 0.8), rel=1e-15)
    assert loss(t, p) == pytest.approx(0.85118795, rel=1e-8)
    # Keras' binary cross-entropy averages over the three outputs: the tutorial's is 3 * 0.5 times its sum.
    keras_sum = lg.losses.BinaryCrossentropy(reduction="sum", delta=0.0)(t, p)
    assert loss(t, p) == pytest.approx(0.5 * 3 * keras_sum, rel=1e-14)
    # Its gradient: 0.5 * (-t / p + (1 - t) / (1 - p)), no 1/N and no 1/d.
    np.testing.assert_allclose(loss.gradient(t, p), [[-1.0, 2 / 3, 2 / 3], [5 / 9, 5 / 9, -0.625]], rtol=1e-15)
    assert loss.get_config() == {"scale": 0.5, "delta": 0.0} and loss.reduction == "sum"
    assert aw.TutorialBinaryCrossentropy(**loss.get_config()).get_config() == loss.get_config()


def test_loss_gradient_matches_finite_differences(rng):
    loss = aw.TutorialBinaryCrossentropy(scale=0.5, delta=1e-3)
    t = np.eye(4)[rng.integers(0, 4, 5)]
    p = rng.uniform(0.05, 0.95, size=(5, 4))
    eps, numeric = 1e-6, np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (loss(t, up) - loss(t, down)) / (2 * eps)
    np.testing.assert_allclose(loss.gradient(t, p), numeric, rtol=1e-6, atol=1e-9)


def test_loss_fused_sigmoid_gradient_only_without_delta(rng):
    t = np.eye(3)[rng.integers(0, 3, 4)]
    p = rng.uniform(0.1, 0.9, size=(4, 3))
    fused = aw.tutorial_loss().fused_gradient(activations.Sigmoid(), t, p)
    np.testing.assert_allclose(fused, 0.5 * (p - t), rtol=1e-15)  # dL/dz of a sigmoid output, summed: no 1/d
    assert aw.tutorial_loss().fused_gradient(activations.BatchSoftmax(), t, p) is None
    assert aw.tutorial_loss().fused_gradient(activations.Softmax(), t, p) is None
    assert aw.TutorialBinaryCrossentropy(delta=1e-7).fused_gradient(activations.Sigmoid(), t, p) is None


@pytest.mark.parametrize("delta", [-1e-7, float("nan"), "0"])
def test_loss_rejects_bad_delta(delta):
    with pytest.raises(ValueError, match=r"TutorialBinaryCrossentropy: delta must be a non-negative number, got"):
        aw.TutorialBinaryCrossentropy(delta=delta)


def test_loss_rejects_labels_outside_zero_one_at_the_end():
    t = np.zeros((3, 10))
    t[:, 0] = 1
    t[-1, 4] = 2.0
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\], got values in \[0.0, 2.0\]"):
        aw.tutorial_loss()(t, np.full((3, 10), 0.1))


# -- the log --------------------------------------------------------------------------------
def test_log_format():
    assert aw.format_log_line(1, 345.5, 0.1, 0.0982) == (
        "Epoch: 1, Cost: 345.5, Train Accuracy: 0.1, Test Accuracy: 0.0982")
    assert aw.format_total_time(35.214) == "Total time: 35.21 seconds"


def test_run_prints_the_tutorial_lines_and_returns_them():
    x, y = _synthetic(300)
    printed = []
    result = aw.train(x, y, x[:60], y[:60], epochs=3, gradient="analytic", print_fn=printed.append)
    assert printed == result.lines and len(printed) == 4
    for epoch, line in enumerate(printed[:3], start=1):
        m = re.fullmatch(r"Epoch: (\d+), Cost: ([\d.e+-]+), Train Accuracy: ([\d.]+), Test Accuracy: ([\d.]+)", line)
        assert m, line
        assert int(m.group(1)) == epoch
        assert float(m.group(2)) == result.losses[epoch - 1]
        assert float(m.group(3)) == result.train_accuracies[epoch - 1]
        assert float(m.group(4)) == result.test_accuracies[epoch - 1]
        assert float(m.group(3)) * 300 == pytest.approx(round(float(m.group(3)) * 300))  # a count over 300 images
    assert re.fullmatch(r"Total time: \d+\.\d\d seconds", printed[-1])
    assert result.seconds >= 0 and result.test_accuracy == result.test_accuracies[-1]
    history = result.history
    assert history.epoch == [0, 1, 2] and history.history["loss"] == result.losses
    assert history.history["accuracy"] == result.train_accuracies
    assert history.history["val_accuracy"] == result.test_accuracies and history.train_seconds == result.seconds


def test_the_cost_is_measured_after_the_update_on_the_whole_batch():
    x, y = _synthetic(200, seed=1)
    result = aw.train(x, y, x, y, epochs=1, gradient="analytic", print_fn=None)
    xb, yb = x[result.batches[0]], y[result.batches[0]]
    after = aw.tutorial_loss()(yb, result.model.forward(xb)[0])
    assert result.losses[0] == after
    before = aw.tutorial_loss()(yb, aw.build().forward(xb)[0])
    # At the start every p is ~1/1000: 0.5 * (100 * ln 1000 + 900 * ~0.001)
    assert before == pytest.approx(0.5 * 100 * np.log(1000), rel=0.01) and after != before


def test_zero_epochs_prints_only_the_time():
    x, y = _synthetic(50)
    result = aw.train(x, y, x, y, epochs=0, print_fn=None)
    assert len(result.lines) == 1 and result.losses == [] and np.isnan(result.test_accuracy)
    for got, expected in zip(result.weights, aw.build().get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_any_gradient_strategy_may_be_injected():
    class Counting(gradients.AnalyticGradient):
        calls = 0

        def gradients(self, model, loss, x, y):
            Counting.calls += 1
            return super().gradients(model, loss, x, y)

    x, y = _synthetic(100)
    result = aw.train(x, y, x, y, epochs=2, gradient=Counting(), print_fn=None)
    assert Counting.calls == 2 and isinstance(result.model.trainer.gradient, Counting)


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(x_train=d["x_train"][:, :783]), r"x_train must have shape \(n, 784\), got \(120, 783\)"),
    (lambda d: d.update(y_test=d["y_test"][:-1]), r"y_test must be one-hot labels of shape \(30, 10\) for x_test "
                                                  r"of shape \(30, 784\), got \(29, 10\)"),
    (lambda d: d.update(x_test=d["x_test"][:0], y_test=d["y_test"][:0]), r"x_test is empty"),
    (lambda d: d["x_train"].__setitem__((119, 5), np.nan), r"x_train has non-finite values in row 119"),
    (lambda d: d["y_train"].__setitem__((119, slice(None)), 0.0), r"y_train row 119 is not one-hot: \[0.0, 0.0,"),
    (lambda d: d["y_test"].__setitem__((29, 0), 0.5), r"y_test row 29 is not one-hot"),
    (lambda d: d.update(epochs=-1), r"epochs must be a non-negative integer, got -1"),
    (lambda d: d.update(batch_size=0), r"batch_size must be a positive integer, got 0"),
    (lambda d: d.update(learning_rate=float("inf")), r"learning_rate must be a positive number, got inf"),
    (lambda d: d.update(hidden=0), r"hidden must be a positive integer, got 0"),
    (lambda d: d.update(gradient="symbolic"), r"symbolic"),
])
def test_bad_input_is_reported_before_anything_runs(change, message):
    x, y = _synthetic(150, seed=2)
    args = dict(x_train=x[:120].copy(), y_train=y[:120].copy(), x_test=x[120:].copy(), y_test=y[120:].copy())
    change(args)
    printed = []
    with pytest.raises(ValueError, match=message):
        aw.train(**args, print_fn=printed.append)
    assert printed == []


def test_text_labels_are_a_type_error():
    x, y = _synthetic(20)
    with pytest.raises(TypeError, match="train data must be numeric"):
        aw.train(x, y.astype(str), x, y, print_fn=None)


def test_a_sampling_numeric_strategy_cannot_train():
    x, y = _synthetic(20)
    with pytest.raises(ValueError, match="max_coordinates samples the gradient"):
        aw.train(x, y, x, y, gradient=gradients.NumericGradient(max_coordinates=5), print_fn=None)


# -- the recipe and the command line -----------------------------------------------------------
def test_recipe_is_registered_with_its_own_loop():
    recipe = mnist.get_recipe("as-written")
    assert (recipe.epochs, recipe.batch_size, recipe.learning_rate, recipe.seed) == (2, 100, 0.1, 777)
    assert recipe.gradient == "numeric" and recipe.run is not None and recipe.flatten and recipe.dtype == "float64"
    model = recipe.build()
    assert isinstance(model.trainer.gradient, gradients.NumericGradient) and model.trainer.gradient.epsilon == 1e-5
    assert [layer.activation.name for layer in model.layers] == ["sigmoid", "batch_softmax"]
    for got, expected in zip(model.get_weights(), mnist.tutorial_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    others = [r for name, r in mnist.MODELS.items() if name != "as-written"]
    assert others and all(r.run is None and r.gradient == "analytic" for r in others)


def test_train_runs_the_recipes_own_loop(data):
    (x_train, y_train), (x_test, y_test) = data
    small = ((x_train[:2000], y_train[:2000]), (x_test[:500], y_test[:500]))
    model, history, accuracy = mnist.train("as-written", data=small, gradient="analytic", verbose=0)
    expected = aw.train(*small[0], *small[1], gradient="analytic", print_fn=None)
    assert history.history["loss"] == expected.losses and accuracy == expected.test_accuracy
    for got, want in zip(model.get_weights(), expected.weights, strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="runs its own training loop and takes no callbacks"):
        mnist.train("as-written", data=small, callbacks=[lg.callbacks.History()])


def test_tutorial_as_written_loads_the_data(mnist_dir, capsys):
    result = mnist.tutorial_as_written(data_dir=mnist_dir, limit=300, gradient="analytic")
    out = capsys.readouterr().out.splitlines()
    assert out == result.lines and out[0].startswith("Epoch: 1, Cost: ") and len(out) == 3


def test_cli_as_written(mnist_dir, tmp_path, capsys):
    plot = tmp_path / "aw.png"
    code = main(["mnist", "--model", "as-written", "--data-dir", str(mnist_dir), "--limit", "400", "--gradient",
                 "analytic", "--verbose", "2", "--no-download", "--plot", str(plot)])
    out = capsys.readouterr().out
    assert code == 0
    assert "== MNIST 'as-written' model: 2 epochs, batch 100, lr 0.1, float64, seed 777, analytic gradient ==" in out
    log = re.findall(r"^Epoch: (\d), Cost: [\d.]+, Train Accuracy: [\d.]+, Test Accuracy: ([\d.]+)$", out, re.M)
    assert [epoch for epoch, _ in log] == ["1", "2"]
    assert re.search(r"^Total time: \d+\.\d\d seconds$", out, re.M)
    final = float(re.search(r"^Test accuracy: (\d\.\d{4}) after 2 epochs", out, re.M).group(1))
    assert final == pytest.approx(float(log[-1][1]), abs=5e-5)
    assert "Target" not in out and plot.exists()


def test_cli_as_written_is_numeric_by_default(mnist_dir, capsys, monkeypatch):
    seen = {}
    original = aw.train

    def analytic_instead(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **{**kwargs, "gradient": "analytic"})  # the numeric update takes seconds

    monkeypatch.setattr(aw, "train", analytic_instead)
    assert main(["mnist", "--model", "as-written", "--data-dir", str(mnist_dir), "--limit", "200", "--epochs", "1",
                 "--verbose", "0", "--no-download"]) == 0
    out = capsys.readouterr().out
    assert seen["gradient"] == "numeric" and seen["epochs"] == 1 and seen["print_fn"] is None
    assert "seed 777, numeric gradient ==" in out and "Epoch: 1" not in out


@pytest.mark.parametrize("model, build", [("tutorial", "tutorial_mlp"), ("mlp", "modern_mlp"), ("cnn", "cnn")])
def test_cli_gradient_option_reaches_every_recipe(mnist_dir, capsys, monkeypatch, model, build):
    seen = {}
    original = getattr(mnist, build)

    def analytic_instead(**kwargs):
        seen.update(kwargs)
        return original(**{**kwargs, "gradient": "analytic"})  # a numeric epoch would take hours

    recipe = mnist.MODELS[model]
    monkeypatch.setitem(mnist.MODELS, model, mnist.Recipe(**{**recipe.__dict__, "build": analytic_instead}))
    monkeypatch.setattr(mnist, "estimate_numeric", lambda *args, **kwargs: mnist.NumericEstimate(10, 1e-3, 1, 16))
    assert main(["mnist", "--model", model, "--gradient", "numeric", "--data-dir", str(mnist_dir), "--limit", "64",
                 "--epochs", "1", "--verbose", "0", "--no-download"]) == 0
    assert seen["gradient"] == "numeric"
    assert ", numeric gradient ==" in capsys.readouterr().out


def test_builders_pass_the_gradient_strategy_to_compile():
    for build in (mnist.tutorial_mlp, mnist.modern_mlp, mnist.cnn, mnist.as_written_mlp):
        assert isinstance(build(gradient="numeric").trainer.gradient, gradients.NumericGradient), build
        assert isinstance(build(gradient="analytic").trainer.gradient, gradients.AnalyticGradient), build


def test_cli_rejects_an_unknown_gradient(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["mnist", "--model", "as-written", "--gradient", "symbolic"])
    assert exc.value.code == 2 and "invalid choice: 'symbolic'" in capsys.readouterr().err
