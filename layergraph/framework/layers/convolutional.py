r"""2-D convolution, channels last: :class:`Conv2D`.

The convolution is one matrix product. *im2col* gathers every receptive field
of the (padded) input into a buffer of shape
``(n * out_h * out_w, kh * kw * in_c + 1)``, whose column order matches the
Keras kernel layout ``(kh, kw, in_c, filters)`` reshaped to
``(kh * kw * in_c, filters)``; with a bias, the last column is ones and the
bias is the last row of the kernel matrix :math:`\tilde W = [W; b]`, so

.. math::
    Z = [\mathrm{cols}(X), 1]\, \tilde W, \qquad
    \frac{\partial L}{\partial \tilde W} = [\mathrm{cols}(X), 1]^\top \frac{\partial L}{\partial Z}

add the bias and sum its gradient inside the two matrix products (in
training; in inference, where no gradient follows, the columns are
``kh * kw * in_c`` and the bias is added after the product).

The input gradient is the adjoint of im2col (*col2im*): one product
``dZ @ W.T`` for all ``kh * kw`` kernel offsets, then per offset one
vectorised add into the strided window of the padded input gradient. There
is no Python loop over samples or pixels, only over the kernel offsets.

Large arrays come from the layer's
:class:`~layergraph.framework.workspace.Workspace` (reused across steps),
and the element-wise work (padding, im2col, col2im) is split over the batch
in the :mod:`~layergraph.framework.parallel` threads.

The helpers :func:`conv_output_length` and :func:`normalize_pair` are shared
with the pooling layers.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import initializers, parallel, regularizers
from ..workspace import FRESH, Workspace
from .base import ActivatedLayer, _unique_name

_PADDINGS = ("valid", "same")


def normalize_pair(value, what, owner):
    """``3 -> (3, 3)``; ``(2, 3) -> (2, 3)``; raises ``ValueError`` unless positive ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{owner}: {what} must be a positive integer or a pair of them, got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{owner}: {what} must be a positive integer or a pair of them, got {value!r}")
    return pair


def normalize_padding(padding, owner):
    """Lower-cased ``"valid"`` or ``"same"``, else ``ValueError``."""
    if not isinstance(padding, str) or padding.lower() not in _PADDINGS:
        raise ValueError(f"{owner}: padding must be 'valid' or 'same', got {padding!r}")
    return padding.lower()


def conv_output_length(length, window, stride, padding):
    """Output length and ``(pad_before, pad_after)`` along one spatial axis.

    ``"valid"``: ``floor((length - window) / stride) + 1`` with no padding
    (``0`` when the window does not fit). ``"same"``: ``ceil(length / stride)``
    with the TensorFlow/Keras padding ``max((out - 1) * stride + window - length, 0)``
    split so that the extra element of an odd total goes after (bottom/right).
    """
    if padding == "same":
        out = -(-length // stride)
        total = max((out - 1) * stride + window - length, 0)
        return out, (total // 2, total - total // 2)
    if length < window:
        return 0, (0, 0)
    return (length - window) // stride + 1, (0, 0)


def pad_spatial(x, pads, value=0.0, out=None):
    """``x`` of shape ``(n, h, w, c)`` padded on axes 1 and 2 with ``value``.

    No copy when there is no padding; otherwise written into ``out`` (of the
    padded shape) when given, else into a new array.
    """
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    if out is None:
        out = np.empty((n, h + top + bottom, w + left + right, c), dtype=x.dtype)
    # Only the border gets the value: the interior is overwritten at once.
    out[:, :top], out[:, top + h:] = value, value
    out[:, top:top + h, :left], out[:, top:top + h, left + w:] = value, value
    out[:, top:top + h, left:left + w, :] = x
    return out


def window_view(xp, offset, out_size, strides):
    """The strided view ``xp[:, i::sh, j::sw, :]`` of ``out_size`` windows at kernel offset ``(i, j)``."""
    (i, j), (oh, ow), (sh, sw) = offset, out_size, strides
    return xp[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :]


def im2col(xp, kernel_size, strides, out_size, out=None):
    """The ``(n, oh, ow, kh, kw, c)`` receptive fields of the padded input ``xp``.

    Written into ``out`` (any array of that shape whose last axis is
    contiguous, e.g. a column block of a wider matrix) when given, else into
    a new contiguous array. Few channels: one strided copy per kernel offset.
    Many channels: one copy of the ``sliding_window_view``, whose ``(kw, c)``
    axes are contiguous in memory, so the copy moves ``kw * c`` elements per
    inner loop.
    """
    (kh, kw), (sh, sw), (oh, ow) = kernel_size, strides, out_size
    n, _, _, c = xp.shape
    if out is None:
        out = np.empty((n, oh, ow, kh, kw, c), dtype=xp.dtype)
    if c >= 8:
        view = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw]
        np.copyto(out, view.transpose(0, 1, 2, 4, 5, 3))
        return out
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i, j, :] = window_view(xp, (i, j), out_size, strides)
    return out


