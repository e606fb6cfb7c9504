"""NumPy: every rule against central differences (random shapes, broadcasting, size-1 axes), the
elementwise ones against SymPy, dtypes, refusals, and code specialised to argument kinds."""

import copy
import math

import numpy as np
import pytest

import transpile as tp
from transpile import numpy_rules, rules, symbolic
from transpile.array_runtime import inverse_or_zero

from . import array_functions
from .helpers import array_difference as numeric_gradient


def arguments(shapes, seed=0, dtype=float):
    rng = np.random.default_rng(seed)
    return [float(rng.uniform(0.2, 1.2)) if s is None else rng.uniform(0.2, 1.2, size=s).astype(dtype)
            for s in shapes]


def case_id(case):
    func, shapes, _ = case
    return f"{func.__name__}-{'-'.join('s' if s is None else 'x'.join(map(str, s)) for s in shapes)}"


@pytest.mark.parametrize("case", array_functions.CASES, ids=case_id)
def test_reverse_mode_matches_differences(case):
    func, shapes, wrt = case
    args = arguments(shapes)
    given = copy.deepcopy(args)
    value, gradients = tp.value_and_grad(func, wrt=wrt)(*given)
    assert value == func(*args)
    for position, gradient in zip(wrt, gradients):
        expected = numeric_gradient(func, args, position)
        if shapes[position] is None:
            assert type(gradient) is float
        else:
            assert gradient.shape == expected.shape and gradient.dtype == np.float64
        np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)
    for a, b in zip(given, args):  # the arguments are not changed
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", array_functions.CASES, ids=case_id)
def test_jvp_and_vjp_agree_with_differences_along_a_direction(case):
    func, shapes, _ = case
    args = arguments(shapes)
    directions = arguments(shapes, seed=1)
    h = 1e-6
    moved = [[a + sign * h * d for a, d in zip(args, directions)] for sign in (1, -1)]
    expected = (func(*moved[0]) - func(*moved[1])) / (2 * h)
    value, derivative = tp.jvp(func, tuple(args), tuple(directions))
    assert value == func(*args)
    assert derivative == pytest.approx(expected, rel=1e-5, abs=1e-6)
    _, pullback = tp.vjp(func, *args)
    adjoints = pullback(1.0)
    assert sum(float(np.sum(a * d)) for a, d in zip(adjoints, directions)) == pytest.approx(derivative, rel=1e-9)


ELEMENTWISE_TWINS = {**numpy_rules.MATH_TWINS, np.power: math.pow, np.abs: abs, np.absolute: abs, np.float64: float}


@pytest.mark.parametrize("func", sorted(ELEMENTWISE_TWINS, key=lambda f: f.__name__), ids=lambda f: f.__name__)
def test_elementwise_partials_match_sympy(func):
    """Each partial, evaluated with NumPy, equals SymPy's derivative of the same function."""
    rule = rules.rule_for(func, len(rules.rule_for(func, 2).params) if rules.rule_for(func, 2) else 1)
    params = rule.params
    symbols = symbolic.symbols_for(params)
    exact = symbolic.builder(ELEMENTWISE_TWINS[func])(*[symbols[p] for p in params])
    rng = np.random.default_rng(len(params))
    for _ in range(5):
        values = [float(rng.uniform(0.2, 0.9)) for _ in params]
        out = func(*values)
        for param, partial in zip(params, rule.partials):
            scope = {"np": np, "out": out, **dict(zip(params, values))}
            got = float(eval(compile(__import__("ast").Expression(body=partial), "<partial>", "eval"), scope))
            want = symbolic.evaluate(symbolic.diff(exact, symbols[param]), dict(zip(symbols.values(), values)))
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (func.__name__, param, values)


def test_every_elementwise_numpy_rule_is_checked_against_sympy():
    elementwise = {f for (f, _), r in rules.RULES.items() if f in numpy_rules.NUMPY_FUNCTIONS and r.elementwise
                   and r.differentiable}
    unchecked = elementwise - set(ELEMENTWISE_TWINS) - {np.square, np.reciprocal, np.negative, np.maximum,
                                                        np.minimum, np.where, np.clip, inverse_or_zero,
                                                        np.logaddexp}
    assert not unchecked, f"add a SymPy twin for {sorted(f.__name__ for f in unchecked)}"


