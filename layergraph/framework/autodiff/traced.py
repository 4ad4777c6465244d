"""The traced array and the two numpy protocols that record its ops.

A :class:`Traced` wraps a plain array (``value``) together with its tape and
its position on it. numpy hands every ufunc call that involves one to
:meth:`Traced.__array_ufunc__` (NEP 13) and every other public function to
:meth:`Traced.__array_function__` (NEP 18). Both unwrap the arguments, run
the real numpy code on plain arrays, and push one node (the VJP rule, the
output, the plain arguments and the traced parents) onto the tape. The
operators (``+``, ``@``, ``x[i]``, ``.T``, ``.sum()``) go straight to the same
two entry points.

:class:`Traceable` is the base class of objects that *stand for* an array,
like :class:`~layergraph.framework.variables.Variable`: inside a recording
that watches one, it resolves to its traced counterpart, elsewhere to its
plain value.

:func:`primitive` turns a function on plain arrays plus a VJP rule into a
differentiable op (how :mod:`layergraph.framework.ops` defines ``softmax``
and ``conv``).
"""
from __future__ import annotations

import functools

import numpy as np

from ._state import _local, active_tapes
from .composites import COMPOSITES
from .errors import HOW_TO_GO_ON as _HOW_TO_GO_ON
from .errors import NotDifferentiableError, TracingError, op_name, owner_prefix
from .function_vjps import FUNCTION_VJPS, IN_PLACE_FUNCTIONS, NONDIFF_FUNCTIONS, FunctionRule, check_call, getitem_vjp
from .ufunc_vjps import NONDIFF_UFUNCS, UFUNC_VJPS

__all__ = ["Traced", "Traceable", "apply_ufunc", "apply_function", "primitive", "stop_gradient"]


class Traceable:
    """Base class of objects that stand for an array and may be watched by a recording.

    Subclasses implement :meth:`_plain_value`. Inside a recording that
    watches the object (``record(..., variables=[obj])``), :meth:`_resolve`
    returns its :class:`Traced` counterpart; otherwise the plain value. The
    dispatch in this module resolves a ``Traceable`` wherever it meets one
    among an op's arguments.
    """

    __slots__ = ()

    def _plain_value(self):
        """The array this object stands for."""
        raise NotImplementedError

    def _resolve(self):
        """The traced counterpart in the innermost recording that watches this object, else the plain value."""
        tapes = _local.tapes
        if tapes:
            key = id(self)
            for tape in reversed(tapes):
                traced = tape.watched.get(key)
                if traced is not None:
                    return traced
        return self._plain_value()

    def _is_watched(self):
        """Whether an active recording watches this object."""
        key = id(self)
        return any(key in tape.watched for tape in active_tapes())


def _split(a):
    """``(plain value, Traced or None)`` for one argument, resolving a :class:`Traceable`."""
    if type(a) is Traced:
        return a.value, a
    if isinstance(a, Traceable):
        a = a._resolve()
        if type(a) is Traced:
            return a.value, a
    return a, None


def _same_tape(tape, traced, op):
    """The tape of ``traced``, which must be ``tape`` when one is already known."""
    if tape is None or traced._tape is tape:
        return traced._tape
    raise TracingError(
        f"{owner_prefix(traced._tape.name)}{op_name(op)} mixes values of two different recordings "
        f"(a traced value escaped its recording, or reached a nested one); pass plain arrays between "
        f"recordings")


def _check_no_out(op, kwargs, tape_name):
    """Refuse ``out=`` (an in-place write) and ``where=`` (outputs left unwritten)."""
    out = kwargs.get("out")
    if out is not None:
        if tape_name is None:  # the inputs were plain: name the recording of a traced out= array
            tape_name = next((o._tape.name for o in (out if isinstance(out, tuple) else (out,))
                              if type(o) is Traced), None)
        raise TracingError(
            f"{owner_prefix(tape_name)}{op_name(op)} with out= writes in place, which the tape cannot "
            f"differentiate; assign the result to a new name instead (y = {op_name(op)}(...))")
    if "where" in kwargs:
        raise NotDifferentiableError(
            f"{owner_prefix(tape_name)}{op_name(op)} with where= is not differentiable here; "
            f"use np.where on the result instead, or {_HOW_TO_GO_ON}")


