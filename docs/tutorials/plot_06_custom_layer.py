"""
Writing your own layer
======================

A layer in layergraph is a small class with a clear contract
(:class:`~layergraph.layers.Layer`), the same as in Keras:

- ``build(input_shape)`` creates the weights with ``add_weight`` once the
  input shape is known (lazy build);
- ``call(inputs)`` computes the outputs in plain numpy;
- ``get_config()`` returns the constructor arguments, so the layer can be
  rebuilt (and saved).

That is all a layer needs: the analytic gradient strategy differentiates
``call()`` automatically, by recording the numpy operations it performs on a
tape and replaying them backwards (the next tutorial shows how). This
tutorial writes two layers the Keras way, checks their automatic gradients
against central differences and trains a network with them. Then it adds a
hand-written ``backward`` to one of them — the speed-up the built-in layers
use — and checks the two gradients against each other.
"""

# %%
# A per-feature scale: ``y = x * gamma``
# --------------------------------------
# The simplest layer with a weight. ``gamma`` has one entry per feature (the
# last axis) and starts at ``initial``. A weight is a
# :class:`~layergraph.framework.variables.Variable`: it works in numpy
# expressions as its array does.
import time

import matplotlib.pyplot as plt
import numpy as np

import layergraph as lg
from layergraph import ops


class Scale(lg.layers.Layer):
    """Multiply each feature by a learned factor.

    Parameters
    ----------
    initial : float
        Starting value of every factor.
    """

    def __init__(self, initial=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = float(initial)

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer=lg.initializers.Constant(self.initial),
                                     name="gamma")

    def call(self, inputs):
        return inputs * self.gamma

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


scale = Scale(initial=2.0)
print(scale(np.array([[1.0, 2.0, 3.0]])))          # builds on first call: gamma = [2, 2, 2]
print([w.name for w in scale.weights], scale.get_config())

# %%
# A trainable activation: Swish
# -----------------------------
# Swish (Ramachandran et al., 2017) is :math:`f(x) = x\,\sigma(\beta x)` with
# a learned :math:`\beta`. :func:`layergraph.ops.sigmoid` is a sigmoid that is
# stable for large inputs (``1 / (1 + np.exp(-z))`` works too, with an
# overflow warning at -1000).


class Swish(lg.layers.Layer):
    """``x * sigmoid(beta * x)`` with one trainable ``beta``."""

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta_init = float(beta)

    def build(self, input_shape):
        self.beta = self.add_weight(shape=(), initializer=lg.initializers.Constant(self.beta_init), name="beta")

    def call(self, inputs):
        return inputs * ops.sigmoid(self.beta * inputs)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta_init}


print(Swish()(np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]])).round(4))   # stable at ±1000

# %%
# Checking the automatic gradient
# -------------------------------
# Put the layers in a model and compare the analytic gradient (here: the
# tape's) with central differences, element by element, with a relative and
# an absolute tolerance. Use float64 (the default) and a small batch.
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 3))
y = rng.integers(0, 2, size=(8, 1)).astype(float)
model = lg.Sequential([lg.Input(shape=(3,)), lg.layers.Dense(4, seed=0), Scale(initial=1.5), Swish(beta=0.7),
                       lg.layers.Dense(1, activation="sigmoid", seed=1)])
result = lg.gradients.check(model, "binary_crossentropy", x, y)
print(result)
assert result.passed

# %%
# Training with the new layers
# ----------------------------
# Two interleaved spirals need a curved boundary. A small network with Scale
# and Swish layers learns them with Adam; ``beta`` and ``gamma`` are trained
# like any other weight, with the gradients the tape computes.
n = 200
t = np.sqrt(rng.random(n)) * 3 * np.pi
arm = rng.integers(0, 2, n)
points = np.column_stack([t * np.cos(t + np.pi * arm), t * np.sin(t + np.pi * arm)]) / 10
points += rng.normal(scale=0.03, size=points.shape)
labels = arm.astype(float)


