"""layergraph.models.optimizer_comparison on small synthetic data (no MNIST files needed)."""
import math

import numpy as np
import pytest

from layergraph import optimizers
from layergraph.models import mnist
from layergraph.models import optimizer_comparison as oc


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 160)
    # Each class brightens its own band of pixels, so the classes can be learned.
    x = rng.random((160, 784)) * 0.3
    for k in range(10):
        x[labels == k, k * 78:(k + 1) * 78] += 0.7
    y = np.eye(10)[labels]
    return (x[:120], y[:120]), (x[120:], y[120:])


@pytest.fixture(scope="module")
def runs(data):
    return oc.compare_optimizers(data, epochs=2, batch_size=25)


def test_every_contender_runs_from_the_same_weights_on_the_same_batches(runs):
    assert [r.name for r in runs] == ["SGD", "Momentum", "Adagrad", "RMSprop", "Adam"]
    steps = 2 * math.ceil(120 / 25)
    for run in runs:
        assert len(run.batch_losses) == steps and len(run.epoch_losses) == 2 and len(run.test_accuracy) == 2
        assert not run.stopped and run.seconds > 0
        assert run.final_loss == run.epoch_losses[-1] and run.final_accuracy == run.test_accuracy[-1]
    # The first loss is measured before any update: same weights, same first batch.
    assert len({r.batch_losses[0] for r in runs}) == 1
    assert len({r.batch_losses[-1] for r in runs}) == len(runs)  # ...after which the optimizers differ
    by_name = {r.name: r for r in runs}
    # Chance is 0.1; with its rate Adam learns within 10 steps where plain SGD barely moves.
    assert by_name["Adam"].final_accuracy > 0.3 and by_name["Adam"].final_loss < by_name["SGD"].final_loss


def test_the_sgd_run_is_the_tutorial_recipe(data, runs):
    (x, y), (x_test, y_test) = data
    model = mnist.tutorial_mlp(learning_rate=0.1)  # compiled with SGD(0.1) and the tutorial's seed 777
    history = model.fit(x, y, epochs=2, batch_size=25, verbose=0, validation_data=(x_test, y_test))
    np.testing.assert_allclose(runs[0].epoch_losses, history.history["loss"], rtol=1e-12)
    np.testing.assert_allclose(runs[0].test_accuracy, history.history["val_accuracy"])


def test_batch_loss_recorder_keeps_each_batch_loss(data):
    (x, y), _ = data
    model = mnist.tutorial_mlp(compile=False)
    model.compile(optimizer=optimizers.SGD(0.1), loss=mnist.tutorial_loss())
    recorder = oc.BatchLossRecorder()
    history = model.fit(x, y, epochs=1, batch_size=40, shuffle=False, verbose=0, callbacks=[recorder])
    assert len(recorder.losses) == 3
    # Equal batches: the epoch's loss is the mean of the batch losses.
    assert np.mean(recorder.losses) == pytest.approx(history.history["loss"][0])


def test_table_and_plot(runs, tmp_path):
    lines = oc.table(runs).splitlines()
    assert lines[0].split() == ["optimizer", "settings", "final", "train", "loss", "test", "accuracy", "seconds"]
    assert [line.split()[0] for line in lines[2:]] == [r.name for r in runs]
    assert f"{runs[4].final_accuracy:.4f}" in lines[6] and "Adam, lr 0.01" in lines[6]
    path = oc.plot_runs(runs, tmp_path / "runs.png", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_contender_settings():
    assert oc.Contender("m", lambda: optimizers.SGD(0.05, momentum=0.5)).settings() == "SGD, lr 0.05, momentum 0.5"
    assert oc.Contender("r", lambda: optimizers.RMSprop(0.01)).settings() == "RMSprop, lr 0.01"
