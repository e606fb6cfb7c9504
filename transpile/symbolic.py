"""SymPy forms of the primitives in the derivative table, and of Python expressions.

This module is a *reference*, not part of the differentiation pipeline: tests
(and, later, a `compare` report) use it to get exact derivatives to check generated code
against.  Nothing here is imported by `import transpile`, and SymPy itself is
imported lazily, on the first call that needs it.

* `BUILDERS` maps every callable that has a rule in `rules.RULES` (operators,
  builtins, math functions) to a function building its SymPy expression from
  SymPy arguments, e.g. ``BUILDERS[math.atan2](y, x) == sympy.atan2(y, x)``.
  Builders taking optional arguments (`math.log`, `round`) cover every arity.
* `to_sympy(expr, symbols)` turns a Python expression AST (or its text) into
  SymPy, given a dict from variable names to SymPy symbols.  Callees are
  spelled as in `rules.SPELLING` (`math.sin`, `abs`); comparisons, `not`
  and `bool` become 0/1 steps (`step`, `equal`), as Python's bools are 0/1
  in arithmetic.
* `program_to_sympy(body, symbols)` substitutes a straight-line function body
  (assignments, tuple and augmented assignments, return) into one expression;
  `function_to_sympy(func)` does that for a live function.
* `diff(expr, symbol)` is `sympy.diff`, almost everywhere: the builders use
  floor, ceiling and Mod classes that know their derivative away from the
  jumps (`step_functions`), which is also what the rule table says.

Example::

    x = sympy.Symbol("x", real=True)
    e = to_sympy("math.log(1.0 + x * x) % 2.0", {"x": x})
    diff(e, x)        # 2.0*x/(x**2 + 1.0)

Semantics follow Python's for real arguments, with documented limits: `round`
resolves exact ties half-to-even on the SymPy value (Python rounds the
decimal repr, so `round(2.675, 2)` may differ), and float overflow or
domain errors are not modelled.
"""

import ast
import math
import operator

from . import ir, rules
from .errors import TranspileError


class SymbolicError(TranspileError):
    """An expression has no SymPy form (an unknown callee, name or construct)."""


def _sp():
    import sympy  # lazy: importing transpile must not import SymPy

    return sympy


def symbols_for(names):
    """A dict name -> real SymPy Symbol (real, so abs and sign differentiate simply)."""
    sympy = _sp()
    return {n: sympy.Symbol(n, real=True) for n in names}


def number(value):
    """A Python number as SymPy: ints and bools exact, floats as Float (53 bits)."""
    sympy = _sp()
    if isinstance(value, bool):
        return sympy.Integer(int(value))
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, float):
        if math.isinf(value):
            return sympy.oo if value > 0 else -sympy.oo
        if math.isnan(value):
            return sympy.nan
        return sympy.Float(value)
    raise SymbolicError(f"constant {value!r} is not a real number")


def step(t, at_zero):
    """The unit step: 1 where t > 0, 0 where t < 0, `at_zero` at 0 (SymPy's Heaviside).

    Comparisons are steps (`a < b` is `step(b - a, 0)`, `a <= b` is
    `step(b - a, 1)`), so they differentiate to 0 away from ties, and stay
    ordinary expressions: Python adds and multiplies bools like 0 and 1.
    """
    return _sp().Heaviside(t, at_zero)


def equal(a, b):
    """1 if a == b else 0, as a difference of steps."""
    t = a - b
    return step(t, 1) - step(t, 0)


def truth(expr):
    """The SymPy condition under which Python would consider `expr` true."""
    sympy = _sp()
    if isinstance(expr, sympy.logic.boolalg.Boolean) and not isinstance(expr, sympy.Expr):
        return expr  # already a condition (a Symbol is both Boolean and Expr: it is a number here)
    return sympy.Ne(expr, 0)


def piecewise(then, condition, otherwise):
    """`then if condition else otherwise`, without SymPy's slow automatic simplification."""
    sympy = _sp()
    if condition == sympy.true:
        return then
    if condition == sympy.false:
        return otherwise
    return sympy.Piecewise((then, condition), (otherwise, True), evaluate=False)


_STEPS = {}


def step_functions():
    """SymPy's floor, ceiling and Mod, with the derivative they have almost everywhere.

    SymPy leaves `Derivative(floor(x), x)` unevaluated; these subclasses (named
    like SymPy's, so they print the same) say floor' = ceiling' = 0 and
    d Mod(a, b) = da - floor(a / b) db, the derivative away from the jumps,
    which is also what the rule table says.
    """
    if not _STEPS:
        sympy = _sp()

        class floor(sympy.floor):
            def fdiff(self, argindex=1):
                return sympy.S.Zero

        class ceiling(sympy.ceiling):
            def fdiff(self, argindex=1):
                return sympy.S.Zero

        class Mod(sympy.Mod):
            def fdiff(self, argindex=1):
                a, b = self.args
                return sympy.S.One if argindex == 1 else -floor(a / b)

        _STEPS.update(floor=floor, ceiling=ceiling, Mod=Mod)
    return _STEPS


