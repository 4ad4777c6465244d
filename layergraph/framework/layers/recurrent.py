r"""Recurrent layers: :class:`SimpleRNN`, :class:`LSTM` and :class:`GRU`, as in Keras 3.

Every layer reads ``(batch, time, features)`` and returns the last output
``(batch, units)``, or every output ``(batch, time, units)`` with
``return_sequences=True``; with ``return_state=True`` it returns the list
``[output, *final_states]`` (LSTM: ``h`` and ``c``; SimpleRNN and GRU:
``h``). The weights, their shapes and the gate order are Keras' own, so
weights copied from a Keras layer give the same outputs.

How the computation runs
------------------------
Everything is vectorised over the batch; **the only Python loop runs over
time steps**, because step ``t`` needs the state of step ``t - 1``:

- forward: the input projections of all time steps come from one GEMM,
  ``x @ kernel`` on the ``(time * batch, features)`` matrix (plus the input
  bias); each step then adds one small GEMM, ``h_{t-1} @ recurrent_kernel``,
  and the gates' element-wise maths;
- backward (backpropagation through time): one loop from the last step to
  the first, which carries ``dL/dh`` (and ``dL/dc``) backwards and stores
  each step's gradient of the gates' pre-activations; the kernel, the
  recurrent kernel and the biases then get their gradients from one GEMM
  (or one sum) each over all steps, and so does ``dL/d(inputs)``.

With Keras' default activations (``sigmoid`` gates, ``tanh``), LSTM runs a
fused loop (the same maths in fewer array passes, reusing per-step
buffers), as Keras picks its cuDNN kernel under the same condition; any
other activations take the generic loop, which applies each activation to
its own gate block.

The time axis may have any length at call time (the weights do not depend
on it); ``compute_output_shape`` keeps a ``None`` time axis.

Left out for now: ``dropout`` and ``recurrent_dropout`` (only ``0`` is
accepted; put a :class:`~layergraph.framework.layers.Dropout` before the
layer instead), ``initial_state``, masking, ``stateful`` and ``unroll``.

Example
-------
>>> import numpy as np
>>> from layergraph.layers import LSTM
>>> x = np.zeros((2, 5, 3))
>>> LSTM(4)(x).shape
(2, 4)
>>> [a.shape for a in LSTM(4, return_sequences=True, return_state=True)(x)]
[(2, 5, 4), (2, 4), (2, 4)]
"""
from __future__ import annotations

import numpy as np

from .. import activations, initializers, regularizers
from .base import Layer


def _activate_in_place(fn, z):
    """Apply the activation ``fn`` to ``z``, a view into a buffer the layer
    owns, leaving the result in ``z``; return ``fn``'s backward cache."""
    a, cache = fn.forward_inplace(z)
    if a is not z:  # an activation that could not work in place
        z[...] = a
    return cache


def _forget_bias_initializer(inner, units):
    """Keras' ``unit_forget_bias``: ``inner`` for the i, c and o gates, ones for f."""
    def init(shape, dtype, rng):
        return np.concatenate([np.asarray(inner((units,), dtype, rng), dtype=dtype), np.ones(units, dtype),
                               np.asarray(inner((2 * units,), dtype, rng), dtype=dtype)])

    return init


