"""Keras 3 callbacks: EarlyStopping and ReduceLROnPlateau on hand-made log sequences, LambdaCallback with every
hook, TerminateOnNaN, ModelCheckpoint (folders, weights only, batch frequency, threshold) and BackupAndRestore
resuming an interrupted fit to the weights of an uninterrupted one."""
import json
import math
import os

import numpy as np
import pytest

import layergraph as lg
from layergraph import callbacks, layers
from layergraph.framework.callbacks.simple import LAMBDA_HOOKS


def _model(optimizer=None, metrics=("accuracy",), seed=0):
    model = lg.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,), seed=seed),
                           layers.Dense(1, activation="sigmoid", seed=seed + 1)])
    model.compile(optimizer or lg.optimizers.SGD(0.1), "binary_crossentropy", metrics=list(metrics), seed=7)
    return model


@pytest.fixture
def data(rng):
    x = rng.normal(size=(12, 3))
    return x, (x[:, 0] + 0.3 * x[:, 1] > 0).astype(float)


def _drive(callback, values, key="loss", model=None):
    """Run ``callback`` over epochs whose logs hold ``values`` (None: key missing); the epoch it stopped at."""
    model = model or _model()
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin({})
    for epoch, value in enumerate(values):
        logs = {} if value is None else {key: value}
        callback.on_epoch_end(epoch, logs)
        if model.stop_training:
            return epoch
    return None


class TestEarlyStopping:
    def test_patience_counts_epochs_since_the_best(self):
        # best at epoch 1 (0.8); 0.85 and 0.82 do not improve: patience 2 stops at epoch 3
        assert _drive(callbacks.EarlyStopping("loss", patience=2), [1.0, 0.8, 0.85, 0.82, 0.1]) == 3

    def test_min_delta(self):
        # 0.95 is not 0.1 below 1.0: no improvement, and patience 1 stops at once
        assert _drive(callbacks.EarlyStopping("loss", min_delta=0.1, patience=1), [1.0, 0.95, 0.5]) == 1
        assert _drive(callbacks.EarlyStopping("loss", min_delta=0.1, patience=1), [1.0, 0.89, 0.5]) is None

    def test_baseline_improvements_that_do_not_beat_it_keep_counting(self):
        values = [0.9, 0.8, 0.85, 0.3]
        # Keras 3: the counter grows at every epoch and resets only on beating both the best and the baseline;
        # an improving epoch never stops, so epoch 2 (no improvement, counter 3 >= 2) does
        assert _drive(callbacks.EarlyStopping("loss", patience=2, baseline=0.5), values) == 2
        assert _drive(callbacks.EarlyStopping("loss", patience=2), values) is None

    def test_start_from_epoch_skips_the_warm_up(self):
        rising = [1.0, 2.0, 3.0, 4.0, 5.0]
        assert _drive(callbacks.EarlyStopping("loss", patience=0, start_from_epoch=2), rising) == 3
        assert _drive(callbacks.EarlyStopping("loss", patience=0), rising) == 1

    def test_never_stops_at_the_first_epoch(self):
        assert _drive(callbacks.EarlyStopping("loss", patience=0, baseline=0.1), [1.0, 2.0]) == 1

    def test_mode_max_and_auto_from_the_metric_direction(self):
        assert _drive(callbacks.EarlyStopping("val_accuracy", patience=1), [0.5, 0.4], "val_accuracy") == 1
        assert _drive(callbacks.EarlyStopping("val_accuracy", patience=1), [0.5, 0.6], "val_accuracy") is None
        assert _drive(callbacks.EarlyStopping("val_auc", patience=1), [0.5, 0.4], "val_auc",
                      model=_model(metrics=["auc"])) == 1
        assert _drive(callbacks.EarlyStopping("val_mae", patience=1), [0.5, 0.6], "val_mae",
                      model=_model(metrics=["mae"])) == 1
        assert _drive(callbacks.EarlyStopping("val_out_loss", patience=1), [0.5, 0.6], "val_out_loss") == 1

    def test_auto_mode_that_cannot_decide_is_an_error(self):
        with pytest.raises(ValueError, match="monitor='score', but it cannot tell whether that metric should be "
                                             "maximized or minimized. Pass mode='max'"):
            _drive(callbacks.EarlyStopping("score"), [1.0], key="score")

    def test_missing_key_warns_and_skips_the_epoch(self):
        stop = callbacks.EarlyStopping("val_loss", patience=0)
        with pytest.warns(UserWarning, match="`val_loss` which is not available"):
            assert _drive(stop, [1.0, None, 2.0], key="val_loss") == 2

    def test_restore_best_weights_even_when_the_baseline_is_never_beaten(self, data):
        x, y = data
        seen = []
        record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
        feed = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(score=[3.0, 2.0, 2.5, 2.6][epoch]))
        stop = callbacks.EarlyStopping("score", mode="min", patience=2, baseline=1.0, restore_best_weights=True)
        model = _model()
        history = model.fit(x, y, epochs=4, verbose=0, callbacks=[feed, record, stop])
        assert history.epoch == [0, 1, 2]
        assert stop.best_epoch == 1 and stop.stopped_epoch == 2
        for got, best in zip(model.get_weights(), seen[1], strict=True):
            np.testing.assert_array_equal(got, best)

    def test_argument_errors(self):
        with pytest.raises(ValueError, match="start_from_epoch must be an integer >= 0, got -1"):
            callbacks.EarlyStopping(start_from_epoch=-1)
        with pytest.raises(ValueError, match="baseline must be a finite number, got nan"):
            callbacks.EarlyStopping(baseline=float("nan"))
        with pytest.raises(ValueError, match="monitor must be a non-empty string"):
            callbacks.EarlyStopping(monitor="")