def spiral_net(swish=Swish):
    net = lg.Sequential([lg.Input(shape=(2,)), lg.layers.Dense(32, seed=3), Scale(), swish(),
                         lg.layers.Dense(32, seed=4), swish(),
                         lg.layers.Dense(1, activation="sigmoid", seed=5)])
    net.compile(optimizer=lg.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"], seed=0)
    return net


net = spiral_net()
history = net.fit(points, labels, epochs=300, batch_size=32, verbose=0)
print(f"final accuracy {history.history['accuracy'][-1]:.3f}; learned betas "
      f"{[round(float(layer.beta.value), 3) for layer in net.layers if isinstance(layer, Swish)]}")

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
ax0.plot(history.history["loss"], label="loss")
ax0.plot(history.history["accuracy"], label="accuracy")
ax0.set_xlabel("epoch")
ax0.set_ylabel("binary cross-entropy / accuracy")
ax0.set_title("Training a net with Scale and Swish layers")
ax0.legend()
ax0.grid(alpha=0.3)
grid = np.linspace(-1.1, 1.1, 200)
g1, g2 = np.meshgrid(grid, grid)
p = net.predict(np.column_stack([g1.ravel(), g2.ravel()]), verbose=0).reshape(g1.shape)
filled = ax1.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.7)
ax1.scatter(points[:, 0], points[:, 1], c=labels, cmap="RdBu_r", edgecolors="white", linewidths=0.6, s=28)
fig.colorbar(filled, ax=ax1, label="predicted probability of arm 1")
ax1.set_xlabel("x1")
ax1.set_ylabel("x2")
ax1.set_title("Two spirals: learned decision regions")
ax1.set_aspect("equal")
plt.show()

# %%
# The speed-up: a hand-written ``backward``
# -----------------------------------------
# The tape records every numpy operation of ``call()`` and keeps its
# inputs, then walks them backwards. Deriving the gradient by hand skips that
# bookkeeping. With :math:`s = \sigma(\beta x)`:
#
# .. math::
#
#    \frac{\partial f}{\partial x} = s + \beta x\, s (1 - s),
#    \qquad
#    \frac{\partial f}{\partial \beta} = \sum x^2 s (1 - s)
#
# A layer with its own gradient implements ``forward(inputs, training) ->
# (outputs, cache)``, which keeps what the backward pass needs, and
# ``backward(grad, cache) -> (grad_inputs, weight_grads)``, which maps
# :math:`\partial L / \partial \text{outputs}` to the gradients with respect
# to the inputs and to each trainable weight (in ``trainable_weights``
# order). It *returns* gradients; it never stores them and never changes a
# weight — the optimizer does that. ``forward`` reuses ``call()``'s maths,
# so it is written once.


class FastSwish(Swish):
    """Swish with a hand-written gradient."""

    def forward(self, x, training=False):
        s = ops.sigmoid(self.beta.value * x)
        return x * s, (x, s)

    def backward(self, grad, cache):
        x, s = cache
        beta = self.beta.value
        grad_x = grad * (s + beta * x * s * (1 - s))
        grad_beta = np.sum(grad * x * x * s * (1 - s))
        return grad_x, [np.asarray(grad_beta)] if self.trainable else []


# %%
# Check it twice: against central differences, and against the tape. Two
# models with the same weights, one with ``Swish`` and one with ``FastSwish``,
# must get the same gradients from the analytic strategy.
fast_model = lg.Sequential([lg.Input(shape=(3,)), lg.layers.Dense(4, seed=0), Scale(initial=1.5),
                            FastSwish(beta=0.7), lg.layers.Dense(1, activation="sigmoid", seed=1)])
fast_model.set_weights(model.get_weights())
assert lg.gradients.check(fast_model, "binary_crossentropy", x, y).passed
strategy = lg.gradients.AnalyticGradient()
_, taped = strategy.gradients(model, "binary_crossentropy", x, y)
_, by_hand = strategy.gradients(fast_model, "binary_crossentropy", x, y)
for w, a, b in zip(model.trainable_weights, taped, by_hand, strict=True):
    print(f"{w.name:12s} largest |tape - hand-written| = {np.max(np.abs(a - b)):.1e}")

# %%
# How much faster? Time the gradient of one batch of 32 spiral points, both
# networks with the same weights, interleaved, the best of several rounds
# (CPU time, steadier on a busy machine):
fast_net = spiral_net(FastSwish)
fast_net.set_weights(net.get_weights())
batch_x, batch_y = points[:32], labels[:32]


def gradient_seconds(network, steps=200):
    start = time.process_time()
    for _ in range(steps):
        strategy.gradients(network, "binary_crossentropy", batch_x, batch_y)
    return (time.process_time() - start) / steps


