"""
How automatic differentiation works
===================================

The earlier tutorials got gradients in two ways. *Numerical differentiation*
(tutorial 3) nudges each weight and measures how the loss moves: simple, but
it costs two forward passes per weight. *Backpropagation* applies the chain
rule layer by layer, with a derivative worked out by hand for each layer: one
backward pass for all weights, but every layer needs its ``backward``.

*Automatic differentiation* (reverse mode) is backpropagation done by the
computer, one numpy operation at a time instead of one layer at a time. While
``call()`` runs, every operation is recorded on a *tape*; afterwards the tape
is walked backwards, and each operation turns the gradient of its output
into the gradients of its inputs with its *vector-Jacobian product* (VJP), a
small rule known once and for all (for ``tanh``: multiply by ``1 - tanh²``).
That is what layergraph does with a layer that has a ``call()`` and no
``backward`` (tutorial 6). This tutorial takes one small function through
the three methods, writes a tape in one screen, then looks at the real one.
"""

# %%
# One function, three ways
# ------------------------
# :math:`f(W) = \sum_{ij} \tanh(XW)_{ij}` for a fixed batch :math:`X`. By the
# chain rule, with :math:`A = \tanh(XW)`:
#
# .. math::
#
#    \frac{\partial f}{\partial A} = 1, \qquad
#    \frac{\partial f}{\partial Z} = 1 - A^2 \;(Z = XW), \qquad
#    \frac{\partial f}{\partial W} = X^\top \frac{\partial f}{\partial Z}
import time

import matplotlib.pyplot as plt
import numpy as np

import layergraph as lg
from layergraph.framework import autodiff
from layergraph.framework.variables import Variable

rng = np.random.default_rng(0)
X = rng.normal(size=(4, 3))
W = rng.normal(size=(3, 2))


def f(w):
    return np.tanh(X @ w).sum()


# 1. numerical differentiation: two evaluations per element of W
eps = 1e-6
numeric = np.zeros_like(W)
for index in np.ndindex(W.shape):
    step = np.zeros_like(W)
    step[index] = eps
    numeric[index] = (f(W + step) - f(W - step)) / (2 * eps)

# 2. backpropagation by hand: the chain rule above
A = np.tanh(X @ W)
by_hand = X.T @ (1 - A ** 2)

print("numeric:\n", numeric.round(6))
print("largest |hand - numeric|:", np.abs(by_hand - numeric).max())

# %%
# A tape in one screen
# --------------------
# 3. automatic differentiation. Each recorded operation stores its output and
# a function from the output's gradient ``g`` to its inputs' gradients — the
# VJP. For a matrix product :math:`Z = XW` that is :math:`g W^\top` for
# :math:`X` and :math:`X^\top g` for :math:`W`; for ``tanh``,
# :math:`g\,(1 - A^2)`; for a sum, ``g`` spread over the summed array.
# Operations run in order, so walking the tape backwards meets every output
# before the operations that made its inputs: each gradient is complete when
# it is passed on. A value used twice (fan-out) *adds* the gradients that
# reach it.


class TinyTape:
    """Values are numbered; ``ops`` holds (output, [(input number, vjp)]) in the order they ran."""

    def __init__(self):
        self.values, self.ops = [], []

    def leaf(self, value):
        self.values.append(value)
        return len(self.values) - 1

    def record(self, value, parents):
        self.values.append(value)
        self.ops.append((len(self.values) - 1, parents))
        return len(self.values) - 1

    def matmul(self, a, b):
        va, vb = self.values[a], self.values[b]
        return self.record(va @ vb, [(a, lambda g: g @ vb.T), (b, lambda g: va.T @ g)])

    def tanh(self, a):
        out = np.tanh(self.values[a])
        return self.record(out, [(a, lambda g: g * (1 - out ** 2))])

    def sum(self, a):
        shape = self.values[a].shape
        return self.record(self.values[a].sum(), [(a, lambda g: np.broadcast_to(g, shape))])

    def gradients(self, output):
        grads = {output: np.ones_like(self.values[output])}  # df/df = 1
        for out, parents in reversed(self.ops):
            g = grads.pop(out, None)
            if g is None:
                continue
            for parent, vjp in parents:
                grads[parent] = grads.get(parent, 0) + vjp(g)  # fan-out adds up
        return grads


tape = TinyTape()
x, w = tape.leaf(X), tape.leaf(W)
y = tape.sum(tape.tanh(tape.matmul(x, w)))
tiny = tape.gradients(y)[w]
print(f"f = {tape.values[y]:.6f}, tape entries: {len(tape.ops)}")
print("largest |tiny tape - hand|:", np.abs(tiny - by_hand).max())

