"""vjp, Jacobians, Hessians and derivatives of any order (api.py), against references."""

import math

import numpy
import pytest
import sympy

import transpile as tp
from transpile import symbolic

from . import functions
from .helpers import assert_close, central_difference, numeric_gradient, random_point


def test_vjp_pullback_of_a_scalar_function():
    value, pullback = tp.vjp(functions.quickstart, 0.3, 2.0)
    assert value == functions.quickstart(0.3, 2.0)
    assert_close(pullback(2.0), tuple(2.0 * g for g in numeric_gradient(functions.quickstart, (0.3, 2.0), (0, 1))))


def test_vjp_pullback_of_a_vector_output():
    args, cotangent = (0.7, 0.4), (0.5, -1.0, 2.0)
    value, pullback = tp.vjp(functions.vector_output, *args)
    assert value == functions.vector_output(*args)

    def weighted(x, y):
        return sum(c * v for c, v in zip(cotangent, functions.vector_output(x, y)))

    assert_close(pullback(cotangent), numeric_gradient(weighted, args, (0, 1)))


@pytest.mark.parametrize("mode", ["reverse", "forward", "auto"])
def test_jacobian_of_a_vector_output(mode):
    args = (0.7, 0.4)
    dx, dy = tp.jacobian(functions.vector_output, wrt=("x", "y"), mode=mode)(*args)
    assert dx.shape == dy.shape == (3,)
    for column, index in ((dx, 0), (dy, 1)):
        expected = [central_difference(lambda *a, k=k: functions.vector_output(*a)[k], args, index) for k in range(3)]
        assert_close(tuple(column), tuple(expected))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_a_scalar_function_is_the_gradient(mode):
    column = tp.jacobian(functions.quickstart, wrt=0, mode=mode)(0.3, 2.0)
    assert column.shape == () and float(column) == pytest.approx(tp.grad(functions.quickstart)(0.3, 2.0))


@pytest.mark.parametrize("f", [functions.quickstart, functions.shared_subexpressions, functions.rosenbrock,
                               functions.ten_variables], ids=lambda f: f.__name__)
def test_hessian_matches_differences_of_the_gradient(f):
    n = f.__code__.co_argcount
    args = random_point(n, seed=4)
    hessian = tp.hessian(f, wrt=tuple(range(n)))(*args)
    gradient = tp.grad(f, wrt=tuple(range(n)))
    assert hessian.shape == (n, n)
    assert numpy.allclose(hessian, hessian.T, rtol=1e-9, atol=1e-9)
    for j in range(n):
        column = [central_difference(lambda *a, i=i: gradient(*a)[i], args, j) for i in range(n)]
        assert numpy.allclose(hessian[:, j], column, rtol=1e-5, atol=1e-6)


HIGHER_ORDER = [functions.quickstart, functions.trig, functions.hyperbolic, functions.logs, functions.special,
                functions.powers, functions.shared_subexpressions]


@pytest.mark.parametrize("f", HIGHER_ORDER, ids=lambda f: f.__name__)
def test_second_and_third_derivatives_match_sympy(f):
    symbols, expression = symbolic.function_to_sympy(f)
    x = symbols[f.__code__.co_varnames[0]]
    args = random_point(f.__code__.co_argcount, seed=6)
    at = dict(zip(symbols.values(), args))
    first = tp.grad(f)
    second = tp.grad(first)
    third = tp.grad(second)
    for order, generated in ((1, first), (2, second), (3, third)):
        exact = symbolic.evaluate(sympy.diff(expression, x, order), at)
        assert generated(*args) == pytest.approx(exact, rel=1e-9, abs=1e-9), order


def test_hessian_of_one_variable_is_a_float():
    value = tp.hessian(functions.single_op)(3.0)
    assert isinstance(value, float) and value == 2.0


def test_jacobian_rejects_unknown_modes():
    with pytest.raises(tp.TranspileError, match="mode"):
        tp.jacobian(functions.quickstart, mode="sideways")


def test_jvp_needs_one_tangent_per_primal():
    with pytest.raises(tp.TranspileError, match="one tangent each"):
        tp.jvp(functions.quickstart, (0.3, 2.0), (1.0,))


def test_second_order_code_is_also_optimized():
    """grad(grad(f)) has no repeated calls: CSE ran on the derivative of derivative code."""
    import ast

    tree = ast.parse(tp.source(tp.grad(functions.quickstart)))
    calls = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert len(calls) == len(set(calls)), calls
    assert math.isfinite(tp.grad(tp.grad(functions.quickstart))(0.3, 2.0))


