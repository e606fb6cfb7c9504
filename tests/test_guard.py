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


# Arguments of forms the code was not generated for, inside structures: each (structure, leaf, API)
# gives f's own value bit for bit and the central-difference gradient, shaped like the argument
# (an array of the leaf's dtype at an array leaf, a float at a number's), or a clear WrtError.
# Functions that show no sign of NumPy: the code is generated for numbers and structures.

def list_numbers(xs):
    return xs[0] * xs[1] + xs[0] / (1.0 + xs[1] * xs[1])


def tuple_numbers(xs):
    a, b = xs
    return a * b + a / (1.0 + b * b)


def dict_numbers(p):
    return p["a"] * p["b"] + p["a"] / (1.0 + p["b"] * p["b"])


def nested_numbers(xs):
    return xs[0][0] * xs[1][0] + xs[0][0] / (1.0 + xs[1][0] * xs[1][0])


def dict_of_lists_numbers(p):
    return p["a"][0] * p["b"][1] + p["a"][0] / (1.0 + p["b"][1] * p["b"][1])


def mixed_numbers(t):
    return t[0] * t[1] + t[0] / (1.0 + t[1] * t[1])


def list_vectors(xs):  # (sum: an array leaf needs a reduction to give one number)
    return sum(xs[0] * xs[1]) + sum(xs[0] / (1.0 + xs[1] * xs[1]))


def tuple_vectors(xs):
    a, b = xs
    return sum(a * b) + sum(a / (1.0 + b * b))


def dict_vectors(p):
    return sum(p["a"] * p["b"]) + sum(p["a"] / (1.0 + p["b"] * p["b"]))


def nested_vectors(xs):
    return sum(xs[0][0] * xs[1][0]) + sum(xs[0][0] / (1.0 + xs[1][0] * xs[1][0]))


def dict_of_lists_vectors(p):
    return sum(p["a"][0] * p["b"][1]) + sum(p["a"][0] / (1.0 + p["b"][1] * p["b"][1]))


def mixed_vectors(t):
    return sum(t[0] * t[1]) + sum(t[0] / (1.0 + t[1] * t[1]))


STRUCTURES = {  # name -> (function for numbers, for vectors, the argument from leaves a and b)
    "list": (list_numbers, list_vectors, lambda a, b: [a, b]),
    "tuple": (tuple_numbers, tuple_vectors, lambda a, b: (a, b)),
    "dict": (dict_numbers, dict_vectors, lambda a, b: {"a": a, "b": b}),
    "nested list": (nested_numbers, nested_vectors, lambda a, b: [[a], [b]]),
    "dict of lists": (dict_of_lists_numbers, dict_of_lists_vectors, lambda a, b: {"a": [a], "b": [0.25, b]}),
    "tuple of a leaf and a float": (mixed_numbers, mixed_vectors, lambda a, b: (a, 1.3)),
}
LEAVES = {  # name -> (make a leaf from a float, is it a vector, differentiable)
    "float64 array": (lambda v: np.array([v, v + 0.5]), True, True),
    "float32 array": (lambda v: np.array([v, v + 0.5], dtype=np.float32), True, True),
    "float32 and float64 arrays": (None, True, True),  # a float32 first leaf, float64 others
    "0-d array": (np.array, False, True),
    "np.float64": (np.float64, False, True),
    "np.float32": (np.float32, False, True),
    "np.int64": (lambda v: np.int64(round(v * 2)), False, False),
    "int": (lambda v: int(round(v * 2)), False, False),
    "bool": (lambda v: True, False, False),
}
APIS = ["grad", "value_and_grad", "vjp", "jvp", "hessian"]


def _leaf_argument(structure, leaf):
    make, vector, _ = LEAVES[leaf]
    if make is None:
        a, b = np.array([0.7, 1.2], dtype=np.float32), np.array([1.3, 1.8])
    else:
        a, b = make(0.7), make(1.3)
    return STRUCTURES[structure][2](a, b)


def _moved(value, path, step):
    """A copy of `value` whose entry `path` (keys, then an index into an array leaf) moved by `step`."""
    if isinstance(value, dict):
        return {k: _moved(v, path[1:], step) if k == path[0] else v for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_moved(v, path[1:], step) if i == path[0] else v for i, v in enumerate(value))
    if isinstance(value, np.ndarray):
        moved = value.astype(float)  # (steps in float64: a float32 leaf could not hold them)
        moved[path[0]] += step
        return moved
    return float(value) + step


def _entries(value, path=()):
    """(path, leaf) of every differentiable number: array entries and float leaves."""
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _entries(v, path + (k,))]
    if isinstance(value, (list, tuple)):
        return [e for i, v in enumerate(value) for e in _entries(v, path + (i,))]
    if isinstance(value, np.ndarray):
        return [(path + (index,), value) for index in np.ndindex(value.shape)]
    return [(path, value)]


def _entry(gradient, path):
    for key in path[:-1]:
        gradient = gradient[key]
    last = gradient[path[-1]] if not isinstance(path[-1], tuple) else gradient
    return last[path[-1]] if isinstance(path[-1], tuple) else last


