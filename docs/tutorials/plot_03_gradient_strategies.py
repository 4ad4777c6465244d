"""
Gradient strategies: numeric versus analytic
============================================

The original tutorial computes every gradient *numerically*: nudge one weight
up, nudge it down, and look at how the cost changes. That is simple and always
right, but it costs two forward passes **per weight**. Backpropagation gets all
the gradients from one forward and one backward pass. In layergraph the two are
interchangeable **gradient strategies** (:mod:`layergraph.gradients`)
that the trainer injects; this tutorial compares them, checks one against the
other, measures their cost as the model grows, and plugs a strategy of our own
into the trainer.
"""

# %%
# Two ways to the same numbers
# ----------------------------
# A strategy has one method, ``gradients(model, loss, x, y) -> (loss, grads)``,
# with ``grads`` aligned with ``model.trainable_weights``.
import time

import matplotlib.pyplot as plt
import numpy as np

import layergraph as lg

rng = np.random.default_rng(0)
x = rng.normal(size=(16, 3))
y = (x.sum(axis=1, keepdims=True) > 0).astype(float)
model = lg.Sequential([lg.layers.Dense(4, activation="tanh", input_shape=(3,), seed=1),
                       lg.layers.Dense(1, activation="sigmoid", seed=2)])

numeric = lg.gradients.NumericGradient(epsilon=1e-5)
analytic = lg.gradients.AnalyticGradient()
loss_n, grads_n = numeric.gradients(model, "binary_crossentropy", x, y)
loss_a, grads_a = analytic.gradients(model, "binary_crossentropy", x, y)
print("loss:", loss_n, loss_a)
for w, gn, ga in zip(model.trainable_weights, grads_n, grads_a, strict=True):
    print(f"{w.name:14s} shape {str(w.shape):8s} max |numeric - analytic| = {np.abs(gn - ga).max():.1e}")

# %%
# The numeric strategy computes, for every element :math:`w_i` of every
# weight, the central difference
#
# .. math:: \frac{\partial L}{\partial w_i} \approx \frac{L(w_i + \epsilon) - L(w_i - \epsilon)}{2\epsilon}
#
# each element perturbed alone. The reference way to compute it,
# ``NumericGradient(vectorized=False)``, perturbs one element **in place**,
# runs the model, and restores it in a ``finally`` block, so the model is
# unchanged afterwards, even when a forward pass raises. The default computes
# the same differences many at a time (below). The error of a central
# difference is :math:`O(\epsilon^2)` from truncation plus
# :math:`O(\text{rounding}/\epsilon)` from cancellation, so in float64 an
# :math:`\epsilon` near :math:`10^{-5}` is the sweet spot:
kernel_grad = grads_a[0]
for eps in (1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-11):
    g = lg.gradients.NumericGradient(epsilon=eps).gradients(model, "binary_crossentropy", x, y)[1][0]
    print(f"epsilon {eps:.0e}: max error of the first kernel's gradient {np.abs(g - kernel_grad).max():.1e}")

# %%
# ``gradients.check``: the analytic gradient on trial
# ---------------------------------------------------
# :func:`~layergraph.gradients.check` runs both strategies and
# returns, for each trainable weight, the largest relative error
# :math:`|a - n| / \max(|a| + |n|, 10^{-8})`. Every layer's ``backward`` is
# tested this way in the test suite (and :doc:`plot_06_custom_layer` uses it
# on a new layer). Values around :math:`10^{-8}` or below mean "correct".
deeper = lg.Sequential([lg.layers.Dense(6, activation="relu", input_shape=(3,), seed=3),
                        lg.layers.Dense(5, activation="tanh", seed=4),
                        lg.layers.Dense(3, activation="softmax", seed=5)])
labels = rng.integers(0, 3, size=16)
errors = lg.gradients.check(deeper, "sparse_categorical_crossentropy", x, labels)
for w, e in zip(deeper.trainable_weights, errors, strict=True):
    print(f"{w.name:14s} relative error {e:.1e}")

# %%
# For a big model, ``NumericGradient(max_coordinates=k)`` differentiates only
# ``k`` randomly chosen elements of each weight (the rest are ``nan`` and are
# ignored by the check). That keeps a check of a large layer fast:
big = lg.Sequential([lg.layers.Dense(256, activation="relu", input_shape=(64,), seed=6),
                     lg.layers.Dense(10, activation="softmax", seed=7)])
xb, yb = rng.normal(size=(8, 64)), rng.integers(0, 10, size=8)
start = time.perf_counter()
errors = lg.gradients.check(big, "sparse_categorical_crossentropy", xb, yb,
                            numeric=lg.gradients.NumericGradient(max_coordinates=20, seed=0))
print(f"{big.count_params()} parameters, 20 sampled per weight: max relative error {max(errors):.1e} "
      f"in {time.perf_counter() - start:.2f} s")


