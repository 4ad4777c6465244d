r"""Vector-Jacobian products of numpy functions (those dispatched by ``__array_function__``).

:data:`FUNCTION_VJPS` maps a numpy function to a :class:`FunctionRule`. Its
``vjp(path, g, ans, *args, **kwargs)`` receives the output gradient ``g``,
the output ``ans`` and the call's own arguments with every traced value
replaced by its plain array, and returns the gradient for the argument at
``path``: an int for a positional argument, ``(0, j)`` for the ``j``-th
array of a sequence argument (``concatenate``, ``stack``), or the keyword's
name. The tape sums a gradient that is larger than its input because of
broadcasting back to the input's shape and casts it to the input's dtype,
so a rule may return ``g`` itself for a broadcast (``broadcast_to``) or a
cast (``astype``).

The rules, by family (:math:`\bar y` is the output gradient ``g``):

- **Reductions** ``sum``, ``mean``: reinsert the reduced axes and broadcast
  :math:`\bar y` (``mean`` divides by the count). ``max``/``min``: the
  gradient goes to the elements equal to the result, split equally among
  ties. ``prod``: :math:`\bar y` times the product of all *other* elements
  (exclusive cumulative products from both ends, exact with zeros).
  ``var``: :math:`2 (x - \bar x) / (N - \mathrm{ddof})`; ``std``: that over
  :math:`2\,\mathrm{std}`. ``cumsum``: reversed cumulative sum.
  ``linalg.norm`` (2-norm, Frobenius): :math:`x / \lVert x \rVert`.
- **Shape** ``reshape``, ``ravel``, ``expand_dims``, ``squeeze``: reshape
  back; ``transpose``: the inverse permutation; ``swapaxes``, ``moveaxis``,
  ``flip``, ``roll``: the same move backwards; ``broadcast_to``: sum.
- **Joining** ``concatenate``, ``stack``: each input gets its slice of
  :math:`\bar y`. **Selecting** ``where``: :math:`\bar y` where the
  condition holds (``x``) or not (``y``); ``clip``: :math:`\bar y` inside the
  bounds, the rest to the bound that was active; ``take``,
  ``take_along_axis`` and indexing (:func:`getitem_vjp`): scatter-add into
  zeros (``np.add.at`` when indices may repeat); ``pad``: the interior slice.
- **Products** ``dot``, ``tensordot``: contract :math:`\bar y` with the
  other operand over its free axes, then put the axes back in order;
  ``einsum``: another ``einsum`` from the output and the other operands'
  subscripts to this operand's; ``outer``: a matrix-vector product.

:data:`NONDIFF_FUNCTIONS` (``argmax``, ``shape``, ``zeros_like``, ``round``
...) run on the plain values and return plain results, constants for the
tape. :data:`IN_PLACE_FUNCTIONS` write into an argument and are refused.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from ._shapes import expand_reduced, normalize_axes, reduced_count
from .errors import HOW_TO_GO_ON, NotDifferentiableError, op_name

__all__ = ["FunctionRule", "FUNCTION_VJPS", "NONDIFF_FUNCTIONS", "IN_PLACE_FUNCTIONS", "getitem_vjp",
           "tensordot_vjp"]


class FunctionRule(NamedTuple):
    """How to differentiate one function.

    Attributes
    ----------
    vjp : callable
        ``vjp(path, g, ans, *args, **kwargs) -> gradient`` (see the module docstring).
    differentiable : frozenset
        Positions (ints) and keyword names whose traced values receive gradients.
    constant : frozenset
        Positions and names whose traced values are used as constants
        (``where``'s condition, ``take``'s indices). A traced value anywhere
        else is an error, never a silently lost gradient.
    sequence : bool
        Argument 0 is a sequence of arrays (``concatenate``, ``stack``).
    check : callable or None
        ``check(args, kwargs)`` on the plain arguments, returning ``None`` or a
        sentence saying why this call cannot be differentiated (``pad`` with
        ``mode="edge"``, an ``einsum`` with a repeated index).
    """

    vjp: Callable
    differentiable: frozenset = frozenset({0})
    constant: frozenset = frozenset()
    sequence: bool = False
    check: Callable | None = None


# -- reductions -----------------------------------------------------------------------

def _sum_vjp(path, g, ans, a, axis=None, dtype=None, out=None, keepdims=False, **_):
    return np.broadcast_to(expand_reduced(g, np.shape(a), axis, keepdims), np.shape(a))


def _mean_vjp(path, g, ans, a, axis=None, dtype=None, out=None, keepdims=False, **_):
    shape = np.shape(a)
    return np.broadcast_to(expand_reduced(g, shape, axis, keepdims) / reduced_count(shape, axis), shape)


def _extremum_vjp(path, g, ans, a, axis=None, out=None, keepdims=False, **_):
    shape = np.shape(a)
    winners = a == expand_reduced(ans, shape, axis, keepdims)
    # Ties share the gradient; an `initial=` that beats every element leaves count 0.
    count = np.maximum(np.sum(winners, axis=normalize_axes(axis, len(shape)), keepdims=True), 1)
    return expand_reduced(g, shape, axis, keepdims) * winners / count


def _exclusive_product(x, axis):
    """The product of all elements of ``x`` along ``axis`` except each one (no division)."""
    ones = np.ones_like(np.take(x, [0], axis=axis))
    before = np.cumprod(np.concatenate([ones, np.delete(x, -1, axis=axis)], axis=axis), axis=axis)
    flipped = np.flip(x, axis=axis)
    after = np.flip(np.cumprod(np.concatenate([ones, np.delete(flipped, -1, axis=axis)], axis=axis), axis=axis),
                    axis=axis)
    return before * after


def _prod_vjp(path, g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, **_):
    a = np.asarray(a)
    axes = normalize_axes(axis, a.ndim)
    if not axes:
        others = np.ones_like(a)
    else:
        # Move the reduced axes to the end and merge them into one.
        rest = [i for i in range(a.ndim) if i not in axes]
        moved = np.transpose(a, rest + list(axes))
        merged = moved.reshape(moved.shape[:len(rest)] + (-1,))
        others = _exclusive_product(merged, -1).reshape(moved.shape)
        others = np.transpose(others, np.argsort(rest + list(axes)))
    if initial is not None:
        others = others * initial
    return expand_reduced(g, a.shape, axis, keepdims) * others


def _moments(a, axis, ddof, correction):
    ddof = ddof if correction is None else correction
    shape = np.shape(a)
    centred = a - np.mean(a, axis=normalize_axes(axis, len(shape)), keepdims=True)
    return centred, reduced_count(shape, axis) - ddof


def _var_vjp(path, g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None, **_):
    centred, n = _moments(a, axis, ddof, correction)
    return expand_reduced(g, np.shape(a), axis, keepdims) * (2.0 / n) * centred


def _std_vjp(path, g, ans, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None, **_):
    centred, n = _moments(a, axis, ddof, correction)
    shape = np.shape(a)
    return expand_reduced(g, shape, axis, keepdims) * centred / (n * expand_reduced(ans, shape, axis, keepdims))


def _cumsum_vjp(path, g, ans, a, axis=None, dtype=None, out=None):
    if axis is None:
        return np.flip(np.cumsum(np.flip(g))).reshape(np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _norm_check(args, kwargs):
    x = args[0]
    ord_ = args[1] if len(args) > 1 else kwargs.get("ord")
    axis = args[2] if len(args) > 2 else kwargs.get("axis")
    vector = np.ndim(x) == 1 if axis is None else isinstance(axis, (int, np.integer)) or len(axis) == 1
    if ord_ is None or ord_ == "fro" or (ord_ == 2 and vector):
        return None
    return f"only the 2-norm and the Frobenius norm (ord=None, 'fro', or 2 for vectors) are supported, got ord={ord_!r}"


def _norm_vjp(path, g, ans, x, ord=None, axis=None, keepdims=False):
    shape = np.shape(x)
    norm = expand_reduced(ans, shape, axis, keepdims)
    return expand_reduced(g, shape, axis, keepdims) * x / np.where(norm == 0, 1, norm)


# -- shapes ---------------------------------------------------------------------------

def _reshape_vjp(path, g, ans, a, *args, order="C", **_):
    return np.reshape(g, np.shape(a), order=order)


def _ravel_vjp(path, g, ans, a, order="C"):
    return np.reshape(g, np.shape(a), order=order)


def _same_shape_vjp(path, g, ans, a, *args, **kwargs):
    """``expand_dims``, ``squeeze``: reshape the gradient back."""
    return np.reshape(g, np.shape(a))


def _identity_vjp(path, g, ans, *args, **kwargs):
    """``copy``, ``astype``, ``broadcast_to``: the tape casts and sums as needed."""
    return g


def _transpose_vjp(path, g, ans, a, axes=None):
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([int(ax) % np.ndim(a) for ax in axes]))


def _swapaxes_vjp(path, g, ans, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


def _matrix_transpose_vjp(path, g, ans, x):
    return np.swapaxes(g, -1, -2)


def _moveaxis_vjp(path, g, ans, a, source, destination):
    return np.moveaxis(g, destination, source)


def _flip_vjp(path, g, ans, m, axis=None):
    return np.flip(g, axis)


def _roll_vjp(path, g, ans, a, shift, axis=None):
    return np.roll(g, np.negative(shift), axis)


# -- joining and selecting ------------------------------------------------------------

def _concatenate_vjp(path, g, ans, arrays, axis=0, out=None, **_):
    j = path[1]
    if axis is None:
        sizes = [np.size(a) for a in arrays]
        start = sum(sizes[:j])
        return g[start:start + sizes[j]].reshape(np.shape(arrays[j]))
    sizes = [np.shape(a)[axis] for a in arrays]
    start = sum(sizes[:j])
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + sizes[j])
    return g[tuple(index)]


def _stack_vjp(path, g, ans, arrays, axis=0, out=None, **_):
    return np.take(g, path[1], axis=axis)


def _where_vjp(path, g, ans, condition, x, y):
    return np.where(condition, g, 0) if path == 1 else np.where(condition, 0, g)


_CLIP_LOWER = frozenset({1, "a_min", "min"})


def _clip_vjp(path, g, ans, a, a_min=None, a_max=None, out=None, *, min=None, max=None, **_):
    lower = a_min if a_min is not None else min
    upper = a_max if a_max is not None else max
    if path == 0 or path == "a":
        inside = np.ones(np.shape(a), dtype=bool)
        if lower is not None:
            inside &= a >= lower
        if upper is not None:
            inside &= a <= upper
        return np.where(inside, g, 0)
    if path in _CLIP_LOWER:
        return np.where(a < lower, g, 0)
    return np.where(a > upper, g, 0)


def _scatter_add(shape, dtype, index, g):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=dtype)
    np.add.at(out, index, g)
    return out


def _is_basic_index(index):
    """Whether ``x[index]`` can repeat no element: ints, slices, None, Ellipsis and boolean masks."""
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        if isinstance(item, (slice, int, np.integer)) or item is None or item is Ellipsis:
            continue
        if isinstance(item, np.ndarray) and item.dtype == bool:
            continue
        return False
    return True


def getitem_vjp(path, g, ans, x, index):
    """dL/dx of ``x[index]``: ``g`` written (or, for integer arrays, added) into zeros shaped like ``x``."""
    if _is_basic_index(index):
        out = np.zeros(np.shape(x), dtype=g.dtype)
        out[index] = g
        return out
    return _scatter_add(np.shape(x), g.dtype, index, g)


def _take_vjp(path, g, ans, a, indices, axis=None, out=None, mode="raise"):
    shape = np.shape(a)
    size = int(np.prod(shape)) if axis is None else shape[axis]
    indices = np.asarray(indices)
    if mode == "clip":
        indices = np.clip(indices, 0, size - 1)
    else:  # "raise" (already validated by the forward pass) or "wrap"; negative indices wrap
        indices = np.mod(indices, size)
    if axis is None:
        return _scatter_add(int(np.prod(shape)), g.dtype, indices, g).reshape(shape)
    axis = axis % len(shape)
    out = np.zeros(shape, dtype=g.dtype)
    # Bring the indexed axis to the front of `out` and the index axes to the front of `g`.
    np.add.at(np.moveaxis(out, axis, 0), indices,
              np.moveaxis(g, list(range(axis, axis + indices.ndim)), list(range(indices.ndim))))
    return out


def _take_along_axis_vjp(path, g, ans, arr, indices, axis=-1):
    shape = np.shape(arr)
    if axis is None:
        return _scatter_add(int(np.prod(shape)), g.dtype, indices, g).reshape(shape)
    axis = axis % len(shape)
    grid = list(np.ogrid[tuple(slice(n) for n in g.shape)])  # g has the output's (broadcast) shape
    grid[axis] = indices
    return _scatter_add(shape, g.dtype, tuple(grid), g)


def _pad_check(args, kwargs):
    mode = args[2] if len(args) > 2 else kwargs.get("mode", "constant")
    return None if mode == "constant" else f"only mode='constant' is supported, got mode={mode!r}"


def _pad_vjp(path, g, ans, array, pad_width, *args, **kwargs):
    shape = np.shape(array)
    # numpy's own rule: an int, one (before, after) pair, or one pair per axis.
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (len(shape), 2))
    return g[tuple(slice(before, before + n) for (before, _), n in zip(widths, shape, strict=True))]


def _nan_to_num_vjp(path, g, ans, x, *args, **kwargs):
    return np.where(np.isfinite(x), g, 0)


# -- products ---------------------------------------------------------------------------

def _tensordot_axes(a_ndim, b_ndim, axes):
    """``axes`` of ``np.tensordot`` as two lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        return list(range(a_ndim - axes, a_ndim)), list(range(int(axes)))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    return [int(i) % a_ndim for i in a_axes], [int(i) % b_ndim for i in b_axes]


