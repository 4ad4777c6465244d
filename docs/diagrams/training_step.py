"""Diagram of one training step (drawn by the ``.. plot::`` directive of architecture.rst)."""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

BOXES = [
    # (x, y, width, height, title, body, colour)
    (0.2, 0.6, 3.0, 6.5, "Trainer",
     "fit():\nfor each epoch\n  for each batch (x, y)\n    train_step(x, y)\n\nchecks that loss and\ngrads are finite",
     "#cfe2f3"),
    (4.5, 5.3, 4.3, 1.8, "GradientStrategy", "gradients(model, loss, x, y)\n-> (loss_value, grads)", "#fce5cd"),
    (4.5, 2.95, 4.3, 1.6, "Optimizer", "apply(trainable_weights, grads)\nupdates Variables in place", "#fff2cc"),
    (4.5, 0.6, 4.3, 1.6, "Callbacks", "on_train_batch_end,\non_epoch_end(logs); History", "#d0e0e3"),
    (10.0, 5.3, 4.4, 1.8, "Model graph: forward",
     "layer.forward(inputs, training)\nin topological order\n-> y_pred, caches", "#d9ead3"),
    (10.0, 2.95, 4.4, 1.6, "Loss (+ weight penalties)", "loss(y, y_pred); fused dL/dz\nfor sigmoid/softmax + CE",
     "#ead1dc"),
    (10.0, 0.6, 4.4, 1.6, "Model graph: backward",
     "analytic: layer.backward(g, cache)\nnumeric: w ± eps, forward again", "#d9ead3"),
]

ARROWS = [
    # (start, end, label, label offset)
    ((3.2, 6.65), (4.5, 6.65), "1 batch", (0, 0.05)),
    ((8.8, 6.65), (10.0, 6.65), "2 run", (0, 0.05)),
    ((12.2, 5.3), (12.2, 4.55), "3 y_pred", (0.55, -0.25)),
    ((12.2, 2.95), (12.2, 2.2), "4 dL/dy", (0.5, -0.25)),
    ((10.0, 1.9), (8.8, 5.5), "5 dL/dw", (0.35, -0.2)),
    ((4.5, 5.75), (3.2, 5.75), "6 loss, grads", (0, 0.05)),
    ((3.2, 3.75), (4.5, 3.75), "7 grads", (0, 0.05)),
    ((3.2, 1.4), (4.5, 1.4), "8 logs", (0, 0.05)),
]


def draw(ax=None):
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 5.4))
    for x, y, w, h, title, body, colour in BOXES:
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.15",
                                    facecolor=colour, edgecolor="#333333", linewidth=1.2))
        ax.text(x + w / 2, y + h - 0.3, title, ha="center", va="center", fontsize=11.5, fontweight="bold")
        ax.text(x + w / 2, y + (h - 0.45) / 2, body, ha="center", va="center", fontsize=9.4, family="monospace")
    for start, end, label, (dx, dy) in ARROWS:
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=15, linewidth=1.4,
                                     color="#444444"))
        ax.text((start[0] + end[0]) / 2 + dx, (start[1] + end[1]) / 2 + dy, label, ha="center", va="bottom",
                fontsize=9.4, bbox=dict(facecolor="white", edgecolor="none", alpha=0.9, pad=0.5))
    ax.set_xlim(0, 14.6)
    ax.set_ylim(0.4, 7.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title("One training step: trainer → gradient strategy → model graph → loss → optimizer → callbacks",
                 fontsize=11.5)
    return ax


draw()
plt.tight_layout()