class TestReduceLROnPlateau:
    def test_reductions_patience_cooldown_and_floor_by_hand(self):
        model = _model(lg.optimizers.SGD(1.0))
        reduce = callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=2, cooldown=1, min_lr=0.1, min_delta=0)
        reduce.set_model(model)
        reduce.on_train_begin({})
        rates = []
        for epoch in range(12):
            logs = {"loss": 1.0}  # no improvement after epoch 0
            reduce.on_epoch_end(epoch, logs)
            rates.append(logs["learning_rate"])
        # epoch 0 sets the best; then 2 epochs without improvement reduce the rate, the cooldown epoch does not
        # count, the next 2 reduce again ... until the float32 floor 0.1 stops it.
        assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1, 0.1]
        assert model.optimizer.learning_rate == 0.1

    def test_improvement_resets_the_count(self):
        model = _model(lg.optimizers.SGD(1.0))
        reduce = callbacks.ReduceLROnPlateau("loss", factor=0.1, patience=2)
        reduce.set_model(model)
        reduce.on_train_begin({})
        for epoch, value in enumerate([1.0, 1.0, 0.5, 0.5, 0.5]):
            reduce.on_epoch_end(epoch, {"loss": value})
        # the drop at epoch 2 resets the count: only epoch 4 reaches patience 2
        assert model.optimizer.learning_rate == pytest.approx(0.1)

    def test_in_fit_the_rate_is_used(self, data):
        x, y = data
        model, twin = _model(), _model()
        feed = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(score=1.0))
        history = model.fit(x, y, epochs=3, batch_size=12, shuffle=False, verbose=0,
                            callbacks=[feed, callbacks.ReduceLROnPlateau("score", mode="min", factor=0.5,
                                                                         patience=1)])
        assert history.history["learning_rate"] == [0.1, 0.1, 0.05]
        for lr in (0.1, 0.1, 0.05):  # the same full-batch steps by hand
            twin.optimizer.learning_rate = lr
            twin.train_on_batch(x, y)
        for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)

    def test_errors(self, data):
        x, y = data
        with pytest.raises(ValueError, match=r"factor must lie in \(0, 1\)"):
            callbacks.ReduceLROnPlateau(factor=1.0)
        with pytest.raises(ValueError, match="min_lr must be >= 0, got -1.0"):
            callbacks.ReduceLROnPlateau(min_lr=-1)
        scheduled = _model(lg.optimizers.SGD(lg.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)))
        with pytest.raises(TypeError, match="learning rate is a schedule"):
            scheduled.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ReduceLROnPlateau("loss")])