rounds = [(gradient_seconds(net), gradient_seconds(fast_net)) for _ in range(5)]
tape_s, hand_s = min(r[0] for r in rounds), min(r[1] for r in rounds)
print(f"one gradient step: tape {tape_s * 1e6:.0f} us, hand-written {hand_s * 1e6:.0f} us "
      f"({tape_s / hand_s:.2f}x)")

# %%
# The check catches mistakes
# --------------------------
# A classic slip: forgetting that :math:`s` depends on :math:`x` and writing
# :math:`\partial f / \partial x = s`. The forward pass is unchanged and
# training would still "work", only worse — but the check points at the exact
# weights whose gradients are wrong (everything upstream of the Swish layer):
class BrokenSwish(FastSwish):
    def backward(self, grad, cache):
        x, s = cache
        grad_beta = np.sum(grad * x * x * s * (1 - s))
        return grad * s, [np.asarray(grad_beta)]      # wrong: misses beta * x * s * (1 - s)


broken = lg.Sequential([lg.Input(shape=(3,)), lg.layers.Dense(4, seed=0), BrokenSwish(beta=0.7),
                        lg.layers.Dense(1, activation="sigmoid", seed=1)])
for w, e in zip(broken.trainable_weights, lg.gradients.check(broken, "binary_crossentropy", x, y), strict=True):
    print(f"{w.name:18s} relative error {e:.1e}  {'<-- wrong' if e > 1e-6 else ''}")

# %%
# Layers that end in an activation: ``ActivatedLayer``
# ----------------------------------------------------
# :class:`~layergraph.framework.layers.base.ActivatedLayer` is the base of
# layers of the form ``activation(f(x))`` such as ``Dense``. A subclass
# writes ``preactivation`` (``f`` in numpy: ``call()`` is then
# ``activation(f(x))``) and ``backward_preactivation`` for ``f`` only; the
# base class applies the activation and its derivative. Because the
# pre-activation gradient is a separate entry point, a model whose *last*
# layer is an ``ActivatedLayer`` with a sigmoid or softmax gets the fused,
# stable cross-entropy gradient :math:`(p - t)/N` for free. Here is a
# per-feature affine map ``activation(x * gamma + beta)``:


class FeatureAffine(lg.layers.ActivatedLayer):
    """``activation(x * gamma + beta)`` with per-feature ``gamma`` and ``beta``."""

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="beta")

    def preactivation(self, inputs):
        return inputs * self.gamma + self.beta

    def backward_preactivation(self, grad_z, cache):
        x = cache[0]        # the base class passes (inputs, activation cache)
        grads = [(grad_z * x).sum(axis=0), grad_z.sum(axis=0)]
        return grad_z * self.gamma.value, grads if self.trainable else []


head = lg.Sequential([lg.Input(shape=(3,)), lg.layers.Dense(1, seed=2), FeatureAffine(activation="sigmoid")])
result = lg.gradients.check(head, "binary_crossentropy", x, y)
print("FeatureAffine + fused sigmoid/BCE gradient:", "passed" if result.passed else "FAILED")
print("config:", head.layers[-1].get_config())

# %%
# ``get_config`` and ``from_config``
# ----------------------------------
# ``type(layer).from_config(layer.get_config())`` builds an equal, fresh
# layer; the saving code relies on this to write architectures as JSON.
clone = Swish.from_config(model.layers[2].get_config())
print(type(clone).__name__, clone.get_config())

# %%
# Checklist for a new layer
# -------------------------
# - Take ``**kwargs`` and pass them to ``super().__init__`` (``name``,
#   ``trainable``, ``input_shape``, ``dtype``, ``seed``).
# - Create weights in ``build`` (or ``__init__``) with ``add_weight``; never
#   in ``call``.
# - Write ``call()`` in plain numpy (and :mod:`layergraph.ops`). Do not write
#   into its inputs (``x[...] = v``) or use ``out=``: build new arrays.
#   Declare ``training`` in ``call()`` when it behaves differently in
#   training (dropout); update non-trainable state (moving averages) with
#   ``variable.assign(...)``, only when ``training`` is true.
# - Add ``get_config`` entries for every constructor argument.
# - Test it with :func:`layergraph.gradients.check`, in float64, as above.
# - Only if it is slow: add ``forward``/``backward``. ``backward`` returns one
#   gradient per *trainable* weight, in creation order, and ``[]`` when the
#   layer is frozen; check it against the tape as above.
