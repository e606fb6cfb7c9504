"""What both modes need from the rule table: the partial derivatives of one statement.

Forward mode sums `partial * tangent` over a statement's arguments, reverse
mode adds `partial * adjoint` to each argument's adjoint; both ask here for
the partials, instantiated for the statement's atoms.
"""

import ast
import copy

from . import ir
from .normalize import check_rule


def active_names(parsed, primal, sources):
    """Names whose value depends differentiably on a name in `sources`."""
    active = set(sources)
    while True:  # a loop feeds values back to its top: repeat until nothing new is active
        size = len(active)
        for stmt in ir.assignments(primal):
            _, args = ir.operation(stmt.value)
            if ir.target(stmt) not in active and any(isinstance(a, ast.Name) and a.id in active for a in args):
                rule = check_rule(parsed, stmt)
                if rule is None or rule.differentiable:
                    active.add(ir.target(stmt))
        if len(active) == size:
            return active


def substitute(template, params, args, out):
    """Instantiate a derivative template: parameters -> argument atoms, `out` -> result."""
    mapping = dict(zip(params, args))
    mapping["out"] = ir.name(out)

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
    if not any(isinstance(a, ast.Name) and is_active(a.id) for a in args):
        return {}  # nothing to differentiate: no rule needed (x * math.gamma(2.0) is fine)
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
