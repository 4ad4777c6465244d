"""The tape and :func:`record`, the entry point that runs a function under recording.

A :class:`Tape` is a list of nodes in the order the ops ran, which is
already a topological order: an op can only use values made before it. A
node is ``(vjp, ans, args, kwargs, parents)``: the rule, the output, the
plain arguments, and ``(parent index, path)`` for each traced argument. The
leaves (watched inputs and variables) come first and have no rule.

The reverse sweep (:meth:`Tape.gradients`) first marks, going forward, the
nodes that lead to a wanted leaf, so work toward unwanted leaves (the input
gradient of a first layer) is skipped; then it walks the nodes backwards,
calls each rule once per marked parent, sums the result back to the
parent's shape and dtype, and accumulates it (a value used twice receives
the sum of both gradients). Gradients of intermediate nodes are dropped as
soon as they have been passed on.
"""
from __future__ import annotations

import numpy as np

from ._shapes import unbroadcast
from ._state import active_tapes
from .errors import TracingError, owner_prefix
from .traced import Traceable, Traced

__all__ = ["Tape", "Backward", "record"]


class Tape:
    """The ops recorded by one :func:`record` call.

    Attributes
    ----------
    name : str or None
        The layer name used in error messages.
    nodes : list
        ``(vjp, ans, args, kwargs, parents)`` per value, in creation order.
    watched : dict
        ``id(variable) -> Traced`` leaf, for :meth:`Traceable._resolve`.
    closed : bool
        Set when the recorded function returns: a traced value that escaped
        the recording and is used later raises instead of recording.
    """

    __slots__ = ("name", "nodes", "watched", "closed", "first_op")

    def __init__(self, name=None):
        self.name = name
        self.nodes = []
        self.watched = {}
        self.closed = False
        self.first_op = 0  # index of the first op node; record() sets it after creating the leaves

    def push(self, vjp, ans, args, kwargs, parents):
        """Append a node and return its traced value."""
        if self.closed:
            self.refuse_closed()
        index = len(self.nodes)
        self.nodes.append((vjp, ans, args, kwargs, parents))
        return Traced(ans, self, index)

    def refuse_closed(self):
        """Raise the error for a traced value used after its recording ended."""
        raise TracingError(
            f"{owner_prefix(self.name)}a traced value was used after its recording ended (it was kept, "
            f"e.g. in an attribute, and reused); keep plain arrays between calls (ops.stop_gradient)")

    def leaf(self, value):
        """A traced value with no parents: an input or a watched variable."""
        return self.push(None, value, None, None, ())

    def gradients(self, seeds, wanted, every_leaf=False):
        """Reverse sweep: the gradients of ``seeds`` with respect to the ``wanted`` leaves.

        Parameters
        ----------
        seeds : list of (int, numpy.ndarray)
            ``(node index, dL/d(that value))``, already of its shape and dtype.
        wanted : list of int
            Leaf indices.
        every_leaf : bool
            ``wanted`` holds every leaf, so every op leads to one and the
            forward marking pass can be skipped.

        Returns
        -------
        list
            One gradient (or ``None`` when nothing reached it) per wanted leaf.
        """
        nodes = self.nodes
        needed = [False] * len(nodes)
        for i in wanted:
            needed[i] = True
        first_op = self.first_op
        if every_leaf:  # each op has a traced parent, hence a leaf among its ancestors
            needed[first_op:] = [True] * (len(nodes) - first_op)
        else:
            for i in range(first_op, len(nodes)):
                for parent, _ in nodes[i][4]:
                    if needed[parent]:
                        needed[i] = True
                        break
        grads = [None] * len(nodes)
        last = -1
        for i, g in seeds:
            if needed[i]:
                grads[i] = g if grads[i] is None else grads[i] + g
                last = max(last, i)
        for i in range(last, first_op - 1, -1):
            g = grads[i]
            if g is None:
                continue
            grads[i] = None  # passed on below; frees intermediate gradients early
            vjp, ans, args, kwargs, parents = nodes[i]
            for parent, path in parents:
                if not needed[parent]:
                    continue
                pg = vjp(path, g, ans, *args, **kwargs) if kwargs else vjp(path, g, ans, *args)
                if pg is None:
                    continue
                value = nodes[parent][1]
                if pg.shape != value.shape:
                    pg = unbroadcast(pg, value.shape)
                if pg.dtype != value.dtype:
                    pg = pg.astype(value.dtype)
                old = grads[parent]
                grads[parent] = pg if old is None else old + pg
        return [grads[i] for i in wanted]


