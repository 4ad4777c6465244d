"""layergraph.plot: PNG files written headlessly and atomically."""
import os
import subprocess
import sys

import numpy as np
import pytest

from layergraph import plot

HISTORY = {"loss": [0.9, 0.5, 0.4], "accuracy": [0.7, 0.85, 0.9],
           "val_loss": [0.6, 0.5, 0.45], "val_accuracy": [0.8, 0.86, 0.88]}


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == plot.PNG_SIGNATURE


def _digits(n=12, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, n)
    predictions = labels.copy()
    predictions[[1, 4]] = (labels[[1, 4]] + 1) % 10
    return images, labels, predictions


def test_importing_layergraph_does_not_import_matplotlib():
    code = "import sys, layergraph, layergraph.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "False"


def test_plot_history_writes_a_png(tmp_path):
    path = plot.plot_history(HISTORY, tmp_path / "sub" / "history.png", title="run")
    assert path == tmp_path / "sub" / "history.png" and _is_png(path)
    assert os.listdir(tmp_path / "sub") == ["history.png"]  # no temporary file left


def test_history_figure_panels_labels_and_titles():
    fig = plot.history_figure(HISTORY, title="run")
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["Loss per epoch", "Accuracy per epoch"]
    assert [(ax.get_xlabel(), ax.get_ylabel()) for ax in axes] == [("Epoch", "Loss"), ("Epoch", "Accuracy")]
    for ax, key in zip(axes, ("loss", "accuracy"), strict=True):
        lines = ax.get_lines()
        assert [line.get_label().split(" ")[0] for line in lines] == ["train", "validation"]
        np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(lines[0].get_ydata(), HISTORY[key])
        np.testing.assert_array_equal(lines[1].get_ydata(), HISTORY[f"val_{key}"])
    assert fig.get_suptitle() == "run"


