"""The vectorised numeric gradient: the element loop's central differences, many per pass.

Agreement with ``NumericGradient(vectorized=False)`` on models that exercise every
path (Dense shortcuts, folded and looped layers, batch coupling, penalties, added
losses, functional graphs, subclassed models, sample weights, losses that are not
sums), the layer hooks on hand-computed examples, and the strategy's guarantees.
(Every layer's own gradient check in the suite runs through this strategy too:
``gradients.check`` uses the default ``NumericGradient()``.)
"""
import re

import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients, layers
from layergraph.framework import activations, regularizers
from layergraph.framework.layers.regularization import frozen_masks
from layergraph.framework.perturbation import Copies, NodeReference
from layergraph.models import mnist_as_written as aw

#: Agreement asked of the two strategies: rounding only (reassociated sums).
RTOL = 1e-7


def compare(model, loss, x, y, sample_weight=None, **options):
    """``(value, relative difference)`` of the vectorised and the looped strategies on one batch.

    Both run in one frozen-masks block (one dropout mask) from the same non-trainable state;
    the relative difference is ``max |fast - loop| / max |loop|`` over all weights.
    """
    state = [w.value.copy() for w in model.non_trainable_weights]
    before = [w.value.copy() for w in model.trainable_weights]
    results = []
    with frozen_masks(model):
        for vectorized in (True, False):
            for w, saved in zip(model.non_trainable_weights, state, strict=True):
                w.value[...] = saved
            strategy = gradients.NumericGradient(vectorized=vectorized, **options)
            results.append(strategy.gradients(model, loss, x, y, sample_weight))
    for a, w in zip(before, model.trainable_weights, strict=True):
        np.testing.assert_array_equal(a, w.value)
    (v_fast, fast), (v_loop, loop) = results
    assert v_fast == v_loop
    scale = max(np.nanmax(np.abs(g)) for g in loop)
    assert scale > 0
    worst = 0.0
    for a, b in zip(fast, loop, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        worst = max(worst, float(np.nanmax(np.abs(a - b))) / scale)
    return v_fast, worst


def _sparse_inputs(rng, n, d):
    """Inputs with zeros (a Dense shortcut skips those samples) and one column that is zero throughout."""
    x = rng.normal(size=(n, d)) * (rng.random((n, d)) < 0.6)
    x[:, 1] = 0.0
    return x


# -- agreement on models that exercise every path ---------------------------------------------
def test_dense_sigmoid_softmax_mlp(rng):
    model = lg.Sequential([layers.Dense(5, activation="sigmoid", input_shape=(6,), seed=0),
                           layers.Dense(4, activation="softmax", seed=1)])
    x, y = _sparse_inputs(rng, 12, 6), np.eye(4)[rng.integers(0, 4, 12)]
    _, difference = compare(model, lg.losses.CategoricalCrossentropy(delta=1e-7), x, y)
    assert difference < RTOL


def test_an_input_column_of_zeros_gives_exact_zeros(rng):
    model = lg.Sequential([layers.Dense(3, activation="tanh", input_shape=(4,), seed=0), layers.Dense(1, seed=1)])
    x, y = _sparse_inputs(rng, 6, 4), rng.normal(size=(6, 1))
    _, (kernel, *_) = gradients.NumericGradient().gradients(model, "mse", x, y)
    assert np.all(kernel[1] == 0.0) and np.all(kernel[0] != 0.0)


def test_the_as_written_network_batch_softmax_and_summed_loss(rng):
    model = lg.Sequential([layers.Dense(3, activation="sigmoid", input_shape=(8,), seed=0),
                           layers.Dense(4, activation="batch_softmax", seed=1)])
    x, y = _sparse_inputs(rng, 10, 8), np.eye(4)[rng.integers(0, 4, 10)]
    _, difference = compare(model, aw.tutorial_loss(), x, y)
    assert difference < RTOL


def test_batch_normalization_and_dropout(rng):
    model = lg.Sequential([layers.Dense(6, use_bias=False, input_shape=(5,), seed=0),
                           layers.BatchNormalization(momentum=0.5),
                           layers.Activation("relu"),
                           layers.Dropout(0.3, seed=2),
                           layers.Dense(3, activation="softmax", seed=3)])
    x, y = rng.normal(size=(16, 5)), rng.integers(0, 3, 16)
    _, difference = compare(model, "sparse_categorical_crossentropy", x, y)
    assert difference < RTOL
    _, difference = compare(model, "sparse_categorical_crossentropy", x, y, dropout="off")
    assert difference < RTOL


def test_a_conv2d_net(rng):
    model = lg.Sequential([layers.Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1), seed=0),
                           layers.MaxPooling2D(2), layers.Flatten(),
                           layers.Dense(3, activation="softmax", seed=1)])
    x, y = rng.normal(size=(4, 6, 6, 1)), np.eye(3)[rng.integers(0, 3, 4)]
    _, difference = compare(model, "categorical_crossentropy", x, y)
    assert difference < RTOL


