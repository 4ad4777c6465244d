"""Figures of training runs, written to PNG files (headless, atomic).

matplotlib is imported inside the functions, so ``import layergraph`` stays
light. Figures are built with :class:`matplotlib.figure.Figure` directly (no
``pyplot``, no global state, no display needed) and rendered by the Agg
backend. Each file is first written to a temporary file beside ``path`` and
then renamed over it, so a reader never sees a half-written PNG.

Example
-------
>>> import os, tempfile
>>> from layergraph import plot
>>> history = {"loss": [0.9, 0.5, 0.4], "accuracy": [0.7, 0.85, 0.9],
...            "val_loss": [0.6, 0.5, 0.45], "val_accuracy": [0.8, 0.86, 0.88]}
>>> path = plot.plot_history(history, os.path.join(tempfile.mkdtemp(), "history.png"))
>>> open(path, "rb").read(8) == plot.PNG_SIGNATURE
True
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._atomic import atomic_write

#: The first eight bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_TRAIN_COLOR, _VAL_COLOR, _ERROR_COLOR = "tab:blue", "tab:orange", "tab:red"


def _figure(**kwargs):
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def save_figure(fig, path, dpi=100):
    """Render ``fig`` to ``path`` as PNG atomically; returns the :class:`~pathlib.Path`.

    The parent folder is created if needed. On any error the temporary file
    is removed and an existing ``path`` is left untouched.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or path-like
        Where to write the PNG (parent folders are created).
    dpi : int, default 100
        Resolution of the PNG.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)  # attach the headless renderer
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=dpi)
    return path


def _history_dict(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"plot_history needs a History or a non-empty dict of per-epoch lists, got {history!r}")
    return logs


def plot_history(history, path, title=None):
    """Training curves: loss and accuracy per epoch, train against validation.

    Writes :func:`history_figure` to ``path``; returns the :class:`~pathlib.Path`.

    Parameters
    ----------
    history : History or dict
        As for :func:`history_figure`.
    path : str or path-like
        Where to write the PNG (parent folders are created).
    title : str, optional
        Title above the figure.

    Example
    -------
    >>> import os, tempfile, layergraph.plot
    >>> path = layergraph.plot.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]},
    ...                                     os.path.join(tempfile.mkdtemp(), "history.png"))
    >>> path.suffix, path.stat().st_size > 0
    ('.png', True)
    """
    return save_figure(history_figure(history, title), path)


def history_figure(history, title=None):
    """The :class:`~matplotlib.figure.Figure` of :func:`plot_history`.

    Parameters
    ----------
    history : History or dict
        ``fit``'s result, or its ``history.history`` dict (``loss``,
        ``accuracy``, ``val_loss``, ``val_accuracy``; missing ones are skipped).
    title : str, optional
        Title above both panels.
    """
    logs = _history_dict(history)
    panels = [(m, label) for m, label in (("loss", "Loss"), ("accuracy", "Accuracy"))
              if m in logs or f"val_{m}" in logs]
    if not panels:
        raise ValueError(f"plot_history: no loss or accuracy in the history (keys: {sorted(logs)})")
    fig = _figure(figsize=(5.5 * len(panels), 4.2), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (metric, label) in zip(axes, panels, strict=True):
        for key, name, color, marker in ((metric, "train", _TRAIN_COLOR, "o"),
                                         (f"val_{metric}", "validation", _VAL_COLOR, "s")):
            if key in logs:
                values = np.asarray(logs[key], dtype=float)
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, marker=marker, markersize=3, color=color, label=f"{name} ({values[-1]:.4f})")
        ax.set_xlabel("Epoch")
        ax.set_ylabel(label)
        ax.set_title(f"{label} per epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    return fig


def _class_indices(values, what):
    values = np.asarray(values)
    if values.ndim == 2:  # one-hot labels or class probabilities
        return np.argmax(values, axis=1)
    if values.ndim != 1:
        raise ValueError(f"{what} must be class indices (n,) or one-hot/probabilities (n, classes), got {values.shape}")
    return values.astype(np.int64)


def _as_images(images):
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        return images[..., 0]
    if images.ndim == 2:  # flattened square images, e.g. (n, 784)
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"flat images of {images.shape[1]} pixels are not square")
        return images.reshape(len(images), side, side)
    if images.ndim != 3:
        raise ValueError(f"images must be (n, h, w), (n, h, w, 1) or (n, h*w), got shape {images.shape}")
    return images


