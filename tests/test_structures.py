"""Lists, tuples and dicts: gradients mirror the arguments and agree with central differences."""

import copy
import random

import numpy as np
import pytest

import transpile as tp

from . import functions, structures
from .helpers import (assert_same_structure_close, leaf, leaf_paths, module_imports, structured_difference,
                      with_leaf)


def case_id(case):
    func, _, wrt = case
    return f"{func.__name__}-{'-'.join(map(str, wrt))}"


@pytest.mark.parametrize("case", structures.CASES, ids=case_id)
@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "raw"])
def test_reverse_mode_matches_differences_leaf_by_leaf(case, optimize):
    func, args, wrt = case
    gradients = tp.grad(func, wrt=wrt, optimize=optimize)(*copy.deepcopy(args))
    for position, gradient in zip(wrt, gradients):
        assert_same_structure_close(gradient, structured_difference(func, args, position))


@pytest.mark.parametrize("case", structures.CASES, ids=case_id)
def test_forward_mode_matches_differences_along_a_random_direction(case):
    func, args, _ = case
    rng = random.Random(1)
    tangents = []
    for arg in args:
        tangent = arg
        for path in leaf_paths(arg):
            tangent = with_leaf(tangent, path, rng.uniform(-1.0, 1.0))
        tangents.append(tangent if leaf_paths(arg) else 0.0)
    h = 1e-6

    def moved(sign):
        return [arg if not leaf_paths(arg) else _moved(arg, tangent, sign * h) for arg, tangent in zip(args, tangents)]

    value, derivative = tp.jvp(func, copy.deepcopy(args), tangents)
    assert value == func(*args)
    expected = (func(*moved(1)) - func(*moved(-1))) / (2 * h)
    assert derivative == pytest.approx(expected, rel=1e-5, abs=1e-7)


def _moved(arg, tangent, step):
    for path in leaf_paths(arg):
        arg = with_leaf(arg, path, leaf(arg, path) + step * leaf(tangent, path))
    return arg


@pytest.mark.parametrize("case", structures.CASES, ids=case_id)
def test_value_is_exact_and_arguments_are_untouched(case):
    func, args, wrt = case
    given = copy.deepcopy(args)
    value, _ = tp.value_and_grad(func, wrt=wrt)(*given)
    assert value == func(*args)
    assert given == args


def test_the_issue_example_returns_a_dict():
    data = [(1.0, 2.0), (2.0, 3.5), (3.0, 7.0)]
    gradient = tp.grad(structures.loss)({"w": 0.5, "b": 0.1}, data)
    assert set(gradient) == {"w", "b"}
    assert_same_structure_close(gradient, structured_difference(structures.loss, ({"w": 0.5, "b": 0.1}, data), 0))


def test_tuple_gradients_are_tuples_and_int_leaves_are_none():
    gradient = tp.grad(structures.reads_nested_dicts)({"a": {"x": 1.2, "unused": 3}, "b": (0.3, 0.4)})
    assert isinstance(gradient["b"], tuple)
    assert gradient["a"]["unused"] is None


def test_vjp_of_a_function_returning_a_list():
    def pairs(x, y):
        return [x * y, x + y]

    value, pullback = tp.vjp(pairs, 2.0, 3.0)
    assert value == [6.0, 5.0]
    cotangent = [1.0, 10.0]
    assert pullback(cotangent) == (3.0 + 10.0, 2.0 + 10.0)
    assert cotangent == [1.0, 10.0]  # the caller's cotangent is not updated in place


def test_forward_mode_gradient_of_a_structure_is_refused():
    with pytest.raises(tp.TranspileError, match="reverse"):
        tp.grad(structures.sums_a_list, mode="forward")([1.0, 2.0])


def test_grad_of_a_list_output_points_to_vjp():
    with pytest.raises(tp.TranspileError, match="vjp"):
        tp.grad(_returns_list)


def _returns_list(x):
    return [x, 2.0 * x]


def test_generated_code_for_structures_imports_only_runtime_helpers():
    imports = module_imports(tp.source(structures.loss))
    assert len(imports) == 1 and imports[0].startswith("from transpile.runtime import ")


def test_an_int_argument_has_no_gradient():
    with pytest.raises(tp.TranspileError, match="'x'.*int"):
        tp.grad(structures.indexes_with_an_int_argument, wrt=(0, 2))((0.5, 1.2), 1, 2)
    with pytest.raises(tp.TranspileError, match="'k'.*int"):
        tp.value_and_grad(structures.indexes_with_an_int_argument, wrt="k")((0.5, 1.2), 1, 2.0)
    assert tp.grad(structures.indexes_with_an_int_argument, wrt=2)((0.5, 1.2), 1, 2.0) == 1.2