class _Recurrent(Layer):
    """What the recurrent layers share: arguments, weights, shapes, the input
    projection, the outputs, and the backward pass around the time loop.

    A subclass sets :attr:`gates` and :attr:`state_names` and implements

    - :meth:`_scan` ``(proj) -> (hs, step_cache, final_states)``: the time loop;
      ``proj`` ``(time, batch, gates * units)`` holds each step's input
      projection (input bias included) and is the subclass's to overwrite;
      ``hs`` ``(time + 1, batch, units)`` holds the initial state (zeros)
      and then every step's output;
    - :meth:`_backprop` ``(dh, d_final, hs, step_cache) -> (d_proj, d_recurrent_kernel, d_recurrent_bias)``:
      backpropagation through time from ``dh`` ``(time, batch, units)``, the
      gradient reaching each step's output from outside, and ``d_final``, the
      gradients of the final states after the first (LSTM's ``c``) or
      ``None``; ``d_proj`` is the gradient of ``proj``.
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    #: Blocks of ``units`` columns in the kernels (one per gate).
    gates = 1
    #: The states returned with ``return_state``, in Keras' order.
    state_names = ("h",)
    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{kind} {self.name!r}: units must be a positive integer, got {units!r}")
        for label, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if rate != 0:
                raise ValueError(f"{kind} {self.name!r}: {label} is not supported yet (got {rate!r}); "
                                 f"put a Dropout layer before the recurrent layer instead")
        for label, flag in (("use_bias", use_bias), ("return_sequences", return_sequences),
                            ("return_state", return_state), ("go_backwards", go_backwards)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{kind} {self.name!r}: {label} must be True or False, got {flag!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)

    def _build_if_shaped(self):
        """Build at once when ``input_shape`` was given (subclasses call it last in ``__init__``)."""
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    # -- weights and shapes ------------------------------------------------------
    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def _input_bias(self):
        """The bias added to the input projection (``None`` without bias)."""
        return self.bias.value if self.use_bias else None

    def _shape_error(self, shape):
        return ValueError(f"{type(self).__name__} {self.name!r} expects inputs of shape (batch, time, features), "
                          f"got shape {tuple(shape)}")

    def build(self, input_shape):
        if isinstance(input_shape, list) or len(input_shape) != 3 or input_shape[-1] is None:
            raise self._shape_error(input_shape)
        width = self.gates * self.units
        self.kernel = self.add_weight(shape=(int(input_shape[-1]), width), initializer=self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight(shape=(self.units, width), initializer=self.recurrent_initializer,
                                                name="recurrent_kernel", regularizer=self.recurrent_regularizer)
        self.bias = (self.add_weight(shape=self._bias_shape(), initializer=self._bias_init(), name="bias",
                                     regularizer=self.bias_regularizer) if self.use_bias else None)
        self.built = True

    def compute_output_shape(self, input_shape):
        """``(batch, units)``, or ``(batch, time, units)`` with ``return_sequences``;
        with ``return_state``, a list: that shape, then ``(batch, units)`` per state."""
        if isinstance(input_shape, list) or len(input_shape) != 3:
            raise self._shape_error(input_shape)
        batch, time = input_shape[0], input_shape[1]
        output = (batch, time, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output] + [(batch, self.units)] * len(self.state_names)
        return output

    # -- computation -------------------------------------------------------------
    # output_activation() stays None (the default): the output is not
    # activation(preactivation) (LSTM and GRU multiply gates), so no loss may
    # start backpropagation from a fused dL/dz here.

    def _check_inputs(self, x):
        kind = type(self).__name__
        if x.ndim != 3:
            raise self._shape_error(x.shape)
        if x.shape[2] != self.kernel.shape[0]:
            raise ValueError(f"{kind} {self.name!r} expects {self.kernel.shape[0]} features (the last axis), "
                             f"got input shape {tuple(x.shape)}")
        if x.shape[1] == 0:
            raise ValueError(f"{kind} {self.name!r} needs at least one time step, got input shape {tuple(x.shape)}")

    def forward(self, x, training=False):
        """``(outputs, cache)``; see the module docstring for the outputs."""
        if isinstance(x, (list, tuple)):
            raise ValueError(f"{type(self).__name__} {self.name!r} takes one input array of shape "
                             f"(batch, time, features), got a list of {len(x)} (initial_state is not supported yet)")
        if not self.built:
            self._maybe_build((None, *x.shape[1:]))
        self._check_inputs(x)
        xt = x.swapaxes(0, 1)  # time-major: one step's batch is one contiguous block
        if self.go_backwards:
            xt = xt[::-1]
        xt = np.ascontiguousarray(xt)
        steps, batch, features = xt.shape
        proj = (xt.reshape(steps * batch, features) @ self.kernel.value).reshape(steps, batch, -1)
        bias = self._input_bias()
        if bias is not None:
            proj += bias
        hs, step_cache, final = self._scan(proj)
        # With go_backwards the outputs stay in processing order (reversed), as in Keras.
        output = np.ascontiguousarray(hs[1:].swapaxes(0, 1)) if self.return_sequences else hs[-1].copy()
        if self.return_state:
            output = [output, *(s.copy() for s in final)]
        return output, (xt, hs, step_cache)

    def backward(self, grad, cache, input_grad=True):
        """``(dL/d(inputs), [dL/d kernel, dL/d recurrent_kernel, dL/d bias])``.

        With ``return_state``, ``grad`` is a list with one gradient per
        output; ``None`` stands for an output nobody used (zeros).
        """
        xt, hs, step_cache = cache
        steps, batch, features = xt.shape
        n_out = 1 + len(self.state_names)
        if self.return_state:
            if not isinstance(grad, (list, tuple)) or len(grad) != n_out:
                raise ValueError(f"{type(self).__name__} {self.name!r} has {n_out} outputs (return_state=True) "
                                 f"and needs a list of {n_out} gradients, got {type(grad).__name__}")
            grad, *state_grads = grad
        else:
            state_grads = [None] * len(self.state_names)
        dh = np.zeros((steps, batch, self.units), hs.dtype)
        if grad is not None:
            if self.return_sequences:
                dh += grad.swapaxes(0, 1)
            else:
                dh[-1] += grad
        if state_grads[0] is not None:
            dh[-1] += state_grads[0]
        d_proj, d_recurrent, d_recurrent_bias = self._backprop(dh, state_grads[1:], hs, step_cache)
        flat = d_proj.reshape(steps * batch, -1)
        grad_x = None
        if input_grad:
            dxt = (flat @ self.kernel.value.T).reshape(steps, batch, features)
            grad_x = np.ascontiguousarray((dxt[::-1] if self.go_backwards else dxt).swapaxes(0, 1))
        if not self.trainable:
            return grad_x, []
        grads = [xt.reshape(steps * batch, features).T @ flat, d_recurrent]
        if self.use_bias:
            d_input_bias = np.add.reduce(flat, axis=0)
            grads.append(d_input_bias if d_recurrent_bias is None else np.stack([d_input_bias, d_recurrent_bias]))
        return grad_x, grads

    def _scan(self, proj):
        raise NotImplementedError

    def _backprop(self, dh, d_final, hs, step_cache):
        raise NotImplementedError

    @staticmethod
    def _previous_states_product(hs, d):
        """``sum_t h_{t-1}^T d_t``: a recurrent kernel's gradient in one GEMM."""
        units = hs.shape[2]
        return hs[:-1].reshape(-1, units).T @ d.reshape(-1, d.shape[2])

    # -- config ------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, activation=self.activation.get_config(), use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            return_sequences=self.return_sequences, return_state=self.return_state, go_backwards=self.go_backwards,
        )
        return config


