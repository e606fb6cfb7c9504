"""The derivative table checked against SymPy, numerically, and end to end.

Every (callable, arity) in `rules.RULES` is tested automatically; a new rule
fails until it has an entry in DOMAIN below (where its partials are checked)
and a SymPy builder in `transpile.symbolic.BUILDERS`.
"""

import ast
import copy
import itertools
import math
import operator
import random
from typing import NamedTuple

import pytest

import transpile as tp
from transpile import ir, rules, symbolic
from transpile.numpy_rules import NUMPY_FUNCTIONS

from .helpers import assert_close, central_difference, import_source


class Ints(NamedTuple):
    """An argument that must be an integer (e.g. `round`'s ndigits): drawn from lo..hi."""
    lo: int
    hi: int


# Where each primitive is smooth (or, for piecewise-constant ones, where it is
# defined): one spec per argument, an interval (lo, hi), a list of intervals
# (one is picked at random), or Ints.  Kinks and jumps are avoided by measure
# (random points) or explicitly (abs away from 0).
ANY = (-3.0, 3.0)
POSITIVE = (0.2, 3.0)
NONZERO = [(-3.0, -0.3), (0.3, 3.0)]
UNIT = (-0.95, 0.95)
DOMAIN = {
    (operator.add, 2): (ANY, ANY),
    (operator.sub, 2): (ANY, ANY),
    (operator.mul, 2): (ANY, ANY),
    (operator.truediv, 2): (ANY, NONZERO),
    (operator.pow, 2): (POSITIVE, ANY),
    (operator.mod, 2): (ANY, NONZERO),
    (operator.neg, 1): (ANY,),
    (operator.pos, 1): (ANY,),
    (abs, 1): (NONZERO,),
    (max, 2): (ANY, ANY),
    (min, 2): (ANY, ANY),
    (float, 1): (ANY,),
    (pow, 2): (POSITIVE, ANY),
    (math.sin, 1): (ANY,),
    (math.cos, 1): (ANY,),
    (math.tan, 1): ((-1.4, 1.4),),
    (math.asin, 1): (UNIT,),
    (math.acos, 1): (UNIT,),
    (math.atan, 1): (ANY,),
    (math.atan2, 2): (ANY, ANY),
    (math.sinh, 1): (ANY,),
    (math.cosh, 1): (ANY,),
    (math.tanh, 1): (ANY,),
    (math.asinh, 1): (ANY,),
    (math.acosh, 1): ((1.05, 4.0),),
    (math.atanh, 1): (UNIT,),
    (math.exp, 1): (ANY,),
    (math.copysign, 2): (NONZERO, NONZERO),
    **({(math.cbrt, 1): (POSITIVE,), (math.exp2, 1): (ANY,)} if hasattr(math, "cbrt") else {}),
    (math.expm1, 1): (ANY,),
    (math.log, 1): ((0.1, 5.0),),
    (math.log, 2): ((0.1, 5.0), [(0.2, 0.8), (1.3, 5.0)]),
    (math.log1p, 1): ((-0.9, 3.0),),
    (math.log2, 1): ((0.1, 5.0),),
    (math.log10, 1): ((0.1, 5.0),),
    (math.sqrt, 1): ((0.05, 5.0),),
    (math.pow, 2): (POSITIVE, ANY),
    (math.hypot, 2): (ANY, ANY),
    (math.erf, 1): (ANY,),
    (math.erfc, 1): (ANY,),
    (math.fabs, 1): (NONZERO,),
    (math.degrees, 1): (ANY,),
    (math.radians, 1): (ANY,),
    # Piecewise constant: the derivative must be 0 wherever it exists.
    (math.floor, 1): (ANY,),
    (math.ceil, 1): (ANY,),
    (math.trunc, 1): (ANY,),
    (round, 1): (ANY,),
    (round, 2): (ANY, Ints(0, 3)),
    (int, 1): (ANY,),
    (bool, 1): (ANY,),
    (operator.lt, 2): (ANY, ANY),
    (operator.le, 2): (ANY, ANY),
    (operator.gt, 2): (ANY, ANY),
    (operator.ge, 2): (ANY, ANY),
    (operator.eq, 2): (ANY, ANY),
    (operator.ne, 2): (ANY, ANY),
    (operator.not_, 1): (ANY,),
    (operator.floordiv, 2): (ANY, NONZERO),
}

