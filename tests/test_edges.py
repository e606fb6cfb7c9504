"""Numerical edge cases: the documented gradient at kinks and singular points (JAX's conventions
where they are sensible), and no NaN where the true derivative exists."""

import math
import warnings

import numpy as np
import pytest

import transpile as tp

from . import edge_functions as e


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_no_nan_where_the_derivative_exists(mode):
    assert tp.grad(e.square_by_power, mode=mode)(0.0) == 0.0  # 2.0 * 0.0 ** 1.0
    assert tp.grad(e.smooth_root, mode=mode)(0.0) == 0.0
    assert tp.grad(e.zero_to_the_y, wrt=(0, 1), mode=mode)(0.0, 2.0) == (0.0, 0.0)  # d/dy 0 ** y = 0 for y > 0
    assert tp.grad(e.x_to_the_zero, mode=mode)(0.0) == 0.0
    assert tp.grad(e.x_to_the_zero, mode=mode)(3.0) == 0.0


def test_kinks_follow_numpy_and_jax():
    assert tp.grad(e.absolute)(0.0) == 0.0  # sign(0)
    assert tp.grad(e.maximum, wrt=(0, 1))(1.5, 1.5) == (0.5, 0.5)  # a tie shares the gradient
    assert tp.grad(e.maximum, wrt=(0, 1))(2.0, 1.5) == (1.0, 0.0)


def test_infinite_derivatives_raise_as_python_float_arithmetic_does():
    """sqrt'(0), log'(0), (1/x)'(0): Python floats raise ZeroDivisionError (the function itself
    raises for log(0) and 1/0); NumPy code gives inf, as NumPy does, with its warning."""
    for func in (e.root, e.logarithm, e.reciprocal):
        with pytest.raises((ZeroDivisionError, ValueError)):
            tp.grad(func)(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isinf(tp.grad(e.array_root)(np.array([0.0, 1.0]))[0])


def test_array_power_at_zero_base():
    dx, dy = tp.grad(e.array_power, wrt=(0, 1))(np.array([0.0, 2.0]), np.array([2.0, 3.0]))
    np.testing.assert_allclose(dx, [0.0, 12.0])
    np.testing.assert_allclose(dy, [0.0, 8.0 * math.log(2.0)])


def test_products_with_zero_entries_have_exact_gradients():
    """d prod(x)/dx_i is the product of the other entries, also where entries are 0 (not NaN)."""
    x = np.array([[0.0, 1.0, 2.0], [3.0, 0.5, 0.0]])
    np.testing.assert_array_equal(tp.grad(e.column_products)(x), [[3.0, 0.5, 0.0], [0.0, 1.0, 2.0]])
    np.testing.assert_array_equal(tp.grad(e.total_product)(np.array([0.0, 2.0, 3.0])), [6.0, 0.0, 0.0])
