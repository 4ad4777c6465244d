"""2-D pooling, channels last: :class:`MaxPooling2D` and :class:`AveragePooling2D`.

Both are vectorised over samples, pixels and channels: the forward pass is a
running maximum (sum) over the ``ph * pw`` window offsets, one strided slice
of the whole batch each (never a loop over pixels). In the backward pass of
the common case, non-overlapping windows without padding
(``strides == pool_size``), the input is reshaped into
``(n, out_h, ph, out_w, pw, c)`` blocks (a view; rows and columns that no
window covers are dropped, as ``"valid"`` does) and the gradient is spread
over the blocks by broadcasting; other cases add one strided slice per
window offset.

Max pooling routes each output gradient to the *first* maximal element of its
window in row-major order (as PyTorch does), so ties never split or
duplicate a gradient. Average pooling with ``padding="same"`` divides by the
number of real (unpadded) elements in each window, as TensorFlow/Keras do.
"""
from __future__ import annotations

import numpy as np

from .. import parallel
from ..workspace import FRESH, Workspace
from .base import Layer, _unique_name
from .convolutional import conv_output_length, normalize_padding, normalize_pair, pad_spatial, window_view


class _Pooling2D(Layer):
    """Shared validation, geometry and configuration of the 2-D pooling layers."""

    _default_name = "pooling2d"

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        if kwargs.get("name") is None:  # Keras' default names, not "max_pooling2_d"
            kwargs["name"] = _unique_name(self._default_name)
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} {self.name!r}"
        self.pool_size = normalize_pair(pool_size, "pool_size", owner)
        self.strides = self.pool_size if strides is None else normalize_pair(strides, "strides", owner)
        self.padding = normalize_padding(padding, owner)
        self._workspace = Workspace()  # outputs and gradients, reused across steps
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _geometry(self, shape):
        """``((oh, ow), pads)`` for an input shape ``(n, h, w, c)``; ValueError if no window fits."""
        if isinstance(shape, list) or len(shape) != 4:
            shown = shape if isinstance(shape, list) else tuple(shape)
            raise ValueError(f"{type(self).__name__} {self.name!r} expects inputs of rank 4 "
                             f"(batch, height, width, channels), got shape {shown}")
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        oh, pad_h = conv_output_length(shape[1], ph, sh, self.padding)
        ow, pad_w = conv_output_length(shape[2], pw, sw, self.padding)
        if oh < 1 or ow < 1:
            raise ValueError(f"{type(self).__name__} {self.name!r}: pool_size {self.pool_size} is larger than the "
                             f"input's spatial size {tuple(shape[1:3])} (input shape {tuple(shape)})")
        return (oh, ow), (pad_h, pad_w)

    def build(self, input_shape):
        self._geometry(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        (oh, ow), _ = self._geometry(input_shape)
        return (input_shape[0], oh, ow, input_shape[3])

    def _tiles(self, pads):
        """Whether the windows tile the input: non-overlapping (strides equal
        to the pool size) and without padding."""
        return self.strides == self.pool_size and not any(p for pair in pads for p in pair)

    def _blocks(self, x, out_size, pads):
        """The ``(n, oh, ph, ow, pw, c)`` view when the windows tile the input, else ``None``."""
        if not self._tiles(pads):
            return None
        (oh, ow), (ph, pw) = out_size, self.pool_size
        n, c = x.shape[0], x.shape[3]
        # Only splits axes: a view for any strided x (so writes into it reach x).
        return x[:, :oh * ph, :ow * pw, :].reshape(n, oh, ph, ow, pw, c)

    def _padded(self, x, pads, value, ws):
        """``x`` padded with ``value`` into a workspace array (``x`` itself without padding)."""
        if not any(p for pair in pads for p in pair):
            return x
        (top, bottom), (left, right) = pads
        n, h, w, c = x.shape
        xp = ws.empty((n, h + top + bottom, w + left + right, c), x.dtype)
        parallel.over_batch(lambda part: pad_spatial(x[part], pads, value, out=xp[part]), n, xp.size)
        return xp

    def _reduce_windows(self, ufunc, xp, out_size, ws):
        """``ufunc`` folded over the strided window views of ``xp``, one per
        offset, into a workspace array (the first two combined straight into it)."""
        n, c = xp.shape[0], xp.shape[3]
        out = ws.empty((n, *out_size, c), xp.dtype)

        def reduce(part):
            windows = [window_view(xp[part], offset, out_size, self.strides) for offset in self._offsets()]
            if len(windows) == 1:
                np.copyto(out[part], windows[0])
                return
            ufunc(windows[0], windows[1], out=out[part])
            for window in windows[2:]:
                ufunc(out[part], window, out=out[part])

        parallel.over_batch(reduce, n, xp.size)
        return out

    def _offsets(self):
        ph, pw = self.pool_size
        return [(i, j) for i in range(ph) for j in range(pw)]

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides), padding=self.padding)
        return config


