r"""Resample a batch of images through one affine transform per image, and the adjoint.

The arithmetic behind the augmentation layers
(:mod:`~layergraph.framework.layers.augmentation`), with Keras'
``keras.ops.image.affine_transform`` conventions (channels last):

- a transform is a ``(2, 3)`` matrix ``[[a0, a1, a2], [b0, b1, b2]]`` that
  maps each *output* pixel ``(x, y)`` (column, row) to the *input* point it
  reads, :math:`x_{in} = a_0 x + a_1 y + a_2,\ y_{in} = b_0 x + b_1 y + b_2`;
- ``"bilinear"`` interpolation blends the four pixels around that point,
  ``"nearest"`` reads the pixel at the rounded point (halves round up);
- a pixel index outside the image is mapped back in by ``fill_mode``:
  ``"reflect"`` ``(d c b a | a b c d | d c b a)``, ``"wrap"``
  ``(a b c d | a b c d | a b c d)``, ``"nearest"`` ``(a a a a | a b c d | d d d d)``,
  or ``"constant"``: the pixel reads ``fill_value``. (Keras' TensorFlow
  backend agrees on all but ``"wrap"``, which it maps differently more than
  one period away; this module follows the documented pattern, as Keras'
  numpy and JAX backends do.)

Everything is computed as arrays for the whole batch: the neighbours' flat
indices once per batch, then one gather per neighbour by advanced indexing;
no loop over images or pixels. For axis-aligned transforms (translation,
zoom) the coordinates are computed per row and per column only and
broadcast. ``"constant"`` fill reads from the images framed by one pixel of
``fill_value``, with indices clipped into that frame. The result is linear
in the images (plus a constant from ``fill_value``), so :func:`adjoint`
gives its exact gradient by scattering with ``np.bincount``.

Example
-------
>>> import numpy as np
>>> image = np.arange(4.0).reshape(1, 1, 4, 1)          # one 1x4 image
>>> shift_right = np.array([[[1.0, 0, -1], [0, 1, 0]]])  # output x reads input x - 1
>>> plan = sampling_plan(shift_right, image.shape, "bilinear", "constant")
>>> apply(image, plan, fill_value=9.0).ravel().tolist()
[9.0, 0.0, 1.0, 2.0]
>>> adjoint(np.ones((1, 1, 4, 1)), plan).ravel().tolist()  # each input pixel read once, but the last
[1.0, 1.0, 1.0, 0.0]
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


class SamplingPlan(NamedTuple):
    """Where each output pixel reads, for images of shape ``(n, h, w, c)``.

    Attributes
    ----------
    indices : tuple of numpy.ndarray
        Per neighbour (top-left, top-right, bottom-left, bottom-right for
        bilinear; one for nearest): the flat pixel index
        ``(image * rows + row) * columns + column`` in the source array,
        broadcastable to ``(n, h, w)``.
    fractions : tuple of numpy.ndarray or None
        Bilinear only: ``(fx, fy)``, the read point's offset from the
        top-left neighbour, broadcastable to ``(n, h, w)``.
    shape : tuple
        ``(n, h, w, c)`` of the images (and of the output).
    frame : int
        ``1`` when the source array is the images framed by one pixel of
        ``fill_value`` (``"constant"`` fill), else ``0``.
    """

    indices: tuple
    fractions: tuple | None
    shape: tuple
    frame: int


def _resolve(index, size, fill_mode):
    """Map integer pixel indices along one axis into the source array by ``fill_mode``."""
    if fill_mode == "constant":  # into the frame: -1 and size are fill_value pixels
        return np.clip(index, -1, size, out=index) + 1
    if fill_mode == "nearest":
        return np.clip(index, 0, size - 1, out=index)
    if fill_mode == "wrap":
        return np.mod(index, size, out=index)
    # reflect about the edge of the last pixel: the pattern repeats every 2 * size
    index = np.mod(index, 2 * size, out=index)
    return np.where(index >= size, 2 * size - 1 - index, index)


def _axis(coordinate, size, fill_mode, interpolation, index_dtype):
    """``(indices, fraction)`` along one axis: one index (nearest) or two (bilinear)."""
    if interpolation == "nearest":
        return [_resolve(np.floor(coordinate + 0.5).astype(index_dtype), size, fill_mode)], None
    low = np.floor(coordinate)
    fraction = coordinate - low
    low = low.astype(index_dtype)
    high = low + 1
    return [_resolve(low, size, fill_mode), _resolve(high, size, fill_mode)], fraction


def sampling_plan(transforms, shape, interpolation="bilinear", fill_mode="reflect", dtype=None):
    """The :class:`SamplingPlan` of ``transforms`` on images of ``shape``.

    Parameters
    ----------
    transforms : numpy.ndarray ``(n, 2, 3)``
        One matrix per image, output pixel to input point (module docstring).
    shape : tuple ``(n, h, w, c)``
        Of the images.
    interpolation : {"bilinear", "nearest"}
    fill_mode : {"reflect", "wrap", "constant", "nearest"}
    dtype : str, optional
        Of the coordinates and fractions (default float64; the images'
        dtype is the natural choice).
    """
    n, h, w, c = shape
    dtype = np.dtype(dtype or np.float64)
    a = np.asarray(transforms, dtype=dtype)[:, :, :, None, None]  # (n, 2, 3, 1, 1)
    cols = np.arange(w, dtype=dtype)[None, None, :]
    rows = np.arange(h, dtype=dtype)[None, :, None]
    # Axis-aligned transforms keep x_in per column (n, 1, w) and y_in per row
    # (n, h, 1): the per-pixel work then happens only in the final broadcasts.
    x_in = a[:, 0, 0] * cols + a[:, 0, 2]
    if np.any(a[:, 0, 1]):
        x_in = x_in + a[:, 0, 1] * rows
    y_in = a[:, 1, 1] * rows + a[:, 1, 2]
    if np.any(a[:, 1, 0]):
        y_in = y_in + a[:, 1, 0] * cols
    frame = 1 if fill_mode == "constant" else 0
    source_h, source_w = h + 2 * frame, w + 2 * frame
    index_dtype = np.int32 if n * source_h * source_w * c < 2 ** 31 else np.int64
    across, fx = _axis(x_in, w, fill_mode, interpolation, index_dtype)
    down, fy = _axis(y_in, h, fill_mode, interpolation, index_dtype)
    image_rows = np.arange(n, dtype=index_dtype)[:, None, None] * source_h
    indices = tuple(row_start + col for row_start in ((image_rows + row) * source_w for row in down)
                    for col in across)
    return SamplingPlan(indices, None if fx is None else (fx, fy), (n, h, w, c), frame)


def _source(images, plan, fill_value):
    """The images as ``(pixels, channels)``, framed by ``fill_value`` for constant fill."""
    if plan.frame:
        images = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=fill_value)
    return images.reshape(-1, images.shape[-1])


def apply(images, plan, fill_value=0.0):
    """Resample ``images`` ``(n, h, w, c)`` by ``plan``; returns ``(n, h, w, c)`` of the images' dtype."""
    source = _source(images, plan, fill_value)
    if plan.fractions is None:
        return source[plan.indices[0]]
    top_left, top_right, bottom_left, bottom_right = (source[i] for i in plan.indices)  # each (n, h, w, c)
    fx, fy = (f[..., None].astype(images.dtype, copy=False) for f in plan.fractions)
    top = top_right - top_left
    top *= fx
    top += top_left
    bottom = bottom_right - bottom_left
    bottom *= fx
    bottom += bottom_left
    bottom -= top
    bottom *= fy
    bottom += top
    return bottom


