"""What both modes need from the rule table: the partial derivatives of one statement.

Forward mode sums `partial * tangent` over a statement's arguments, reverse
mode adds `partial * adjoint` to each argument's adjoint; both ask here for
the partials, instantiated for the statement's atoms.
"""

import ast
import copy

from . import ir
from .errors import NoRuleError
from .normalize import check_rule
from .numpy_rules import COUNTS as ARRAY_COUNTS
from .rules import LINEAR_HELPERS, SPELLING

COUNTS = {len} | ARRAY_COUNTS  # results that are sizes: no derivative, no rule needed


def active_names(parsed, primal, sources):
    """Names whose value depends differentiably on a name in `sources` (a list is active
    once an active value is appended to it)."""
    active = set(sources)
    while True:  # a loop feeds values back to its top: repeat until nothing new is active
        size = len(active)
        for stmt in ir.walk(primal):
            if ir.appended(stmt):
                if any(n in active for n in ir.names_used(stmt.value.args[0])):
                    active.add(ir.appended(stmt))
                continue
            if isinstance(stmt, ast.Expr) and ir.popped(stmt.value):  # a value popped and dropped (`dzs.pop()`)
                continue
            if isinstance(stmt, ast.Expr) and structure_operands(stmt.value):  # a mirror updated in place
                if any(n in active for n in structure_operands(stmt.value)):
                    active.add(stmt.value.args[0].id)
                continue
            if not isinstance(stmt, ast.Assign) or ir.target(stmt) in active:
                continue
            if structure_operands(stmt.value) is not None:
                if any(n in active for n in structure_operands(stmt.value)):
                    active.add(ir.target(stmt))
                continue
            func, args = ir.operation(stmt.value)
            if func not in COUNTS and any(isinstance(a, ast.Name) and a.id in active for a in args):
                rule = check_rule(parsed, stmt)
                _check_nothing_dropped(parsed, stmt, rule, args, active)
                if rule is None or rule.differentiable:
                    active.add(ir.target(stmt))
        if len(active) == size:
            return active


def _check_nothing_dropped(parsed, stmt, rule, args, active):
    """Refuse a differentiated value in an argument the rule has no derivative for, unless the rule
    declares the zero derivative true there (`Rule.constant`): dropping it would be a wrong gradient."""
    if rule is None:
        return
    templates = rule.partials if rule.partials is not None else rule.adjoints
    for position, (arg, template) in enumerate(zip(args, templates)):
        if template is None and position not in rule.constant and isinstance(arg, ast.Name) and arg.id in active:
            called = SPELLING.get(rule.func) or getattr(rule.func, "__name__", "this function")
            raise (getattr(stmt, "source", None) or parsed).error(
                stmt, f"the argument '{rule.params[position]}' of {called}(...) depends on the differentiated "
                      f"arguments, but {called} has no derivative in it, so that derivative would be lost; compute "
                      "that argument from values that are not differentiated.", NoRuleError)


def structure_operands(rhs):
    """For an element read, a new structure or `sum(xs)`: the names whose value flows into the
    result (not an index); None for any other right-hand side."""
    if isinstance(rhs, ast.Subscript):
        return ir.names_used(rhs.value)
    if isinstance(rhs, (ast.List, ast.Tuple)):
        return [e.id for e in rhs.elts if isinstance(e, ast.Name)]
    if isinstance(rhs, ast.Dict):
        return [v.id for v in rhs.values if isinstance(v, ast.Name)]
    if isinstance(rhs, ast.Call) and ir.callee(rhs) is sum:
        return ir.names_used(rhs)
    if ir.converted(rhs):
        return [ir.converted(rhs)]
    if ir.popped(rhs):
        return [ir.popped(rhs)]
    if isinstance(rhs, ast.Call) and ir.callee(rhs) in LINEAR_HELPERS:
        return [rhs.args[i].id for i in LINEAR_HELPERS[ir.callee(rhs)] if isinstance(rhs.args[i], ast.Name)]
    return None


def substitute(template, params, args, out, dout=None):
    """Instantiate a derivative template: parameters -> argument atoms, `out` -> result
    (`dout` -> the result's adjoint, in adjoint templates of array operations)."""
    mapping = dict(zip(params, args))
    mapping["out"] = ir.name(out)
    if dout is not None:
        mapping["dout"] = dout

    def fill(node):
        if isinstance(node, ast.Name):
            return copy.copy(mapping.get(node.id, node))
        if isinstance(node, ast.Constant):
            return ast.Constant(value=node.value)
        return type(node)(**{f: ([fill(v) for v in value] if isinstance(value, list) else
                                 fill(value) if isinstance(value, ast.expr) else value)
                             for f, value in ast.iter_fields(node)})

    return fill(template)


def partials_of(parsed, stmt, is_active):
    """{argument name: partial expression} for the active arguments of `stmt`.

    An argument used twice gets the sum of its partials (`x * x`: x + x).
    Raises NoRuleError if the operation has no rule.
    """
    func, args = ir.operation(stmt.value)
    if func in COUNTS or not any(isinstance(a, ast.Name) and is_active(a.id) for a in args):
        return {}  # nothing to differentiate: no rule needed (x * math.gamma(2.0) is fine); a count
    if func is ir.identity:
        params, templates = ("x",), (ir.const(1),)
    else:
        rule = check_rule(parsed, stmt)
        params, templates = rule.params, rule.partials
    found = {}
    for arg, template in zip(args, templates):
        if template is None or not isinstance(arg, ast.Name) or not is_active(arg.id):
            continue
        partial = substitute(template, params, args, ir.target(stmt))
        previous = found.get(arg.id)
        found[arg.id] = partial if previous is None else ast.BinOp(left=previous, op=ast.Add(), right=partial)
    return found


def split_sign(partial):
    """(negative, magnitude): rules write negative partials as `-(...)` so sweeps can subtract."""
    if isinstance(partial, ast.UnaryOp) and isinstance(partial.op, ast.USub):
        return True, partial.operand
    return False, partial
