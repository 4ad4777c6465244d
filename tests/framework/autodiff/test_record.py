"""record(): inputs, outputs, the backward function, fan-out, dtypes, nesting, and life outside a recording."""
import numpy as np
import pytest

from layergraph import ops
from layergraph.framework import autodiff
from layergraph.framework.autodiff import Traced, TracingError
from layergraph.framework.variables import Variable


class TestStructure:
    def test_single_input_and_output_are_plain_arrays(self):
        y, backward = autodiff.record(lambda x: x * 3.0, np.array([1.0, 2.0]))
        assert type(y) is np.ndarray and y.tolist() == [3.0, 6.0]
        dx, dws = backward(np.array([1.0, 10.0]))
        assert type(dx) is np.ndarray and dx.tolist() == [3.0, 30.0] and dws == []

    def test_scalar_output_is_a_0d_array(self):
        y, backward = autodiff.record(lambda x: (x * x).sum(), np.array([1.0, 2.0]))
        assert type(y) is np.ndarray and y.shape == () and float(y) == 5.0
        assert backward(np.array(2.0))[0].tolist() == [4.0, 8.0]

    def test_list_and_tuple_inputs_and_outputs_keep_their_structure(self):
        def fn(inputs):
            x, y = inputs
            return x * y, x + y

        x, y = np.array([1.0, 2.0]), np.array([3.0, 5.0])
        outputs, backward = autodiff.record(fn, [x, y])
        assert isinstance(outputs, tuple) and [o.tolist() for o in outputs] == [[3.0, 10.0], [4.0, 7.0]]
        # d/dx of (g1 * x*y + g2 * (x+y)) = g1 * y + g2; d/dy = g1 * x + g2
        grads, _ = backward([np.array([1.0, 1.0]), np.array([10.0, 100.0])])
        assert isinstance(grads, list)
        assert grads[0].tolist() == [13.0, 105.0] and grads[1].tolist() == [11.0, 102.0]
        outputs, backward = autodiff.record(lambda xy: [xy[0] * 2.0], (x, y))
        assert isinstance(outputs, list)
        grads, _ = backward([np.ones(2)])
        assert isinstance(grads, list) and grads[0].tolist() == [2.0, 2.0] and grads[1].tolist() == [0.0, 0.0]

    def test_none_output_gradient_counts_as_zero(self):
        _, backward = autodiff.record(lambda x: [x * 2.0, x * 3.0], np.array([1.0]))
        assert backward([None, np.array([1.0])])[0].tolist() == [3.0]

    def test_plain_output_has_no_dependency(self):
        outputs, backward = autodiff.record(lambda x: [x * 2.0, np.ones(2)], np.array([1.0, 1.0]))
        assert type(outputs[1]) is np.ndarray
        assert backward([np.ones(2), np.full(2, 5.0)])[0].tolist() == [2.0, 2.0]

    def test_integer_inputs_are_passed_plain_and_get_no_gradient(self):
        table = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        seen = []

        def fn(inputs):
            x, idx = inputs
            seen.append(type(idx))
            return x[idx] * 2.0

        y, backward = autodiff.record(fn, [table, np.array([2, 0, 2])])
        assert seen == [np.ndarray] and y.tolist() == [[10.0, 12.0], [2.0, 4.0], [10.0, 12.0]]
        (dtable, didx), _ = backward(np.ones((3, 2)))
        assert didx is None
        assert dtable.tolist() == [[2.0, 2.0], [0.0, 0.0], [4.0, 4.0]]  # row 2 used twice

    def test_a_python_number_is_accepted_as_an_input(self):
        y, backward = autodiff.record(lambda x: x ** 2, 3.0)
        assert y.tolist() == 9.0 and backward(np.array(1.0))[0].tolist() == 6.0

    def test_backward_can_run_twice(self):
        _, backward = autodiff.record(lambda x: np.exp(x), np.array([0.0, 1.0]))
        first, second = backward(np.ones(2))[0], backward(np.ones(2))[0]
        np.testing.assert_array_equal(first, second)
        np.testing.assert_allclose(first, [1.0, np.e])