class ScaleByWeight(layers.Layer):
    """A call()-only layer with a weight (generic paths: loop over copies)."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=input_shape[-1:], initializer="ones", name="scale")

    def call(self, inputs):
        return inputs * self.scale.value


class BatchCentre(layers.Layer):
    """Couples the samples: subtracts the batch mean (each copy must see its own batch)."""

    def call(self, inputs):
        return inputs - inputs.mean(axis=0)


class AddsActivityPenalty(layers.Layer):
    """Adds 0.1 * sum(x**2) of its input to the objective and scales its input."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=input_shape[-1:], initializer="ones", name="w")

    def call(self, inputs):
        self.add_loss(0.1 * np.sum(inputs ** 2))
        return inputs * self.w.value


def test_custom_call_layers_including_one_that_couples_the_batch(rng):
    model = lg.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,), seed=0), ScaleByWeight(),
                           BatchCentre(), layers.Dense(2, seed=1)])
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    _, difference = compare(model, "mse", x, y)
    assert difference < RTOL


def test_regularized_weights_built_in_and_custom_penalty(rng):
    class Quartic(regularizers.Regularizer):
        def __call__(self, w):
            return 0.1 * float(np.sum(w ** 4))

        def gradient(self, w):
            return 0.4 * w ** 3

    model = lg.Sequential([
        layers.Dense(4, activation="tanh", input_shape=(3,), seed=0, kernel_regularizer=regularizers.L1L2(0.01, 0.1)),
        layers.Dense(2, seed=1, kernel_regularizer=Quartic())])
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    value, difference = compare(model, "mse", x, y)
    assert difference < RTOL
    w1, w2 = model.get_weights()[0], model.get_weights()[2]
    penalty = 0.01 * np.abs(w1).sum() + 0.1 * np.square(w1).sum() + 0.1 * np.sum(w2 ** 4)
    assert value == pytest.approx(lg.losses.MeanSquaredError()(y, model.predict(x)) + penalty, rel=1e-12)
    assert gradients.check(model, "mse", x, y).passed


def test_added_losses(rng):
    model = lg.Sequential([layers.Dense(3, activation="tanh", input_shape=(2,), seed=0), AddsActivityPenalty(),
                           layers.Dense(1, seed=1)])
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    value, difference = compare(model, "mse", x, y)
    assert difference < RTOL
    assert value > lg.losses.MeanSquaredError()(y, model.predict(x))  # the activity penalty is in the objective
    assert model.layers[1].losses  # the reference pass's added losses are back after the step


