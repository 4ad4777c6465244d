r"""Metrics from confusion counts over thresholds: :class:`Precision`, :class:`Recall`, :class:`AUC`
and the four counts (Keras 3's ``keras/src/metrics/confusion_metrics.py``).

A prediction :math:`p` is positive at threshold :math:`t` when :math:`p > t`
(strictly, as in Keras); a label is positive when it is non-zero. Counts are
weighted by ``sample_weight`` and accumulate over batches, so that the value
``fit`` reports for an epoch is that of the whole epoch. All thresholds are
counted in one pass: each prediction's rank among the sorted thresholds
(``np.searchsorted``) goes into a weighted histogram whose reversed
cumulative sum is the count at every threshold, :math:`O(n \log T)`
instead of a comparison of every prediction with every threshold.

Example
-------
>>> import numpy as np
>>> m = Precision()
>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> round(m.result(), 6)
0.666667
>>> auc = AUC(num_thresholds=3)
>>> auc.update_state([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
>>> auc.result()
0.75
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .base import Metric

__all__ = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall", "AUC"]

#: Keras' threshold for "every prediction of the top k is positive".
NEG_INF = -1e10

#: Keras' ``backend.epsilon()``: AUC's outer thresholds are ``-EPSILON`` and ``1 + EPSILON``.
EPSILON = 1e-7


def _thresholds(owner, thresholds, default):
    """A float array from a number or a list of numbers in [0, 1] (``default`` when ``None``)."""
    if thresholds is None:
        return np.array([default], dtype=np.float64)
    values = np.atleast_1d(np.asarray(thresholds, dtype=object))
    if values.ndim != 1 or not len(values) or not all(
            isinstance(t, (int, float, np.integer, np.floating)) and not isinstance(t, bool) and 0 <= t <= 1
            for t in values):
        raise ValueError(f"{owner}: thresholds must be a number or a list of numbers in [0, 1], got {thresholds!r}")
    return values.astype(np.float64)


def _class_index(owner, what, value):
    if value is None:
        return None
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < (1 if what == "top_k" else 0):
        raise ValueError(f"{owner}: {what} must be a {'positive' if what == 'top_k' else 'non-negative'} integer, "
                         f"got {value!r}")
    return int(value)


def _aligned(owner, y_true, y_pred, sample_weight):
    """``(labels, predictions, weights)`` as float arrays of the predictions' shape (weights ``None`` or broadcast)."""
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true)
    if y_true.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: labels must be numeric, got dtype {y_true.dtype}")
    if y_true.shape != y_pred.shape:
        if y_true.size != y_pred.size:
            raise ValueError(f"{owner}: labels of shape {y_true.shape} do not fit predictions of shape {y_pred.shape}")
        y_true = y_true.reshape(y_pred.shape)
    if sample_weight is None:
        return y_true, y_pred, None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim and y_pred.ndim and w.shape[0] == y_pred.shape[0] and w.ndim < y_pred.ndim:
        w = w.reshape(w.shape + (1,) * (y_pred.ndim - w.ndim))  # one weight per sample
    try:
        w = np.broadcast_to(w, y_pred.shape)
    except ValueError:
        raise ValueError(f"{owner}: sample_weight of shape {np.shape(sample_weight)} does not fit predictions of "
                         f"shape {y_pred.shape}") from None
    return y_true, y_pred, w


def _top_k(y_pred, k):
    """``y_pred`` with all but the ``k`` largest values of the last axis set to :data:`NEG_INF`
    (ties go to the lower index, as ``top_k`` does)."""
    order = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    kept = np.full(y_pred.shape, NEG_INF)
    np.put_along_axis(kept, order, np.take_along_axis(y_pred, order, axis=-1), axis=-1)
    return kept


