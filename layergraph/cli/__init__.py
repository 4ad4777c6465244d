"""Command line: ``python -m layergraph <command>`` (also the ``layergraph`` script).

Each command lives in a module of this package exposing ``register(subparsers)``,
which adds a sub-parser whose ``func(args)`` runs it and returns an exit code.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: Modules of this package that define commands, in help order.
COMMAND_MODULES = ["logic", "mnist", "evaluate", "compare_optimizers"]


def build_parser():
    parser = argparse.ArgumentParser(prog="layergraph", description="layergraph: Keras-style networks on numpy")
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:  # a command module not written yet
            if err.name == f"{__name__}.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (ValueError, TypeError, OSError) as err:
        message = str(err).replace("\n", " ")  # one line, whatever the message holds (e.g. text from a file)
        print(f"layergraph {args.command}: error: {message}", file=sys.stderr)
        return 2