def test_logaddexp_partials_match_sympy():
    import sympy

    x, y = sympy.symbols("x y")
    exact = sympy.log(sympy.exp(x) + sympy.exp(y))
    rule = rules.rule_for(np.logaddexp, 2)
    for a, b in ((0.3, -1.2), (2.5, 2.5), (-4.0, 1.0)):
        scope = {"np": np, "x": a, "y": b, "out": np.logaddexp(a, b)}
        for symbol, partial in zip((x, y), rule.partials):
            got = eval(compile(__import__("ast").Expression(body=partial), "<partial>", "eval"), scope)
            assert got == pytest.approx(float(sympy.diff(exact, symbol).subs({x: a, y: b})), rel=1e-12)


def test_inverse_or_zero_is_a_reciprocal_with_a_zero_at_zero():
    import sympy

    s = sympy.Symbol("s")
    rule = rules.rule_for(inverse_or_zero, 1)
    for value in (0.3, 1.7, -2.5):
        got = eval(compile(__import__("ast").Expression(body=rule.partials[0]), "<partial>", "eval"),
                   {"out": inverse_or_zero(value)})
        assert got == pytest.approx(float(sympy.diff(1 / s, s).subs(s, value)), rel=1e-12)
    assert inverse_or_zero(0.0) == 0.0 and list(inverse_or_zero(np.array([0.0, 2.0]))) == [0.0, 0.5]


