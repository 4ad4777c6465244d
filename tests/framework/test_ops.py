"""layergraph.ops: Keras 3 names and values, stability at +-1000, one_hot, conv against a direct sum, errors.

Gradients of every op are checked in tests/framework/autodiff/test_op_table.py.
"""
import inspect
import warnings

import numpy as np
import pytest

import layergraph.ops
from layergraph import ops
from layergraph.framework import autodiff
from layergraph.framework.variables import Variable


def test_public_alias_exports_the_ops():
    assert layergraph.ops.__all__ == ops.__all__
    for name in ops.__all__:
        assert callable(getattr(layergraph.ops, name)), name


@pytest.mark.parametrize("name, parameters", [
    ("relu", ["x"]), ("sigmoid", ["x"]), ("tanh", ["x"]), ("softmax", ["x", "axis"]), ("log_softmax", ["x", "axis"]),
    ("softplus", ["x"]), ("silu", ["x"]), ("gelu", ["x", "approximate"]), ("elu", ["x", "alpha"]),
    ("leaky_relu", ["x", "negative_slope"]), ("one_hot", ["x", "num_classes", "axis", "dtype", "sparse"]),
    ("conv", ["inputs", "kernel", "strides", "padding", "data_format", "dilation_rate"]), ("matmul", ["x1", "x2"]),
    ("sum", ["x", "axis", "keepdims"]), ("mean", ["x", "axis", "keepdims"]),
    ("max", ["x", "axis", "keepdims", "initial"]), ("maximum", ["x1", "x2"]), ("where", ["condition", "x1", "x2"]),
    ("clip", ["x", "x_min", "x_max"]), ("concatenate", ["xs", "axis"]), ("stack", ["x", "axis"]),
    ("reshape", ["x", "newshape"]), ("transpose", ["x", "axes"]), ("expand_dims", ["x", "axis"]),
    ("squeeze", ["x", "axis"]), ("dot", ["x1", "x2"]), ("cast", ["x", "dtype"]), ("convert_to_numpy", ["x"]),
    ("convert_to_tensor", ["x", "dtype", "sparse", "ragged"]),
])
def test_keras_signatures(name, parameters):
    assert list(inspect.signature(getattr(ops, name)).parameters) == parameters


def test_keras_defaults():
    defaults = {name: {k: p.default for k, p in inspect.signature(getattr(ops, name)).parameters.items()
                       if p.default is not inspect.Parameter.empty}
                for name in ("softmax", "gelu", "elu", "leaky_relu", "conv", "one_hot")}
    assert defaults == {
        "softmax": {"axis": -1}, "gelu": {"approximate": True}, "elu": {"alpha": 1.0},
        "leaky_relu": {"negative_slope": 0.2},
        "conv": {"strides": 1, "padding": "valid", "data_format": None, "dilation_rate": 1},
        "one_hot": {"axis": -1, "dtype": None, "sparse": False},
    }


