r"""Transposed 2-D convolution, channels last: :class:`Conv2DTranspose`.

A transposed convolution is the adjoint (the input gradient) of a
convolution: every input pixel scatters a copy of the kernel, weighted by
its channels, into the output. Written as matrices it is *col2im* of one
product: ``G = X W^T`` of shape ``(n * h * w, kh * kw * filters)`` holds,
for every input pixel and kernel offset ``(i, j)``, the ``filters`` values
it adds at output position ``(y s_h + i d_h, x s_w + j d_w)``; one strided
add per kernel offset places them. That "full" output,
``(h - 1) s_h + d_h (kh - 1) + 1`` rows, is then cropped (or zero-extended
on the right) to the size Keras asks for:

.. math::
    z_{n,Y,X,f} = b_f + \sum_{y,x,i,j,c:\; Y + p_t = y s_h + i d_h,\; X + p_l = x s_w + j d_w}
                  x_{n,y,x,c}\, W_{i,j,f,c}

with ``p_t, p_l`` the rows and columns cropped at the top and left.

The backward pass is a convolution: the output gradient's strided windows
(*im2col*, one copy per kernel offset) give ``dG``, then
``dX = dG W`` and ``dW = dG^T X``: two products. There is no Python loop
over samples or pixels, only over the ``kh * kw`` kernel offsets.
"""
from __future__ import annotations

import numpy as np

from .. import initializers, regularizers
from ._arguments import channels_last, check_rank, choice, int_tuple, positive_int, with_keras_name
from .base import ActivatedLayer


