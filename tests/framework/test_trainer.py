"""Trainer and the Keras model methods: History, evaluate, predict, errors."""
import numpy as np
import pytest

import layergraph as lg
from layergraph import layers


@pytest.fixture
def data(rng):
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] + x[:, 1] > 0).astype(float)
    return x, y


def _model(seed=0):
    return lg.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,), seed=seed),
                          layers.Dense(1, activation="sigmoid", seed=seed + 1)])


def test_history_keys_and_lengths(data):
    x, y = data
    model = _model()
    model.compile(lg.optimizers.SGD(0.5), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=8, validation_data=(x[:10], y[:10]), verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 4 for v in history.history.values())
    assert history.epoch == [0, 1, 2, 3]
    assert model.history is history
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_evaluate_and_predict_outputs(data):
    x, y = data
    model = _model()
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    loss, acc = model.evaluate(x, y)
    p = model.predict(x)
    assert p.shape == (40, 1)
    expected_loss = lg.losses.BinaryCrossentropy()(y, p)
    assert loss == pytest.approx(expected_loss)
    assert acc == pytest.approx(np.mean((p[:, 0] > 0.5) == (y > 0.5)))
    assert model.evaluate(x, y, return_dict=True) == {"loss": loss, "accuracy": acc}
    np.testing.assert_allclose(model.predict(x, batch_size=7), p)
    model.compile("sgd", "mse")
    assert isinstance(model.evaluate(x, y), float)


def test_epoch_loss_is_mean_of_batch_losses_before_updates(data):
    x, y = data
    model, twin = _model(), _model()
    model.compile(lg.optimizers.SGD(0.1), "mse")
    twin.compile(lg.optimizers.SGD(0.1), "mse")
    history = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    losses = [twin.train_on_batch(x[i:i + 16], y[i:i + 16]) for i in range(0, 40, 16)]
    assert history.history["loss"][0] == pytest.approx((16 * losses[0] + 16 * losses[1] + 8 * losses[2]) / 40)
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b)


def test_shuffle_is_seeded_and_covers_every_sample(data):
    x, y = data
    weights = []
    for _ in range(2):
        model = _model()
        model.compile(lg.optimizers.SGD(0.1), "mse", seed=42)
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)

    seen = []

    class Record(lg.gradients.AnalyticGradient):
        def gradients(self, model, loss, xb, yb):
            seen.append(xb[:, 0].copy())
            return super().gradients(model, loss, xb, yb)

    model = _model()
    model.compile("sgd", "mse", gradient=Record(), seed=1)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert [len(s) for s in seen] == [16, 16, 8]
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.sort(x[:, 0]))
    assert not np.array_equal(np.concatenate(seen), x[:, 0])


def test_default_batch_size_is_32(data):
    x, y = data
    steps = []
    model = _model()

    class Count(lg.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append(batch)

    model.compile("sgd", "mse")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[Count()])
    assert steps == [0, 1]


def test_trainer_usable_directly(data):
    x, y = data
    model = _model()
    trainer = lg.Trainer(model, loss="binary_crossentropy", optimizer=lg.optimizers.SGD(0.5), metrics=["accuracy"],
                         seed=0)
    history = trainer.fit(x, y, epochs=3, batch_size=10, verbose=0)
    assert len(history.history["accuracy"]) == 3
    assert set(trainer.evaluate(x, y)) == {"loss", "accuracy"}


def test_verbose_2_prints_one_line_per_epoch(data, capsys):
    x, y = data
    model = _model()
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, validation_data=(x, y), verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 1/2") and "loss:" in lines[0] and "val_accuracy:" in lines[0]


