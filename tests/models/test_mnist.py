"""The tutorial's MNIST model: structure, initial weights, gradient checks, short
training on real data, float32, and the training hot path (one forward pass per
step, no dL/dx for the first layer, no copy of the dataset per epoch).

The full 20-epoch run is not a unit test: ``python -m layergraph mnist``.
"""
import tracemalloc
import warnings

import numpy as np
import pytest

import layergraph as lg
from layergraph import gradients
from layergraph.models import mnist


@pytest.fixture(scope="module")
def data(mnist_dir):
    """Preprocessed real MNIST, float64 (skips without the files)."""
    return mnist.load_data("idx", mnist_dir, download=False, progress=False)


def _random_batch(n=8, seed=0, dtype="float64"):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)).astype(dtype), np.eye(10, dtype=dtype)[rng.integers(0, 10, n)]


# -- the model ---------------------------------------------------------------------------
def test_tutorial_mlp_structure_and_compilation():
    model = mnist.tutorial_mlp()
    assert isinstance(model, lg.Sequential)
    hidden, output = model.layers
    assert (hidden.units, hidden.activation.name) == (64, "sigmoid")
    assert (output.units, output.activation.name) == (10, "softmax")
    assert model.count_params() == 784 * 64 + 64 + 64 * 10 + 10
    assert model.dtype == "float64"
    assert isinstance(model.optimizer, lg.optimizers.SGD) and model.optimizer.learning_rate == 0.1
    assert model.optimizer.momentum == 0.0
    assert isinstance(model.loss, lg.losses.CategoricalCrossentropy) and model.loss.delta == 1e-7
    assert model.loss.reduction == "mean"
    assert isinstance(model.trainer.gradient, gradients.AnalyticGradient)
    assert model.metrics_names == ["loss", "accuracy"]
    assert model.predict(np.zeros((3, 784))).shape == (3, 10)


def test_initial_weights_are_the_tutorials():
    rs = np.random.RandomState(777)
    w1 = 0.01 * rs.randn(784, 64)  # drawn first
    w2 = 0.01 * rs.randn(64, 10)
    got = mnist.tutorial_mlp().get_weights()
    np.testing.assert_array_equal(got[0], w1)
    np.testing.assert_array_equal(got[2], w2)
    np.testing.assert_array_equal(got[1], np.zeros(64))
    np.testing.assert_array_equal(got[3], np.zeros(10))
    # Every build starts from the same weights, whatever the shuffling seed.
    np.testing.assert_array_equal(mnist.tutorial_mlp(seed=5).get_weights()[0], w1)


def test_uncompiled_build_and_float32_build():
    model = mnist.tutorial_mlp(compile=False, dtype="float32")
    assert model.trainer is None
    assert model.dtype == "float32" and all(w.dtype == np.float32 for w in model.get_weights())
    np.testing.assert_array_equal(model.get_weights()[0], mnist.tutorial_weights()[0].astype(np.float32))