def _is_float(ans):
    return isinstance(ans, (np.ndarray, np.generic)) and ans.dtype.kind == "f"


# One adapter per ufunc, made once: the tape calls every rule as vjp(path, g, ans, *args, **kwargs).
def _ufunc_adapter(rules):
    def vjp(path, g, ans, *args, **kwargs):
        return rules[path](g, ans, *args)

    return vjp


_NO_KWARGS = {}  # shared, never written: `**_NO_KWARGS` only reads it
# Keywords that leave a ufunc's maths alone (matmul's axes= or keepdims= would change what the rules assume).
_PLAIN_UFUNC_KWARGS = frozenset({"dtype", "casting", "order", "subok"})

_UFUNC_ADAPTERS = {ufunc: _ufunc_adapter(rules) for ufunc, rules in UFUNC_VJPS.items()}


def apply_ufunc(ufunc, inputs, kwargs):
    """Run ``ufunc(*inputs, **kwargs)`` on plain values and record it when an input is traced.

    ``kwargs`` may be ``None`` (the operators pass none). This is the hot
    path of the tracer: traced arguments are recognised by exact type.
    """
    kwargs = kwargs or _NO_KWARGS
    tape = None
    parents = []
    values = list(inputs)
    for i, a in enumerate(inputs):
        if type(a) is not Traced:
            if not isinstance(a, Traceable):
                continue
            a = a._resolve()
            if type(a) is not Traced:
                values[i] = a
                continue
        if tape is None:
            tape = a._tape
        elif a._tape is not tape:
            _same_tape(tape, a, ufunc)
        values[i] = a.value
        parents.append((a._index, i))
    if kwargs:
        _check_no_out(ufunc, kwargs, tape.name if tape is not None else None)
        if tape is not None and not _PLAIN_UFUNC_KWARGS.issuperset(kwargs):
            odd = ", ".join(f"{key}=" for key in kwargs if key not in _PLAIN_UFUNC_KWARGS)
            raise NotDifferentiableError(f"{owner_prefix(tape.name)}{op_name(ufunc)} with {odd} is not "
                                         f"differentiable here; {_HOW_TO_GO_ON}")
    if tape is None:  # e.g. only unwatched variables, or a traced array given only as out=
        return ufunc(*values, **kwargs)
    vjp = _UFUNC_ADAPTERS.get(ufunc)
    if vjp is None:
        if ufunc in NONDIFF_UFUNCS:
            return ufunc(*values, **kwargs)
        raise NotDifferentiableError(
            f"{owner_prefix(tape.name)}{op_name(ufunc)} has no gradient rule in layergraph's autodiff; "
            f"{_HOW_TO_GO_ON}")
    ans = ufunc(*values, **kwargs)
    if kwargs and not _is_float(ans):  # dtype= asked for integers: a constant
        return ans
    return tape.push(vjp, ans, values, None, parents)


_REDUCTIONS = {np.add: np.sum, np.multiply: np.prod, np.maximum: np.max, np.minimum: np.min}


def _ufunc_method(ufunc, method, inputs, kwargs):
    """``np.add.reduce``, ``np.add.accumulate``, ``np.multiply.outer`` ... as the functions they equal."""
    if method == "at":
        tape = next((t._tape for t in inputs if type(t) is Traced), None)
        raise TracingError(f"{owner_prefix(tape.name if tape else None)}{op_name(ufunc)}.at writes in place, "
                           f"which the tape cannot differentiate; build a new array instead")
    if method == "outer" and len(inputs) == 2:
        a, b = inputs
        return ufunc(np.reshape(a, np.shape(a) + (1,) * np.ndim(b)), b, **kwargs)
    axis = kwargs.pop("axis", 0)
    if method == "reduce" and ufunc in _REDUCTIONS:
        return _REDUCTIONS[ufunc](inputs[0], axis=axis, **kwargs)
    if method == "accumulate" and ufunc is np.add:
        return np.cumsum(inputs[0], axis=axis, **kwargs)
    tape = next((t._tape for t in inputs if type(t) is Traced), None)
    raise NotDifferentiableError(f"{owner_prefix(tape.name if tape else None)}{op_name(ufunc)}.{method} "
                                 f"has no gradient rule in layergraph's autodiff; {_HOW_TO_GO_ON}")