def test_lambda_callback_calls_every_hook(data):
    x, y = data
    calls = []
    hooks = {}
    for hook in LAMBDA_HOOKS:
        if hook in ("on_batch_begin", "on_batch_end"):
            continue
        takes_index = "batch" in hook or "epoch" in hook
        hooks[hook] = ((lambda h: lambda i, logs: calls.append((h, i)))(hook) if takes_index
                       else (lambda h: lambda logs: calls.append((h, None)))(hook))
    cb = callbacks.LambdaCallback(**hooks)
    model = _model()
    model.fit(x, y, epochs=1, batch_size=6, validation_split=0.5, verbose=0, callbacks=[cb])
    model.evaluate(x, y, batch_size=12, callbacks=[cb])
    model.predict(x, batch_size=12, callbacks=[cb])
    assert calls == [
        ("on_train_begin", None), ("on_epoch_begin", 0), ("on_train_batch_begin", 0), ("on_train_batch_end", 0),
        ("on_test_begin", None), ("on_test_batch_begin", 0), ("on_test_batch_end", 0), ("on_test_end", None),
        ("on_epoch_end", 0), ("on_train_end", None),
        ("on_test_begin", None), ("on_test_batch_begin", 0), ("on_test_batch_end", 0), ("on_test_end", None),
        ("on_predict_begin", None), ("on_predict_batch_begin", 0), ("on_predict_batch_end", 0),
        ("on_predict_end", None)]


