"""Weight initialisers, by name or object, seeded reproducibly.

An initialiser is called as ``init(shape, dtype, rng)`` and returns a new
array. ``rng`` is a :class:`numpy.random.Generator` supplied by the layer (from
its ``seed``), or the initialiser's own when it was given a ``seed``.

Example
-------
>>> from layergraph.framework import initializers
>>> w = initializers.get("glorot_uniform")((2, 3), "float64", None)
>>> w.shape
(2, 3)
"""
from __future__ import annotations

import inspect

import numpy as np

from . import seeding
from .naming import lookup


class Initializer:
    """Base class: subclasses implement :meth:`sample`.

    Parameters
    ----------
    seed : int, optional
        When given, the initialiser draws from its own generator seeded with it
        (each call restarts it, as Keras' seeded initialisers do).
    """

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype="float64", rng=None):
        if self.seed is not None:
            rng = np.random.default_rng(self.seed)
        elif rng is None:
            rng = seeding.generator()
        return np.asarray(self.sample(tuple(shape), rng), dtype=dtype)

    def sample(self, shape, rng):
        raise NotImplementedError

    def get_config(self):
        """``{"class_name", "config"}`` with exactly the constructor's arguments."""
        params = inspect.signature(type(self).__init__).parameters
        # Reflection on purpose: every subclass's own constructor arguments, read back by name.
        config = {k: getattr(self, k) for k in params if k != "self" and hasattr(self, k)}
        return {"class_name": type(self).__name__, "config": config}


class Zeros(Initializer):
    """All zeros."""

    def sample(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    """All ones."""

    def sample(self, shape, rng):
        return np.ones(shape)


class Constant(Initializer):
    """A constant ``value``."""

    def __init__(self, value=0.0, seed=None):
        super().__init__(seed)
        self.value = value

    def sample(self, shape, rng):
        return np.full(shape, self.value)


class RandomNormal(Initializer):
    """Normal with ``mean`` and ``stddev`` (Keras default stddev 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)


class RandomUniform(Initializer):
    """Uniform on ``[minval, maxval)`` (Keras default ±0.05)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)


def _truncated_normal(rng, mean, std, shape):
    """Normal draws with ``std``, those beyond two standard deviations redrawn (Keras' truncation)."""
    out = rng.normal(mean, std, shape)
    bad = np.abs(out - mean) > 2 * std
    while bad.any():  # redraw the few outliers; ~4.6% per pass
        out[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = np.abs(out - mean) > 2 * std
    return out


class TruncatedNormal(Initializer):
    """Normal with ``mean`` and ``stddev``, values beyond two ``stddev`` redrawn (Keras default stddev 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape, rng):
        return _truncated_normal(rng, self.mean, self.stddev, shape)


def _fans(shape):
    """Fan-in and fan-out of a kernel: ``(in, out)`` or ``(kh, kw, in, out)``."""
    if len(shape) < 2:
        n = shape[0] if shape else 1
        return n, n
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(Initializer):
    """Glorot/He family: variance ``scale / fan`` (normal truncated at 2σ, or uniform)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("truncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling distribution must be truncated_normal or uniform, got {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = np.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, shape)
        # Keras truncates at two standard deviations; 0.8796... corrects the variance.
        return _truncated_normal(rng, 0.0, np.sqrt(variance) / 0.87962566103423978, shape)


class GlorotUniform(VarianceScaling):
    """Xavier uniform: limit ``sqrt(6 / (fan_in + fan_out))``."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(VarianceScaling):
    """Xavier normal (truncated), stddev ``sqrt(2 / (fan_in + fan_out))``."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class LecunNormal(VarianceScaling):
    """LeCun normal (truncated), stddev ``sqrt(1 / fan_in)``; for SELU nets."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


class LecunUniform(VarianceScaling):
    """LeCun uniform, limit ``sqrt(3 / fan_in)``."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)


class HeNormal(VarianceScaling):
    """He normal (truncated), stddev ``sqrt(2 / fan_in)``; for ReLU nets."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class HeUniform(VarianceScaling):
    """He uniform, limit ``sqrt(6 / fan_in)``."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, Keras' algorithm.

    A ``(max(rows, cols), min(rows, cols))`` matrix of standard normal draws
    is factored as ``QR``; ``Q``'s columns are multiplied by the signs of
    ``R``'s diagonal (without it ``Q`` would not be uniformly distributed),
    and transposed when there are fewer rows than columns. ``rows`` is the
    product of all but the last axis, ``cols`` the last axis. The default
    ``recurrent_initializer`` of the recurrent layers.

    Parameters
    ----------
    gain : float
        Multiplies the orthogonal matrix.
    seed : int, optional

    Shapes
    ------
    any rank >= 2; ``(rows, cols)`` has orthonormal columns when
    ``rows >= cols``, orthonormal rows otherwise.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.framework.initializers import Orthogonal
    >>> w = Orthogonal(seed=0)((3, 6))
    >>> np.allclose(w @ w.T, np.eye(3))
    True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def sample(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the tensor to initialize must be at least two-dimensional, "
                             f"got shape {shape} of rank {len(shape)}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        q, r = np.linalg.qr(rng.normal(size=(max(rows, cols), min(rows, cols))))
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        # C order: weights are perturbed and updated through flat views of their memory.
        return np.ascontiguousarray(self.gain * q.reshape(shape))


_INITIALIZERS = {
    "zeros": Zeros, "ones": Ones, "constant": Constant,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "uniform": RandomUniform, "normal": RandomNormal, "one": Ones, "zero": Zeros,  # Keras 3's aliases
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "xavier_uniform": GlorotUniform, "xavier_normal": GlorotNormal,
    "he_normal": HeNormal, "he_uniform": HeUniform,
    "variance_scaling": VarianceScaling, "orthogonal": Orthogonal,
}
_BY_CLASS = {cls.__name__: cls for cls in _INITIALIZERS.values()}


def get(identifier) -> Initializer:
    """Initialiser from a name, an instance, a config dict or any callable ``f(shape, dtype, rng)``."""
    if isinstance(identifier, Initializer) or (callable(identifier) and not isinstance(identifier, (str, type))):
        return identifier
    if isinstance(identifier, dict):
        name, config = identifier.get("class_name"), identifier.get("config", {})
        if not isinstance(name, str) or name not in _BY_CLASS or not isinstance(config, dict):
            raise ValueError(f"An initializer config must be {{'class_name': one of {sorted(_BY_CLASS)}, 'config': "
                             f"dict}}, got {identifier!r:.200}")
        return _BY_CLASS[name](**config)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    return lookup(_INITIALIZERS, identifier, "initializer")()


def serialize(init):
    """JSON-able config of an initialiser (raises for arbitrary callables)."""
    if isinstance(init, Initializer):
        return init.get_config()
    raise TypeError(f"Cannot serialise initialiser {init!r}: use a layergraph Initializer")