def test_float32_in_float32_out():
    args = arguments(((5, 4), (4,), (4, 3), (8, 5), (8, 3)), dtype=np.float32)
    gradients = tp.grad(array_functions.mlp_loss, wrt=(0, 1, 2))(*args)
    assert [g.dtype for g in gradients] == [np.float32] * 3
    expected = tp.grad(array_functions.mlp_loss, wrt=(0, 1, 2))(*[a.astype(float) for a in args])
    for g, e in zip(gradients, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_float32_tangents_stay_float32():
    args = arguments(((3, 4), (3, 4)), dtype=np.float32)
    value, tangent = tp.jvp(array_functions.elementwise, tuple(args), tuple(args))
    assert value.dtype == tangent.dtype == np.float32


def test_a_0d_array_gets_a_0d_array_gradient():
    args = [np.array(0.7), np.array([0.5, 1.5])]
    gradients = tp.grad(array_functions.scalar_times_array, wrt=(0, 1))(*args)
    assert type(gradients[0]) is np.ndarray and gradients[0].shape == ()
    np.testing.assert_allclose(gradients[0], numeric_gradient(array_functions.scalar_times_array, args, 0))


def test_second_order_through_a_0d_array():
    def cube(x):
        return np.sum(x * x * x)

    x, v = np.array(0.5), np.array(2.0)
    _, derivative = tp.jvp(tp.grad(cube), (x,), (v,))
    assert derivative.shape == () and float(derivative) == pytest.approx(6 * 0.5 * 2.0)


def test_int_arithmetic_in_indices_keeps_ints():
    def indexes_by_difference(x, n):
        total = 0.0
        for i in range(n - n + 2):
            total = total + x[n - n + i] * x[0 * n]
        return total

    x = np.array([0.5, 0.7, 0.9])
    np.testing.assert_allclose(tp.grad(indexes_by_difference)(x, 1), [2 * 0.5 + 0.7, 0.5, 0.0])


def test_tangents_of_elementwise_code_need_no_broadcasting():
    args = arguments(((3, 4), (3, 4)))
    text = tp.api.Specialized(array_functions.elementwise, "jvp", (0, 1), True, "reverse").source(*args, *args)
    assert "broadcast_to" not in text


def test_integer_arrays_have_no_gradient():
    with pytest.raises(tp.TranspileError, match="int"):
        tp.grad(array_functions.logsumexp)(np.arange(3))


def test_forward_mode_gradient_of_an_array_is_refused():
    with pytest.raises(tp.TranspileError, match="reverse"):
        tp.grad(array_functions.logsumexp, mode="forward")(np.ones(3))


def test_code_is_specialised_to_argument_kinds():
    gradient = tp.grad(array_functions.broadcasting, wrt=(0, 1, 2))
    for shapes in (((3, 1), (4,), (2, 3, 4)), ((2, 3, 4), (3, 4), (1,)), (None, None, None)):
        args = arguments(shapes)
        for position, g in zip(range(3), gradient(*args)):
            np.testing.assert_allclose(g, numeric_gradient(array_functions.broadcasting, args, position),
                                       rtol=1e-5, atol=1e-6)
    assert len(gradient.by_kinds) == 3


def test_generated_source_reads_like_a_backward_pass():
    args = arguments(((5, 4), (4,), (4, 3), (8, 5), (8, 3)))
    text = tp.source(array_functions.mlp_loss, wrt=(0, 1, 2), args=args)
    assert "x.T @" in text and ".sum(axis=0)" in text
    with pytest.raises(tp.TranspileError, match="example arguments"):
        tp.source(array_functions.mlp_loss, wrt=(0, 1, 2))


def test_hessian_vector_product_through_numpy():
    def hvp(x, v):
        return tp.jvp(tp.grad(array_functions.logsumexp), (x,), (v,))[1]

    x, v = np.array([0.1, 0.5, -0.3]), np.array([1.0, 0.0, 2.0])
    p = np.exp(x - np.max(x))
    p /= p.sum()
    np.testing.assert_allclose(hvp(x, v), p * v - p * (p @ v), rtol=1e-9)


@pytest.mark.parametrize("func, shapes", array_functions.REFUSED, ids=lambda v: getattr(v, "__name__", ""))
def test_unsupported_array_code_is_refused_clearly(func, shapes):
    with pytest.raises(tp.TranspileError):
        tp.grad(func, wrt=tuple(range(len(shapes))))(*arguments(shapes))


def test_vjp_leaves_the_callers_arrays_alone():
    def writes(x, v):
        x = x.copy()  # (writing into the argument itself is refused: test_aliasing)
        x[1:] += v
        return np.sum(x ** 2)

    from .helpers import import_source  # noqa: F401  (writes lives in this file: inspect finds it)
    x, v = np.array([1.0, 2.0, 3.0, 4.0]), 0.5
    _, pullback = tp.vjp(writes, x, v)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(pullback(1.0)[0], tp.grad(writes)(x, v))
    np.testing.assert_allclose(tp.grad(writes)(x, v), 2 * (x + [0.0, v, v, v]))


def test_gradients_are_writable_arrays():
    def summed(x):
        return np.sum(np.sum(x, axis=0) ** 2)

    gradient = tp.grad(summed)(np.ones((2, 3)))
    gradient *= 0.1  # not a read-only broadcast view
    np.testing.assert_allclose(gradient, np.full((2, 3), 0.4))


def test_second_order_through_a_uniform_seed():
    def quartic(x):
        return np.sum(x ** 4 + np.sin(x))

    x, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 0.5])
    np.testing.assert_allclose(tp.jvp(tp.grad(quartic), (x,), (v,))[1], (12 * x ** 2 - np.sin(x)) * v, rtol=1e-12)


# Helpers of generated code with no derivative rule yet: second order through them is refused.
NO_SECOND_ORDER = {"reductions": "product_of_others"}


@pytest.mark.parametrize("case", array_functions.CASES, ids=case_id)
def test_hessian_vector_products_match_differences_of_the_gradient(case):
    func, shapes, wrt = case
    args, directions = arguments(shapes), arguments(shapes, seed=1)
    gradient = tp.grad(func, wrt=wrt)
    if func.__name__ in NO_SECOND_ORDER:
        with pytest.raises(tp.errors.NoRuleError, match=NO_SECOND_ORDER[func.__name__]):
            tp.jvp(gradient, tuple(args), tuple(directions))
        return
    h = 1e-5
    moved = [gradient(*[a + sign * h * d for a, d in zip(args, directions)]) for sign in (1, -1)]
    _, derivative = tp.jvp(gradient, tuple(args), tuple(directions))
    for got, plus, minus in zip(derivative, *moved):
        np.testing.assert_allclose(got, (plus - minus) / (2 * h), rtol=1e-4, atol=1e-5)


