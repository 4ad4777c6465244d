"""
Logic gates: one sigmoid neuron
===============================

The original tutorial starts with the smallest possible network: **one
neuron** with two inputs, a sigmoid activation, and weights found by gradient
descent where the gradient is computed *numerically* (central differences).
It learns AND, OR and NAND. This page does the same with layergraph's model
:mod:`layergraph.models.gates`, reproduces the tutorial's published log, and
draws what the neuron has learned.
"""

# %%
# The data: a truth table
# -----------------------
# Four input rows ``00, 01, 10, 11`` and one target column per gate.
import matplotlib.pyplot as plt
import numpy as np

from layergraph.datasets import logic
from layergraph.models import gates

x, y = logic.truth_table("AND")
print("inputs:\n", x)
print("AND targets:", y.ravel())

# %%
# The model: ``Dense(1, activation="sigmoid")``
# ---------------------------------------------
# :func:`layergraph.models.gates.build` makes the neuron with the tutorial's
# initial weights (``numpy.random.RandomState(1)``: kernel ``randn(2)``, then
# bias ``rand(1)``), so the run below is the tutorial's run. It is an ordinary
# :class:`~layergraph.Sequential` model:
model = gates.build()
model.summary()
print("initial weights:", [w.ravel() for w in model.get_weights()])

# %%
# The tutorial's cost is half the *summed* binary cross-entropy over the four
# rows, with no clipping. In layergraph that is a configured
# :class:`~layergraph.losses.BinaryCrossentropy`:
print(gates.tutorial_loss().get_config())

# %%
# Training AND with the numeric gradient
# --------------------------------------
# :func:`~layergraph.models.gates.train` compiles the model with
# ``SGD(learning_rate=0.1)``, the cost above and ``gradient="numeric"``, then
# runs 1000 full-batch epochs. ``log_every=100`` prints the tutorial's log
# line (the cost *after* each epoch's update, then the weights and the bias):
and_model, and_history = gates.train("AND", epochs=1000, learning_rate=0.1, gradient="numeric", log_every=100)

# %%
# The tutorial's published last line is::
#
#     Epoch: 1000, Cost: 0.1604392693330146, Weights: [4.27548114 4.27284863], Bias: [-6.6027234]
#
# The weights and the bias agree to every printed digit; the cost agrees to
# about 1e-13 (the last digits of a float64 sum depend on the order of the
# additions):
reference_cost = 0.1604392693330146
cost = and_history.history["cost"][-1]
kernel, bias = and_model.get_weights()
print(f"cost {cost!r}, reference {reference_cost!r}, difference {abs(cost - reference_cost):.1e}")
assert abs(cost - reference_cost) < 1e-9
np.testing.assert_allclose(kernel.ravel(), [4.27548114, 4.27284863], atol=5e-9)
np.testing.assert_allclose(bias, [-6.6027234], atol=5e-8)
print("predictions:", and_model.predict(x).ravel().round(4))

# %%
# OR and NAND
# -----------
# The same neuron, the same recipe, other targets. We keep the models and the
# cost histories for the figures below.
trained = {"AND": (and_model, and_history)}
for gate in ("OR", "NAND"):
    trained[gate] = gates.train(gate, epochs=1000, learning_rate=0.1, gradient="numeric")
    m = trained[gate][0]
    print(f"{gate:4s} predictions: {m.predict(x).ravel().round(3)}  "
          f"final cost {trained[gate][1].history['cost'][-1]:.4f}")

# %%
# What the neuron learned: a straight line
# ----------------------------------------
# The neuron computes :math:`\sigma(w_1 x_1 + w_2 x_2 + b)`; its output is 0.5
# exactly on the line :math:`w_1 x_1 + w_2 x_2 + b = 0`. Each panel shades the
# predicted probability over the input plane and draws that line: one side is
# "1", the other "0".
grid = np.linspace(-0.5, 1.5, 201)
g1, g2 = np.meshgrid(grid, grid)
plane = np.column_stack([g1.ravel(), g2.ravel()])

fig, axes = plt.subplots(1, 3, figsize=(12, 4), constrained_layout=True)
for ax, (gate, (m, _)) in zip(axes, trained.items(), strict=True):
    p = m.predict(plane).reshape(g1.shape)
    filled = ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
    ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=2)
    targets = logic.truth_table(gate)[1].ravel()
    ax.scatter(x[:, 0], x[:, 1], c=targets, cmap="RdBu_r", vmin=0, vmax=1, s=150, edgecolors="k", zorder=3)
    w, b = m.get_weights()
    ax.set_title(f"{gate}: {w[0, 0]:.2f} x1 + {w[1, 0]:.2f} x2 {b[0]:+.2f} = 0")
    ax.set_xlabel("input x1")
    ax.set_ylabel("input x2")
    ax.set_aspect("equal")
fig.colorbar(filled, ax=axes, label="predicted probability of 1", shrink=0.8)
fig.suptitle("Decision boundaries of one sigmoid neuron (black line: output 0.5)")
plt.show()

# %%
# The cost during training
# ------------------------
# ``history.history["cost"]`` holds the tutorial's cost after every epoch
# (``history.history["loss"]`` is Keras' convention: the loss *before* each
# update). The cost falls quickly and then slowly: the sigmoid saturates as the
# weights grow, and the gradient with it.
fig, ax = plt.subplots(figsize=(7, 4))
for gate, (_, history) in trained.items():
    ax.plot(np.arange(1, len(history.history["cost"]) + 1), history.history["cost"], label=gate)
ax.set_xlabel("epoch")
ax.set_ylabel("cost: 0.5 × summed binary cross-entropy")
ax.set_title("Training cost of the gate neurons (SGD, lr 0.1, numeric gradient)")
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %%
# Numeric or analytic: the same numbers
# -------------------------------------
# The gradient strategy is a plug-in of the trainer (see
# :doc:`plot_03_gradient_strategies`). With ``gradient="analytic"``
# (backpropagation) the run gives the same weights to about 1e-10:
analytic_model, analytic_history = gates.train("AND", gradient="analytic")
print("analytic cost:", analytic_history.history["cost"][-1])
print("max weight difference:",
      max(np.abs(a - n).max() for a, n in zip(analytic_model.get_weights(), and_model.get_weights(), strict=True)))

# %%
# What one neuron cannot do
# -------------------------
# XOR's "1" rows (01 and 10) cannot be separated from its "0" rows (00 and 11)
# by one straight line, so the same recipe fails: the cost stays at
# :math:`2 \ln 2 \approx 1.386` and every output stays near 0.5.
xor_model, xor_history = gates.train("XOR")
print("XOR cost after 1000 epochs:", round(xor_history.history["cost"][-1], 4), " 2 ln 2 =", round(2 * np.log(2), 4))
print("XOR predictions:", xor_model.predict(x).ravel().round(3))

# %%
# :doc:`plot_02_xor` builds XOR from these gates, then learns it with a
# hidden layer.
