r"""Perturbed copies of arrays: what the vectorised numeric gradient pushes through a model.

The numeric gradient evaluates the objective at many perturbed weights: for
one weight element :math:`w_i`, at :math:`w + \epsilon e_i` and
:math:`w - \epsilon e_i`. Done one evaluation at a time, each runs the whole
model on the whole batch. Done together, ``K`` perturbed *copies* of the
model are evaluated in one vectorised pass, and each copy is stored by what
makes it differ from the reference forward pass: after a layer, copy ``k``
usually differs from the reference output in a few rows (samples) only --
perturbing ``W[i, j]`` of a Dense layer changes only the samples whose input
``x[:, i]`` is not zero, and in those only column ``j`` of the output.

:class:`Copies` holds ``K`` copies of one ``(batch, ...)`` array as those
rows: ``values[r]`` is the row of copy ``copy[r]`` for sample ``sample[r]``;
every row not listed equals the reference. In *column mode* only one
feature of each listed row differs (``values[r]`` is its new value, at flat
feature index ``column[r]``). Rows are unique and sorted by
``(copy, sample)``.

Layers map copies with two hooks of
:class:`~layergraph.framework.layers.Layer`: ``forward_perturbed`` (one of
the layer's weights perturbed, one element per copy) and ``forward_copies``
(perturbed inputs). Their generic versions live here:

- :func:`fold`, for layers that compute each sample on its own
  (``Layer.samplewise``): the changed rows of every copy form one batch, and
  one ``forward`` call computes them all;
- :func:`loop`, exact for any layer (batch statistics, a batch-wide
  softmax, custom code, a weight perturbed in place): each copy is
  rebuilt as a whole batch and run through ``forward`` on its own, so copies
  never mix.

Example
-------
>>> import numpy as np
>>> reference = np.zeros((3, 2))
>>> c = Copies(reference, 2, copy=np.array([1]), sample=np.array([2]), values=np.array([[5.0, 6.0]]))
>>> full, present = c.full()
>>> present.tolist(), full[0].tolist()
([1], [[0.0, 0.0], [0.0, 0.0], [5.0, 6.0]])
"""
from __future__ import annotations

import numpy as np

__all__ = ["Copies", "NodeReference", "fold", "loop", "align"]


class Copies:
    """``count`` perturbed copies of a ``(batch, ...)`` reference array, stored as the rows that differ.

    Parameters
    ----------
    reference : numpy.ndarray, ``(batch, *features)``
        The array of the reference (unperturbed) forward pass.
    count : int
        Number of copies ``K``.
    copy, sample : numpy.ndarray of int, ``(N,)``
        The copy and the sample of each stored row, unique pairs sorted by
        ``(copy, sample)``.
    values : numpy.ndarray
        ``(N, *features)``: the rows; in column mode ``(N,)``: the new value
        of one feature of each row.
    column : numpy.ndarray of int, ``(N,)``, optional
        Column mode: the flat feature index (in ``reference[0].ravel()``) of
        each row's changed value; the rest of the row is the reference's.
    losses : numpy.ndarray, ``(count,)``, optional
        Set by the hook that made these copies when its layer added losses
        (``add_loss``): the total it added in each copy.
    """

    __slots__ = ("reference", "count", "copy", "sample", "values", "column", "losses")

    def __init__(self, reference, count, copy, sample, values, column=None, losses=None):
        self.reference, self.count = reference, int(count)
        self.copy, self.sample, self.values, self.column = copy, sample, values, column
        self.losses = losses

    @classmethod
    def unchanged(cls, reference, count):
        """``count`` copies equal to ``reference`` (no rows)."""
        empty = np.zeros(0, dtype=np.intp)
        return cls(reference, count, empty, empty, reference[:0])

    def __len__(self):
        """The number of stored rows ``N``."""
        return len(self.copy)

    def __repr__(self):
        mode = "column" if self.column is not None else "row"
        return f"<Copies {self.count} of {self.reference.shape}: {len(self)} changed rows ({mode} mode)>"

    def rows(self):
        """The stored rows in full, ``(N, *features)`` (column mode: the reference rows with one value replaced)."""
        if self.column is None:
            return self.values
        out = self.reference[self.sample]  # a new array: fancy indexing copies
        out.reshape(len(out), -1)[np.arange(len(out)), self.column] = self.values
        return out

    def with_rows(self, reference, values, column=None):
        """The same ``(copy, sample)`` rows with other values (a row-wise layer's outputs)."""
        return Copies(reference, self.count, self.copy, self.sample, values, column)

    def present(self):
        """The sorted indices of the copies that have a changed row."""
        if not len(self.copy):
            return self.copy
        starts = np.flatnonzero(np.diff(self.copy)) + 1
        return self.copy[np.concatenate(([0], starts))]

    def full(self, present=None):
        """Whole batches of the copies ``present`` (default: those with a changed row).

        Returns
        -------
        full : numpy.ndarray, ``(len(present), batch, *features)``
            The reference, with each copy's rows in place.
        present : numpy.ndarray of int
        """
        present = self.present() if present is None else present
        rows = self.rows()
        full = np.empty((len(present), *self.reference.shape), dtype=np.result_type(self.reference, rows))
        full[...] = self.reference
        if len(rows):
            full[np.searchsorted(present, self.copy), self.sample] = rows
        return full, present

    @classmethod
    def from_full(cls, full, reference, present, count):
        """The copies whose whole batches are ``full`` (one per index in ``present``), as their changed rows."""
        changed = (full != reference).reshape(len(present), len(reference), -1).any(axis=2)
        if changed.all():  # e.g. after a layer that couples the samples: every row, no gather
            batch = len(reference)
            return cls(reference, count, np.repeat(present, batch), np.tile(np.arange(batch), len(present)),
                       full.reshape(len(present) * batch, *reference.shape[1:]))
        p, sample = np.nonzero(changed)
        return cls(reference, count, present[p], sample, full[p, sample])


