"""Which values are certainly Python floats.

The optimizer may drop `* 1.0` or fold `2 * 0.5` only where that cannot turn
a float result into an int (gradients of float arguments must be floats), so
it asks here.  Differentiated parameters are assumed to be floats.
"""

import ast
import math
import operator

from . import ir, rules

FLOAT_RESULTS = {f for f, spelled in rules.SPELLING.items() if spelled.startswith("math.")} - {
    math.floor, math.ceil, math.trunc, math.factorial, math.gcd, math.isqrt, math.comb, math.perm,
    math.isfinite, math.isinf, math.isnan, math.isclose, getattr(math, "lcm", None)} | {float, operator.truediv}
# Float if any operand is (min and max: if all are).
ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.pow, operator.mod, operator.neg,
              operator.pos, abs, ir.identity}


def is_float(expr, floats):
    """Whether `expr` (an expression over names in `floats` and others) is certainly a float."""
    if isinstance(expr, ast.Name):
        return expr.id in floats
    if isinstance(expr, ast.Constant):
        return type(expr.value) is float
    func, args = ir.operation(expr)
    if func in FLOAT_RESULTS:
        return True
    if func in (min, max):
        return all(is_float(a, floats) for a in args)
    return func in ARITHMETIC and any(is_float(a, floats) for a in args)


def float_names(stmts, floats=(), merged=None):
    """Names assigned in `stmts` that certainly hold floats, plus `floats`."""
    known = set(floats)
    merged = ir.merged_names(stmts) if merged is None else merged  # several definitions: not worth proving
    for stmt in ir.assignments(stmts):
        if ir.target(stmt) not in merged and is_float(stmt.value, known):
            known.add(ir.target(stmt))
    return known