class TestVariables:
    def test_variable_gradients_in_the_order_given_with_zeros_for_unused(self):
        w = Variable(np.array([[2.0], [3.0]]), "w")
        b = Variable(np.array([0.5]), "b")
        unused = Variable(np.ones((2, 2)), "unused")
        x = np.array([[1.0, 1.0], [2.0, 0.0]])
        y, backward = autodiff.record(lambda x: np.matmul(x, w) + b, x, [unused, w, b])
        assert y.tolist() == [[5.5], [4.5]]
        dx, (dunused, dw, db) = backward(np.array([[1.0], [2.0]]))
        assert dunused.tolist() == [[0.0, 0.0], [0.0, 0.0]]
        assert dw.tolist() == [[5.0], [1.0]]  # x.T @ g
        assert db.tolist() == [3.0]  # g summed over the batch
        assert dx.tolist() == [[2.0, 3.0], [4.0, 6.0]]  # g @ w.T

    def test_variable_used_on_the_left_and_inside_lists(self):
        v = Variable(np.array([1.0, 2.0]), "v")

        def fn(x):
            return np.concatenate([v, x]) * (v @ x) + np.concatenate([np.where(x > 0, v, 0.0) - 2.0 * v, -v])

        result = autodiff.check_gradients(fn, np.array([0.5, -1.0]), [v])
        assert result.passed, str(result)

    def test_variable_watched_twice_gets_one_gradient_per_position(self):
        v = Variable(np.array([1.0, 2.0]), "v")
        _, backward = autodiff.record(lambda x: x * v, np.array([3.0, 4.0]), [v, v])
        _, (first, second) = backward(np.ones(2))
        assert first.tolist() == second.tolist() == [3.0, 4.0]

    def test_a_watched_variable_returned_as_is_is_its_leaf(self):
        v = Variable(np.array([1.0, 2.0]), "v")
        y, backward = autodiff.record(lambda x: v, np.array([0.0]), [v])
        assert y.tolist() == [1.0, 2.0]
        seed = np.array([4.0, 5.0])
        dx, (dv,) = backward(seed)
        assert dx.tolist() == [0.0] and dv.tolist() == [4.0, 5.0] and dv is not seed

    def test_unwatched_variables_are_constants(self):
        watched, other = Variable(np.array([2.0]), "watched"), Variable(np.array([3.0]), "other")
        _, backward = autodiff.record(lambda x: x * watched * other, np.array([1.0]), [watched])
        dx, (dw,) = backward(np.array([1.0]))
        assert dx.tolist() == [6.0] and dw.tolist() == [3.0]

    def test_ops_primitives_see_through_variables(self):
        v = Variable(np.array([[-1.0, 2.0]]), "v")
        result = autodiff.check_gradients(lambda x: ops.relu(v) * ops.softmax(x + v), np.array([[0.3, -0.2]]), [v])
        assert result.passed, str(result)