def test_history_object_and_partial_histories(tmp_path):
    class FakeHistory:
        history = {"loss": [1.0, 0.5]}

    fig = plot.history_figure(FakeHistory())
    assert [ax.get_title() for ax in fig.get_axes()] == ["Loss per epoch"]
    with pytest.raises(ValueError, match="no loss or accuracy"):
        plot.history_figure({"lr": [0.1]})
    with pytest.raises(ValueError, match="non-empty dict"):
        plot.plot_history({}, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_digits_marks_the_mistakes(tmp_path):
    images, labels, predictions = _digits()
    assert _is_png(plot.plot_digits(images, labels, predictions, tmp_path / "digits.png", n=9))
    fig = plot.digits_figure(images, labels, predictions, n=9)
    axes = [ax for ax in fig.get_axes() if ax.get_images()]
    assert len(axes) == 9
    colors = {i: ax.title.get_color() for i, ax in enumerate(axes)}
    assert {i for i, c in colors.items() if c != "black"} == {1, 4}
    assert axes[1].get_title() == f"true {labels[1]} / pred {predictions[1]}"


def test_plot_digits_accepts_flat_images_one_hot_labels_and_probabilities(tmp_path):
    images, labels, predictions = _digits(5)
    flat = images.reshape(5, 784) / 255.0
    probabilities = np.eye(10)[predictions] * 0.9 + 0.01
    fig = plot.digits_figure(flat, np.eye(10)[labels], probabilities, n=100)
    assert len([ax for ax in fig.get_axes() if ax.get_images()]) == 5
    fig = plot.digits_figure(images[..., None], labels)  # no predictions: labels only
    assert fig.get_axes()[0].get_title() == f"true {labels[0]}"
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        plot.digits_figure(images, labels[:4])
    with pytest.raises(ValueError, match="not square"):
        plot.digits_figure(np.zeros((2, 10)), [0, 1])


def test_confusion_matrix_counts_and_figure(tmp_path):
    labels = np.array([0, 1, 2, 2, 1])
    predictions = np.array([0, 2, 2, 2, 1])
    np.testing.assert_array_equal(plot.confusion_matrix(labels, predictions),
                                  [[1, 0, 0], [0, 1, 1], [0, 0, 2]])
    assert plot.confusion_matrix(labels, predictions, num_classes=10).shape == (10, 10)
    path = plot.plot_confusion_matrix(labels, predictions, tmp_path / "cm.png", num_classes=10)
    assert _is_png(path)
    assert "accuracy 0.8000" in plot.confusion_figure(labels, predictions).get_axes()[0].get_title()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = plot.plot_history(HISTORY, tmp_path / "history.png")
    before = path.read_bytes()
    from matplotlib.figure import Figure

    def broken_savefig(self, f, **kwargs):
        f.write(b"\x89PNG half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        plot.plot_history({"loss": [3.0, 2.0]}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["history.png"]


def test_written_files_get_the_usual_permissions(tmp_path):
    path = plot.plot_history(HISTORY, tmp_path / "history.png")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_moving_average_is_the_trailing_mean():
    np.testing.assert_allclose(plot.moving_average([1.0, 2.0, 3.0, 4.0, 5.0], 2), [1.0, 1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(plot.moving_average([1.0, 2.0, 6.0, 4.0], 3), [1.0, 1.5, 3.0, 4.0])
    np.testing.assert_allclose(plot.moving_average([4.0, 2.0], 10), [4.0, 3.0])  # a window longer than the data
    np.testing.assert_allclose(plot.moving_average([4.0, 2.0], 1), [4.0, 2.0])


def test_loss_curves_figure_labels_legend_scale_and_data(tmp_path):
    rng = np.random.default_rng(0)
    losses = {"SGD": 2.3 * np.exp(-np.arange(400) / 300) + 0.05 * rng.random(400),
              "Adam": 2.3 * np.exp(-np.arange(400) / 50) + 0.05 * rng.random(400)}
    accuracy = {"SGD": [0.6, 0.7, 0.75], "Adam": [0.9, 0.93, 0.95]}
    fig = plot.loss_curves_figure(losses, title="compared", accuracy=accuracy)
    loss_ax, accuracy_ax = fig.get_axes()
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel()) == ("Iteration (mini-batch)", "Training loss")
    assert (accuracy_ax.get_xlabel(), accuracy_ax.get_ylabel()) == ("Epoch", "Test accuracy")
    assert loss_ax.get_yscale() == "log" and fig.get_suptitle() == "compared"
    legend = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert [t.split(" ")[0] for t in legend] == ["SGD", "Adam"]
    assert [t.get_text().split(" ")[0] for t in accuracy_ax.get_legend().get_texts()] == ["SGD", "Adam"]
    # Per curve: the moving average (window 400 // 40 = 10) and, in the same colour, the raw losses.
    smooth, raw = loss_ax.get_lines()[:2]
    assert smooth.get_color() == raw.get_color()
    np.testing.assert_array_equal(raw.get_xdata(), np.arange(1, 401))
    np.testing.assert_allclose(raw.get_ydata(), losses["SGD"])
    np.testing.assert_array_equal(smooth.get_xdata(), np.arange(1, 401))
    np.testing.assert_allclose(smooth.get_ydata()[[0, 9, 399]],
                               [losses["SGD"][0], losses["SGD"][:10].mean(), losses["SGD"][390:].mean()])
    np.testing.assert_allclose(accuracy_ax.get_lines()[1].get_ydata(), accuracy["Adam"])
    path = plot.plot_loss_curves(losses, tmp_path / "losses.png", window=1)
    assert _is_png(path) and os.listdir(tmp_path) == ["losses.png"]


def test_loss_curves_without_accuracy_with_zero_losses_and_bad_input():
    fig = plot.loss_curves_figure({"a": [1.0, 0.0, 0.5]})
    (ax,) = fig.get_axes()  # no accuracy: one panel
    assert ax.get_yscale() == "linear"  # a zero loss cannot go on a log scale
    with pytest.raises(ValueError, match="non-empty"):
        plot.loss_curves_figure({"a": []})
    with pytest.raises(ValueError, match="non-empty"):
        plot.loss_curves_figure({})
