"""Tests for layergraph.datasets.batching: normalize, flatten, to_categorical, batches."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.datasets import batching
from layergraph.datasets.batching import BatchIterator, batches, flatten, normalize, to_categorical

# --------------------------------------------------------------------------- normalize

def test_normalize_uint8_to_unit_interval():
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    out = normalize(x)
    assert out.dtype == np.float64 and out.shape == (1, 3)
    np.testing.assert_array_equal(out, [[0.0, 0.2, 1.0]])
    assert x.tolist() == [[0, 51, 255]]  # input untouched


def test_normalize_dtype_and_copy():
    x = np.full((2, 28, 28), 255.0)
    out = normalize(x, dtype="float32")
    assert out.dtype == np.float32 and out.shape == (2, 28, 28) and np.all(out == 1)
    assert not np.shares_memory(out, x) and np.all(x == 255)


@pytest.mark.parametrize("dtype", ["int32", "uint8", bool])
def test_normalize_rejects_non_float_dtype(dtype):
    with pytest.raises(ValueError, match="floating dtype"):
        normalize(np.zeros(3, np.uint8), dtype=dtype)


def test_normalize_rejects_non_numeric():
    with pytest.raises(TypeError, match="x must be a numeric array"):
        normalize(np.array(["a", "b"]))


# --------------------------------------------------------------------------- flatten

def test_flatten_images_is_a_view():
    x = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    out = flatten(x)
    assert out.shape == (3, 784) and np.shares_memory(out, x)
    np.testing.assert_array_equal(out[1], x[1].ravel())


@pytest.mark.parametrize("shape, expected", [((5,), (5, 1)), ((5, 3), (5, 3)),
                                             ((2, 3, 4, 5), (2, 60)), ((0, 28, 28), (0, 784))])
def test_flatten_shapes(shape, expected):
    assert flatten(np.zeros(shape)).shape == expected


def test_flatten_errors():
    with pytest.raises(ValueError, match="scalar"):
        flatten(np.float64(3))
    with pytest.raises(TypeError, match="x must be a numeric array"):
        flatten(np.array([None, None]))


# --------------------------------------------------------------------------- to_categorical

def test_to_categorical_hand_computed():
    out = to_categorical([2, 0, 1, 2])
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert out.dtype == np.float64


def test_to_categorical_num_classes_and_dtype():
    out = to_categorical(np.array([1, 3], dtype=np.uint8), num_classes=10, dtype="float32")
    assert out.shape == (2, 10) and out.dtype == np.float32
    assert out.sum() == 2 and out[0, 1] == 1 and out[1, 3] == 1


def test_to_categorical_keras_shape_rules():
    assert to_categorical(np.array([[1], [0]]), 3).shape == (2, 3)  # trailing 1 dropped
    assert to_categorical(np.array([[1, 0, 2], [2, 2, 0]])).shape == (2, 3, 3)
    assert to_categorical(np.array(1), 3).tolist() == [0, 1, 0]  # scalar like keras
    assert to_categorical(np.array([], dtype=int), 4).shape == (0, 4)


def test_to_categorical_accepts_whole_floats_and_bools():
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(to_categorical(np.array([True, False])), [[0, 1], [1, 0]])


def test_to_categorical_real_mnist_style_labels():
    y = np.random.default_rng(0).integers(0, 10, 1000).astype(np.uint8)
    out = to_categorical(y, 10)
    np.testing.assert_array_equal(out.argmax(axis=1), y)
    np.testing.assert_array_equal(out.sum(axis=1), 1)


@pytest.mark.parametrize("y, num_classes, message", [
    ([0, -1, 2], None, "must be >= 0"),
    ([0.5, 1], None, "whole numbers"),
    ([0, np.nan], None, "whole numbers"),
    ([0, np.inf], 3, "whole numbers"),
    ([0, 3], 3, "label 3 is out of range for num_classes=3"),
    ([0, 1], 0, "num_classes must be a positive int"),
    ([0, 1], 2.5, "num_classes must be a positive int"),
    ([0, 1], True, "num_classes must be a positive int"),
    ([], None, "cannot infer num_classes"),
])
def test_to_categorical_errors(y, num_classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(np.array(y), num_classes)


def test_to_categorical_non_numeric():
    with pytest.raises(TypeError, match="y must be a numeric array"):
        to_categorical(["1", "2"])


# --------------------------------------------------------------------------- batches

def data(n, width=3):
    x = np.arange(n * width, dtype=np.float64).reshape(n, width)
    y = np.arange(n) * 10  # y[i] pairs with x[i]: x[i, 0] == 3 * i
    return x, y


def check_epoch(epoch, n, batch_size):
    """Every sample exactly once, x/y rows still paired, sizes as documented."""
    epoch = list(epoch)
    sizes = [len(xb) for xb, _ in epoch]
    assert len(sizes) == -(-n // batch_size)
    assert all(s == batch_size for s in sizes[:-1]) and 0 < sizes[-1] <= batch_size
    assert sizes[-1] == (n % batch_size or batch_size)
    xs = np.concatenate([xb for xb, _ in epoch])
    ys = np.concatenate([yb for _, yb in epoch])
    np.testing.assert_array_equal(xs[:, 0] / 3 * 10, ys)  # pairs intact
    np.testing.assert_array_equal(np.sort(ys), np.arange(n) * 10)  # each exactly once
    return ys // 10


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("n, batch_size", [(10, 3), (12, 4), (5, 8), (1, 1), (7, 1), (100, 32)])
def test_batches_cover_every_sample_once(n, batch_size, shuffle):
    x, y = data(n)
    order = check_epoch(batches(x, y, batch_size, shuffle=shuffle, seed=0), n, batch_size)
    if not shuffle:
        np.testing.assert_array_equal(order, np.arange(n))


def test_unshuffled_batches_are_views():
    x, y = data(10)
    for xb, yb in batches(x, y, 4, shuffle=False):
        assert np.shares_memory(xb, x) and np.shares_memory(yb, y)


def test_shuffle_is_seeded_and_actually_shuffles():
    x, y = data(100)
    a = check_epoch(batches(x, y, 16, seed=42), 100, 16)
    b = check_epoch(batches(x, y, 16, seed=42), 100, 16)
    c = check_epoch(batches(x, y, 16, seed=43), 100, 16)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, np.arange(100))


def test_batches_accepts_and_advances_a_generator():
    x, y = data(50)
    rng = np.random.default_rng(7)
    a = check_epoch(batches(x, y, 8, seed=rng), 50, 8)
    b = check_epoch(batches(x, y, 8, seed=rng), 50, 8)
    assert not np.array_equal(a, b)  # same generator, next epoch differs
    np.testing.assert_array_equal(a, np.random.default_rng(7).permutation(50))


def test_batches_empty_dataset():
    x, y = data(0)
    assert list(batches(x, y, 4)) == []
    assert len(BatchIterator(x, y, 4)) == 0


REAL_DEFAULT_RNG = np.random.default_rng


class CountingRng:
    """Wraps a Generator and counts permutation() calls."""

    def __init__(self, seed):
        self.rng, self.permutations = REAL_DEFAULT_RNG(seed), 0

    def permutation(self, n):
        self.permutations += 1
        return self.rng.permutation(n)


def test_one_permutation_per_epoch(monkeypatch):
    counters = []

    def fake_default_rng(seed):
        counters.append(CountingRng(seed))
        return counters[-1]

    monkeypatch.setattr(batching.np.random, "default_rng", fake_default_rng)
    x, y = data(100)
    assert len(list(batches(x, y, 7, seed=0))) == 15
    it = BatchIterator(x, y, 7, seed=0)
    for _ in range(3):
        check_epoch(it, 100, 7)
    assert [c.permutations for c in counters] == [1, 3]


def test_shuffled_batches_copy_only_the_batch():
    x, y = data(1000)
    for xb, yb in batches(x, y, 64, seed=0):
        assert xb.shape == (len(yb), 3) and not np.shares_memory(xb, x)
        assert xb.nbytes <= 64 * 3 * 8


def test_multidimensional_x_and_one_hot_y():
    x = np.zeros((10, 28, 28), np.uint8)
    y = to_categorical(np.arange(10) % 10, 10)
    shapes = [(xb.shape, yb.shape) for xb, yb in batches(x, y, 4, seed=1)]
    assert shapes == [((4, 28, 28), (4, 10))] * 2 + [((2, 28, 28), (2, 10))]


# --------------------------------------------------------------------------- BatchIterator

@pytest.mark.parametrize("n, batch_size, expected", [(60000, 32, 1875), (60000, 128, 469),
                                                     (10, 3, 4), (3, 10, 1), (8, 8, 1)])
def test_batch_iterator_len(n, batch_size, expected):
    x = np.zeros((n, 1), np.uint8)
    it = BatchIterator(x, x[:, 0], batch_size)
    assert len(it) == expected and it.num_samples == n and it.batch_size == batch_size
    assert "batches=" in repr(it)


def test_batch_iterator_new_epoch_each_iteration_and_reproducible():
    x, y = data(30)
    it = BatchIterator(x, y, 4, seed=3)
    e1, e2 = check_epoch(it, 30, 4), check_epoch(it, 30, 4)
    assert not np.array_equal(e1, e2)
    again = BatchIterator(x, y, 4, seed=3)
    np.testing.assert_array_equal(check_epoch(again, 30, 4), e1)
    np.testing.assert_array_equal(check_epoch(again, 30, 4), e2)


def test_batch_iterator_unshuffled_is_stable():
    x, y = data(9)
    it = BatchIterator(x, y, 4, shuffle=False)
    first = [yb.tolist() for _, yb in it]
    assert first == [yb.tolist() for _, yb in it] == [[0, 10, 20, 30], [40, 50, 60, 70], [80]]


# --------------------------------------------------------------------------- validation

@pytest.mark.parametrize("make", [
    lambda x, y, bs: batches(x, y, bs),
    lambda x, y, bs: BatchIterator(x, y, bs),
], ids=["batches", "BatchIterator"])
class TestValidation:
    def test_length_mismatch_names_both_shapes(self, make):
        with pytest.raises(ValueError, match=r"x\.shape=\(5, 2\) and y\.shape=\(4,\)"):
            make(np.zeros((5, 2)), np.zeros(4), 2)

    def test_scalar_inputs(self, make):
        with pytest.raises(ValueError, match="same number of samples"):
            make(np.float64(1), np.zeros(1), 1)

    @pytest.mark.parametrize("bs", [0, -3])
    def test_non_positive_batch_size(self, make, bs):
        with pytest.raises(ValueError, match=f"batch_size must be a positive int, got {bs}"):
            make(np.zeros(4), np.zeros(4), bs)

    @pytest.mark.parametrize("bs", [2.0, "2", True, None])
    def test_non_int_batch_size(self, make, bs):
        with pytest.raises(TypeError, match="batch_size must be a positive int"):
            make(np.zeros(4), np.zeros(4), bs)

    def test_non_numeric_arrays_name_the_argument(self, make):
        with pytest.raises(TypeError, match="x must be a numeric array"):
            make(np.array(["a", "b"]), np.zeros(2), 1)
        with pytest.raises(TypeError, match="y must be a numeric array, got dtype object"):
            make(np.zeros(2), np.array([None, 1], dtype=object), 1)


def test_numpy_integer_batch_size_is_fine():
    x, y = data(10)
    check_epoch(batches(x, y, np.int64(3), seed=0), 10, 3)