# %%
# What each strategy costs as the model grows
# -------------------------------------------
# We time one gradient of a ``d → h → 1`` network on a batch of 32 for growing
# hidden widths ``h``. The element-by-element loop
# (``NumericGradient(vectorized=False)``) needs ``2 × params`` forward
# passes, so its time grows linearly with the number of parameters (and each
# pass also gets slower); backpropagation stays within a small factor of one
# forward pass. The default, vectorised numeric strategy computes the same
# differences but evaluates many perturbed copies of the network per pass and
# recomputes only what each perturbed weight changes
# (:mod:`~layergraph.framework.central_differences`): still a cost per
# parameter, a much smaller one. Sizes are kept small so that this page
# builds quickly.
def seconds_per_gradient(strategy, model, x, y, repeats, loss="binary_crossentropy"):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        strategy.gradients(model, loss, x, y)
        best = min(best, time.perf_counter() - start)
    return best


d = 16
xs = rng.normal(size=(32, d))
ys = (xs[:, :1] > 0).astype(float)
element_loop = lg.gradients.NumericGradient(epsilon=1e-5, vectorized=False)
sizes, t_numeric, t_vectorized, t_analytic = [], [], [], []
for h in (2, 4, 8, 16, 32, 64, 128):
    net = lg.Sequential([lg.layers.Dense(h, activation="tanh", input_shape=(d,), seed=h),
                         lg.layers.Dense(1, activation="sigmoid", seed=h + 1)])
    sizes.append(net.count_params())
    t_numeric.append(seconds_per_gradient(element_loop, net, xs, ys, repeats=2))
    t_vectorized.append(seconds_per_gradient(numeric, net, xs, ys, repeats=3))
    t_analytic.append(seconds_per_gradient(analytic, net, xs, ys, repeats=20))
    print(f"hidden {h:4d}: {sizes[-1]:5d} params  element loop {t_numeric[-1] * 1e3:8.2f} ms  "
          f"vectorised {t_vectorized[-1] * 1e3:6.2f} ms  analytic {t_analytic[-1] * 1e3:6.3f} ms  "
          f"loop / analytic {t_numeric[-1] / t_analytic[-1]:6.0f}x")

fig, ax = plt.subplots(figsize=(7, 4.5))
ax.loglog(sizes, t_numeric, "o-", label="NumericGradient(vectorized=False): the element loop")
ax.loglog(sizes, t_vectorized, "^-", label="NumericGradient(): vectorised central differences")
ax.loglog(sizes, t_analytic, "s-", label="AnalyticGradient (backpropagation)")
ax.loglog(sizes, t_numeric[0] * np.array(sizes) / sizes[0], "k:", label="∝ number of parameters")
ax.set_xlabel("number of parameters of a 16 → h → 1 network")
ax.set_ylabel("seconds per gradient (batch of 32, best of runs)")
ax.set_title("Measured cost of one gradient, numeric vs analytic")
ax.legend()
ax.grid(alpha=0.3, which="both")
plt.show()

# %%
# Extrapolating to the tutorial's MNIST network ``784 → 64 sigmoid → 10
# softmax`` (:func:`layergraph.models.mnist.tutorial_mlp`): it has 50,890
# parameters, so the element loop needs 101,780 forward passes of the batch
# per gradient. We time *one* forward pass of that network on a batch of 32
# and multiply (an estimate, not a measured loop), and measure the
# vectorised strategy and backpropagation:
mnist_net = lg.Sequential([lg.layers.Dense(64, activation="sigmoid", input_shape=(784,), seed=0),
                           lg.layers.Dense(10, activation="softmax", seed=1)])
batch = rng.random((32, 784))
forward_times = []
for _ in range(20):
    start = time.perf_counter()
    mnist_net.forward(batch)
    forward_times.append(time.perf_counter() - start)
per_pass = min(forward_times)
step = per_pass * 2 * mnist_net.count_params()
backprop = seconds_per_gradient(analytic, mnist_net, batch, np.eye(10)[rng.integers(0, 10, 32)], 5,
                                loss="categorical_crossentropy")
vectorised = seconds_per_gradient(numeric, mnist_net, batch, np.eye(10)[rng.integers(0, 10, 32)], 1,
                                  loss="categorical_crossentropy")
print(f"{mnist_net.count_params():,} parameters; one forward pass: {per_pass * 1e3:.2f} ms")
# (random pixels: no input is zero, so the Dense shortcut skips no sample)
print(f"element loop (estimated):      {step:.0f} s per step, {step * 1875 / 3600:.0f} h per epoch of 1,875 steps")
print(f"vectorised numeric (measured): {vectorised:.2f} s per step")
print(f"backpropagation (measured):    {backprop * 1e3:.1f} ms per step")

