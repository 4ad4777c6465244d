"""Record a computation that differentiates itself as a single op of the tape.

A layer with a hand-written ``forward``/``backward`` (every built-in layer)
is already differentiated, and faster than tracing its numpy ops one by one
would be. When such a layer is called inside a recorded ``call()`` (a
subclassed model's ``self.dense(x)``), :func:`record_opaque` runs its
forward pass on plain arrays, with the recordings paused, and pushes one
node per output whose vector-Jacobian product is the layer's own backward
pass. The node's parents are the traced inputs first, then the watched
variables, so that the tape's sweep, which asks for one parent at a time in
that order, tells the rule whether the input gradient is wanted at all
(its first request is for an input) and the backward pass runs once per
output gradient, not once per parent.
"""
from __future__ import annotations

from ._state import paused
from .errors import TracingError, owner_prefix
from .traced import Traceable, Traced

__all__ = ["record_opaque"]


def _plain(a):
    """``(plain value, Traced or None)`` of one argument."""
    if type(a) is Traced:
        return a.value, a
    if isinstance(a, Traceable):
        a = a._resolve()
        if type(a) is Traced:
            return a.value, a
    return a, None


class _Pullback:
    """The backward pass of one opaque op, run at most once per output gradient."""

    __slots__ = ("vjp", "n_outputs", "multi_output", "multi_input", "n_inputs", "memo")

    def __init__(self, vjp, n_outputs, multi_output, multi_input, n_inputs):
        self.vjp = vjp
        self.n_outputs, self.multi_output = n_outputs, multi_output
        self.multi_input, self.n_inputs = multi_input, n_inputs
        self.memo = [None] * n_outputs  # per output: (g, input grads, variable grads)

    def grad(self, path, g, k):
        memo = self.memo[k]
        if memo is None or memo[0] is not g:
            input_grad = path < self.n_inputs  # inputs come first among the parents
            grads = g
            if self.multi_output:
                grads = [None] * self.n_outputs
                grads[k] = g
            with paused():
                gx, gw = self.vjp(grads, input_grad)
            if input_grad and not self.multi_input:
                gx = [gx]
            memo = self.memo[k] = (g, gx, gw)
        _, gx, gw = memo
        if path < self.n_inputs:
            return gx[path]
        return gw[path - self.n_inputs]


def _opaque_vjp(path, g, ans, pullback, k):
    return pullback.grad(path, g, k)


def record_opaque(run, inputs, variables=(), *, name=None):
    """Run ``run`` on plain arrays and record it as one op whose gradient ``run`` supplies.

    Parameters
    ----------
    run : callable
        ``run(plain_inputs) -> (outputs, vjp)`` with ``vjp(output_grads,
        input_grad) -> (input_grads, variable_grads)``: the contract of a
        layer's ``forward``/``backward``. ``output_grads`` is one array, or
        a list (``None`` for outputs that receive no gradient) when
        ``outputs`` is a list or tuple; ``variable_grads`` is aligned with
        ``variables``. Both run with the recordings paused.
    inputs : array, Traced, or a list/tuple of them
    variables : sequence of Traceable
        Those the computation reads; the watched ones become parents.
    name : str, optional
        Named in error messages.

    Returns
    -------
    The outputs of ``run``, traced when any input is traced or any variable
    watched (plain otherwise).

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.framework import autodiff
    >>> def run(x):   # y = 3 x, with its own backward pass
    ...     return 3.0 * x, lambda g, input_grad: (3.0 * g if input_grad else None, [])
    >>> y, backward = autodiff.record(lambda x: record_opaque(run, x).sum(), np.array([1.0, 2.0]))
    >>> backward(np.array(1.0))[0].tolist()
    [3.0, 3.0]
    """
    multi_input = isinstance(inputs, (list, tuple))
    items = list(inputs) if multi_input else [inputs]
    tape, parents, plain = None, [], []
    for k, a in enumerate(items):
        value, traced = _plain(a)
        plain.append(value)
        if traced is not None:
            tape = _same_tape(tape, traced, name)
            parents.append((traced._index, k))
    n_inputs = len(items)
    for j, var in enumerate(variables):
        _, traced = _plain(var)
        if traced is not None:
            tape = _same_tape(tape, traced, name)
            parents.append((traced._index, n_inputs + j))
    with paused():
        outputs, vjp = run(type(inputs)(plain) if multi_input else plain[0])
    if tape is None:
        return outputs
    multi_output = isinstance(outputs, (list, tuple))
    outs = list(outputs) if multi_output else [outputs]
    pullback = _Pullback(vjp, len(outs), multi_output, multi_input, n_inputs)
    traced_outs = [tape.push(_opaque_vjp, out, (pullback, k), None, parents)
                   if getattr(out, "dtype", None) is not None and out.dtype.kind == "f" else out
                   for k, out in enumerate(outs)]
    return type(outputs)(traced_outs) if multi_output else traced_outs[0]


def _same_tape(tape, traced, name):
    if tape is None or traced._tape is tape:
        if traced._tape.closed:
            traced._tape.refuse_closed()
        return traced._tape
    raise TracingError(f"{owner_prefix(name)}mixes values of two different recordings (a traced value escaped its "
                       f"recording, or reached a nested one); pass plain arrays between recordings")

