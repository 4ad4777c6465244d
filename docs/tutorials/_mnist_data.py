"""Helpers shared by the MNIST tutorials (not a tutorial itself).

:func:`synthetic_digits` is the offline stand-in used when the MNIST files
are not available at build time: digits drawn with matplotlib's fonts, then
randomly rotated, scaled, shifted, blurred and noised, in MNIST's format.
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import ndimage


def _templates():
    out = []
    for family in ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"):
        for weight in ("normal", "bold"):
            row = []
            for digit in range(10):
                fig = Figure(figsize=(0.56, 0.56), dpi=100)
                FigureCanvasAgg(fig)
                fig.text(0.5, 0.5, str(digit), ha="center", va="center", fontsize=30, family=family, weight=weight)
                fig.canvas.draw()
                img = 255 - np.asarray(fig.canvas.buffer_rgba())[..., 0].astype(float)
                row.append(ndimage.zoom(img, 0.5, order=1))
            out.append(row)
    return np.array(out)  # (styles, 10, 28, 28)


def synthetic_digits(n, seed):
    """``(images, labels)``: ``uint8`` arrays of shape ``(n, 28, 28)`` and ``(n,)``."""
    rng = np.random.default_rng(seed)
    templates = _templates()
    labels = rng.integers(0, 10, n)
    images = np.empty((n, 28, 28))
    centre = np.array([13.5, 13.5])
    for i, d in enumerate(labels):
        t = templates[rng.integers(len(templates)), d]
        angle = np.deg2rad(rng.normal(0, 10))
        scale = rng.uniform(0.8, 1.15)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) / scale
        offset = centre - rot @ centre + rng.normal(0, 1.5, 2)
        images[i] = ndimage.affine_transform(t, rot, offset=offset, order=1)
    images = ndimage.gaussian_filter(images, (0, 0.5, 0.5)) + rng.normal(0, 8, images.shape)
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.uint8)


def stand_in(n_train=12_000, n_test=2_000):
    """``(x_train, y_train), (x_test, y_test)`` of synthetic digits."""
    return synthetic_digits(n_train, 0), synthetic_digits(n_test, 1)
