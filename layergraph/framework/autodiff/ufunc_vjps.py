r"""Vector-Jacobian products of numpy's (and scipy.special's) ufuncs.

:data:`UFUNC_VJPS` maps a ufunc to one rule per input. A rule receives the
output gradient ``g``, the output ``ans`` and the plain inputs, and returns
``g`` times the partial derivative of the output with respect to that input,
elementwise, *at the broadcast shape*: the tape then sums it back to the
input's shape (:func:`~layergraph.framework.autodiff._shapes.unbroadcast`)
and casts it to the input's dtype. Rules reuse ``ans`` where the derivative
is a function of the output (``exp``, ``tanh``, ``sqrt``, ``expit``), which
saves recomputing it.

:data:`NONDIFF_UFUNCS` are piecewise constant or boolean (comparisons,
``sign``, ``floor``, ``isnan`` ...): they run on the plain values and return
a plain array, a constant for the tape, so their gradient is zero.

Ties (``maximum(x, y)`` with ``x == y``) split the gradient equally between
the inputs, which is what central differences measure there.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.special

__all__ = ["UFUNC_VJPS", "NONDIFF_UFUNCS", "matmul_vjp"]

# Python floats, not numpy scalars: they keep float32 gradients float32.
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _balanced(g, x, ans, other):
    """``g`` where ``x`` is the winner, halved where ``x`` ties with ``other``."""
    return g * (x == ans) / (1.0 + (x == other))


def matmul_vjp(g, a, b, which):
    """dL/da (``which=0``) or dL/db (``which=1``) of ``np.matmul(a, b)``.

    1-D operands are promoted as matmul does (``a`` to a row, ``b`` to a
    column) and the promoted axis is dropped again; stacked (batch) axes
    are left for the tape to sum.
    """
    g2 = g
    if b.ndim == 1:
        g2 = g2[..., np.newaxis]
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if which == 0:
        b2 = b[:, np.newaxis] if b.ndim == 1 else b
        grad = np.matmul(g2, b2.swapaxes(-1, -2))
        return grad[..., 0, :] if a.ndim == 1 else grad
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    grad = np.matmul(a2.swapaxes(-1, -2), g2)
    return grad[..., 0] if b.ndim == 1 else grad


def _power_base(g, ans, x, y):
    # y * x**(y - 1), written so that x = 0 with y = 0 gives 0 rather than nan;
    # a Python-number exponent stays a Python number (keeps float32 float32).
    exponent = (y - 1 if y != 0 else 1) if isinstance(y, (int, float)) else np.where(y, y - 1, 1)
    return g * y * np.power(x, exponent)


def _power_exponent(g, ans, x, y):
    return g * ans * np.log(np.where(x == 0, 1.0, x))


UFUNC_VJPS = {
    np.add: (lambda g, ans, x, y: g, lambda g, ans, x, y: g),
    np.subtract: (lambda g, ans, x, y: g, lambda g, ans, x, y: -g),
    np.multiply: (lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
    np.true_divide: (lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y),
    np.negative: (lambda g, ans, x: -g,),
    np.positive: (lambda g, ans, x: g,),
    np.power: (_power_base, _power_exponent),
    np.float_power: (_power_base, _power_exponent),
    np.maximum: (lambda g, ans, x, y: _balanced(g, x, ans, y), lambda g, ans, x, y: _balanced(g, y, ans, x)),
    np.minimum: (lambda g, ans, x, y: _balanced(g, x, ans, y), lambda g, ans, x, y: _balanced(g, y, ans, x)),
    np.fmax: (lambda g, ans, x, y: _balanced(g, x, ans, y), lambda g, ans, x, y: _balanced(g, y, ans, x)),
    np.fmin: (lambda g, ans, x, y: _balanced(g, x, ans, y), lambda g, ans, x, y: _balanced(g, y, ans, x)),
    np.remainder: (lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.floor(x / y)),
    np.fmod: (lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.trunc(x / y)),
    np.logaddexp: (lambda g, ans, x, y: g * np.exp(x - ans), lambda g, ans, x, y: g * np.exp(y - ans)),
    np.logaddexp2: (lambda g, ans, x, y: g * np.exp2(x - ans), lambda g, ans, x, y: g * np.exp2(y - ans)),
    np.arctan2: (lambda g, ans, x, y: g * y / (x * x + y * y), lambda g, ans, x, y: -g * x / (x * x + y * y)),
    np.hypot: (lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans),
    np.matmul: (lambda g, ans, a, b: matmul_vjp(g, a, b, 0), lambda g, ans, a, b: matmul_vjp(g, a, b, 1)),
    np.absolute: (lambda g, ans, x: g * np.sign(x),),
    np.fabs: (lambda g, ans, x: g * np.sign(x),),
    np.square: (lambda g, ans, x: g * 2.0 * x,),
    np.sqrt: (lambda g, ans, x: g * 0.5 / ans,),
    np.cbrt: (lambda g, ans, x: g / (3.0 * ans * ans),),
    np.reciprocal: (lambda g, ans, x: -g * ans * ans,),
    np.exp: (lambda g, ans, x: g * ans,),
    np.exp2: (lambda g, ans, x: g * ans * _LN2,),
    np.expm1: (lambda g, ans, x: g * (ans + 1.0),),
    np.log: (lambda g, ans, x: g / x,),
    np.log2: (lambda g, ans, x: g / (x * _LN2),),
    np.log10: (lambda g, ans, x: g / (x * _LN10),),
    np.log1p: (lambda g, ans, x: g / (1.0 + x),),
    np.sin: (lambda g, ans, x: g * np.cos(x),),
    np.cos: (lambda g, ans, x: -g * np.sin(x),),
    np.tan: (lambda g, ans, x: g * (1.0 + ans * ans),),
    np.arcsin: (lambda g, ans, x: g / np.sqrt(1.0 - x * x),),
    np.arccos: (lambda g, ans, x: -g / np.sqrt(1.0 - x * x),),
    np.arctan: (lambda g, ans, x: g / (1.0 + x * x),),
    np.sinh: (lambda g, ans, x: g * np.cosh(x),),
    np.cosh: (lambda g, ans, x: g * np.sinh(x),),
    np.tanh: (lambda g, ans, x: g * (1.0 - ans * ans),),
    np.arcsinh: (lambda g, ans, x: g / np.sqrt(x * x + 1.0),),
    np.arccosh: (lambda g, ans, x: g / np.sqrt(x * x - 1.0),),
    np.arctanh: (lambda g, ans, x: g / (1.0 - x * x),),
    np.deg2rad: (lambda g, ans, x: g * (np.pi / 180.0),),
    np.rad2deg: (lambda g, ans, x: g * (180.0 / np.pi),),
    scipy.special.expit: (lambda g, ans, x: g * ans * (1.0 - ans),),
    scipy.special.logit: (lambda g, ans, x: g / (x * (1.0 - x)),),
    scipy.special.erf: (lambda g, ans, x: g * _TWO_OVER_SQRT_PI * np.exp(-x * x),),
    scipy.special.erfc: (lambda g, ans, x: -g * _TWO_OVER_SQRT_PI * np.exp(-x * x),),
}
UFUNC_VJPS[np.radians] = UFUNC_VJPS[np.deg2rad]
UFUNC_VJPS[np.degrees] = UFUNC_VJPS[np.rad2deg]

NONDIFF_UFUNCS = frozenset([
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.isfinite, np.isinf, np.isnan, np.isnat, np.signbit, np.sign, np.heaviside,
    np.floor, np.ceil, np.trunc, np.rint, np.floor_divide, np.spacing,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift,
])