def test_registry():
    recipe = mnist.get_recipe("tutorial")
    assert recipe.build is mnist.tutorial_mlp
    assert (recipe.epochs, recipe.batch_size, recipe.learning_rate, recipe.flatten, recipe.dtype) == \
        (20, 100, 0.1, True, "float64")
    assert recipe.target == 0.95
    assert sorted(mnist.MODELS) == ["as-written", "cnn", "cnn-aug", "mlp", "tutorial"]
    assert (mnist.MODELS["mlp"].build, mnist.MODELS["mlp"].flatten) == (mnist.modern_mlp, True)
    assert (mnist.MODELS["cnn"].build, mnist.MODELS["cnn"].flatten) == (mnist.cnn, False)
    assert mnist.MODELS["mlp"].epochs <= 15 and mnist.MODELS["mlp"].target == 0.982
    assert mnist.MODELS["cnn"].target == 0.992
    augmented = mnist.MODELS["cnn-aug"]
    assert (augmented.build, augmented.flatten, augmented.scheduled) == (mnist.augmented_cnn, False, True)
    assert (augmented.epochs, augmented.target, augmented.dtype) == (12, 0.994, "float32")
    assert not mnist.MODELS["cnn"].scheduled
    with pytest.raises(ValueError, match=r"Unknown MNIST model 'resnet'.*tutorial"):
        mnist.get_recipe("resnet")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_preprocess(dtype):
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[1, 27, 27] = 255, 51
    x, y = mnist.preprocess(images, np.array([0, 9, 3], dtype=np.uint8), dtype=dtype)
    assert x.shape == (3, 784) and x.dtype == dtype and y.shape == (3, 10) and y.dtype == dtype
    assert x[0, 0] == 1.0 and x[1, -1] == pytest.approx(0.2) and x.sum() == pytest.approx(1.2)
    np.testing.assert_array_equal(y.argmax(axis=1), [0, 9, 3])
    np.testing.assert_array_equal(y.sum(axis=1), 1)
    images_4d, _ = mnist.preprocess(images, np.array([0, 9, 3]), flatten=False)
    assert images_4d.shape == (3, 28, 28, 1)


def test_accuracy_helper():
    model = mnist.tutorial_mlp()
    x, y = _random_batch(20)
    predicted = model.predict(x).argmax(axis=1)
    assert mnist.accuracy(model, x, y) == mnist.accuracy(model, x, y.argmax(axis=1)) == np.mean(
        predicted == y.argmax(1))


def test_modern_mlp_structure():
    model = mnist.modern_mlp(seed=3)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "BatchNormalization", "Activation", "Dropout"] * 2 + ["Dense"]
    assert [layer.units for layer in model.layers if kinds[model.layers.index(layer)] == "Dense"] == [256, 128, 10]
    assert model.dtype == "float32" and model.predict(np.zeros((2, 784), np.float32)).shape == (2, 10)
    kernel = model.layers[0].kernel.value
    assert abs(kernel.std() - np.sqrt(2 / 784)) < 0.1 * np.sqrt(2 / 784)  # He initialisation
    assert isinstance(model.optimizer, lg.optimizers.Adam)
    schedule = model.optimizer.learning_rate
    assert schedule(0) == pytest.approx(1e-3) and schedule(469) == pytest.approx(0.85e-3)
    np.testing.assert_array_equal(kernel, mnist.modern_mlp(seed=3).layers[0].kernel.value)  # seeded
    assert not np.array_equal(kernel, mnist.modern_mlp(seed=4).layers[0].kernel.value)


def test_cnn_structure():
    model = mnist.cnn()
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense"]
    assert model.count_params() == 34_826 and model.dtype == "float32"
    assert model.predict(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 10)


