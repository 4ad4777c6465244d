r"""N-D convolution (1-D and 2-D), channels last, as strided views: forward and VJPs.

The windows of the padded input form a read-only strided view
``(n, out_h, out_w, kh, kw, c)`` of it (no copy until the product), and the
convolution is one tensor contraction with the kernel ``(kh, kw, c, f)``:

.. math::
    z_{n,y,x,f} = \sum_{i,j,c} x^{\mathrm{pad}}_{n,\, y s_h + i d_h,\, x s_w + j d_w,\, c}\, K_{i,j,c,f}.

Its vector-Jacobian products are contractions too:
:math:`\bar K = \sum_{n,y,x} \mathrm{windows} \otimes \bar z` and the window
gradients :math:`\bar z K^\top`, added back into the padded input at each
of the ``kh * kw`` kernel offsets (*col2im*: a loop over kernel offsets,
each one vectorised add over every sample and pixel), then cropped.
A 1-D convolution is the 2-D one with a height of 1.

:func:`conv` is the plain-array function behind :func:`layergraph.ops.conv`,
:func:`conv_vjp` its rule.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["conv", "conv_vjp", "output_length"]


def output_length(length, window, stride, dilation, padding):
    """Output length and ``(pad_before, pad_after)`` along one spatial axis (Keras/TensorFlow rules).

    ``"valid"``: ``floor((length - span) / stride) + 1`` where
    ``span = (window - 1) * dilation + 1``; ``"same"``: ``ceil(length / stride)``,
    padded by ``max((out - 1) * stride + span - length, 0)``, the odd element after.

    >>> output_length(5, 3, 2, 1, "same"), output_length(5, 3, 1, 2, "valid")
    ((3, (1, 1)), (1, (0, 0)))
    """
    span = (window - 1) * dilation + 1
    if padding == "same":
        out = -(-length // stride)
        total = max((out - 1) * stride + span - length, 0)
        return out, (total // 2, total - total // 2)
    return (max((length - span) // stride + 1, 0)), (0, 0)


def _tuple(value, rank, what):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value),) * rank
    value = tuple(value) if isinstance(value, (tuple, list)) else None
    if value is None or len(value) != rank or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in value):
        raise ValueError(f"ops.conv: {what} must be a positive integer or a tuple of {rank} of them")
    return tuple(int(v) for v in value)


class _Geometry:
    """The validated arguments of one conv call, in 2-D channels-last form."""

    __slots__ = ("rank", "channels_first", "strides", "dilation", "padding", "out_size", "pads")

    def __init__(self, x_shape, k_shape, strides, padding, data_format, dilation_rate):
        rank = len(x_shape) - 2
        if rank not in (1, 2):
            raise ValueError(f"ops.conv supports 1-D and 2-D convolutions: inputs of rank 3 or 4 "
                             f"(batch, *spatial, channels), got shape {tuple(x_shape)}")
        if len(k_shape) != rank + 2:
            raise ValueError(f"ops.conv: a {rank}-D convolution needs a kernel of rank {rank + 2} "
                             f"(*kernel_size, in_channels, filters), got shape {tuple(k_shape)}")
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"ops.conv: data_format must be 'channels_last' or 'channels_first', "
                             f"got {data_format!r}")
        self.channels_first = data_format == "channels_first"
        if self.channels_first:
            x_shape = (x_shape[0], *x_shape[2:], x_shape[1])
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"ops.conv: padding must be 'valid' or 'same', got {padding!r}")
        if x_shape[-1] != k_shape[-2]:
            raise ValueError(f"ops.conv: the inputs have {x_shape[-1]} channels but the kernel expects "
                             f"{k_shape[-2]} (inputs {tuple(x_shape)}, kernel {tuple(k_shape)})")
        self.rank = rank
        self.padding = padding.lower()
        pad1 = (1,) * (2 - rank)  # a 1-D convolution is 2-D with height 1
        self.strides = pad1 + _tuple(strides, rank, "strides")
        self.dilation = pad1 + _tuple(dilation_rate, rank, "dilation_rate")
        spatial, window = pad1 + tuple(x_shape[1:-1]), pad1 + tuple(k_shape[:-2])
        sizes = [output_length(n, k, s, d, self.padding)
                 for n, k, s, d in zip(spatial, window, self.strides, self.dilation, strict=True)]
        self.out_size = tuple(o for o, _ in sizes)
        self.pads = tuple(p for _, p in sizes)
        if min(self.out_size) < 1:
            raise ValueError(f"ops.conv: the kernel {tuple(k_shape[:-2])} (dilation {self.dilation[2 - rank:]}) "
                             f"does not fit the {self.padding}-padded input of spatial size {tuple(x_shape[1:-1])}")

    def as_2d(self, x, kernel):
        """``x`` as ``(n, h, w, c)`` and ``kernel`` as ``(kh, kw, c, f)``."""
        if self.channels_first:
            x = np.moveaxis(x, 1, -1)
        if self.rank == 1:
            x, kernel = x[:, np.newaxis], kernel[np.newaxis]
        return x, kernel

    def from_2d(self, z):
        """A ``(n, oh, ow, f)`` array back in the caller's rank and data format."""
        if self.rank == 1:
            z = z[:, 0]
        return np.moveaxis(z, -1, 1) if self.channels_first else z

    def to_2d_output(self, g):
        """An output gradient as ``(n, oh, ow, f)``."""
        if self.channels_first:
            g = np.moveaxis(g, 1, -1)
        return g[:, np.newaxis] if self.rank == 1 else g

    def padded(self, x):
        (top, bottom), (left, right) = self.pads
        if not (top or bottom or left or right):
            return x
        return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))

    def windows(self, xp, kernel_size):
        """The read-only strided view ``(n, oh, ow, kh, kw, c)`` of the padded input's receptive fields."""
        n, _, _, c = xp.shape
        sn, sh, sw, sc = xp.strides
        (oh, ow), (kh, kw) = self.out_size, kernel_size
        (st_h, st_w), (d_h, d_w) = self.strides, self.dilation
        return as_strided(xp, (n, oh, ow, kh, kw, c), (sn, sh * st_h, sw * st_w, sh * d_h, sw * d_w, sc),
                          writeable=False)