def _floor(x):
    return step_functions()["floor"](x)


def _ceiling(x):
    return step_functions()["ceiling"](x)


def _mod(a, b):
    return step_functions()["Mod"](a, b)


def _round_half_even(v):
    n = _floor(v + _sp().S.Half)
    return n - equal(v + _sp().S.Half, n) * _mod(n, 2)  # a tie goes down when n is odd


def _round(x, ndigits=None):
    if ndigits is None:
        return _round_half_even(x)
    scale = _sp().Integer(10) ** ndigits
    return _round_half_even(x * scale) / scale


def _trunc(x):
    return _floor(x) + step(-x, 0) * (_ceiling(x) - _floor(x))


def _log(x, base=None):
    sympy = _sp()
    return sympy.log(x) if base is None else sympy.log(x) / sympy.log(base)


# callable -> builder(*sympy_args) -> sympy expression.  Arithmetic on SymPy
# objects already means the right thing, so the operators need no SymPy names.
BUILDERS = {
    operator.add: lambda a, b: a + b,
    operator.sub: lambda a, b: a - b,
    operator.mul: lambda a, b: a * b,
    operator.truediv: lambda a, b: a / b,
    operator.pow: lambda a, b: a ** b,
    operator.mod: _mod,  # Python's %: the sign of the divisor, like SymPy's Mod
    operator.floordiv: lambda a, b: _floor(a / b),  # no rule yet; here for to_sympy
    operator.neg: lambda a: -a,
    operator.pos: lambda a: +a,
    operator.not_: lambda a: equal(a, 0),
    operator.lt: lambda a, b: step(b - a, 0),
    operator.le: lambda a, b: step(b - a, 1),
    operator.gt: lambda a, b: step(a - b, 0),
    operator.ge: lambda a, b: step(a - b, 1),
    operator.eq: equal,
    operator.ne: lambda a, b: 1 - equal(a, b),
    abs: lambda x: _sp().Abs(x),
    min: lambda a, b: _sp().Min(a, b),
    max: lambda a, b: _sp().Max(a, b),
    float: lambda x: x,
    int: _trunc,
    bool: lambda x: 1 - equal(x, 0),
    round: _round,
    pow: lambda a, b: a ** b,
    math.sin: lambda x: _sp().sin(x),
    math.cos: lambda x: _sp().cos(x),
    math.tan: lambda x: _sp().tan(x),
    math.asin: lambda x: _sp().asin(x),
    math.acos: lambda x: _sp().acos(x),
    math.atan: lambda x: _sp().atan(x),
    math.atan2: lambda y, x: _atan2(y, x),
    math.sinh: lambda x: _sp().sinh(x),
    math.cosh: lambda x: _sp().cosh(x),
    math.tanh: lambda x: _sp().tanh(x),
    math.asinh: lambda x: _sp().asinh(x),
    math.acosh: lambda x: _sp().acosh(x),
    math.atanh: lambda x: _sp().atanh(x),
    math.exp: lambda x: _sp().exp(x),
    math.expm1: lambda x: _sp().exp(x) - 1,
    math.log: _log,
    math.log1p: lambda x: _sp().log(1 + x),
    math.log2: lambda x: _sp().log(x) / _sp().log(2),
    math.log10: lambda x: _sp().log(x) / _sp().log(10),
    math.sqrt: lambda x: _sp().sqrt(x),
    math.pow: lambda a, b: a ** b,
    math.hypot: lambda x, y: _sp().sqrt(x * x + y * y),
    math.erf: lambda x: _sp().erf(x),
    math.erfc: lambda x: _sp().erfc(x),
    math.fabs: lambda x: _sp().Abs(x),
    math.degrees: lambda x: x * 180 / _sp().pi,
    math.radians: lambda x: x * _sp().pi / 180,
    math.copysign: lambda x, y: _sp().Abs(x) * _sp().sign(y),
    math.floor: _floor,
    math.ceil: _ceiling,
    math.trunc: _trunc,
}

if hasattr(math, "cbrt"):  # Python 3.11+
    BUILDERS[math.cbrt] = lambda x: x ** _sp().Rational(1, 3)
    BUILDERS[math.exp2] = lambda x: 2 ** x

# `math.<name>` constants with an exact SymPy form; other float constants become Floats.
_EXACT_CONSTANTS = {"math.pi": lambda s: s.pi, "math.e": lambda s: s.E, "math.tau": lambda s: 2 * s.pi}


