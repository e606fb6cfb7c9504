"""Every corpus function, every wrt combination, optimized or not, against central differences."""

import ast
import inspect
import itertools

import pytest

import transpile as tp
from transpile.normalize import normalize
from transpile.parse import parse
from transpile.reverse import active_names, reverse

from . import functions
from .helpers import assert_close, numeric_gradient, random_point


def positional(f):
    return [p for p in inspect.signature(f).parameters.values() if p.kind == p.POSITIONAL_OR_KEYWORD]


def wrt_choices(f):
    names = [p.name for p in positional(f)]
    choices = [(i,) for i in range(len(names))] + [tuple(names)]
    if len(names) > 2:
        choices.append(tuple(names[::-2]))
    return choices


CASES = [(f, wrt) for f in functions.CORPUS for wrt in wrt_choices(f)]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "raw"])
@pytest.mark.parametrize("f, wrt", CASES, ids=[f"{f.__name__}-{'-'.join(map(str, w))}" for f, w in CASES])
def test_gradient_matches_central_differences(f, wrt, optimize):
    params = [p.name for p in positional(f)]
    for seed in range(3):
        args = random_point(len(params), seed=seed)
        got = tp.grad(f, wrt=wrt, optimize=optimize)(*args)
        indices = [w if isinstance(w, int) else params.index(w) for w in wrt]
        assert isinstance(got, tuple) and len(got) == len(wrt)
        assert all(isinstance(g, float) for g in got), got
        assert_close(got, numeric_gradient(f, args, indices))


@pytest.mark.parametrize("f", functions.CORPUS, ids=lambda f: f.__name__)
def test_value_and_grad_returns_the_value_too(f):
    n = len(positional(f))
    args = random_point(n, seed=7)
    value, gradient = tp.value_and_grad(f, wrt=0)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    assert gradient == pytest.approx(tp.grad(f)(*args), rel=1e-12)


def test_single_wrt_gives_a_float_and_tuple_wrt_a_tuple():
    f = functions.quickstart
    assert isinstance(tp.grad(f, wrt="y")(0.3, 2.0), float)
    assert isinstance(tp.grad(f, wrt=("y",))(0.3, 2.0), tuple)


def test_zero_gradient_for_unused_and_piecewise_constant_inputs():
    assert tp.grad(functions.constant_output)(0.4) == 0.0
    assert tp.grad(functions.unused_values, wrt=0)(0.5, 0.7) == pytest.approx(0.7)


def test_activity_analysis_skips_values_independent_of_wrt():
    parsed = parse(functions.unused_values)
    body, _ = normalize(parsed)
    active = active_names(parsed, body[:-1], ("x",))
    assert "waste" not in active  # exp(y) does not depend on x
    assert "waste_1" in active


def test_backward_sweep_is_commented_with_the_source_line():
    text = tp.source(functions.quickstart, wrt=("x", "y"))
    assert "# grad of: t = math.sin(x) * y" in text
    assert "# grad of: return t * t + math.exp(t) / (1.0 + x * x)" in text


def test_defaults_and_keyword_only_parameters_are_kept():
    g = tp.grad(functions.defaults)
    assert g(1.5) == pytest.approx(6.0)
    assert g(1.5, 1.0, scale=2.0) == pytest.approx(2.0)


def test_reverse_body_without_optimization_is_normalized():
    from .helpers import assert_normalized

    parsed = parse(functions.quickstart)
    body, namer = normalize(parsed)
    stmts, gradients = reverse(parsed, body, namer, ("x", "y"), [ast.Constant(value=1.0)])
    assert_normalized(stmts)
    assert all(isinstance(g, ast.Name) for g in gradients)


@pytest.mark.parametrize("wrt", list(itertools.permutations(["x", "y"])))
def test_gradient_order_follows_wrt(wrt):
    g = tp.grad(functions.quickstart, wrt=wrt)(0.3, 2.0)
    dx, dy = tp.grad(functions.quickstart, wrt=("x", "y"))(0.3, 2.0)
    assert g == ((dx, dy) if wrt == ("x", "y") else (dy, dx))


def test_negative_constant_base_keeps_its_sign():
    for optimize in (True, False):
        assert tp.grad(functions.negative_constant_base, optimize=optimize)(3.0, 2) == pytest.approx(6.0 + 2.25)
        assert tp.grad(functions.negative_constant_base, optimize=optimize)(3.0, 3) == pytest.approx(-6.0 + 2.25)


def test_signed_zero_constants_are_not_merged():
    # d/dx [copysign(x, -0.0) + copysign(x, 0.0) + atan2(x, -0.0)] at x > 0: -1 + 1 + 0
    assert tp.grad(functions.signed_zeros)(0.5) == pytest.approx(0.0 + (-0.0 / (0.25 + 0.0)))
    assert tp.value_and_grad(functions.signed_zeros)(0.5)[0] == functions.signed_zeros(0.5)


def test_folding_constants_never_overflows():
    assert tp.grad(functions.large_constants)(1.0, 1e-300) == pytest.approx(1e100)


def test_int_valued_factors_still_give_float_gradients():
    dx = tp.grad(functions.int_factor)(1.5, 2.5)
    assert dx == 4.0 and isinstance(dx, float)


def test_value_is_bit_for_bit_the_functions():
    for x in (0.3, 5.0, 1e-3, 7.7):
        assert tp.value_and_grad(functions.bit_exact_value)(x)[0] == functions.bit_exact_value(x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("f", list(functions.LOOP_ARGUMENTS), ids=lambda f: f.__name__)
def test_loops_with_an_int_count(f, mode):
    count = functions.LOOP_ARGUMENTS[f]
    n = f.__code__.co_argcount - len(count)
    for seed in range(2):
        args = random_point(n, seed=seed) + list(count)
        wrt = tuple(range(n))
        got = tp.grad(f, wrt=wrt, mode=mode)(*args)
        assert_close(got, numeric_gradient(f, args, range(n)))
        assert tp.value_and_grad(f, wrt=wrt, mode=mode)(*args)[0] == f(*args)


def test_a_loop_that_runs_zero_times():
    assert tp.grad(functions.simulate, wrt=(0, 1))(0.5, 0.2, 3.0, 0) == (1.0, 0.4)


def test_reverse_loop_stores_only_the_carried_values_its_backward_pass_reads():
    text = tp.source(functions.simulate, wrt=("x", "v", "k"))
    # x is read by the derivative of the branch (`x > 0`, `k * x`); v enters linearly and is not needed
    assert text.count(".append(") == 1 and text.count(".pop()") == 1 and "x_1_tape" in text
    assert "reversed(range(" in text
    import re

    with_break = tp.source(functions.breaks_and_continues, wrt=("x", "y"))
    assert "broke" in with_break and not re.search(r"broke\w*_tape", with_break)  # the flag is not recorded


def test_the_index_keeps_python_semantics_after_the_loop():
    assert tp.value_and_grad(functions.index_after_loop)(0.7, 4)[0] == functions.index_after_loop(0.7, 4)
    assert tp.value_and_grad(functions.index_after_loop)(0.7, 0) == (0.0, 0.0)


def test_a_dead_loop_is_dropped_with_its_tape():
    for mode in ("reverse", "forward"):
        text = tp.source(functions.dead_loop, mode=mode)
        assert "for " not in text and "append" not in text


def test_second_order_through_a_value_bound_on_one_path():
    h = tp.hessian(functions.bound_on_one_path, wrt=(0, 1))(0.7, 1.3)
    assert h[0][1] == pytest.approx(4 * 0.7 * 1.3) and h[1][1] == pytest.approx(2 * 0.7 * 0.7)