def apply_function(rule, func, args, kwargs):
    """Run ``func`` on plain values and record it with ``rule`` when a differentiable argument is traced."""
    tape = None
    parents = []
    values = list(args)
    for i, a in enumerate(args):
        if rule.sequence and i == 0 and type(a) is Traced:  # np.stack(x): the sequence of x's rows
            a = list(a)
        if rule.sequence and i == 0 and isinstance(a, (list, tuple)):
            items = list(a)
            for j, item in enumerate(items):
                value, traced = _split(item)
                items[j] = value
                if traced is not None:
                    tape = _same_tape(tape, traced, func)
                    parents.append((traced._index, (0, j)))
            values[0] = items
            continue
        value, traced = _split(a)
        values[i] = value
        if traced is not None:
            tape = _same_tape(tape, traced, func)
            if i in rule.differentiable:
                parents.append((traced._index, i))
            elif i not in rule.constant:
                _refuse_argument(func, i, tape)
    plain_kwargs = kwargs
    if kwargs:
        plain_kwargs = {}
        for key, a in kwargs.items():
            value, traced = _split(a)
            plain_kwargs[key] = value
            if traced is not None:
                tape = _same_tape(tape, traced, func)
                if key in rule.differentiable:
                    parents.append((traced._index, key))
                elif key not in rule.constant:
                    _refuse_argument(func, key, tape)
        _check_no_out(func, kwargs, tape.name if tape is not None else None)
    if tape is None or not parents:
        return func(*values, **plain_kwargs)
    if rule.check is not None:
        check_call(rule, func, values, plain_kwargs, owner_prefix(tape.name))
    ans = func(*values, **plain_kwargs)
    if not _is_float(ans):
        return ans
    return tape.push(rule.vjp, ans, values, plain_kwargs or None, parents)


def _refuse_argument(func, key, tape):
    what = f"argument {key}" if isinstance(key, int) else f"argument {key!r}"
    raise NotDifferentiableError(
        f"{owner_prefix(tape.name)}{op_name(func)} cannot be differentiated with respect to its {what}; "
        f"pass a constant there, or {_HOW_TO_GO_ON}")


def _plain_deep(a):
    """``a`` with every traced value (also inside lists, tuples and dicts) replaced by its plain value."""
    if type(a) is Traced:
        return a.value
    if isinstance(a, Traceable):
        return _split(a)[0]
    if isinstance(a, (list, tuple)):
        return type(a)(_plain_deep(item) for item in a)
    if isinstance(a, dict):
        return {k: _plain_deep(v) for k, v in a.items()}
    return a


def _first_tape(items):
    for a in items:
        if type(a) is Traced:
            return a._tape
        if isinstance(a, (list, tuple)):
            tape = _first_tape(a)
            if tape is not None:
                return tape
    return None