def confusion_counts(labels, predictions, thresholds, weights=None, groups=1):
    """Weighted ``(tp, fp, tn, fn)`` at each threshold.

    Parameters
    ----------
    labels, predictions : numpy.ndarray
        Same shape; for ``groups > 1`` the last axis (of length ``groups``)
        keeps the groups apart (AUC's ``multi_label``), otherwise everything
        is flattened.
    thresholds : numpy.ndarray
        ``(T,)``, any order.
    weights : numpy.ndarray, optional
        Same shape as ``predictions``.
    groups : int

    Returns
    -------
    tuple of numpy.ndarray
        Each ``(T,)``, or ``(T, groups)``.

    Example
    -------
    >>> tp, fp, tn, fn = confusion_counts(np.array([0, 0, 1, 1]), np.array([0.1, 0.5, 0.3, 0.9]),
    ...                                   np.array([0.0, 0.5, 1.0]))
    >>> tp.tolist(), fp.tolist(), tn.tolist(), fn.tolist()
    ([2.0, 1.0, 0.0], [2.0, 0.0, 0.0], [0.0, 2.0, 2.0], [0.0, 1.0, 2.0])
    """
    order = np.argsort(thresholds, kind="stable")
    t = len(thresholds)
    p = predictions.reshape(-1, groups)
    positive = (labels.reshape(-1, groups) != 0)
    w = np.ones(p.shape) if weights is None else weights.reshape(-1, groups)
    # rank = how many thresholds lie strictly below p: p is positive at the sorted thresholds [0, rank).
    rank = np.searchsorted(thresholds[order], p, side="left")
    cell = rank + np.arange(groups) * (t + 1)
    size = groups * (t + 1)
    pos = np.bincount(cell[positive], weights=w[positive], minlength=size).reshape(groups, t + 1)
    neg = np.bincount(cell[~positive], weights=w[~positive], minlength=size).reshape(groups, t + 1)
    # Count at sorted threshold j: predictions of rank > j, a reversed cumulative sum.
    tp_sorted = np.cumsum(pos[:, ::-1], axis=1)[:, ::-1][:, 1:]
    fp_sorted = np.cumsum(neg[:, ::-1], axis=1)[:, ::-1][:, 1:]
    tp, fp = np.empty_like(tp_sorted), np.empty_like(fp_sorted)
    tp[:, order], fp[:, order] = tp_sorted, fp_sorted
    fn = pos.sum(axis=1, keepdims=True) - tp
    tn = neg.sum(axis=1, keepdims=True) - fp
    counts = tuple(c.T for c in (tp, fp, tn, fn))
    return counts if groups > 1 else tuple(c[:, 0] for c in counts)


def _ratio(num, den):
    """``num / den``, 0 where ``den`` is 0 (Keras' ``divide_no_nan``)."""
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def _scalar_or_array(values):
    return float(values[0]) if len(values) == 1 else values.copy()


class _ThresholdCounts(Metric):
    """State shared by the threshold metrics: counts per threshold, summed over batches."""

    _default_threshold = 0.5

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = _class_index(owner, "top_k", top_k)
        self.class_id = _class_index(owner, "class_id", class_id)
        self.thresholds = _thresholds(owner, thresholds, NEG_INF if self.top_k is not None else self._default_threshold)
        super().__init__(name, dtype)

    def reset_state(self):
        self.true_positives, self.false_positives, self.true_negatives, self.false_negatives = (
            np.zeros(len(self.thresholds)) for _ in range(4))

    def update_state(self, y_true, y_pred, sample_weight=None):
        owner = type(self).__name__
        y_true, y_pred, w = _aligned(owner, y_true, y_pred, sample_weight)
        if self.top_k is not None:
            y_pred = _top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim < 2 or self.class_id >= y_pred.shape[-1]:
                raise ValueError(f"{owner}: class_id={self.class_id} needs predictions of shape (n, classes) with "
                                 f"more than {self.class_id} classes, got shape {y_pred.shape}")
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
            w = None if w is None else w[..., self.class_id]
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, self.thresholds, w)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def get_config(self):
        return {"name": self.name, "thresholds": self.init_thresholds}