def test_augmented_cnn_structure_and_schedule():
    model = mnist.augmented_cnn(learning_rate=2e-3, epochs=3, steps_per_epoch=10)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["RandomRotation", "RandomZoom", "RandomTranslation",
                     "Conv2D", "MaxPooling2D", "BatchNormalization", "Activation",
                     "Conv2D", "BatchNormalization", "Activation",
                     "Conv2D", "MaxPooling2D", "BatchNormalization", "Activation",
                     "Flatten", "Dense", "BatchNormalization", "Activation", "Dropout", "Dense"]
    # kernels 3*3*32, 3*3*32*64, 3*3*64*64, 1024*128, 128*10 (+ 10 biases); 4 batch-norm vectors per channel
    assert model.count_params() == 288 + 18_432 + 36_864 + 131_072 + 1_290 + 4 * (32 + 64 + 64 + 128) == 189_098
    assert model.compute_output_shape((None, 28, 28, 1)) == (None, 10)
    rotation, zoom, translation = model.layers[:3]
    assert (rotation.lower, rotation.upper) == pytest.approx((-10 / 360, 10 / 360))
    assert (zoom.height_lower, zoom.height_upper, zoom.width_factor) == (-0.1, 0.1, None)
    assert (translation.height_upper, translation.width_upper, translation.interpolation) == (0.1, 0.1, "nearest")
    assert {layer.fill_mode for layer in model.layers[:3]} == {"constant"}
    assert model.layers[-2].rate == 0.3
    # warmup from 0 to the peak over one epoch (10 steps), cosine to 0 over the two others
    schedule = model.optimizer.learning_rate
    assert [schedule(s) for s in (0, 5, 10, 20, 30, 40)] == pytest.approx([0.0, 1e-3, 2e-3, 1e-3, 0.0, 0.0],
                                                                          abs=1e-15)
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype(np.float32)
    assert model.predict(x).shape == (3, 10) and model.dtype == "float32"
    # Seeded: the same seed gives the same weights and the same augmentation draws.
    twin, other = mnist.augmented_cnn(seed=0), mnist.augmented_cnn(seed=1)
    np.testing.assert_array_equal(model.layers[3].kernel.value, twin.layers[3].kernel.value)
    assert not np.array_equal(model.layers[3].kernel.value, other.layers[3].kernel.value)
    np.testing.assert_array_equal(rotation.forward(x, training=True)[0], twin.layers[0].forward(x, training=True)[0])
    plain = mnist.augmented_cnn(augment=False, compile=False)
    assert [type(layer).__name__ for layer in plain.layers][:2] == ["Conv2D", "MaxPooling2D"]
    assert plain.trainer is None


def test_augmentation_is_active_only_in_training():
    model = mnist.augmented_cnn(dtype="float64", compile=False)
    plain = mnist.augmented_cnn(dtype="float64", compile=False, augment=False)
    plain.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((4, 28, 28, 1))
    np.testing.assert_array_equal(model.predict(x), plain.predict(x))
    with lg.layers.disabled_dropout(model), lg.layers.disabled_dropout(plain):
        np.testing.assert_array_equal(model.forward(x, training=True)[0], plain.forward(x, training=True)[0])
    with lg.layers.disabled_dropout(plain):
        assert not np.allclose(model.forward(x, training=True)[0], plain.forward(x, training=True)[0])


# -- gradient checks -------------------------------------------------------------------
def test_sampled_numeric_gradient_check(capsys):
    """The numeric strategy on the full 50,890-weight MLP: 20 sampled coordinates
    per weight, a tqdm bar, a fraction of a second.

    The loss is Keras' clipped cross-entropy, whose fused softmax gradient is its
    exact derivative. epsilon 1e-4: at the tutorial's small initial weights the
    hidden-layer gradients are ~1e-6, and with epsilon 1e-5 round-off in the
    loss (~1e-16 * 2.3 / 2e-5) already reaches 1e-6 of them.
    """
    model = mnist.tutorial_mlp()
    before = model.get_weights()
    x, y = _random_batch(8)
    numeric = gradients.NumericGradient(epsilon=1e-4, max_coordinates=20, progress=True)
    errors = gradients.check(model, "categorical_crossentropy", x, y, numeric=numeric)
    assert len(errors) == 4 and max(errors) < 1e-6, errors
    assert "numeric gradient" in capsys.readouterr().err  # the progress bar (tqdm writes to stderr)
    for a, b in zip(before, model.get_weights(), strict=True):  # every perturbed value restored
        np.testing.assert_array_equal(a, b)
    # Exactly 20 coordinates per weight array (all 10 of the output bias) were differentiated.
    _, grads = numeric.gradients(model, "categorical_crossentropy", x, y)
    assert [int(np.sum(~np.isnan(g))) for g in grads] == [20, 20, 20, 10]