def _assert_gradient(f, argument, gradient, direction=None):
    """`gradient` mirrors `argument` (dtype and shape at arrays, a float at numbers) and matches central
    differences of f (in float64); with `direction`, `gradient` is the directional derivative."""
    def same_form(g, a):
        assert type(g) is (type(a) if isinstance(a, (list, tuple, dict, np.ndarray)) else float), (g, a)
        if isinstance(a, dict):
            assert g.keys() == a.keys()
            for k in a:
                same_form(g[k], a[k])
        elif isinstance(a, (list, tuple)):
            assert len(g) == len(a)
            for x, y in zip(g, a):
                same_form(x, y)
        elif isinstance(a, np.ndarray):
            assert g.dtype == a.dtype and g.shape == a.shape, (g, a)

    tolerance = 2e-3 if "float32" in repr(argument) else 1e-6
    h = 1e-3 if "float32" in repr(argument) else 1e-6
    if direction is None:
        same_form(gradient, argument)
    total = 0.0
    for path, leaf in _entries(argument):
        numeric = (f(_moved(argument, path, h)) - f(_moved(argument, path, -h))) / (2 * h)
        if direction is None:
            assert _entry(gradient, path) == pytest.approx(numeric, rel=tolerance, abs=tolerance), path
        else:
            total += numeric * float(np.asarray(_entry(direction, path)))
    if direction is not None:
        assert gradient == pytest.approx(total, rel=tolerance, abs=tolerance)


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("leaf", list(LEAVES))
@pytest.mark.parametrize("structure", list(STRUCTURES))
def test_leaves_inside_structures(structure, leaf, api):
    numbers, vectors, _ = STRUCTURES[structure]
    f = vectors if LEAVES[leaf][1] else numbers
    argument = _leaf_argument(structure, leaf)
    expected = f(argument)
    if api == "hessian":  # one forward pass per number: structures are refused, clearly
        with pytest.raises(tp.errors.WrtError, match="hessian takes numbers"):
            tp.hessian(f)(argument)
        return
    if api == "jvp":  # a tangent like the argument
        value, derivative = tp.jvp(f, (argument,), (argument,))
        assert value == expected and type(value) is type(expected)
        _assert_gradient(f, argument, derivative, direction=argument)
        return
    if not LEAVES[leaf][2]:  # an int leaf the output depends on has no gradient: not a silent None
        with pytest.raises(tp.errors.WrtError, match=f"'{f.__name__}' with respect to .*no gradient"):
            {"grad": tp.grad(f), "value_and_grad": tp.value_and_grad(f),
             "vjp": lambda x: tp.vjp(f, x)[1](1.0)}[api](argument)
        return
    if api == "grad":
        gradient = tp.grad(f)(argument)
    elif api == "value_and_grad":
        value, gradient = tp.value_and_grad(f)(argument)
        assert value == expected and type(value) is type(expected)
    else:
        value, pullback = tp.vjp(f, argument)
        assert value == expected
        (gradient,) = pullback(1.0)
    _assert_gradient(f, argument, gradient)


def in_place_through_a_list(xs):
    a = xs[0]
    a += 1.0
    return sum(a) + sum(xs[0])


def fit(w, data):
    return sum((w * data[0] - data[1]) * (w * data[0] - data[1]))


def counted(p):
    t = 0.0
    for i in range(p["n"]):
        t = t + p["w"] * p["w"]
    return t


def test_an_array_in_a_list_is_never_computed_as_a_number():
    # (the code for numbers took `a` for a number: a raw TypeError, and the value 8.0 where f gives 10.0)
    with pytest.raises(tp.TranspileError, match="'a' may be the argument 'xs'.*copy"):
        tp.value_and_grad(in_place_through_a_list)([np.array([1.0, 2.0])])


def test_arrays_in_data_that_is_not_differentiated():
    data = [np.array([1.0, 2.0]), np.array([0.5, 1.0])]
    expected = 2 * np.sum((2.0 * data[0] - data[1]) * data[0])  # d/dw of the sum of squares at w = 2
    value, gradient = tp.value_and_grad(fit)(2.0, data)
    assert value == fit(2.0, data) and type(gradient) is float and gradient == pytest.approx(expected)
    assert tp.grad(fit, mode="forward")(2.0, data) == pytest.approx(expected)
    assert tp.hessian(fit)(2.0, data) == pytest.approx(2 * np.sum(data[0] ** 2))  # was [2., 8.]
    _, tangent = tp.jvp(tp.grad(fit), (2.0, data), (1.0, None))
    assert tangent == pytest.approx(2 * np.sum(data[0] ** 2))


def test_ints_that_count_keep_a_none_gradient_and_numpy_integers_are_ints():
    assert tp.grad(counted)({"n": 3, "w": 2.0}) == {"n": None, "w": 12.0}
    gradient = tp.grad(counted)({"n": np.int64(3), "w": np.array(2.0)})
    assert gradient["n"] is None and type(gradient["w"]) is np.ndarray and gradient["w"].shape == ()
    with pytest.raises(tp.errors.WrtError, match="'x'.*int64"):
        tp.grad(functions.quickstart)(np.int64(2), 0.5)
    with pytest.raises(tp.errors.WrtError, match="'x'.*bool"):
        tp.grad(functions.quickstart)(np.bool_(True), 0.5)


def test_the_leaf_check_is_in_the_first_line_and_structures_of_numbers_go_on():
    text = tp.source(list_numbers)
    assert "or not numbers_only(xs)" in text.splitlines()[text.splitlines().index("    \"\"\"") + 1]
    assert tp.grad(list_numbers)([0.7, 1.3]) == pytest.approx(
        [_entry_difference(list_numbers, [0.7, 1.3], i) for i in range(2)])
    assert tp.grad(list_numbers)([0.7, 1.3]).__class__ is list


def _entry_difference(f, xs, i, h=1e-6):
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)
