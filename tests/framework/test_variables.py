"""Variable: an array in numpy expressions, identity semantics, Keras assignment, and its life inside recordings."""
import numpy as np
import pytest

from layergraph.framework import autodiff
from layergraph.framework.autodiff import TracingError
from layergraph.framework.variables import Variable


@pytest.fixture
def v():
    return Variable(np.array([[1.0, -2.0], [3.0, 4.0]]), "layer/v")


class TestInNumpyExpressions:
    def test_ufuncs_operators_and_functions_give_plain_arrays(self, v):
        x = np.array([[1.0, 0.0], [0.0, 1.0]])
        results = {
            "exp": np.exp(v * 0), "add": v + 1, "radd": 1 + v, "sub": v - x, "rsub": 10 - v, "mul": 2 * v,
            "div": v / 2, "rdiv": 12 / v, "pow": v ** 2, "rpow": 2 ** v, "matmul": v @ x, "rmatmul": x @ v,
            "neg": -v, "abs": abs(v), "getitem": v[1], "T": v.T, "lt": v < 0, "concat": np.concatenate([v, x]),
            "sum": np.sum(v, axis=0), "maximum": np.maximum(v, 0.0), "matmul_fn": np.matmul(x, v),
            "astype": v.astype(np.float32), "asarray": np.asarray(v),
        }
        for name, result in results.items():
            assert type(result) is np.ndarray, name
        assert results["rsub"].tolist() == [[9.0, 12.0], [7.0, 6.0]]
        assert results["rdiv"].tolist() == [[12.0, -6.0], [4.0, 3.0]]
        assert results["T"].tolist() == [[1.0, 3.0], [-2.0, 4.0]]
        assert results["concat"].shape == (4, 2) and results["sum"].tolist() == [4.0, 2.0]
        assert results["astype"].dtype == np.float32
        assert (v.shape, v.dtype, v.ndim, v.size) == ((2, 2), np.float64, 2, 4)
        assert bool(Variable(np.zeros(0), "empty"))  # always true, as before: no elementwise truthiness

    def test_out_variable_outside_recording_writes_in_place(self, v):
        array = v.value
        np.add(v, 1.0, out=v)
        assert v.value is array and array.tolist() == [[2.0, -1.0], [4.0, 5.0]]

    def test_numpy_returns_a_copy(self, v):
        copy = v.numpy()
        copy[0, 0] = 100.0
        assert v.value[0, 0] == 1.0


class TestIdentity:
    def test_equality_and_hash_are_identity(self, v):
        twin = Variable(v.value.copy(), "layer/v")
        assert (v == v) is True and (v == twin) is False and (v != twin) is True
        assert (v == v.value) is False  # never elementwise
        assert {v: 1, twin: 2}[v] == 1 and hash(v) == object.__hash__(v)
        assert [twin, v].index(v) == 1 and v in [twin, v]

    def test_np_equal_compares_values(self, v):
        assert np.equal(v, np.array([[1.0, 0.0], [3.0, 0.0]])).tolist() == [[True, False], [True, False]]


class TestAssign:
    def test_assign_outside_recording_is_in_place_and_returns_the_value(self, v):
        array = v.value
        result = v.assign(np.array([[0.0, 0.0], [1.0, 1.0]]))
        assert v.value is array and array.tolist() == [[0.0, 0.0], [1.0, 1.0]]
        assert result.tolist() == [[0.0, 0.0], [1.0, 1.0]]

    def test_assign_add_and_sub_broadcast_the_delta(self, v):
        assert v.assign_add(np.array([1.0, 10.0])).tolist() == [[2.0, 8.0], [4.0, 14.0]]
        assert v.assign_sub(1.0).tolist() == [[1.0, 7.0], [3.0, 13.0]]

    def test_assign_keeps_the_variable_dtype(self):
        v = Variable(np.zeros(2, dtype=np.float32), "v32")
        v.assign(np.array([1.5, 2.5]))
        assert v.dtype == np.float32 and v.value.tolist() == [1.5, 2.5]

    @pytest.mark.parametrize("method, value, message", [
        ("assign", np.zeros(3), "Cannot assign a value of shape (3,) to variable 'layer/v' of shape (2, 2)"),
        ("assign_add", np.zeros((3, 2, 2)),
         "Cannot add a value of shape (3, 2, 2) to variable 'layer/v' of shape (2, 2)"),
        ("assign_sub", np.zeros((2, 3)),
         "Cannot subtract a value of shape (2, 3) from variable 'layer/v' of shape (2, 2)"),
    ])
    def test_a_wrong_shape_is_refused_before_any_change(self, v, method, value, message):
        before = v.value.copy()
        with pytest.raises(ValueError) as info:
            getattr(v, method)(value)
        assert str(info.value) == message
        np.testing.assert_array_equal(v.value, before)


