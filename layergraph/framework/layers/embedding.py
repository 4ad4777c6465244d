"""Lookup tables: :class:`Embedding` turns integer indices into dense vectors."""
from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from .. import initializers, regularizers
from ..autodiff import stop_gradient
from ._arguments import positive_int, with_keras_name
from .base import Layer


class Embedding(Layer):
    r"""Maps integer indices in ``[0, input_dim)`` to rows of a trainable ``(input_dim, output_dim)`` table.

    :math:`y_{\ldots, :} = E_{x_{\ldots}, :}`: an input of any shape gets a
    new last axis of ``output_dim`` values.

    Parameters
    ----------
    input_dim : int
        Vocabulary size (largest index + 1).
    output_dim : int
        Length of each embedding vector.
    embeddings_initializer : str or Initializer
        Keras' default ``"uniform"``: :class:`~layergraph.initializers.RandomUniform`
        on ``[-0.05, 0.05)``.
    embeddings_regularizer : Regularizer, optional
        Its penalty joins the loss.
    mask_zero : bool
        Keras' flag that index 0 is padding. :meth:`compute_mask` returns the
        mask, but layergraph's models do not pass masks on to later layers
        yet, so a warning says so when it is true.
    weights : array-like, optional
        Initial table of shape ``(input_dim, output_dim)``.
    **kwargs
        ``name``, ``dtype``, ``seed``, ``trainable``, ``input_shape``.
        Keras 2's ``input_length`` is accepted and ignored with a warning,
        as Keras 3 does.

    Shapes
    ------
    input ``(n, ...)`` of indices (integers, or floats that are whole
    numbers: models cast their inputs to the model's dtype); table
    ``(input_dim, output_dim)``; output ``(n, ..., output_dim)``.

    Notes
    -----
    The table gradient is a scatter-add of the output gradient rows into
    the rows of the indices that produced them (an index used twice gets
    both), done as one sparse-matrix product. Indices get no gradient:
    ``backward`` returns zeros for them. The table is created at once (no
    input shape needed), as in Keras.

    Raises
    ------
    ValueError
        From :meth:`forward`, naming the layer and the first offending value,
        for indices outside ``[0, input_dim)`` and for inputs that are not
        whole numbers.

    Example
    -------
    >>> import numpy as np
    >>> from layergraph.layers import Embedding
    >>> layer = Embedding(10, 3, embeddings_initializer="ones")
    >>> layer(np.array([[1, 2, 3, 4], [5, 6, 7, 9]])).shape
    (2, 4, 3)
    >>> layer.embeddings.shape
    (10, 3)
    """

    samplewise = True  # each sample computed from its own row (see Layer.samplewise)

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 mask_zero=False, weights=None, **kwargs):
        input_length = kwargs.pop("input_length", None)
        super().__init__(**with_keras_name(Embedding, kwargs))
        owner = f"Embedding {self.name!r}"
        self.input_dim = positive_int(input_dim, "input_dim", owner)
        self.output_dim = positive_int(output_dim, "output_dim", owner)
        if input_length is not None:
            warnings.warn(f"{owner}: argument input_length is deprecated (as in Keras 3) and ignored; "
                          f"just remove it", UserWarning, stacklevel=2)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
        self.embeddings = None  # created by build()
        if self.mask_zero:
            warnings.warn(f"{owner}: mask_zero=True: layergraph does not pass masks on to later layers yet, "
                          f"so index 0 is embedded like any other index (Keras would mask it in the layers "
                          f"that support masking)", UserWarning, stacklevel=2)
        if weights is not None:
            weights = weights[0] if isinstance(weights, list) and len(weights) == 1 else weights
            if np.shape(weights) != (self.input_dim, self.output_dim):
                raise ValueError(f"{owner}: weights must have shape {(self.input_dim, self.output_dim)} "
                                 f"(input_dim, output_dim), got {np.shape(weights)}")
        self.build(self.input_shape)
        if weights is not None:
            self.embeddings.value[...] = weights

    def build(self, input_shape=None):
        if self.embeddings is None:
            self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                              initializer=self.embeddings_initializer, name="embeddings",
                                              regularizer=self.embeddings_regularizer)
        self.built = True

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            raise ValueError(f"Embedding {self.name!r} takes one input, got shapes {input_shape}")
        return (*input_shape, self.output_dim)

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` when ``mask_zero``, else ``None`` (Keras' ``compute_mask``).

        Parameters
        ----------
        inputs : array-like
            Integer indices ``(batch, ...)``.
        mask : array-like, optional
            An incoming mask (ignored, as in Keras' ``Embedding``).
        """
        return np.not_equal(inputs, 0) if self.mask_zero else None

    def _indices(self, x):
        """``x`` as ``intp`` indices; ``ValueError`` naming the layer for non-whole or out-of-range values."""
        x = np.asarray(stop_gradient(x))  # indices: no gradient flows to them
        owner = f"Embedding {self.name!r}"
        if x.ndim < 1:
            raise ValueError(f"{owner} expects a batch of indices (rank >= 1), got a scalar")
        if x.dtype.kind in "iub":
            indices = x.astype(np.intp, copy=False)
        elif x.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                indices = x.astype(np.intp)
                whole = indices == x  # false for fractions, nan and inf
            if not whole.all():
                bad = x[~whole].flat[0]
                raise ValueError(f"{owner} expects integer indices, got the non-integer value {bad.item()!r} "
                                 f"(input shape {x.shape})")
        else:
            raise TypeError(f"{owner} expects integer indices, got an array of dtype {x.dtype}")
        outside = (indices < 0) | (indices >= self.input_dim)
        if outside.any():
            bad = indices[outside].flat[0]
            raise ValueError(f"{owner}: index {bad} is out of range [0, {self.input_dim}) "
                             f"(input_dim={self.input_dim}; input shape {x.shape})")
        return indices

    def _lookup(self, x):
        indices = self._indices(x)
        return np.take(self.embeddings._resolve(), indices, axis=0), indices

    def call(self, inputs):
        return self._lookup(inputs)[0]

    def forward(self, x, training=False):
        out, indices = self._lookup(x)
        return out, (indices, np.shape(x), np.asarray(x).dtype)

    def backward(self, grad, cache, input_grad=True):
        indices, x_shape, x_dtype = cache
        grads = []
        if self.trainable:
            grads.append(self._scatter_add(indices.ravel(), grad.reshape(-1, self.output_dim)))
        dx = None
        if input_grad:  # indices are piecewise constant: no gradient flows to them
            dx = np.zeros(x_shape, dtype=x_dtype if np.dtype(x_dtype).kind == "f" else grad.dtype)
        return dx, grads

    def _scatter_add(self, rows, values):
        """``out[rows[i]] += values[i]`` for all ``i`` at once, into a ``(input_dim, output_dim)`` array.

        ``values`` times the transposed one-hot matrix of ``rows``, a CSR
        matrix with one 1 per row (built without sorting): repeated rows add
        up. Measured faster than ``np.add.at`` and a sort + ``np.add.reduceat``
        for small and large vocabularies alike.
        """
        one_hot = sparse.csr_array((np.ones(rows.size, dtype=values.dtype), rows, np.arange(rows.size + 1)),
                                   shape=(rows.size, self.input_dim))
        return np.asarray(one_hot.T @ values)

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim,
                      embeddings_initializer=initializers.serialize(self.embeddings_initializer),
                      embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
                      mask_zero=self.mask_zero)
        return config