class Conv2D(ActivatedLayer):
    r"""2-D convolution (cross-correlation, as in Keras) over ``(n, h, w, c)`` inputs.

    .. math::
        z_{n,y,x,f} = b_f + \sum_{i,j,c} x^{\mathrm{pad}}_{n,\, y s_h + i,\, x s_w + j,\, c}\, W_{i,j,c,f},
        \qquad a = \mathrm{activation}(z)

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    strides : int or (int, int)
        Step between windows (default 1).
    padding : {"valid", "same"}
        ``"valid"``: no padding, output ``floor((h - kh) / s) + 1``.
        ``"same"``: zero padding as in TensorFlow, output ``ceil(h / s)``;
        an odd total puts the extra row/column at the bottom/right.
    activation : str or ActivationFunction, optional
        ``None`` means linear. With ``"softmax"``/``"sigmoid"`` the fused
        cross-entropy gradient applies, as for :class:`~layergraph.layers.Dense`.
    use_bias : bool
        Whether the layer adds a bias vector.
    kernel_initializer, bias_initializer : str or Initializer
        Keras defaults ``"glorot_uniform"`` (fans include the receptive field)
        and ``"zeros"``.
    kernel_regularizer : Regularizer, optional
        Its penalty joins the loss.
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``seed``, ``trainable``.

    Shapes
    ------
    input ``(n, h, w, in_c)``, kernel ``(kh, kw, in_c, filters)``, bias
    ``(filters,)``, output ``(n, out_h, out_w, filters)``.

    Notes
    -----
    The forward pass keeps the im2col buffer for the backward pass
    (``n * out_h * out_w * (kh * kw * in_c + 1)`` elements); the layer keeps
    its large arrays between steps (about 25 MB for the second convolution
    of the Keras MNIST example at batch 128). Computations run in the
    layer's dtype; use ``Sequential(..., dtype="float32")`` for speed.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Conv2D
    >>> layer = Conv2D(4, 3, padding="same", activation="relu")
    >>> layer(np.ones((2, 5, 5, 3))).shape
    (2, 5, 5, 4)
    >>> layer.kernel.shape
    (3, 3, 3, 4)
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    #: ``z = cols @ W + b`` is a fresh array: the activation may overwrite it.
    owns_preactivation = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None, **kwargs):
        if kwargs.get("name") is None:  # Keras' default name, not "conv2_d"
            kwargs["name"] = _unique_name("conv2d")
        super().__init__(activation=activation, **kwargs)
        owner = f"Conv2D {self.name!r}"
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"{owner}: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = normalize_pair(kernel_size, "kernel_size", owner)
        self.strides = normalize_pair(strides, "strides", owner)
        self.padding = normalize_padding(padding, owner)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self._workspace = Workspace()  # the large per-step arrays, reused across steps
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    # -- shapes --------------------------------------------------------------------
    def _output_geometry(self, shape):
        """``((oh, ow), pads)`` for an input shape ``(n, h, w, c)``; ValueError if it cannot fit."""
        if isinstance(shape, list) or len(shape) != 4:
            raise ValueError(f"Conv2D {self.name!r} expects inputs of rank 4 (batch, height, width, channels), "
                             f"got shape {tuple(shape) if not isinstance(shape, list) else shape}")
        h, w = shape[1], shape[2]
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        oh, pad_h = conv_output_length(h, kh, sh, self.padding)
        ow, pad_w = conv_output_length(w, kw, sw, self.padding)
        if oh < 1 or ow < 1:
            raise ValueError(f"Conv2D {self.name!r}: kernel {self.kernel_size} is larger than the "
                             f"{self.padding}-padded input of spatial size {(h, w)} (input shape {tuple(shape)})")
        if self.built and shape[-1] != self.kernel.shape[2]:
            raise ValueError(f"Conv2D {self.name!r} expects inputs with {self.kernel.shape[2]} channels (last axis), "
                             f"got input shape {tuple(shape)} (kernel shape {self.kernel.shape})")
        return (oh, ow), (pad_h, pad_w)

    def build(self, input_shape):
        self._output_geometry(input_shape)  # validates before creating any weight
        in_channels = input_shape[-1]
        self.kernel = self.add_weight(shape=(*self.kernel_size, in_channels, self.filters),
                                      initializer=self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        self.bias = (self.add_weight(shape=(self.filters,), initializer=self.bias_initializer, name="bias")
                     if self.use_bias else None)
        self.built = True

    def compute_output_shape(self, input_shape):
        (oh, ow), _ = self._output_geometry(input_shape)
        return (input_shape[0], oh, ow, self.filters)

    # -- computation -----------------------------------------------------------------
    def _kernel_matrix(self):
        """``(kh * kw * in_c [+ 1], filters)``: the kernel as a matrix, the bias as its last row."""
        kh, kw, in_c, filters = self.kernel.shape
        w = self.kernel.value.reshape(kh * kw * in_c, filters)
        return np.concatenate([w, self.bias.value[None, :]]) if self.use_bias else w

    def forward_preactivation(self, x, training=False):
        (oh, ow), pads = self._output_geometry(x.shape)
        if not self.built:
            self._maybe_build((None, *x.shape[1:]))
        kh, kw, in_c, filters = self.kernel.shape
        n, k = x.shape[0], kh * kw * in_c
        dtype = np.result_type(x.dtype, self.kernel.value.dtype)
        ws = self._workspace if training else FRESH  # arrays a backward pass will read, reused across steps
        padded = any(p for pair in pads for p in pair)
        xp = ws.empty((n, x.shape[1] + sum(pads[0]), x.shape[2] + sum(pads[1]), in_c), dtype) if padded else x
        # In training, with a bias, cols has a last column of ones and the
        # kernel matrix a last row of biases: the product adds the bias (and,
        # in backward, cols.T @ grad sums the bias gradient) without a pass of
        # its own. In inference no backward follows, and the contiguous im2col
        # plus one bias add is cheaper than filling the wider, strided matrix.
        ones = bool(self.use_bias and training)
        cols = ws.empty((n * oh * ow, k + ones), dtype)
        fields = cols[:, :k].reshape(n, oh, ow, kh, kw, in_c)

        def gather(part):  # pad, then im2col, for the samples in part
            xp_part = pad_spatial(x[part], pads, out=xp[part]) if padded else xp[part]
            im2col(xp_part, (kh, kw), self.strides, (oh, ow), out=fields[part])
            if ones:
                cols[part.start * oh * ow:part.stop * oh * ow, k] = 1

        parallel.over_batch(gather, n, cols.size)
        kernel = self._kernel_matrix() if ones else self.kernel.value.reshape(k, filters)
        z = np.matmul(cols, kernel, out=ws.empty((n * oh * ow, filters), dtype))
        if self.use_bias and not ones:
            z += self.bias.value
        return z.reshape(n, oh, ow, filters), (cols, x.shape, xp.shape, pads)

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        cols, x_shape, xp_shape, ((top, _), (left, _)) = cache[0]
        kh, kw, in_c, filters = self.kernel.shape
        n, oh, ow, _ = grad_z.shape
        k = kh * kw * in_c
        w = self.kernel.value
        g = np.ascontiguousarray(grad_z, dtype=w.dtype).reshape(n * oh * ow, filters)
        grads = []
        if self.trainable:
            gw = cols.T @ g  # (k [+ 1], filters): with the ones column, the bias gradient is the last row
            grads.append(gw[:k].reshape(w.shape))
            if self.use_bias:
                grads.append(gw[k] if cols.shape[1] > k else g.sum(axis=0))
        if not input_grad:
            return None, grads
        # col2im: one GEMM for every kernel offset at once (a single call keeps
        # the BLAS threads in step: nine small ones cost far more on a busy
        # machine), then, per offset, one add into the strided window.
        ws = self._workspace
        dcols = np.matmul(g, w.reshape(k, filters).T, out=ws.empty((n * oh * ow, k), g.dtype))
        dcols = dcols.reshape(n, oh, ow, kh, kw, in_c)
        dxp = ws.empty(xp_shape, g.dtype)

        def scatter(part):
            dxp[part].fill(0)
            for i in range(kh):
                for j in range(kw):
                    window = window_view(dxp[part], (i, j), (oh, ow), self.strides)
                    np.add(window, dcols[part, :, :, i, j, :], out=window)

        parallel.over_batch(scatter, n, dcols.size)
        h, wd = x_shape[1], x_shape[2]
        dx = dxp[:, top:top + h, left:left + wd, :] if dxp.shape != tuple(x_shape) else dxp
        return dx, grads

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, kernel_size=list(self.kernel_size), strides=list(self.strides),
            padding=self.padding, use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
        )
        return config
