"""Regularisation layers: :class:`Dropout`, and :func:`frozen_masks` for gradient checks.

Randomness and numeric differentiation
--------------------------------------
A central difference compares two loss evaluations; if each evaluation drew a
new dropout mask, the difference would measure the noise, not the slope. So
inside a :func:`frozen_masks` block every :class:`Dropout` of the model draws
its mask once (on its first training forward pass in the block) and reuses
that same mask for every later pass in the block: no new randomness enters.
:class:`~layergraph.framework.gradients.NumericGradient` runs each step (its
reference pass and all perturbed passes) in such a block, and
:func:`~layergraph.framework.gradients.check` puts both the analytic and
the numeric strategy in one block, so both differentiate the network with
the same fixed mask. Outside these blocks (ordinary training with the
analytic strategy), every training pass draws a fresh mask.

The other way to keep randomness out is to switch dropout off: inside a
:func:`disabled_dropout` block every :class:`Dropout` is the identity even in
training. ``NumericGradient(dropout="off")`` does that; it then
differentiates the network *without* dropout, which is what Keras users get
from a model called with ``training=False``.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from ..perturbation import loop
from .base import Layer


class Dropout(Layer):
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
        self._generator = np.random.default_rng(seed)
        self._mask = None  # the last mask drawn, reused inside frozen_masks
        self._frozen = 0  # nesting depth of frozen_masks blocks
        self._disabled = 0  # nesting depth of disabled_dropout blocks
        if self.input_shape is not None:
            self._maybe_build(self.input_shape)

    def _draw_mask(self, shape, dtype):
        """A new scaled mask: ``0`` with probability ``rate``, else ``1 / (1 - rate)``."""
        uniform_dtype = dtype if dtype in (np.float32, np.float64) else np.float64
        keep = self._generator.random(shape, dtype=uniform_dtype) >= self.rate
        return np.multiply(keep, 1.0 / (1.0 - self.rate), dtype=dtype)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0 or self._disabled:
            return x, None
        mask = self._mask
        if not self._frozen or mask is None or mask.shape != x.shape or mask.dtype != x.dtype:
            mask = self._mask = self._draw_mask(x.shape, x.dtype)
        return x * mask, mask

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
        if not reference.training or self.rate == 0.0 or self._disabled:
            return copies.with_rows(reference.outputs, copies.values, copies.column)
        mask = self._mask
        if not self._frozen or mask is None or mask.shape != x.shape or mask.dtype != x.dtype:
            return loop(self, reference, copies)
        if copies.column is not None:
            scale = mask.reshape(len(mask), -1)[copies.sample, copies.column]
            return copies.with_rows(reference.outputs, copies.values * scale, copies.column)
        return copies.with_rows(reference.outputs, copies.rows() * mask[copies.sample])

    def get_config(self):
        config = super().get_config()
        config["rate"] = self.rate
        return config


def _dropout_layers(model):
    """Every :class:`Dropout` in ``model`` (a layer or a nested graph model)."""
    if isinstance(model, Dropout):
        return [model]
    found = []
    for layer in model.layers:
        for d in _dropout_layers(layer):
            if all(d is not other for other in found):
                found.append(d)
    return found


@contextlib.contextmanager
def frozen_masks(model):
    """Within the block, each :class:`Dropout` of ``model`` keeps one mask.

    Entering the outermost block forgets the previous masks; the first
    training forward pass inside it draws a mask, and every later pass reuses
    it. Blocks nest (an inner block changes nothing), so a gradient check
    can hold one mask across the analytic and the numeric strategy.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Dropout
    >>> layer = Dropout(0.5, seed=1)
    >>> x = np.ones((2, 8))
    >>> with frozen_masks(layer):
    ...     a = layer.forward(x, training=True)[0]
    ...     b = layer.forward(x, training=True)[0]
    >>> bool((a == b).all())
    True
    """
    layers = _dropout_layers(model)
    for layer in layers:
        if layer._frozen == 0:
            layer._mask = None
        layer._frozen += 1
    try:
        yield model
    finally:
        for layer in layers:
            layer._frozen -= 1


@contextlib.contextmanager
def disabled_dropout(model):
    """Within the block, each :class:`Dropout` of ``model`` is the identity,
    in training too. Blocks nest.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Dropout
    >>> layer = Dropout(0.5, seed=1)
    >>> with disabled_dropout(layer):
    ...     out = layer.forward(np.ones((1, 4)), training=True)[0]
    >>> out.tolist()
    [[1.0, 1.0, 1.0, 1.0]]
    """
    layers = _dropout_layers(model)
    for layer in layers:
        layer._disabled += 1
    try:
        yield model
    finally:
        for layer in layers:
            layer._disabled -= 1


#: How the numeric gradient keeps dropout's randomness out of its differences.
DROPOUT_MODES = {"frozen": frozen_masks, "off": disabled_dropout}