def test_functional_graph_with_shared_weights_merges_and_two_outputs(rng):
    a, b = lg.Input(shape=(3,), name="a"), lg.Input(shape=(3,), name="b")
    shared = layers.Dense(4, activation="tanh", seed=0, name="shared")
    ha, hb = shared(a), shared(b)  # the same kernel in two calls
    joined = layers.Concatenate()([ha, hb])
    summed = layers.Add()([ha, layers.Dense(4, seed=1)(hb)])
    out1 = layers.Dense(2, activation="softmax", seed=2, name="class")(joined)
    out2 = layers.Dense(1, seed=3, name="value")(summed)
    model = lg.Model([a, b], [out1, out2])
    model.compile(loss=["categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5])
    xa, xb = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    ys = [np.eye(2)[rng.integers(0, 2, 6)], rng.normal(size=(6, 1))]
    _, difference = compare(model, model.trainer.objective, [xa, xb], ys)
    assert difference < RTOL


def test_a_subclassed_model_without_a_graph(rng):
    class TwoLayers(lg.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = layers.Dense(3, activation="tanh", seed=0)
            self.out = layers.Dense(1, seed=1)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    model = TwoLayers()
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    model.build((None, 2))
    assert model.computation_graph() is None
    _, difference = compare(model, "mse", x, y)
    assert difference < RTOL


def test_sample_weights_and_sampled_coordinates(rng):
    model = lg.Sequential([layers.Dense(6, activation="relu", input_shape=(5,), seed=0),
                           layers.Dense(2, activation="sigmoid", seed=1)])
    x, y = _sparse_inputs(rng, 9, 5), rng.integers(0, 2, (9, 2)).astype(float)
    weights = rng.random(9)
    _, difference = compare(model, "binary_crossentropy", x, y, sample_weight=weights)
    assert difference < RTOL
    _, difference = compare(model, "binary_crossentropy", x, y, max_coordinates=7, seed=2)
    assert difference < RTOL


def test_a_loss_that_is_not_a_sum_over_samples(rng):
    class WorstSample(lg.losses.MeanSquaredError):
        def value(self, y_true, y_pred, sample_weight=None):
            return float(np.max(self._per_sample(y_true, y_pred)))

    loss = WorstSample()
    assert loss.sample_losses(np.zeros((2, 1)), np.ones((2, 1))) is None
    model = lg.Sequential([layers.Dense(3, activation="tanh", input_shape=(2,), seed=0), layers.Dense(1, seed=1)])
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    _, difference = compare(model, loss, x, y)
    assert difference < RTOL


class CentredSquaredError(lg.losses.Loss):
    """A loss written with call() (the Keras way) whose per-sample values couple the batch."""

    def call(self, y_true, y_pred):
        error = y_pred - y_true
        return np.mean((error - error.mean(axis=0)) ** 2, axis=-1)


def _mean_absolute(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred), axis=-1)


@pytest.mark.parametrize("loss", [CentredSquaredError(), lg.losses.LossFunctionWrapper(_mean_absolute)],
                         ids=["call-coupling-the-batch", "function-wrapper"])
def test_losses_written_with_call_are_evaluated_on_whole_copies(rng, loss):
    # call() is the user's numpy: nothing says each sample's loss depends on that sample alone,
    # so such a loss gives no per-sample shares and every copy's value is computed on its batch.
    assert loss.sample_losses(np.zeros((3, 1)), np.ones((3, 1))) is None
    model = lg.Sequential([layers.Dense(3, activation="tanh", input_shape=(4,), seed=0), layers.Dense(1, seed=1)])
    x, y = _sparse_inputs(rng, 6, 4), rng.normal(size=(6, 1))  # each copy changes some samples only
    value, difference = compare(model, loss, x, y)
    assert difference < RTOL
    assert value == pytest.approx(loss(y, model.predict(x, verbose=0)), rel=1e-12)
    analytic = gradients.AnalyticGradient().gradients(model, loss, x, y)[1]
    numeric = gradients.NumericGradient().gradients(model, loss, x, y)[1]
    for a, n in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(n, a, rtol=1e-5, atol=1e-8)


def test_a_subclass_of_a_call_loss_with_its_own_per_sample_values_gives_shares(rng):
    class Hand(CentredSquaredError):
        def _per_sample(self, t, y):
            return np.mean((y - t) ** 2, axis=-1)

        def _grad(self, t, y):
            return 2 * (y - t) / y.shape[-1]

    t, p = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    assert np.sum(Hand().sample_losses(t, p)) == pytest.approx(Hand().value(t, p), rel=1e-14)


def test_augmentation_copies_reuse_the_frozen_transforms(rng):
    # A random, per-image layer downstream of weights: the generic loop runs each copy as a whole
    # batch, and inside frozen_masks every copy is transformed by the reference pass's draw.
    model = lg.Sequential([layers.Conv2D(2, 3, padding="same", activation="tanh", input_shape=(6, 6, 1), seed=0),
                           layers.RandomTranslation(0.2, 0.2, seed=3), layers.RandomRotation(0.1, seed=4),
                           layers.Flatten(), layers.Dense(3, activation="softmax", seed=1)])
    x, y = rng.normal(size=(4, 6, 6, 1)), np.eye(3)[rng.integers(0, 3, 4)]
    _, difference = compare(model, "categorical_crossentropy", x, y)
    assert difference < RTOL
    with frozen_masks(model):
        analytic = gradients.AnalyticGradient().gradients(model, "categorical_crossentropy", x, y)[1]
        numeric = gradients.NumericGradient().gradients(model, "categorical_crossentropy", x, y)[1]
    for a, n in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(n, a, rtol=1e-4, atol=1e-7)


def test_workspace_layers_give_the_same_gradient_step_after_step(rng):
    # Conv2D and pooling hand out reused scratch arrays (Workspace): copies kept across calls
    # must not alias a buffer that a later call overwrites.
    model = lg.Sequential([layers.Conv2D(3, 3, padding="same", activation="relu", input_shape=(8, 8, 1), seed=0),
                           layers.MaxPooling2D(2, padding="same"), layers.Conv2D(2, 2, seed=2),
                           layers.AveragePooling2D(2), layers.Flatten(),
                           layers.Dense(3, activation="softmax", seed=1)])
    x, y = rng.normal(size=(5, 8, 8, 1)), np.eye(3)[rng.integers(0, 3, 5)]
    _, difference = compare(model, "categorical_crossentropy", x, y)
    assert difference < RTOL
    strategy = gradients.NumericGradient(memory_budget=2**16)  # many small chunks: many calls per step
    first = strategy.gradients(model, "categorical_crossentropy", x, y)[1]
    again = strategy.gradients(model, "categorical_crossentropy", x, y)[1]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_float32_weights_are_perturbed_as_the_loop_perturbs_them(rng):
    """In float32, w + eps rounds: both strategies evaluate at the stored perturbed value."""
    model = lg.Sequential([layers.Dense(3, activation="tanh", input_shape=(4,), seed=0, dtype="float32"),
                           layers.Dense(1, seed=1, dtype="float32")])
    x, y = rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 1)).astype("float32")
    fast = gradients.NumericGradient(epsilon=1e-2).gradients(model, "mse", x, y)[1]
    loop = gradients.NumericGradient(epsilon=1e-2, vectorized=False).gradients(model, "mse", x, y)[1]
    for a, b in zip(fast, loop, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)


