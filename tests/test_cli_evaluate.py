"""python -m layergraph evaluate: saved models of every layout, and the errors."""
import re

import pytest

import layergraph as lg
from layergraph.cli import evaluate, main
from layergraph.models import mnist


def _test_accuracy(out):
    return float(re.search(r"^Test accuracy: (\d\.\d{4})", out, re.M).group(1))


@pytest.mark.parametrize("model,limit,extra", [
    ("tutorial", 500, ["--lr", "1.0", "--batch-size", "10", "--epochs", "3"]),
    ("mlp", 300, ["--epochs", "1"]),
    ("cnn", 200, ["--epochs", "1"]),
    ("cnn-aug", 600, ["--epochs", "2"]),  # augmentation layers saved and loaded: the identity in evaluation
])
def test_round_trip_prints_the_accuracy_mnist_printed(mnist_dir, tmp_path, capsys, model, limit, extra):
    path = tmp_path / "model.lg"
    data_args = ["--data-dir", str(mnist_dir), "--limit", str(limit), "--no-download"]
    assert main(["mnist", "--model", model, "--verbose", "0", "--save", str(path)] + data_args + extra) == 0
    trained = _test_accuracy(capsys.readouterr().out)
    assert trained > 0.2  # better than chance: the comparison below is not between constant predictions

    assert main(["evaluate", str(path), "--batch-size", "64"] + data_args) == 0
    out = capsys.readouterr().out
    assert _test_accuracy(out) == trained
    assert f"Test accuracy: {trained:.4f} on {limit} images" in out
    restored = lg.load_model(path)
    flat = not model.startswith("cnn")
    assert f"inputs {(784,) if flat else (28, 28, 1)} {restored.dtype}" in out
    assert f"{restored.count_params():,} parameters" in out and "its saved loss CategoricalCrossentropy" in out
    # The printed loss is the model's own evaluation of the preprocessed test set.
    _, (x_test, y_test) = mnist.load_data(data_dir=mnist_dir, dtype=restored.dtype, flatten=flat, limit=limit)
    loss = float(re.search(r"^Test loss: (\d+\.\d{4})$", out, re.M).group(1))
    assert loss == pytest.approx(restored.evaluate(x_test, y_test)[0], abs=6e-5)
    assert trained == pytest.approx(mnist.accuracy(restored, x_test, y_test), abs=6e-5)


def test_a_model_saved_without_training_configuration_and_without_a_channel_axis(mnist_dir, tmp_path, capsys):
    # Inputs (28, 28), float32, never compiled: evaluate must reshape, cast and pick a loss itself.
    model = lg.Sequential([lg.layers.Flatten(input_shape=(28, 28)),
                           lg.layers.Dense(10, activation="softmax", seed=3)], name="plain", dtype="float32")
    path = tmp_path / "plain.lg"
    model.save(path)
    assert main(["evaluate", str(path), "--data-dir", str(mnist_dir), "--limit", "300", "--summary"]) == 0
    out = capsys.readouterr().out
    assert 'Model "plain"' in out and "inputs (28, 28) float32" in out and "7,850 parameters" in out
    assert "CategoricalCrossentropy (saved without a training configuration)" in out
    assert "Total params: 7,850" in out  # --summary
    _, (x_test, y_test) = mnist.load_data(data_dir=mnist_dir, dtype="float32", limit=300)
    x_test = x_test.reshape(-1, 28, 28)
    assert _test_accuracy(out) == pytest.approx(mnist.accuracy(model, x_test, y_test), abs=6e-5)
    expected_loss = lg.losses.CategoricalCrossentropy()(y_test, model.predict(x_test))
    assert float(re.search(r"^Test loss: (\S+)$", out, re.M).group(1)) == pytest.approx(expected_loss, abs=6e-5)


def test_input_layout():
    flat = lg.Sequential([lg.layers.Dense(2, input_shape=(784,))])
    images = lg.Sequential([lg.layers.Flatten(input_shape=(28, 28, 1))])
    assert evaluate.input_layout(flat, "f") == (True, (784,))
    assert evaluate.input_layout(images, "f") == (False, (28, 28, 1))


def _assert_error_names_the_file(capsys, argv, path, *fragments):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing printed before the model loaded
    assert captured.err.startswith("layergraph evaluate: error: ")
    assert str(path) in captured.err
    for fragment in fragments:
        assert fragment in captured.err


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nowhere.lg"
    _assert_error_names_the_file(capsys, ["evaluate", str(path)], path, "No model file")


def test_corrupt_and_truncated_files(tmp_path, capsys):
    garbage = tmp_path / "garbage.lg"
    garbage.write_bytes(b"not a model at all" * 10)
    _assert_error_names_the_file(capsys, ["evaluate", str(garbage)], garbage, "not a layergraph model")

    truncated = tmp_path / "truncated.lg"
    mnist.tutorial_mlp().save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:5000])
    _assert_error_names_the_file(capsys, ["evaluate", str(truncated)], truncated, "Cannot load model file")


def test_a_model_that_does_not_take_mnist_images(tmp_path, capsys):
    path = tmp_path / "xor.lg"
    lg.Sequential([lg.layers.Dense(1, input_shape=(2,))]).save(path)
    _assert_error_names_the_file(capsys, ["evaluate", str(path)], path, "inputs of shape (2,)", "28x28")


def test_missing_data(tmp_path, capsys):
    path = tmp_path / "model.lg"
    mnist.tutorial_mlp().save(path)
    empty = tmp_path / "no data"
    assert main(["evaluate", str(path), "--data-dir", str(empty), "--no-download"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("layergraph evaluate: error: MNIST data is not available")
    assert str(empty) in err and not empty.exists()
    assert main(["evaluate", str(path), "--data-dir", str(empty), "--no-download", "--skip-missing"]) == 0
    assert "Skipping the MNIST run" in capsys.readouterr().out


def test_help_hides_the_test_hook(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    out = capsys.readouterr().out
    for option in ("MODEL_FILE", "--batch-size", "--source", "--data-dir", "--summary"):
        assert option in out
    assert "--limit" not in out


def test_bad_batch_size(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "model.lg", "--batch-size", "0"])
    assert exc.value.code == 2 and "invalid _positive_int value" in capsys.readouterr().err


def test_a_model_with_several_inputs_is_refused():
    a, b = lg.Input((392,)), lg.Input((392,))
    model = lg.Model([a, b], lg.layers.Concatenate()([a, b]))
    with pytest.raises(ValueError, match=r"two\.lg: the model takes several inputs"):
        evaluate.input_layout(model, "two.lg")