SCALAR_CASES = [(f, args, wrt) for f, args, wrt in structures.CASES if all(isinstance(args[i], float) for i in wrt)]


@pytest.mark.parametrize("case", SCALAR_CASES, ids=case_id)
def test_hessians_through_structures_match_differences_of_the_gradient(case):
    func, args, wrt = case
    hessian = tp.hessian(func, wrt=wrt)(*args)
    gradient = tp.grad(func, wrt=wrt)
    h = 1e-6
    for row, position in enumerate(wrt):
        up, down = list(args), list(args)
        up[position] += h
        down[position] -= h
        expected = [(a - b) / (2 * h) for a, b in zip(gradient(*up), gradient(*down))]
        assert list(hessian[row]) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_reverse_over_reverse_through_a_loop_points_to_hessian():
    with pytest.raises(tp.TranspileError, match="hessian"):
        tp.grad(tp.grad(functions.simulate))(0.5, 0.3, 1.2, 10)


# Found by review: each once returned a wrong value or a raw traceback.
def loops_over_a_built_list(x, y):
    vals = [x * y, x * x]
    total = 0.0
    for v in vals:
        total += v * v
    return total


def keeps_a_variable_named_result(xs, x):
    result = x * 2.0
    for v in xs:
        if v > 1.0:
            return v * result
    return result * x


def filters_to_bare_names(xs):
    return sum([y for y in xs if y > 0.2])


def concatenates(x, xs):
    return sum([x] + xs)


def appends_after_storing(x, y):
    inner = [x]
    outer = [inner]
    inner.append(y)
    return sum(outer[0])


def loops_over_a_dict(d):
    total = 0.0
    for key in d:
        total += d[key] * d["a"]
    return total


def ignores_a_list(xs, y):
    return y * y


def indexes_with_int_arithmetic(xs, k):
    return xs[k - 1] * xs[0]


def test_review_regressions_give_the_right_numbers():
    hessian = tp.hessian(loops_over_a_built_list, wrt=(0, 1))(0.7, 1.3)
    assert hessian.ravel().tolist() == pytest.approx([9.26, 3.64, 3.64, 0.98])
    assert tp.jvp(tp.grad(structures.squares_in_a_comprehension), ([0.5, 2.0],), ([1.0, 0.0],))[1] == [2.0, 0.0]
    assert tp.grad(keeps_a_variable_named_result, wrt=1)([0.5, 0.7], 0.3) == pytest.approx(1.2)
    assert tp.value_and_grad(keeps_a_variable_named_result, wrt=1)([0.5, 0.7], 0.3)[0] == \
        keeps_a_variable_named_result([0.5, 0.7], 0.3)
    for optimize in (True, False):
        assert tp.grad(filters_to_bare_names, optimize=optimize)([0.5, 0.1]) == [1.0, 0.0]
    assert tp.hessian(ignores_a_list, wrt=1)([0.5, 2.0], 0.3) == pytest.approx(2.0)
    assert tp.jvp(indexes_with_int_arithmetic, ([0.5, 0.7], 2), ([1.0, 0.0], 0)) == (0.35, pytest.approx(0.7))


@pytest.mark.parametrize("func, args", [(concatenates, (0.5, [1.0])), (appends_after_storing, (0.5, 1.0)),
                                        (loops_over_a_dict, ({"a": 1.0, "b": 2.0},))])
def test_review_regressions_are_refused(func, args):
    with pytest.raises(tp.TranspileError):
        tp.grad(func)(*args)


def test_forward_mode_jacobian_and_hessian_refuse_a_list_at_run_time():
    for call in (lambda: tp.grad(ignores_a_list, mode="forward")([0.5, 2.0], 0.3),
                 lambda: tp.jacobian(structures.sums_a_list)([0.5, 2.0]),
                 lambda: tp.hessian(ignores_a_list)([0.5, 2.0], 0.3)):
        with pytest.raises(tp.TranspileError, match="list"):
            call()


def appends_in_a_loop_in_a_branch(xs, w):
    ys = [w]
    for v in xs:
        w = w * w
        ys.append(w * w)
    if w > 0.3:
        w = w * w
    else:
        for v in xs:
            ys.append(w * w)  # a branch whose only effect is a loop that appends
    return xs[0] * xs[0] + 0.5 * sum(ys) * ys[-1]


@pytest.mark.parametrize("w", [0.5, 0.95], ids=["else", "then"])
def test_a_branch_that_only_appends_in_a_loop_is_kept(w):
    """Found by the list property test on Python 3.13: DCE dropped such an `if`."""
    args = ([1.0, 1.0, 1.0], w)
    value, gradients = tp.value_and_grad(appends_in_a_loop_in_a_branch, wrt=(0, 1))(*copy.deepcopy(args))
    assert value == appends_in_a_loop_in_a_branch(*copy.deepcopy(args))
    for position, gradient in zip((0, 1), gradients):
        assert_same_structure_close(gradient, structured_difference(appends_in_a_loop_in_a_branch, args, position))