POINTS = 6  # random points per rule
H = 1e-6


def rule_id(key):
    func, arity = key
    spelled = rules.SPELLING.get(func) or f"operator.{func.__name__}"
    return f"{spelled}/{arity}"


ALL_RULES = sorted((k for k in rules.RULES if k[0] not in NUMPY_FUNCTIONS and k[0] not in rules.CHECKS), key=rule_id)
DIFFERENTIABLE = [k for k in ALL_RULES if rules.RULES[k].differentiable]


def sample(spec, rng):
    if isinstance(spec, Ints):
        return rng.randint(spec.lo, spec.hi)
    if isinstance(spec, list):
        spec = rng.choice(spec)
    lo, hi = spec
    return rng.uniform(lo, hi)


def points(key, count=POINTS):
    """Deterministic random points inside DOMAIN[key]; fails if there is no entry."""
    assert key in DOMAIN, (f"rule {rule_id(key)} has no DOMAIN entry in tests/test_rules.py: "
                           "add the region where it is smooth so its partials get checked")
    specs = DOMAIN[key]
    assert len(specs) == key[1], f"DOMAIN[{rule_id(key)}] has {len(specs)} specs for {key[1]} arguments"
    rng = random.Random(rule_id(key))
    return [[sample(s, rng) for s in specs] for _ in range(count)]


def evaluate_template(template, params, args, out):
    """A partial template's value at `args`, with `out` the primitive's value."""
    tree = ast.fix_missing_locations(ast.Expression(body=copy.deepcopy(template)))
    scope = {"math": math, "out": out, **dict(zip(params, args))}
    return float(eval(compile(tree, "<template>", "eval"), {"__builtins__": {}}, scope))


def steps_apart(func, args, index, h=H):
    up, down = list(args), list(args)
    up[index] += h
    down[index] -= h
    return func(*up), func(*down)


@pytest.mark.parametrize("key", ALL_RULES, ids=rule_id)
def test_rule_matches_sympy(key):
    """Each partial equals SymPy's derivative; a None partial means piecewise constant."""
    rule = rules.RULES[key]
    func, arity = key
    sample_points = points(key)
    symbols = symbolic.symbols_for(rule.params)
    syms = [symbols[p] for p in rule.params]
    exact = symbolic.builder(func)(*syms)
    derivatives = [symbolic.diff(exact, s) for s in syms]
    for args in sample_points:
        at = dict(zip(syms, args))
        out = func(*args)
        # The SymPy form is the primitive itself (else the comparison below means nothing).
        assert_close(symbolic.evaluate(exact, at), float(out), rel=1e-12, abs_=1e-12)
        for index, (param, partial) in enumerate(zip(rule.params, rule.partials)):
            where = f"d {rule_id(key)} / d {param} at {args}"
            if isinstance(DOMAIN[key][index], Ints):
                assert partial is None, f"{where}: an integer-only argument cannot have a partial"
                continue
            reference = symbolic.evaluate(derivatives[index], at)
            if partial is None:
                assert reference == 0, f"{where}: declared piecewise constant, SymPy says {reference}"
                up, down = steps_apart(func, args, index)
                assert up == down, f"{where}: declared piecewise constant, but f moves: {down} -> {up}"
                continue
            got = evaluate_template(partial, rule.params, args, out)
            assert math.isclose(got, reference, rel_tol=1e-9, abs_tol=1e-12), \
                f"{where}: template {ast.unparse(partial)!r} gives {got}, SymPy {derivatives[index]} gives {reference}"



# Points where a differentiable rule's primitive has a kink.  There the rule must
# give a subgradient (between the one-sided derivatives), and where the kink is a
# tie of two smooth pieces, the partials must add up along the diagonal.
KINKS = {
    (abs, 1): [(0.0,)],
    (math.fabs, 1): [(0.0,)],
    (max, 2): [(0.7, 0.7), (-1.2, -1.2)],
    (min, 2): [(0.7, 0.7), (-1.2, -1.2)],
}


