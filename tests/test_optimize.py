"""optimize: each pass alone on a small body, then the whole pipeline by operation counts."""

import ast

import pytest

import transpile as tp
from transpile import optimize as opt
from transpile.naming import Namer
from transpile.shapes import SCALAR, Array

from . import functions
from .helpers import count_operations


def body(text):
    return ast.parse(text).body


def show(stmts):
    return [ast.unparse(s) for s in stmts]


def test_fold_constants():
    assert show(opt.fold_constants(body("a = 2 * 3.0\nb = math.log(1.0)\nc = 1 / 0\nreturn a"))) == \
        ["a = 6.0", "b = 0.0", "c = 1 / 0", "return a"]


@pytest.mark.parametrize("before, after", [
    ("b = x * 1", "b = x"), ("b = 1 * x", "b = x"), ("b = x + 0", "b = x"), ("b = 0.0 + x", "b = x"),
    ("b = x * 0", "b = 0.0"), ("b = x / 1", "b = x"), ("b = x ** 1", "b = x"), ("b = x * -1", "b = -x"),
    ("b = x - 0", "b = x"), ("b = 0 - x", "b = -x"),
])
def test_simplify_identities_on_floats(before, after):
    assert show(opt.simplify(body(before), floats={"x"})) == [after]


def test_simplify_keeps_float_conversions_of_ints():
    assert show(opt.simplify(body("b = n * 1.0"))) == ["b = n * 1.0"]  # n may be an int


def test_simplify_double_negation_and_reciprocal():
    assert show(opt.simplify(body("a = -x\nb = -a\nc = y + a\nr = 1 / y\nd = x * r"), floats={"x", "y"})) == \
        ["a = -x", "b = x", "c = y - x", "r = 1.0 / y", "d = x / y"]


@pytest.mark.parametrize("before, after", [
    ("a = -x\nb = a + y", "b = y - x"), ("a = -x\nb = y - a", "b = y + x"),
    ("a = -x\nc = -y\nb = a * c", "b = x * y"), ("a = -x\nb = 3.0 * a", "b = -3.0 * x"),
    ("a = 2.0 * x\nb = a * 100.0", "b = 200.0 * x"), ("b = 2 * x", "b = 2.0 * x"), ("b = 1 - x", "b = 1.0 - x"),
])
def test_simplify_through_definitions(before, after):
    assert show(opt.simplify(body(before), floats={"x", "y"}))[-1] == after


def test_int_constants_stay_ints_next_to_values_of_unknown_type():
    assert show(opt.simplify(body("b = 2 * n"))) == ["b = 2 * n"]


def test_propagate_copies():
    assert show(opt.propagate_copies(body("a = x\nb = a * a\nreturn b"))) == ["b = x * x", "return b"]


def test_cse_merges_commutative_duplicates():
    assert show(opt.eliminate_common_subexpressions(body("a = x * y\nb = y * x\nc = x - y\nd = y - x"))) == \
        ["a = x * y", "b = a", "c = x - y", "d = y - x"]


def test_dce_keeps_only_what_reaches_the_return():
    assert show(opt.eliminate_dead_code(body("a = x * y\nb = math.exp(x)\nreturn a"))) == ["a = x * y", "return a"]


@pytest.mark.parametrize("before, after", [
    (["b = x ** 2"], ["b = x * x"]), (["b = x ** 2.0"], ["b = x * x"]), (["b = x ** -1"], ["b = 1.0 / x"]),
    (["b = x ** 3"], ["x_squared = x * x", "b = x_squared * x"]),
    (["b = x ** 4"], ["x_squared = x * x", "b = x_squared * x_squared"]),
    (["b = x ** 2.5"], ["b = x ** 2.5"]), (["b = x ** 7"], ["b = x ** 7"]),
])
def test_reduce_strength(before, after):
    assert show(opt.reduce_strength(body("\n".join(before)), Namer({"x", "b"}))) == after


def generated_tree(func, **kw):
    return ast.parse(tp.source(func, **kw))


def test_cse_computes_each_shared_subexpression_once():
    tree = generated_tree(functions.shared_subexpressions, wrt=("x", "y", "z"))
    calls = [ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert calls.count("math.sqrt") == 1 and calls.count("math.exp") == 1
    assert calls.count("math.sin") == 1 and calls.count("math.cos") == 1
    products = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.BinOp)]
    assert products.count("x * y") == 1


def test_dce_computes_only_adjoints_asked_for():
    only_x = count_operations(generated_tree(functions.quickstart, wrt="x"))
    both = count_operations(generated_tree(functions.quickstart, wrt=("x", "y")))
    assert only_x < both
    assert "math.exp(y)" not in tp.source(functions.unused_values, wrt="x")


def test_optimization_reduces_operations_on_every_corpus_function():
    for func in functions.CORPUS:
        raw = count_operations(generated_tree(func, optimize=False))
        optimized = count_operations(generated_tree(func))
        assert optimized <= raw, func.__name__


def test_no_zero_adjoints_or_unit_factors_in_optimized_output():
    for func in functions.CORPUS:
        for node in ast.walk(generated_tree(func)):
            if not isinstance(node, ast.BinOp):
                continue
            constants = [c.value for c in (node.left, node.right) if isinstance(c, ast.Constant)]
            if isinstance(node.op, ast.Mult):
                # `* 1.0` may stay: it makes an int-valued factor (a comparison, an int argument) a float
                assert 0 not in constants and not any(c == 1 and type(c) is int for c in constants), \
                    (func.__name__, ast.unparse(node))
            if isinstance(node.op, (ast.Add, ast.Sub)):
                assert 0 not in constants, (func.__name__, ast.unparse(node))


def test_simplify_uses_the_kinds_of_array_code():
    kinds = {"a": Array(1), "w": Array(1), "d": Array(1), "s": SCALAR, "x": SCALAR}
    code = body("s = np.sum(a, None, False)\nv = a / s\nt = np.sum(v, None, False)\nz = 0.0 * w\ne = d + z\n"
                "f = a - a\ng = x - x\nh = 0.0 * a\nreturn t")
    assert show(opt.simplify(code, arrays=True, kinds=kinds)) == [
        "s = np.sum(a, None, False)", "v = a / s", "t = 1.0", "z = 0.0 * w", "e = d", "f = a - a", "g = 0.0",
        "h = 0.0 * a", "return t"]


def test_zeros_that_would_broadcast_or_upcast_stay():
    kinds = {"d": Array(1), "w": Array(2), "f": Array(1, dtype="f"), "u": Array(1)}
    code = body("z = 0.0 * w\ne = d + z\ny = 0.0 * u\nk = f + y\nreturn e")
    assert show(opt.simplify(code, arrays=True, kinds=kinds))[1::2] == ["e = d + z", "k = f + y"]


def test_a_sum_is_reused_only_where_it_is_bound():
    kinds = {"a": Array(1), "c": SCALAR}
    code = body("if c > 0.0:\n    s = np.sum(a, None, False)\nv = a * c\nt = np.sum(v, None, False)\nreturn t")
    assert show(opt.simplify(code, arrays=True, kinds=kinds))[-2] == "t = np.sum(v, None, False)"


def test_the_users_own_statements_keep_x_minus_x():
    from transpile import ir

    code = ir.mark_exact(body("b = x - x\nc = x / x\nreturn b"))  # inf - inf is nan; an int stays an int
    assert show(opt.simplify(code, floats={"x"})) == ["b = x - x", "c = x / x", "return b"]
    assert show(opt.simplify(body("b = x - x\nc = x / x\nreturn b"), floats={"x"})) == [
        "b = 0.0", "c = 1.0", "return b"]