def test_gradient_check_on_real_digits(data):
    (x, y), _ = data
    model = mnist.tutorial_mlp()
    # Trained a little, so that the hidden-layer gradients are not tiny.
    model.fit(x[:2000], y[:2000], epochs=1, batch_size=100, verbose=0)
    numeric = gradients.NumericGradient(max_coordinates=20)
    errors = gradients.check(model, "categorical_crossentropy", x[-8:], y[-8:], numeric=numeric)
    assert max(errors) < 1e-6, errors


def test_tutorial_loss_gradient_differs_only_by_its_delta():
    """The fused gradient (p - t) / N is that of -log p; the tutorial's
    -log(p + 1e-7) differs from it by a relative ~1e-7 / p (p ~ 0.1 at the start)."""
    x, y = _random_batch(8)
    numeric = gradients.NumericGradient(epsilon=1e-4, max_coordinates=20)
    errors = gradients.check(mnist.tutorial_mlp(), mnist.tutorial_loss(), x, y, numeric=numeric)
    assert max(errors) < 1e-5, errors


def test_gradient_check_of_modern_mlp_and_cnn():
    """Batch norm and dropout (masks frozen) in the MLP; convolutions and pooling in
    the CNN. epsilon 1e-7 for the CNN: a conv bias moves 2,704 ReLU inputs at once
    and with 1e-5 some of them cross the kink."""
    x, y = _random_batch(8)
    numeric = gradients.NumericGradient(max_coordinates=10)
    errors = gradients.check(mnist.modern_mlp(dtype="float64"), "categorical_crossentropy", x, y, numeric=numeric)
    assert len(errors) == 8 and max(errors) < 1e-6, errors
    images = np.random.default_rng(1).random((4, 28, 28, 1))
    numeric = gradients.NumericGradient(epsilon=1e-7, max_coordinates=10)
    errors = gradients.check(mnist.cnn(dtype="float64"), "categorical_crossentropy", images, y[:4], numeric=numeric)
    assert len(errors) == 6 and max(errors) < 1e-4, errors


def test_gradient_check_of_augmented_cnn():
    """Augmentation (one draw held for both strategies), batch norm, dropout, in float64."""
    _, y = _random_batch(4)
    images = np.random.default_rng(1).random((4, 28, 28, 1))
    numeric = gradients.NumericGradient(epsilon=1e-6, max_coordinates=6)
    result = gradients.check(mnist.augmented_cnn(dtype="float64"), "categorical_crossentropy", images, y,
                             numeric=numeric, rtol=1e-4, atol=1e-7)
    assert len(result) == 14 and result.passed, str(result)


# -- training ------------------------------------------------------------------------------
def test_short_training_on_real_subset(data):
    (x, y), (x_test, y_test) = data
    subset = ((x[:10000], y[:10000]), (x_test[:2000], y_test[:2000]))
    model, history, accuracy = mnist.train(epochs=2, learning_rate=1.0, data=subset, verbose=0)
    assert accuracy > 0.8
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy)
    assert history.train_seconds > 0


@pytest.mark.parametrize("name,n,epochs,threshold", [("mlp", 5000, 2, 0.85), ("cnn", 3000, 1, 0.6),
                                                     ("cnn-aug", 3000, 2, 0.6)])