def test_row_adjoints_are_added_in_place_in_a_loop():
    text = tp.source(array_functions.slices_rows, args=(np.ones((3, 4)),))
    assert text.count("np.zeros_like(x)") == 1 and "dx[index] += " in text  # one array, O(n) not O(n²)


def test_gradients_never_share_the_callers_arrays():
    def dot(w, x):
        return w @ x

    def both(x, y):
        return np.sum(np.sin(x + y))

    w, x = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    dw = tp.grad(dot)(w, x)
    dw *= 0.5  # (a caller's in-place step)
    np.testing.assert_array_equal(x, [4.0, 5.0, 6.0])
    dx, dy = tp.grad(both, wrt=(0, 1))(w, x)
    assert dx is not dy and not np.shares_memory(dx, dy)
    _, pullback = tp.vjp(lambda_free_identity, x)
    cotangent = np.ones(3)
    assert not np.shares_memory(pullback(cotangent)[0], cotangent)


def lambda_free_identity(x):
    return x * 1.0


def test_second_order_keeps_float32():
    x = arguments(((3, 4),), dtype=np.float32)[0]
    v = arguments(((3, 4),), seed=1, dtype=np.float32)[0]
    _, product = tp.jvp(tp.grad(array_functions.slices_rows), (x,), (v,))
    _, expected = tp.jvp(tp.grad(array_functions.slices_rows), (x.astype(float),), (v.astype(float),))
    np.testing.assert_allclose(product, expected, rtol=1e-4)