# %%
# The real tape: plain numpy in, gradients out
# --------------------------------------------
# Writing ``tape.matmul(x, w)`` is clumsy. layergraph's tape
# (:mod:`layergraph.framework.autodiff`) lets code stay plain numpy: inside a
# recording, arrays are :class:`~layergraph.framework.autodiff.Traced`
# values, and numpy's own dispatch protocols (``__array_ufunc__`` for
# ``np.tanh``, ``@``, ``+``...; ``__array_function__`` for ``np.sum``,
# ``np.concatenate``...) hand every operation to the tape, which runs the
# real numpy code and appends a node with the operation's VJP from its tables.
# A :class:`~layergraph.framework.variables.Variable` that the recording
# watches stands for its traced counterpart, so ``X @ kernel`` depends on the
# kernel.
kernel = Variable(W.copy(), "kernel")
seen = []


def call(inputs):
    seen.append(type(inputs).__name__)
    return np.tanh(inputs @ kernel).sum()


value, backward = autodiff.record(call, X, variables=[kernel])
dx, (dw,) = backward(np.array(1.0))
print(f"call() saw a {seen[0]}; f = {float(value):.6f}")
print("largest |tape - hand|:", np.abs(dw - by_hand).max())
print("dL/dX as well, from the same sweep:", dx.shape)

# %%
# The tables hold one rule per operation; a few of them, with the tape's
# conventions (``g`` the output's gradient, ``ans`` the output):
#
# ====================  ===============================================
# operation             vector-Jacobian product
# ====================  ===============================================
# ``a + b``             ``g`` to both (summed back over broadcast axes)
# ``a * b``             ``g * b`` to ``a``, ``g * a`` to ``b``
# ``np.exp(a)``         ``g * ans``
# ``np.tanh(a)``        ``g * (1 - ans**2)``
# ``a @ b``             ``g @ b.T`` to ``a``, ``a.T @ g`` to ``b``
# ``a.sum(axis=k)``     ``g`` with axis ``k`` put back, broadcast
# ``a[index]``          ``g`` scattered into zeros of ``a``'s shape
# ``np.maximum(a, b)``  ``g`` where each wins (split on ties)
# ====================  ===============================================
#
# Broadcasting is undone in one place, the tape, not in each rule: a bias of
# shape ``(2,)`` added to a ``(4, 2)`` batch gets ``g`` summed over the batch.
# Comparisons, ``argmax`` and friends return plain arrays: constants, with no
# gradient. An operation without a rule is refused with a message naming the
# layer and the operation:
try:
    autodiff.record(lambda a: np.linalg.svd(a)[1].sum(), X, name="my_layer")
except autodiff.NotDifferentiableError as err:
    print(err)

# %%
# :func:`~layergraph.framework.autodiff.primitive` adds an operation with a
# rule of its own; :mod:`layergraph.ops` uses it for a numerically stable
# ``softmax`` and ``sigmoid`` (one node each instead of several). The
# built-in layers go further: called inside a recorded ``call()`` (a
# subclassed model's ``self.dense(x)``), each is recorded as *one* operation
# whose VJP is its own hand-written ``backward``.

# %%
# What it costs
# -------------
# Numerical differentiation needs two forward passes per weight, so its cost
# grows with the number of weights; the tape runs the forward pass once,
# recording, and one backward sweep, whatever the number of weights. A model
# of ``call()``-only layers (the ``Linear`` layer of the Keras guide), timed
# for one batch as its hidden layer widens:


class Linear(lg.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs):
        return np.tanh(inputs @ self.w + self.b)


def seconds(strategy, model, xb, yb, repeats=3):
    best = np.inf
    for _ in range(repeats):
        start = time.process_time()
        strategy.gradients(model, "mse", xb, yb)
        best = min(best, time.process_time() - start)
    return best


xb, yb = rng.normal(size=(16, 8)), rng.normal(size=(16, 1))
sizes, numeric_s, tape_s = [], [], []
for width in (2, 4, 8, 16, 32, 64):
    mlp = lg.Sequential([lg.Input(shape=(8,)), Linear(width, seed=1), Linear(1, seed=2)])
    sizes.append(mlp.count_params())
    numeric_s.append(seconds(lg.gradients.NumericGradient(), mlp, xb, yb, repeats=1))
    tape_s.append(seconds(lg.gradients.AnalyticGradient(), mlp, xb, yb))
    assert lg.gradients.check(mlp, "mse", xb, yb).passed

fig, ax = plt.subplots(figsize=(6.5, 4.2), constrained_layout=True)
ax.loglog(sizes, numeric_s, "o-", label="numeric: 2 forward passes per weight")
ax.loglog(sizes, tape_s, "s-", label="autodiff: 1 recorded forward + 1 backward")
ax.set_xlabel("number of weights")
ax.set_ylabel("CPU seconds for one gradient")
ax.set_title("The cost of a gradient")
ax.grid(alpha=0.3, which="both")
ax.xaxis.set_minor_formatter(plt.NullFormatter())
ax.legend()
plt.show()
print(f"{sizes[-1]} weights: numeric {numeric_s[-1] * 1e3:.1f} ms, autodiff {tape_s[-1] * 1e3:.2f} ms")

# %%
# The same idea runs PyTorch's autograd and JAX's ``grad``: record, then walk
# back with one VJP per operation. What makes layergraph's small is numpy's
# dispatch protocols: user code needs no special array type, and the whole
# engine, rules included, is about two thousand lines.