def test_modern_models_learn_on_a_real_subset(data, name, n, epochs, threshold):
    (x, y), (x_test, y_test) = data
    if name.startswith("cnn"):
        x, x_test = x.reshape(-1, 28, 28, 1), x_test.reshape(-1, 28, 28, 1)
    subset = ((x[:n].astype(np.float32), y[:n].astype(np.float32)),
              (x_test[:1000].astype(np.float32), y_test[:1000].astype(np.float32)))
    model, history, accuracy = mnist.train(name, epochs=epochs, data=subset, verbose=0)
    assert accuracy > threshold, (name, accuracy)
    if mnist.MODELS[name].scheduled:  # the schedule spans this run: warmup one epoch, decay the others
        schedule = model.optimizer.learning_rate
        steps = -(-n // 128)
        assert (schedule.warmup_steps, schedule.decay_steps) == (steps, (epochs - 1) * steps)


def test_load_data_limit_and_validation(mnist_dir):
    (x, y), (xt, yt) = mnist.load_data("idx", mnist_dir, limit=50, dtype="float32", download=False)
    assert x.shape == (50, 784) and xt.shape == (50, 784) and y.shape == (50, 10)
    assert x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        mnist.load_data("idx", mnist_dir, limit=0, download=False)


def test_float32_training_end_to_end():
    x, _ = _random_batch(300, seed=1, dtype="float32")
    projection = np.random.default_rng(2).normal(size=(784, 10))
    y = np.eye(10, dtype=np.float32)[np.argmax((x - 0.5) @ projection, axis=1)]  # learnable labels
    model = mnist.tutorial_mlp(dtype="float32", learning_rate=1.0)
    history = model.fit(x, y, epochs=10, batch_size=100, verbose=0)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert model.predict(x).dtype == np.float32
    assert history.history["loss"][-1] < history.history["loss"][0]
    # The same steps in float64 give nearly the same weights.
    model64 = mnist.tutorial_mlp(learning_rate=1.0)
    model64.fit(x.astype(np.float64), y.astype(np.float64), epochs=10, batch_size=100, verbose=0)
    for w32, w64 in zip(model.get_weights(), model64.get_weights(), strict=True):
        np.testing.assert_allclose(w32, w64, rtol=1e-3, atol=1e-5)


def test_float32_training_on_real_subset(data):
    (x, y), (x_test, y_test) = data
    subset = ((x[:10000].astype(np.float32), y[:10000].astype(np.float32)),
              (x_test[:2000].astype(np.float32), y_test[:2000].astype(np.float32)))
    model, _, accuracy = mnist.train(epochs=2, learning_rate=1.0, data=subset, dtype="float32", verbose=0)
    assert model.get_weights()[0].dtype == np.float32 and accuracy > 0.8


# -- the hot path of fit -------------------------------------------------------------------
def _count_forward(model):
    calls = []
    forward = model.forward

    def counting(x, training=False):
        calls.append((len(x), training))
        return forward(x, training)

    model.forward = counting
    return calls


def test_fit_runs_one_forward_pass_per_step_with_metrics():
    x, y = _random_batch(250)
    model = mnist.tutorial_mlp()
    calls = _count_forward(model)
    model.fit(x, y, epochs=2, batch_size=100, verbose=0)
    steps = [c for c in calls if c[0] != 2]  # the rest: fit's 2-sample shape probe
    assert steps == [(100, True), (100, True), (50, True)] * 2


def test_training_metrics_are_measured_before_each_update():
    x, y = _random_batch(100)
    model = mnist.tutorial_mlp(learning_rate=5.0)
    expected = [mnist.accuracy(model, x, y)]
    loss_before = model.evaluate(x, y)[0]
    history = model.fit(x, y, epochs=1, batch_size=100, shuffle=False, verbose=0)
    expected.append(mnist.accuracy(model, x, y))
    history2 = model.fit(x, y, epochs=1, batch_size=100, shuffle=False, verbose=0)
    assert [history.history["accuracy"][0], history2.history["accuracy"][0]] == expected
    assert history.history["loss"][0] == pytest.approx(loss_before, rel=1e-12)


def test_numeric_strategy_still_reports_metrics():
    x, y = _random_batch(4)
    model = lg.Sequential([lg.layers.Dense(3, activation="sigmoid", input_shape=(784,)),
                           lg.layers.Dense(10, activation="softmax")])
    model.compile(lg.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"], gradient="numeric")
    before = mnist.accuracy(model, x, y)
    history = model.fit(x[:, :], y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert history.history["accuracy"] == [before]


def test_first_dense_layer_skips_the_input_gradient():
    model = mnist.tutorial_mlp()
    x, y = _random_batch(5)
    out, cache = model.forward(x, training=True)
    dz = (out - y) / len(x)
    full_dx, full = model.backward_preactivation(dz, cache)
    dx, skipped = model.backward_preactivation(dz, cache, input_grad=False)
    assert dx is None and full_dx.shape == x.shape
    for a, b in zip(full, skipped, strict=True):
        np.testing.assert_array_equal(a, b)

    class CustomDense(lg.layers.Dense):  # overrides backward without knowing input_grad
        def backward_preactivation(self, grad_z, cache):
            return super().backward_preactivation(grad_z, cache)

    # The old two-argument form is adapted when the class is made: it is
    # called with input_grad and, not knowing it, computes dL/dx anyway.
    custom = lg.Sequential([CustomDense(3, input_shape=(784,))])
    out, cache = custom.forward(x, training=True)
    dx, grads = custom.backward_preactivation(out, cache, input_grad=False)
    assert dx.shape == x.shape and [g.shape for g in grads] == [(784, 3), (3,)]


def test_an_epoch_copies_batches_not_the_dataset():
    """One permutation per epoch and fancy indexing per batch: the memory fit
    allocates during an epoch is far below the size of the data."""
    rng = np.random.default_rng(0)
    x = rng.random((6000, 784))
    y = np.eye(10)[rng.integers(0, 10, 6000)]
    model = mnist.tutorial_mlp()
    model.fit(x[:200], y[:200], epochs=1, batch_size=100, verbose=0)  # warm up lazy state
    tracemalloc.start()
    try:
        model.fit(x, y, epochs=1, batch_size=100, verbose=0, validation_data=(x[:1000], y[:1000]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * (x.nbytes + y.nbytes), f"peak {peak / 2**20:.1f} MiB for {x.nbytes / 2**20:.1f} MiB of data"


# -- the numpy forms of the hot-path maths (activations, loss, metric) ---------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_and_softmax_match_scipy_without_warnings(dtype):
    from scipy import special

    z = np.concatenate([np.linspace(-50, 50, 1001), [-1000.0, 1000.0, 0.0]]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning at -1000
        a, _ = lg.activations.get("sigmoid").forward(z)
        p, _ = lg.activations.get("softmax").forward(z.reshape(-1, 4) * 20)
    assert a.dtype == dtype and p.dtype == dtype
    tol = {"float64": 1e-15, "float32": 1e-6}[dtype]
    np.testing.assert_allclose(a, special.expit(z), rtol=tol, atol=1e-300 if dtype == "float64" else 1e-37)
    np.testing.assert_allclose(p, special.softmax(z.reshape(-1, 4) * 20, axis=-1), rtol=tol, atol=1e-300)


def test_cross_entropy_forms_agree():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(10), size=20)
    t = np.eye(10)[rng.integers(0, 10, 20)]
    expected = -np.sum(t * np.log(p + 1e-7)) / 20
    assert mnist.tutorial_loss()(t, p) == pytest.approx(expected, rel=1e-14)
    p[:, 0] = 0.0  # log 0 = -inf where the target is 0: no nan with delta=0
    t[:, 0] = 0.0
    t[t.sum(axis=1) == 0, 1] = 1.0
    logits = np.log(np.where(p > 0, p, 1.0)) + np.where(p > 0, 0.0, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 and 0 * -inf, masked out
        assert np.isfinite(lg.losses.CategoricalCrossentropy(delta=0.0)(t, p))
        assert np.isfinite(lg.losses.CategoricalCrossentropy(from_logits=True)(t, logits))


def test_categorical_accuracy_is_a_float():
    from layergraph.framework import metrics

    value = metrics.categorical_accuracy(np.eye(3), np.eye(3)[[0, 2, 2]])
    assert type(value) is float and value == pytest.approx(2 / 3)
    assert np.isnan(metrics.categorical_accuracy(np.zeros((0, 3)), np.zeros((0, 3))))
