"""Each misuse gets a clear error naming the layer (when the recording has a name) and the op."""
import re

import numpy as np
import pytest

from layergraph.framework import autodiff
from layergraph.framework.autodiff import NotDifferentiableError, TracingError
from layergraph.framework.variables import Variable

HOW = "implement backward() for this layer or use the numeric gradient strategy (gradient='numeric')"
BUFFER = np.zeros((2, 2))


def _raises(fn, error, message, name="dense"):
    with pytest.raises(error) as info:
        autodiff.record(fn, np.ones((2, 2)), name=name)
    assert str(info.value) == message
    assert not autodiff.is_recording()


@pytest.mark.parametrize("fn, op", [
    (lambda x: np.linalg.svd(x), "np.linalg.svd"),
    (lambda x: np.cumprod(x), "np.cumprod"),
    (lambda x: np.nextafter(x, 1.0), "np.nextafter"),
    (lambda x: np.divmod(x, 2.0), "np.divmod"),
    (lambda x: np.add.reduceat(x, [0]), "np.add.reduceat"),
])
def test_an_op_without_a_rule_says_how_to_go_on(fn, op):
    _raises(fn, NotDifferentiableError, f"layer 'dense': {op} has no gradient rule in layergraph's autodiff; {HOW}")


def test_without_a_layer_name_the_message_starts_with_the_op():
    _raises(lambda x: np.linalg.svd(x), NotDifferentiableError,
            f"np.linalg.svd has no gradient rule in layergraph's autodiff; {HOW}", name=None)


@pytest.mark.parametrize("fn, reason", [
    (lambda x: np.pad(x, 1, mode="edge"), "np.pad: only mode='constant' is supported, got mode='edge'"),
    (lambda x: np.einsum("ii->i", x), "np.einsum: an index repeated within one operand ('ii', a diagonal) is not "
                                      "supported"),
    (lambda x: np.linalg.norm(x, ord=1), "np.linalg.norm: only the 2-norm and the Frobenius norm (ord=None, 'fro', "
                                         "or 2 for vectors) are supported, got ord=1"),
])
def test_an_unsupported_form_of_a_supported_op(fn, reason):
    _raises(fn, NotDifferentiableError, f"layer 'dense': {reason}; {HOW}")


def test_a_traced_value_in_a_non_differentiable_argument():
    _raises(lambda x: np.pad(x, 1, constant_values=x[0, 0]), NotDifferentiableError,
            f"layer 'dense': np.pad cannot be differentiated with respect to its argument 'constant_values'; "
            f"pass a constant there, or {HOW}")


def test_ufunc_keywords_that_change_the_maths_are_refused():
    _raises(lambda x: np.matmul(x, x, axes=[(0, 1), (0, 1), (0, 1)]), NotDifferentiableError,
            f"layer 'dense': np.matmul with axes= is not differentiable here; {HOW}")


def test_where_keyword_is_refused():
    _raises(lambda x: np.add(x, 1.0, where=BUFFER > -1), NotDifferentiableError,
            f"layer 'dense': np.add with where= is not differentiable here; use np.where on the result instead, "
            f"or {HOW}")


class TestInPlaceWrites:
    def test_setitem(self):
        def fn(x):
            x[0] = 1.0
            return x

        _raises(fn, TracingError, "layer 'dense': writing into a traced array (x[...] = v) is not differentiable; "
                                  "build a new array instead (np.where(mask, v, x), np.concatenate, np.pad)")

    @pytest.mark.parametrize("fn, op", [
        (lambda x: np.add(x, 1.0, out=BUFFER), "np.add"),
        (lambda x: np.add(BUFFER, 1.0, out=x), "np.add"),  # the traced array is only the target
        (lambda x: np.exp(x, BUFFER), "np.exp"),  # out given positionally
        (lambda x: np.sum(x, axis=0, out=np.zeros(2)), "np.sum"),
    ])
    def test_out_argument(self, fn, op):
        _raises(fn, TracingError, f"layer 'dense': {op} with out= writes in place, which the tape cannot "
                                  f"differentiate; assign the result to a new name instead (y = {op}(...))")

    def test_ufunc_at(self):
        _raises(lambda x: np.add.at(x, [0], 1.0), TracingError,
                "layer 'dense': np.add.at writes in place, which the tape cannot differentiate; build a new array "
                "instead")

    def test_copyto(self):
        _raises(lambda x: np.copyto(x, 1.0), TracingError,
                "layer 'dense': np.copyto writes into an array in place, which the tape cannot differentiate; "
                "build a new array instead (np.where, np.concatenate)")

    def test_writing_a_traced_value_into_a_plain_array(self):
        def fn(x):
            plain = np.zeros((2, 2))
            plain[...] = x
            return plain

        _raises(fn, TracingError, "layer 'dense': a traced array of shape (2, 2) was converted to a plain numpy "
                                  "array (np.asarray, np.array, or a list of traced values), which would cut its "
                                  "gradient; use np.stack for lists, layergraph.ops.convert_to_tensor(x) to accept "
                                  "arrays and traced values alike, or layergraph.ops.stop_gradient(x) for a "
                                  "deliberate constant")

    def test_augmented_assignment_rebinds_and_is_fine(self):
        def fn(x):
            x += 1.0
            x[...]  # reading is fine
            return x

        y, backward = autodiff.record(fn, np.ones(2))
        assert y.tolist() == [2.0, 2.0] and backward(np.ones(2))[0].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("fn", [lambda x: np.asarray(x), lambda x: np.array([x[0], x[1]]),
                                lambda x: np.asarray(x, dtype=float)])
def test_conversion_to_a_plain_array_is_refused(fn):
    with pytest.raises(TracingError, match=re.escape("layer 'dense': a traced array of shape (")):
        autodiff.record(fn, np.ones((2, 2)), name="dense")


@pytest.mark.parametrize("fn, message", [
    (lambda x: 3.0, "layer 'dense': the recorded function returned float where an array was expected; "
                    "return a numpy array, or a list or tuple of them"),
    (lambda x: None, "layer 'dense': the recorded function returned NoneType where an array was expected; "
                     "return a numpy array, or a list or tuple of them"),
    (lambda x: [x, x * 2.0, "a"], "layer 'dense': the recorded function returned str as output 2 where an array "
                                  "was expected; return a numpy array, or a list or tuple of them"),
])
def test_an_output_that_is_not_an_array(fn, message):
    _raises(fn, TracingError, message)


def test_a_variables_entry_that_is_not_a_variable():
    with pytest.raises(TracingError, match=r"^layer 'dense': variables\[1\] of record\(\) is a ndarray, not a "
                                           r"Variable$"):
        autodiff.record(lambda x: x, np.ones(2), [Variable(np.ones(1)), np.ones(1)], name="dense")
