"""python -m layergraph gates / xor."""
import subprocess
import sys

import pytest

from layergraph.cli import main


def test_gates_prints_tutorial_log(capsys):
    assert main(["gates", "--gate", "AND"]) == 0
    out = capsys.readouterr().out
    assert "Epoch: 100, Cost: 0.68864894980" in out
    assert "Epoch: 1000, Cost: 0.16043926933" in out and "Weights: [4.27548114 4.27284863], Bias: [-6.6027234]" in out
    assert "Predictions: [0.00135483 0.08867878 0.08889176 0.87496677]" in out


def test_gates_analytic_options(capsys):
    assert main(["gates", "--gate", "xor", "--gradient", "analytic", "--epochs", "200", "--lr", "0.5",
                 "--log-every", "50"]) == 0
    out = capsys.readouterr().out
    assert out.count("Epoch: ") == 4 and "cannot learn XOR" in out


def test_xor_command(capsys):
    assert main(["xor", "--epochs", "1000"]) == 0
    out = capsys.readouterr().out
    assert "composed" in out and "Solved (every output within 0.1 of 0, 1, 1, 0): True" in out


@pytest.mark.parametrize("args,message", [(["gates", "--gradient", "symbolic"], "invalid choice"),
                                          (["gates", "--epochs", "0"], "invalid _positive_int value"),
                                          (["fly"], "invalid choice")])
def test_bad_arguments(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "layergraph", "gates", "--gate", "OR", "--epochs", "100"],
                            capture_output=True, text=True, check=True)
    assert "Epoch: 100, Cost:" in result.stdout
