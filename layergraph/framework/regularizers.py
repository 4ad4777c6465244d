"""Weight penalties (``kernel_regularizer=l2(1e-4)``) that join the loss.

A regulariser maps a weight array to ``(penalty, gradient)``. Both gradient
strategies see the penalty: the numeric one because it differentiates the total
loss, the analytic one because it adds :meth:`Regularizer.gradient`.

Example
-------
>>> import numpy as np
>>> from layergraph.regularizers import l2
>>> l2(0.5)(np.array([1.0, 2.0]))
2.5
"""
from __future__ import annotations

import numpy as np

from ._checks import is_number
from .naming import lookup

__all__ = ["Regularizer", "L1L2", "l1", "l2", "get", "serialize"]


class Regularizer:
    """Base class of weight penalties: subclasses implement ``__call__(w) -> float`` and :meth:`gradient`.

    They may override :meth:`perturbed` (the penalty at many one-element
    perturbations of ``w``, for the vectorised numeric gradient).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> class SumOfFourthPowers(lg.regularizers.Regularizer):
    ...     def __call__(self, w):
    ...         return float(np.sum(w ** 4))
    ...     def gradient(self, w):
    ...         return 4 * w ** 3
    >>> layer = lg.layers.Dense(2, kernel_regularizer=SumOfFourthPowers())
    >>> [type(r).__name__ for _, r in (layer(np.ones((1, 3))), layer.penalties())[1]]
    ['SumOfFourthPowers']
    """

    def __call__(self, w):
        raise NotImplementedError

    def gradient(self, w):
        """``d(penalty)/dw``, shaped as ``w`` (what the analytic strategy adds to the weight's gradient).

        Parameters
        ----------
        w : numpy.ndarray
            The weight's value.
        """
        raise NotImplementedError

    def perturbed(self, w, indices, values):
        """The penalty of ``w`` with its flat element ``indices[k]`` set to ``values[k]``, for every ``k``.

        Parameters
        ----------
        w : numpy.ndarray
            Not changed (the default works on a copy).
        indices : numpy.ndarray of int, ``(K,)``
            Flat indices of the moved elements.
        values : numpy.ndarray, ``(K,)``
            Their new values.

        Returns
        -------
        numpy.ndarray, ``(K,)``
        """
        work = np.array(w)
        flat = work.reshape(-1)
        out = np.empty(len(indices))
        for k, (i, v) in enumerate(zip(indices, values, strict=True)):
            original = flat[i]
            flat[i] = v
            out[k] = self(work)
            flat[i] = original
        return out

    def get_config(self):
        """``{"class_name": ..., "config": {attribute: value}}``."""
        return {"class_name": type(self).__name__, "config": dict(vars(self))}


class L1L2(Regularizer):
    r"""Penalty :math:`l_1 \sum |w| + l_2 \sum w^2` (Keras convention, no 1/2).

    Parameters
    ----------
    l1 : float, default 0.0
        Factor of the L1 term (non-negative).
    l2 : float, default 0.0
        Factor of the L2 term (non-negative).

    Example
    -------
    >>> import numpy as np, layergraph as lg
    >>> reg = lg.regularizers.L1L2(l1=0.1, l2=0.5)
    >>> reg(np.array([1.0, -2.0])), reg.gradient(np.array([1.0, -2.0])).tolist()
    (2.8, [1.1, -2.1])
    """

    def __init__(self, l1=0.0, l2=0.0):
        for label, value in (("l1", l1), ("l2", l2)):
            if not is_number(value) or not np.isfinite(value) or value < 0:
                raise ValueError(f"Regularizer {label} factor must be a finite number >= 0, got {value!r}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w):
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.abs(w).sum())
        if self.l2:
            total += self.l2 * float(np.square(w).sum())
        return total

    def perturbed(self, w, indices, values):
        """The penalty minus the moved elements' old terms plus their new ones (vectorised)."""
        old = w.reshape(-1)[indices]
        out = np.full(len(indices), self(w))
        if self.l1:
            out += self.l1 * (np.abs(values) - np.abs(old))
        if self.l2:
            out += self.l2 * (np.square(values) - np.square(old))
        return out

    def gradient(self, w):
        g = np.zeros_like(w)
        if self.l1:
            g += self.l1 * np.sign(w)
        if self.l2:
            g += 2.0 * self.l2 * w
        return g


def l2(l2=0.01):
    """L2 penalty ``l2 * sum(w**2)``.

    Parameters
    ----------
    l2 : float, default 0.01
        The factor.
    """
    return L1L2(l2=l2)


def l1(l1=0.01):
    """L1 penalty ``l1 * sum(|w|)``.

    Parameters
    ----------
    l1 : float, default 0.01
        The factor.
    """
    return L1L2(l1=l1)


def get(identifier):
    """A regulariser from ``None``, an instance, a config dict or a name (``"l1"``, ``"l2"``).

    Parameters
    ----------
    identifier : None, Regularizer, dict or str
        ``None`` and instances are returned as they are; a name gives the
        penalty with its default factor (0.01).
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        config = identifier.get("config")
        if identifier.get("class_name") != "L1L2" or not isinstance(config, dict) or set(config) - {"l1", "l2"}:
            raise ValueError(f"A regularizer config must be {{'class_name': 'L1L2', 'config': {{'l1': ..., "
                             f"'l2': ...}}}}, got {identifier!r:.200}")
        return L1L2(**config)
    return lookup({"l1": l1, "l2": l2}, identifier, "regularizer")()


def serialize(reg):
    """``{"class_name": ..., "config": ...}`` of a regulariser (``None`` for ``None``).

    Parameters
    ----------
    reg : Regularizer or None
        The regulariser.
    """
    return None if reg is None else reg.get_config()