# -- the hooks on hand-computed examples ---------------------------------------------------------
def test_dense_shortcut_changes_one_column_of_the_samples_with_a_non_zero_input():
    layer = layers.Dense(2, input_shape=(2,), kernel_initializer="zeros")
    layer.set_weights([np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5])])
    x = np.array([[1.0, 0.0], [2.0, 3.0]])
    z = layer(x)  # [[1.5, 1.5], [11.5, 15.5]]
    reference = NodeReference(x, z, training=True)
    # kernel[0, 1] (flat 1) 2 -> 2.5: column 1 moves by 0.5 * x[:, 0] = [0.5, 1.0];
    # kernel[1, 0] (flat 2) 3 -> 2.0: column 0 moves by -1 * x[:, 1] = [0, -3], only sample 1.
    copies = layer.forward_perturbed(reference, layer.kernel, np.array([1, 2]), np.array([2.5, 2.0]))
    assert copies.copy.tolist() == [0, 0, 1] and copies.sample.tolist() == [0, 1, 1]
    assert copies.column.tolist() == [1, 1, 0] and copies.values.tolist() == [2.0, 16.5, 8.5]
    full, present = copies.full()
    assert present.tolist() == [0, 1]
    np.testing.assert_array_equal(full, [[[1.5, 2.0], [11.5, 16.5]], [[1.5, 1.5], [8.5, 15.5]]])
    # bias[1] (flat 1) -0.5 -> 0.25: column 1 of every sample moves by 0.75.
    copies = layer.forward_perturbed(reference, layer.bias, np.array([1]), np.array([0.25]))
    np.testing.assert_array_equal(copies.full()[0], [[[1.5, 2.25], [11.5, 16.25]]])
    np.testing.assert_array_equal(layer.get_weights()[0], [[1.0, 2.0], [3.0, 4.0]])  # nothing moved for real