# %%
# The vectorised numeric strategy makes numerical differentiation usable for
# small networks; :doc:`plot_08_why_it_does_not_train` trains the tutorial's
# MNIST network with it for a whole epoch and compares it with
# backpropagation. Backpropagation remains the way to train.

# %%
# How the trainer injects the strategy
# ------------------------------------
# The :class:`~layergraph.Trainer` receives the strategy
# and never looks inside it; the layers never know which strategy runs. Pick
# one by name in ``compile``:
xor_x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
xor_y = np.array([0.0, 1.0, 1.0, 0.0])


def xor_net():
    return lg.Sequential([lg.layers.Dense(4, activation="sigmoid", input_shape=(2,), seed=0),
                          lg.layers.Dense(1, activation="sigmoid", seed=1)])


m1 = xor_net()
m1.compile(optimizer=lg.optimizers.SGD(1.0), loss="binary_crossentropy", gradient="numeric")
print("compile(gradient='numeric') ->", m1.trainer.gradient)

# %%
# or pass an instance (with its own settings) to ``compile`` or straight to a
# :class:`~layergraph.Trainer`, which is what ``compile``
# builds:
m2 = xor_net()
trainer = lg.Trainer(m2, loss="binary_crossentropy", optimizer=lg.optimizers.SGD(1.0),
                     gradient=lg.gradients.NumericGradient(epsilon=1e-6), seed=0)
h2 = trainer.fit(xor_x, xor_y, epochs=300, batch_size=4, verbose=0)
print("Trainer(..., gradient=NumericGradient(epsilon=1e-6)): final loss", h2.history["loss"][-1])


# %%
# A strategy is any :class:`~layergraph.gradients.GradientStrategy`
# subclass. This one wraps backpropagation and counts the calls and the time
# spent — the trainer uses it like any other:
class TimedGradient(lg.gradients.GradientStrategy):
    """Backpropagation that records how long each gradient takes."""

    name = "timed"

    def __init__(self):
        self.inner = lg.gradients.AnalyticGradient()
        self.seconds = []

    def gradients(self, model, loss, x, y):
        start = time.perf_counter()
        result = self.inner.gradients(model, loss, x, y)
        self.seconds.append(time.perf_counter() - start)
        return result


timed = TimedGradient()
m3 = xor_net()
m3.compile(optimizer=lg.optimizers.SGD(1.0), loss="binary_crossentropy", gradient=timed)
h3 = m3.fit(xor_x, xor_y, epochs=300, batch_size=4, verbose=0)
print(f"{len(timed.seconds)} gradients, {np.mean(timed.seconds) * 1e6:.0f} µs each on average; "
      f"final loss {h3.history['loss'][-1]:.4f}")

# %%
# The numeric and the analytic runs follow the same path: same initial
# weights, same updates up to rounding.
m4 = xor_net()
m4.compile(optimizer=lg.optimizers.SGD(1.0), loss="binary_crossentropy", gradient="analytic")
h4 = m4.fit(xor_x, xor_y, epochs=300, batch_size=4, verbose=0)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(h2.history["loss"], label="NumericGradient(epsilon=1e-6)", linewidth=3, alpha=0.6)
ax.plot(h4.history["loss"], "--", label="AnalyticGradient")
ax.set_xlabel("epoch")
ax.set_ylabel("binary cross-entropy (mean over the batch)")
ax.set_title("XOR training: the two strategies give the same curve")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
print("largest weight difference after 300 epochs:",
      max(np.abs(a - b).max() for a, b in zip(m2.get_weights(), m4.get_weights(), strict=True)))

# %%
# The same strategies feed a full-batch optimiser
# -----------------------------------------------
# :class:`~layergraph.optimizers.ScipyOptimizer` hands the whole
# problem to :func:`scipy.optimize.minimize` (L-BFGS-B by default): each
# ``fit`` epoch runs up to ``maxiter`` solver iterations on the full batch,
# and the loss and gradient the solver asks for come from the trainer's
# strategy — numeric or analytic alike. On a problem as small as XOR a
# quasi-Newton method needs far fewer steps than SGD:
for strategy in ("numeric", "analytic"):
    m5 = xor_net()
    scipy_opt = lg.optimizers.ScipyOptimizer(method="L-BFGS-B", maxiter=200)
    m5.compile(optimizer=scipy_opt, loss="binary_crossentropy", gradient=strategy)
    start = time.perf_counter()
    m5.fit(xor_x, xor_y, epochs=1, verbose=0)
    print(f"L-BFGS-B with the {strategy:8s} gradient: {scipy_opt.iterations} iterations, "
          f"{(time.perf_counter() - start) * 1e3:.0f} ms, loss {m5.evaluate(xor_x, xor_y):.2e}, "
          f"predictions {m5.predict(xor_x).ravel().round(3)}")
