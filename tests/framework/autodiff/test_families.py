"""Families of inputs drawn by hypothesis: broadcasting, reductions over every axis, indexing.

Each example is differentiated by the tape and by central differences
(:func:`~layergraph.framework.autodiff.check_gradients`, float64).
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from layergraph.framework import autodiff

SETTINGS = settings(max_examples=40, deadline=None)


def _random(seed, shape, low=-1.5, high=1.5):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


SMOOTH_BINARY = [np.add, np.subtract, np.multiply, np.true_divide, np.maximum, np.minimum, np.logaddexp, np.hypot,
                 np.arctan2, np.power]


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       ufunc=st.sampled_from(SMOOTH_BINARY), seed=st.integers(0, 2**32 - 1))
def test_binary_ufuncs_under_broadcasting(shapes, ufunc, seed):
    a_shape, b_shape = shapes.input_shapes
    a = _random(seed, a_shape, 0.5, 2.0) if ufunc is np.power else _random(seed, a_shape)
    b = _random(seed + 1, b_shape, 0.5, 2.0) if ufunc is np.true_divide else _random(seed + 1, b_shape)
    result = autodiff.check_gradients(lambda xs: ufunc(*xs), [a, b])
    assert result.passed, str(result)


@st.composite
def reduction_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = draw(st.none() | st.integers(-len(shape), len(shape) - 1) | hnp.valid_tuple_axes(len(shape), min_size=1))
    return shape, axis


@SETTINGS
@given(case=reduction_cases(), keepdims=st.booleans(),
       fn=st.sampled_from([np.sum, np.mean, np.max, np.min, np.prod, np.var, np.std]),
       seed=st.integers(0, 2**32 - 1))
def test_reductions_over_any_axes(case, keepdims, fn, seed):
    shape, axis = case
    x = _random(seed, shape)
    axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
    count = int(np.prod([shape[a] for a in axes]))
    if fn is np.std and count == 1:  # std is not differentiable where it is 0
        fn = np.var
    result = autodiff.check_gradients(lambda x: fn(x, axis=axis, keepdims=keepdims), x)
    assert result.passed, str(result)


@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2**32 - 1))
def test_basic_indexing(data, shape, seed):
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    x = _random(seed, shape)
    result = autodiff.check_gradients(lambda x: x[index] * 2.0, x)
    assert result.passed, str(result)


@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2**32 - 1))
def test_integer_array_indexing_with_repeats(data, shape, seed):
    index = data.draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2,
                                                                                     max_side=5)))
    x = _random(seed, shape)
    result = autodiff.check_gradients(lambda x: x[index] ** 2, x)
    assert result.passed, str(result)


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=3, max_side=3),
       seed=st.integers(0, 2**32 - 1))
def test_matmul_with_batch_broadcasting(shapes, seed):
    a_shape, b_shape = shapes.input_shapes
    result = autodiff.check_gradients(lambda xs: xs[0] @ xs[1], [_random(seed, a_shape), _random(seed + 1, b_shape)])
    assert result.passed, str(result)
