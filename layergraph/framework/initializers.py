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

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "VarianceScaling", "GlorotUniform", "GlorotNormal", "LecunNormal", "LecunUniform", "HeNormal", "HeUniform",
           "Orthogonal", "get", "serialize"]


class Initializer:
    """Base class of the initialisers: subclasses implement :meth:`sample`.

    Called as ``init(shape, dtype="float64", rng=None)``; layers pass their
    own generator as ``rng``, so a layer's ``seed`` fixes its weights.

    Parameters
    ----------
    seed : int, optional
        When given, the initialiser draws from its own generator seeded with it
        (each call restarts it, as Keras' seeded initialisers do).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> class Identity(lg.initializers.Initializer):
    ...     def sample(self, shape, rng):
    ...         return np.eye(*shape)
    >>> lg.layers.Dense(2, kernel_initializer=Identity())(np.array([[3.0, 4.0]]))
    array([[3., 4.]])
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
        """A new array of ``shape``: what a subclass implements.

        Parameters
        ----------
        shape : tuple of int
            The weight's shape.
        rng : numpy.random.Generator
            The generator to draw from (the layer's, or the seeded one).
        """
        raise NotImplementedError

    def get_config(self):
        """``{"class_name", "config"}`` with exactly the constructor's arguments."""
        params = inspect.signature(type(self).__init__).parameters
        # Reflection on purpose: every subclass's own constructor arguments, read back by name.
        config = {k: getattr(self, k) for k in params if k != "self" and hasattr(self, k)}
        return {"class_name": type(self).__name__, "config": config}


class Zeros(Initializer):
    """All zeros (Keras' default ``bias_initializer``).

    Parameters
    ----------
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> lg.initializers.Zeros()((2,))
    array([0., 0.])
    """

    def sample(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    """All ones.

    Parameters
    ----------
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> lg.initializers.Ones()((2,))
    array([1., 1.])
    """

    def sample(self, shape, rng):
        return np.ones(shape)


class Constant(Initializer):
    """A constant ``value``.

    Parameters
    ----------
    value : float, default 0.0
        Every element's value.
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> lg.initializers.Constant(0.5)((1, 2))
    array([[0.5, 0.5]])
    """

    def __init__(self, value=0.0, seed=None):
        super().__init__(seed)
        self.value = value

    def sample(self, shape, rng):
        return np.full(shape, self.value)


class RandomNormal(Initializer):
    """Normal with ``mean`` and ``stddev`` (Keras default stddev 0.05).

    Parameters
    ----------
    mean : float, default 0.0
        Mean of the draws.
    stddev : float, default 0.05
        Their standard deviation.
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> w = lg.initializers.RandomNormal(stddev=1.0, seed=0)((1000,))
    >>> round(float(w.std()), 1)
    1.0
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)


class RandomUniform(Initializer):
    """Uniform on ``[minval, maxval)`` (Keras default ±0.05).

    Parameters
    ----------
    minval : float, default -0.05
        Lower bound (included).
    maxval : float, default 0.05
        Upper bound (excluded).
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> w = lg.initializers.RandomUniform(0.0, 1.0, seed=0)((1000,))
    >>> bool(w.min() >= 0.0 and w.max() < 1.0)
    True
    """

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
    """Normal with ``mean`` and ``stddev``, values beyond two ``stddev`` redrawn (Keras default stddev 0.05).

    Parameters
    ----------
    mean : float, default 0.0
        Mean of the draws.
    stddev : float, default 0.05
        Standard deviation before truncation.
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> w = lg.initializers.TruncatedNormal(stddev=1.0, seed=0)((1000,))
    >>> bool(np.abs(w).max() <= 2.0)
    True
    """

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
    """Glorot/He family: variance ``scale / fan`` (normal truncated at 2σ, or uniform).

    ``fan`` is the kernel's number of inputs (``fan_in``), outputs
    (``fan_out``) or their mean (``fan_avg``); for a convolution kernel
    ``(kh, kw, in, out)`` each counts ``kh * kw`` per channel.

    Parameters
    ----------
    scale : float, default 1.0
        Numerator of the variance.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan divides it.
    distribution : {"truncated_normal", "uniform"}, default "truncated_normal"
        The distribution drawn from.
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> w = lg.initializers.VarianceScaling(2.0, "fan_in", "uniform", seed=0)((50, 4))
    >>> bool(abs(w).max() <= (6 / 50) ** 0.5)  # He uniform: limit sqrt(3 * 2 / fan_in)
    True
    """

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
    """Xavier uniform: limit ``sqrt(6 / (fan_in + fan_out))``; Keras' default ``kernel_initializer``.

    Parameters
    ----------
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> w = lg.initializers.GlorotUniform(seed=0)((4, 2))
    >>> bool(abs(w).max() <= 1.0)  # sqrt(6 / (4 + 2))
    True
    """

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(VarianceScaling):
    """Xavier normal (truncated), stddev ``sqrt(2 / (fan_in + fan_out))``.

    Parameters
    ----------
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> lg.initializers.GlorotNormal(seed=0)((4, 2)).shape
    (4, 2)
    """

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class LecunNormal(VarianceScaling):
    """LeCun normal (truncated), stddev ``sqrt(1 / fan_in)``; for SELU nets.

    Parameters
    ----------
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> lg.initializers.LecunNormal(seed=0)((4, 2)).shape
    (4, 2)
    """

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


class LecunUniform(VarianceScaling):
    """LeCun uniform, limit ``sqrt(3 / fan_in)``.

    Parameters
    ----------
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> bool(abs(lg.initializers.LecunUniform(seed=0)((3, 2))).max() <= 1.0)  # sqrt(3 / 3)
    True
    """

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)


class HeNormal(VarianceScaling):
    """He normal (truncated), stddev ``sqrt(2 / fan_in)``; for ReLU nets.

    Parameters
    ----------
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> layer = lg.layers.Dense(64, activation="relu", kernel_initializer=lg.initializers.HeNormal(seed=0))
    >>> type(layer.kernel_initializer).__name__
    'HeNormal'
    """

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class HeUniform(VarianceScaling):
    """He uniform, limit ``sqrt(6 / fan_in)``.

    Parameters
    ----------
    seed : int, optional
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Example
    -------
    >>> import layergraph as lg
    >>> bool(abs(lg.initializers.HeUniform(seed=0)((6, 2))).max() <= 1.0)  # sqrt(6 / 6)
    True
    """

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
        Draw from a generator seeded with it (the same values at every call);
        default: the layer's generator.

    Shapes
    ------
    any rank >= 2; ``(rows, cols)`` has orthonormal columns when
    ``rows >= cols``, orthonormal rows otherwise.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.initializers import Orthogonal
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
    """Initialiser from a name, an instance, a config dict or any callable ``f(shape, dtype, rng)``.

    Parameters
    ----------
    identifier : str, Initializer, dict, type or callable
        A name (``"glorot_uniform"``, ``"he_normal"``, ``"zeros"``...), an
        instance or callable (returned as is), :func:`serialize`'s dict, or
        a class (made with its defaults).
    """
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
    """JSON-able config of an initialiser (raises for arbitrary callables).

    Parameters
    ----------
    init : Initializer
        The initialiser.
    """
    if isinstance(init, Initializer):
        return init.get_config()
    raise TypeError(f"Cannot serialise initialiser {init!r}: use a layergraph Initializer")