class TestBackward:
    def test_fan_out_accumulates(self):
        # y = x*x + x*3 + exp(x): dy/dx = 2x + 3 + exp(x)
        x = np.array([0.0, 1.0, 2.0])
        _, backward = autodiff.record(lambda x: x * x + x * 3.0 + np.exp(x), x)
        np.testing.assert_allclose(backward(np.ones(3))[0], 2 * x + 3 + np.exp(x), rtol=1e-15)

    def test_fan_out_through_a_variable_used_in_two_layers(self):
        w = Variable(np.array([[0.5, -1.0], [2.0, 1.0]]), "w")
        result = autodiff.check_gradients(lambda x: np.tanh(np.tanh(x @ w) @ w), np.array([[0.1, 0.2], [-0.3, 0.4]]),
                                          [w])
        assert result.passed, str(result)

    def test_same_output_returned_twice_sums_both_seeds(self):
        same = []
        _, backward = autodiff.record(lambda x: same.append(x * 2.0) or [same[0], same[0]], np.array([1.0]))
        assert backward([np.array([1.0]), np.array([3.0])])[0].tolist() == [8.0]

    def test_input_grad_false_skips_the_input_branch(self):
        calls = []

        def mul_vjp(path, g, ans, a, b):
            calls.append(path)
            return g * b if path == 0 else g * a

        @autodiff.primitive(mul_vjp, differentiable=(0, 1))
        def mul(a, b):
            return a * b

        w = Variable(np.array([2.0, 3.0]), "w")
        _, backward = autodiff.record(lambda x: mul(x, w), np.array([5.0, 7.0]), [w])
        dx, (dw,) = backward(np.ones(2), input_grad=False)
        assert dx is None and dw.tolist() == [5.0, 7.0] and calls == [1]
        calls.clear()
        dx, (dw,) = backward(np.ones(2))
        assert dx.tolist() == [2.0, 3.0] and sorted(calls) == [0, 1]

    def test_input_grad_false_still_reaches_variables_behind_the_input(self):
        w = Variable(np.array([2.0]), "w")
        _, backward = autodiff.record(lambda x: (x * w) * x, np.array([3.0]), [w])
        dx, (dw,) = backward(np.array([1.0]), input_grad=False)
        assert dx is None and dw.tolist() == [9.0]

    def test_gradients_are_fresh_writable_arrays(self):
        seed = np.ones((2, 3))
        for fn in (lambda x: x, lambda x: x + 0.0, lambda x: np.broadcast_to(x.sum(axis=0), (2, 3)),
                   lambda x: x[:, :]):
            _, backward = autodiff.record(fn, np.zeros((2, 3)))
            dx, _ = backward(seed)
            assert dx is not seed and dx.flags.writeable and dx.flags.owndata
            dx += 1.0  # must not change the seed
        assert seed.tolist() == np.ones((2, 3)).tolist()

    def test_wrong_output_gradient_shape_is_refused(self):
        _, backward = autodiff.record(lambda x: x * 2.0, np.zeros((2, 3)), name="dense")
        with pytest.raises(ValueError, match=r"^layer 'dense': the gradient for the output has shape \(3, 2\), "
                                             r"expected \(2, 3\) \(the shape of the output\)$"):
            backward(np.zeros((3, 2)))

    def test_wrong_number_of_output_gradients_is_refused(self):
        _, backward = autodiff.record(lambda x: [x, x * 2.0], np.zeros(2))
        with pytest.raises(ValueError, match=r"^backward expects a list of 2 output gradients, one per output, "
                                             r"got 1 gradients$"):
            backward([np.zeros(2)])
        with pytest.raises(ValueError, match=r"got ndarray$"):
            backward(np.zeros(2))
        with pytest.raises(ValueError, match=r"^the gradient for output 1 has shape \(3,\), expected \(2,\)"):
            backward([np.zeros(2), np.zeros(3)])


class TestDtypes:
    def test_float32_stays_float32(self):
        w = Variable(np.ones((3, 2), dtype=np.float32), "w")
        b = Variable(np.zeros(2, dtype=np.float32), "b")
        x = np.ones((4, 3), dtype=np.float32)
        y, backward = autodiff.record(lambda x: ops.softmax(ops.sigmoid(x @ w + b) * 2.0 + ops.relu(x[:, :2])), x,
                                      [w, b])
        assert y.dtype == np.float32
        dx, (dw, db) = backward(np.ones((4, 2), dtype=np.float64))
        assert (dx.dtype, dw.dtype, db.dtype) == (np.float32,) * 3

    def test_rules_receive_float32_gradients(self):
        seen = []

        @autodiff.primitive(lambda path, g, ans, x: seen.append(g.dtype) or g * 2.0)
        def double(x):
            return x * 2.0

        x = np.ones((2, 3), dtype=np.float32)
        _, backward = autodiff.record(lambda x: np.tanh(double(x) @ np.ones((3, 2), dtype=np.float32)).sum(axis=0)
                                      * 3.0, x)
        dx, _ = backward(np.ones(2, dtype=np.float32))
        assert seen == [np.float32] and dx.dtype == np.float32

    def test_gradient_of_a_float32_input_mixed_with_float64_constants_is_float32(self):
        x = np.array([1.0, 2.0], dtype=np.float32)
        y, backward = autodiff.record(lambda x: x * np.array([3.0, 4.0]), x)
        assert y.dtype == np.float64
        dx, _ = backward(np.ones(2))
        assert dx.dtype == np.float32 and dx.tolist() == [3.0, 4.0]

    def test_casts_are_differentiated_and_integer_casts_are_constants(self):
        x = np.array([1.5, 2.5])
        y, backward = autodiff.record(lambda x: x.astype(np.float32) * 2.0 + x.astype(int), x)
        assert y.dtype == np.float64 and y.tolist() == [4.0, 7.0]
        assert backward(np.ones(2))[0].tolist() == [2.0, 2.0]