class MaxPooling2D(_Pooling2D):
    """Maximum over ``pool_size`` windows of each channel.

    Parameters
    ----------
    pool_size : int or (int, int)
        Window ``(ph, pw)`` (default 2).
    strides : int or (int, int), optional
        Defaults to ``pool_size`` (non-overlapping windows).
    padding : {"valid", "same"}
        ``"same"`` pads with ``-inf`` (TensorFlow's convention), output
        ``ceil(h / stride)``.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, h, w, c)``, output ``(n, out_h, out_w, c)`` with
    ``out_h = floor((h - ph) / sh) + 1`` for ``"valid"``.

    Notes
    -----
    The gradient of each output goes to the first maximal element of its
    window (row-major order), like PyTorch; overlapping windows add up.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import MaxPooling2D
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> MaxPooling2D(2)(x)[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    _default_name = "max_pooling2d"

    def forward(self, x, training=False):
        out_size, pads = self._geometry(x.shape)
        ws = self._workspace if training else FRESH  # (see Conv2D.forward_preactivation)
        xp = self._padded(x, pads, -np.inf, ws)
        out = self._reduce_windows(np.maximum, xp, out_size, ws)  # a running maximum over the window offsets
        return out, (x, out, out_size, pads)

    def backward(self, grad, cache, input_grad=True):
        x, out, out_size, pads = cache
        ws = self._workspace
        n, offsets = x.shape[0], self._offsets()
        taken = ws.empty(out.shape, bool)
        blocks = self._blocks(x, out_size, pads)
        if blocks is not None:
            # Windows that tile the input: one mask over the (n, oh, ph, ow, pw, c)
            # blocks, keep only each window's first maximum, one multiply.
            mask = ws.empty(blocks.shape, bool)
            dx = ws.empty(x.shape, grad.dtype)
            _, oh, ph, ow, pw, _ = blocks.shape

            def route(part):
                np.equal(blocks[part], out[part, :, None, :, None, :], out=mask[part])
                for _ in self._keep_first((mask[part, :, i, :, j, :] for i, j in offsets), taken[part]):
                    pass  # each window's slice of the mask is cleared in place
                dx[part, oh * ph:], dx[part, :, ow * pw:] = 0, 0  # rows and columns that no window covers
                np.multiply(grad[part, :, None, :, None, :], mask[part], out=self._blocks(dx[part], out_size, pads))

            parallel.over_batch(route, n, x.size)
            return dx, []
        xp = self._padded(x, pads, -np.inf, ws)
        dxp = ws.empty(xp.shape, grad.dtype)

        def route_overlapping(part):
            dxp[part].fill(0)
            masks = (np.equal(window_view(xp[part], offset, out_size, self.strides), out[part]) for offset in offsets)
            for offset, mask in zip(offsets, self._keep_first(masks, taken[part]), strict=True):
                window_view(dxp[part], offset, out_size, self.strides)[...] += grad[part] * mask

        parallel.over_batch(route_overlapping, n, xp.size)
        (top, _), (left, _) = pads
        return dxp[:, top:top + x.shape[1], left:left + x.shape[2], :], []

    @staticmethod
    def _keep_first(masks, taken):
        """Clear, in place, every ``True`` that follows an earlier ``True`` of
        the same window; yields each mask once it is final. ``taken`` (the
        shape of one mask) is scratch space."""
        for k, mask in enumerate(masks):
            if k == 0:
                np.copyto(taken, mask)
            else:
                np.greater(mask, taken, out=mask)  # mask & ~taken
                taken |= mask
            yield mask


class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows of each channel.

    Parameters
    ----------
    pool_size : int or (int, int)
        Window ``(ph, pw)`` (default 2).
    strides : int or (int, int), optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}
        With ``"same"``, each window's mean is over its real (unpadded)
        elements only, as in TensorFlow/Keras.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(n, h, w, c)``, output ``(n, out_h, out_w, c)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import AveragePooling2D
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> AveragePooling2D(2)(x)[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    _default_name = "average_pooling2d"

    def _counts(self, shape, out_size, pads, dtype):
        """Real elements per window, shape ``(1, oh, ow, 1)``; a scalar when every window is full."""
        if not any(p for pair in pads for p in pair):
            return np.asarray(self.pool_size[0] * self.pool_size[1], dtype=dtype)
        ones = pad_spatial(np.ones((1, shape[1], shape[2], 1), dtype=dtype), pads)
        return sum(window_view(ones, offset, out_size, self.strides) for offset in self._offsets())

    def forward(self, x, training=False):
        out_size, pads = self._geometry(x.shape)
        counts = self._counts(x.shape, out_size, pads, x.dtype)
        ws = self._workspace if training else FRESH  # (see Conv2D.forward_preactivation)
        xp = self._padded(x, pads, 0.0, ws)
        out = self._reduce_windows(np.add, xp, out_size, ws)  # a running sum over the window offsets
        out /= counts
        return out, (x.shape, out_size, pads, counts)

    def backward(self, grad, cache, input_grad=True):
        shape, out_size, pads, counts = cache
        share = grad / counts
        n, h, w, c = shape
        (top, bottom), (left, right) = pads
        dxp = self._workspace.empty((n, h + top + bottom, w + left + right, c), share.dtype)
        tiles = self._tiles(pads)

        def spread(part):
            dxp[part].fill(0)
            if tiles:
                self._blocks(dxp[part], out_size, pads)[...] = share[part, :, None, :, None, :]
                return
            for offset in self._offsets():
                window_view(dxp[part], offset, out_size, self.strides)[...] += share[part]

        parallel.over_batch(spread, n, dxp.size)
        return dxp[:, top:top + h, left:left + w, :], []