@pytest.mark.parametrize("key", sorted(KINKS, key=rule_id), ids=rule_id)
def test_kinks_use_a_subgradient(key):
    rule = rules.RULES[key]
    func = key[0]
    h = 1e-7
    for args in KINKS[key]:
        out = func(*args)
        values = [evaluate_template(p, rule.params, args, out) for p in rule.partials]
        for index, value in enumerate(values):
            up, down = steps_apart(func, args, index, h)
            right, left = (up - out) / h, (out - down) / h
            assert min(left, right) - 1e-6 <= value <= max(left, right) + 1e-6, \
                f"d {rule_id(key)} / d {rule.params[index]} at {args}: {value} not in [{left}, {right}]"
        if len(args) == 2:  # f(t, t) is smooth: its derivative is the sum of the partials
            t = args[0]
            along = (func(t + h, t + h) - func(t - h, t - h)) / (2 * h)
            assert math.isclose(sum(values), along, rel_tol=1e-6), (key, args, values, along)


# --- end to end: tp.grad of a def calling each primitive ---------------------------------------

def _call(key, params):
    """Source text applying the primitive to `params`, spelled as users write it."""
    func = key[0]
    args = [ast.Name(id=p, ctx=ast.Load()) for p in params]
    operators = {f: node for table in (ir.BINOPS, ir.UNARYOPS, ir.COMPAREOPS) for node, f in table.items()}
    node = operators.get(func)
    if node in ir.BINOPS:
        expr = ast.BinOp(left=args[0], op=node(), right=args[1])
    elif node in ir.UNARYOPS:
        expr = ast.UnaryOp(op=node(), operand=args[0])
    elif node in ir.COMPAREOPS:
        expr = ast.Compare(left=args[0], ops=[node()], comparators=[args[1]])
    else:
        assert func in rules.SPELLING, f"rule for {func!r}: no operator syntax and no spelling"
        expr = ast.Call(func=ast.parse(rules.SPELLING[func], mode="eval").body, args=args, keywords=[])
    return ast.unparse(expr)


@pytest.fixture(scope="module")
def primitives_module(tmp_path_factory):
    """One generated module: for rule i, `plain_i` returns the primitive, `chained_i` uses it twice."""
    lines = ["import math", ""]
    for i, key in enumerate(ALL_RULES):
        params = list(rules.RULES[key].params)
        call = _call(key, params)
        signature = ", ".join(params)
        lines += [f"def plain_{i}({signature}):", f"    return {call}", ""]
        lines += [f"def chained_{i}({signature}):",
                  f"    t = {call}",
                  f"    u = 3.0 * t * t - t",
                  f"    return u + 0.5 * {params[0]}", ""]
    return import_source("\n".join(lines), tmp_path_factory.mktemp("primitives"), "primitives")


@pytest.mark.parametrize("key", ALL_RULES, ids=rule_id)
def test_rule_end_to_end(key, primitives_module):
    """tp.grad of `f(x) = prim(x)` and of a chain through it match central differences."""
    i = ALL_RULES.index(key)
    specs = DOMAIN.get(key)
    assert specs is not None, f"rule {rule_id(key)} has no DOMAIN entry"
    wrt = tuple(i for i, s in enumerate(specs) if not isinstance(s, Ints))
    for name in (f"plain_{i}", f"chained_{i}"):
        f = getattr(primitives_module, name)
        gradient = tp.grad(f, wrt=wrt)
        value_and_gradient = tp.value_and_grad(f, wrt=wrt)
        for args in points(key, count=3):
            expected = tuple(central_difference(f, args, j) for j in wrt)
            assert_close(gradient(*args), expected, rel=1e-5, abs_=1e-6)
            value, again = value_and_gradient(*args)
            assert value == f(*args)
            assert_close(again, expected, rel=1e-5, abs_=1e-6)


def test_floordiv_has_zero_gradient(tmp_path):
    """README lists `//` as supported with zero gradient (it once had no rule: NoRuleError)."""
    module = import_source("def f(x, y):\n    return x // y + 2.0 * x\n", tmp_path, "floordiv")
    assert tp.grad(module.f, wrt=(0, 1))(3.7, 1.3) == (2.0, 0.0)


# --- coverage of the math module ---------------------------------------------------------------

