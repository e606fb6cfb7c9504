"""The public API: grad's forms, value_and_grad, source."""

import math

import pytest

import transpile as tp

from . import functions


def test_grad_by_position_and_by_name_agree():
    f = functions.quickstart
    assert tp.grad(f, wrt=1)(0.3, 2.0) == tp.grad(f, wrt="y")(0.3, 2.0)
    assert tp.grad(f, wrt=(0, 1))(0.3, 2.0) == tp.grad(f, wrt=("x", "y"))(0.3, 2.0)


def test_decorator_without_arguments():
    @tp.grad
    def f(x, y):
        return math.sin(x) * y

    assert f(0.5, 2.0) == pytest.approx(2.0 * math.cos(0.5))


def test_decorator_with_arguments():
    @tp.grad(wrt=("x", "y"))
    def f(x, y):
        return x * x * y

    assert f(3.0, 2.0) == pytest.approx((12.0, 9.0))


def test_value_and_grad_decorator():
    @tp.value_and_grad(wrt=1)
    def f(x, y):
        return x * y

    assert f(3.0, 2.0) == (6.0, 3.0)


def test_grad_returns_a_plain_function_with_the_signature():
    import inspect

    g = tp.grad(functions.defaults)
    assert inspect.isfunction(g)
    assert list(inspect.signature(g).parameters) == ["x", "y", "scale"]
    assert inspect.signature(g).parameters["y"].default == 2.0


def test_source_is_valid_python_with_a_docstring_naming_function_and_wrt():
    text = tp.source(functions.quickstart, wrt=("x", "y"))
    compile(text, "<generated>", "exec")
    assert "Gradient of quickstart(x, y) with respect to (x, y)." in text


def test_no_optimize_shows_the_raw_sweep():
    raw = tp.source(functions.quickstart, optimize=False)
    assert " = 1.0\n" in raw  # the seed, before simplification
    assert len(raw.splitlines()) > len(tp.source(functions.quickstart).splitlines())


def test_source_refuses_modes_it_does_not_have():
    with pytest.raises(tp.TranspileError, match="reverse"):
        tp.source(functions.quickstart, mode="sideways")


def test_grad_of_grad_source_is_itself_transpilable(tmp_path):
    import importlib.util

    path = tmp_path / "first_order.py"
    path.write_text(tp.source(functions.quickstart, wrt="x"))
    spec = importlib.util.spec_from_file_location("first_order", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    second = tp.grad(module.grad_quickstart, wrt="x")
    h = 1e-5
    first = tp.grad(functions.quickstart, wrt="x")
    assert second(0.3, 2.0) == pytest.approx((first(0.3 + h, 2.0) - first(0.3 - h, 2.0)) / (2 * h), rel=1e-6)


class Methods:
    def scaled(x, __y):  # a name-mangled parameter: `_Methods__y` in the code object
        return x * __y


def test_name_mangled_parameters():
    assert tp.grad(Methods.scaled, wrt=1)(1.5, 2.0) == 1.5


JACOBIANS = '''
import numpy as np

def array_in(x):
    return np.sum(x ** 2)

def array_out(x):
    return x * np.ones(3)

def array_in_tuple(x):
    return (x, x * np.ones(2))

def data_out(x, data):
    return data * x

def list_out(x, y):
    return [x * y, x + y]

def built_list(x, n):
    ys = []
    for i in range(n):
        ys.append(x * i)
    return ys

def tuple_variable(x, y):
    t = (x * y, x - y)
    return t
'''


@pytest.mark.parametrize("mode", ["reverse", "forward", "auto"])
@pytest.mark.parametrize("name, args, error", [
    ("array_in", lambda np: (np.ones(3),), tp.errors.WrtError),
    ("array_out", lambda np: (2.0,), tp.errors.NonScalarOutputError),
    ("array_in_tuple", lambda np: (2.0,), tp.errors.NonScalarOutputError),
    ("data_out", lambda np: (2.0, np.ones(3)), tp.errors.NonScalarOutputError),
])
def test_jacobian_of_arrays_is_refused_with_a_pointer_to_vjp_and_jvp(tmp_path, mode, name, args, error):
    import numpy as np

    from .helpers import import_source

    f = getattr(import_source(JACOBIANS, tmp_path, "jacobians"), name)
    with pytest.raises(error, match=f"jacobian of '{name}'.*not supported yet.*vjp.*jvp"):
        tp.jacobian(f, mode=mode)(*args(np))


@pytest.mark.parametrize("mode", ["reverse", "forward", "auto"])
def test_jacobian_of_list_outputs(tmp_path, mode):
    from .helpers import import_source

    module = import_source(JACOBIANS, tmp_path, "jacobians")
    dx, dy = tp.jacobian(module.list_out, wrt=(0, 1), mode=mode)(2.0, 3.0)
    assert dx.tolist() == [3.0, 1.0] and dy.tolist() == [2.0, 1.0]
    assert tp.jacobian(module.built_list, mode=mode)(2.0, 3).tolist() == [0.0, 1.0, 2.0]
    dx, dy = tp.jacobian(module.tuple_variable, wrt=(0, 1), mode=mode)(2.0, 3.0)
    assert dx.tolist() == [3.0, 1.0] and dy.tolist() == [2.0, -1.0]


def test_wrt_names_a_method_parameter_as_the_source_spells_it(tmp_path):
    from .helpers import import_source

    module = import_source("class C:\n    def m(self, x, __y):\n        return x * __y * __y\n"
                           "class _D:\n    @staticmethod\n    def s(__a, b):\n        return __a * b\n", tmp_path, "mangled")
    assert tp.grad(module.C.m, wrt="__y")(None, 2.0, 3.0) == tp.grad(module.C.m, wrt=2)(None, 2.0, 3.0) == 12.0
    assert tp.grad(module.C.m, wrt=("x", "__y"), mode="forward")(None, 2.0, 3.0) == (9.0, 12.0)
    assert tp.grad(module._D.s, wrt="__a")(2.0, 3.0) == 3.0
    assert tp.hessian(module.C.m, wrt="__y")(None, 2.0, 3.0) == 4.0
    with pytest.raises(tp.errors.WrtError, match=r"it has \(self, x, __y\)"):
        tp.grad(module.C.m, wrt="y")