def tensordot_vjp(g, a, b, axes, which):
    """dL/da (``which=0``) or dL/db of ``np.tensordot(a, b, axes)``.

    The output's axes are ``a``'s free axes then ``b``'s. Contracting ``g``
    with the other operand over its free axes leaves this operand's free
    axes followed by its summed axes in the other operand's order; one
    transpose restores this operand's own order.
    """
    a_axes, b_axes = _tensordot_axes(np.ndim(a), np.ndim(b), axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    if which == 0:
        grad = np.tensordot(g, b, axes=(list(range(len(a_free), np.ndim(g))), b_free))
        order = a_free + [a_axes[b_axes.index(i)] for i in sorted(b_axes)]
    else:
        grad = np.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))
        order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return np.transpose(grad, np.argsort(order))


def _tensordot_vjp(path, g, ans, a, b, axes=2):
    return tensordot_vjp(g, a, b, axes, path)


def _dot_vjp(path, g, ans, a, b, out=None):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return g * (b if path == 0 else a)
    axes = ([np.ndim(a) - 1], [max(np.ndim(b) - 2, 0)])
    return tensordot_vjp(g, a, b, axes, path)


def _outer_vjp(path, g, ans, a, b, out=None):
    if path == 0:
        return (g @ np.ravel(b)).reshape(np.shape(a))
    return (np.ravel(a) @ g).reshape(np.shape(b))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_parse(subscripts, operands):
    """Explicit per-operand and output subscripts, with ``...`` spelled out as letters."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    inputs = inputs.split(",")
    spare = [c for c in _LETTERS if c not in subscripts]
    ell_ndim = max((np.ndim(op) - (len(s) - 3) for s, op in zip(inputs, operands, strict=True) if "..." in s),
                   default=0)
    ell = "".join(spare[:ell_ndim])
    spelled = []
    for s, op in zip(inputs, operands, strict=True):
        if "..." in s:
            n = np.ndim(op) - (len(s) - 3)
            s = s.replace("...", ell[ell_ndim - n:] if n else "")
        spelled.append(s)
    if arrow:
        output = output.replace("...", ell)
    else:  # implicit mode: the ellipsis letters, then the labels used once, sorted
        counts = "".join(spelled)
        output = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ell))
    return spelled, output


def _einsum_check(args, kwargs):
    if not isinstance(args[0], str):
        return "only the subscripts-string form np.einsum('ij,jk->ik', a, b) is supported"
    inputs, _ = _einsum_parse(args[0], args[1:])
    for s in inputs:
        if len(set(s)) != len(s):
            return f"an index repeated within one operand ({s!r}, a diagonal) is not supported"
    return None


def _einsum_vjp(path, g, ans, subscripts, *operands, **kwargs):
    inputs, output = _einsum_parse(subscripts, operands)
    i = path - 1
    target = inputs[i]
    others = [(s, op) for k, (s, op) in enumerate(zip(inputs, operands, strict=True)) if k != i]
    present = set(output).union(*(set(s) for s, _ in others))
    kept = "".join(c for c in target if c in present)
    expr = ",".join([output] + [s for s, _ in others]) + "->" + kept
    grad = np.einsum(expr, g, *(op for _, op in others), optimize=kwargs.get("optimize", False))
    if kept != target:  # labels summed within this operand alone: broadcast back along them
        shape = np.shape(operands[i])
        grad = np.broadcast_to(np.expand_dims(grad, [k for k, c in enumerate(target) if c not in present]), shape)
    return grad


# -- the tables -------------------------------------------------------------------------

def _optional(name):
    """``np.<name>`` where this numpy has it (``astype``, ``permute_dims`` are numpy >= 2)."""
    return getattr(np, name, None)


_SEQUENCE = frozenset({0, "arrays"})

FUNCTION_VJPS = {
    np.sum: FunctionRule(_sum_vjp),
    np.mean: FunctionRule(_mean_vjp),
    np.max: FunctionRule(_extremum_vjp),
    np.min: FunctionRule(_extremum_vjp),
    np.amax: FunctionRule(_extremum_vjp),
    np.amin: FunctionRule(_extremum_vjp),
    np.prod: FunctionRule(_prod_vjp),
    np.var: FunctionRule(_var_vjp),
    np.std: FunctionRule(_std_vjp),
    np.cumsum: FunctionRule(_cumsum_vjp),
    np.linalg.norm: FunctionRule(_norm_vjp, check=_norm_check),
    np.reshape: FunctionRule(_reshape_vjp),
    np.ravel: FunctionRule(_ravel_vjp),
    np.expand_dims: FunctionRule(_same_shape_vjp),
    np.squeeze: FunctionRule(_same_shape_vjp),
    np.transpose: FunctionRule(_transpose_vjp),
    np.swapaxes: FunctionRule(_swapaxes_vjp),
    np.moveaxis: FunctionRule(_moveaxis_vjp),
    np.flip: FunctionRule(_flip_vjp),
    np.roll: FunctionRule(_roll_vjp),
    np.broadcast_to: FunctionRule(_identity_vjp),
    np.copy: FunctionRule(_identity_vjp),
    np.concatenate: FunctionRule(_concatenate_vjp, differentiable=_SEQUENCE, sequence=True),
    np.stack: FunctionRule(_stack_vjp, differentiable=_SEQUENCE, sequence=True),
    np.where: FunctionRule(_where_vjp, differentiable=frozenset({1, 2}), constant=frozenset({0})),
    np.clip: FunctionRule(_clip_vjp, differentiable=frozenset({0, 1, 2, "a", "a_min", "a_max", "min", "max"})),
    np.take: FunctionRule(_take_vjp, constant=frozenset({1, "indices"})),
    np.take_along_axis: FunctionRule(_take_along_axis_vjp, constant=frozenset({1, "indices"})),
    np.pad: FunctionRule(_pad_vjp, check=_pad_check),
    np.nan_to_num: FunctionRule(_nan_to_num_vjp),
    np.dot: FunctionRule(_dot_vjp, differentiable=frozenset({0, 1})),
    np.tensordot: FunctionRule(_tensordot_vjp, differentiable=frozenset({0, 1})),
    np.outer: FunctionRule(_outer_vjp, differentiable=frozenset({0, 1})),
    np.einsum: FunctionRule(_einsum_vjp, differentiable=frozenset(range(1, len(_LETTERS) + 1)),
                            check=_einsum_check),
}
for _name, _rule in (("astype", FunctionRule(_identity_vjp)), ("permute_dims", FunctionRule(_transpose_vjp)),
                     ("matrix_transpose", FunctionRule(_matrix_transpose_vjp))):
    if _optional(_name) is not None:
        FUNCTION_VJPS[_optional(_name)] = _rule

NONDIFF_FUNCTIONS = frozenset(f for f in (
    np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort, np.argpartition, np.argwhere, np.nonzero,
    np.flatnonzero, np.count_nonzero, np.searchsorted, np.any, np.all, np.allclose, np.isclose, np.array_equal,
    np.array_equiv, np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.round, np.around, np.fix,
    np.isneginf, np.isposinf, np.iscomplexobj, np.isrealobj, np.isreal, np.iscomplex, np.unique, np.bincount,
    np.digitize, np.histogram, np.may_share_memory, np.shares_memory, np.result_type, np.can_cast,
) if f is not None)

IN_PLACE_FUNCTIONS = frozenset(
    f for f in (np.copyto, np.put, np.place, np.putmask, np.put_along_axis, np.fill_diagonal) if f is not None)


def check_call(rule, func, args, kwargs, owner):
    """Raise :class:`NotDifferentiableError` when ``rule.check`` refuses this call."""
    reason = rule.check(args, kwargs)
    if reason is not None:
        raise NotDifferentiableError(f"{owner}{op_name(func)}: {reason}; {HOW_TO_GO_ON}")
