"""Regularisation layers: :class:`Dropout`.

:func:`frozen_masks` and :func:`disabled_dropout` (re-exported here) keep
dropout's randomness, and that of every other
:class:`~layergraph.framework.layers.randomness.RandomLayer`, out of numeric
gradients; see :mod:`~layergraph.framework.layers.randomness`.
"""
from __future__ import annotations

import math

import numpy as np

from ..perturbation import loop
from .randomness import DROPOUT_MODES, RandomLayer, disabled_dropout, frozen_masks  # noqa: F401 (re-exported)


class Dropout(RandomLayer):
    r"""Inverted dropout: in training, zero each input with probability ``rate``
    and scale the others by :math:`1 / (1 - \mathrm{rate})`.

    In inference (``training=False``, as in ``predict`` and ``evaluate``) the
    layer is the identity, so no rescaling is needed there.

    Parameters
    ----------
    rate : float
        Fraction of inputs dropped, in ``[0, 1)``.
    seed : int, optional
        Seed of the layer's own :class:`numpy.random.Generator`; the sequence
        of masks is reproducible given the seed.
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``trainable``.

    Shapes
    ------
    input and output ``(n, ...)``, any rank.

    Notes
    -----
    Within a :func:`frozen_masks` block the mask is drawn once and reused (see
    the module docstring); the numeric gradient strategy relies on that.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Dropout
    >>> layer = Dropout(0.5, seed=0)
    >>> out, _ = layer.forward(np.ones((1, 6)), training=True)
    >>> sorted(set(out.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    >>> layer(np.ones((1, 3))).tolist()  # inference: identity
    [[1.0, 1.0, 1.0]]
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if (not isinstance(rate, (int, float, np.integer, np.floating)) or isinstance(rate, bool)
                or not math.isfinite(rate) or not 0 <= rate < 1):
            raise ValueError(f"Dropout {self.name!r}: rate must be a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self._mask = None  # the last mask drawn, reused inside frozen_masks
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def forget_draws(self):
        self._mask = None

    def _draw_mask(self, shape, dtype):
        """A new scaled mask: ``0`` with probability ``rate``, else ``1 / (1 - rate)``."""
        uniform_dtype = dtype if dtype in (np.float32, np.float64) else np.float64
        keep = self._generator.random(shape, dtype=uniform_dtype) >= self.rate
        return np.multiply(keep, 1.0 / (1.0 - self.rate), dtype=dtype)

    def _current_mask(self, x, training):
        """The mask of this pass (``None`` when the layer is the identity), kept in ``_mask``."""
        if not training or self.rate == 0.0 or self.randomness_disabled:
            return None
        mask = self._mask
        if not self.randomness_frozen or mask is None or mask.shape != x.shape or mask.dtype != x.dtype:
            mask = self._mask = self._draw_mask(x.shape, x.dtype)
        return mask

    def call(self, inputs, training=False):
        mask = self._current_mask(inputs, training)
        return inputs if mask is None else inputs * mask

    def forward(self, x, training=False):
        out = self.call(x, training)
        return out, (None if out is x else self._mask)

    def backward(self, grad, mask, input_grad=True):
        return (grad if mask is None else grad * mask), []

    def forward_copies(self, reference, copies):
        """Every perturbed copy through the reference pass's mask (the numeric gradient's hook).

        Inside :func:`frozen_masks` each row of each copy is multiplied by
        the mask row of its sample, as the reference pass drew it; when
        dropout is off (inference, ``rate=0``, :func:`disabled_dropout`) the
        copies pass unchanged. Outside a frozen block every copy draws its
        own mask, one copy at a time (the generic loop).
        """
        x = reference.inputs
        if not reference.training or self.rate == 0.0 or self.randomness_disabled:
            return copies.with_rows(reference.outputs, copies.values, copies.column)
        mask = self._mask
        if not self.randomness_frozen or mask is None or mask.shape != x.shape or mask.dtype != x.dtype:
            return loop(self, reference, copies)
        if copies.column is not None:
            scale = mask.reshape(len(mask), -1)[copies.sample, copies.column]
            return copies.with_rows(reference.outputs, copies.values * scale, copies.column)
        return copies.with_rows(reference.outputs, copies.rows() * mask[copies.sample])

    def get_config(self):
        config = super().get_config()
        config["rate"] = self.rate
        return config