class TruePositives(_ThresholdCounts):
    """The (weighted) number of true positives, per threshold (default 0.5)."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self):
        return _scalar_or_array(self.true_positives)


class FalsePositives(TruePositives):
    """The (weighted) number of false positives, per threshold (default 0.5)."""

    def result(self):
        return _scalar_or_array(self.false_positives)


class TrueNegatives(TruePositives):
    """The (weighted) number of true negatives, per threshold (default 0.5)."""

    def result(self):
        return _scalar_or_array(self.true_negatives)


class FalseNegatives(TruePositives):
    """The (weighted) number of false negatives, per threshold (default 0.5)."""

    def result(self):
        return _scalar_or_array(self.false_negatives)


class Precision(_ThresholdCounts):
    r"""Precision :math:`TP / (TP + FP)` over everything seen (0 when nothing was predicted positive).

    Parameters
    ----------
    thresholds : float or list of float, optional
        In ``[0, 1]``; default 0.5, or "all of the top k" with ``top_k``.
        Use 0 for logits. With several thresholds the result is an array.
    top_k : int, optional
        Only the ``k`` highest predictions of each row count as positive.
    class_id : int, optional
        Only this column (class) counts.
    name : str, optional
    """

    direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        return _scalar_or_array(_ratio(self.true_positives, self.true_positives + self.false_positives))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(Precision):
    r"""Recall :math:`TP / (TP + FN)` over everything seen (0 when there was no positive label).

    Parameters as :class:`Precision`.

    Example
    -------
    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    1.0
    """

    def result(self):
        return _scalar_or_array(_ratio(self.true_positives, self.true_positives + self.false_negatives))


_CURVES = ("ROC", "PR")
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    r"""Area under the ROC or precision-recall curve, from confusion counts at ``num_thresholds`` thresholds.

    As Keras 3: the thresholds are :math:`-\epsilon`, :math:`i / (T - 1)`
    for :math:`i = 1 \dots T - 2`, and :math:`1 + \epsilon`; predictions are
    clipped to ``[0, 1]``. The ROC area sums trapezoids (``"interpolation"``)
    or rectangles under the lower/upper point (``"minoring"``/``"majoring"``)
    of the curve (false-positive rate, recall); the PR area with
    ``"interpolation"`` uses Davis & Goadrich's interpolation of precision
    between thresholds (Keras' ``interpolate_pr_auc``).

    Parameters
    ----------
    num_thresholds : int
        At least 2.
    curve : {"ROC", "PR"}
    summation_method : {"interpolation", "minoring", "majoring"}
    name : str, optional
    thresholds : list of float, optional
        Thresholds in ``[0, 1]`` to use instead of evenly spaced ones
        (``-epsilon`` and ``1 + epsilon`` are added).
    multi_label : bool
        Treat each column as a separate label and average their areas
        (weighted by ``label_weights``); otherwise all values are pooled.
    num_labels : int, optional
        Accepted for Keras compatibility (the columns are counted on the first batch).
    label_weights : list of float, optional
        With ``multi_label``, the weight of each label's area.
    from_logits : bool
        Predictions are logits (a sigmoid is applied first).
    """

    direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        if curve not in _CURVES:
            raise ValueError(f"AUC: curve must be one of {list(_CURVES)}, got {curve!r}")
        if summation_method not in _SUMMATIONS:
            raise ValueError(f"AUC: summation_method must be one of {list(_SUMMATIONS)}, got {summation_method!r}")
        if thresholds is not None:
            inner = sorted(_thresholds("AUC", thresholds, None).tolist())
        else:
            if not isinstance(num_thresholds, (int, np.integer)) or isinstance(num_thresholds, bool) \
                    or num_thresholds < 2:
                raise ValueError(f"AUC: num_thresholds must be an integer > 1, got {num_thresholds!r}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = len(inner) + 2
        self._init_from_thresholds = thresholds is not None
        self._thresholds = np.array([0.0 - EPSILON, *inner, 1.0 + EPSILON])
        self.curve, self.summation_method = curve, summation_method
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, dtype=np.float64)
        if self.label_weights is not None and (self.label_weights.ndim != 1 or (self.label_weights < 0).any()):
            raise ValueError(f"AUC: label_weights must be a list of non-negative numbers, got {label_weights!r}")
        self.from_logits = bool(from_logits)
        super().__init__(name, dtype)

    @property
    def thresholds(self):
        """The thresholds, the two outer ones included."""
        return list(self._thresholds)

    def reset_state(self):
        self.true_positives = self.false_positives = self.true_negatives = self.false_negatives = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, w = _aligned("AUC", y_true, y_pred, sample_weight)
        if self.from_logits:
            y_pred = special.expit(y_pred)
        y_pred = np.clip(y_pred, 0.0, 1.0)
        groups = 1
        if self.multi_label:
            if y_pred.ndim != 2:
                raise ValueError(f"AUC: multi_label=True needs predictions of shape (n, labels), got {y_pred.shape}")
            groups = y_pred.shape[1]
        elif self.label_weights is not None:  # pooled: each label's weight multiplies its values' weights
            w = (1.0 if w is None else w) * np.broadcast_to(self.label_weights, y_pred.shape)
        counts = confusion_counts(y_true, y_pred, self._thresholds, w, groups)
        if self.true_positives is None:
            self.true_positives, self.false_positives, self.true_negatives, self.false_negatives = counts
            return
        if counts[0].shape != self.true_positives.shape:
            raise ValueError(f"AUC: multi_label=True: this batch has {groups} labels, earlier ones had "
                             f"{self.true_positives.shape[1]}")
        self.true_positives = self.true_positives + counts[0]
        self.false_positives = self.false_positives + counts[1]
        self.true_negatives = self.true_negatives + counts[2]
        self.false_negatives = self.false_negatives + counts[3]

    def _interpolated_pr_area(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _ratio(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        p_ratio = np.where(both, _ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return _ratio(slope * (dtp + intercept * np.log(p_ratio)), np.maximum(tp[1:] + fn[1:], 0))

    def result(self):
        if self.true_positives is None:
            return 0.0
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            terms = self._interpolated_pr_area()
        else:
            recall = _ratio(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _ratio(fp, fp + tn), recall
            else:
                x, y = recall, _ratio(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            terms = (x[:-1] - x[1:]) * heights
        if not self.multi_label:
            return float(terms.sum())
        by_label = terms.sum(axis=0)
        if self.label_weights is None:
            return float(by_label.mean())
        return float(_ratio(np.sum(by_label * self.label_weights), np.sum(self.label_weights)))

    def get_config(self):
        return {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "multi_label": self.multi_label,
                "num_labels": self.num_labels,
                "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
                "from_logits": self.from_logits,
                "thresholds": self._thresholds[1:-1].tolist() if self._init_from_thresholds else None}
