"""``gates`` and ``xor`` commands: the tutorial's logic models."""
from __future__ import annotations

import numpy as np

from ..datasets import logic
from ..models import gates, xor


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise ValueError(f"must be a positive integer, got {value}")
    return value


def _positive_float(text):
    value = float(text)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"must be a positive number, got {value}")
    return value


def _print_predictions(model, title):
    x = logic.INPUTS
    print(title)
    for row, p in zip(x.astype(int), model.predict(x).ravel(), strict=True):
        print(f"  {row[0]} {row[1]} -> {p:.8f}")


def run_gates(args):
    names = [args.gate] if args.gate else ["AND", "OR", "NAND", "XOR"]
    for gate in names:
        print(f"== {gate} gate: one sigmoid neuron, {args.gradient} gradient, lr {args.lr} ==")
        model, _ = gates.train(gate, epochs=args.epochs, learning_rate=args.lr, gradient=args.gradient,
                               log_every=args.log_every)
        print(f"Predictions: {model.predict(logic.INPUTS).ravel()}")
        if gate.upper() == "XOR":
            print("One neuron cannot learn XOR: the cost stays at 2 ln 2 = 1.386 and every output stays near 0.5.")
        print()
    return 0


def run_xor(args):
    print(f"== XOR composed from trained gates: AND(NAND(x), OR(x)) ({args.gradient} gradient) ==")
    nand, or_, and_ = xor.train_gates(gradient=args.gradient)
    _print_predictions(xor.composed(nand, or_, and_), "Predictions of the composed graph:")
    print()
    print(f"== XOR learned by a 2-layer net ({args.hidden} hidden sigmoid units, {args.gradient} gradient, "
          f"lr {args.lr}) ==")
    model, _ = xor.learned(seed=args.seed, hidden_units=args.hidden, learning_rate=args.lr, epochs=args.epochs,
                           gradient=args.gradient, log_every=args.log_every)
    _print_predictions(model, "Predictions:")
    print("Solved (every output within 0.1 of 0, 1, 1, 0):", xor.solved(model))
    return 0


def register(sub):
    p = sub.add_parser("gates", help="train AND/OR/NAND/XOR neurons, printing the tutorial's log")
    p.add_argument("--gate", type=str.upper, choices=sorted(logic.GATES), help="one gate (default: AND, OR, NAND, XOR)")
    p.add_argument("--gradient", choices=["numeric", "analytic"], default="numeric",
                   help="central differences, as the tutorial, or backpropagation")
    p.add_argument("--epochs", type=_positive_int, default=1000, help="full-batch updates per gate")
    p.add_argument("--lr", type=_positive_float, default=0.1, help="learning rate of plain SGD")
    p.add_argument("--log-every", type=_positive_int, default=100, help="print the tutorial's log line this often")
    p.set_defaults(func=run_gates)

    p = sub.add_parser("xor", help="XOR composed from gates, then learned by a 2-layer net")
    p.add_argument("--gradient", choices=["numeric", "analytic"], default="analytic",
                   help="how the gates and the learned net get their gradients")
    p.add_argument("--epochs", type=_positive_int, default=1000, help="full-batch updates of the learned net")
    p.add_argument("--lr", type=_positive_float, default=1.0, help="learning rate of plain SGD")
    p.add_argument("--hidden", type=_positive_int, default=4, help="hidden units of the learned net")
    p.add_argument("--seed", type=int, default=0, help="seed of the learned net's initial weights")
    p.add_argument("--log-every", type=_positive_int, default=100, help="print the cost this often")
    p.set_defaults(func=run_xor)