def _own(g, value, seeds):
    """``g`` as a fresh writable array of ``value``'s shape (zeros when ``None``).

    Rules may return read-only broadcast views, views of other arrays, or
    the caller's own seed array (``d(x + y)/dx`` is the seed itself): those
    are copied, so callers may modify what they get.
    """
    if g is None:
        return np.zeros(np.shape(value), dtype=value.dtype)
    if type(g) is np.ndarray and g.flags.owndata and g.flags.writeable:
        for _, seed in seeds:
            if g is seed:
                break
        else:
            return g
    return np.array(g, dtype=value.dtype)


class Backward:
    """The backward function :func:`record` returns.

    ``backward(output_grads, input_grad=True) -> (input_grads, variable_grads)``

    Parameters
    ----------
    output_grads : numpy.ndarray or list of them
        ``dL/d(output)``, shaped like the output; a list/tuple when the
        function returned several outputs. ``None`` stands for zeros.
    input_grad : bool
        ``False`` skips the input gradients (and the work that only they
        need) and returns ``None`` for them.

    Returns
    -------
    input_grads : numpy.ndarray, list, or None
        ``dL/d(inputs)``, in the structure of the inputs; ``None`` for a
        non-floating input (integer indices have no gradient).
    variable_grads : list of numpy.ndarray
        ``dL/d(variable)`` for each watched variable, in the order given;
        zeros for a variable the function did not use.
    """

    __slots__ = ("_tape", "_inputs", "_variables", "_multi_input", "_outputs", "_multi_output", "_wanted",
                 "_wanted_variables", "_every_leaf")

    def __init__(self, tape, inputs, multi_input, variables, outputs, multi_output):
        self._tape = tape
        self._inputs = inputs  # (leaf index or None, value) per input
        self._multi_input = multi_input
        self._variables = variables  # (leaf index or None, value) per variable
        self._outputs = outputs  # (node index or None, value) per output
        self._multi_output = multi_output
        self._wanted_variables = [i for i, _ in variables if i is not None]
        self._wanted = self._wanted_variables + [i for i, _ in inputs if i is not None]
        self._every_leaf = len(set(self._wanted)) == tape.first_op

    def __call__(self, output_grads, input_grad=True):
        seeds = self._seeds(output_grads)
        wanted = self._wanted if input_grad else self._wanted_variables
        every_leaf = self._every_leaf and (input_grad or len(wanted) == len(self._wanted))
        by_leaf = dict(zip(wanted, self._tape.gradients(seeds, wanted, every_leaf), strict=True))
        variable_grads = [_own(by_leaf.get(i), value, seeds) for i, value in self._variables]
        if not input_grad:
            return None, variable_grads
        input_grads = [None if i is None else _own(by_leaf.get(i), value, seeds) for i, value in self._inputs]
        return (input_grads if self._multi_input else input_grads[0]), variable_grads

    def _seeds(self, output_grads):
        if not self._multi_output:
            grads = (output_grads,)
        elif isinstance(output_grads, (list, tuple)) and len(output_grads) == len(self._outputs):
            grads = output_grads
        else:
            got = f"{len(output_grads)} gradients" if isinstance(output_grads, (list, tuple)) \
                else type(output_grads).__name__
            raise ValueError(f"{owner_prefix(self._tape.name)}backward expects a list of {len(self._outputs)} "
                             f"output gradients, one per output, got {got}")
        seeds = []
        for k, (g, (index, value)) in enumerate(zip(grads, self._outputs, strict=True)):
            if g is None or index is None:
                continue
            if type(g) is not np.ndarray:
                g = np.asarray(g)
            if g.shape != value.shape:
                which = f"output {k}" if self._multi_output else "the output"
                raise ValueError(f"{owner_prefix(self._tape.name)}the gradient for {which} has shape {g.shape}, "
                                 f"expected {value.shape} (the shape of {which})")
            seeds.append((index, g if g.dtype == value.dtype else g.astype(value.dtype)))
        return seeds


def _output(out, tape, k):
    """``(node index or None, plain ndarray)`` for one returned value."""
    if type(out) is Traced:
        if out._tape is not tape:
            raise TracingError(f"{owner_prefix(tape.name)}output {k if k is not None else ''} is a traced value of "
                               f"another recording; return values computed from this call's inputs")
        value = out.value
        return out._index, value if type(value) is np.ndarray else np.asarray(value)
    if isinstance(out, Traceable):  # a variable returned as is: its leaf if watched, else a constant
        leaf = tape.watched.get(id(out))
        return _output(out._plain_value() if leaf is None else leaf, tape, k)
    if isinstance(out, (np.ndarray, np.generic)):
        return None, np.asarray(out)
    raise TracingError(f"{owner_prefix(tape.name)}the recorded function returned {type(out).__name__} "
                       f"{'as output ' + str(k) + ' ' if k is not None else ''}where an array was expected; "
                       f"return a numpy array, or a list or tuple of them")


