"""What code generated for numbers and lists does with other arguments (transpile/guard.py)."""

import numpy as np
import pytest

import transpile as tp
from transpile import guard

from . import array_functions, functions


def test_numpy_numbers_go_on_through_the_code_for_floats():
    gradient = tp.grad(functions.quickstart, wrt=(0, 1))
    expected = gradient(1.5, 0.5)
    np.testing.assert_allclose(gradient(np.float64(1.5), np.float32(0.5)), expected, rtol=1e-6)


def test_ints_and_bools_have_no_gradient():
    with pytest.raises(tp.errors.WrtError, match="'x'.*int 2"):
        tp.grad(functions.quickstart)(2, 0.5)
    with pytest.raises(tp.errors.WrtError, match="'x'.*bool"):
        tp.grad(functions.quickstart)(True, 0.5)
    with pytest.raises(tp.errors.WrtError, match="'y'.*forward mode"):
        tp.grad(functions.quickstart, wrt=1, mode="forward")(1.0, [0.5])


def test_arrays_go_to_code_generated_for_arrays():
    gradient = tp.grad(array_functions.indexes_elements_only)
    assert "np." not in tp.source(array_functions.indexes_elements_only)  # generated for lists
    x = np.array([0.5, 2.0, 3.0])
    np.testing.assert_allclose(gradient(x), [2.0 - 3.0 / 0.25, 0.5, 2.0])
    assert type(gradient(x)) is np.ndarray
    assert gradient([0.5, 2.0, 3.0]) == pytest.approx([2.0 - 3.0 / 0.25, 0.5, 2.0])  # lists still work
    value, derivative = tp.value_and_grad(array_functions.loops_over_elements)(x)
    assert value == pytest.approx(np.sum(x * x)) and np.allclose(derivative, 2 * x)


def test_an_array_output_is_refused_as_grad_refuses_one():
    with pytest.raises(tp.errors.NonScalarOutputError, match="jacobian"):
        tp.grad(array_functions.scales)(np.ones(3), 2.0)


def test_without_its_origin_an_array_argument_is_a_clear_error(monkeypatch):
    gradient = tp.grad(array_functions.indexes_elements_only)
    gradient([1.0, 2.0, 3.0])
    monkeypatch.delitem(guard.ORIGINS, gradient)
    with pytest.raises(tp.TranspileError, match="generated for numbers.*'x' is a NumPy array"):
        gradient(np.ones(3))


def test_the_check_leaves_parameters_named_like_its_helper_alone():
    def other_arguments(x, rerouted):
        return x * rerouted

    gradient = tp.grad(other_arguments)
    assert gradient(0.5, 2.0) == 2.0
    assert gradient(0.5, np.array(2.0)) == 2.0
