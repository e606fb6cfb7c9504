"""SymPy forms of the primitives in the derivative table, and of Python expressions.

This module is a *reference*, not part of the differentiation pipeline: tests
(and `tp.compare`) use it to get exact derivatives to check generated code
against.  Nothing here is imported by `import transpile`, and SymPy itself is
imported lazily, on the first call that needs it.

* `BUILDERS` maps every callable that has a rule in `rules.RULES` (operators,
  builtins, math functions) to a function building its SymPy expression from
  SymPy arguments, e.g. ``BUILDERS[math.atan2](y, x) == sympy.atan2(y, x)``.
  Builders taking optional arguments (`math.log`, `round`) cover every arity.
* `to_sympy(expr, symbols)` turns a Python expression AST (or its text) into
  SymPy, given a dict from variable names to SymPy symbols.  Callees are
  spelled as in `rules.SPELLING` (`math.sin`, `abs`); comparisons and `not`
  become 0/1 indicators, as Python's bools are 0/1 in arithmetic.
* `program_to_sympy(body, symbols)` substitutes a straight-line function body
  (assignments, tuple and augmented assignments, return) into one expression;
  `function_to_sympy(func)` does that for a live function.
* `diff(expr, symbol)` is `sympy.diff` almost everywhere: piecewise-constant
  pieces (floor, ceiling, the floor inside `%`) differentiate to 0, which is
  also what the rule table says.

Example::

    x = sympy.Symbol("x", real=True)
    e = to_sympy("math.log(1.0 + x * x) % 2.0", {"x": x})
    diff(e, x)        # 2.0*x/(1.0*x**2 + 1.0)

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


def indicator(condition):
    """1 where `condition` holds, else 0 (Python's `int(condition)`)."""
    sympy = _sp()
    return sympy.Piecewise((sympy.Integer(1), condition), (sympy.Integer(0), True))


def truth(expr):
    """The SymPy condition under which Python would consider `expr` true."""
    sympy = _sp()
    if isinstance(expr, sympy.Piecewise) and len(expr.args) == 2 and expr.args[0].expr == 1 \
            and expr.args[1].expr == 0 and expr.args[1].cond == sympy.true:
        return expr.args[0].cond  # an indicator built above
    if isinstance(expr, sympy.logic.boolalg.Boolean) and not isinstance(expr, sympy.Expr):
        return expr  # already a condition (a Symbol is both Boolean and Expr: it is a number here)
    return sympy.Ne(expr, 0)


def _round_half_even(v):
    sympy = _sp()
    n = sympy.floor(v + sympy.S.Half)
    tie_to_odd = sympy.And(sympy.Eq(n - v, sympy.S.Half), sympy.Eq(sympy.Mod(n, 2), 1))
    return sympy.Piecewise((n - 1, tie_to_odd), (n, True))


def _round(x, ndigits=None):
    if ndigits is None:
        return _round_half_even(x)
    scale = _sp().Integer(10) ** ndigits
    return _round_half_even(x * scale) / scale


def _trunc(x):
    sympy = _sp()
    return sympy.Piecewise((sympy.floor(x), x >= 0), (sympy.ceiling(x), True))


def _log(x, base=None):
    sympy = _sp()
    return sympy.log(x) if base is None else sympy.log(x) / sympy.log(base)


def _compare(relation):
    return lambda a, b: indicator(getattr(_sp(), relation)(a, b))


# callable -> builder(*sympy_args) -> sympy expression.  Arithmetic on SymPy
# objects already means the right thing, so the operators need no SymPy names.
BUILDERS = {
    operator.add: lambda a, b: a + b,
    operator.sub: lambda a, b: a - b,
    operator.mul: lambda a, b: a * b,
    operator.truediv: lambda a, b: a / b,
    operator.pow: lambda a, b: a ** b,
    operator.mod: lambda a, b: _sp().Mod(a, b),  # Python's %: the sign of the divisor
    operator.floordiv: lambda a, b: _sp().floor(a / b),  # no rule yet; here for to_sympy
    operator.neg: lambda a: -a,
    operator.pos: lambda a: +a,
    operator.not_: lambda a: indicator(_sp().Not(truth(a))),
    operator.lt: _compare("Lt"),
    operator.le: _compare("Le"),
    operator.gt: _compare("Gt"),
    operator.ge: _compare("Ge"),
    operator.eq: _compare("Eq"),
    operator.ne: _compare("Ne"),
    abs: lambda x: _sp().Abs(x),
    min: lambda a, b: _sp().Min(a, b),
    max: lambda a, b: _sp().Max(a, b),
    float: lambda x: x,
    int: _trunc,
    bool: lambda x: indicator(truth(x)),
    round: _round,
    pow: lambda a, b: a ** b,
    math.sin: lambda x: _sp().sin(x),
    math.cos: lambda x: _sp().cos(x),
    math.tan: lambda x: _sp().tan(x),
    math.asin: lambda x: _sp().asin(x),
    math.acos: lambda x: _sp().acos(x),
    math.atan: lambda x: _sp().atan(x),
    math.atan2: lambda y, x: _sp().atan2(y, x),
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
    math.floor: lambda x: _sp().floor(x),
    math.ceil: lambda x: _sp().ceiling(x),
    math.trunc: _trunc,
}

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


def to_sympy(expr, symbols):
    """The SymPy form of a Python expression.

    `expr` is an `ast.expr` (or `ast.Expression`, or source text); `symbols`
    maps each variable name it reads to a SymPy expression (usually a Symbol).
    Raises SymbolicError for anything outside: numbers, names, `math.<const>`,
    unary/binary operators, comparisons (chains too), `x if c else y`, and calls
    to callables in `BUILDERS` spelled as in `rules.SPELLING`.
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
            conditions = [truth(builder(ir.COMPAREOPS.get(type(op)))(a, b))
                          for op, a, b in zip(node.ops, operands, operands[1:])]
            return indicator(sympy.And(*conditions))
        if isinstance(node, ast.IfExp):
            return sympy.Piecewise((visit(node.body), truth(visit(node.test))), (visit(node.orelse), True))
        if isinstance(node, ast.Call):
            if node.keywords:
                raise SymbolicError(f"keyword arguments in '{ast.unparse(node)}'")
            func = ir.CALLABLES.get(ast.unparse(node.func))
            if func is None:
                raise SymbolicError(f"'{ast.unparse(node.func)}' is not a known callable")
            return builder(func)(*[visit(a) for a in node.args])
        raise SymbolicError(f"no SymPy form for '{ast.unparse(node)}' ({type(node).__name__})")

    return visit(expr)


def program_to_sympy(body, symbols):
    """Substitute a straight-line body into the SymPy form of its returned value.

    `body` is a list of statements (a function body, or its source text):
    assignments (`a = b = e`, `a, b = e1, e2`), augmented and annotated
    assignments, `pass`, a docstring, and a final `return` (a tuple return
    gives a tuple of expressions).  `symbols` gives the parameters.
    """
    if isinstance(body, str):
        body = ast.parse(body).body
    env = dict(symbols)

    def bind(target, value_node):
        # Pairs (name, expression) with every right-hand side read before any binding.
        if isinstance(target, ast.Name):
            return [(target.id, to_sympy(value_node, env))]
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
                return tuple(to_sympy(e, env) for e in stmt.value.elts)
            return to_sympy(stmt.value, env)
        if isinstance(stmt, ast.Assign):
            pairs = [p for t in stmt.targets for p in bind(t, stmt.value)]
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            current = ast.Name(id=stmt.target.id, ctx=ast.Load())
            pairs = bind(stmt.target, ast.BinOp(left=current, op=stmt.op, right=stmt.value))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            pairs = [] if stmt.value is None else bind(stmt.target, stmt.value)
        else:
            raise SymbolicError(f"statement '{ast.unparse(stmt)}' is not straight-line code")
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
    return symbols, program_to_sympy(parsed.tree.body, symbols)


def diff(expr, symbol):
    """d expr / d symbol almost everywhere.

    Like `sympy.diff`, except that `%` is differentiated as `a - b*floor(a/b)`
    and the derivatives of floor and ceiling (which SymPy leaves unevaluated)
    are 0: the derivative away from the jumps, as in the rule table.
    """
    sympy = _sp()
    expr = expr.replace(sympy.Mod, lambda a, b: a - b * sympy.floor(a / b))
    result = sympy.diff(expr, symbol)
    steps = (sympy.floor, sympy.ceiling)
    result = result.replace(lambda e: isinstance(e, sympy.Derivative) and isinstance(e.expr, steps),
                            lambda e: sympy.S.Zero)
    if result.has(sympy.Subs):
        result = result.doit()
    return result


def evaluate(expr, values):
    """`expr` as a Python float at `values` (a dict symbol -> number)."""
    sympy = _sp()
    result = expr.evalf(subs={k: number(v) if isinstance(v, (int, float)) else v for k, v in values.items()})
    if result.is_real is False or not result.is_number:
        raise SymbolicError(f"{expr} is not a real number at {values}: {result}")
    return float(result)
