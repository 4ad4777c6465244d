"""Precision, Recall, AUC and the confusion counts: Keras' documented values, hand counts, epoch-level state over
batches, references written here (all-pairs Mann-Whitney AUC, a per-threshold loop), and use in compile."""
import math

import numpy as np
import pytest

import layergraph as lg
from layergraph import layers, metrics


def _updated(metric, *batches):
    for batch in batches:
        metric.update_state(*batch)
    return metric.result()


class TestPrecisionRecall:
    def test_keras_documented_values(self):
        y, p = [0, 1, 1, 1], [1, 0, 1, 1]
        assert _updated(metrics.Precision(), (y, p)) == pytest.approx(2 / 3)
        assert _updated(metrics.Precision(), (y, p, [0, 0, 1, 0])) == 1.0
        assert _updated(metrics.Precision(top_k=2), ([0, 0, 1, 1], [1, 1, 1, 1])) == 0.0  # ties: lower index first
        assert _updated(metrics.Precision(top_k=4), ([0, 0, 1, 1], [1, 1, 1, 1])) == 0.5
        assert _updated(metrics.Recall(), (y, p)) == pytest.approx(2 / 3)
        assert _updated(metrics.Recall(), (y, p, [0, 0, 1, 0])) == 1.0

    def test_state_spans_batches(self):
        # batch 1: 1 TP, 0 FP; batch 2: 1 TP, 3 FP -> 2 / 5 over the epoch (not the mean 0.5 of the batches)
        m = metrics.Precision()
        assert _updated(m, ([1, 0], [0.9, 0.1]), ([1, 0, 0, 0], [0.9, 0.8, 0.7, 0.6])) == pytest.approx(0.4)
        m.reset_state()
        assert m.result() == 0.0  # no prediction yet: divide_no_nan
        assert _updated(m, ([1, 0], [0.9, 0.1])) == 1.0

    def test_thresholds_strictly_above(self):
        # at 0.5, a prediction of exactly 0.5 is negative (Keras: pred > threshold)
        y, p = np.array([1, 1, 0, 1, 0]), np.array([0.5, 0.6, 0.2, 0.8, 0.9])
        precision = _updated(metrics.Precision(thresholds=[0.5, 0.0, 0.85]), (y, p))
        recall = _updated(metrics.Recall(thresholds=[0.5, 0.0, 0.85]), (y, p))
        # > 0.5: 0.6, 0.8, 0.9 -> TP 2, FP 1, FN 1; > 0: all -> TP 3, FP 2; > 0.85: 0.9 -> TP 0, FP 1
        np.testing.assert_allclose(precision, [2 / 3, 3 / 5, 0.0])
        np.testing.assert_allclose(recall, [2 / 3, 1.0, 0.0])

    def test_class_id_and_top_k_with_one_hot_labels(self):
        y = np.eye(3)[[0, 1, 2, 1]]
        p = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3], [0.5, 0.4, 0.1]])
        # class 1: predicted positive (> 0.5) in rows 1 and 2, labelled in rows 1 and 3
        assert _updated(metrics.Precision(class_id=1), (y, p)) == 0.5
        assert _updated(metrics.Recall(class_id=1), (y, p)) == 0.5
        # top 1 of each row: 0, 1, 1, 0 -> right in rows 0 and 1 of 4
        assert _updated(metrics.Precision(top_k=1), (y, p)) == 0.5
        assert _updated(metrics.Recall(top_k=2, class_id=2), (y, p)) == 1.0

    def test_counts(self):
        y, p = [0, 1, 1, 1], [1, 0, 1, 1]
        assert [_updated(cls(), (y, p)) for cls in (metrics.TruePositives, metrics.FalsePositives,
                                                     metrics.TrueNegatives, metrics.FalseNegatives)] == [2, 1, 0, 1]
        np.testing.assert_array_equal(_updated(metrics.FalsePositives(thresholds=[0.0, 1.0]), (y, p)), [1, 0])

    def test_errors(self):
        with pytest.raises(ValueError, match=r"Precision: thresholds must be a number or a list of numbers in "
                                             r"\[0, 1\], got \[0.5, 1.5\]"):
            metrics.Precision(thresholds=[0.5, 1.5])
        with pytest.raises(ValueError, match="Recall: top_k must be a positive integer, got 0"):
            metrics.Recall(top_k=0)
        with pytest.raises(ValueError, match=r"class_id=3 needs predictions of shape \(n, classes\) with more than 3"):
            metrics.Precision(class_id=3).update_state(np.eye(3), np.eye(3))
        with pytest.raises(ValueError, match=r"labels of shape \(3,\) do not fit predictions of shape \(4,\)"):
            metrics.Recall().update_state([1, 0, 1], [0.1, 0.2, 0.3, 0.4])