def conv_transpose_length(length, kernel, stride, padding, output_padding, dilation):
    """Output length and left crop of a transposed convolution along one axis, as Keras computes them.

    With the effective kernel ``k = d (kernel - 1) + 1`` (Keras'
    ``compute_conv_transpose_output_shape`` and its JAX padding rule):

    - ``"valid"``: ``(length - 1) s + k + output_padding``, where
      ``output_padding`` defaults to ``max(k, s) - k``; nothing is cropped
      at the left (the right is zero-extended by ``output_padding``);
    - ``"same"``: ``length * s`` when ``output_padding`` is ``None``, else
      ``(length - 1) s + k % 2 + output_padding``; the left crop is
      ``k - 1 - min(ceil(p / 2), k - 1)`` with ``p = s + k - 2`` (or
      ``k + k % 2 - 2 + output_padding``).

    ``length`` may be ``None`` (unknown): the output length is then ``None``.

    Returns
    -------
    (int or None, int)
        Output length and the number of leading rows of the full scatter dropped.

    Example
    -------
    >>> conv_transpose_length(5, 3, 2, "same", None, 1), conv_transpose_length(5, 3, 2, "valid", None, 1)
    ((10, 0), (11, 0))
    >>> conv_transpose_length(5, 4, 2, "same", None, 1), conv_transpose_length(5, 2, 3, "valid", None, 1)
    ((10, 1), (15, 0))
    """
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        pad_left = k - 1
        extra = max(k, stride) - k if output_padding is None else output_padding
        out = None if length is None else (length - 1) * stride + k + extra
    else:
        if output_padding is None:
            pad_total = stride + k - 2
            out = None if length is None else length * stride
        else:
            pad_total = k + k % 2 - 2 + output_padding
            out = None if length is None else (length - 1) * stride + k % 2 + output_padding
        pad_left = min(pad_total // 2 + pad_total % 2, k - 1)
    return out, k - 1 - pad_left


def _offset_view(a, offset, size, strides, dilation):
    """``a[:, i d_h :: s_h, j d_w :: s_w, :]`` limited to ``size`` rows and columns (a view)."""
    (i, j), (h, w), (sh, sw), (dh, dw) = offset, size, strides, dilation
    return a[:, i * dh:i * dh + sh * (h - 1) + 1:sh, j * dw:j * dw + sw * (w - 1) + 1:sw, :]


class Conv2DTranspose(ActivatedLayer):
    r"""Transposed 2-D convolution ("deconvolution") over ``(n, h, w, c)`` inputs.

    The gradient of a :class:`~layergraph.layers.Conv2D` with respect to its
    input, used as a layer: it maps a small feature map to a larger one, e.g.
    ``strides=2`` doubles height and width.

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    strides : int or (int, int)
        Upsampling factor (default 1).
    padding : {"valid", "same"}
        ``"valid"``: output ``(h - 1) s + k + output_padding`` (with the
        default ``output_padding``, ``(h - 1) s + max(k, s)``).
        ``"same"``: output ``h * s`` (default ``output_padding``).
    output_padding : int or (int, int), optional
        Extra rows/columns at the bottom/right; each must be smaller than
        its stride. ``None`` (default) infers it as above.
    data_format : {None, "channels_last"}
        Only channels-last is supported.
    dilation_rate : int or (int, int)
        Spacing between kernel taps; ``strides > 1`` with
        ``dilation_rate > 1`` is refused, as in Keras.
    activation : str or ActivationFunction, optional
        ``None`` means linear.
    use_bias : bool
        Whether the layer adds a bias vector.
    kernel_initializer, bias_initializer : str or Initializer
        Keras defaults ``"glorot_uniform"`` and ``"zeros"``.
    kernel_regularizer, bias_regularizer : Regularizer, optional
        A penalty on the weight that joins the loss (e.g. ``regularizers.l2(1e-4)``).
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``seed``, ``trainable``.

    Shapes
    ------
    input ``(n, h, w, in_c)``, kernel ``(kh, kw, filters, in_c)`` (Keras'
    layout: output channels before input channels), bias ``(filters,)``,
    output ``(n, out_h, out_w, filters)`` as computed by
    :func:`conv_transpose_length`.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Conv2DTranspose
    >>> layer = Conv2DTranspose(32, 2, 2, activation="relu")
    >>> layer(np.random.rand(4, 10, 8, 128)).shape
    (4, 20, 16, 32)
    >>> layer.kernel.shape
    (2, 2, 32, 128)
    >>> Conv2DTranspose(1, 3, strides=2, padding="same").compute_output_shape((None, 7, 5, 3))
    (None, 14, 10, 1)
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    #: ``z`` is a fresh array (the scatter buffer or its cropped copy).
    owns_preactivation = True

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(activation=activation, **with_keras_name(Conv2DTranspose, kwargs))
        owner = f"Conv2DTranspose {self.name!r}"
        self.filters = positive_int(filters, "filters", owner)
        self.kernel_size = int_tuple(kernel_size, 2, "kernel_size", owner)
        self.strides = int_tuple(strides, 2, "strides", owner)
        self.padding = choice(padding, ("valid", "same"), "padding", owner)
        self.output_padding = (None if output_padding is None
                               else int_tuple(output_padding, 2, "output_padding", owner, minimum=0))
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides, strict=True)):
            raise ValueError(f"{owner}: each output_padding must be smaller than its stride, got "
                             f"output_padding={self.output_padding} and strides={self.strides}")
        self.data_format = channels_last(data_format, owner)
        self.dilation_rate = int_tuple(dilation_rate, 2, "dilation_rate", owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: strides > 1 is not supported together with dilation_rate > 1, "
                             f"got strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    # -- shapes --------------------------------------------------------------------
    def _geometry(self, shape):
        """``((out_h, out_w), (crop_top, crop_left))`` for an input shape ``(n, h, w, c)``."""
        owner = f"Conv2DTranspose {self.name!r}"
        check_rank(owner, shape, 4, "(batch, height, width, channels)")
        out, crops = [], []
        for axis in (0, 1):
            op = None if self.output_padding is None else self.output_padding[axis]
            length, crop = conv_transpose_length(shape[1 + axis], self.kernel_size[axis], self.strides[axis],
                                                 self.padding, op, self.dilation_rate[axis])
            if length is not None and length < 1:
                raise ValueError(f"{owner}: the output would be empty along the "
                                 f"{('height', 'width')[axis]} for input shape {tuple(shape)}")
            out.append(length)
            crops.append(crop)
        if self.built and shape[3] != self.kernel.shape[3]:
            raise ValueError(f"{owner} expects inputs with {self.kernel.shape[3]} channels (last axis), "
                             f"got input shape {tuple(shape)}")
        return tuple(out), tuple(crops)

    def build(self, input_shape):
        self._geometry(input_shape)
        in_channels = input_shape[-1]
        if in_channels is None:
            raise ValueError(f"Conv2DTranspose {self.name!r}: the channel axis of the input must be known, "
                             f"got input shape {input_shape}")
        self.kernel = self.add_weight(shape=(*self.kernel_size, self.filters, in_channels),
                                      initializer=self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        self.bias = (self.add_weight(shape=(self.filters,), initializer=self.bias_initializer, name="bias",
                                     regularizer=self.bias_regularizer) if self.use_bias else None)
        self.built = True

    def compute_output_shape(self, input_shape):
        (oh, ow), _ = self._geometry(input_shape)
        return (input_shape[0], oh, ow, self.filters)

    def _buffer_size(self, in_size, out_size, crops):
        """Rows and columns of the scatter buffer: the full scatter, or more when ``output_padding`` extends it."""
        full = [(n - 1) * s + (k - 1) * d + 1
                for n, s, k, d in zip(in_size, self.strides, self.kernel_size, self.dilation_rate, strict=True)]
        return tuple(max(f, c + o) for f, c, o in zip(full, crops, out_size, strict=True))

    def _offsets(self):
        kh, kw = self.kernel_size
        return [(i, j) for i in range(kh) for j in range(kw)]

    # -- computation -----------------------------------------------------------------
    def forward_preactivation(self, x, training=False):
        if not self.built:
            self._maybe_build((None, *x.shape[1:]))
        (oh, ow), (top, left) = self._geometry(x.shape)
        kh, kw, filters, in_c = self.kernel.shape
        n, h, w, _ = x.shape
        xm = np.ascontiguousarray(x).reshape(n * h * w, in_c)
        bh, bw = self._buffer_size((h, w), (oh, ow), (top, left))
        buf = np.zeros((n, bh, bw, filters), dtype=np.result_type(x.dtype, self.kernel.value.dtype))
        # One product for every kernel offset at once (as large as the backward
        # pass's dG; measured faster than one small product per offset, whose
        # BLAS start-up dominates), then one strided add per offset.
        g = (xm @ self.kernel.value.reshape(kh * kw * filters, in_c).T).reshape(n, h, w, kh, kw, filters)
        for i, j in self._offsets():
            _offset_view(buf, (i, j), (h, w), self.strides, self.dilation_rate)[...] += g[:, :, :, i, j, :]
        z = buf if (bh, bw) == (oh, ow) else np.ascontiguousarray(buf[:, top:top + oh, left:left + ow, :])
        if self.use_bias:
            z += self.bias.value
        return z, (xm, x.shape, (bh, bw), (top, left))

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        xm, x_shape, (bh, bw), (top, left) = cache[0]
        kernel = self.kernel.value
        kh, kw, filters, in_c = kernel.shape
        n, h, w, _ = x_shape
        _, oh, ow, _ = grad_z.shape
        if (bh, bw) == (oh, ow):
            gbuf = grad_z
        else:  # the cropped or zero-extended rows and columns get no gradient
            gbuf = np.zeros((n, bh, bw, filters), dtype=grad_z.dtype)
            gbuf[:, top:top + oh, left:left + ow, :] = grad_z
        dg = np.empty((n, h, w, kh, kw, filters), dtype=kernel.dtype)
        for i, j in self._offsets():
            dg[:, :, :, i, j, :] = _offset_view(gbuf, (i, j), (h, w), self.strides, self.dilation_rate)
        dg = dg.reshape(n * h * w, kh * kw * filters)
        grads = []
        if self.trainable:
            grads.append((dg.T @ xm).reshape(kernel.shape))
            if self.use_bias:
                grads.append(np.einsum("nhwf->f", grad_z))
        if not input_grad:
            return None, grads
        dx = (dg @ kernel.reshape(kh * kw * filters, in_c)).reshape(x_shape)
        return dx, grads

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, kernel_size=list(self.kernel_size), strides=list(self.strides),
            padding=self.padding, output_padding=None if self.output_padding is None else list(self.output_padding),
            data_format=self.data_format, dilation_rate=list(self.dilation_rate), use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
        )
        return config
