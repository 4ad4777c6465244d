"""The weight holder shared by layers, optimizers and gradient strategies.

A :class:`Variable` is a named numpy array that also works *as* an array in
numpy code: ``np.matmul(x, self.kernel) + self.bias`` works without
``.value``, outside a recording (plain arrays in, plain arrays out) and
inside one (:func:`layergraph.framework.autodiff.record`), where a watched
variable stands for its traced counterpart so that its gradient is
recorded.

:func:`stored_weight_shapes` makes the layers built inside a ``with`` block
create only weights of the shapes given, each shape as often as it is
given: loading a model file builds its architecture inside one, with the
shapes of the arrays the file stores, so an edited ``units`` of ``10**12``
is refused before anything is allocated (by
:meth:`Layer.add_weight <layergraph.framework.layers.Layer.add_weight>`,
which calls :func:`reserve_weight` first).

Example
-------
>>> with stored_weight_shapes([(2, 3), (3,)], "the file"):  # doctest: +ELLIPSIS
...     reserve_weight((2, 3), "Dense 'd'", "kernel")
...     reserve_weight((2, 3), "Dense 'e'", "kernel")
Traceback (most recent call last):
...
ValueError: Dense 'e': weight 'kernel' has shape (2, 3) ..., but the file stores no other ... yet: [(3,)])
"""
from __future__ import annotations

import collections
import contextlib
import threading

import numpy as np

from .autodiff import Traceable, TracingError, is_recording, stop_gradient
from .autodiff._state import _local as _recordings  # read directly on the layers' hot path (see _resolve)

__all__ = ["Variable", "stored_weight_shapes", "reserve_weight"]

class _StoredShapes(threading.local):
    """The :func:`stored_weight_shapes` block open in this thread (``None``: none)."""

    current = None


_stored = _StoredShapes()


@contextlib.contextmanager
def stored_weight_shapes(shapes, source):
    """Inside the block, each weight created must take the shape of one of ``shapes`` not taken yet.

    Parameters
    ----------
    shapes : iterable of tuple
        The shapes available (repeated shapes: once each).
    source : str
        What holds them, for messages (``"the file 'm.lg'"``).
    """
    previous = _stored.current
    _stored.current = (collections.Counter(tuple(s) for s in shapes), source)
    try:
        yield
    finally:
        _stored.current = previous


def reserve_weight(shape, owner, name):
    """Take ``shape`` from the current :func:`stored_weight_shapes` (outside one: nothing to check).

    Raises
    ------
    ValueError
        Naming the layer, the weight and its shape, when no stored shape is left to match it.
    """
    current = _stored.current
    if current is None:
        return
    left, source = current
    shape = tuple(shape)
    if left[shape] <= 0:
        unmatched = sorted(left.elements())
        listed = f"{unmatched[:6]}{' ...' if len(unmatched) > 6 else ''}"
        raise ValueError(f"{owner}: weight {name!r} has shape {shape} in the architecture, but {source} stores no "
                         f"other array of that shape (arrays not matched yet: {listed})")
    left[shape] -= 1


def _resolved(items):
    """``items`` with every Variable (also inside nested lists and tuples) resolved to what it stands for."""
    return [_resolve_deep(a) for a in items]


def _resolve_deep(a):
    if isinstance(a, Traceable):
        return a._resolve()
    if isinstance(a, (list, tuple)):
        return type(a)(_resolve_deep(b) for b in a)
    return a