def plot_digits(images, labels, predictions=None, path="digits.png", n=25, ncols=None, title=None):
    """A grid of the first ``n`` images with their true and predicted labels.

    Mistakes (prediction differs from the label) get a red title and frame.
    Writes :func:`digits_figure` to ``path``; returns the :class:`~pathlib.Path`.

    Parameters
    ----------
    images : numpy.ndarray
        As for :func:`digits_figure`.
    labels : numpy.ndarray
        As for :func:`digits_figure`.
    predictions : numpy.ndarray, optional
        As for :func:`digits_figure`.
    path : str or path-like, default "digits.png"
        Where to write the PNG.
    n : int, default 25
        How many images.
    ncols : int, optional
        Columns of the grid (default near-square).
    title : str, optional
        Title above the figure.
    """
    return save_figure(digits_figure(images, labels, predictions, n, ncols, title), path)


def digits_figure(images, labels, predictions=None, n=25, ncols=None, title=None):
    """The :class:`~matplotlib.figure.Figure` of :func:`plot_digits`.

    Parameters
    ----------
    images : numpy.ndarray
        ``(n, 28, 28)``, ``(n, 28, 28, 1)`` or flattened ``(n, 784)``; any range.
    labels : numpy.ndarray
        Class indices ``(n,)`` or one-hot ``(n, 10)``.
    predictions : numpy.ndarray, optional
        Class indices or probabilities ``(n, 10)``; omitted: labels only.
    n : int
        How many images (at most ``len(images)``).
    ncols : int, optional
        Default: a near-square grid.
    title : str, optional
        Title above the grid.
    """
    images = _as_images(images)
    labels = _class_indices(labels, "labels")
    preds = None if predictions is None else _class_indices(predictions, "predictions")
    if len(labels) != len(images) or (preds is not None and len(preds) != len(images)):
        raise ValueError(f"plot_digits: {len(images)} images but {len(labels)} labels"
                         + ("" if preds is None else f" and {len(preds)} predictions"))
    n = min(int(n), len(images))
    if n < 1:
        raise ValueError("plot_digits: nothing to plot (n < 1 or no images)")
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    fig = _figure(figsize=(1.3 * ncols, 1.5 * nrows + (0.4 if title else 0)), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.set_axis_off()
            continue
        ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
        wrong = preds is not None and preds[i] != labels[i]
        text = f"true {labels[i]}" if preds is None else f"true {labels[i]} / pred {preds[i]}"
        ax.set_title(text, fontsize=8, color=_ERROR_COLOR if wrong else "black")
        for spine in ax.spines.values():
            spine.set_color(_ERROR_COLOR if wrong else "lightgray")
            spine.set_linewidth(2.5 if wrong else 0.8)
    if title:
        fig.suptitle(title)
    return fig


def confusion_matrix(labels, predictions, num_classes=None):
    """``counts[true, predicted]`` as an integer array ``(k, k)``.

    Parameters
    ----------
    labels : array-like
        True classes: indices ``(n,)`` or one-hot ``(n, k)``.
    predictions : array-like
        Predicted classes: indices ``(n,)`` or probabilities ``(n, k)``.
    num_classes : int, optional
        ``k``; default: the largest class seen plus one.

    Example
    -------
    >>> import layergraph.plot
    >>> layergraph.plot.confusion_matrix([0, 1, 1], [0, 0, 1]).tolist()
    [[1, 0], [1, 1]]
    """
    labels = _class_indices(labels, "labels")
    preds = _class_indices(predictions, "predictions")
    if len(labels) != len(preds):
        raise ValueError(f"confusion_matrix: {len(labels)} labels but {len(preds)} predictions")
    k = num_classes or int(max(labels.max(initial=0), preds.max(initial=0))) + 1
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (labels, preds), 1)
    return counts


def plot_confusion_matrix(labels, predictions, path, num_classes=None, title=None):
    """Heat map of :func:`confusion_matrix`, counts written in the cells, to ``path``.

    Parameters
    ----------
    labels : array-like
        As for :func:`confusion_matrix`.
    predictions : array-like
        As for :func:`confusion_matrix`.
    path : str or path-like
        Where to write the PNG (parent folders are created).
    num_classes : int, optional
        As for :func:`confusion_matrix`.
    title : str, optional
        Default: the accuracy.

    Returns
    -------
    pathlib.Path
    """
    return save_figure(confusion_figure(labels, predictions, num_classes, title), path)


