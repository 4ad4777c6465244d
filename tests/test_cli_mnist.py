"""python -m layergraph mnist: a tiny run on real data, the figures, and missing data."""
import re
import subprocess
import sys

import pytest

import layergraph as lg
from layergraph.cli import main
from layergraph.models import mnist


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_tiny_run_prints_the_log_and_writes_the_figures(mnist_dir, tmp_path, capsys):
    plot_path = tmp_path / "out.png"
    model_path = tmp_path / "model.lg"
    code = main(["mnist", "--data-dir", str(mnist_dir), "--limit", "600", "--epochs", "2", "--lr", "1.0",
                 "--batch-size", "50", "--verbose", "2", "--plot", str(plot_path), "--save", str(model_path),
                 "--no-download"])
    out = capsys.readouterr().out
    assert code == 0
    assert "MNIST: 600 training and 600 test images, idx source, float64" in out
    assert "== MNIST 'tutorial' model: 2 epochs, batch 50, lr 1.0, float64, seed 777, analytic gradient ==" in out
    epochs = re.findall(r"^Epoch (\d)/2 - .* - loss: .* - accuracy: .* - val_loss: .* - val_accuracy: .*$", out, re.M)
    assert epochs == ["1", "2"]
    accuracy = float(re.search(r"^Test accuracy: (\d\.\d{4}) after 2 epochs", out, re.M).group(1))
    # The printed figure is the saved model's own accuracy on those 600 test images (the test set is the
    # validation data, so also the last val_accuracy), and the model learned: the losses fall, and 2 short
    # epochs of the tutorial's sigmoid MLP lift the accuracy from chance (0.1) to about 0.27.
    _, (x_test, y_test) = mnist.load_data("idx", mnist_dir, limit=600, download=False)
    assert accuracy == pytest.approx(mnist.accuracy(lg.load_model(model_path), x_test, y_test), abs=5e-5)
    logs = [dict(re.findall(r"(\w+): ([\d.]+)", line)) for line in re.findall(r"^Epoch \d/2 .*$", out, re.M)]
    assert float(logs[-1]["val_accuracy"]) == accuracy
    assert float(logs[1]["loss"]) < float(logs[0]["loss"]) and float(logs[1]["val_loss"]) < float(logs[0]["val_loss"])
    assert accuracy > 0.2
    assert "Target" not in out  # only judged for the full recipe
    for name in ("out.png", "out-digits.png", "out-confusion.png"):
        assert _is_png(tmp_path / name), name
    assert "Saved plots:" in out and f"Saved model to {model_path}" in out

    loaded = lg.load_model(model_path)
    assert [w.shape for w in loaded.get_weights()] == [(784, 64), (64,), (64, 10), (10,)]


