"""framework.parallel: element-wise work split over the batch, and layers that give the same numbers with it."""
import threading

import numpy as np
import pytest

from layergraph import layers
from layergraph.framework import parallel


@pytest.fixture
def threads(monkeypatch):
    """``threads(k)``: use k threads and split even the smallest work."""
    monkeypatch.setattr(parallel, "MIN_ELEMENTS_PER_THREAD", 1)
    previous = parallel.get_num_threads()
    yield parallel.set_num_threads
    parallel.set_num_threads(previous)


def test_parts_cover_the_batch_once_in_several_threads(threads):
    threads(3)
    seen, who = [], set()
    lock = threading.Lock()

    def work(part):
        with lock:
            seen.append((part.start, part.stop))
            who.add(threading.get_ident())

    parallel.over_batch(work, 10, 10)
    assert sorted(seen) == [(0, 3), (3, 6), (6, 10)]
    assert threading.get_ident() in who and len(who) >= 2


def test_small_work_stays_in_the_calling_thread(threads):
    threads(4)
    parallel.MIN_ELEMENTS_PER_THREAD = 1000
    seen = []
    parallel.over_batch(lambda part: seen.append((part, threading.get_ident())), 8, 1999)
    assert seen == [(slice(0, 8), threading.get_ident())]
    seen.clear()
    parallel.over_batch(lambda part: seen.append(part), 8, 2000)  # two threads' worth
    assert sorted((p.start, p.stop) for p in seen) == [(0, 4), (4, 8)]


def test_never_more_parts_than_samples(threads):
    threads(8)
    seen = []
    parallel.over_batch(seen.append, 2, 10**9)
    assert sorted((p.start, p.stop) for p in seen) == [(0, 1), (1, 2)]


@pytest.mark.parametrize("failing", [0, 2])  # the caller's own part, a worker's part
def test_an_exception_is_raised_after_every_part_finished(threads, failing):
    threads(3)
    done = []

    def work(part):
        if part.start == [0, 3, 6][failing]:
            raise KeyError(f"part {part.start}")
        done.append(part.start)

    with pytest.raises(KeyError, match=f"part {[0, 3, 6][failing]}"):
        parallel.over_batch(work, 9, 9)
    assert sorted(done) == sorted({0, 3, 6} - {[0, 3, 6][failing]})


def test_nested_calls_run_serially_inside_a_part(threads):
    threads(2)
    seen = []
    lock = threading.Lock()

    def inner(part):
        with lock:
            seen.append((part.start, part.stop))

    parallel.over_batch(lambda part: parallel.over_batch(inner, 5, 5), 2, 2)
    assert sorted(seen) == [(0, 5), (0, 5)]


@pytest.mark.parametrize("value", [0, -2, 1.5, True, "2", None])
def test_set_num_threads_validates(value):
    with pytest.raises(ValueError, match=f"set_num_threads: threads must be a positive integer, got {value!r}"):
        parallel.set_num_threads(value)


@pytest.mark.parametrize("env, expected", [
    ({"LAYERGRAPH_NUM_THREADS": "3", "OMP_NUM_THREADS": "5"}, 3),
    ({"OMP_NUM_THREADS": "4,2"}, 4),
    ({"LAYERGRAPH_NUM_THREADS": "zero", "OPENBLAS_NUM_THREADS": "6"}, 6),
    ({"MKL_NUM_THREADS": "0"}, None),  # not positive: ignored
])
def test_default_follows_the_thread_variables(monkeypatch, env, expected):
    for var in parallel._ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setitem(parallel._pool, "threads", None)
    cpus = len(__import__("os").sched_getaffinity(0))
    assert parallel.get_num_threads() == (expected if expected is not None else cpus)


def _pass(layer, x, seed):
    out, cache = layer.forward(x, training=True)
    grad = np.random.default_rng(seed).normal(size=out.shape)
    dx, grads = layer.backward(grad, cache)
    return [out.copy(), dx.copy(), *[g.copy() for g in grads]]


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Conv2D(4, 3, activation="relu", seed=0), (5, 8, 7, 1)),
    (lambda: layers.Conv2D(4, 3, padding="same", bias_initializer="random_normal", seed=0), (5, 8, 7, 9)),
    (lambda: layers.Conv2D(3, (2, 3), strides=2, padding="same", use_bias=False, seed=0), (5, 9, 8, 2)),
    (lambda: layers.MaxPooling2D(2), (5, 9, 8, 3)),
    (lambda: layers.MaxPooling2D(3, strides=2, padding="same"), (5, 9, 8, 3)),
    (lambda: layers.AveragePooling2D(2), (5, 9, 8, 3)),
    (lambda: layers.AveragePooling2D(3, strides=2, padding="same"), (5, 9, 8, 3)),
])
def test_layers_compute_the_same_numbers_in_threads(threads, make, shape):
    x = np.random.default_rng(1).integers(-2, 3, size=shape).astype(float)  # ties for the max pools
    threads(1)
    serial = _pass(make(), x, 2)
    threads(3)
    threaded = _pass(make(), x, 2)
    assert len(serial) == len(threaded)
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


def test_relu_gives_the_same_numbers_in_threads(threads):
    from layergraph.framework import activations

    relu = activations.get("relu")
    z = np.random.default_rng(3).normal(size=(7, 4, 3)).astype(np.float32)
    z[0, 0, 0] = 0.0  # the kink: gradient 0
    grad = np.random.default_rng(4).normal(size=z.shape).astype(np.float32)
    results = []
    for k in (1, 3):
        threads(k)
        a, cache = relu.forward(z)
        a_inplace, _ = relu.forward_inplace(z.copy())
        results.append((a, a_inplace, relu.backward(grad, cache)))
    (a1, i1, g1), (a3, i3, g3) = results
    for one, three in ((a1, a3), (i1, i3), (g1, g3)):
        assert one.dtype == three.dtype == np.float32
        np.testing.assert_array_equal(one, three)
    np.testing.assert_array_equal(results[1][0], np.maximum(z, 0))
    np.testing.assert_array_equal(results[1][2], grad * (z > 0))
    assert results[1][2][0, 0, 0] == 0.0