class NodeReference:
    """What the perturbation hooks of a layer know of the reference forward pass at one call.

    Attributes
    ----------
    inputs, outputs
        The reference arrays, as ``forward`` takes and returns them (one
        array, or a list for several).
    training : bool
        The mode of the call.
    added : float
        The total the layer added with ``add_loss`` in this call.
    """

    __slots__ = ("inputs", "outputs", "training", "added", "_memo")

    def __init__(self, inputs, outputs, training, added=0.0):
        self.inputs, self.outputs, self.training, self.added = inputs, outputs, training, added
        self._memo = {}

    def memo(self, key, compute):
        """``compute()`` once per numeric step for this call (e.g. a pre-activation that a shortcut starts from)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def align(copies, references):
    """The union of the changed rows of several inputs' copies, and every input's rows there.

    Parameters
    ----------
    copies : list of Copies or None
        One per input; ``None`` for an input equal to its reference in every copy.
    references : list of numpy.ndarray

    Returns
    -------
    copy, sample : numpy.ndarray of int
        The union of the ``(copy, sample)`` rows, sorted.
    rows : list of numpy.ndarray
        Per input, its rows at those positions (the reference's where it did not change).
    """
    batch = len(references[0])
    keys = [c.copy.astype(np.int64) * batch + c.sample for c in copies if c is not None]
    union = np.unique(np.concatenate(keys))
    copy, sample = np.divmod(union, batch)
    rows = []
    for c, ref in zip(copies, references, strict=True):
        r = ref[sample]
        if c is not None and len(c):
            r[np.searchsorted(union, c.copy.astype(np.int64) * batch + c.sample)] = c.rows()
        rows.append(r)
    return copy.astype(np.intp), sample.astype(np.intp), rows


def fold(layer, reference, copies):
    """Copies through a layer that computes each sample on its own: one ``forward`` of all the changed rows.

    Parameters
    ----------
    layer : Layer
        Its ``forward`` must compute every row (axis 0) from the same input
        row alone (``layer.samplewise``).
    reference : NodeReference
    copies : Copies, or a list (``None`` for unchanged inputs) for several inputs

    Returns
    -------
    Copies (a list for several outputs), or ``None`` when the layer added
    losses in that call: they cannot be told apart by copy, and the caller
    falls back to :func:`loop`.
    """
    if isinstance(reference.inputs, list):
        count = next(c.count for c in copies if c is not None)
        copy, sample, inputs = align(copies, reference.inputs)
    else:
        count, copy, sample, inputs = copies.count, copies.copy, copies.sample, copies.rows()
    state = [w.value.copy() for w in layer.non_trainable_weights]
    layer._clear_losses()
    try:
        out = layer.forward(inputs, reference.training)[0]
    finally:
        for w, saved in zip(layer.non_trainable_weights, state, strict=True):
            w.value[...] = saved
    if layer.losses:
        return None
    if isinstance(reference.outputs, list):
        return [Copies(r, count, copy, sample, o) for r, o in zip(reference.outputs, out, strict=True)]
    return Copies(reference.outputs, count, copy, sample, out)


def loop(layer, reference, copies=None, weight=None):
    """Copies through any layer, one at a time: exact for every layer (the generic path).

    Each copy is rebuilt as a whole batch (the reference with its changed
    rows in place) and run through ``layer.forward`` on its own, so layers
    that couple the samples of a batch (batch statistics, a batch-wide
    softmax) normalise each copy by itself. The layer's non-trainable state
    is restored after every call, and a perturbed weight element after every
    call even if it raises.

    Parameters
    ----------
    layer : Layer
    reference : NodeReference
    copies : Copies, or a list for several inputs, optional
        Perturbed inputs (``None`` where an input is the reference).
    weight : tuple, optional
        ``(variable, indices, values)``: in copy ``k`` the flat element
        ``indices[k]`` of ``variable`` holds ``values[k]``. Every copy is
        then evaluated; without it only the copies with a changed input row.

    Returns
    -------
    Copies (a list for several outputs); the first carries ``losses`` when
    the layer added losses.
    """
    several_in = isinstance(reference.inputs, list)
    refs_in = reference.inputs if several_in else [reference.inputs]
    inputs = [None] * len(refs_in) if copies is None else (list(copies) if several_in else [copies])
    inputs = [c if c is not None and len(c) else None for c in inputs]
    if weight is not None:
        variable, indices, values = weight
        count = len(indices)
        run = np.arange(count)
        flat = variable.value.reshape(-1)  # a view: the variable's own memory
    else:
        count = next(c.count for c in (copies if several_in else [copies]) if c is not None)
        changed = [c.copy for c in inputs if c is not None]
        run = np.unique(np.concatenate(changed)) if changed else np.zeros(0, dtype=np.intp)
    spans = [None if c is None else (c.rows(), np.searchsorted(c.copy, run), np.searchsorted(c.copy, run, "right"))
             for c in inputs]
    several_out = isinstance(reference.outputs, list)
    refs_out = reference.outputs if several_out else [reference.outputs]
    found = [[] for _ in refs_out]
    added = np.full(count, float(reference.added))
    state = [w.value.copy() for w in layer.non_trainable_weights]
    for n, k in enumerate(run):
        arrays = []
        for ref, c, span in zip(refs_in, inputs, spans, strict=True):
            if span is None or span[1][n] == span[2][n]:
                arrays.append(ref)
                continue
            lo, hi = span[1][n], span[2][n]
            a = ref.copy()
            a[c.sample[lo:hi]] = span[0][lo:hi]
            arrays.append(a)
        if weight is not None:
            original = flat[indices[k]]
        try:
            if weight is not None:
                flat[indices[k]] = values[k]
            layer._clear_losses()
            out = layer.forward(arrays if several_in else arrays[0], reference.training)[0]
            added[k] = sum(layer.losses)
        finally:
            if weight is not None:
                flat[indices[k]] = original
            for w, saved in zip(layer.non_trainable_weights, state, strict=True):
                w.value[...] = saved
        for j, (o, r) in enumerate(zip(out if several_out else [out], refs_out, strict=True)):
            rows = np.flatnonzero((o != r).reshape(len(r), -1).any(axis=1))
            if len(rows):
                found[j].append((k, rows, o[rows]))
    results = [_assemble(r, count, f) for r, f in zip(refs_out, found, strict=True)]
    if reference.added or added.any():
        results[0].losses = added
    return results if several_out else results[0]


def _assemble(reference, count, found):
    """Copies from ``[(copy, rows, values), ...]`` in increasing copy order."""
    if not found:
        return Copies.unchanged(reference, count)
    copy = np.concatenate([np.full(len(rows), k, dtype=np.intp) for k, rows, _ in found])
    sample = np.concatenate([rows for _, rows, _ in found]).astype(np.intp)
    return Copies(reference, count, copy, sample, np.concatenate([v for _, _, v in found]))
