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


def structured_names(stmts):
    """Names that may hold a list, tuple or dict: those indexed, appended to, summed or built,
    the elements of built structures and the results of element reads (either may be nested
    structures), and copies of any of these, but not the operands of arithmetic.  Every other
    name holds a number."""
    structured, numbers, copies = set(), set(), []
    for stmt in ir.walk(stmts):
        if getattr(stmt, "tape", False):
            continue
        if ir.appended(stmt):
            structured.add(ir.appended(stmt))
            structured.update(ir.names_used(stmt.value.args[0]))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and (
                ir.popped(stmt.value) or ir.callee(stmt.value) in rules.LINEAR_HELPERS):
            structured.update(ir.names_used(stmt.value.args[0] if stmt.value.args else stmt.value))
        elif isinstance(stmt, ast.Assign) and (ir.popped(stmt.value) or (
                isinstance(stmt.value, ast.Call) and ir.callee(stmt.value) in rules.LINEAR_HELPERS)):
            structured.add(ir.target(stmt))  # an element of a list, or a mirror
            structured.update(ir.names_used(stmt.value.args[0] if stmt.value.args else stmt.value))
        elif isinstance(stmt, ast.Assign):
            target, value = ir.target(stmt), stmt.value
            if isinstance(value, (ast.List, ast.Tuple, ast.Dict)):
                structured.add(target)
                structured.update(ir.names_used(ast.List(elts=value.values if isinstance(value, ast.Dict) else value.elts)))
            elif isinstance(value, ast.Subscript):
                structured.update((target, value.value.id))
            elif isinstance(value, ast.Name):
                copies.append((target, value.id))
            elif ir.converted(value):  # list(xs), tuple(xs), dict(d) (or list(a) of an array: not a structure)
                structured.add(target)
                copies.append((target, ir.converted(value)))
            elif isinstance(value, ast.Call) and ir.callee(value) in (sum, len):
                structured.update(ir.names_used(value))
            elif ir.operation(value)[0] is not None:  # arithmetic: its operands are numbers (or arrays)
                func, args = ir.operation(value)
                rule = rules.rule_for(func, len(args)) if isinstance(value, ast.Call) else None
                if (rule is None or rule.elementwise) and func not in rules.CHECKS:  # (np.stack(rows) takes a list)
                    numbers.update(a.id for a in args if isinstance(a, ast.Name))
    while True:  # a copy has the kind of what it copies
        size = len(structured)
        for a, b in copies:
            if a in structured or b in structured:
                structured.update((a, b))
        if len(structured) == size:
            return structured - numbers