def _mann_whitney(y, p, w=None):
    """The exact ROC AUC: the weighted share of (positive, negative) pairs ranked right, ties counting half."""
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    pos, neg = y != 0, y == 0
    right = (p[pos][:, None] > p[neg][None, :]) + 0.5 * (p[pos][:, None] == p[neg][None, :])
    pairs = w[pos][:, None] * w[neg][None, :]
    return float((right * pairs).sum() / pairs.sum())


def _pr_auc_by_loop(y, p, thresholds):
    """Keras' interpolated PR area, one threshold at a time (counts by direct comparison)."""
    tp = np.array([np.sum((p > t) & (y == 1)) for t in thresholds], dtype=float)
    fp = np.array([np.sum((p > t) & (y == 0)) for t in thresholds], dtype=float)
    fn = np.sum(y == 1) - tp
    total = 0.0
    for i in range(len(thresholds) - 1):
        dtp, p_a, p_b = tp[i] - tp[i + 1], tp[i] + fp[i], tp[i + 1] + fp[i + 1]
        if p_a - p_b <= 0 or tp[i + 1] + fn[i + 1] <= 0:
            continue
        slope = dtp / (p_a - p_b)
        intercept = tp[i + 1] - slope * p_b
        ratio = p_a / p_b if p_a > 0 and p_b > 0 else 1.0
        total += slope * (dtp + intercept * math.log(ratio)) / (tp[i + 1] + fn[i + 1])
    return total