class TestValues:
    def test_keras_documented_examples(self):
        # The examples in keras/src/ops/nn.py's docstrings.
        np.testing.assert_allclose(ops.softmax(np.array([-1.0, 0.0, 1.0])), [0.09003057, 0.24472847, 0.66524096],
                                   atol=1e-8)
        np.testing.assert_allclose(ops.log_softmax(np.array([-1.0, 0.0, 1.0])),
                                   [-2.40760596, -1.40760596, -0.40760596], atol=1e-8)

    def test_hand_computed(self):
        x = np.array([-2.0, 0.0, 3.0])
        assert ops.relu(x).tolist() == [0.0, 0.0, 3.0]
        assert ops.leaky_relu(x).tolist() == [-0.4, 0.0, 3.0]
        np.testing.assert_allclose(ops.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-15)
        np.testing.assert_allclose(ops.softplus(x), np.log1p(np.exp(x)), rtol=1e-15)
        np.testing.assert_allclose(ops.silu(x), x / (1 + np.exp(-x)), rtol=1e-15)
        np.testing.assert_allclose(ops.elu(x, alpha=2.0), [2 * (np.exp(-2.0) - 1), 0.0, 3.0], rtol=1e-15)
        assert ops.swish is ops.silu
        # gelu(1): exact 0.5 * (1 + erf(1/sqrt 2)) = 0.8413447..., tanh form 0.8411920...
        np.testing.assert_allclose(ops.gelu(np.array([1.0]), approximate=False), [0.8413447460685429], rtol=1e-14)
        np.testing.assert_allclose(ops.gelu(np.array([1.0])), [0.8411919906082768], rtol=1e-14)
        rows = ops.softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
        np.testing.assert_allclose(rows.sum(axis=1), [1.0, 1.0], rtol=1e-15)
        np.testing.assert_allclose(rows[1], [1 / 3] * 3, rtol=1e-15)
        np.testing.assert_allclose(ops.softmax(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)[:, 0],
                                   [1 / (1 + np.e ** 2), 1 / (1 + np.e ** -2)], rtol=1e-14)

    def test_softmax_over_an_axis_tuple_normalises_those_axes_together(self):
        x = np.arange(12.0).reshape(2, 2, 3)
        np.testing.assert_allclose(ops.softmax(x, axis=(1, 2)).sum(axis=(1, 2)), [1.0, 1.0], rtol=1e-14)

    def test_stable_at_plus_minus_1000(self):
        x = np.array([[-1000.0, 0.0, 1000.0]])
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any overflow warning fails the test
            results = {op.__name__: op(x) for op in (ops.sigmoid, ops.softmax, ops.log_softmax, ops.softplus,
                                                     ops.silu, ops.gelu, ops.elu, ops.tanh, ops.relu)}
            for name, y in results.items():
                assert np.all(np.isfinite(y)), name
            np.testing.assert_allclose(results["softmax"], [[0.0, 0.0, 1.0]], atol=1e-300)
            np.testing.assert_allclose(results["log_softmax"], [[-2000.0, -1000.0, 0.0]])
            np.testing.assert_allclose(results["softplus"], [[0.0, np.log(2.0), 1000.0]], atol=1e-300)
            np.testing.assert_allclose(results["sigmoid"], [[0.0, 0.5, 1.0]], atol=1e-300)
            np.testing.assert_allclose(results["elu"], [[-1.0, 0.0, 1000.0]])
            _, backward = autodiff.record(lambda x: ops.log_softmax(ops.sigmoid(x) * x), x)
            assert np.all(np.isfinite(backward(np.ones((1, 3)))[0]))

    def test_integer_inputs_become_float64_and_float32_stays(self):
        assert ops.relu(np.array([1, -1])).dtype == np.float64
        for op in (ops.relu, ops.sigmoid, ops.softmax, ops.log_softmax, ops.softplus, ops.silu, ops.gelu, ops.elu,
                   ops.leaky_relu):
            assert op(np.ones(3, dtype=np.float32)).dtype == np.float32, op.__name__

    def test_numpy_like_ops(self):
        x = np.array([[1.0, -2.0], [3.0, 4.0]])
        assert ops.matmul(x, x).tolist() == [[-5.0, -10.0], [15.0, 10.0]]
        assert ops.dot(x, np.array([1.0, 1.0])).tolist() == [-1.0, 7.0]
        assert ops.sum(x, axis=0).tolist() == [4.0, 2.0] and ops.sum(x, keepdims=True).tolist() == [[6.0]]
        assert ops.mean(x, axis=1).tolist() == [-0.5, 3.5]
        assert ops.max(x, axis=0).tolist() == [3.0, 4.0] and ops.max(x, initial=10.0) == 10.0
        assert ops.maximum(x, 0.0).tolist() == [[1.0, 0.0], [3.0, 4.0]]
        assert ops.clip(x, -1.0, 2.0).tolist() == [[1.0, -1.0], [2.0, 2.0]]
        assert ops.concatenate([x, x], axis=1).shape == (2, 4) and ops.stack([x, x], axis=2).shape == (2, 2, 2)
        assert ops.reshape(x, (4,)).tolist() == [1.0, -2.0, 3.0, 4.0]
        assert ops.transpose(x).tolist() == [[1.0, 3.0], [-2.0, 4.0]]
        assert ops.expand_dims(x, 0).shape == (1, 2, 2) and ops.squeeze(x[None]).shape == (2, 2)
        assert ops.square(x).tolist() == [[1.0, 4.0], [9.0, 16.0]] and ops.abs(x).tolist() == [[1.0, 2.0], [3.0, 4.0]]
        assert ops.sqrt(np.array([4.0])).tolist() == [2.0] and ops.log(ops.exp(np.array([2.0]))).tolist() == [2.0]
        assert ops.cast(x, "int32").dtype == np.int32 and ops.cast([1, 2], "float32").dtype == np.float32
        copy = ops.convert_to_numpy(x)
        assert copy is not x and copy.tolist() == x.tolist()

    def test_convert_to_tensor_keeps_traced_values_differentiable(self):
        assert ops.convert_to_tensor([1, 2]).tolist() == [1, 2]
        assert ops.convert_to_tensor(np.ones(2), dtype="float32").dtype == np.float32
        v = Variable(np.array([2.0]), "v")
        assert type(ops.convert_to_tensor(v)) is np.ndarray
        _, backward = autodiff.record(lambda x: ops.convert_to_tensor(x) * ops.convert_to_tensor(v), np.array([3.0]),
                                      [v])
        dx, (dv,) = backward(np.ones(1))
        assert dx.tolist() == [2.0] and dv.tolist() == [3.0]
        _, backward = autodiff.record(lambda x: ops.convert_to_tensor(x, dtype="float32") * 2.0, np.array([3.0]))
        dx, _ = backward(np.ones(1))
        assert dx.dtype == np.float64 and dx.tolist() == [2.0]

    def test_where(self):
        condition = np.array([True, False, True])
        assert ops.where(condition, np.ones(3), np.zeros(3)).tolist() == [1.0, 0.0, 1.0]
        assert [i.tolist() for i in ops.where(condition)] == [[0, 2]]
        with pytest.raises(ValueError, match=r"^ops.where: x1 and x2 must be given together \(or both omitted\)$"):
            ops.where(condition, np.ones(3))