def test_non_finite_input_deep_in_the_data_is_an_error_and_changes_nothing(data):
    x, y = data
    model = _model()
    model.compile(lg.optimizers.SGD(0.1), "mse")
    before = model.get_weights()
    x_bad = x.copy()
    x_bad[-3] = np.inf  # in the last batch: earlier batches were already applied, and are undone
    with pytest.raises(ValueError, match=rf"^x contains a non-finite value \(inf\) at index \({len(x) - 3}, 0\) "
                                         rf"\(sample {len(x) - 3} of {len(x)}\); fit stopped, and every weight, the "
                                         rf"optimizer's state and the shuffling state are as they were before fit$"), \
            np.errstate(invalid="ignore"):  # numpy's own warning about the inf it multiplies
        model.fit(x_bad, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 0


def test_divergence_restores_the_weights_from_before_the_bad_update(data):
    x, y = data
    model = lg.Sequential([layers.Dense(4, input_shape=(3,), seed=0), layers.Dense(1, seed=1)])
    model.compile(lg.optimizers.SGD(1e6), "mse")  # a linear regression that diverges within a few steps

    snapshots = []

    class Snap(lg.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            snapshots.append(self.model.get_weights())

    with pytest.warns(RuntimeWarning, match=r"Non-finite loss or weights at epoch \d+, step \d+"), \
            np.errstate(all="ignore"):  # numpy's own overflow warnings on the way there
        history = model.fit(x, y * 1e3, epochs=50, batch_size=16, shuffle=False, verbose=0, callbacks=[Snap()])
    stopped = history.stopped
    assert stopped is not None and stopped["reason"] == "non-finite loss or weights"
    # The weights are those from before the update that produced the non-finite loss:
    # the ones the last step before the failing one started from, and their loss is finite.
    for a, b in zip(snapshots[-2], model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(model.evaluate(x, y * 1e3))
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


@pytest.mark.parametrize("x_shape,y_shape,error,match", [
    ((10, 4), (10,), ValueError, r"expects inputs with last dimension 3, got input shape \(2, 4\)"),
    ((10, 3), (9,), ValueError, r"different numbers of samples: x \(10, 3\), y \(9,\)"),
    ((10, 3), (10, 2), ValueError,
     r"BinaryCrossentropy: labels of shape \(10, 2\) do not fit predictions of shape \(10, 1\)"),
    ((10,), (10,), ValueError, r"rank 2 to 8.*got shape \(2,\)"),
])
def test_bad_input_errors_before_any_weight_change(x_shape, y_shape, error, match):
    model = _model()
    model.compile("sgd", "binary_crossentropy")
    before = model.get_weights()
    with pytest.raises(error, match=match):
        model.fit(np.ones(x_shape), np.zeros(y_shape), epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_other_argument_errors(data):
    x, y = data
    model = _model()
    with pytest.raises(RuntimeError, match="must be compiled before fit"):
        model.fit(x, y)
    with pytest.raises(ValueError, match=r"Unknown optimizer 'sgdd'.*adam.*sgd"):
        model.compile("sgdd", "mse")
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'"):
        model.compile("sgd", "mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="needs a loss"):
        model.compile("sgd")
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        model.fit(x, y, batch_size=0)
    with pytest.raises(TypeError, match="x must be a numeric array"):
        model.fit(np.array([["a", "b", "c"]]), np.zeros(1))


def test_sparse_labels_and_softmax_training(rng):
    x = rng.normal(size=(60, 4))
    labels = np.argmax(x[:, :3], axis=1)
    model = lg.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,), seed=0)])
    model.compile(lg.optimizers.SGD(0.5), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, labels, epochs=30, batch_size=20, verbose=0)
    assert history.history["accuracy"][-1] > 0.8
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        model.fit(x, labels + 3, epochs=1, verbose=0)


# -- predict's default batch and inference path ------------------------------------------------
def test_predict_batch_size_follows_the_largest_layer_output():
    from layergraph.framework.trainer import PREDICT_BATCH_SIZE, predict_batch_size
    from layergraph.models import mnist

    assert predict_batch_size(mnist.tutorial_mlp(compile=False)) == 1024  # 64 numbers a sample: the cap
    assert predict_batch_size(mnist.modern_mlp(compile=False)) == 1024
    cnn = mnist.cnn(compile=False)  # conv_1: 26 * 26 * 32 float32 = 86.5 kB a sample -> 48 fit in 4 MiB
    assert predict_batch_size(cnn) == 32
    wide = lg.Sequential([layers.Dense(20000, input_shape=(3,)), layers.Dense(1)])  # 160 kB a sample
    assert predict_batch_size(wide) == 32  # the floor
    mid = lg.Sequential([layers.Dense(4000, input_shape=(3,)), layers.Dense(1)], dtype="float32")  # 16 kB
    assert predict_batch_size(mid) == 256  # 262 fit: the power of two below
    x = lg.Input((3,))
    functional = lg.Model(x, layers.Dense(2)(layers.Concatenate()([x, layers.Dense(4000)(x)])))
    assert predict_batch_size(functional) == 128  # 4003 float64 a sample
    assert predict_batch_size(lg.Sequential([layers.Dense(3)])) == PREDICT_BATCH_SIZE  # not built yet


def test_predict_default_batch_gives_the_same_outputs(rng):
    from layergraph.models import mnist

    model = mnist.cnn(compile=False)
    x = rng.random((70, 28, 28, 1), dtype=np.float32)  # 3 batches of the default 32
    whole = model.predict(x, batch_size=70)
    np.testing.assert_allclose(model.predict(x), whole, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.forward(x, training=False)[0], whole, rtol=1e-5, atol=1e-7)


def test_forward_inference_is_forward_without_caches(rng):
    model = lg.Sequential([layers.Dense(5, activation="relu", input_shape=(3,), seed=0),
                           layers.BatchNormalization(), layers.Dropout(0.5, seed=1),
                           layers.Dense(2, activation="softmax", seed=2)])
    x = rng.normal(size=(6, 3))
    np.testing.assert_array_equal(model.forward_inference(x), model.forward(x, training=False)[0])
    inp = lg.Input((3,))
    functional = lg.Model(inp, model(inp))
    np.testing.assert_array_equal(functional.forward_inference(x), model.predict(x))


def test_predict_runs_a_sequential_subclass_own_forward(rng):
    class Negated(lg.Sequential):
        def forward(self, inputs, training=False):
            out, caches = super().forward(inputs, training)
            return -out, caches

    model = Negated([layers.Dense(2, input_shape=(3,), seed=0)])
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(model.predict(x), -(x @ model.get_weights()[0]))


# -- initial_epoch ------------------------------------------------------------------------------------------------
def test_initial_epoch_numbers_the_epochs_and_resumes_exactly(data):
    x, y = data
    model = _model()
    model.compile(lg.optimizers.SGD(0.3, momentum=0.9), "binary_crossentropy", seed=7)
    begun, validated = [], []

    class Epochs(lg.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            begun.append(epoch)

        def on_epoch_end(self, epoch, logs=None):
            validated.append("val_loss" in logs)

    first = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    rest = model.fit(x, y, epochs=5, initial_epoch=2, batch_size=16, verbose=0, callbacks=[Epochs()],
                     validation_data=(x, y), validation_freq=2)
    assert first.epoch == [0, 1] and rest.epoch == [2, 3, 4] and begun == [2, 3, 4]
    assert model.optimizer.iterations == 5 * 3  # 40 samples in batches of 16: 3 steps an epoch
    # Keras validates when the 1-based epoch number is a multiple of validation_freq: epoch 4 (index 3) only.
    assert validated == [False, True, False] and len(rest.history["val_loss"]) == 1
    # The same five epochs in one call: the same weights, since the shuffling state carries over.
    straight = _model()
    straight.compile(lg.optimizers.SGD(0.3, momentum=0.9), "binary_crossentropy", seed=7)
    straight.fit(x, y, epochs=5, batch_size=16, verbose=0)
    for a, b in zip(model.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_initial_epoch_at_or_past_epochs_trains_nothing(data, capsys):
    x, y = data
    model = _model()
    model.compile("sgd", "mse")
    before = model.get_weights()
    for initial in (3, 5):
        history = model.fit(x, y, epochs=3, initial_epoch=initial, verbose=2)
        assert history.epoch == [] and history.history == {}
    assert capsys.readouterr().out == ""
    assert model.optimizer.iterations == 0
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=rf"^fit: initial_epoch must be a non-negative integer, got {bad!r}$"):
            model.fit(x, y, epochs=3, initial_epoch=bad, verbose=0)


def test_verbose_logs_count_epochs_from_initial_epoch(data, capsys):
    x, y = data
    model = _model()
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 3/4", "Epoch 4/4"]
