"""python -m layergraph compare-optimizers: a tiny run on real data, and missing data."""
import re
import subprocess
import sys

import pytest

from layergraph import plot
from layergraph.cli import main

NAMES = ["SGD", "Momentum", "Adagrad", "RMSprop", "Adam"]


def test_tiny_run_prints_every_optimizer_and_writes_the_figure(mnist_dir, tmp_path, capsys):
    path = tmp_path / "figs" / "optimizers.png"
    code = main(["compare-optimizers", "--data-dir", str(mnist_dir), "--limit", "300", "--epochs", "2",
                 "--batch-size", "50", "--plot", str(path), "--no-download"])
    out = capsys.readouterr().out
    assert code == 0
    assert "MNIST: 300 training and 300 test images, idx source, float64" in out
    assert "== Optimizers on the tutorial's MNIST MLP: 2 epochs, batch 50, float64, seed 777 ==" in out
    progress = re.findall(r"^(\w+) \((.+)\): test accuracy per epoch (\d\.\d{4}) (\d\.\d{4}) \(\d+\.\ds\)$", out, re.M)
    assert [p[0] for p in progress] == NAMES
    assert [p[1] for p in progress] == ["SGD, lr 0.1", "SGD, lr 0.1, momentum 0.9", "Adagrad, lr 0.1",
                                        "RMSprop, lr 0.01", "Adam, lr 0.01"]
    table = out.split("\n\n", 1)[1]
    assert re.match(r"optimizer +settings +final train loss +test accuracy +seconds\n-+ ", table)
    rows = re.findall(r"^(\w+) .*? (\d+\.\d{4}) +(\d\.\d{4}) +(\d+\.\d)$", table, re.M)
    assert [r[0] for r in rows] == NAMES
    for (name, *_, final), (row_name, loss, accuracy, _) in zip(progress, rows, strict=True):
        assert row_name == name
        assert accuracy == final  # the table's accuracy is the last epoch's
        assert 0 < float(loss) < 10
    assert f"Saved plot: {path}" in out
    with open(path, "rb") as f:
        assert f.read(8) == plot.PNG_SIGNATURE


def test_missing_data(tmp_path, capsys):
    empty = tmp_path / "no data"
    assert main(["compare-optimizers", "--data-dir", str(empty), "--no-download", "--plot",
                 str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("layergraph compare-optimizers: error: MNIST data is not available")
    assert not (tmp_path / "x.png").exists()


def test_help_lists_the_options_but_not_the_test_hook(capsys):
    with pytest.raises(SystemExit):
        main(["compare-optimizers", "--help"])
    out = capsys.readouterr().out
    for option in ("--epochs", "--batch-size", "--plot", "--source", "--data-dir", "--seed", "--dtype"):
        assert option in out
    assert "--limit" not in out


def test_the_program_help_lists_both_new_commands():
    # As run from a shell: the commands are registered through COMMAND_MODULES.
    top = subprocess.run([sys.executable, "-m", "layergraph", "--help"], capture_output=True, text=True, check=True)
    assert "compare-optimizers" in top.stdout and "evaluate" in top.stdout