# Public math functions that accept float arguments but have no rule yet, and why.
# Adding a rule for one of these (or a new Python adding a function) must update this table.
EXPECTED_MISSING = {
    "fmod": "piecewise linear, like % with the sign of x",
    "remainder": "piecewise linear, IEEE remainder",
    "ldexp": "x * 2**i with integer i",
    "gamma": "needs digamma (not in math) for its derivative",
    "lgamma": "needs digamma (not in math) for its derivative",
    "frexp": "returns a tuple (mantissa, exponent)",
    "modf": "returns a tuple (fraction, integer part)",
    "nextafter": "steps to the next float: identity for differentiation purposes",
    "ulp": "piecewise constant (a power of two)",
    "isclose": "returns a bool",
    "isfinite": "returns a bool",
    "isinf": "returns a bool",
    "isnan": "returns a bool",
    "fma": "x * y + z (3.13+)",
}

# Public math callables that take no float arguments at all: integer-only ones
# have no derivative; sequence ones wait for list support.
NOT_FLOAT_FUNCTIONS = {"comb", "factorial", "gcd", "isqrt", "lcm", "perm",  # integers only
                       "dist", "fsum", "prod", "sumprod"}  # sequences


def _accepts_floats(func):
    """True if some call with 1-3 arguments, at least one a float, gets past type checks."""
    for arity in (1, 2, 3):
        for combo in itertools.product((0.7, 2), repeat=arity):
            if 0.7 not in combo:
                continue
            try:
                func(*combo)
            except TypeError:
                continue
            except (ValueError, OverflowError):  # accepted the types, rejected the value
                return True
            return True
    return False


def test_math_module_coverage():
    public = {n: f for n, f in vars(math).items() if not n.startswith("_") and callable(f)}
    takes_floats = {n for n, f in public.items() if _accepts_floats(f)}
    missing = sorted(n for n in takes_floats if not rules.has_rule(public[n]))
    expected = sorted(n for n in EXPECTED_MISSING if n in public)
    assert missing == expected, (f"math functions without a rule changed: newly missing "
                                 f"{sorted(set(missing) - set(expected))}, newly covered "
                                 f"{sorted(set(expected) - set(missing))}; update EXPECTED_MISSING")
    assert set(public) - takes_floats == {n for n in NOT_FLOAT_FUNCTIONS if n in public}


EDGE_CASES = [  # (callable, args): ties, zeros, integers, signs, where SymPy's defaults differ from Python's
    *[(round, (v,)) for v in (2.5, 3.5, -2.5, -1.5, 0.5, -0.5, 1.4999, 7.0)],
    (round, (1.25, 1)), (round, (0.125, 2)), (round, (-0.375, 2)), (round, (123.0, 0)),
    *[(f, (v,)) for f in (int, math.trunc, math.floor, math.ceil) for v in (-2.0, -1.5, -0.5, 0.0, 0.5, 2.0)],
    *[(operator.mod, args) for args in ((-3.0, 2.0), (3.0, -2.0), (-3.0, -2.0), (4.0, 2.0), (5.5, 1.5), (-5.5, 1.5))],
    *[(f, (v,)) for f in (bool, operator.not_, abs, math.fabs, float) for v in (0.0, -0.0, 1.0, -2.5)],
    *[(f, args) for f in (operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne, max, min)
      for args in ((1.0, 1.0), (1.0, 2.0), (2.0, 1.0))],
]


@pytest.mark.parametrize("func, args", EDGE_CASES, ids=[f"{rules.SPELLING.get(f, getattr(f, '__name__', f))}{a}"
                                                         for f, a in EDGE_CASES])
def test_sympy_forms_follow_python_at_edge_cases(func, args):
    """The SymPy reference agrees with Python exactly where conventions differ (ties, zeros, signs)."""
    assert symbolic.evaluate(symbolic.apply(func, *args), {}) == float(func(*args))


def test_every_rule_callable_has_a_sympy_builder():
    """The SymPy table covers the built-in rule table (by callable, every arity)."""
    for func, arity in ALL_RULES:
        if func in rules.EXTERNALS.values():  # registered by a test or example at run time
            continue
        symbols = symbolic.symbols_for([f"a{i}" for i in range(arity)])
        symbolic.builder(func)(*symbols.values())  # raises if missing or of the wrong arity


# --- rules registered by users (defpartials) ------------------------------------------------------

