r"""Batch normalisation with Keras semantics: :class:`BatchNormalization`."""
from __future__ import annotations

import math

import numpy as np

from .. import initializers
from ..autodiff import stop_gradient
from ..perturbation import Copies, fold
from .base import Layer


class BatchNormalization(Layer):
    r"""Normalise each feature (channel) over the batch, then scale and shift.

    In training (``training=True`` and the layer trainable), with
    :math:`\mu, \sigma^2` the mean and biased variance of ``x`` over every
    axis except ``axis``:

    .. math::
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        y = \gamma \hat x + \beta,

    and the moving statistics are updated in the forward pass as Keras does,
    ``moving = moving * momentum + batch * (1 - momentum)`` (with the biased
    batch variance). In inference the moving statistics replace
    :math:`\mu, \sigma^2`. As in Keras, a layer with ``trainable=False``
    always runs in inference mode.

    Parameters
    ----------
    axis : int
        The feature axis (default ``-1``: the last, channels-last); must not
        be the batch axis.
    momentum : float
        In ``[0, 1]``; Keras default ``0.99``.
    epsilon : float
        Added to the variance; Keras default ``1e-3``.
    center, scale : bool
        Whether to learn :math:`\beta` / :math:`\gamma`.
    beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer : str or Initializer
        Keras defaults ``zeros``, ``ones``, ``zeros``, ``ones``.
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``trainable``.

    Shapes
    ------
    input and output ``(n, ..., c, ...)`` (``c`` at ``axis``): ``(n, units)``
    after Dense, ``(n, h, w, c)`` after Conv2D. Weights, in Keras order:
    ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance``
    (non-trainable), each ``(c,)``.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import BatchNormalization
    >>> layer = BatchNormalization(momentum=0.5, epsilon=0.0)
    >>> y = layer(np.array([[1.0], [3.0]]), training=True)
    >>> y.ravel().tolist()
    [-1.0, 1.0]
    >>> layer.moving_mean.value.tolist(), layer.moving_variance.value.tolist()
    ([1.0], [1.0])
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        owner = f"BatchNormalization {self.name!r}"
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise ValueError(f"{owner}: axis must be an integer, got {axis!r}")
        if (not isinstance(momentum, (int, float, np.integer, np.floating)) or isinstance(momentum, bool)
                or not 0 <= momentum <= 1):
            raise ValueError(f"{owner}: momentum must be a number in [0, 1], got {momentum!r}")
        if (not isinstance(epsilon, (int, float, np.integer, np.floating)) or isinstance(epsilon, bool)
                or not math.isfinite(epsilon) or epsilon < 0):
            raise ValueError(f"{owner}: epsilon must be a finite number >= 0, got {epsilon!r}")
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.gamma = self.beta = None
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _feature_axis(self, shape):
        """The non-negative feature axis for inputs of ``shape``; ValueError if invalid."""
        if isinstance(shape, list) or len(shape) < 2:
            raise ValueError(f"BatchNormalization {self.name!r} needs one input of rank >= 2, got shape {shape}")
        rank = len(shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"BatchNormalization {self.name!r}: axis {self.axis} is not a feature axis of inputs "
                             f"of shape {tuple(shape)} (the batch axis 0 cannot be normalised over itself)")
        return self.axis % rank

    def build(self, input_shape):
        axis = self._feature_axis(input_shape)
        dim = (input_shape[axis],)
        self._rank = len(input_shape)
        self._broadcast = tuple(input_shape[axis] if i == axis else 1 for i in range(self._rank))
        self._reduce = tuple(i for i in range(self._rank) if i != axis)
        if self.scale:
            self.gamma = self.add_weight(shape=dim, initializer=self.gamma_initializer, name="gamma")
        if self.center:
            self.beta = self.add_weight(shape=dim, initializer=self.beta_initializer, name="beta")
        self.moving_mean = self.add_weight(shape=dim, initializer=self.moving_mean_initializer, trainable=False,
                                           name="moving_mean")
        self.moving_variance = self.add_weight(shape=dim, initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_shape(input_shape)
        return input_shape

    def _check_shape(self, shape):
        axis = self._feature_axis(shape)
        if len(shape) != self._rank or shape[axis] != self.moving_mean.shape[0]:
            raise ValueError(f"BatchNormalization {self.name!r} was built for inputs of rank {self._rank} with "
                             f"{self.moving_mean.shape[0]} features on axis {self.axis}, got shape {tuple(shape)}")

    def _param(self, var, default):
        return default if var is None else var.value.reshape(self._broadcast)

    def _traced_param(self, var, default):
        """Like :meth:`_param`, but the traced weight inside a recording that watches it."""
        return default if var is None else var._resolve().reshape(self._broadcast)

    def call(self, inputs, training=False):
        return self._normalize(inputs, training)[0]

    def forward(self, x, training=False):
        return self._normalize(x, training)

    def _normalize(self, x, training):
        """``(outputs, cache)``; traceable numpy (``*=`` and ``+=`` work in place on the fresh
        arrays they update, and make new values under recording)."""
        if not self.built:
            self._feature_axis(x.shape)  # names the array's own shape if it is invalid
            self._maybe_build((None, *x.shape[1:]))
        self._check_shape(x.shape)
        gamma = self._traced_param(self.gamma, 1.0)
        if training and self.trainable:
            mean = x.mean(axis=self._reduce, keepdims=True)
            centred = x - mean
            var = np.mean(np.square(centred), axis=self._reduce, keepdims=True)
            inv_std = 1.0 / np.sqrt(var + self.epsilon)
            m = self.momentum
            # State updates are not differentiated: the statistics enter as constants.
            self.moving_mean.assign(self.moving_mean.value * m + stop_gradient(mean).reshape(-1) * (1 - m))
            self.moving_variance.assign(self.moving_variance.value * m + stop_gradient(var).reshape(-1) * (1 - m))
            x_hat = centred
            x_hat *= inv_std
            batch_stats = True
        else:
            # The moving statistics: the same arithmetic in one new array;
            # x_hat is recomputed by backward only if it needs it.
            inv_std = 1.0 / np.sqrt(self._param(self.moving_variance, None) + self.epsilon)
            mean = self._param(self.moving_mean, None).copy()
            out = x - mean
            out *= inv_std
            if self.scale:
                out *= gamma
            if self.center:
                out += self._traced_param(self.beta, 0.0)
            return out, ((x, mean), inv_std, False)
        out = x_hat * gamma
        if self.center:
            out += self._traced_param(self.beta, 0.0)
        return out, (x_hat, inv_std, batch_stats)

    def backward(self, grad, cache, input_grad=True):
        x_hat, inv_std, batch_stats = cache
        if isinstance(x_hat, tuple):  # moving statistics: (x, mean)
            x, mean = x_hat
            x_hat = (x - mean) * inv_std
        gamma = self._param(self.gamma, 1.0)
        dbeta = grad.sum(axis=self._reduce)
        dgamma = np.sum(grad * x_hat, axis=self._reduce)
        if batch_stats:
            # d/dx of gamma * (x - mean) / std with the batch mean and variance.
            count = grad.size // dbeta.size
            dx = grad - (dbeta / count).reshape(self._broadcast)
            dx -= x_hat * (dgamma / count).reshape(self._broadcast)
            dx *= gamma * inv_std
        else:
            dx = grad * (gamma * inv_std)
        grads = []
        if self.trainable:
            if self.scale:
                grads.append(dgamma)
            if self.center:
                grads.append(dbeta)
        return dx, grads

    def forward_copies(self, reference, copies):
        """Perturbed copies, each normalised over its own batch (the numeric gradient's hook).

        In training the copies' whole batches are stacked on a leading copy
        axis and every copy gets its own mean and variance over the batch
        (and spatial) axes -- the statistics :meth:`forward` would compute
        for that copy alone; the moving statistics are left as the reference
        pass updated them. In inference each sample is normalised on its own
        (with the moving statistics), so the changed rows fold into one batch.
        """
        if not (reference.training and self.trainable):
            return fold(self, reference, copies)
        x, present = copies.full()
        axes = tuple(a + 1 for a in self._reduce)
        centred = x - x.mean(axis=axes, keepdims=True)
        var = np.mean(np.square(centred), axis=axes, keepdims=True)
        out = centred
        out *= 1.0 / np.sqrt(var + self.epsilon)
        out *= self._param(self.gamma, 1.0)
        if self.center:
            out += self._param(self.beta, 0.0)
        return Copies.from_full(out, reference.outputs, present, copies.count)

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis, momentum=self.momentum, epsilon=self.epsilon, center=self.center, scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
        )
        return config
