"""The process-wide seed of ``layergraph.utils.set_random_seed`` (Keras' ``keras.utils.set_random_seed``).

A leaf of the framework. Random generators made for an explicit ``seed``
follow that seed; those made without one (:func:`generator` with ``None``)
draw fresh entropy, unless :func:`set_random_seed` was called: then they are
spawned, in order, from one :class:`numpy.random.SeedSequence` of that seed,
so that a program that calls ``set_random_seed(s)`` first makes the same
draws on every run.

Example
-------
>>> set_random_seed(3)
>>> a = generator().integers(1000, size=3)
>>> set_random_seed(3)
>>> bool((generator().integers(1000, size=3) == a).all())
True
>>> bool((generator(5).integers(1000, size=3) == generator(5).integers(1000, size=3)).all())
True
"""
from __future__ import annotations

import random
import threading

import numpy as np

__all__ = ["set_random_seed", "generator"]


class _Seed(threading.local):
    """The seed sequence of :func:`set_random_seed` (per thread; ``None``: fresh entropy)."""

    def __init__(self):
        self.sequence = None


_seed = _Seed()


def set_random_seed(seed):
    """Seed Python's ``random``, NumPy's global generator and the generators made by :func:`generator`.

    As Keras does, because the user asks for it: this changes the state of
    ``random`` and ``np.random`` for the whole program. :func:`generator`
    serves the trainer's shuffling, initialisers called on their own, and
    the layers' weight initialisation and random masks when a layer has no
    ``seed`` of its own.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Raises
    ------
    ValueError
        For anything else.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002 -- the global generator, on purpose, as Keras seeds it
    _seed.sequence = np.random.SeedSequence(int(seed))


def generator(seed=None):
    """A :class:`numpy.random.Generator`: of ``seed``, else the next one of the global seed, else fresh."""
    if seed is not None:
        return np.random.default_rng(seed)
    if _seed.sequence is not None:
        return np.random.default_rng(_seed.sequence.spawn(1)[0])
    return np.random.default_rng()
