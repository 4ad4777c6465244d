r"""Check recorded gradients against central differences: :func:`check_gradients`.

The scalar :math:`L = \sum_k \langle w_k, f_k(x) \rangle` with fixed random
weights :math:`w_k` (one per output) is differentiated twice: by the tape
(:func:`~layergraph.framework.autodiff.record`, seeding each output with
:math:`w_k`) and by central differences, one element of one input or
variable at a time, :math:`(L(x + \epsilon e_i) - L(x - \epsilon e_i)) / 2\epsilon`,
running ``fn`` on plain arrays (outside any recording). An element passes
when :math:`|a - n| \le \max(\mathrm{atol}, \mathrm{rtol}(|a| + |n|))`, the
criterion of :func:`layergraph.framework.gradients.check`. Variables are
perturbed in place and restored in a ``finally`` block.

Meant for tests and for checking a new rule: it costs two calls of ``fn``
per element. Use float64.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .tape import record

__all__ = ["check_gradients", "GradientComparison"]


class GradientComparison(NamedTuple):
    """What :func:`check_gradients` found.

    Attributes
    ----------
    passed : bool
        Every element within tolerance.
    worst : str
        Which element had the largest error, with both values.
    analytic, numeric : list of numpy.ndarray
        The gradients, inputs first, then variables.
    """

    passed: bool
    worst: str
    analytic: list
    numeric: list

    def __str__(self):
        return f"gradient check {'passed' if self.passed else 'FAILED'}: {self.worst}"


def _weights(outputs, rng):
    return [rng.standard_normal(np.shape(o)) for o in outputs]


def _objective(fn, inputs, multi, weights):
    out = fn(inputs if multi else inputs[0])
    outs = out if isinstance(out, (list, tuple)) else [out]
    return float(sum(np.sum(np.asarray(o, dtype=np.float64) * w) for o, w in zip(outs, weights, strict=True)))


def check_gradients(fn, inputs, variables=(), rtol=1e-6, atol=1e-9, epsilon=1e-6, seed=0):
    """Compare the tape's gradients of ``fn`` with central differences.

    Parameters
    ----------
    fn : callable
        As for :func:`~layergraph.framework.autodiff.record`.
    inputs : numpy.ndarray or list/tuple of them
        Floating inputs are checked; others are passed through.
    variables : sequence of Variable
        Watched and checked.
    rtol, atol, epsilon : float
    seed : int
        For the random output weights.

    Returns
    -------
    GradientComparison

    Example
    -------
    >>> import numpy as np
    >>> result = check_gradients(lambda x: np.sin(x) * x, np.linspace(-1.0, 1.0, 5))
    >>> result.passed
    True
    """
    multi = isinstance(inputs, (list, tuple))
    given = [np.array(x, dtype=x.dtype if np.asarray(x).dtype.kind == "f" else None) for x in
             (inputs if multi else [inputs])]
    outputs, backward = record(fn, type(inputs)(given) if multi else given[0], variables)
    outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    weights = _weights(outs, np.random.default_rng(seed))
    seeds = [w.astype(o.dtype) for w, o in zip(weights, outs, strict=True)]
    input_grads, variable_grads = backward(seeds if isinstance(outputs, (list, tuple)) else seeds[0])
    input_grads = input_grads if multi else [input_grads]
    targets = [(f"input {k}", x) for k, x in enumerate(given) if x.dtype.kind == "f"]
    analytic = [g for g, x in zip(input_grads, given, strict=True) if x.dtype.kind == "f"]
    targets += [(f"variable {v.name!r}", v.value) for k, v in enumerate(variables)]
    analytic += list(variable_grads)
    numeric = []
    for _, array in targets:
        grad = np.zeros(array.shape)
        for i in np.ndindex(array.shape):  # perturb in place (a variable's own array), restore always
            saved = array[i]
            try:
                array[i] = saved + epsilon
                up = _objective(fn, given, multi, weights)
                array[i] = saved - epsilon
                down = _objective(fn, given, multi, weights)
            finally:
                array[i] = saved
            grad[i] = (up - down) / (2 * epsilon)
        numeric.append(grad)
    passed, worst, worst_error = True, "no element compared", -1.0
    for (label, _), a, n in zip(targets, analytic, numeric, strict=True):
        a = np.asarray(a, dtype=np.float64)
        if a.shape != n.shape:
            return GradientComparison(False, f"{label}: analytic gradient shape {a.shape} != {n.shape}",
                                      analytic, numeric)
        if not a.size:
            continue
        error = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), atol / rtol)
        error = np.where(np.isnan(error), np.inf, error)  # a nan gradient is the worst possible element
        i = np.unravel_index(int(np.argmax(error)), error.shape)
        if error[i] > worst_error:
            worst_error = float(error[i])
            worst = f"{label} element {tuple(int(k) for k in i)}: analytic {a[i]:.10g}, numeric {n[i]:.10g}"
        passed = passed and bool(error[i] <= rtol)
    return GradientComparison(passed, worst, analytic, numeric)
