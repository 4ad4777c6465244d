r"""Reverse-mode automatic differentiation of plain numpy code.

A layer's ``call()`` is written with plain numpy: ``np.matmul(x, self.kernel)
+ self.bias``, ``np.exp``, indexing, ``.sum(axis=0)``. This package runs such
a function once while *recording* the ops it performs on a tape, then walks
the tape backwards to get the gradients, with no hand-written ``backward``.

How it works
------------
**Traced values.** :func:`record` wraps each floating input array in a
:class:`Traced` and pushes a :class:`~layergraph.framework.autodiff.tape.Tape`
onto a per-thread stack while the function runs. numpy's own dispatch
protocols do the rest: every ufunc call whose arguments include a traced
value is handed to ``Traced.__array_ufunc__`` (NEP 13: ``np.exp``, ``+``,
``np.maximum``, ``@``, also scipy.special's ufuncs such as ``expit``), and
every other public numpy function to ``Traced.__array_function__`` (NEP 18:
``np.sum``, ``np.concatenate``, ``np.where``, ``np.einsum``). Each handler
replaces traced arguments by their plain arrays, runs the real numpy code,
and appends one node to the tape: the output, the plain arguments and a
reference to the op's vector-Jacobian product (VJP) rule. The operators,
indexing and methods of :class:`Traced` go to the same two handlers. User
code therefore stays plain numpy; nothing is imported from here to write a
layer.

**Variables.** :class:`Traceable` is the base class of objects that stand
for an array (:class:`~layergraph.framework.variables.Variable`). When
``record(..., variables=[...])`` watches one, the tape holds a traced leaf
for it, and the dispatch resolves the variable to that leaf wherever it
meets it, so ``np.matmul(x, self.kernel)`` depends on the kernel. Outside a
recording a variable resolves to its plain value.

**Rules.** One table per kind of op: :mod:`.ufunc_vjps` (one rule per
ufunc input: ``add`` passes ``g``; ``multiply`` gives ``g * y``;
``exp`` gives ``g * ans``; ``tanh`` gives ``g * (1 - ans**2)``; ``maximum``
splits ties equally) and :mod:`.function_vjps` (reductions reinsert and
broadcast the reduced axes, shape ops invert themselves, ``concatenate`` and
``stack`` slice, ``take`` and fancy indexing scatter-add, ``dot``/
``tensordot``/``einsum`` contract ``g`` with the other operands). Their
docstrings list every rule. A few functions need no rule of their own:
:mod:`.composites` rewrites them into recorded ops (``split`` into slices,
``vstack`` into ``concatenate``, ``sort`` into ``take_along_axis``). The tape itself undoes broadcasting (summing a
gradient over the axes an input was broadcast along) and casts each
gradient to its input's dtype, so a float32 computation stays float32 and
no rule repeats that logic. Ops that are piecewise constant or boolean
(comparisons, ``sign``, ``floor``, ``argmax``, ``zeros_like``) return plain
arrays: constants for the tape, zero gradient. :func:`primitive` adds an op
with its own rule; :mod:`layergraph.framework.ops` uses it for the
numerically stable ``softmax``/``log_softmax`` and for ``conv``.
:func:`record_opaque` records a whole computation that brings its own
backward pass (a built-in layer's ``forward``/``backward``, called inside a
recorded ``call()``) as one op, run with the recordings :func:`paused`.

**Backward.** :func:`record` returns the plain outputs and a
:class:`~layergraph.framework.autodiff.tape.Backward`. Nodes are in the
order the ops ran, which is a topological order, so the reverse sweep is a
single backward loop: it calls each rule once per parent that leads to a
wanted leaf (skipping, for instance, ``dL/dx`` of a first layer when
``input_grad=False``), and *adds* gradients that reach a value twice
(fan-out). No Python loop runs over array elements anywhere.

**Outside recording nothing changes.** No tape exists; ``call()`` runs on
plain ndarrays and gets plain ndarrays back. The only residue is one
emptiness check in :mod:`layergraph.framework.ops` primitives.

Errors
------
Every error names the op and, when :func:`record` was given one, the
layer. :class:`NotDifferentiableError` for a function with no rule (such
as ``np.linalg.svd``; the message says to implement ``backward()`` or to use
the numeric gradient strategy) or a non-differentiable argument;
:class:`TracingError` for in-place writes (``x[i] = v``, ``out=``,
``np.add.at``), conversion of a traced value to a plain array
(``np.asarray(x)``), an output that is not an array, and values mixed
between recordings. Nested recordings work when they are independent: the
inner one takes plain arrays and its outputs are plain (constants for the
outer tape); passing a traced value across raises.

Why a tape of our own
---------------------
The issue asks for plain numpy in ``call()``. JAX and PyTorch need their own
array types (``jnp``, tensors), so ``np.matmul(x, w)`` as written is out of
their reach, and each is a large dependency. The alternative measured was
HIPS autograd 1.9.1 (``pip install autograd``). Its boxes implement
``__array_ufunc__`` and reach many numpy functions through methods or
object arrays, so much plain numpy does differentiate, but, measured here:
``np.take`` raises ``NotImplementedError: VJP of take wrt argnums (0,) not
defined``; ``scipy.special.expit`` raises ``TypeError: operand type(s) all
returned NotImplemented``; ``np.linalg.svd`` raises ``UFuncTypeError: Cannot
cast ufunc 'svd_f' input from dtype('O')``, an ``out=`` argument a
``TypeError`` and ``x[0] = v`` an ``AttributeError``, none naming the layer
or saying what to do next; ``np.asarray(x)`` silently builds an object array;
weights must be passed as function arguments (it knows nothing of
:class:`~layergraph.framework.variables.Variable`); and on the tutorial's
MLP (``benchmarks/bench_autodiff.py``: 784-64-10, batch 100, float64, one
BLAS thread, forward and backward, median of interleaved ratios) it took
1.7-2.0 times the hand-written numpy where this tape takes 1.15-1.3 times
(wall and CPU time, on a shared, loaded 2-core machine). The numpy
protocols make a tape of our own small (about 2,000 lines with the rule
tables and their docstrings), with the error messages and the Variable
integration the framework needs.

Example
-------
>>> import numpy as np
>>> from layergraph.framework import autodiff
>>> from layergraph.framework.variables import Variable
>>> w = Variable(np.array([[1.0, -1.0], [0.5, 2.0]]), "w")
>>> def call(x):
...     return np.maximum(np.matmul(x, w), 0.0).sum(axis=1)
>>> y, backward = autodiff.record(call, np.array([[1.0, 1.0]]), variables=[w])
>>> y
array([2.5])
>>> dx, (dw,) = backward(np.ones(1))
>>> dx.tolist(), dw.tolist()
([[0.0, 2.5]], [[1.0, 1.0], [1.0, 1.0]])
"""
from ._state import is_recording, paused
from .check import GradientComparison, check_gradients
from .errors import NotDifferentiableError, TracingError
from .opaque import record_opaque
from .tape import Backward, Tape, record
from .traced import Traceable, Traced, primitive, stop_gradient

__all__ = ["record", "record_opaque", "is_recording", "paused", "primitive", "stop_gradient", "check_gradients",
           "GradientComparison", "Traced", "Traceable", "Tape", "Backward", "TracingError", "NotDifferentiableError"]