class TestTracedArrays:
    def test_attributes_and_plain_results(self):
        seen = {}

        def fn(x):
            seen.update(shape=x.shape, dtype=x.dtype, ndim=x.ndim, size=x.size, len=len(x), lt=x < 1.0,
                        argmax=x.argmax(axis=1), shape_fn=np.shape(x), zeros=np.zeros_like(x), floor=np.floor(x),
                        sign=np.sign(x), round=np.round(x), nonzero_count=np.count_nonzero(x),
                        bool=bool(x[0, 0] > 0), float=float(x[0, 0]), repr=repr(x[0, 0]), type=type(x))
            return x * np.floor(x)  # floor is a constant: d/dx = floor(x)

        x = np.array([[1.5, -0.5], [2.5, 0.25]])
        _, backward = autodiff.record(fn, x)
        assert seen["type"] is Traced
        assert (seen["shape"], seen["dtype"], seen["ndim"], seen["size"], seen["len"]) == ((2, 2), np.float64, 2,
                                                                                            4, 2)
        for key in ("lt", "argmax", "zeros", "floor", "sign", "round"):
            assert type(seen[key]) is np.ndarray, key
        assert seen["argmax"].tolist() == [0, 0] and seen["shape_fn"] == (2, 2) and seen["nonzero_count"] == 4
        assert seen["bool"] is True and seen["float"] == 1.5 and seen["repr"] == "Traced(np.float64(1.5))"
        assert backward(np.ones((2, 2)))[0].tolist() == np.floor(x).tolist()

    def test_inplace_operators_rebind(self):
        def fn(x):
            y = x
            y += 1.0
            y *= x
            return y

        x = np.array([2.0])
        _, backward = autodiff.record(fn, x)
        assert x.tolist() == [2.0]  # the input was not modified
        assert backward(np.ones(1))[0].tolist() == [5.0]  # d/dx (x + 1) x = 2x + 1

    def test_stop_gradient(self):
        _, backward = autodiff.record(lambda x: x * autodiff.stop_gradient(x), np.array([3.0]))
        assert backward(np.ones(1))[0].tolist() == [3.0]
        _, backward = autodiff.record(lambda x: x * ops.stop_gradient(x) + ops.convert_to_numpy(x), np.array([3.0]))
        assert backward(np.ones(1))[0].tolist() == [3.0]