def test_the_generic_path_equals_forward_with_the_element_moved(rng):
    layer = ScaleByWeight()
    x = rng.normal(size=(3, 2))
    reference = NodeReference(x, layer(x), training=True)
    copies = layer.forward_perturbed(reference, layer.scale, np.array([0, 1, 1]), np.array([2.0, 0.5, 1.0]))
    full, present = copies.full()
    assert present.tolist() == [0, 1]  # copy 2 sets scale[1] to its own value: no row changes
    np.testing.assert_array_equal(full[0], x * [2.0, 1.0])
    np.testing.assert_array_equal(full[1], x * [1.0, 0.5])
    np.testing.assert_array_equal(layer.scale.value, [1.0, 1.0])


def test_batch_softmax_normalises_each_copy_over_its_own_batch(rng):
    z = rng.normal(size=(3, 4, 5))
    act = activations.BatchSoftmax()
    got = act.forward_copies(z)
    for k in range(3):
        np.testing.assert_allclose(got[k], act.forward(z[k])[0], rtol=1e-14)
        assert got[k].sum() == pytest.approx(1.0)


def test_batch_normalization_copies_use_their_own_batch_statistics(rng):
    layer = layers.BatchNormalization(momentum=0.5, input_shape=(3,))
    layer.set_weights([np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0]), np.zeros(3), np.ones(3)])
    x = rng.normal(size=(4, 3))
    out = layer.forward(x, training=True)[0]
    moving = [w.value.copy() for w in layer.non_trainable_weights]
    changed = x[[1, 3]] + 1.0
    copies = Copies(x, 2, np.array([0, 1]), np.array([1, 3]), changed)
    result = layer.forward_copies(NodeReference(x, out, training=True), copies)
    full, present = result.full(np.arange(2))
    for k, (sample, row) in enumerate(zip([1, 3], changed, strict=True)):
        xk = x.copy()
        xk[sample] = row
        np.testing.assert_allclose(full[k], layer.forward(xk, training=True)[0], rtol=1e-13)
        for w, saved in zip(layer.non_trainable_weights, moving, strict=True):
            w.value[...] = saved
    assert len(result) == 8  # batch statistics: every sample of a changed copy changes


def test_dropout_copies_reuse_the_frozen_mask(rng):
    layer = layers.Dropout(0.5, seed=3)
    x = rng.normal(size=(4, 6))
    with frozen_masks(layer):
        out, mask = layer.forward(x, training=True)
        copies = Copies(x, 2, np.array([0, 1]), np.array([2, 2]), np.ones((2, 6)))
        result = layer.forward_copies(NodeReference(x, out, training=True), copies)
    np.testing.assert_array_equal(result.values, np.ones((2, 6)) * mask[2])
    assert result.sample.tolist() == [2, 2]


def test_samplewise_is_inherited_only_with_the_computation():
    class FasterBackward(layers.Dense):
        def backward_preactivation(self, grad_z, cache, input_grad=True):
            return super().backward_preactivation(grad_z, cache, input_grad)

    class OwnMaths(layers.Dense):
        def forward_preactivation(self, x, training=False):
            return super().forward_preactivation(x - x.mean(axis=0), training)

    assert layers.Dense.samplewise and FasterBackward.samplewise and not OwnMaths.samplewise
    assert not layers.BatchNormalization.samplewise and not layers.Layer.samplewise
    assert not ScaleByWeight.samplewise

    class Swish(activations.Sigmoid):
        def forward(self, z):
            a = super().forward(z)[0] * z
            return a, a

    assert activations.Sigmoid.elementwise and not Swish.elementwise and not Swish.samplewise
    assert activations.Softmax.samplewise and not activations.Softmax.elementwise
    assert not activations.BatchSoftmax.samplewise