class SimpleRNN(_Recurrent):
    r"""Fully connected RNN: :math:`h_t = \mathrm{activation}(x_t W + h_{t-1} U + b)`, :math:`h_0 = 0`.

    Vectorised over the batch; loops over time steps only (see the module
    docstring).

    Parameters
    ----------
    units : int
        Size of the state and of the output.
    activation : str or ActivationFunction
        Default ``"tanh"``; ``None`` means linear.
    use_bias : bool
        Whether the layer adds a bias vector.
    kernel_initializer, recurrent_initializer, bias_initializer : str or Initializer
        Keras defaults ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
    kernel_regularizer, recurrent_regularizer, bias_regularizer : Regularizer, optional
        A penalty on the weight that joins the loss (e.g. ``regularizers.l2(1e-4)``).
    return_sequences : bool
        Return every step's output instead of the last one.
    return_state : bool
        Return ``[output, h_T]``.
    go_backwards : bool
        Read the sequence from its end; the returned sequence is in that
        (reversed) order, as in Keras.
    dropout : float, default 0.0
        Accepted for Keras compatibility; only ``0`` is supported for now.
    recurrent_dropout : float, default 0.0
        Accepted for Keras compatibility; only ``0`` is supported for now.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(batch, time, features)``; kernel ``(features, units)``,
    recurrent_kernel ``(units, units)``, bias ``(units,)``; output
    ``(batch, units)`` or ``(batch, time, units)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import SimpleRNN
    >>> layer = SimpleRNN(2, activation=None, kernel_initializer="ones", recurrent_initializer="ones")
    >>> layer(np.ones((1, 3, 1))).tolist()  # h1 = (1, 1), h2 = 1 + 2 = (3, 3), h3 = 1 + 6
    [[7.0, 7.0]]
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout,
                         return_sequences, return_state, go_backwards, **kwargs)
        self._build_if_shaped()

    def _scan(self, proj):
        steps, batch, units = proj.shape
        u = self.recurrent_kernel.value
        hs = np.zeros((steps + 1, batch, units), proj.dtype)
        caches = [None] * steps
        for t in range(steps):
            z = proj[t]
            if t:  # h_0 = 0 adds nothing
                z += hs[t] @ u
            caches[t] = _activate_in_place(self.activation, z)
            hs[t + 1] = z
        return hs, caches, (hs[-1],)

    def _backprop(self, dh, d_final, hs, caches):
        u_t = self.recurrent_kernel.value.T
        dz = np.empty_like(dh)
        for t in range(len(dh) - 1, -1, -1):
            dz[t] = self.activation.backward(dh[t], caches[t])
            if t:
                dh[t - 1] += dz[t] @ u_t
        return dz, self._previous_states_product(hs, dz), None


class LSTM(_Recurrent):
    r"""Long short-term memory (Hochreiter and Schmidhuber, 1997), Keras' equations.

    With :math:`\sigma` the ``recurrent_activation`` and :math:`\phi` the
    ``activation``, each step computes
    :math:`z = x_t W + h_{t-1} U + b`, split into four blocks of ``units`` in
    Keras' gate order i, f, c, o:

    .. math::
        i = \sigma(z_i),\ f = \sigma(z_f),\ o = \sigma(z_o),\quad
        c_t = f\,c_{t-1} + i\,\phi(z_c),\quad h_t = o\,\phi(c_t),

    from :math:`h_0 = c_0 = 0`. Vectorised over the batch; loops over time
    steps only (see the module docstring). With the default activations
    the loop is fused (fewer array passes; same results).

    Parameters
    ----------
    units : int
        Size of the state and of the output.
    activation : str or ActivationFunction
        :math:`\phi`, default ``"tanh"``.
    recurrent_activation : str or ActivationFunction
        :math:`\sigma`, default ``"sigmoid"``.
    use_bias : bool
        Whether the layer adds a bias vector.
    kernel_initializer, recurrent_initializer, bias_initializer : str or Initializer
        Keras defaults ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
    unit_forget_bias : bool
        Default ``True``: the forget gate's bias starts at 1 (the other
        gates' from ``bias_initializer``).
    kernel_regularizer, recurrent_regularizer, bias_regularizer : Regularizer, optional
        A penalty on the weight that joins the loss (e.g. ``regularizers.l2(1e-4)``).
    return_sequences, return_state, go_backwards : bool
        As in :class:`SimpleRNN`; ``return_state`` returns ``[output, h_T, c_T]``.
    dropout : float, default 0.0
        Accepted for Keras compatibility; only ``0`` is supported for now.
    recurrent_dropout : float, default 0.0
        Accepted for Keras compatibility; only ``0`` is supported for now.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(batch, time, features)``; kernel ``(features, 4 * units)``,
    recurrent_kernel ``(units, 4 * units)``, bias ``(4 * units,)``; output
    ``(batch, units)`` or ``(batch, time, units)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import LSTM
    >>> layer = LSTM(3, return_sequences=True, input_shape=(None, 2))
    >>> [w.shape for w in layer.get_weights()]
    [(2, 12), (3, 12), (12,)]
    >>> layer.get_weights()[2][3:6].tolist()  # unit_forget_bias
    [1.0, 1.0, 1.0]
    >>> layer(np.ones((4, 7, 2))).shape
    (4, 7, 3)
    """

    gates = 4
    state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout,
                         return_sequences, return_state, go_backwards, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self._build_if_shaped()

    def _bias_init(self):
        if self.unit_forget_bias:
            return _forget_bias_initializer(self.bias_initializer, self.units)
        return self.bias_initializer

    @property
    def _fused(self):
        """Keras' standard gates (sigmoid, tanh) take the fused path: the same
        maths in fewer array passes (see :meth:`_scan_fused`). Like Keras'
        cuDNN condition, it asks for exactly these classes: a subclass of them
        may compute something else."""
        return (type(self.recurrent_activation) is activations.Sigmoid
                and type(self.activation) is activations.Tanh)

    def _scan(self, proj):
        return self._scan_fused(proj) if self._fused else self._scan_generic(proj)

    def _backprop(self, dh, d_final, hs, step_cache):
        gates, cs, phi_c, caches = step_cache
        dz = np.empty_like(gates)
        if caches is None:  # made by _scan_fused
            self._backprop_fused(dh, d_final, gates, cs, phi_c, dz)
        else:
            self._backprop_generic(dh, d_final, gates, cs, phi_c, caches, dz)
        return dz, self._previous_states_product(hs, dz), None

    def _scan_generic(self, proj):
        """Any activations: each applied to its own gate block, as Keras does."""
        # proj becomes the activated gates [i, f, phi(z_c), o] of every step.
        steps, batch, _ = proj.shape
        n = self.units
        u = self.recurrent_kernel.value
        gate, act = self.recurrent_activation, self.activation
        hs = np.zeros((steps + 1, batch, n), proj.dtype)
        cs = np.zeros((steps + 1, batch, n), proj.dtype)
        phi_c = np.empty((steps, batch, n), proj.dtype)
        caches = [None] * steps
        for t in range(steps):
            z = proj[t]
            if t:
                z += hs[t] @ u
            i, f, g, o = z[:, :n], z[:, n:2 * n], z[:, 2 * n:3 * n], z[:, 3 * n:]
            cache_i, cache_f = _activate_in_place(gate, i), _activate_in_place(gate, f)
            cache_g, cache_o = _activate_in_place(act, g), _activate_in_place(gate, o)
            c = cs[t + 1]
            np.multiply(f, cs[t], out=c)
            c += i * g
            phi_c[t] = c
            cache_c = _activate_in_place(act, phi_c[t])
            np.multiply(o, phi_c[t], out=hs[t + 1])
            caches[t] = (cache_i, cache_f, cache_g, cache_o, cache_c)
        return hs, (proj, cs, phi_c, caches), (hs[-1], cs[-1])

    def _backprop_generic(self, dh, d_final, gates, cs, phi_c, caches, dz):
        """Fill ``dz`` (gradients of the pre-activations), last step first."""
        n = self.units
        u_t = self.recurrent_kernel.value.T
        gate, act = self.recurrent_activation, self.activation
        dc_next = d_final[0]
        for t in range(len(dh) - 1, -1, -1):
            i, f, g, o = (gates[t][:, k * n:(k + 1) * n] for k in range(4))
            cache_i, cache_f, cache_g, cache_o, cache_c = caches[t]
            d = dz[t]
            d[:, 3 * n:] = gate.backward(dh[t] * phi_c[t], cache_o)
            dc = act.backward(dh[t] * o, cache_c)
            if dc_next is not None:
                dc += dc_next
            d[:, :n] = gate.backward(dc * g, cache_i)
            d[:, n:2 * n] = gate.backward(dc * cs[t], cache_f)
            d[:, 2 * n:3 * n] = act.backward(dc * i, cache_g)
            dc_next = dc * f
            if t:
                dh[t - 1] += d @ u_t

    def _scan_fused(self, proj):
        """Sigmoid gates and tanh, written out: ``sigmoid(z) = 1 / (1 + exp(-z))``
        takes three in-place passes once the gates' pre-activations are
        negated (the input projections once for all steps, the recurrent
        kernel's columns once per call), the gates i and f are one block, and
        every intermediate lives in a buffer reused across steps."""
        steps, batch, _ = proj.shape
        n = self.units
        sign = np.ones(4 * n, proj.dtype)
        sign[:2 * n] = sign[3 * n:] = -1.0  # i, f, o
        u = self.recurrent_kernel.value * sign
        proj *= sign
        hs = np.zeros((steps + 1, batch, n), proj.dtype)
        cs = np.zeros((steps + 1, batch, n), proj.dtype)
        phi_c = np.empty((steps, batch, n), proj.dtype)
        recurrent = np.empty((batch, 4 * n), proj.dtype)
        i_g = np.empty((batch, n), proj.dtype)
        with np.errstate(over="ignore"):  # exp(-z) = inf for z below about -88 (float32): sigmoid 0, exactly
            for t in range(steps):
                z = proj[t]
                if t:
                    z += np.matmul(hs[t], u, out=recurrent)
                i, f, g, o = z[:, :n], z[:, n:2 * n], z[:, 2 * n:3 * n], z[:, 3 * n:]
                for block in (z[:, :2 * n], o):
                    np.exp(block, out=block)
                    block += 1.0
                    np.reciprocal(block, out=block)
                np.tanh(g, out=g)
                c = cs[t + 1]
                np.multiply(f, cs[t], out=c)
                c += np.multiply(i, g, out=i_g)
                np.tanh(c, out=phi_c[t])
                np.multiply(o, phi_c[t], out=hs[t + 1])
        return hs, (proj, cs, phi_c, None), (hs[-1], cs[-1])

    def _backprop_fused(self, dh, d_final, gates, cs, phi_c, dz):
        """:meth:`_backprop_generic` for sigmoid and tanh: ``s' = s - s^2``, ``tanh' = 1 - g^2``."""
        n = self.units
        u_t = self.recurrent_kernel.value.T
        batch = dh.shape[1]
        dc = np.zeros((batch, n), dh.dtype) if d_final[0] is None else np.array(d_final[0], dh.dtype)
        through_h = np.empty((batch, n), dh.dtype)
        slopes = np.empty((batch, 4 * n), dh.dtype)
        for t in range(len(dh) - 1, -1, -1):
            z, d = gates[t], dz[t]
            i, f, g, o = z[:, :n], z[:, n:2 * n], z[:, 2 * n:3 * n], z[:, 3 * n:]
            tanh_c = phi_c[t]
            np.multiply(dh[t], tanh_c, out=d[:, 3 * n:])  # dL/do
            np.multiply(tanh_c, tanh_c, out=through_h)  # dc += dh o (1 - tanh(c)^2)
            np.subtract(1.0, through_h, out=through_h)
            through_h *= o
            through_h *= dh[t]
            dc += through_h
            np.multiply(dc, g, out=d[:, :n])  # dL/di
            np.multiply(dc, cs[t], out=d[:, n:2 * n])  # dL/df
            np.multiply(dc, i, out=d[:, 2 * n:3 * n])  # dL/dg
            dc *= f  # reaches c_{t-1}
            np.multiply(z, z, out=slopes)
            np.subtract(z, slopes, out=slopes)  # s - s^2 for i, f, o
            candidate = slopes[:, 2 * n:3 * n]
            np.subtract(1.0, np.multiply(g, g, out=candidate), out=candidate)  # 1 - g^2
            d *= slopes
            if t:
                dh[t - 1] += d @ u_t

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=self.recurrent_activation.get_config(),
                      unit_forget_bias=self.unit_forget_bias)
        return config


class GRU(_Recurrent):
    r"""Gated recurrent unit (Cho et al., 2014), Keras' equations.

    With :math:`\sigma` the ``recurrent_activation``, :math:`\phi` the
    ``activation``, and gate order z (update), r (reset), h (candidate):

    .. math::
        z = \sigma(x_t W_z + h_{t-1} U_z + b_z),\quad r = \sigma(x_t W_r + h_{t-1} U_r + b_r),\\
        \tilde h = \phi(x_t W_h + r \odot (h_{t-1} U_h + b'_h))\ \text{(reset\_after)}
        \ \text{or}\ \phi(x_t W_h + (r \odot h_{t-1}) U_h + b_h),\\
        h_t = z\,h_{t-1} + (1 - z)\,\tilde h,

    from :math:`h_0 = 0`. With ``reset_after=True`` (the Keras 3 default,
    cuDNN-compatible) the bias has shape ``(2, 3 * units)``: row 0 is added to
    the input projection, row 1 to the recurrent one. Vectorised over the
    batch; loops over time steps only (see the module docstring).

    Parameters
    ----------
    units : int
        Size of the state and of the output.
    activation, recurrent_activation : str or ActivationFunction
        Defaults ``"tanh"`` and ``"sigmoid"``.
    use_bias : bool
        Whether the layer adds a bias vector.
    kernel_initializer, recurrent_initializer, bias_initializer : str or Initializer
        Initial values of the weights (Keras' defaults).
    kernel_regularizer, recurrent_regularizer, bias_regularizer : Regularizer, optional
        A penalty on the weight that joins the loss (e.g. ``regularizers.l2(1e-4)``).
    return_sequences, return_state, go_backwards : bool
        As in :class:`SimpleRNN`; ``return_state`` returns ``[output, h_T]``.
    reset_after : bool
        Apply the reset gate after the recurrent product (default ``True``).
    dropout : float, default 0.0
        Accepted for Keras compatibility; only ``0`` is supported for now.
    recurrent_dropout : float, default 0.0
        Accepted for Keras compatibility; only ``0`` is supported for now.
    **kwargs
        Base layer arguments: ``name``, ``trainable``, ``dtype``, ``input_shape``, ``seed``
        (see :class:`~layergraph.layers.Layer`).

    Shapes
    ------
    input ``(batch, time, features)``; kernel ``(features, 3 * units)``,
    recurrent_kernel ``(units, 3 * units)``, bias ``(2, 3 * units)``
    (``(3 * units,)`` without ``reset_after``); output ``(batch, units)`` or
    ``(batch, time, units)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import GRU
    >>> layer = GRU(3, input_shape=(None, 2))
    >>> [w.shape for w in layer.get_weights()]
    [(2, 9), (3, 9), (2, 9)]
    >>> layer(np.ones((4, 7, 2))).shape
    (4, 3)
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 reset_after=True, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout,
                         return_sequences, return_state, go_backwards, **kwargs)
        if not isinstance(reset_after, (bool, np.bool_)):
            raise TypeError(f"GRU {self.name!r}: reset_after must be True or False, got {reset_after!r}")
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self._build_if_shaped()

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if not self.use_bias:
            return None
        return self.bias.value[0] if self.reset_after else self.bias.value

    def _scan(self, proj):
        # proj becomes the activated gates [z, r, h~] of every step.
        steps, batch, _ = proj.shape
        n = self.units
        u = self.recurrent_kernel.value
        gate, act = self.recurrent_activation, self.activation
        recurrent_bias = self.bias.value[1] if self.use_bias and self.reset_after else None
        hs = np.zeros((steps + 1, batch, n), proj.dtype)
        # reset_after: h_{t-1} U_h + b'_h, which r multiplies; otherwise r * h_{t-1}, which U_h multiplies.
        kept = np.empty((steps, batch, n), proj.dtype)
        caches = [None] * steps
        for t in range(steps):
            x = proj[t]
            z, r, h = x[:, :n], x[:, n:2 * n], x[:, 2 * n:]
            if self.reset_after:
                inner = hs[t] @ u
                if recurrent_bias is not None:
                    inner += recurrent_bias
                x[:, :2 * n] += inner[:, :2 * n]
                cache_z, cache_r = _activate_in_place(gate, z), _activate_in_place(gate, r)
                kept[t] = inner[:, 2 * n:]
                h += r * kept[t]
            else:
                x[:, :2 * n] += hs[t] @ u[:, :2 * n]
                cache_z, cache_r = _activate_in_place(gate, z), _activate_in_place(gate, r)
                np.multiply(r, hs[t], out=kept[t])
                h += kept[t] @ u[:, 2 * n:]
            cache_h = _activate_in_place(act, h)
            out = hs[t + 1]  # h_t = h~ + z (h_{t-1} - h~)
            np.subtract(hs[t], h, out=out)
            out *= z
            out += h
            caches[t] = (cache_z, cache_r, cache_h)
        return hs, (proj, kept, caches), (hs[-1],)

    def _backprop(self, dh, d_final, hs, step_cache):
        gates, kept, caches = step_cache
        n = self.units
        u = self.recurrent_kernel.value
        gate, act = self.recurrent_activation, self.activation
        d_proj = np.empty_like(gates)
        # Gradient of what multiplies the recurrent kernel's columns, step by step.
        d_inner = np.empty_like(gates) if self.reset_after else None
        u_t = u.T
        u_h_t = u[:, 2 * n:].T
        u_zr_t = u[:, :2 * n].T
        for t in range(len(dh) - 1, -1, -1):
            z, r, h = gates[t][:, :n], gates[t][:, n:2 * n], gates[t][:, 2 * n:]
            cache_z, cache_r, cache_h = caches[t]
            g = dh[t]
            d = d_proj[t]
            d[:, :n] = gate.backward(g * (hs[t] - h), cache_z)
            d_hpre = act.backward(g * (1.0 - z), cache_h)
            d[:, 2 * n:] = d_hpre
            if self.reset_after:
                d[:, n:2 * n] = gate.backward(d_hpre * kept[t], cache_r)
                di = d_inner[t]
                di[:, :2 * n] = d[:, :2 * n]
                np.multiply(d_hpre, r, out=di[:, 2 * n:])
                if t:
                    dh[t - 1] += g * z + di @ u_t
            else:
                d_rh = d_hpre @ u_h_t
                d[:, n:2 * n] = gate.backward(d_rh * hs[t], cache_r)
                if t:
                    dh[t - 1] += g * z + d_rh * r + d[:, :2 * n] @ u_zr_t
        if self.reset_after:
            return d_proj, self._previous_states_product(hs, d_inner), np.add.reduce(d_inner.reshape(-1, 3 * n), axis=0)
        d_recurrent = np.empty_like(u)
        d_recurrent[:, :2 * n] = self._previous_states_product(hs, d_proj[:, :, :2 * n])
        d_recurrent[:, 2 * n:] = kept.reshape(-1, n).T @ d_proj[:, :, 2 * n:].reshape(-1, n)
        return d_proj, d_recurrent, None

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=self.recurrent_activation.get_config(), reset_after=self.reset_after)
        return config