class Traced:
    """An array recorded on a tape: what ``call()`` receives inside a recording.

    It supports what user code does with arrays: numpy functions and ufuncs
    (through the dispatch protocols), the arithmetic and comparison
    operators, indexing and slicing, and the common methods and attributes
    (``shape``, ``dtype``, ``ndim``, ``size``, ``T``, ``reshape``, ``sum`` ...).
    Comparisons, ``argmax`` and friends return plain arrays.

    It refuses what would lose the gradient: writing into it
    (``x[i] = v``), ``out=`` arguments, and conversion to a plain ndarray
    (``np.asarray(x)``). ``x += 1`` is fine: it makes a new traced value and
    rebinds the name.

    Attributes
    ----------
    value : numpy.ndarray or numpy.generic
        The plain array. Reading it is a deliberate stop-gradient.
    """

    __slots__ = ("value", "_tape", "_index")
    __array_priority__ = 1000.0
    __hash__ = None

    def __init__(self, value, tape, index):
        self.value = value
        self._tape = tape
        self._index = index

    # -- the numpy protocols -------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__":
            return apply_ufunc(ufunc, inputs, kwargs)
        if kwargs.get("out") is not None:
            _check_no_out(ufunc, kwargs, self._tape.name)
        return _ufunc_method(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        rule = FUNCTION_VJPS.get(func)
        if rule is not None:
            return apply_function(rule, func, args, kwargs)
        if func in NONDIFF_FUNCTIONS:
            return func(*_plain_deep(args), **_plain_deep(kwargs))
        composite = COMPOSITES.get(func)
        if composite is not None:  # rewritten into ops that are recorded one by one
            return composite(*args, **kwargs)
        tape = _first_tape(args) or self._tape
        if func in IN_PLACE_FUNCTIONS:
            raise TracingError(f"{owner_prefix(tape.name)}{op_name(func)} writes into an array in place, which "
                               f"the tape cannot differentiate; build a new array instead (np.where, np.concatenate)")
        raise NotDifferentiableError(f"{owner_prefix(tape.name)}{op_name(func)} has no gradient rule in "
                                     f"layergraph's autodiff; {_HOW_TO_GO_ON}")

    def __array__(self, dtype=None, copy=None):
        if self._tape.closed:  # e.g. a kept traced value given to an ops primitive after its recording
            self._tape.refuse_closed()
        raise TracingError(
            f"{owner_prefix(self._tape.name)}a traced array of shape {np.shape(self.value)} was converted to a plain "
            f"numpy array (np.asarray, np.array, or a list of traced values), which would cut its gradient; "
            f"use np.stack for lists, layergraph.ops.convert_to_tensor(x) to accept arrays and traced values alike, "
            f"or layergraph.ops.stop_gradient(x) for a deliberate constant")

    # -- array attributes ------------------------------------------------------------------
    @property
    def shape(self):
        return np.shape(self.value)

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def ndim(self):
        return np.ndim(self.value)

    @property
    def size(self):
        return np.size(self.value)

    @property
    def T(self):
        return apply_function(FUNCTION_VJPS[np.transpose], np.transpose, (self,), {})

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        return (self[i] for i in range(len(self.value)))

    def __repr__(self):
        return f"Traced({self.value!r})"

    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    # -- indexing ---------------------------------------------------------------------
    def __getitem__(self, index):
        index = _plain_deep(index)
        return self._tape.push(getitem_vjp, self.value[index], (self.value, index), None, ((self._index, 0),))

    def __setitem__(self, index, value):
        raise TracingError(
            f"{owner_prefix(self._tape.name)}writing into a traced array (x[...] = v) is not differentiable; "
            f"build a new array instead (np.where(mask, v, x), np.concatenate, np.pad)")

    # -- operators (straight to the ufunc entry point, skipping numpy's dispatch) -------
    def __add__(self, other):
        return apply_ufunc(np.add, (self, other), None)

    def __radd__(self, other):
        return apply_ufunc(np.add, (other, self), None)

    def __sub__(self, other):
        return apply_ufunc(np.subtract, (self, other), None)

    def __rsub__(self, other):
        return apply_ufunc(np.subtract, (other, self), None)

    def __mul__(self, other):
        return apply_ufunc(np.multiply, (self, other), None)

    def __rmul__(self, other):
        return apply_ufunc(np.multiply, (other, self), None)

    def __truediv__(self, other):
        return apply_ufunc(np.true_divide, (self, other), None)

    def __rtruediv__(self, other):
        return apply_ufunc(np.true_divide, (other, self), None)

    def __floordiv__(self, other):
        return apply_ufunc(np.floor_divide, (self, other), None)

    def __rfloordiv__(self, other):
        return apply_ufunc(np.floor_divide, (other, self), None)

    def __mod__(self, other):
        return apply_ufunc(np.remainder, (self, other), None)

    def __rmod__(self, other):
        return apply_ufunc(np.remainder, (other, self), None)

    def __pow__(self, other):
        return apply_ufunc(np.power, (self, other), None)

    def __rpow__(self, other):
        return apply_ufunc(np.power, (other, self), None)

    def __matmul__(self, other):
        return apply_ufunc(np.matmul, (self, other), None)

    def __rmatmul__(self, other):
        return apply_ufunc(np.matmul, (other, self), None)

    def __neg__(self):
        return apply_ufunc(np.negative, (self,), None)

    def __pos__(self):
        return self

    def __abs__(self):
        return apply_ufunc(np.absolute, (self,), None)

    def __lt__(self, other):
        return apply_ufunc(np.less, (self, other), None)

    def __le__(self, other):
        return apply_ufunc(np.less_equal, (self, other), None)

    def __gt__(self, other):
        return apply_ufunc(np.greater, (self, other), None)

    def __ge__(self, other):
        return apply_ufunc(np.greater_equal, (self, other), None)

    def __eq__(self, other):
        return apply_ufunc(np.equal, (self, other), None)

    def __ne__(self, other):
        return apply_ufunc(np.not_equal, (self, other), None)

    # -- methods (the numpy functions of the same name) --------------------------------------
    def reshape(self, *shape, order="C"):
        shape = shape[0] if len(shape) == 1 else shape
        return np.reshape(self, shape, order=order)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 else (axes or None)
        return np.transpose(self, axes)

    def swapaxes(self, axis1, axis2):
        return np.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        return np.squeeze(self, axis)

    def ravel(self, order="C"):
        return np.ravel(self, order)

    def flatten(self, order="C"):
        return np.ravel(self, order)  # a new traced value: never shares writes with self

    def sum(self, axis=None, dtype=None, keepdims=False):
        return np.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return np.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False):
        return np.prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def var(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return np.var(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, dtype=None, ddof=0, keepdims=False):
        return np.std(self, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis=None, dtype=None):
        return np.cumsum(self, axis=axis, dtype=dtype)

    def clip(self, min=None, max=None):
        return np.clip(self, min, max)

    def dot(self, b):
        return np.dot(self, b)

    def take(self, indices, axis=None, mode="raise"):
        return np.take(self, indices, axis=axis, mode=mode)

    def astype(self, dtype, copy=True):
        ans = self.value.astype(dtype)
        if not _is_float(ans):
            return ans
        return self._tape.push(_cast_vjp, ans, (self.value,), None, ((self._index, 0),))

    def copy(self):
        return np.copy(self)

    def argmax(self, axis=None):
        return np.argmax(self.value, axis=axis)

    def argmin(self, axis=None):
        return np.argmin(self.value, axis=axis)

    def argsort(self, axis=-1):
        return np.argsort(self.value, axis=axis)

    def nonzero(self):
        return np.nonzero(self.value)

    def any(self, axis=None, keepdims=False):
        return np.any(self.value, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return np.all(self.value, axis=axis, keepdims=keepdims)

    def round(self, decimals=0):
        return np.round(self.value, decimals)

    def item(self, *args):
        return self.value.item(*args)

    def tolist(self):
        return self.value.tolist()


def _cast_vjp(path, g, ans, x):
    return g  # the tape casts the gradient back to x's dtype


def primitive(vjp, differentiable=frozenset({0}), constant=frozenset(), sequence=False):
    """Decorator: a function on plain arrays becomes an op the tape can differentiate.

    Outside a recording the decorated function runs as written, with no
    overhead but one check. Inside one, traced (and watched
    :class:`Traceable`) arguments are unwrapped, the function runs on plain
    arrays, and one node with ``vjp`` is recorded.

    Parameters
    ----------
    vjp : callable
        ``vjp(path, g, ans, *args, **kwargs) -> gradient`` for the argument at
        ``path`` (its position, or its keyword name).
    differentiable, constant, sequence
        As in :class:`~layergraph.framework.autodiff.function_vjps.FunctionRule`.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.framework import autodiff
    >>> @autodiff.primitive(lambda path, g, ans, x: g * 3 * x ** 2)
    ... def cube(x):
    ...     return np.asarray(x) ** 3
    >>> y, backward = autodiff.record(cube, np.array([1.0, 2.0]))
    >>> y.tolist(), backward(np.ones(2))[0].tolist()
    ([1.0, 8.0], [3.0, 12.0])
    """
    if isinstance(differentiable, (int, str)):
        differentiable = (differentiable,)
    rule = FunctionRule(vjp, frozenset(differentiable), frozenset(constant), sequence)

    def decorate(fn):
        @functools.wraps(fn)
        def op(*args, **kwargs):
            if not active_tapes():
                return fn(*args, **kwargs)
            return apply_function(rule, fn, args, kwargs)

        op.vjp_rule = rule
        return op

    return decorate


def stop_gradient(x):
    """The plain value of ``x``: a constant for the tape (``keras.ops.stop_gradient``).

    Plain arrays come back unchanged; a watched variable gives its plain
    value.

    Parameters
    ----------
    x : array-like, traced value or Variable
        The value to treat as a constant.

    Example
    -------
    >>> stop_gradient(np.array([1.0, 2.0])).tolist()
    [1.0, 2.0]
    """
    if type(x) is Traced:
        return x.value
    if isinstance(x, Traceable):
        return x._plain_value()
    return x