def test_sample_losses_add_up_to_the_value(rng):
    t, p = np.eye(3)[rng.integers(0, 3, 5)], rng.dirichlet(np.ones(3), 5)
    weights = rng.random(5)
    for loss in (lg.losses.CategoricalCrossentropy(), lg.losses.BinaryCrossentropy(reduction="sum", scale=0.5),
                 lg.losses.MeanSquaredError(), aw.tutorial_loss()):
        assert np.sum(loss.sample_losses(t, p, weights)) == pytest.approx(loss.value(t, p, weights), rel=1e-14)
        # Shares of a few rows scale with the whole batch's size (the batch mean).
        assert loss.sample_losses(t[:2], p[:2], batch_size=5).shape == (2,)


def test_regularizer_perturbed_equals_the_penalty_at_each_perturbation(rng):
    w = rng.normal(size=(3, 2))
    indices, values = np.array([0, 5, 5]), np.array([0.3, -2.0, 1.0])
    reg = regularizers.L1L2(0.1, 0.2)
    expected = []
    for i, v in zip(indices, values, strict=True):
        moved = w.copy()
        moved.reshape(-1)[i] = v
        expected.append(reg(moved))
    np.testing.assert_allclose(reg.perturbed(w, indices, values), expected, rtol=1e-14)
    np.testing.assert_allclose(regularizers.Regularizer.perturbed(reg, w, indices, values), expected, rtol=1e-14)
    assert w.reshape(-1)[0] != 0.3


# -- guarantees ------------------------------------------------------------------------------------
def test_only_the_layers_downstream_run_again(rng):
    """The first layer runs once per step (the reference pass), not twice per coordinate."""
    model = lg.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,), seed=0), ScaleByWeight(),
                           layers.Dense(1, seed=1)])
    first, scale = model.layers[0], model.layers[1]
    calls = {"first": 0, "scale": 0}
    forward_first, forward_scale = first.forward, scale.forward

    def count(name, forward):
        def counted(*args, **kwargs):
            calls[name] += 1
            return forward(*args, **kwargs)
        return counted

    first.forward, scale.forward = count("first", forward_first), count("scale", forward_scale)
    gradients.NumericGradient().gradients(model, "mse", rng.normal(size=(5, 3)), rng.normal(size=(5, 1)))
    # ScaleByWeight (a call() layer) runs once per copy whose input changed: the 2 * (12 + 4) copies of the
    # first layer's weights and its own 2 * 4, plus the reference pass; the last layer's copies skip it.
    assert calls == {"first": 1, "scale": 1 + 2 * 16 + 2 * 4}


def test_weights_are_restored_when_a_perturbed_pass_raises(rng):
    class Fragile(ScaleByWeight):
        calls = 0

        def call(self, inputs):
            Fragile.calls += 1
            if Fragile.calls == 5:  # in the middle of the copies of its own weight
                raise RuntimeError("boom")
            return super().call(inputs)

    model = lg.Sequential([layers.Dense(3, input_shape=(2,), seed=0), Fragile()])
    model.build((None, 2))
    Fragile.calls = 0
    before = model.get_weights()
    with pytest.raises(RuntimeError, match="boom"):
        gradients.NumericGradient().gradients(model, "mse", rng.normal(size=(4, 2)), rng.normal(size=(4, 3)))
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_batch_norm_statistics_move_once_per_step_as_with_the_loop(rng):
    def model():
        return lg.Sequential([layers.Dense(3, input_shape=(2,), seed=0), layers.BatchNormalization(momentum=0.5),
                              layers.Dense(1, seed=1)])

    x, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    fast, loop = model(), model()
    gradients.NumericGradient().gradients(fast, "mse", x, y)
    gradients.NumericGradient(vectorized=False).gradients(loop, "mse", x, y)
    for a, b in zip(fast.non_trainable_weights, loop.non_trainable_weights, strict=True):
        np.testing.assert_array_equal(a.value, b.value)
    assert not np.allclose(fast.layers[1].moving_mean.value, 0.0)