class TestRecordingState:
    def test_is_recording_only_inside(self):
        states = []
        autodiff.record(lambda x: states.append(autodiff.is_recording()) or x, np.zeros(1))
        assert states == [True] and not autodiff.is_recording()

    def test_the_tape_is_popped_when_the_function_raises(self):
        def fail(x):
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            autodiff.record(fail, np.zeros(1))
        assert not autodiff.is_recording()

    def test_outside_recording_everything_is_plain(self):
        w = Variable(np.array([[1.0, -2.0]]), "w")
        x = np.array([[3.0]])

        def call(x):
            return ops.softmax(ops.relu(np.matmul(x, w) + w) * 2.0)[0, ::-1].sum(keepdims=True)

        out = call(x)
        assert type(out) is np.ndarray and not autodiff.is_recording()
        for op in (ops.relu, ops.sigmoid, ops.softmax, ops.gelu, np.exp):
            assert type(op(x)) is np.ndarray
        assert type(ops.conv(np.ones((1, 3, 1)), np.ones((2, 1, 1)))) is np.ndarray

    def test_nested_independent_recordings_work(self):
        def outer(x):
            inner_y, _ = autodiff.record(lambda z: z * 10.0, np.array([1.0]))
            assert autodiff.is_recording()
            return x * inner_y  # the inner output is a constant here

        y, backward = autodiff.record(outer, np.array([2.0]))
        assert y.tolist() == [20.0] and backward(np.ones(1))[0].tolist() == [10.0]

    def test_passing_a_traced_value_to_a_nested_recording_is_refused(self):
        def outer(x):
            return autodiff.record(lambda z: z, x, name="inner")[0]

        with pytest.raises(TracingError, match=r"^layer 'inner': input 0 of record\(\) is a traced value or a "
                                               r"variable; pass plain arrays"):
            autodiff.record(outer, np.array([2.0]))

    def test_mixing_values_of_two_recordings_is_refused(self):
        def outer(x):
            return autodiff.record(lambda z: z * x, np.array([1.0]), name="inner")[0]

        with pytest.raises(TracingError, match=r"np.multiply mixes values of two different recordings"):
            autodiff.record(outer, np.array([2.0]), name="outer")

    def test_a_traced_value_used_after_its_recording_is_refused(self):
        kept = []
        autodiff.record(lambda x: kept.append(x) or x, np.array([1.0]), name="leaky")
        for use in (lambda t: t * 2.0, np.sum, ops.sigmoid, np.asarray):
            with pytest.raises(TracingError, match=r"^layer 'leaky': a traced value was used after its recording "
                                                   r"ended"):
                use(kept[0])


class TestKerasGuidePatterns:
    """The Keras custom-layer guide's layers, as plain classes whose call() is recorded the way Layer will."""

    class Linear:
        def __init__(self, w, b):
            self.w, self.b = Variable(w, "linear/w"), Variable(b, "linear/b")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    def test_linear_and_a_block_of_nested_layers(self):
        rng = np.random.default_rng(0)
        first = self.Linear(rng.standard_normal((3, 4)), rng.standard_normal(4))
        second = self.Linear(rng.standard_normal((4, 2)), rng.standard_normal(2))

        def block(x):  # MLPBlock: sublayers' call() run inside the same recording
            return second.call(ops.relu(first.call(x)))

        variables = [first.w, first.b, second.w, second.b]
        result = autodiff.check_gradients(block, rng.standard_normal((5, 3)), variables)
        assert result.passed, str(result)

    def test_compute_sum_returns_its_non_trainable_state(self):
        total = Variable(np.zeros(2), "compute_sum/total", trainable=False)

        def call(inputs):
            total.assign_add(ops.sum(inputs, axis=0))
            return total

        y, backward = autodiff.record(call, np.ones((2, 2)))
        assert type(y) is np.ndarray and y.tolist() == [2.0, 2.0]
        y, backward = autodiff.record(call, np.ones((2, 2)))
        assert y.tolist() == [4.0, 4.0] and backward(np.ones(2))[0].tolist() == [[0.0, 0.0], [0.0, 0.0]]

    def test_activity_regularization_loss_as_an_extra_output(self):
        rate = 0.1

        def call(inputs):  # add_loss(rate * mean(inputs)): the loss is recorded as a second output
            return inputs * 2.0, rate * ops.mean(inputs)

        (y, loss), backward = autodiff.record(call, np.array([[1.0, 3.0]]))
        assert loss.tolist() == pytest.approx(0.2)
        dx, _ = backward([np.array([[1.0, 1.0]]), np.array(1.0)])  # the extra loss enters with weight 1
        np.testing.assert_allclose(dx, [[2.05, 2.05]], rtol=1e-15)

    def test_custom_dropout_mask_is_a_constant(self):
        rate, mask = 0.5, np.array([[1.0, 0.0, 1.0]])

        def call(inputs, training=True):
            return inputs * mask / (1 - rate) if training else inputs

        _, backward = autodiff.record(call, np.ones((1, 3)))
        assert backward(np.ones((1, 3)))[0].tolist() == [[2.0, 0.0, 2.0]]