def record(fn, inputs, variables=(), *, name=None):
    """Run ``fn`` under recording; return its plain outputs and a backward function.

    ``fn`` receives ``inputs`` as traced values (the same structure: one
    value, or a list/tuple of them); inside it, every watched variable in
    ``variables`` stands for its traced counterpart wherever numpy meets it,
    so ``np.matmul(x, self.kernel)`` records a dependency on the kernel.
    Non-floating inputs (integer indices, boolean masks) are passed as plain
    arrays and get no gradient.

    Parameters
    ----------
    fn : callable
        ``fn(inputs) -> array or list/tuple of arrays``.
    inputs : array_like or list/tuple of array_like
        Kept by reference: do not modify them before calling ``backward``.
    variables : sequence of Traceable
        Typically a layer's trainable variables; their arrays are also kept
        by reference until ``backward`` runs.
    name : str, optional
        Named in every error message (``"layer 'dense': ..."``).

    Returns
    -------
    outputs : numpy.ndarray or list/tuple of numpy.ndarray
        In the structure ``fn`` returned.
    backward : Backward
        ``backward(output_grads, input_grad=True) -> (input_grads, variable_grads)``;
        may be called more than once.

    Raises
    ------
    TracingError
        An input is a traced value of another (outer) recording, a variable
        is not :class:`Traceable`, or ``fn`` returns something that is not an
        array; and the errors raised inside ``fn`` for in-place writes.
    NotDifferentiableError
        ``fn`` called a numpy function that has no rule.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.framework import autodiff
    >>> w = np.array([[1.0], [2.0]])
    >>> y, backward = autodiff.record(lambda x: np.tanh(x @ w).sum(), np.array([[0.0, 0.0], [1.0, -1.0]]))
    >>> round(float(y), 6)
    -0.761594
    >>> dx, _ = backward(np.array(1.0))
    >>> np.round(dx, 6).tolist()
    [[1.0, 2.0], [0.419974, 0.839949]]
    """
    tape = Tape(name)
    multi_input = isinstance(inputs, (list, tuple))
    fn_inputs, input_leaves = [], []
    for k, x in enumerate(inputs if multi_input else (inputs,)):
        if type(x) is not np.ndarray:
            if type(x) is Traced or isinstance(x, Traceable):
                raise TracingError(
                    f"{owner_prefix(name)}input {k} of record() is a traced value or a variable; pass plain "
                    f"arrays (inside a recording, call the function directly instead of recording it again)")
            x = np.asarray(x)
        if x.dtype.kind == "f":
            leaf = tape.leaf(x)
            fn_inputs.append(leaf)
            input_leaves.append((leaf._index, x))
        else:
            fn_inputs.append(x)
            input_leaves.append((None, x))
    variable_leaves = []
    watched = tape.watched
    for k, var in enumerate(variables):
        if not isinstance(var, Traceable):
            raise TracingError(f"{owner_prefix(name)}variables[{k}] of record() is a {type(var).__name__}, "
                               f"not a Variable")
        value = var._plain_value()
        leaf = watched.get(id(var))
        if leaf is None and value.dtype.kind == "f":
            leaf = watched[id(var)] = tape.leaf(value)
        variable_leaves.append((None if leaf is None else leaf._index, value))
    tape.first_op = len(tape.nodes)
    tapes = active_tapes()
    tapes.append(tape)
    try:
        out = fn(type(inputs)(fn_inputs) if multi_input else fn_inputs[0])
    finally:
        tapes.pop()
        tape.closed = True
    multi_output = isinstance(out, (list, tuple))
    outputs = [_output(o, tape, k) for k, o in enumerate(out)] if multi_output else [_output(out, tape, None)]
    # The watched leaves refer back to the tape: dropping them breaks that cycle, so the tape and
    # every array it holds are freed as soon as the caller drops `backward` (not at the next GC).
    watched.clear()
    backward = Backward(tape, input_leaves, multi_input, variable_leaves, outputs, multi_output)
    if multi_output:
        return type(out)(value for _, value in outputs), backward
    return outputs[0][1], backward
