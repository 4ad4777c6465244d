"""
Writing your own layer
======================

A layer in layergraph is a small class with a clear contract
(:class:`~layergraph.layers.Layer`):

- ``build(input_shape)`` creates the weights with ``add_weight`` once the
  input shape is known (lazy build, as in Keras);
- ``forward(inputs, training) -> (outputs, cache)`` computes with numpy;
- ``backward(grad, cache) -> (grad_inputs, weight_grads)`` maps
  :math:`\\partial L / \\partial \\text{outputs}` to the gradients with
  respect to the inputs and to each trainable weight (in
  ``trainable_weights`` order). It *returns* gradients; it never stores them
  and never changes a weight — the optimizer does that;
- ``get_config()`` returns the constructor arguments, so the layer can be
  rebuilt (and saved).

This tutorial writes three layers, proves their ``backward`` with
:func:`~layergraph.gradients.check`, shows the check catching a
bug, and trains a network that uses them.
"""

# %%
# A per-feature scale: ``y = x * gamma``
# --------------------------------------
# The simplest layer with a weight. ``gamma`` has one entry per feature (the
# last axis) and starts at one. For a batch ``x`` of shape ``(n, d)``:
#
# .. math::
#
#    \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \odot \gamma,
#    \qquad
#    \frac{\partial L}{\partial \gamma} = \sum_{\text{batch}} \frac{\partial L}{\partial y} \odot x
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit

import layergraph as lg


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
        self.gamma = self.add_weight("gamma", (input_shape[-1],), lg.initializers.Constant(self.initial))
        self.built = True

    def forward(self, x, training=False):
        return x * self.gamma.value, x

    def backward(self, grad, cache):
        x = cache
        grad_gamma = (grad * x).reshape(-1, x.shape[-1]).sum(axis=0)
        return grad * self.gamma.value, [grad_gamma] if self.trainable else []

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


scale = Scale(initial=2.0)
print(scale(np.array([[1.0, 2.0, 3.0]])))          # builds on first call: gamma = [2, 2, 2]
print([w.name for w in scale.weights], scale.get_config())

# %%
# A trainable activation: Swish
# -----------------------------
# Swish (Ramachandran et al., 2017) is :math:`f(x) = x\,\sigma(\beta x)` with a
# learned :math:`\beta`. With :math:`s = \sigma(\beta x)`:
#
# .. math::
#
#    \frac{\partial f}{\partial x} = s + \beta x\, s (1 - s),
#    \qquad
#    \frac{\partial f}{\partial \beta} = x^2 s (1 - s)
#
# ``scipy.special.expit`` is a sigmoid that is stable for large inputs.


class Swish(lg.layers.Layer):
    """``x * sigmoid(beta * x)`` with one trainable ``beta``."""

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta_init = float(beta)

    def build(self, input_shape):
        self.beta = self.add_weight("beta", (), lg.initializers.Constant(self.beta_init))
        self.built = True

    def forward(self, x, training=False):
        s = expit(self.beta.value * x)
        return x * s, (x, s)

    def backward(self, grad, cache):
        x, s = cache
        beta = self.beta.value
        grad_x = grad * (s + beta * x * s * (1 - s))
        grad_beta = np.sum(grad * x * x * s * (1 - s))
        return grad_x, [np.asarray(grad_beta)] if self.trainable else []

    def get_config(self):
        return {**super().get_config(), "beta": self.beta_init}


print(Swish()(np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]])).round(4))   # stable at ±1000

# %%
# Proving ``backward`` with the gradient check
# --------------------------------------------
# Put the layers in a model and compare backpropagation with central
# differences. Use float64 (the default) and a small batch.
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 3))
y = rng.integers(0, 2, size=(8, 1)).astype(float)
model = lg.Sequential([lg.layers.Dense(4, input_shape=(3,), seed=0), Scale(initial=1.5), Swish(beta=0.7),
                       lg.layers.Dense(1, activation="sigmoid", seed=1)])
for w, e in zip(model.trainable_weights, lg.gradients.check(model, "binary_crossentropy", x, y)):
    print(f"{w.name:16s} shape {str(w.shape):7s} relative error {e:.1e}")
assert max(lg.gradients.check(model, "binary_crossentropy", x, y)) < 1e-6


# %%
# The check catches mistakes
# --------------------------
# A classic slip: forgetting that :math:`s` depends on :math:`x` and writing
# :math:`\partial f / \partial x = s`. The forward pass is unchanged and
# training would still "work", only worse — but the check points at the exact
# weights whose gradients are wrong (everything upstream of the Swish layer):
class BrokenSwish(Swish):
    def backward(self, grad, cache):
        x, s = cache
        grad_beta = np.sum(grad * x * x * s * (1 - s))
        return grad * s, [np.asarray(grad_beta)]      # wrong: misses beta * x * s * (1 - s)