class TestInsideRecordings:
    def test_watched_variable_is_differentiated_everywhere_it_appears(self, v):
        def fn(x):
            return np.tanh(x @ v) * v[0] + np.stack([v.T, v]).sum(axis=0) - abs(v) / (1.0 + v ** 2)

        result = autodiff.check_gradients(fn, np.array([[0.1, 0.2], [0.3, -0.4]]), [v])
        assert result.passed, str(result)

    def test_state_update_inside_a_recording_is_not_differentiated(self):
        # The Keras guide's ComputeSum layer: a non-trainable running total.
        total = Variable(np.zeros(2), "total", trainable=False)
        w = Variable(np.array([2.0, 3.0]), "w")

        def call(x):
            total.assign_add(np.sum(x, axis=0))  # traced delta: stored as a plain value
            return x * w

        x = np.array([[1.0, 2.0], [3.0, 4.0]])
        y, backward = autodiff.record(call, x, [w])
        assert type(total.value) is np.ndarray and total.value.tolist() == [4.0, 6.0]
        dx, (dw,) = backward(np.ones((2, 2)))
        assert dx.tolist() == [[2.0, 3.0], [2.0, 3.0]] and dw.tolist() == [4.0, 6.0]
        autodiff.record(call, x, [w])
        assert total.value.tolist() == [8.0, 12.0]

    def test_assigning_a_used_variable_does_not_change_the_recorded_gradient(self):
        scale = Variable(np.array([2.0]), "scale", trainable=False)

        def call(x):
            y = x * scale  # uses the old value, 2
            scale.assign(scale * 10.0)
            return y

        _, backward = autodiff.record(call, np.array([1.0]))
        assert scale.value.tolist() == [20.0]
        assert backward(np.ones(1))[0].tolist() == [2.0]

    def test_assigning_a_watched_variable_keeps_its_recorded_value(self):
        w = Variable(np.array([3.0]), "w")

        def call(x):
            y = x * w
            w.assign(np.array([100.0]))
            return y

        _, backward = autodiff.record(call, np.array([5.0]), [w])
        dx, (dw,) = backward(np.ones(1))
        assert dx.tolist() == [3.0] and dw.tolist() == [5.0] and w.value.tolist() == [100.0]

    def test_np_asarray_of_a_watched_variable_is_refused(self, v):
        with pytest.raises(TracingError, match=r"^variable 'layer/v' was converted to a plain numpy array "
                                               r"\(np.asarray, np.array\) inside a recording that differentiates it"):
            autodiff.record(lambda x: x * np.asarray(v), np.ones(2), [v])

    def test_an_unwatched_variable_converts_freely(self, v):
        y, _ = autodiff.record(lambda x: x * np.asarray(v), np.ones(2))
        assert y.tolist() == [[1.0, -2.0], [3.0, 4.0]]

    def test_out_variable_inside_a_recording_is_refused(self, v):
        with pytest.raises(TracingError, match=r"^add\(\.\.\., out=variable\) writes into a variable inside a "
                                               r"recording; use variable.assign"):
            autodiff.record(lambda x: np.add(v, 1.0, out=v), np.ones(2))
