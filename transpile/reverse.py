"""Stage 3 (reverse mode): append the backward sweep to a normalized body.

The forward sweep is the normalized primal itself.  The backward sweep walks
it in reverse; for each statement `out = f(a, b)` whose adjoint `dout` is
nonzero it adds `partial_i * dout` to the adjoint of each active argument,
with the partials taken from `rules.RULES`.  Adjoints are symbolic: a
variable nobody differentiates through simply has none (no `0 * ...` code).
"""

import ast
import copy

from . import ir
from .errors import NonScalarOutputError
from .normalize import Builder, check_rule


def active_names(parsed, primal, wrt):
    """Names whose value depends differentiably on a parameter in `wrt`."""
    active = set(wrt)
    for stmt in primal:
        _, args = ir.operation(stmt.value)
        if any(isinstance(a, ast.Name) and a.id in active for a in args):
            rule = check_rule(parsed, stmt)
            if rule is None or rule.differentiable:
                active.add(ir.target(stmt))
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
        clone = type(node)(**{f: ([fill(v) for v in value] if isinstance(value, list) else
                                  fill(value) if isinstance(value, ast.expr) else value)
                              for f, value in ast.iter_fields(node)})
        return clone

    return fill(template)


def adjoint_name(var, namer):
    """`dx` for the user's `x`; `d_sin_x` for a temporary, so it cannot read as `d(sin) * x`."""
    return ("d_" if var in namer.temporaries else "d") + var


def reverse(parsed, body, namer, wrt, single=False, with_value=False):
    """Return the body of the gradient function.

    `body` is the normalized primal (ending in `return atom`), `wrt` a tuple of
    parameter names.  The new body returns the gradient (one value if `single`,
    else a tuple), or `(value, gradient)` when `with_value` is true.
    """
    *primal, ret = body
    if isinstance(ret.value, ast.Tuple):
        raise parsed.error(ret, "grad needs a scalar output, but the function returns a tuple; "
                                "use transpile.jacobian or transpile.vjp for vector outputs.",
                           NonScalarOutputError)
    active = active_names(parsed, primal, wrt)
    adjoint = {}
    output = ret.value
    if isinstance(output, ast.Name) and output.id in active:
        adjoint[output.id] = ir.const(1.0)
    builder = Builder(namer)
    commented_line = None
    for stmt in reversed(primal):
        result = ir.target(stmt)
        if result not in adjoint:
            continue
        dresult = adjoint.pop(result)
        if stmt.lineno != commented_line:
            builder.stmts.append(ir.comment(f"grad of: {parsed.line_text(stmt.lineno)}"))
            commented_line = stmt.lineno
        builder.lineno = stmt.lineno
        func, args = ir.operation(stmt.value)
        if func is ir.identity:
            params, partials = ("x",), (ir.const(1),)
        else:
            rule = check_rule(parsed, stmt)
            params, partials = rule.params, rule.partials
        partial_of = {}  # argument name -> its total partial (`x * x` gives x + x)
        for arg, partial in zip(args, partials):
            if partial is None or not isinstance(arg, ast.Name) or arg.id not in active:
                continue
            partial = substitute(partial, params, args, result)
            previous = partial_of.get(arg.id)
            partial_of[arg.id] = partial if previous is None else ast.BinOp(left=previous, op=ast.Add(), right=partial)
        for var, partial in partial_of.items():
            negative = isinstance(partial, ast.UnaryOp) and isinstance(partial.op, ast.USub)
            factor = partial.operand if negative else partial
            term = ast.BinOp(left=factor, op=ast.Mult(), right=dresult)
            rhs = builder.rhs(term)
            if var in adjoint:
                term_name = builder.emit(namer.temporary(rhs), rhs)
                rhs = ast.BinOp(left=adjoint[var], op=ast.Sub() if negative else ast.Add(), right=term_name)
            elif negative:
                rhs = ast.UnaryOp(op=ast.USub(), operand=builder.atom(term))
            adjoint[var] = builder.emit(namer.fresh(adjoint_name(var, namer), temporary=True), rhs)
    gradients = [adjoint.get(p, ir.const(0.0)) for p in wrt]
    gradient = gradients[0] if single else ast.Tuple(elts=gradients, ctx=ast.Load())
    if with_value:
        gradient = ast.Tuple(elts=[output, gradient], ctx=ast.Load())
    return primal + builder.stmts + [ast.Return(value=gradient, lineno=ret.lineno)]