def test_float32_run(mnist_dir, capsys):
    assert main(["mnist", "--data-dir", str(mnist_dir), "--limit", "200", "--epochs", "1", "--dtype", "float32",
                 "--verbose", "0", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "float32, seed 3" in out and "Test accuracy:" in out and "Epoch 1/1" not in out


@pytest.mark.parametrize("model, lr", [("mlp", "0.001"), ("cnn", "0.001"), ("cnn-aug", "0.003")])
def test_other_registered_models(mnist_dir, capsys, model, lr):
    assert main(["mnist", "--model", model, "--data-dir", str(mnist_dir), "--limit", "256", "--epochs", "1",
                 "--verbose", "2"]) == 0
    out = capsys.readouterr().out
    assert f"== MNIST '{model}' model: 1 epochs, batch 128, lr {lr}, float32, seed 0, analytic gradient ==" in out
    assert "Epoch 1/1" in out and "Test accuracy:" in out


@pytest.mark.parametrize("skip", [False, True])
def test_missing_data(tmp_path, capsys, skip):
    empty = tmp_path / "nothing here"
    code = main(["mnist", "--data-dir", str(empty), "--no-download"] + (["--skip-missing"] if skip else []))
    out = capsys.readouterr()
    if skip:
        assert code == 0 and out.err == ""
        assert out.out.startswith("Skipping the MNIST run: MNIST data is not available")
        message = out.out
    else:
        assert code == 1 and "Skipping" not in out.out
        assert out.err.startswith("layergraph mnist: error: MNIST data is not available")
        message = out.err
    assert str(empty) in message and "LAYERGRAPH_MNIST_DIR" in message and "train-images-idx3-ubyte.gz" in message
    assert not empty.exists()  # nothing created when download is off


def test_missing_tfds_is_reported_like_missing_data(tmp_path, capsys, monkeypatch):
    from layergraph.datasets import mnist as mnist_data

    def no_tfds(*args, **kwargs):
        raise ImportError("No module named 'tensorflow_datasets'")

    monkeypatch.setattr(mnist_data, "load", no_tfds)
    assert main(["mnist", "--source", "tfds", "--skip-missing"]) == 0
    assert "tensorflow_datasets" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [(["mnist", "--model", "resnet"], "invalid choice: 'resnet'"),
                                          (["mnist", "--epochs", "0"], "invalid _positive_int value"),
                                          (["mnist", "--dtype", "float16"], "invalid choice: 'float16'")])
def test_bad_arguments(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_help_lists_the_options_but_not_the_test_hook():
    result = subprocess.run([sys.executable, "-m", "layergraph", "mnist", "--help"], capture_output=True, text=True,
                            check=True)
    for option in ("--epochs", "--batch-size", "--lr", "--source", "--data-dir", "--plot", "--model", "--dtype",
                   "--seed", "--skip-missing", "--no-download", "--save", "--gradient"):
        assert option in result.stdout
    assert "--limit" not in result.stdout and "tutorial" in result.stdout
    assert "as-written" in result.stdout and "numeric (central differences" in result.stdout


def test_numeric_runs_print_their_estimated_cost_first(mnist_dir, capsys, monkeypatch):
    trained = []
    monkeypatch.setattr(mnist, "train", lambda *args, **kwargs: trained.append(kwargs) or pytest.skip("not reached"))
    with pytest.raises(pytest.skip.Exception):
        main(["mnist", "--gradient", "numeric", "--data-dir", str(mnist_dir), "--limit", "300", "--epochs", "1",
              "--verbose", "0", "--no-download"])
    out, err = capsys.readouterr()
    line = re.search(r"^Numeric gradient: 50,890 coordinates x ([\d.e-]+) ms each \(measured on the first batch\) "
                     r"= ([\d.]+) s per step, ([\d.]+) s per epoch of 3 steps$", out, re.M)
    assert line, out
    assert float(line.group(2)) == pytest.approx(50890 * float(line.group(1)) / 1e3, rel=0.02)
    assert "warning" not in err and trained[0]["gradient"] == "numeric"


def test_numeric_runs_longer_than_an_hour_are_warned_about_before_they_start(mnist_dir, capsys, monkeypatch):
    order = []
    monkeypatch.setattr(mnist, "estimate_numeric", lambda *args, **kwargs: order.append("estimate") or
                        mnist.NumericEstimate(coordinates=235_530, seconds_per_coordinate=1.2e-3, steps_per_epoch=3,
                                              sample=16))
    monkeypatch.setattr(mnist, "train", lambda *args, **kwargs: order.append("train") or pytest.skip("not reached"))
    with pytest.raises(pytest.skip.Exception):
        main(["mnist", "--model", "mlp", "--gradient", "numeric", "--data-dir", str(mnist_dir), "--limit", "300",
              "--epochs", "5", "--verbose", "0", "--no-download"])
    out, err = capsys.readouterr()
    assert order == ["estimate", "train"]
    assert ("Numeric gradient: 235,530 coordinates x 1.2 ms each (measured on the first batch) "
            "= 4.71 min per step, 14.1 min per epoch of 3 steps") in out
    assert err.strip() == ("layergraph mnist: warning: --gradient numeric would train the 'mlp' model for about "
                           "70.7 min (5 epochs x 3 steps x 235,530 coordinates x 1.2 ms measured per coordinate); "
                           "--gradient analytic trains it by backpropagation")


_SAVE = [
    ("--save", "{tmp}/missing/dir/m.lg", "--save {tmp}/missing/dir/m.lg: the folder {tmp}/missing/dir does not exist"),
    ("--save", "{tmp}", "--save {tmp}: is a folder; give a file name"),
    ("--save", "{tmp}/file.txt/m.lg", "--save {tmp}/file.txt/m.lg: the folder {tmp}/file.txt is not a folder"),
]
_PLOT = [
    ("--plot", "/sys/x.png", "--plot /sys/x.png: cannot write in /sys ("),
    ("--plot", "{tmp}/file.txt/sub/x.png", "--plot {tmp}/file.txt/sub/x.png: {tmp}/file.txt is not a folder"),
    ("--plot", "{tmp}", "--plot {tmp}: is a folder; give a file name"),
]


@pytest.mark.parametrize("command,option,path,message", [("mnist", *case) for case in _SAVE + _PLOT]
                         + [("compare-optimizers", *case) for case in _PLOT])
def test_output_paths_are_checked_before_any_work(tmp_path, capsys, option, path, message, command, monkeypatch):
    (tmp_path / "file.txt").write_text("a file, not a folder")
    path, message = path.format(tmp=tmp_path), message.format(tmp=tmp_path)

    def no_training(*args, **kwargs):
        raise AssertionError("nothing may be loaded or trained before the output paths are checked")

    monkeypatch.setattr(mnist, "load_data", no_training)
    assert main([command, option, path, "--no-download"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith(f"layergraph {command}: error: {message}")
    assert out.err.count("\n") == 1 and ".tmp" not in out.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # no folder, no probe file left


def test_plot_folders_are_created_when_the_parent_is_writable(mnist_dir, tmp_path, capsys):
    plot = tmp_path / "new" / "figures" / "run.png"
    assert main(["mnist", "--data-dir", str(mnist_dir), "--limit", "100", "--epochs", "1", "--verbose", "0",
                 "--plot", str(plot), "--no-download"]) == 0
    assert _is_png(plot) and _is_png(plot.with_name("run-confusion.png"))