class TestAUC:
    def test_keras_documented_value_and_each_summation_by_hand(self):
        y, p = [0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]
        # thresholds -eps, 0.5, 1 + eps: (FPR, TPR) = (1, 1), (0, 0.5), (0, 0)
        assert _updated(metrics.AUC(num_thresholds=3), (y, p)) == 0.75
        assert _updated(metrics.AUC(num_thresholds=3, summation_method="minoring"), (y, p)) == 0.5
        assert _updated(metrics.AUC(num_thresholds=3, summation_method="majoring"), (y, p)) == 1.0
        # PR: TP (2, 1, 0), TP + FP (4, 1, 0); the first interval has slope 1/3, intercept 2/3
        expected = (1 + (2 / 3) * math.log(4)) / 6 + 0.5
        assert _updated(metrics.AUC(num_thresholds=3, curve="PR"), (y, p)) == pytest.approx(expected, rel=1e-12)

    def test_roc_equals_the_exact_auc_on_bucket_midpoints(self, rng):
        # predictions in the middle of the 199 buckets between thresholds, several sharing one: the trapezoids
        # are exactly the Mann-Whitney statistic with ties counting half
        p = (rng.integers(0, 199, 300) + 0.5) / 199
        y = (rng.uniform(size=300) < p).astype(float)
        w = rng.uniform(0.5, 2.0, 300)
        assert _updated(metrics.AUC(), (y, p)) == pytest.approx(_mann_whitney(y, p), rel=1e-12)
        assert _updated(metrics.AUC(), (y, p, w)) == pytest.approx(_mann_whitney(y, p, w), rel=1e-12)

    def test_pr_equals_a_per_threshold_loop(self, rng):
        p = rng.uniform(size=200)
        y = (rng.uniform(size=200) < p).astype(float)
        auc = metrics.AUC(num_thresholds=50, curve="PR")
        assert _updated(auc, (y, p)) == pytest.approx(_pr_auc_by_loop(y, p, np.array(auc.thresholds)), rel=1e-12)

    def test_state_spans_batches_and_weights_drop_samples(self, rng):
        p = rng.uniform(size=100)
        y = (rng.uniform(size=100) < p).astype(float)
        whole = _updated(metrics.AUC(), (y, p))
        assert _updated(metrics.AUC(), (y[:30], p[:30]), (y[30:], p[30:])) == pytest.approx(whole, rel=1e-12)
        keep = np.arange(100) % 3 != 0
        assert _updated(metrics.AUC(), (y, p, keep.astype(float))) == pytest.approx(
            _updated(metrics.AUC(), (y[keep], p[keep])), rel=1e-12)

    def test_multi_label_logits_and_thresholds(self, rng):
        z = rng.normal(size=(80, 3))
        y = (rng.uniform(size=(80, 3)) < 1 / (1 + np.exp(-z))).astype(float)
        per_label = [_updated(metrics.AUC(), (y[:, j], 1 / (1 + np.exp(-z[:, j])))) for j in range(3)]
        assert _updated(metrics.AUC(multi_label=True, from_logits=True), (y, z)) == pytest.approx(
            np.mean(per_label), rel=1e-12)
        weighted = _updated(metrics.AUC(multi_label=True, from_logits=True, label_weights=[1, 0, 3]), (y, z))
        assert weighted == pytest.approx((per_label[0] + 3 * per_label[2]) / 4, rel=1e-12)
        auc = metrics.AUC(thresholds=[0.7, 0.2])
        assert auc.num_thresholds == 4 and auc.thresholds == pytest.approx([-1e-7, 0.2, 0.7, 1 + 1e-7])

    def test_errors(self):
        with pytest.raises(ValueError, match=r"AUC: curve must be one of \['ROC', 'PR'\], got 'roc'"):
            metrics.AUC(curve="roc")
        with pytest.raises(ValueError, match="AUC: num_thresholds must be an integer > 1, got 1"):
            metrics.AUC(num_thresholds=1)
        with pytest.raises(ValueError, match="summation_method must be one of"):
            metrics.AUC(summation_method="trapezoid")


class TestInCompile:
    def test_names_logs_and_epoch_values(self, rng):
        x = rng.normal(size=(60, 3))
        y = (x[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(float)
        model = lg.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,), seed=0)])
        model.compile("adam", "binary_crossentropy", metrics=["AUC", metrics.Precision(), "recall", "mape"])
        history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        assert list(history.history) == ["loss", "AUC", "precision", "recall", "mape"]
        # evaluate in batches of 7: the state spans the batches, so the values are those of all 60 samples
        results = model.evaluate(x, y, batch_size=7, return_dict=True)
        p = model.predict(x, verbose=0)[:, 0]
        assert results["AUC"] == pytest.approx(_updated(metrics.AUC(), (y, p)), rel=1e-12)
        assert results["precision"] == pytest.approx(np.sum((p > 0.5) & (y == 1)) / np.sum(p > 0.5), rel=1e-12)
        assert results["recall"] == pytest.approx(np.sum((p > 0.5) & (y == 1)) / np.sum(y == 1), rel=1e-12)

    def test_directions_and_configs(self):
        assert [metrics.get(name).direction for name in ("auc", "precision", "recall", "accuracy", "mae", "mape")] \
            == ["up", "up", "up", "up", "down", "down"]
        for metric in (metrics.AUC(num_thresholds=20, curve="PR", name="pr"), metrics.Precision(top_k=2, class_id=1),
                       metrics.AUC(thresholds=[0.3, 0.6])):
            again = metrics.deserialize(metrics.serialize(metric))
            assert type(again) is type(metric) and again.get_config() == metric.get_config()