def test_jacobian_uses_defaults_like_the_function():
    full = tp.jacobian(functions.defaults, wrt=0)(1.5, 2.0)
    assert float(tp.jacobian(functions.defaults, wrt=0)(1.5)) == float(full) == pytest.approx(6.0)


def test_higher_orders_through_branches():
    f = functions.early_returns
    for point in ((0.3, 1.2), (0.9, 1.5), (1.2, 0.5)):
        first = tp.grad(f)
        h = 1e-5
        expected = (first(point[0] + h, point[1]) - first(point[0] - h, point[1])) / (2 * h)
        assert tp.grad(first)(*point) == pytest.approx(expected, rel=1e-6, abs=1e-8)
        hessian = tp.hessian(f, wrt=(0, 1))(*point)
        assert numpy.allclose(hessian, hessian.T, rtol=1e-9, atol=1e-12)


def test_jvp_and_vjp_fill_in_defaults_and_check_shapes():
    value, tangent = tp.jvp(functions.defaults, (1.5,), (1.0,))
    assert (value, tangent) == (functions.defaults(1.5), pytest.approx(6.0))
    value, pullback = tp.vjp(functions.defaults, 1.5)
    assert pullback(1.0) == (pytest.approx(6.0),)
    _, pullback = tp.vjp(functions.vector_output, 0.7, 0.4)
    with pytest.raises(tp.TranspileError, match="tuple of 3"):
        pullback(1.0)
    with pytest.raises(tp.TranspileError, match="tuples"):
        tp.jvp(functions.quickstart, 0.3, 1.0)
    with pytest.raises(tp.TranspileError, match="takes 2 positional"):
        tp.jvp(functions.quickstart, (0.3, 2.0, 1.0), (1.0, 0.0, 0.0))


def test_jacobian_counts_outputs_of_functions_with_branches():
    column = tp.jacobian(functions.early_returns, wrt=0)(0.9, 1.5)
    assert column.shape == () and float(column) == pytest.approx(tp.grad(functions.early_returns)(0.9, 1.5))


def test_cached_functions_and_bound_methods():
    from . import other_module

    assert tp.grad(other_module.cached_square)(3.0) == 6.0

    class Model:
        def energy(self, x):
            return x * x

    with pytest.raises(tp.TranspileError, match="bound method"):
        tp.grad(Model().energy)


def test_a_parameter_named_like_a_called_builtin_does_not_hide_it(tmp_path):
    from .helpers import import_source

    module = import_source("def relu(x):\n    return max(x, 0.0)\n"
                           "def f(x, max):\n    return relu(x) * max\n", tmp_path, "hiding")
    assert tp.grad(module.f, wrt=(0, 1))(0.5, 3.0) == (3.0, 0.5)
    assert tp.grad(module.f, wrt=(0, 1))(-0.5, 3.0) == (0.0, 0.0)


def test_unknown_kind_is_an_error():
    with pytest.raises(tp.TranspileError, match="kind="):
        tp.source(functions.quickstart, kind="bogus")


def test_forward_mode_needs_no_rule_where_no_tangent_flows(tmp_path):
    from .helpers import import_source

    module = import_source("import math\ndef f(x, n):\n    return x ** n / math.factorial(n)\n", tmp_path, "fact")
    assert tp.grad(module.f, mode="forward")(0.5, 3) == pytest.approx(0.125)
    assert tp.hessian(module.f)(0.5, 3) == pytest.approx(0.5)


@pytest.mark.parametrize("f", list(functions.LOOP_ARGUMENTS), ids=lambda f: f.__name__)
def test_hessians_through_loops_match_differences_of_the_gradient(f):
    floats = f.__code__.co_argcount - len(functions.LOOP_ARGUMENTS[f])
    args = random_point(floats, seed=5) + list(functions.LOOP_ARGUMENTS[f])
    wrt = tuple(range(floats))
    hessian = numpy.atleast_2d(tp.hessian(f, wrt=wrt)(*args))
    gradient = tp.grad(f, wrt=wrt)
    for j in range(floats):
        column = [central_difference(lambda *a, i=i: gradient(*a)[i], args, j) for i in range(floats)]
        assert numpy.allclose(hessian[:, j], column, rtol=1e-5, atol=1e-6)
