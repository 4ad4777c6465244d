"""Callbacks: hook order, History placement, EarlyStopping, LearningRateScheduler,
CSVLogger and ModelCheckpoint."""
import csv

import numpy as np
import pytest

import layergraph as lg
from layergraph import callbacks, layers


@pytest.fixture
def data(rng):
    x = rng.normal(size=(12, 3))
    return x, (x[:, 0] > 0).astype(float)


def _model():
    model = lg.Sequential([layers.Dense(3, activation="tanh", input_shape=(3,), seed=0),
                           layers.Dense(1, activation="sigmoid", seed=1)])
    model.compile(lg.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
    return model


class Feed(callbacks.Callback):
    """Puts ``values[epoch]`` into the logs as ``key``, and snapshots the weights."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values, self.snapshots = key, values, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.snapshots.append(self.model.get_weights())


def test_hook_order_and_history_after_user_callbacks(data):
    x, y = data
    calls = []

    class Recorder(callbacks.Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_train_batch_begin(self, batch, logs=None):
            calls.append(f"batch_begin {batch}")

        def on_train_batch_end(self, batch, logs=None):
            calls.append(f"batch_end {batch} {sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch} {sorted(logs)}")
            logs["from_user"] = 10 + epoch  # History runs later, so it records this

        def on_train_end(self, logs=None):
            calls.append("train_end")

    model = _model()
    recorder = Recorder()
    history = model.fit(x, y, epochs=2, batch_size=6, verbose=0, callbacks=[recorder])
    batch = ["batch_begin 0", "batch_end 0 ['accuracy', 'loss']", "batch_begin 1", "batch_end 1 ['accuracy', 'loss']"]
    assert calls == ["train_begin",
                     "epoch_begin 0", *batch, "epoch_end 0 ['accuracy', 'loss']",
                     "epoch_begin 1", *batch, "epoch_end 1 ['accuracy', 'loss']",
                     "train_end"]
    assert history.history["from_user"] == [10, 11]
    assert recorder.model is model and recorder.params["epochs"] == 2 and recorder.params["steps"] == 2


def test_hooks_call_overriding_callbacks_only_and_hooks_set_on_instances(data):
    x, y = data
    seen = []

    class EpochOnly(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(("class", epoch))

    attached = callbacks.Callback()
    attached.on_train_batch_end = lambda batch, logs=None: seen.append(("instance", batch))
    cbs = callbacks.CallbackList([EpochOnly(), attached], _model(), {})
    assert cbs._calls["on_train_batch_begin"] == []  # the base class's no-ops are not called per step
    assert len(cbs._calls["on_epoch_end"]) == 1 and len(cbs._calls["on_train_batch_end"]) == 1
    _model().fit(x, y, epochs=1, batch_size=6, verbose=0, callbacks=[EpochOnly(), attached])
    assert seen == [("instance", 0), ("instance", 1), ("class", 0)]


def test_early_stopping_patience_counts_epochs_without_improvement(data):
    x, y = data
    # improvements at epochs 0 and 1, then none: patience 2 stops after epoch 3 (Keras)
    feed = Feed("score", [1.0, 0.5, 0.6, 0.7, 0.1, 0.1])
    stop = callbacks.EarlyStopping(monitor="score", patience=2, mode="min")
    history = _model().fit(x, y, epochs=6, verbose=0, callbacks=[feed, stop])
    assert history.epoch == [0, 1, 2, 3]
    assert stop.stopped_epoch == 3 and stop.best == 0.5 and stop.best_epoch == 1


def test_early_stopping_patience_zero_and_min_delta(data):
    x, y = data
    stop = callbacks.EarlyStopping(monitor="score", patience=0, min_delta=0.1, mode="min")
    history = _model().fit(x, y, epochs=5, verbose=0, callbacks=[Feed("score", [1.0, 0.8, 0.75, 0.1, 0.0]), stop])
    assert history.epoch == [0, 1, 2]  # 0.75 is not 0.1 better than 0.8


def test_early_stopping_restores_best_weights(data):
    x, y = data
    feed = Feed("score", [3.0, 1.0, 2.0, 2.5, 2.6])
    stop = callbacks.EarlyStopping(monitor="score", patience=2, restore_best_weights=True, mode="min")
    model = _model()
    model.fit(x, y, epochs=5, verbose=0, callbacks=[feed, stop])
    assert len(feed.snapshots) == 4
    for got, best in zip(model.get_weights(), feed.snapshots[1], strict=True):
        np.testing.assert_array_equal(got, best)
    assert not np.array_equal(feed.snapshots[1][0], feed.snapshots[3][0])


def test_early_stopping_mode_auto_maximises_accuracy(data):
    x, y = data
    stop = callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    history = _model().fit(x, y, epochs=6, verbose=0,
                           callbacks=[Feed("val_accuracy", [0.5, 0.75, 0.75, 1.0, 1.0, 1.0]), stop])
    assert history.epoch == [0, 1, 2]  # 0.75 did not improve on 0.75
    assert stop.maximize  # decided from the compiled metric "accuracy" (Keras 3: its direction is "up")
    assert not callbacks.EarlyStopping(monitor="val_loss").maximize
    assert not callbacks.EarlyStopping(monitor="val_accuracy", mode="min").maximize


def test_early_stopping_errors(data):
    x, y = data
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max', got 'up'"):
        callbacks.EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience must be an integer >= 0, got -1"):
        callbacks.EarlyStopping(patience=-1)
    # A missing key warns (as in Keras: with validation_freq > 1, val_loss is absent on some epochs).
    with pytest.warns(UserWarning, match="Early stopping is conditioned on metric `val_loss` which is not "
                                         "available. Available metrics are: loss,accuracy"):
        history = _model().fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.EarlyStopping()])
    assert history.epoch == [0, 1]


def test_learning_rate_scheduler_sets_rate_each_epoch(data):
    x, y = data
    model, twin = _model(), _model()
    seen = []
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: seen.append(lr) or 0.4 * 0.5 ** epoch)
    history = model.fit(x, y, epochs=3, batch_size=12, verbose=0, callbacks=[scheduler])
    assert history.history["learning_rate"] == [0.4, 0.2, 0.1]
    assert seen == [0.1, 0.4, 0.2]  # the schedule sees the previous rate
    assert model.optimizer.learning_rate == 0.1
    for lr in (0.4, 0.2, 0.1):  # the same full-batch steps, by hand
        twin.optimizer.learning_rate = lr
        twin.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_learning_rate_scheduler_rejects_bad_rate(data):
    x, y = data
    with pytest.raises(ValueError, match="invalid learning rate -1.0 at epoch 0"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr: -1.0)])


def test_csv_logger_contents(data, tmp_path):
    x, y = data
    path = tmp_path / "log.csv"
    history = _model().fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "accuracy"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    assert [float(r[1]) for r in rows[1:]] == history.history["loss"]
    assert [float(r[2]) for r in rows[1:]] == history.history["accuracy"]
    # append=True continues the file without a second header
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, append=True)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 6 and rows.count(["epoch", "loss", "accuracy"]) == 1
    # a separator and overwriting
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    assert path.read_text().splitlines()[0] == "epoch;loss;accuracy"


def test_model_checkpoint_save_best_only(data, tmp_path):
    x, y = data
    feed = Feed("score", [3.0, 1.0, 2.0, 0.5])
    pattern = str(tmp_path / "ckpt-{epoch:02d}.lg")
    model = _model()
    checkpoint = callbacks.ModelCheckpoint(pattern, monitor="score", mode="min", save_best_only=True)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[feed, checkpoint])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-01.lg", "ckpt-02.lg", "ckpt-04.lg"]
    for epoch in (1, 2, 4):
        restored = lg.load_model(tmp_path / f"ckpt-{epoch:02d}.lg")
        for got, expected in zip(restored.get_weights(), feed.snapshots[epoch - 1], strict=True):
            np.testing.assert_array_equal(got, expected)


def test_model_checkpoint_fixed_path_keeps_best_and_every_epoch_mode(data, tmp_path):
    x, y = data
    feed = Feed("val_accuracy", [0.5, 0.9, 0.7])  # mode auto: maximise
    best = tmp_path / "best.lg"
    every = str(tmp_path / "every-{epoch}-{val_accuracy:.1f}.lg")
    _model().fit(x, y, epochs=3, verbose=0, callbacks=[
        feed, callbacks.ModelCheckpoint(best, monitor="val_accuracy", save_best_only=True),
        callbacks.ModelCheckpoint(every)])
    restored = lg.load_model(best)
    for got, expected in zip(restored.get_weights(), feed.snapshots[1], strict=True):
        np.testing.assert_array_equal(got, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.lg", "every-1-0.5.lg", "every-2-0.9.lg",
                                                           "every-3-0.7.lg"]
    # the checkpoint is a compiled model that can evaluate and resume
    assert restored.evaluate(x, y, return_dict=True).keys() == {"loss", "accuracy"}


def test_model_checkpoint_missing_monitor_saves_with_a_warning(data, tmp_path):
    x, y = data
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        _model().fit(x, y, epochs=1, verbose=0,
                     callbacks=[callbacks.ModelCheckpoint(tmp_path / "m.lg", save_best_only=True)])
    assert (tmp_path / "m.lg").exists()  # Keras saves when it cannot compare