def test_second_order_through_a_slice_from_an_argument():
    def tail(x, i):
        return np.sum(x[i:] ** 3)

    x, v = np.array([0.5, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    _, product = tp.jvp(tp.grad(tail), (x, 1), (v, 0.0))
    np.testing.assert_allclose(product, [0.0, 6.0, 12.0])


def test_the_trace_of_a_stack_has_tangents_of_a_stack():
    x, t = arguments(((2, 3, 3), (2, 3, 3)))
    value, tangent = tp.jvp(array_functions.traces_a_stack, (x,), (t,))
    assert value == pytest.approx(np.sum(np.trace(x))) and tangent == pytest.approx(np.sum(np.trace(t)))


def test_reverse_over_the_gradient_of_an_unknown_rank_product_is_refused():
    a, b = arguments(((6,), (3, 2)))
    _, pullback = tp.vjp(tp.grad(array_functions.reshapes_then_multiplies, wrt=(0, 1)), a, b)
    with pytest.raises(tp.errors.NoRuleError, match="Hessian-vector"):
        pullback((np.ones(6), np.ones((3, 2))))


def _concatenates(xs):
    return np.sum(np.concatenate(xs) ** 2)


def _stacks(xs):
    return np.sum(np.stack(xs, axis=1) ** 3)


def _arrays_of(xs):
    return np.sum(np.array(xs) ** 3)


def _sums(xs):
    return np.sum(xs) * xs[0]


@pytest.mark.parametrize("func", [_concatenates, _stacks, _arrays_of, _sums], ids=lambda f: f.__name__)
@pytest.mark.parametrize("container", [tuple, list])
def test_a_sequence_passed_whole_to_numpy_gets_a_gradient_of_its_own_type(func, container):
    """API.md: a tuple for a tuple (np.concatenate once gave a list), a float for each float leaf."""
    if func in (_concatenates, _stacks):
        rows = [np.array([0.3, 0.5]), np.array([0.7, 0.2])]
    else:
        rows = [0.3, 0.5, 0.8]
    xs = container(rows)
    gradient = tp.grad(func)(xs)
    assert type(gradient) is container and len(gradient) == len(xs)
    for position, (got, row) in enumerate(zip(gradient, rows)):
        assert type(got) is type(row)
        h, moved = 1e-6, []
        for sign in (1, -1):
            changed = list(rows)
            changed[position] = row + sign * h * (np.ones_like(row) if isinstance(row, np.ndarray) else 1.0)
            moved.append(func(container(changed)))
        assert np.sum(got) == pytest.approx((moved[0] - moved[1]) / (2 * h), rel=1e-5)


def _fills_an_int_array(x, a):
    return np.sum(np.full_like(np.arange(3), x) * a) + np.sum(np.full_like(a, x) * a)


def test_full_like_of_an_int_array_truncates_so_has_no_derivative_in_the_value():
    x, a = 0.7, np.array([0.3, 0.5, 0.9])
    assert tp.grad(_fills_an_int_array)(x, a) == pytest.approx(float(np.sum(a)))
    assert tp.jvp(_fills_an_int_array, (x, a), (1.0, np.zeros(3)))[1] == pytest.approx(float(np.sum(a)))


def _counts_from_an_argument(x, n):
    return np.sum(np.linspace(0.0, x, n))


def test_an_int_count_given_to_jvp_is_no_dropped_derivative():
    """`jvp` takes every argument, so an int count or index is differentiated there too; its derivative
    is truly zero (`rules.COUNT_PARAMETERS`), and it was refused as a dropped one."""
    assert tp.jvp(_counts_from_an_argument, (2.0, 5), (1.0, None))[1] == pytest.approx(2.5)
    assert tp.grad(_counts_from_an_argument)(2.0, 5) == pytest.approx(2.5)


# Parameters without an adjoint that take counts, axes, shapes, indices or flags: an active value there is
# refused (NumPy would raise anyway); any other parameter without an adjoint must be declared constant.
def test_every_argument_without_a_derivative_is_a_count_or_declared_constant():
    """The audit of issue 12: a value argument (a fill value, a start) without an adjoint would silently
    get a zero gradient, unless the function is truly constant there (`Rule.constant`)."""
    undeclared = {(rules.SPELLING.get(rule.func, rule.func), rule.params[i])
                  for rule in rules.RULES.values() if rule.adjoints is not None
                  for i, adjoint in enumerate(rule.adjoints)
                  if adjoint is None and i not in rule.constant
                  and not (rule.func is np.swapaxes and rule.params[i] in ("a", "b"))}
    assert not undeclared
    assert all(rule.constant == tuple(range(len(rule.params))) for rule in rules.RULES.values()
               if rule.partials is not None and not rule.differentiable)


def masked(v):
    return np.sum(v * (v > 0.5))


def doubled_mask(v):
    mask = v > 0.5
    k = mask + mask  # (logical or: still bools)
    return np.sum(k * v)


def counted(v, n):
    k = n * 2
    return np.sum(k * v)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("func", [masked, doubled_mask, counted])
def test_a_gradient_read_off_bools_or_ints_has_the_arguments_dtype(func, dtype):
    """Kinds know comparisons give bools (they called them floats, so `k * 1.0 -> k` returned a bool array)."""
    v = np.array([0.6, 0.7, 0.2], dtype=dtype)
    args = (v, np.array([1, 2, 3]))[:func.__code__.co_argcount]
    for optimize in (True, False):
        gradient = tp.grad(func, optimize=optimize)(*args)
        assert gradient.dtype == dtype
        assert np.allclose(gradient, numeric_gradient(func, args, 0), atol=1e-3)


def merges_a_broadcast_operand(c, r):
    if np.max(r) < 0.9:
        v = np.square(c) - r
    else:
        v = c * 0.5 + r  # (c's adjoint is constant here: its tangent is zero on this path)
    return np.sum(v)


def ignores_its_argument(x):
    return np.ones(3) * 2.0


@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_a_zero_tangent_of_an_array_has_its_shape(scale):
    """A tangent that is zero on one branch was merged as the number 0.0 (so a Hessian-vector product
    of a (3, 1) argument came back as a number), and a tangent folded to zero was returned as one."""
    c, r = np.array([[0.7], [0.4], [0.2]]), scale * np.array([0.7, 0.8, 0.2, 1.1])
    products = tp.jvp(tp.grad(merges_a_broadcast_operand, wrt=(0, 1)), (c, r), (np.ones_like(c), np.ones_like(r)))[1]
    assert [np.shape(p) for p in products] == [c.shape, r.shape]
    expected = (2.0 * 4 if scale == 0.5 else 0.0) * np.ones_like(c)
    assert np.allclose(products[0], expected) and np.allclose(products[1], 0.0)
    assert np.shape(tp.jvp(ignores_its_argument, (0.5,), (1.0,))[1]) == (3,)


FLOAT64_TENTH = np.float64(0.1)


def scales_by_a_float64_constant(x):
    return np.sum(np.float64(0.1) * x) + np.sum(x * x) * FLOAT64_TENTH


def test_a_float64_constant_keeps_float32_code_in_float64_as_in_f():
    """A float64 constant was written as a Python float, which NumPy treats as weak: float32 arrays
    times it stayed float32, so the value differed from f's and the gradient was computed in float32."""
    x = np.array([0.3, 0.7, 1.1], dtype=np.float32)
    value, gradient = tp.value_and_grad(scales_by_a_float64_constant)(x)
    expected = scales_by_a_float64_constant(x)
    assert type(value) is type(expected) and value == expected
    assert gradient.dtype == np.float32
    assert np.allclose(gradient, 0.1 + 0.2 * x.astype(np.float64), rtol=1e-6)
    assert tp.jvp(scales_by_a_float64_constant, (x,), (np.ones(3, np.float32),))[0] == expected


def merges_a_folded_zero(r, q):
    v1 = np.matmul(r, r)
    if np.sum(q) > 4.0:
        v2 = np.maximum(q, v1) * 0.7  # (q's adjoint does not move with q here: its tangent folds to 0.0)
    else:
        v2 = np.cos(v1) * q
    return np.sum(v2) + np.sum(v1 * v1)


@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_a_tangent_folded_to_zero_on_one_branch_has_its_shape(scale):
    r, q = np.array([0.9, 0.6, 0.3, 0.2]), scale * np.array([[0.3, 0.5, 0.4], [0.4, 0.4, 0.5], [0.5, 0.6, 1.1]])
    dr, dq = np.array([0.1, -0.2, 0.3, 0.1]), np.full_like(q, 0.5)
    gradient = tp.grad(merges_a_folded_zero, wrt=(0, 1))
    products = tp.jvp(gradient, (r, q), (dr, dq))[1]
    h = 1e-6
    ahead, behind = gradient(r + h * dr, q + h * dq), gradient(r - h * dr, q - h * dq)
    for product, a, b, value in zip(products, ahead, behind, (r, q)):
        assert np.shape(product) == value.shape
        assert np.allclose(product, (a - b) / (2 * h), atol=1e-5)


def repeats_rows_of_a_value_of_unknown_kind(q, c):
    v = np.linalg.inv(q + 3.0 * np.eye(3)) @ c  # (np.eye's kind is left to run time)
    picked = v[np.array([1, 0, 1])]
    return np.sum(picked) + np.sum(picked * picked)


def test_an_index_that_repeats_a_row_of_a_value_of_unknown_kind_adds_every_adjoint():
    """Where the kinds cannot tell an array, the adjoint of `v[[1, 0, 1]]` goes through the mirror
    helper `add_at`, which assigned `total[index] = total[index] + term`: NumPy's buffered fancy
    assignment kept only the last term for row 1 (found by the fuzzer soak)."""
    rng = np.random.default_rng(0)
    q, c = rng.uniform(0, 1, (3, 3)), rng.uniform(0, 1, (3, 1))
    for optimize in (True, False):
        dq, dc = tp.grad(repeats_rows_of_a_value_of_unknown_kind, wrt=(0, 1), optimize=optimize)(q, c)
        assert np.allclose(dq, numeric_gradient(repeats_rows_of_a_value_of_unknown_kind, (q, c), 0), atol=1e-6)
        assert np.allclose(dc, numeric_gradient(repeats_rows_of_a_value_of_unknown_kind, (q, c), 1), atol=1e-6)
