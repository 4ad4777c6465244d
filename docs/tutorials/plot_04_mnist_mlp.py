"""
MNIST with the tutorial's MLP
=============================

The original tutorial ends with handwritten digits: 28 × 28 grey images of
the digits 0-9, flattened into 784 numbers and fed to a small fully connected
network with a softmax output. This page loads MNIST with
:mod:`layergraph.datasets.mnist`, preprocesses it with
:mod:`layergraph.datasets.batching`, trains the network with backpropagation
and looks at what it gets right and wrong.

The network is trained exactly as the tutorial does it — all 60,000
training images, 20 epochs — because with backpropagation that takes only
seconds.
"""

# %%
# Loading the data
# ----------------
# :func:`~layergraph.datasets.mnist.load` returns
# ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.mnist``:
# ``uint8`` images of shape ``(n, 28, 28)`` and ``uint8`` labels. It reads the
# four official IDX files from ``$LAYERGRAPH_MNIST_DIR`` (or the download
# cache, downloading missing files once; see :doc:`/getting_started`). The
# documentation build never downloads, so we pass ``download=False``.
import time

import matplotlib.pyplot as plt
import numpy as np

from layergraph.datasets import batching, mnist
from layergraph.models import mnist as mnist_models

# sphinx_gallery_thumbnail_number = 3

try:
    (x_train, y_train), (x_test, y_test) = mnist.load(source="idx", download=False, progress=False)
    SOURCE = "MNIST"
except (FileNotFoundError, OSError, ValueError) as err:
    print(f"MNIST files not available ({err}).")
    SOURCE = "synthetic"
    # sphinx_gallery_start_ignore
    from _mnist_data import stand_in  # docs/tutorials/_mnist_data.py

    (x_train, y_train), (x_test, y_test) = stand_in()
    # sphinx_gallery_end_ignore
    print(f"Using a synthetic stand-in of {len(x_train)} + {len(x_test)} rendered digits instead; "
          "set $LAYERGRAPH_MNIST_DIR to a directory holding the four *-ubyte.gz files for the real data.")

print("source:", SOURCE)
print("train:", x_train.shape, x_train.dtype, " test:", x_test.shape, x_test.dtype)
print("pixel range:", x_train.min(), "to", x_train.max())
print("images per digit in the training set:", np.bincount(y_train, minlength=10).tolist())

# %%
# A look at the images:
fig, axes = plt.subplots(3, 10, figsize=(10, 3.4))
for digit in range(10):
    for row, index in enumerate(np.flatnonzero(y_train == digit)[:3]):
        ax = axes[row, digit]
        ax.imshow(x_train[index], cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        if row == 0:
            ax.set_title(str(digit))
fig.suptitle(f"Training images ({SOURCE}), three of each digit; column title: the label")
fig.supxlabel("28 pixels wide")
fig.supylabel("28 pixels high")
plt.show()

# %%
# Preprocessing
# -------------
# The tutorial's pipeline: scale the pixels to ``[0, 1]``, flatten each image
# to a vector of 784 values, and one-hot encode the labels (a
# ``sparse_categorical_crossentropy`` loss would take the integer labels
# directly; both give the same gradient).
x_train_flat = batching.flatten(batching.normalize(x_train))
x_test_flat = batching.flatten(batching.normalize(x_test))
y_train_onehot = batching.to_categorical(y_train, 10)
y_test_onehot = batching.to_categorical(y_test, 10)
print("x:", x_train_flat.shape, x_train_flat.dtype, f"in [{x_train_flat.min()}, {x_train_flat.max()}]")
print("y:", y_train_onehot.shape, "first label", y_train[0], "->", y_train_onehot[0])

# %%
# The network
# -----------
# The tutorial's MLP, :func:`layergraph.models.mnist.tutorial_mlp`: 784 inputs,
# one hidden layer of 64 sigmoid units, and 10 softmax outputs — one
# probability per digit. Its initial weights are the tutorial's
# (``0.01 * randn`` from ``numpy.random.RandomState(777)``, zero biases); it
# is compiled with plain SGD (learning rate 0.1), the tutorial's batch-mean
# cross-entropy and the analytic gradient. Written out, it is:
#
# .. code-block:: python
#
#    model = lg.Sequential([
#        lg.layers.Dense(64, activation="sigmoid", input_shape=(784,), name="hidden"),
#        lg.layers.Dense(10, activation="softmax", name="output"),
#    ])
#    model.set_weights(mnist_models.tutorial_weights())
#    model.compile(optimizer=lg.optimizers.SGD(0.1), loss=mnist_models.tutorial_loss(),
#                  metrics=["accuracy"], gradient="analytic")
#
# ``softmax`` at the output with a cross-entropy loss lets backpropagation
# start from the fused, stable gradient :math:`(p - t)/N` at the logits.
model = mnist_models.tutorial_mlp(learning_rate=0.1)  # shuffling seed: the tutorial's 777
model.summary()
print("loss:", model.loss.get_config(), " optimizer:", model.optimizer)

# %%
# Training
# --------
# Mini-batch SGD with backpropagation (the numeric gradient would need
# 101,780 forward passes per step here, see
# :doc:`plot_03_gradient_strategies`): 20 epochs over all the training images
# in batches of 100. Like the tutorial, we score the test set after every
# epoch to watch progress. (To *choose* settings, hold out a validation set
# from the training images instead, as :doc:`plot_05_making_training_work`
# does; otherwise the test score stops being an unbiased estimate.)
EPOCHS, BATCH = 20, 100
start = time.perf_counter()
history = model.fit(x_train_flat, y_train_onehot, epochs=EPOCHS, batch_size=BATCH,
                    validation_data=(x_test_flat, y_test_onehot), verbose=0)
seconds = time.perf_counter() - start
print(f"trained on {len(x_train_flat)} images for {EPOCHS} epochs (batch {BATCH}, "
      f"{EPOCHS * -(-len(x_train_flat) // BATCH)} SGD steps) in {seconds:.1f} s")
for epoch in sorted({0, 4, 9, 14, EPOCHS - 1}):
    print(f"epoch {epoch + 1:2d}: " + ", ".join(f"{k} {v[epoch]:.4f}" for k, v in history.history.items()))

# %%
# The same run is one call of :func:`layergraph.models.mnist.train`, or the
# command ``python -m layergraph mnist --model tutorial``, which also writes
# these figures with :mod:`layergraph.plot`.

# %%
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
epochs = np.arange(1, EPOCHS + 1)
ax0.plot(epochs, history.history["loss"], "o-", label="training (mean over the epoch)")
ax0.plot(epochs, history.history["val_loss"], "s-", label="test set (after the epoch)")
ax0.set_xlabel("epoch")
ax0.set_ylabel("categorical cross-entropy")
ax0.set_title("Loss")
ax0.legend()
ax1.plot(epochs, history.history["accuracy"], "o-", label="training")
ax1.plot(epochs, history.history["val_accuracy"], "s-", label="test set")
ax1.set_xlabel("epoch")
ax1.set_ylabel("accuracy")
ax1.set_title("Accuracy")
ax1.legend()
for ax in (ax0, ax1):
    ax.set_xticks(epochs[::2])
    ax.grid(alpha=0.3)
fig.suptitle(f"Training curves of the tutorial MLP ({len(x_train_flat)} training images, {SOURCE})")
plt.show()

# %%
# Predictions
# -----------
# ``predict`` returns the ten softmax probabilities of every image; the
# predicted digit is the most probable one. Accuracy on the **whole** test set:
probabilities = model.predict(x_test_flat)
predicted = probabilities.argmax(axis=1)
test_loss, test_accuracy = model.evaluate(x_test_flat, y_test_onehot)
print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.4f} "
      f"({int((predicted == y_test).sum())} of {len(y_test)} correct)")

