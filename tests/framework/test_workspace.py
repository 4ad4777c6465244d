"""framework.workspace: arrays reused across calls, never while anything still refers to them."""
import copy
import pickle
import threading

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from layergraph.framework.workspace import Workspace


def test_a_released_array_comes_back():
    ws = Workspace()
    a = ws.empty((4, 5), "float32")
    address, first = a.ctypes.data, id(a)
    del a
    b = ws.empty((4, 5), "float32")
    assert b.ctypes.data == address and id(b) == first
    assert b.shape == (4, 5) and b.dtype == np.float32 and b.flags.c_contiguous
    assert len(ws) == 1


def test_a_held_array_is_never_handed_out_twice():
    ws = Workspace()
    a = ws.empty((3, 3), "float64")
    a[...] = 7.0
    b = ws.empty((3, 3), "float64")
    b[...] = -1.0
    assert not np.shares_memory(a, b)
    assert np.all(a == 7.0)
    assert len(ws) == 2


@pytest.mark.parametrize("make_view", [
    lambda a: a[1:],
    lambda a: a.reshape(-1),
    lambda a: a.T,
    lambda a: sliding_window_view(a, 2, axis=0),  # as_strided: a view through another object
    lambda a: memoryview(a),
])
def test_a_view_keeps_its_array_held(make_view):
    ws = Workspace()
    a = ws.empty((6, 4), "float64")
    a[...] = 3.0
    view = make_view(a)
    del a
    b = ws.empty((6, 4), "float64")
    b[...] = 0.0
    assert np.all(np.asarray(view) == 3.0)
    del view, b
    assert len(ws) == 2
    c = ws.empty((6, 4), "float64")  # both free again: the least recently used one comes back
    assert len(ws) == 2 and c.shape == (6, 4)


def test_shape_and_dtype_must_match():
    ws = Workspace()
    a = ws.empty((2, 3), "float64")
    del a
    assert ws.empty((3, 2), "float64").shape == (3, 2)
    assert ws.empty((2, 3), "float32").dtype == np.float32
    assert len(ws) == 3


def test_capacity_keeps_the_most_recently_used_free_arrays():
    ws = Workspace(capacity=2)
    for k in range(1, 6):
        ws.empty((k,), "float64")  # each is released at once
    assert len(ws) == 2
    assert sorted(buf.shape for buf in ws._buffers) == [(4,), (5,)]


def test_when_every_kept_array_is_held_a_new_one_is_not_kept():
    ws = Workspace(capacity=2)
    held = [ws.empty((2,), "float64"), ws.empty((2,), "float64")]
    extra = ws.empty((2,), "float64")
    assert len(ws) == 2 and not any(np.shares_memory(extra, h) for h in held)
    extra[...] = 1.0
    del extra
    assert all(not np.shares_memory(ws.empty((2,), "float64"), h) for h in held)


def test_zeros_and_full_fill_a_reused_array():
    ws = Workspace()
    a = ws.empty((5,), "float32")
    a[...] = 9.0
    del a
    assert ws.zeros((5,), "float32").tolist() == [0.0] * 5
    assert ws.full((5,), -np.inf, "float32").tolist() == [-np.inf] * 5
    assert len(ws) == 1


@pytest.mark.parametrize("clone", [copy.deepcopy, copy.copy, lambda ws: pickle.loads(pickle.dumps(ws))])
def test_copies_and_pickles_start_empty(clone):
    ws = Workspace(capacity=3)
    kept = ws.empty((10,), "float64")
    twin = clone(ws)
    assert isinstance(twin, Workspace) and twin.capacity == 3 and len(twin) == 0
    assert not np.shares_memory(twin.empty((10,), "float64"), kept)


@pytest.mark.parametrize("capacity", [0, -1, 2.5, True, "4"])
def test_invalid_capacity(capacity):
    with pytest.raises(ValueError, match=f"Workspace: capacity must be a positive integer, got {capacity!r}"):
        Workspace(capacity)


def test_clear_forgets_arrays_but_holders_keep_theirs():
    ws = Workspace()
    a = ws.empty((3,), "float64")
    a[...] = 5.0
    ws.clear()
    assert len(ws) == 0 and ws.nbytes == 0 and a.tolist() == [5.0] * 3


def test_threads_never_share_an_array():
    ws = Workspace(capacity=64)
    barrier = threading.Barrier(8)
    seen, errors = [], []

    def worker(k):
        for _ in range(50):
            buf = ws.empty((256,), "float64")
            buf.fill(k)
            barrier.wait()  # every thread holds its array here
            if not np.all(buf == k):
                errors.append(k)
            seen.append(buf.ctypes.data)
            barrier.wait()
            del buf

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(seen)) == 8  # eight arrays in all, reused every round