def _merges_a_dict(params, x):
    d = dict(params, b=x)
    return d["w"] * d["b"]


def _pairs_from_a_variable(x):
    pairs = [(0, x)]
    return dict(pairs)[0]


@pytest.mark.parametrize("func", [_merges_a_dict, _pairs_from_a_variable], ids=lambda f: f.__name__)
def test_dicts_whose_keys_are_not_seen_are_refused_clearly(func):
    """A dict built from a variable with keys added (or from pairs held in a variable) has keys the
    normalizer cannot see, so it cannot send each value's adjoint to its key."""
    with pytest.raises(tp.TranspileError, match="dict\\(...\\) (is supported with|of a list is not supported)"):
        tp.grad(func, wrt=len(func.__code__.co_varnames[:func.__code__.co_argcount]) - 1)(
            *(({"w": 0.5}, 0.3) if func is _merges_a_dict else (0.3,)))


def test_converted_structures_get_gradients_of_the_arguments_type():
    gradient = tp.grad(structures.converts_sequences)((0.5, 1.2, 0.9), 0.7)
    assert type(gradient) is tuple and all(type(g) is float for g in gradient)
    gradient = tp.grad(structures.copies_a_dict)({"w": 0.5, "b": 1.3})
    assert set(gradient) == {"w", "b"}


def concatenates_arguments(xs, ys):
    zs = xs + ys
    return zs[0] * zs[2]


def sums_a_concatenation(xs, ys):
    return sum(xs + ys) * xs[0]


def loops_over_a_concatenation(xs, ys):
    zs = xs + ys
    total = 0.0
    for z in zs:
        total = total + z * z
    return total


def indexes_a_repetition(xs):
    zs = xs * 2
    copy = zs
    return copy[3] * xs[0]


@pytest.mark.parametrize("func", [concatenates_arguments, sums_a_concatenation, loops_over_a_concatenation,
                                  indexes_a_repetition])
def test_arithmetic_whose_result_is_a_list_is_refused(func):
    """The result is indexed, summed or looped over, so the operands are lists: the numeric rule of `+`
    would give each operand the whole concatenation's gradient (it did)."""
    args = ([0.5, 2.0], [3.0, 4.0])[:func.__code__.co_argcount]
    for kind in (tp.grad, tp.value_and_grad):
        with pytest.raises(tp.TranspileError, match="concatenation"):
            kind(func, wrt=tuple(range(len(args))))(*args)


def test_the_same_arithmetic_on_arrays_is_differentiated():
    xs, ys = np.array([0.5, 2.0, 1.0]), np.array([3.0, 4.0, 1.0])
    dxs, dys = tp.grad(concatenates_arguments, wrt=(0, 1))(xs, ys)
    assert dxs.tolist() == dys.tolist() == [2.0, 0.0, 3.5]


def reads_the_last_before_appending(xs, w):
    ys = [w]
    z = 0.1 * ys[-1]
    for v in xs:
        ys.append(v * w)  # (not read again: the backward sweep has nothing of it to undo)
    return z * xs[0] + w * xs[1]


def test_a_negative_index_counts_from_the_end_the_list_has_when_read():
    """`ys[-1]` read before ys grows: the backward sweep's mirror has the final length, so the adjoint
    went to the last element appended, not to the one read."""
    xs, w = [0.5, 2.0], 0.7
    for optimize in (True, False):
        gradient = tp.grad(reads_the_last_before_appending, wrt=(0, 1), optimize=optimize)(xs, w)
        assert gradient[0] == pytest.approx([0.1 * w, w])
        assert gradient[1] == pytest.approx(0.1 * xs[0] + xs[1])
    assert tp.jvp(reads_the_last_before_appending, (xs, w), ([0.0, 0.0], 1.0))[1] == pytest.approx(0.1 * xs[0] + xs[1])


def appends_to_a_copy(x, y):
    ys = [x * y]
    zs = list(ys)
    zs.append(x)
    return zs[0] + zs[1] * y


def test_second_order_through_an_append_to_a_copied_list():
    """The gradient pops the mirror of the append and drops the value (`dzs.pop()`): reading that
    statement as an in-place mirror update raised IndexError."""
    assert tp.hessian(appends_to_a_copy, wrt=(0, 1))(0.7, 0.3).tolist() == [[0.0, 2.0], [2.0, 0.0]]
    assert tp.jvp(tp.grad(appends_to_a_copy, wrt=1), (0.7, 0.3), (1.0, 0.0))[1] == pytest.approx(2.0)