class Variable(Traceable):
    """A named numpy array that a layer owns and an optimizer updates.

    Optimizers key their state by the ``Variable`` object itself (identity),
    never by its name, so two layers with equal names can never share state.
    For the same reason ``==`` and ``hash`` are by identity: ``v == w`` is
    ``v is w``, never elementwise. Use ``np.equal(v, x)`` to compare values.

    In numpy expressions a variable acts as its value: ``np.exp(v)``,
    ``x @ v``, ``v + 1``, ``v[0]``, ``v.T``, ``v < 0``. Inside a recording
    that watches it, it acts as its traced counterpart, so the expression is
    differentiated with respect to it; ``np.asarray(v)`` would silently cut
    that gradient there and raises instead.

    Parameters
    ----------
    value : numpy.ndarray
        Initial value; the variable keeps this array and updates it in place.
    name : str
        For messages and summaries, e.g. ``"dense/kernel"``.
    trainable : bool
        ``False`` for state such as batch-norm moving averages: it is saved
        and loaded but receives no gradient.

    Example
    -------
    >>> import numpy as np
    >>> v = Variable(np.array([1.0, 2.0]), "v")
    >>> np.exp(v * 0).tolist(), (v + v).tolist(), v.T.shape
    ([1.0, 1.0], [2.0, 4.0], (2,))
    >>> v.assign_add(np.array([0.5, 0.5])).tolist(), v.numpy().tolist()
    ([1.5, 2.5], [1.5, 2.5])
    >>> v == v, np.equal(v, np.array([1.5, 0.0])).tolist()
    (True, [True, False])
    """

    __slots__ = ("value", "name", "trainable")
    __array_priority__ = 100.0

    def __init__(self, value, name="variable", trainable=True):
        self.value = np.asarray(value)
        self.name = name
        self.trainable = trainable

    def _plain_value(self):
        return self.value

    def _resolve(self):
        # Outside a recording (every forward pass but the analytic strategy's recorded ones) this is
        # one call returning the array: built-in layers read their weights through it.
        return Traceable._resolve(self) if _recordings.tapes else self.value

    # -- array attributes ---------------------------------------------------------------
    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def ndim(self):
        return self.value.ndim

    @property
    def size(self):
        return self.value.size

    @property
    def T(self):
        return self._resolve().T

    def astype(self, dtype):
        """The value (traced inside a recording that watches this variable) cast to ``dtype``."""
        return self._resolve().astype(dtype)

    def numpy(self):
        """A copy of the current value."""
        return self.value.copy()

    # -- assignment (Keras names) -------------------------------------------------------------
    def assign(self, value):
        """Set the value to ``value`` (same shape; cast to this variable's dtype); return the new value.

        Outside a recording the array is updated in place, so every holder of
        ``variable.value`` sees the change. Inside a recording the assignment
        stores the plain value (a traced ``value`` is unwrapped: state
        updates are not differentiated) into a *new* array, because the tape
        still refers to the old one for the backward pass.

        Raises
        ------
        ValueError
            If the shapes differ; nothing is changed.
        TypeError
            If ``value`` is not numeric; nothing is changed.
        """
        new = np.asarray(stop_gradient(value))
        if new.dtype.kind not in "biuf":
            raise TypeError(f"Cannot assign a value of dtype {new.dtype} to variable {self.name!r}: it must be "
                            f"numeric")
        if new.shape != self.value.shape:
            raise ValueError(f"Cannot assign a value of shape {new.shape} to variable {self.name!r} "
                             f"of shape {self.value.shape}")
        if is_recording():
            self.value = new.astype(self.value.dtype, copy=True)
        else:
            self.value[...] = new
        return self.value

    def assign_add(self, delta):
        """``assign(value + delta)``; ``delta`` may broadcast to the shape. Returns the new value."""
        return self.assign(self.value + self._delta(delta, "add", "to"))

    def assign_sub(self, delta):
        """``assign(value - delta)``; ``delta`` may broadcast to the shape. Returns the new value."""
        return self.assign(self.value - self._delta(delta, "subtract", "from"))

    def _delta(self, delta, verb, preposition):
        """``delta`` as a plain array that broadcasts to this variable's shape, else ``ValueError``."""
        delta = np.asarray(stop_gradient(delta))
        try:
            fits = np.broadcast_shapes(delta.shape, self.value.shape) == self.value.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"Cannot {verb} a value of shape {delta.shape} {preposition} variable {self.name!r} "
                             f"of shape {self.value.shape}")
        return delta

    # -- the numpy protocols ------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        if is_recording() and self._is_watched():
            raise TracingError(
                f"variable {self.name!r} was converted to a plain numpy array (np.asarray, np.array) inside a "
                f"recording that differentiates it, which would cut its gradient; use it directly in numpy "
                f"expressions, or variable.value for a deliberate constant")
        if copy is False and dtype is not None and np.dtype(dtype) != self.value.dtype:
            raise ValueError(f"variable {self.name!r}: cannot convert {self.value.dtype} to {np.dtype(dtype)} "
                             f"without a copy")
        return np.array(self.value, dtype=dtype, copy=True) if copy else np.asarray(self.value, dtype=dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            if is_recording() and any(isinstance(o, Variable) for o in out):
                raise TracingError(
                    f"{ufunc.__name__}(..., out=variable) writes into a variable inside a recording; "
                    f"use variable.assign(...), assign_add or assign_sub")
            kwargs["out"] = tuple(o.value if isinstance(o, Variable) else o for o in out)
        return getattr(ufunc, method)(*_resolved(inputs), **kwargs)  # numpy's protocol: method is "__call__", "reduce"…

    def __array_function__(self, func, types, args, kwargs):
        return func(*_resolved(args), **dict(zip(kwargs, _resolved(tuple(kwargs.values())), strict=True)))

    # -- operators (as the resolved value's) ---------------------------------------------------
    def __getitem__(self, index):
        return self._resolve()[index]

    def __add__(self, other):
        return self._resolve() + other

    def __radd__(self, other):
        return other + self._resolve()

    def __sub__(self, other):
        return self._resolve() - other

    def __rsub__(self, other):
        return other - self._resolve()

    def __mul__(self, other):
        return self._resolve() * other

    def __rmul__(self, other):
        return other * self._resolve()

    def __truediv__(self, other):
        return self._resolve() / other

    def __rtruediv__(self, other):
        return other / self._resolve()

    def __pow__(self, other):
        return self._resolve() ** other

    def __rpow__(self, other):
        return other ** self._resolve()

    def __matmul__(self, other):
        return self._resolve() @ other

    def __rmatmul__(self, other):
        return other @ self._resolve()

    def __neg__(self):
        return -self._resolve()

    def __pos__(self):
        return +self._resolve()

    def __abs__(self):
        return abs(self._resolve())

    def __lt__(self, other):
        return self._resolve() < other

    def __le__(self, other):
        return self._resolve() <= other

    def __gt__(self, other):
        return self._resolve() > other

    def __ge__(self, other):
        return self._resolve() >= other

    def __eq__(self, other):
        """Identity, so that variables can key dicts and sit in lists; ``np.equal`` compares values."""
        return self is other

    def __ne__(self, other):
        return self is not other

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<Variable {self.name} shape={self.value.shape} dtype={self.value.dtype}>"
