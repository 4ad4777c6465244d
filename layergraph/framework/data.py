"""What ``fit``, ``evaluate`` and ``predict`` accept, turned into aligned arrays.

Keras takes ``x`` and ``y`` as one array, a list (one per model input or
output, in order) or a dict keyed by input/output name, plus optional
``sample_weight`` (per sample, or per output) and ``class_weight``
(per class). These helpers turn all of that into lists of arrays, one per
input/output, check that they agree, and slice them into batches. Every
error names the argument and lists what the model expects.

Example
-------
>>> import numpy as np
>>> arrays = as_arrays({"b": np.zeros((4, 2)), "a": np.ones((4, 3))}, ["a", "b"], "x")
>>> [a.shape for a in arrays]
[(4, 3), (4, 2)]
>>> split_at(10, 0.2)
8
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["as_arrays", "as_floats", "as_labels", "num_samples", "take", "split_at", "class_sample_weights",
           "check_finite"]


def as_arrays(value, names, what, allow_none=False):
    """One array per name from an array, a list/tuple (in order) or a dict keyed by name.

    Parameters
    ----------
    value : array-like, list, tuple or dict
    names : list of str
        The model's input (or output) names.
    what : str
        The argument, for messages (``"x"``, ``"y"``, ``"sample_weight"``).
    allow_none : bool
        Missing dict entries become ``None`` (sample weights of some outputs).

    Raises
    ------
    ValueError
        A wrong list length, a missing or unknown dict key: the message lists
        the expected names.
    """
    n = len(names)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"{what}: unknown name(s) {unknown}; the model expects {names}")
        missing = [name for name in names if name not in value]
        if missing and not allow_none:
            raise ValueError(f"{what}: missing entries for {missing}; the model expects {names}")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and n > 1:
        if len(value) != n:
            raise ValueError(f"{what}: expected {n} arrays (one for each of {names}), got {len(value)}")
        return list(value)
    if isinstance(value, (list, tuple)) and value and all(isinstance(a, np.ndarray) for a in value):
        if len(value) != 1:
            raise ValueError(f"{what}: the model has one {'input' if what.endswith('x') else 'output'} "
                             f"({names[0]!r}), got a list of {len(value)} arrays")
        return [value[0]]
    if n > 1:
        raise ValueError(f"{what}: the model has {n} {'inputs' if what.endswith('x') else 'outputs'} {names}; "
                         f"pass a list or a dict keyed by name, got a single {type(value).__name__}")
    return [value]


def as_floats(arrays, dtypes, what):
    """Numeric arrays cast to ``dtypes`` (no copy when they already match)."""
    out = []
    for i, (a, dtype) in enumerate(zip(arrays, dtypes, strict=True)):
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            label = what if len(arrays) == 1 else f"{what}[{i}]"
            raise TypeError(f"{label} must be a numeric array, got dtype {a.dtype}")
        out.append(a.astype(dtype, copy=False))
    return out


def as_labels(arrays, dtype, what):
    """Numeric label arrays: floats cast to ``dtype``, integers kept."""
    out = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            label = what if len(arrays) == 1 else f"{what}[{i}]"
            raise TypeError(f"{label} must be a numeric array, got dtype {a.dtype}")
        out.append(a.astype(dtype, copy=False) if a.dtype.kind == "f" else a)
    return out


def num_samples(groups):
    """The common number of samples of ``[(what, arrays), ...]``; ``ValueError`` naming the mismatch."""
    sizes = []
    for what, arrays in groups:
        for i, a in enumerate(arrays):
            if a is None:
                continue
            if np.ndim(a) == 0:
                raise ValueError(f"{what} must have a batch axis, got a scalar")
            sizes.append((what if len(arrays) == 1 else f"{what}[{i}]", len(a), np.shape(a)))
    if not sizes:
        raise ValueError("no data given")
    if len({n for _, n, _ in sizes}) > 1:
        listed = ", ".join(f"{label} {shape}" for label, _, shape in sizes)
        raise ValueError(f"the arrays have different numbers of samples: {listed}")
    return sizes[0][1]


def take(arrays, index):
    """``[a[index] for a in arrays]`` (``None`` entries stay ``None``)."""
    return [None if a is None else a[index] for a in arrays]


def split_at(n, validation_split):
    """Keras' ``validation_split``: the first ``floor(n * (1 - split))`` samples train, the rest validate.

    Raises
    ------
    ValueError
        ``validation_split`` outside ``[0, 1)``, or too few samples to give
        both parts at least one.
    """
    if (not isinstance(validation_split, (int, float, np.integer, np.floating)) or isinstance(validation_split, bool)
            or not 0 <= validation_split < 1):
        raise ValueError(f"fit: validation_split must be a number in [0, 1), got {validation_split!r}")
    at = int(math.floor(n * (1.0 - validation_split)))
    if validation_split and (at == 0 or at == n):
        raise ValueError(f"fit: {n} samples cannot be split into a training and a validation part with "
                         f"validation_split={validation_split}")
    return at


def class_sample_weights(y, class_weight):
    """Per-sample weights from Keras' ``class_weight`` ``{class_index: weight}`` (absent classes weigh 1).

    The class of a sample is its integer label, the arg-max of a one-hot
    row, or the rounded value of a single output unit.

    Raises
    ------
    ValueError
        Keys that are not class indices of this data, negative or non-finite weights.
    """
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"fit: class_weight must be a non-empty dict {{class_index: weight}}, got {class_weight!r}")
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        classes, num_classes = np.argmax(y.reshape(len(y), -1), axis=-1), y.shape[-1]
    else:
        classes = np.round(y.reshape(len(y))).astype(np.intp)
        num_classes = max(2, int(classes.max()) + 1) if len(classes) else 2
    table = np.ones(num_classes)
    for key, weight in class_weight.items():
        if not isinstance(key, (int, np.integer)) or isinstance(key, bool) or not 0 <= key < num_classes:
            raise ValueError(f"fit: class_weight has a weight for class {key!r}, but the labels have classes "
                             f"0 to {num_classes - 1}")
        if (not isinstance(weight, (int, float, np.integer, np.floating)) or isinstance(weight, bool)
                or not np.isfinite(weight) or weight < 0):
            raise ValueError(f"fit: class_weight[{key}] must be a finite number >= 0, got {weight!r}")
        table[key] = weight
    if len(classes) and (classes.min() < 0 or classes.max() >= num_classes):
        raise ValueError(f"fit: class_weight needs labels that are class indices in [0, {num_classes})")
    return table[classes]


def check_finite(arrays, what):
    """``ValueError`` naming the array, row and column of the first non-finite value."""
    for i, a in enumerate(arrays):
        if a is None or a.dtype.kind != "f":
            continue
        total = np.add.reduce(a, axis=None)
        if np.isfinite(total):  # one pass for the common case; a sum overflows only if values are huge
            continue
        bad = ~np.isfinite(a)
        if not bad.any():
            continue
        where = np.unravel_index(int(np.argmax(bad)), a.shape)
        label = what if len(arrays) == 1 else f"{what}[{i}]"
        raise ValueError(f"{label} contains a non-finite value ({a[where]}) at index {tuple(int(j) for j in where)} "
                         f"(sample {int(where[0])} of {len(a)})")