def _as_float(a):
    a = np.asarray(a)
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """The convolution on plain arrays; see :func:`layergraph.ops.conv`."""
    inputs, kernel = _as_float(inputs), _as_float(kernel)
    geometry = _Geometry(inputs.shape, kernel.shape, strides, padding, data_format, dilation_rate)
    x, k = geometry.as_2d(inputs, kernel)
    windows = geometry.windows(geometry.padded(x), k.shape[:2])
    return geometry.from_2d(np.tensordot(windows, k, axes=([3, 4, 5], [0, 1, 2])))


def conv_vjp(path, g, ans, inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """dL/d(inputs) (``path`` 0) or dL/d(kernel) (``path`` 1) of :func:`conv`."""
    inputs, kernel = _as_float(inputs), _as_float(kernel)
    geometry = _Geometry(inputs.shape, kernel.shape, strides, padding, data_format, dilation_rate)
    x, k = geometry.as_2d(inputs, kernel)
    g = geometry.to_2d_output(g)
    kh, kw = k.shape[:2]
    if path in (1, "kernel"):
        windows = geometry.windows(geometry.padded(x), (kh, kw))
        grad = np.tensordot(windows, g, axes=([0, 1, 2], [0, 1, 2]))
        return grad[0] if geometry.rank == 1 else grad
    window_grads = np.tensordot(g, k, axes=([3], [3]))  # (n, oh, ow, kh, kw, c)
    (top, bottom), (left, right) = geometry.pads
    n, h, w, c = x.shape
    dxp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=window_grads.dtype)
    (oh, ow), (st_h, st_w), (d_h, d_w) = geometry.out_size, geometry.strides, geometry.dilation
    for i in range(kh):  # col2im: one vectorised add per kernel offset
        for j in range(kw):
            dxp[:, i * d_h:i * d_h + st_h * (oh - 1) + 1:st_h, j * d_w:j * d_w + st_w * (ow - 1) + 1:st_w, :] += \
                window_grads[:, :, :, i, j, :]
    dx = dxp[:, top:top + h, left:left + w, :]
    return geometry.from_2d(dx)