# %%
# The first 32 test images with the network's answer; the wrong ones in red:
fig, axes = plt.subplots(4, 8, figsize=(10, 5.6))
for i, ax in enumerate(axes.ravel()):
    ax.imshow(x_test[i], cmap="gray_r")
    ok = predicted[i] == y_test[i]
    ax.set_title(f"{predicted[i]} ({probabilities[i, predicted[i]]:.0%})", color="black" if ok else "red",
                 fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    if not ok:
        for spine in ax.spines.values():
            spine.set_edgecolor("red")
            spine.set_linewidth(2)
fig.suptitle("Test images: predicted digit (probability); red = wrong")
plt.show()

# %%
# Confusion matrix
# ----------------
# Row ``i``, column ``j`` counts the test images of digit ``i`` that the
# network called ``j``; the diagonal holds the correct answers.
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, predicted), 1)
fig, ax = plt.subplots(figsize=(6.5, 5.5))
shown = ax.imshow(confusion, cmap="Blues")
for i in range(10):
    for j in range(10):
        if confusion[i, j]:
            ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=7,
                    color="white" if confusion[i, j] > confusion.max() / 2 else "black")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted digit")
ax.set_ylabel("true digit")
ax.set_title(f"Confusion matrix on {len(y_test)} test images")
fig.colorbar(shown, ax=ax, label="number of images")
plt.show()

off_diagonal = confusion - np.diag(np.diag(confusion))
pairs = np.dstack(np.unravel_index(np.argsort(off_diagonal, axis=None)[::-1][:5], confusion.shape))[0]
print("most frequent mistakes (true -> predicted: count):",
      ", ".join(f"{t} -> {p}: {off_diagonal[t, p]}" for t, p in pairs))
print("per-digit accuracy:", np.round(np.diag(confusion) / confusion.sum(axis=1), 3).tolist())

# %%
# The most confident mistakes are often images that a person would also find
# ambiguous:
wrong = np.flatnonzero(predicted != y_test)
worst = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])][:8]
fig, axes = plt.subplots(1, 8, figsize=(10, 2.1), layout="constrained")  # room for the title inside the figure
for ax, i in zip(axes, worst, strict=False):  # fewer than 8 mistakes leave axes blank
    ax.imshow(x_test[i], cmap="gray_r")
    ax.set_title(f"true {y_test[i]}, said {predicted[i]}\n({probabilities[i, predicted[i]]:.0%})", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("The network's most confident mistakes")
plt.show()

# %%
# What was run
# ------------
# Exactly the tutorial's training: the tutorial's MLP, its initial weights,
# plain SGD with learning rate 0.1, batches of 100, 20 epochs over all 60,000
# training images (the printed timings say how long it took when this page
# was built). It lands at about 95 % test accuracy, as the tutorial does.
# (If the MNIST files were missing when this page was built, the output above
# says so and comes from the synthetic stand-in digits instead.)
# :doc:`plot_05_making_training_work` shows what better optimisers,
# initialisation, regularisation and a convolutional network add.