def test_a_memory_budget_too_small_for_one_perturbed_pass(rng):
    model = lg.Sequential([layers.Dense(4, input_shape=(3,), seed=0), layers.BatchNormalization(),
                           layers.Dense(2, seed=1)])
    x, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    moving = [w.value.copy() for w in model.non_trainable_weights]
    # Downstream of the first kernel: 10 x (4 + 4 + 2) float64 outputs = 800 bytes a copy; x 3 x 2 copies.
    message = ("NumericGradient: memory_budget=4,000 bytes is too small for one perturbed pass: the two copies of "
               f"the 3 layer output(s) downstream of weight '{model.layers[0].kernel.name}' need about 4,800 bytes "
               "for this batch of 10; raise memory_budget or use smaller batches")
    with pytest.raises(ValueError, match=re.escape(message)):
        gradients.NumericGradient(memory_budget=4000).gradients(model, "mse", x, y)
    for w, saved in zip(model.non_trainable_weights, moving, strict=True):
        np.testing.assert_array_equal(w.value, saved)
    # Just enough: one coordinate per chunk, the same numbers.
    _, difference = compare(model, "mse", x, y, memory_budget=4800)
    assert difference < RTOL


@pytest.mark.parametrize("budget", [0, -5, 2.5, True, "1GB"])
def test_memory_budget_is_validated(budget):
    with pytest.raises(ValueError, match=f"NumericGradient: memory_budget must be a positive number of bytes, "
                                         f"got {budget!r}"):
        gradients.NumericGradient(memory_budget=budget)
    with pytest.raises(TypeError, match="NumericGradient: vectorized must be True or False, got 1"):
        gradients.NumericGradient(vectorized=1)


def test_config_round_trip_and_older_configs(rng):
    strategy = gradients.NumericGradient(vectorized=False, memory_budget=2 ** 20)
    config = gradients.serialize(strategy)
    restored = gradients.deserialize(config)
    assert restored.get_config() == strategy.get_config()
    old = gradients.deserialize({"class_name": "NumericGradient", "config": {"epsilon": 1e-5, "max_coordinates": None,
                                                                             "seed": 0, "progress": False,
                                                                             "dropout": "frozen"}})
    assert old.vectorized and old.memory_budget == 256 * 2 ** 20


def test_progress_bar_and_last_outputs(rng, capsys):
    model = lg.Sequential([layers.Dense(3, activation="tanh", input_shape=(2,), seed=0), layers.Dense(1, seed=1)])
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    strategy = gradients.NumericGradient(progress=True)
    strategy.gradients(model, "mse", x, y)
    assert "numeric gradient" in capsys.readouterr().err
    seen_x, outputs = strategy.last_outputs
    assert seen_x is x
    np.testing.assert_array_equal(outputs, model.predict(x))


def test_estimate_seconds_leaves_the_model_as_it_was(rng):
    model = lg.Sequential([layers.Dense(8, input_shape=(5,), seed=0), layers.BatchNormalization(),
                           layers.Dense(2, seed=1)])
    before = model.get_weights()
    seconds, coordinates = gradients.NumericGradient().estimate_seconds(
        model, "mse", rng.normal(size=(6, 5)), rng.normal(size=(6, 2)), sample=4)
    assert coordinates == 48 + 8 + 8 + 16 + 2 and 0 < seconds < 60
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_training_by_the_two_strategies_follows_the_same_path(rng):
    x, y = _sparse_inputs(rng, 20, 4), np.eye(3)[rng.integers(0, 3, 20)]
    weights = []
    for vectorized in (True, False):
        model = lg.Sequential([layers.Dense(5, activation="sigmoid", input_shape=(4,), seed=0),
                               layers.Dense(3, activation="softmax", seed=1)])
        model.compile(lg.optimizers.SGD(0.5), "categorical_crossentropy",
                      gradient=gradients.NumericGradient(vectorized=vectorized), seed=0)
        model.fit(x, y, epochs=5, batch_size=5, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
