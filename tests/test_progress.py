"""What ``fit`` prints: ProgressLogger's tqdm bar (verbose=1 on a terminal) and
its Keras-style line per epoch (verbose=2, or verbose=1 without a terminal)."""
import io
import re

import numpy as np
import pytest

import layergraph as lg
from layergraph.callbacks import Callback, ProgressLogger

LINE = re.compile(r"^Epoch (\d+)/(\d+) - \d+\.\ds - loss: \d\.\d{4} - accuracy: \d\.\d{4} - "
                  r"val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def _model():
    model = lg.Sequential([lg.layers.Dense(4, activation="tanh", input_shape=(3,), kernel_initializer="glorot_uniform"),
                           lg.layers.Dense(1, activation="sigmoid")])
    model.compile(lg.optimizers.SGD(0.5), "binary_crossentropy", metrics=["accuracy"], seed=0)
    return model


@pytest.fixture
def data(rng):
    x = rng.normal(size=(100, 3))
    return x, (x[:, 0] > 0).astype(float)


def test_verbose_2_prints_one_keras_line_per_epoch(data, capsys):
    x, y = data
    _model().fit(x, y, epochs=3, batch_size=10, verbose=2, validation_data=(x[:20], y[:20]))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for i, line in enumerate(lines):
        match = LINE.match(line)
        assert match, line
        assert match.groups() == (str(i + 1), "3")


def test_verbose_1_without_a_terminal_prints_lines_not_a_bar(data, capsys):
    x, y = data
    _model().fit(x, y, epochs=2, batch_size=10, verbose=1, validation_data=(x, y))
    out = capsys.readouterr()
    assert "\r" not in out.out and "step/s" not in out.out + out.err
    assert [bool(LINE.match(line)) for line in out.out.splitlines()] == [True, True]


def test_verbose_0_prints_nothing(data, capsys):
    x, y = data
    _model().fit(x, y, epochs=2, batch_size=10, verbose=0, validation_data=(x, y))
    assert capsys.readouterr() == ("", "")


def test_verbose_1_on_a_terminal_shows_a_bar_per_epoch(data):
    x, y = data
    terminal = FakeTerminal()
    logger = ProgressLogger(1, stream=terminal)
    history = _model().fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[logger], validation_data=(x, y))
    out = terminal.getvalue()
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "10/10" in out and "step/s" in out
    final = out.rstrip("\n").split("\n")  # one finished bar per line
    assert len(final) == 2
    last_state = final[-1].split("\r")[-1]
    logs = {k: history.history[k][-1] for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
    for k, v in logs.items():  # the closed bar shows the epoch's logs
        assert f"{k}={v:.4f}" in last_state
    assert " - loss: " not in out  # no Keras line besides the bar
    assert logger._bar is None


def test_bar_shows_the_running_values_of_the_batch_logs():
    terminal = FakeTerminal()
    logger = ProgressLogger(1, stream=terminal)
    logger.set_params({"epochs": 1, "steps": 3})
    logger.on_epoch_begin(0)
    logger.on_train_batch_end(0, {"loss": 1.0, "accuracy": 0.5})
    logger.on_train_batch_end(1, {"loss": np.float32(2.0), "accuracy": 0.75})
    assert logger._bar.postfix == "loss=2.0000, accuracy=0.7500"
    logger.on_epoch_end(0, {"loss": 2.5, "accuracy": 0.75})
    assert "loss=2.5000" in terminal.getvalue()


def test_batch_logs_are_running_means_over_the_epoch(data):
    """As in Keras: the batch logs hold the loss and metrics of the epoch so far, weighted by batch size."""
    x, y = data
    seen = []

    class Record(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(dict(logs))

    model = _model()
    history = model.fit(x, y, epochs=1, batch_size=30, shuffle=False, verbose=0, callbacks=[Record()])
    assert len(seen) == 4  # batches of 30, 30, 30, 10
    assert seen[-1]["loss"] == pytest.approx(history.history["loss"][0], rel=1e-12)
    assert seen[-1]["accuracy"] == pytest.approx(history.history["accuracy"][0], rel=1e-12)


def test_bar_is_closed_when_training_stops_mid_epoch(data):
    x, y = data

    class StopAfterThree(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    logger = ProgressLogger(1, stream=FakeTerminal())
    _model().fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0, callbacks=[StopAfterThree(), logger])
    assert logger._bar is None
    assert "3/10" in logger.stream.getvalue()


def test_numpy_scalars_in_the_logs_are_formatted(data, capsys):
    class AddScalar(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["lr"] = np.float32(0.5)

    x, y = data
    _model().fit(x, y, epochs=1, batch_size=50, verbose=2, callbacks=[AddScalar()])
    assert capsys.readouterr().out.rstrip().endswith("lr: 0.5000")