class TestOneHot:
    def test_values_negative_labels_and_axis(self):
        assert ops.one_hot(np.array([1, 3, 2, 0]), 4).tolist() == np.eye(4)[[1, 3, 2, 0]].tolist()
        assert ops.one_hot(np.array([-1, 1]), 2).tolist() == [[0.0, 0.0], [0.0, 1.0]]
        assert ops.one_hot(np.array([0, 1]), 3, axis=0).tolist() == [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
        assert ops.one_hot(np.array([[2]]), 3).shape == (1, 1, 3)
        assert ops.one_hot(np.array([0]), 2).dtype == np.float64
        assert ops.one_hot(np.array([0]), 2, dtype="float32").dtype == np.float32
        assert ops.one_hot(np.array([1.0, 0.0]), 2).tolist() == [[0.0, 1.0], [1.0, 0.0]]

    @pytest.mark.parametrize("labels, kwargs, message", [
        (np.array([0, 1, 5]), {}, "ops.one_hot: label 5 is out of range for num_classes=3"),
        (np.array([0.5]), {}, "ops.one_hot: labels must be integers, got non-integer values"),
        (np.array(["a"]), {}, "ops.one_hot: labels must be integers, got dtype <U1"),
        (np.array([0]), {"sparse": True}, "ops.one_hot: sparse=True is not supported (numpy arrays are dense)"),
    ])
    def test_errors(self, labels, kwargs, message):
        with pytest.raises(ValueError) as info:
            ops.one_hot(labels, 3, **kwargs)
        assert str(info.value) == message

    @pytest.mark.parametrize("num_classes", [0, -1, 2.5, True])
    def test_num_classes_must_be_a_positive_integer(self, num_classes):
        with pytest.raises(ValueError, match=rf"^ops.one_hot: num_classes must be a positive integer, "
                                             rf"got {num_classes!r}$"):
            ops.one_hot(np.array([0]), num_classes)


def _direct_conv2d(x, k, strides, dilation, pads):
    """The definition, summed directly: z[n, y, x, f] = sum x_pad[n, y*s + i*d, x*s + j*d, c] k[i, j, c, f]."""
    (sh, sw), (dh, dw), ((top, bottom), (left, right)) = strides, dilation, pads
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, _, f = k.shape
    oh = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    ow = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    z = np.zeros((x.shape[0], oh, ow, f))
    for y in range(oh):
        for xx in range(ow):
            for i in range(kh):
                for j in range(kw):
                    z[:, y, xx] += xp[:, y * sh + i * dh, xx * sw + j * dw] @ k[i, j]
    return z


class TestConv:
    @pytest.mark.parametrize("shape, kernel, kwargs, pads", [
        ((2, 5, 6, 3), (3, 2, 3, 4), {}, ((0, 0), (0, 0))),
        ((1, 5, 5, 2), (3, 3, 2, 3), dict(padding="same"), ((1, 1), (1, 1))),
        ((1, 6, 6, 2), (3, 3, 2, 2), dict(strides=2, padding="same"), ((0, 1), (0, 1))),  # TF: odd pad after
        ((1, 7, 6, 1), (2, 3, 1, 2), dict(strides=(2, 1)), ((0, 0), (0, 0))),
        ((1, 7, 7, 1), (3, 2, 1, 2), dict(dilation_rate=(2, 3)), ((0, 0), (0, 0))),
        ((1, 6, 6, 1), (3, 3, 1, 1), dict(dilation_rate=2, padding="same"), ((2, 2), (2, 2))),
    ])
    def test_2d_matches_the_direct_sum(self, shape, kernel, kwargs, pads):
        rng = np.random.default_rng(0)
        x, k = rng.standard_normal(shape), rng.standard_normal(kernel)
        expected = _direct_conv2d(x, k, _pair(kwargs.get("strides", 1)), _pair(kwargs.get("dilation_rate", 1)), pads)
        np.testing.assert_allclose(ops.conv(x, k, **kwargs), expected, rtol=1e-12, atol=1e-12)

    def test_1d_is_2d_with_height_one(self):
        rng = np.random.default_rng(1)
        x, k = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 3, 4))
        got = ops.conv(x, k, strides=2, padding="same")
        np.testing.assert_allclose(got, ops.conv(x[:, None], k[None], strides=(1, 2), padding="same")[:, 0],
                                   rtol=1e-14)
        assert got.shape == (2, 5, 4)

    def test_channels_first_is_channels_last_transposed(self):
        rng = np.random.default_rng(2)
        x, k = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 2))
        np.testing.assert_allclose(ops.conv(np.moveaxis(x, -1, 1), k, data_format="channels_first"),
                                   np.moveaxis(ops.conv(x, k), -1, 1), rtol=1e-14)

    def test_hand_computed(self):
        # 1-D, kernel [1, 2] on [0, 1, 2, 3]: [0 + 2, 1 + 4, 2 + 6]
        assert ops.conv(np.arange(4.0).reshape(1, 4, 1), np.array([1.0, 2.0]).reshape(2, 1, 1)).ravel().tolist() \
            == [2.0, 5.0, 8.0]

    def test_gradients_are_vectorised_and_correct_on_a_batch(self):
        rng = np.random.default_rng(3)
        result = autodiff.check_gradients(lambda xs: ops.conv(xs[0], xs[1], strides=2, padding="same"),
                                          [rng.standard_normal((3, 5, 4, 2)), rng.standard_normal((3, 2, 2, 3))])
        assert result.passed, str(result)

    def test_float32_stays_float32(self):
        x, k = np.ones((1, 4, 4, 2), dtype=np.float32), np.ones((2, 2, 2, 1), dtype=np.float32)
        y, backward = autodiff.record(lambda xs: ops.conv(*xs), [x, k])
        (dx, dk), _ = backward(np.ones(y.shape, dtype=np.float32))
        assert (y.dtype, dx.dtype, dk.dtype) == (np.float32,) * 3

    @pytest.mark.parametrize("x_shape, k_shape, kwargs, message", [
        ((2, 3), (1, 1, 1), {}, "ops.conv supports 1-D and 2-D convolutions: inputs of rank 3 or 4 "
                                "(batch, *spatial, channels), got shape (2, 3)"),
        ((1, 4, 4, 2), (3, 2, 1), {}, "ops.conv: a 2-D convolution needs a kernel of rank 4 "
                                      "(*kernel_size, in_channels, filters), got shape (3, 2, 1)"),
        ((1, 4, 4, 2), (3, 3, 3, 1), {}, "ops.conv: the inputs have 2 channels but the kernel expects 3 "
                                         "(inputs (1, 4, 4, 2), kernel (3, 3, 3, 1))"),
        ((1, 4, 2), (3, 2, 1), dict(padding="full"), "ops.conv: padding must be 'valid' or 'same', got 'full'"),
        ((1, 4, 2), (3, 2, 1), dict(strides=0), "ops.conv: strides must be a positive integer or a tuple of 1 of "
                                                "them"),
        ((1, 4, 4, 2), (3, 3, 2, 1), dict(dilation_rate=(1, 2, 3)),
         "ops.conv: dilation_rate must be a positive integer or a tuple of 2 of them"),
        ((1, 4, 2), (3, 2, 1), dict(data_format="NHWC"),
         "ops.conv: data_format must be 'channels_last' or 'channels_first', got 'NHWC'"),
        ((1, 2, 2, 1), (3, 3, 1, 1), {}, "ops.conv: the kernel (3, 3) (dilation (1, 1)) does not fit the "
                                         "valid-padded input of spatial size (2, 2)"),
    ])
    def test_errors(self, x_shape, k_shape, kwargs, message):
        with pytest.raises(ValueError) as info:
            ops.conv(np.ones(x_shape), np.ones(k_shape), **kwargs)
        assert str(info.value) == message


def _pair(value):
    return (value, value) if isinstance(value, int) else value
