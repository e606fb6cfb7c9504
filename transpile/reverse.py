"""Stage 3, reverse mode: append the backward sweep to a normalized body.

The forward sweep is the normalized primal itself.  The backward sweep walks
it in reverse; for each statement `out = f(a, b)` whose adjoint `dout` is
nonzero it adds `partial_i * dout` to the adjoint of each active argument,
with the partials taken from `rules.RULES`.  Adjoints are symbolic: a
variable nobody differentiates through simply has none (no `0 * ...` code).
"""

import ast

from . import ir
from .normalize import Builder, source_line
from .partials import active_names, partials_of, split_sign


def adjoint_name(var, namer):
    """`dx` for the user's `x`; `d_sin_x` for a temporary, so it cannot read as `d(sin) * x`."""
    return ("d_" if var in namer.temporaries else "d") + var


def reverse(parsed, body, namer, wrt, seeds):
    """The backward sweep: returns (statements, gradients).

    `body` is the normalized primal (ending in its return), `wrt` a tuple of
    parameter names, `seeds` one adjoint atom per returned value (1.0 for a
    gradient, a cotangent parameter for a pullback).  `statements` are the
    primal followed by the sweep; `gradients` holds one atom per name in `wrt`.
    """
    *primal, ret = body
    active = active_names(parsed, primal, wrt)
    builder = Builder(namer)
    adjoint = {}

    def add(var, term, negative=False):
        """adjoint[var] += term (or -= term)."""
        if var in adjoint:
            term = builder.atom(term)
            rhs = ast.BinOp(left=adjoint[var], op=ast.Sub() if negative else ast.Add(), right=term)
        else:
            rhs = ast.UnaryOp(op=ast.USub(), operand=builder.atom(term)) if negative else builder.rhs(term)
        adjoint[var] = builder.emit(namer.fresh(adjoint_name(var, namer), temporary=True), rhs)

    for output, seed in zip(ir.returned_atoms(ret), seeds):
        if isinstance(output, ast.Name) and output.id in active:
            add(output.id, seed)
    commented_line = None
    for stmt in reversed(primal):
        result = ir.target(stmt)
        if result not in adjoint:
            continue
        dresult = adjoint.pop(result)
        if stmt.lineno != commented_line:
            builder.stmts.append(ir.comment(f"grad of: {source_line(parsed, stmt)}"))
            commented_line = stmt.lineno
        builder.lineno = stmt.lineno
        for var, partial in partials_of(parsed, stmt, active.__contains__).items():
            negative, magnitude = split_sign(partial)
            add(var, ast.BinOp(left=magnitude, op=ast.Mult(), right=dresult), negative)
    return primal + builder.stmts, [adjoint.get(p, ir.const(0.0)) for p in wrt]