broken = lg.Sequential([lg.layers.Dense(4, input_shape=(3,), seed=0), BrokenSwish(beta=0.7),
                        lg.layers.Dense(1, activation="sigmoid", seed=1)])
for w, e in zip(broken.trainable_weights, lg.gradients.check(broken, "binary_crossentropy", x, y)):
    print(f"{w.name:18s} relative error {e:.1e}  {'<-- wrong' if e > 1e-6 else ''}")

# %%
# Layers that end in an activation: ``ActivatedLayer``
# ----------------------------------------------------
# :class:`~layergraph.layers.ActivatedLayer` is the base of
# layers of the form ``activation(f(x))`` such as ``Dense``. A subclass writes
# ``forward_preactivation`` and ``backward_preactivation`` for ``f`` only; the
# base class applies the activation and its derivative. Because the
# pre-activation gradient is a separate entry point, a model whose *last*
# layer is an ``ActivatedLayer`` with a sigmoid or softmax gets the fused,
# stable cross-entropy gradient :math:`(p - t)/N` for free. Here is a
# per-feature affine map ``activation(x * gamma + beta)``:


class FeatureAffine(lg.layers.ActivatedLayer):
    """``activation(x * gamma + beta)`` with per-feature ``gamma`` and ``beta``."""

    def build(self, input_shape):
        self.gamma = self.add_weight("gamma", (input_shape[-1],), "ones")
        self.beta = self.add_weight("beta", (input_shape[-1],), "zeros")
        self.built = True

    def forward_preactivation(self, x, training=False):
        return x * self.gamma.value + self.beta.value, x

    def backward_preactivation(self, grad_z, cache):
        x = cache[0]        # the base class passes (inner cache, activation cache)
        grads = [(grad_z * x).sum(axis=0), grad_z.sum(axis=0)]
        return grad_z * self.gamma.value, grads if self.trainable else []


head = lg.Sequential([lg.layers.Dense(1, input_shape=(3,), seed=2), FeatureAffine(activation="sigmoid")])
errors = lg.gradients.check(head, "binary_crossentropy", x, y)
print("FeatureAffine + fused sigmoid/BCE gradient, relative errors:", np.round(errors, 12))
print("config:", head.layers[-1].get_config())

# %%
# ``get_config`` and ``from_config``
# ----------------------------------
# ``type(layer).from_config(layer.get_config())`` builds an equal, fresh
# layer; the saving code relies on this to write architectures as JSON.
clone = Swish.from_config(model.layers[2].get_config())
print(type(clone).__name__, clone.get_config())

# %%
# Training with the new layers
# ----------------------------
# Two interleaved spirals need a curved boundary. A small network with Scale
# and Swish layers learns them with Adam; ``beta`` and ``gamma`` are trained
# like any other weight.
n = 200
t = np.sqrt(rng.random(n)) * 3 * np.pi
arm = rng.integers(0, 2, n)
points = np.column_stack([t * np.cos(t + np.pi * arm), t * np.sin(t + np.pi * arm)]) / 10
points += rng.normal(scale=0.03, size=points.shape)
labels = arm.astype(float)

net = lg.Sequential([lg.layers.Dense(32, input_shape=(2,), seed=3), Scale(), Swish(),
                     lg.layers.Dense(32, seed=4), Swish(),
                     lg.layers.Dense(1, activation="sigmoid", seed=5)])
net.compile(optimizer=lg.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"], seed=0)
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
p = net.predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
filled = ax1.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.7)
ax1.scatter(points[:, 0], points[:, 1], c=labels, cmap="RdBu_r", edgecolors="white", linewidths=0.6, s=28)
fig.colorbar(filled, ax=ax1, label="predicted probability of arm 1")
ax1.set_xlabel("x1")
ax1.set_ylabel("x2")
ax1.set_title("Two spirals: learned decision regions")
ax1.set_aspect("equal")
plt.show()

# %%
# Checklist for a new layer
# -------------------------
# - Take ``**kwargs`` and pass them to ``super().__init__`` (``name``,
#   ``trainable``, ``input_shape``, ``dtype``, ``seed``).
# - Create weights in ``build`` with ``add_weight``; never in ``forward``.
# - ``backward`` returns one gradient per *trainable* weight, in creation
#   order, and ``[]`` when the layer is frozen; inputs used twice add up.
# - Non-trainable state (moving averages) may change in ``forward`` only when
#   ``training`` is true.
# - Add ``get_config`` entries for every constructor argument.
# - Test it with :func:`layergraph.gradients.check`, in float64, as above.