def test_lambda_callback_aliases_and_errors(data):
    x, y = data
    seen = []
    _model().fit(x, y, epochs=1, batch_size=4, verbose=0,
                 callbacks=[callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch))])
    assert seen == [0, 1, 2]
    with pytest.raises(TypeError, match=r"unknown hook\(s\) \['on_epoch_ending'\]"):
        callbacks.LambdaCallback(on_epoch_ending=print)
    with pytest.raises(TypeError, match="on_epoch_end must be callable, got int"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_on_train_end_gets_the_last_epoch_logs(data):
    x, y = data
    got = {}
    history = _model().fit(x, y, epochs=2, validation_split=0.25, verbose=0,
                           callbacks=[callbacks.LambdaCallback(on_train_end=lambda logs: got.update(logs))])
    assert got == {key: values[-1] for key, values in history.history.items()}
    assert set(got) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_terminate_on_nan():
    model = _model()
    cbs = callbacks.CallbackList([callbacks.TerminateOnNaN()], model, {})
    cbs.on_train_batch_end(0, {"loss": 0.5})
    assert not model.stop_training
    cbs.on_train_batch_end(1, {"loss": math.inf})
    assert model.stop_training
    strict = callbacks.CallbackList([callbacks.TerminateOnNaN(raise_error=True)], model, {})
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3"):
        strict.on_train_batch_end(3, {"loss": float("nan")})


class TestModelCheckpoint:
    def test_creates_missing_folders_and_saves_weights_only(self, data, tmp_path):
        x, y = data
        path = tmp_path / "a" / "b" / "w-{epoch}.weights.h5"
        model = _model()
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True)])
        assert sorted(os.listdir(tmp_path / "a" / "b")) == ["w-1.weights.h5", "w-2.weights.h5"]
        twin = _model(seed=5)
        twin.load_weights(tmp_path / "a" / "b" / "w-2.weights.h5")
        for a, b in zip(twin.get_weights(), model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        with pytest.raises(ValueError, match="not a saved model"):
            lg.load_model(tmp_path / "a" / "b" / "w-2.weights.h5")

    def test_save_freq_in_batches_across_epochs(self, data, tmp_path):
        x, y = data
        pattern = str(tmp_path / "ckpt-{epoch}-{batch}-{loss:.3f}.keras")
        seen = []
        log = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(dict(logs)))
        _model().fit(x, y, epochs=2, batch_size=4, verbose=0,
                     callbacks=[log, callbacks.ModelCheckpoint(pattern, save_freq=2)])
        # 3 batches an epoch: saves after the 2nd, 4th and 6th batch, named by epoch and batch (1-based)
        # and the running loss of the epoch so far
        expected = [f"ckpt-{e}-{b}-{seen[i]['loss']:.3f}.keras" for e, b, i in ((1, 2, 1), (2, 1, 3), (2, 3, 5))]
        assert sorted(os.listdir(tmp_path)) == sorted(expected)

    def test_initial_value_threshold(self, data, tmp_path):
        x, y = data
        feed = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(score=[0.9, 0.4, 0.6, 0.3][epoch]))
        _model().fit(x, y, epochs=4, verbose=0, callbacks=[feed, callbacks.ModelCheckpoint(
            str(tmp_path / "m{epoch}.keras"), monitor="score", mode="min", save_best_only=True,
            initial_value_threshold=0.5)])
        assert sorted(os.listdir(tmp_path)) == ["m2.keras", "m4.keras"]

    def test_errors(self, data, tmp_path):
        x, y = data
        with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive integer"):
            callbacks.ModelCheckpoint(tmp_path / "m.keras", save_freq="batch")
        with pytest.raises(KeyError, match="Failed to format this callback filepath"):
            _model().fit(x, y, epochs=1, verbose=0,
                         callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "m-{val_loss}.keras"))])
        with pytest.raises(IsADirectoryError, match="is an existing directory"):
            _model().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(tmp_path)])


def test_save_weights_carries_the_training_state(data, tmp_path):
    x, y = data
    model = _model(lg.optimizers.Adam(0.01))
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.save_weights(tmp_path / "w.lg")
    twin = _model(lg.optimizers.Adam(0.05), seed=3)
    twin.load_weights(tmp_path / "w.lg")
    assert twin.optimizer.iterations == 6 and twin.optimizer.learning_rate == 0.01
    assert twin.trainer.rng.bit_generator.state == model.trainer.rng.bit_generator.state
    for (i, slot, a), (j, slot_b, b) in zip(model.optimizer.get_state(model.weights)["slots"],
                                            twin.optimizer.get_state(twin.weights)["slots"], strict=True):
        assert (i, slot) == (j, slot_b)
        np.testing.assert_array_equal(a, b)
    other = _model(lg.optimizers.SGD(0.1), seed=3)
    with pytest.warns(UserWarning, match="holds the state of a Adam optimizer; model .* is compiled with SGD"):
        other.load_weights(tmp_path / "w.lg")
    assert other.optimizer.iterations == 0
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])


def _interrupt_at(epoch):
    def begin(e, logs):
        if e == epoch:
            raise KeyboardInterrupt("interrupted")
    return callbacks.LambdaCallback(on_epoch_begin=begin)