def adjoint(grad, plan):
    """The transpose of :func:`apply`'s linear part: ``dL/d(images)`` from ``dL/d(outputs)``.

    Each output pixel's gradient flows back to the input pixels it read,
    times their interpolation weights (``fill_value`` is a constant: it gets
    none).
    """
    n, h, w, c = plan.shape
    if plan.fractions is None:
        weights = [None]
    else:
        fx, fy = plan.fractions
        weights = [(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx]
    # One bincount over every (neighbour, pixel, channel): indices and
    # weighted gradients are written into two preallocated blocks.
    per_pixel = (n, h, w, c) if c > 1 else (n, h, w)
    index = np.empty((len(weights), *per_pixel), dtype=np.intp)
    values = np.empty((len(weights), *per_pixel), dtype=np.float64)
    g = grad if c > 1 else grad[..., 0]
    channels = np.arange(c)
    for k, (i, weight) in enumerate(zip(plan.indices, weights, strict=True)):
        index[k] = i[..., None] * c + channels if c > 1 else i
        if weight is None:
            values[k] = g
        else:
            np.multiply(g, weight[..., None] if c > 1 else weight, out=values[k])
    source_h, source_w = h + 2 * plan.frame, w + 2 * plan.frame
    total = np.bincount(index.ravel(), weights=values.ravel(), minlength=n * source_h * source_w * c)
    total = total.reshape(n, source_h, source_w, c)
    if plan.frame:
        total = total[:, 1:-1, 1:-1]
    return total.astype(grad.dtype)