def builder(func):
    """The SymPy builder of `func`; raises SymbolicError if there is none."""
    try:
        return BUILDERS[func]
    except (KeyError, TypeError):
        raise SymbolicError(f"no SymPy form for {rules.SPELLING.get(func, func)!r}") from None


def apply(func, *args):
    """`func(*args)` as SymPy, for SymPy (or Python number) arguments."""
    sympy = _sp()
    args = [number(a) if isinstance(a, (int, float)) else sympy.sympify(a) for a in args]
    return builder(func)(*args)


def callables():
    """Spelling -> callable, e.g. "math.sin" -> math.sin (the inverse of rules.SPELLING)."""
    return {spelling: func for func, spelling in rules.SPELLING.items()}


def to_sympy(expr, symbols, callees=None):
    """The SymPy form of a Python expression.

    `expr` is an `ast.expr` (or `ast.Expression`, or source text); `symbols`
    maps each variable name it reads to a SymPy expression (usually a Symbol).
    Raises SymbolicError for anything outside: numbers, names, `math.<const>`,
    unary/binary operators, comparisons (chains too), `x if c else y`, `and`/`or`, and calls
    to callables in `BUILDERS` spelled as in `rules.SPELLING`, and to the user functions in
    `callees` (placeholder -> ParsedFunction, as `parse` leaves them) or with registered rules,
    substituted from their source.
    """
    sympy = _sp()
    if isinstance(expr, str):
        expr = ast.parse(expr.strip(), mode="eval")
    if isinstance(expr, ast.Expression):
        expr = expr.body

    def visit(node):
        if isinstance(node, ast.Constant):
            return number(node.value)
        if isinstance(node, ast.Name):
            if node.id not in symbols:
                raise SymbolicError(f"name {node.id!r} has no symbol")
            return symbols[node.id]
        if isinstance(node, ast.Attribute):
            spelled = ast.unparse(node)
            if spelled in _EXACT_CONSTANTS:
                return _EXACT_CONSTANTS[spelled](sympy)
            if spelled in rules.CONSTANTS:
                return number(rules.CONSTANTS[spelled])
            raise SymbolicError(f"'{spelled}' is not a known constant")
        if isinstance(node, ast.BinOp):
            return builder(ir.BINOPS.get(type(node.op)))(visit(node.left), visit(node.right))
        if isinstance(node, ast.UnaryOp):
            return builder(ir.UNARYOPS.get(type(node.op)))(visit(node.operand))
        if isinstance(node, ast.Compare):
            operands = [visit(node.left)] + [visit(c) for c in node.comparators]
            return sympy.Mul(*[builder(ir.COMPAREOPS.get(type(op)))(a, b)  # a < b < c: both hold
                               for op, a, b in zip(node.ops, operands, operands[1:])])
        if isinstance(node, ast.IfExp):
            return piecewise(visit(node.body), truth(visit(node.test)), visit(node.orelse))
        if isinstance(node, ast.BoolOp):  # `a and b` is `b if a else a`; `a or b` is `a if a else b`
            result = visit(node.values[0])
            for operand in node.values[1:]:
                value = visit(operand)
                result = piecewise(value, truth(result), result) if isinstance(node.op, ast.And) \
                    else piecewise(result, truth(result), value)
            return result
        if isinstance(node, ast.Call):
            if node.keywords:
                raise SymbolicError(f"keyword arguments in '{ast.unparse(node)}'")
            if ast.unparse(node.func) in (callees or {}) or ast.unparse(node.func) in rules.EXTERNALS:
                return _called(node, [visit(a) for a in node.args], callees or {})
            func = callables().get(ast.unparse(node.func))
            if func is None:
                raise SymbolicError(f"'{ast.unparse(node.func)}' is not a known callable")
            return builder(func)(*[visit(a) for a in node.args])
        raise SymbolicError(f"no SymPy form for '{ast.unparse(node)}' ({type(node).__name__})")

    return visit(expr)


def program_to_sympy(body, symbols, callees=None):
    """Substitute a function body into the SymPy form of its returned value.

    `body` is a list of statements (a function body, or its source text):
    assignments (`a = b = e`, `a, b = e1, e2`), augmented and annotated
    assignments, `pass`, a docstring, `if`/`elif`/`else` (each path is
    followed to its return, and the results join in a `Piecewise`, so k
    branches in a row give up to 2^k pieces), and `return` (a tuple return
    gives a tuple of expressions).  Loops are refused.  `symbols` gives the
    parameters.
    """
    if isinstance(body, str):
        body = ast.parse(body).body
    return _run(list(body), dict(symbols), callees)