class TestBackupAndRestore:
    def test_an_interrupted_fit_resumes_to_the_weights_of_an_uninterrupted_one(self, data, tmp_path):
        x, y = data
        reference = _model(lg.optimizers.Adam(0.05))
        reference.fit(x, y, epochs=6, batch_size=5, verbose=0)
        backup_dir = tmp_path / "backup"
        first = _model(lg.optimizers.Adam(0.05))
        with pytest.raises(KeyboardInterrupt):
            first.fit(x, y, epochs=6, batch_size=5, verbose=0,
                      callbacks=[callbacks.BackupAndRestore(backup_dir), _interrupt_at(3)])
        assert json.loads((backup_dir / "training_metadata.json").read_text()) == {"epoch": 3}
        # a new process: a new model from the same code, another seed even
        second = _model(lg.optimizers.Adam(0.05), seed=11)
        history = second.fit(x, y, epochs=6, batch_size=5, verbose=0,
                             callbacks=[callbacks.BackupAndRestore(backup_dir)])
        assert history.epoch == [3, 4, 5]
        assert second.optimizer.iterations == reference.optimizer.iterations == 18
        for a, b in zip(second.get_weights(), reference.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        assert not backup_dir.exists()  # deleted once fit completes

    def test_keep_the_checkpoint_and_batch_frequency(self, data, tmp_path):
        x, y = data
        backup_dir = tmp_path / "b"
        model = _model()
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y, epochs=4, batch_size=4, verbose=0,
                      callbacks=[callbacks.BackupAndRestore(backup_dir, save_freq=4, delete_checkpoint=False),
                                 _interrupt_at(2)])
        # 3 batches an epoch: the 4th batch (epoch 1) was backed up with the epoch in progress, as Keras
        assert json.loads((backup_dir / "training_metadata.json").read_text()) == {"epoch": 1}
        history = model.fit(x, y, epochs=4, batch_size=4, verbose=0,
                            callbacks=[callbacks.BackupAndRestore(backup_dir, save_freq=4, delete_checkpoint=False)])
        assert history.epoch == [1, 2, 3]
        assert backup_dir.exists()

    def test_double_checkpoint_falls_back_on_the_previous_backup(self, data, tmp_path):
        x, y = data
        backup_dir = tmp_path / "b"
        with pytest.raises(KeyboardInterrupt):
            _model().fit(x, y, epochs=5, verbose=0, callbacks=[
                callbacks.BackupAndRestore(backup_dir, double_checkpoint=True), _interrupt_at(3)])
        (backup_dir / "latest.weights.lg").write_bytes(b"truncated")
        history = _model().fit(x, y, epochs=5, verbose=0,
                               callbacks=[callbacks.BackupAndRestore(backup_dir, double_checkpoint=True)])
        assert history.epoch == [2, 3, 4]  # the backup of epoch 1 (next: 2)
        with pytest.raises(KeyboardInterrupt):
            _model().fit(x, y, epochs=5, verbose=0, callbacks=[callbacks.BackupAndRestore(backup_dir),
                                                                _interrupt_at(3)])
        (backup_dir / "latest.weights.lg").write_bytes(b"truncated")
        with pytest.raises(ValueError, match="latest.weights.lg.*not a layergraph model"):
            _model().fit(x, y, epochs=5, verbose=0, callbacks=[callbacks.BackupAndRestore(backup_dir)])

    def test_errors(self):
        with pytest.raises(ValueError, match="backup_dir must name a folder"):
            callbacks.BackupAndRestore("")
        with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive integer"):
            callbacks.BackupAndRestore("b", save_freq=0)


def test_test_batch_logs_hold_running_means(data):
    x, y = data
    model = _model()
    seen = []
    logger = callbacks.LambdaCallback(on_test_batch_end=lambda batch, logs: seen.append(dict(logs)))
    model.evaluate(x, y, batch_size=5, callbacks=[logger])
    p = model.predict(x, verbose=0)[:, 0]
    per_sample = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    hits = ((p > 0.5) == (y > 0.5)).astype(float)
    # batches of 5, 5 and 2 samples: the logs after batch k are the means over the first 5, 10, 12 samples
    for logs, n in zip(seen, (5, 10, 12), strict=True):
        assert logs["loss"] == pytest.approx(per_sample[:n].mean(), rel=1e-12)
        assert logs["accuracy"] == pytest.approx(hits[:n].mean(), rel=1e-12)
    assert len(seen) == 3
