"""Command line: ``python -m layergraph <command>`` (also the ``layergraph`` script).

Each command lives in a module of this package exposing ``register(subparsers)``,
which adds a sub-parser whose ``func(args)`` runs it and returns an exit code.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ..framework import memory

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
    """Run one command; returns its exit code.

    The command line owns its process, so it opts in to the process-wide
    :func:`~layergraph.framework.memory.retain_freed_memory` (freed memory is
    reused instead of faulted in anew each step; ``LAYERGRAPH_RETAIN_MEMORY=0``
    turns it off). The library itself never changes the allocator.
    """
    args = build_parser().parse_args(argv)
    memory.retain_freed_memory()
    try:
        return args.func(args) or 0
    except (ValueError, TypeError, OSError) as err:
        message = str(err).replace("\n", " ")  # one line, whatever the message holds (e.g. text from a file)
        print(f"layergraph {args.command}: error: {message}", file=sys.stderr)
        return 2