def test_custom_rule_is_used_in_nested_calls_in_both_modes():
    from examples import custom_rule as ex

    args = (0.3, 0.5)
    expected = tuple(central_difference(ex.loss, args, i) for i in range(2))
    for mode in ("reverse", "forward"):
        assert_close(tp.grad(ex.loss, wrt=(0, 1), mode=mode)(*args), expected)
    source = tp.source(ex.loss, wrt=(0, 1))
    assert "max(" not in source and "abs(" not in source  # the rule, not softplus's body, was differentiated
    assert "math.tanh" in source


def test_custom_rule_avoids_the_overflow_of_the_naive_formula():
    from examples import custom_rule as ex

    assert tp.grad(ex.loss, wrt=(0, 1))(400.0, 0.5) == (2.0, 1.0)


def test_custom_rule_supports_higher_orders():
    from examples import custom_rule as ex

    second = tp.grad(tp.grad(ex.neuron), wrt=0)
    h = 1e-5
    first = tp.grad(ex.neuron)
    assert second(0.3, 0.1, 2.0) == pytest.approx((first(0.3 + h, 0.1, 2.0) - first(0.3 - h, 0.1, 2.0)) / (2 * h),
                                                  rel=1e-6)


def test_generated_code_calls_the_registered_function_by_name(tmp_path):
    module = import_source(
        "import transpile as tp\n"
        "def cube(x):\n    return x * x * x\n"
        "tp.defpartials(cube, 'x', '3.0 * x * x')\n"
        "def f(x):\n    return cube(x) + x\n", tmp_path, "registered")
    value, gradient = tp.value_and_grad(module.f)(2.0)
    assert (value, gradient) == (10.0, 13.0)
    assert "cube(x)" in tp.source(module.f, kind="value_and_grad")


def test_template_names_are_checked_when_registering():
    def mystery(x):
        return x

    with pytest.raises(tp.TranspileError, match="uses 'helper'"):
        tp.defpartials(mystery, "x", "helper(x)")
    with pytest.raises(tp.TranspileError, match="1 parameters but 2 partials"):
        tp.defpartials(mystery, "x", "1.0", "2.0")
    with pytest.raises(tp.TranspileError, match="not a Python expression"):
        tp.defpartials(mystery, "x", "1.0 +")
    with pytest.raises(tp.TranspileError, match="names separated by commas"):
        tp.defpartials(mystery, "x y", "1.0")
    with pytest.raises(tp.TranspileError, match="takes 1 positional parameters"):
        tp.defpartials(mystery, "x, y", "1.0", "1.0")
    with pytest.raises(tp.TranspileError, match="not a function defined with def"):
        tp.defpartials(lambda x: x, "x", "1.0")
    assert mystery not in rules.SPELLING


def test_template_names_mean_what_they_name_where_the_function_is_defined(tmp_path):
    first = import_source("import transpile as tp\n"
                          "@tp.defpartials('x', '1000.0')\ndef sig(x):\n    return 1000.0 * x\n", tmp_path, "sa")
    second = import_source("import math, transpile as tp\n"
                           "@tp.defpartials('x', '0.5 * (1.0 + math.tanh(0.5 * x))')\n"
                           "def sig(x):\n    return 0.5 * (1.0 + math.tanh(0.5 * x))\n"
                           "@tp.defpartials('x', 'sig(x)')\n"
                           "def softplus(x):\n    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))\n"
                           "def f(x):\n    return softplus(x)\n", tmp_path, "sb")
    assert first.sig is not second.sig
    assert tp.grad(second.f)(0.3) == pytest.approx(second.sig(0.3), rel=1e-12)


def test_a_rejected_rule_leaves_nothing_registered():
    def unregistered(x):
        return x

    with pytest.raises(tp.TranspileError):
        tp.defpartials(unregistered, "x", "nonsense(x)")
    assert unregistered not in rules.SPELLING and "unregistered" not in rules.EXTERNALS


def test_an_array_rule_whose_adjoint_has_no_tangent_is_refused():
    """Forward mode applies a rule to the tangents of its `linear` positions: an adjoint elsewhere
    (without a tangent template) would be a derivative forward mode drops."""
    def twice(x, y):
        return x + y

    with pytest.raises(tp.TranspileError, match="forward mode would drop"):
        rules.array_rule(twice, "x, y", ("dout", "dout"), linear=(0,))
    assert rules.rule_for(twice, 2) is None