def confusion_figure(labels, predictions, num_classes=None, title=None):
    """The :class:`~matplotlib.figure.Figure` of :func:`plot_confusion_matrix`.

    Parameters
    ----------
    labels : array-like
        As for :func:`confusion_matrix`.
    predictions : array-like
        As for :func:`confusion_matrix`.
    num_classes : int, optional
        As for :func:`confusion_matrix`.
    title : str, optional
        Default: the accuracy.
    """
    counts = confusion_matrix(labels, predictions, num_classes)
    k = len(counts)
    fig = _figure(figsize=(1.0 + 0.55 * k, 0.6 + 0.5 * k), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax, label="samples")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(title or f"Confusion matrix (accuracy {accuracy:.4f})")
    threshold = counts.max() / 2
    for (i, j), c in np.ndenumerate(counts):
        if c:
            ax.text(j, i, str(c), ha="center", va="center", fontsize=7, color="white" if c > threshold else "black")
    return fig


def moving_average(values, window):
    """Trailing means of up to ``window`` values, one per value.

    The ``i``-th mean (0-based) averages ``values[max(0, i - window + 1):i + 1]``:
    the first ``window - 1`` use the fewer values there are, so a smoothed
    curve starts where the raw one does.

    Parameters
    ----------
    values : array-like
        A 1-D sequence.
    window : int
        How many values each mean covers at most.

    Example
    -------
    >>> import layergraph.plot
    >>> layergraph.plot.moving_average([1.0, 3.0, 5.0, 7.0], window=2).tolist()
    [1.0, 2.0, 4.0, 6.0]
    """
    values = np.asarray(values, dtype=float)
    window = max(1, int(window))
    sums = np.cumsum(np.concatenate([[0.0], values]))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def plot_loss_curves(losses, path, title=None, accuracy=None, window=None):
    """Training loss per iteration of several runs, on one figure.

    Writes :func:`loss_curves_figure` to ``path``; returns the :class:`~pathlib.Path`.

    Parameters
    ----------
    losses : dict
        As for :func:`loss_curves_figure`.
    path : str or path-like
        Where to write the PNG (parent folders are created).
    title : str, optional
        Title above the figure.
    accuracy : dict, optional
        As for :func:`loss_curves_figure`.
    window : int, optional
        As for :func:`loss_curves_figure`.
    """
    return save_figure(loss_curves_figure(losses, title, accuracy, window), path)


def loss_curves_figure(losses, title=None, accuracy=None, window=None):
    """The :class:`~matplotlib.figure.Figure` of :func:`plot_loss_curves`.

    Parameters
    ----------
    losses : dict
        ``{label: per-iteration losses}``, e.g. one entry per optimizer.
        Each is drawn faintly as recorded and boldly as a moving average, on
        a log scale (a linear one if some loss is not positive): per-batch
        losses are noisy, and the interesting differences are ratios.
    title : str, optional
        Title above the figure.
    accuracy : dict, optional
        ``{label: per-epoch test accuracies}``: adds a second panel.
    window : int, optional
        Of the moving average; default ``len / 40`` iterations (no smoothing
        for short runs).
    """
    if not losses or any(len(v) == 0 for v in losses.values()):
        raise ValueError(f"plot_loss_curves needs a non-empty list of losses per label, got {list(losses or {})}")
    panels = 2 if accuracy else 1
    fig = _figure(figsize=(7.5 + 4.0 * (panels - 1), 4.8), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False, width_ratios=[7.5, 4.0][:panels])[0]
    ax = axes[0]
    for label, values in losses.items():
        values = np.asarray(values, dtype=float)
        iterations = np.arange(1, len(values) + 1)
        smooth = moving_average(values, window or max(1, len(values) // 40))
        line, = ax.plot(iterations, smooth, linewidth=1.8, zorder=3, label=f"{label} ({smooth[-1]:.3f})")
        # Under every bold curve; a leading underscore keeps it out of the legend.
        ax.plot(iterations, values, color=line.get_color(), alpha=0.2, linewidth=0.6, zorder=1, label="_raw")
    if all(np.all(np.asarray(v, dtype=float) > 0) for v in losses.values()):
        ax.set_yscale("log")
    ax.set_xlabel("Iteration (mini-batch)")
    ax.set_ylabel("Training loss")
    ax.set_title("Training loss per iteration (faint: per batch; bold: moving average)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="last smoothed loss")
    if accuracy:
        ax = axes[1]
        for label, values in accuracy.items():
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=4,
                    label=f"{label} ({values[-1]:.4f})" if len(values) else label)
        ax.set_xlabel("Epoch")
        ax.set_ylabel("Test accuracy")
        ax.set_title("Test accuracy per epoch")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right")
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    return fig
