r"""1-D convolution over ``(batch, steps, channels)``: :class:`Conv1D`.

The same scheme as :class:`~layergraph.framework.layers.Conv2D`, one axis
down: the receptive fields of the padded input are gathered into a
contiguous ``(n * out_steps, k * in_c)`` buffer (one strided copy per kernel
tap, ``k`` copies in all), whose column order matches the Keras kernel
layout ``(k, in_c, filters)``, and the convolution is one matrix product

.. math::
    z_{n,t,f} = b_f + \sum_{a,c} x^{\mathrm{pad}}_{n,\, t s + a d,\, c}\, W_{a,c,f}

(stride :math:`s`, dilation :math:`d`). The input gradient is one product
``dZ @ W.T`` and one strided add per kernel tap. There is no Python loop over
samples or steps, only over the ``k`` kernel taps.
"""
from __future__ import annotations

import numpy as np

from .. import initializers, regularizers
from ._arguments import channels_last, check_rank, choice, int_tuple, positive_int, with_keras_name
from .base import ActivatedLayer
from .convolutional import conv_output_length


def conv1d_geometry(length, window, stride, padding):
    """Output length and ``(pad_before, pad_after)`` of a 1-D window of (effective) size ``window``.

    ``"valid"``: ``floor((length - window) / stride) + 1`` (``0`` when it does
    not fit); ``"same"``: ``ceil(length / stride)`` with TensorFlow's padding
    (the extra element of an odd total after); ``"causal"``: ``window - 1``
    zeros before, none after, then ``"valid"``, so output ``t`` sees only
    inputs ``<= t * stride``. ``length`` may be ``None`` (unknown).

    >>> conv1d_geometry(10, 3, 1, "causal"), conv1d_geometry(10, 3, 2, "same"), conv1d_geometry(10, 3, 2, "valid")
    ((10, (2, 0)), (5, (0, 1)), (4, (0, 0)))
    """
    if padding == "causal":
        return (None if length is None else (length - 1) // stride + 1), (window - 1, 0)
    if length is None:
        return None, (0, 0)
    return conv_output_length(length, window, stride, padding)


def taps(xp, kernel_size, stride, dilation, out_len):
    """Contiguous ``(n, out_len, k, c)`` receptive fields of the padded input ``xp`` (one copy per tap)."""
    n, _, c = xp.shape
    cols = np.empty((n, out_len, kernel_size, c), dtype=xp.dtype)
    span = stride * (out_len - 1) + 1
    for a in range(kernel_size):
        start = a * dilation
        cols[:, :, a, :] = xp[:, start:start + span:stride, :]
    return cols


def add_taps(dxp, dcols, stride, dilation):
    """The adjoint of :func:`taps`: add each tap's ``(n, out_len, c)`` slice into the strided rows of ``dxp``."""
    out_len, kernel_size = dcols.shape[1], dcols.shape[2]
    span = stride * (out_len - 1) + 1
    for a in range(kernel_size):
        start = a * dilation
        dxp[:, start:start + span:stride, :] += dcols[:, :, a, :]
    return dxp


class Conv1D(ActivatedLayer):
    r"""1-D convolution (cross-correlation, as in Keras) over ``(batch, steps, channels)`` inputs.

    .. math::
        z_{n,t,f} = b_f + \sum_{a=0}^{k-1} \sum_c x^{\mathrm{pad}}_{n,\, t s + a d,\, c}\, W_{a,c,f},
        \qquad y = \mathrm{activation}(z)

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size : int or (int,)
        Taps ``k``.
    strides : int or (int,)
        Step ``s`` between windows (default 1).
    padding : {"valid", "same", "causal"}
        ``"valid"``: no padding, output ``floor((steps - d (k - 1) - 1) / s) + 1``.
        ``"same"``: zeros as in TensorFlow (extra one after), output ``ceil(steps / s)``.
        ``"causal"``: ``d (k - 1)`` zeros before the sequence, output
        ``ceil(steps / s)``; ``output[t]`` never depends on ``input[t + 1:]``.
    data_format : {None, "channels_last"}
        Only channels-last is supported (Keras' default).
    dilation_rate : int or (int,)
        Spacing ``d`` between taps. ``strides > 1`` together with
        ``dilation_rate > 1`` is refused, as in Keras.
    groups : int
        Only ``1`` (Keras' default) is supported.
    activation : str or ActivationFunction, optional
        ``None`` means linear; ``"softmax"``/``"sigmoid"`` get the fused
        cross-entropy gradient at a model's output.
    use_bias : bool
        Whether the layer adds a bias vector.
    kernel_initializer, bias_initializer : str or Initializer
        Keras defaults ``"glorot_uniform"`` and ``"zeros"``.
    kernel_regularizer, bias_regularizer : Regularizer, optional
        Their penalties join the loss.
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``seed``, ``trainable``.

    Shapes
    ------
    input ``(n, steps, in_c)``, kernel ``(k, in_c, filters)``, bias
    ``(filters,)``, output ``(n, out_steps, filters)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Conv1D
    >>> Conv1D(32, 3, activation="relu")(np.random.rand(4, 10, 128)).shape
    (4, 8, 32)
    >>> Conv1D(2, 3, padding="causal", dilation_rate=2).compute_output_shape((None, 10, 1))
    (None, 10, 2)
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    #: ``z = cols @ W + b`` is a fresh array: the activation may overwrite it.
    owns_preactivation = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(activation=activation, **with_keras_name(Conv1D, kwargs))
        owner = f"Conv1D {self.name!r}"
        self.filters = positive_int(filters, "filters", owner)
        self.kernel_size = int_tuple(kernel_size, 1, "kernel_size", owner)
        self.strides = int_tuple(strides, 1, "strides", owner)
        self.padding = choice(padding, ("valid", "same", "causal"), "padding", owner)
        self.data_format = channels_last(data_format, owner)
        self.dilation_rate = int_tuple(dilation_rate, 1, "dilation_rate", owner)
        if groups != 1:
            raise ValueError(f"{owner}: only groups=1 is supported, got groups={groups!r}")
        if self.strides[0] > 1 and self.dilation_rate[0] > 1:
            raise ValueError(f"{owner}: strides > 1 is not supported together with dilation_rate > 1, "
                             f"got strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    # -- shapes ----------------------------------------------------------------------
    def _geometry(self, shape):
        """``(out_steps, pads)`` for an input shape ``(n, steps, c)``; ``ValueError`` if nothing fits."""
        owner = f"Conv1D {self.name!r}"
        check_rank(owner, shape, 3, "(batch, steps, channels)")
        window = self.dilation_rate[0] * (self.kernel_size[0] - 1) + 1
        out, pads = conv1d_geometry(shape[1], window, self.strides[0], self.padding)
        if out is not None and out < 1:
            raise ValueError(f"{owner}: the kernel (size {self.kernel_size[0]}, dilation {self.dilation_rate[0]}, "
                             f"span {window}) is longer than the {self.padding}-padded input of {shape[1]} steps "
                             f"(input shape {tuple(shape)})")
        if self.built and shape[2] != self.kernel.shape[1]:
            raise ValueError(f"{owner} expects inputs with {self.kernel.shape[1]} channels (last axis), "
                             f"got input shape {tuple(shape)}")
        return out, pads

    def build(self, input_shape):
        self._geometry(input_shape)  # validates before creating any weight
        in_channels = input_shape[-1]
        if in_channels is None:
            raise ValueError(f"Conv1D {self.name!r}: the channel axis of the input must be known, "
                             f"got input shape {input_shape}")
        self.kernel = self.add_weight(shape=(self.kernel_size[0], in_channels, self.filters),
                                      initializer=self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        self.bias = (self.add_weight(shape=(self.filters,), initializer=self.bias_initializer, name="bias",
                                     regularizer=self.bias_regularizer) if self.use_bias else None)
        self.built = True

    def compute_output_shape(self, input_shape):
        out, _ = self._geometry(input_shape)
        return (input_shape[0], out, self.filters)

    # -- computation -------------------------------------------------------------------
    def forward_preactivation(self, x, training=False):
        if not self.built:
            self._maybe_build((None, *x.shape[1:]))
        out, (before, after) = self._geometry(x.shape)
        k, in_c, filters = self.kernel.shape
        n, steps, _ = x.shape
        if before or after:
            xp = np.zeros((n, steps + before + after, in_c), dtype=x.dtype)
            xp[:, before:before + steps, :] = x
        else:
            xp = x
        cols = taps(xp, k, self.strides[0], self.dilation_rate[0], out).reshape(n * out, k * in_c)
        z = cols @ self.kernel.value.reshape(k * in_c, filters)
        if self.use_bias:
            z += self.bias.value
        return z.reshape(n, out, filters), (cols, x.shape, (before, after))

    def backward_preactivation(self, grad_z, cache, input_grad=True):
        cols, x_shape, (before, after) = cache[0]
        w = self.kernel.value
        k, in_c, filters = w.shape
        n, out, _ = grad_z.shape
        g = np.ascontiguousarray(grad_z, dtype=w.dtype).reshape(n * out, filters)
        grads = []
        if self.trainable:
            grads.append((cols.T @ g).reshape(w.shape))
            if self.use_bias:
                grads.append(np.einsum("mf->f", g))
        if not input_grad:
            return None, grads
        dcols = (g @ w.reshape(k * in_c, filters).T).reshape(n, out, k, in_c)
        steps = x_shape[1]
        dxp = np.zeros((n, steps + before + after, in_c), dtype=g.dtype)
        add_taps(dxp, dcols, self.strides[0], self.dilation_rate[0])
        return (dxp[:, before:before + steps, :] if before or after else dxp), grads

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, kernel_size=list(self.kernel_size), strides=list(self.strides),
            padding=self.padding, data_format=self.data_format, dilation_rate=list(self.dilation_rate),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
        )
        return config
