"""Layers that draw random numbers in training, and the two blocks that tame them.

:class:`RandomLayer` is the base of every layer whose training forward pass
is random: :class:`~layergraph.framework.layers.regularization.Dropout` (a
mask) and the augmentation layers of
:mod:`~layergraph.framework.layers.augmentation` (one affine transform per
image). Each owns a :class:`numpy.random.Generator` seeded by ``seed``.

Randomness and numeric differentiation
--------------------------------------
A central difference compares two loss evaluations; if each evaluation drew
new random numbers, the difference would measure the noise, not the slope.
So inside a :func:`frozen_masks` block every random layer of the model draws
once (on its first training forward pass in the block) and reuses that draw
for every later pass in the block: no new randomness enters.
:class:`~layergraph.framework.gradients.NumericGradient` runs each step (its
reference pass and all perturbed passes) in such a block, and
:func:`~layergraph.framework.gradients.check` puts both the analytic and the
numeric strategy in one block, so both differentiate the network with the
same draw. Outside these blocks (ordinary training with the analytic
strategy), every training pass draws afresh.

The other way to keep randomness out is to switch it off: inside a
:func:`disabled_dropout` block every random layer is the identity even in
training (what a Keras model called with ``training=False`` does).
``NumericGradient(dropout="off")`` does that.
"""
from __future__ import annotations

import contextlib

from .. import seeding
from .base import Layer


class RandomLayer(Layer):
    """Base class of layers whose training forward pass draws random numbers.

    The numeric gradient strategy depends on two promises, which a subclass
    keeps in its :meth:`forward`:

    - while :attr:`randomness_disabled` is true, the layer is the identity,
      in training too;
    - while :attr:`randomness_frozen` is true, the first training pass draws
      and keeps its draw, and every later pass reuses it (drawing again only
      when the kept draw does not fit the input, e.g. another batch size).

    A subclass must implement :meth:`forget_draws`, which drops the kept draw:
    :func:`frozen_masks` calls it on entering its outermost block.

    Parameters
    ----------
    seed : int, optional
        Seed of the layer's own generator (:attr:`generator`): the sequence
        of draws is reproducible given the seed.
    **kwargs
        ``name``, ``input_shape``, ``dtype``, ``trainable``.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self._generator = seeding.generator(seed)
        self._frozen = 0  # nesting depth of frozen_masks blocks
        self._disabled = 0  # nesting depth of disabled_dropout blocks

    @property
    def generator(self):
        """The layer's :class:`numpy.random.Generator`."""
        return self._generator

    @property
    def randomness_frozen(self):
        """Inside a :func:`frozen_masks` block: reuse the kept draw."""
        return self._frozen > 0

    @property
    def randomness_disabled(self):
        """Inside a :func:`disabled_dropout` block: be the identity."""
        return self._disabled > 0

    def forget_draws(self):
        """Drop the draw kept for :func:`frozen_masks` blocks."""
        raise NotImplementedError(f"{type(self).__name__} must implement forget_draws()")


def random_layers(model):
    """Every :class:`RandomLayer` in ``model`` (a layer or a nested graph model), once each."""
    if isinstance(model, RandomLayer):
        return [model]
    found = []
    for layer in model.layers:
        for d in random_layers(layer):
            if all(d is not other for other in found):
                found.append(d)
    return found


@contextlib.contextmanager
def frozen_masks(model):
    """Within the block, each random layer of ``model`` keeps one draw.

    Entering the outermost block forgets the previous draws; the first
    training forward pass inside it draws (a dropout mask, a transform per
    image), and every later pass reuses it. Blocks nest (an inner block
    changes nothing), so a gradient check can hold one draw across the
    analytic and the numeric strategy.

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
    layers = random_layers(model)
    for layer in layers:
        if layer._frozen == 0:
            layer.forget_draws()
        layer._frozen += 1
    try:
        yield model
    finally:
        for layer in layers:
            layer._frozen -= 1


@contextlib.contextmanager
def disabled_dropout(model):
    """Within the block, each random layer of ``model`` (dropout, augmentation)
    is the identity, in training too. Blocks nest.

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
    layers = random_layers(model)
    for layer in layers:
        layer._disabled += 1
    try:
        yield model
    finally:
        for layer in layers:
            layer._disabled -= 1


#: How the numeric gradient keeps random layers' randomness out of its differences.
DROPOUT_MODES = {"frozen": frozen_masks, "off": disabled_dropout}