def _called(node, args, callees):
    """The SymPy form of a call to a user function (inlined, as transpile inlines it): its body with
    its parameters bound to `args` (missing ones to their number defaults)."""
    from .parse import parse

    name = ast.unparse(node.func)
    callee = callees[name] if name in callees else parse(rules.EXTERNALS[name])
    params = callee.params
    defaults = callee.func.__defaults__ or ()
    bound = dict(zip(params, args))
    for param, default in zip(params[len(params) - len(defaults):], defaults):
        if param not in bound and isinstance(default, (int, float)):
            bound[param] = number(default)
    if len(bound) != len(params):
        raise SymbolicError(f"the call '{ast.unparse(node)}' does not give every parameter a number")
    return program_to_sympy(callee.tree.body, bound, callee.callees)


def _run(body, env, callees=None):

    def bind(target, value_node):
        # Pairs (name, expression) with every right-hand side read before any binding.
        if isinstance(target, ast.Name):
            return [(target.id, to_sympy(value_node, env, callees))]
        if isinstance(target, ast.Tuple) and isinstance(value_node, ast.Tuple) \
                and len(target.elts) == len(value_node.elts):
            return [pair for t, v in zip(target.elts, value_node.elts) for pair in bind(t, v)]
        raise SymbolicError(f"unsupported assignment target '{ast.unparse(target)}'")

    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.Pass) or (index == 0 and isinstance(stmt, ast.Expr)
                                         and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                raise SymbolicError("the body returns None")
            if isinstance(stmt.value, ast.Tuple):
                return tuple(to_sympy(e, env, callees) for e in stmt.value.elts)
            return to_sympy(stmt.value, env, callees)
        if isinstance(stmt, ast.Assign):
            pairs = [p for t in stmt.targets for p in bind(t, stmt.value)]
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            current = ast.Name(id=stmt.target.id, ctx=ast.Load())
            pairs = bind(stmt.target, ast.BinOp(left=current, op=stmt.op, right=stmt.value))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            pairs = [] if stmt.value is None else bind(stmt.target, stmt.value)
        elif isinstance(stmt, ast.If):  # each path to its return, joined
            condition = truth(to_sympy(stmt.test, env, callees))
            rest = body[index + 1:]
            then, otherwise = _run(stmt.body + rest, dict(env), callees), _run(stmt.orelse + rest, dict(env), callees)
            if isinstance(then, tuple):
                return tuple(piecewise(a, condition, b) for a, b in zip(then, otherwise))
            return piecewise(then, condition, otherwise)
        else:
            raise SymbolicError(f"statement '{ast.unparse(stmt).splitlines()[0]}' is a loop or other code SymPy cannot "
                                "express as one formula")
        env.update(pairs)
    raise SymbolicError("the body has no 'return'")


def function_to_sympy(func):
    """(symbols, expression) for a live straight-line function.

    The function is parsed like `tp.grad` does (so `from math import sin`,
    module constants and closures resolve the same way); `symbols` maps each
    parameter name to a real Symbol.
    """
    from .parse import parse

    parsed = parse(func)
    symbols = symbols_for(parsed.params)
    return symbols, program_to_sympy(parsed.tree.body, symbols, parsed.callees)


def diff(expr, symbol):
    """d expr / d symbol almost everywhere, for expressions built by this module.

    It is `sympy.diff`; the builders use `step_functions()`, whose floor,
    ceiling and Mod differentiate (SymPy's own leave `Derivative(floor(x), x)`
    unevaluated).  Raises SymbolicError if a derivative stays unevaluated.
    """
    sympy = _sp()
    result = sympy.diff(expr, symbol)
    if result.has(sympy.Derivative):
        raise SymbolicError(f"SymPy cannot differentiate {expr} with respect to {symbol}: {result}")
    return result


def _atan2(y, x):
    """sympy.atan2, but a number for numbers: SymPy writes atan2 of constants as -I*log(...), which
    Max and comparisons cannot use."""
    sympy = _sp()
    if getattr(y, "is_number", True) and getattr(x, "is_number", True):
        return sympy.Float(math.atan2(float(y), float(x)), 30)
    return sympy.atan2(y, x)


def evaluate(expr, values):
    """`expr` as a Python float at `values` (a dict symbol -> number).

    The values are substituted first, so steps and floors see exact numbers
    (`evalf(subs=...)` can leave a tiny residue for `step(1, 1) - step(1, 0)`).
    """
    result = expr.xreplace({k: number(v) if isinstance(v, (int, float)) else v for k, v in values.items()})
    result = result.evalf()
    if not result.is_number or result.is_real is False:
        raise SymbolicError(f"{expr} is not a real number at {values}: {result}")
    return float(result)
