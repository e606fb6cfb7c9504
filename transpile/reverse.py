"""Stage 3, reverse mode: append the backward sweep to a normalized body.

The forward sweep is the normalized primal itself.  The backward sweep walks
it in reverse; for each statement `out = f(a, b)` whose adjoint `dout` is
nonzero it adds `partial_i * dout` to the adjoint of each active argument,
with the partials taken from `rules.RULES`.  An `if` is swept by the same
`if` on the same (still available) test, each branch in reverse, and the
adjoints the branches changed are merged like variables.  Adjoints are
symbolic: a variable nobody differentiates through has none (no `0 * ...`).
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
    sweep = _Sweep(parsed, namer, active_names(parsed, primal, wrt))
    adjoint = {}
    for output, seed in zip(ir.returned_atoms(ret), seeds):
        if isinstance(output, ast.Name) and output.id in sweep.active:
            sweep.add(adjoint, output.id, seed)
    sweep.backward(primal, adjoint)
    return primal + sweep.builder.stmts, [adjoint.get(p, ir.const(0.0)) for p in wrt]


class _Sweep:
    def __init__(self, parsed, namer, active):
        self.parsed, self.namer, self.active = parsed, namer, active
        self.builder = Builder(namer)

    def add(self, adjoint, var, term, negative=False):
        """adjoint[var] += term (or -= term), as a new SSA version."""
        builder = self.builder
        if var in adjoint:
            rhs = ast.BinOp(left=adjoint[var], op=ast.Sub() if negative else ast.Add(), right=builder.atom(term))
        else:
            rhs = ast.UnaryOp(op=ast.USub(), operand=builder.atom(term)) if negative else builder.rhs(term)
        adjoint[var] = builder.emit(self.namer.fresh(adjoint_name(var, self.namer), temporary=True), rhs)

    def backward(self, stmts, adjoint):
        """Emit the adjoints of `stmts`, last statement first, updating `adjoint` (name -> atom)."""
        commented_line = None
        for stmt in reversed(stmts):
            if isinstance(stmt, ast.If):
                self._branch(stmt, adjoint)
                commented_line = None
                continue
            if not isinstance(stmt, ast.Assign) or ir.target(stmt) not in adjoint:
                continue
            result = ir.target(stmt)
            dresult = adjoint.pop(result)
            if stmt.lineno != commented_line:
                self.builder.stmts.append(ir.comment(f"grad of: {source_line(self.parsed, stmt)}"))
                commented_line = stmt.lineno
            self.builder.lineno = stmt.lineno
            for var, partial in partials_of(self.parsed, stmt, self.active.__contains__).items():
                negative, magnitude = split_sign(partial)
                self.add(adjoint, var, ast.BinOp(left=magnitude, op=ast.Mult(), right=dresult), negative)

    def _branch(self, stmt, adjoint):
        """The same `if`, each branch swept backwards; adjoints that differ are merged."""
        swept = []
        for block in (stmt.body, stmt.orelse):
            branch_adjoint = dict(adjoint)
            stmts, _ = self.builder.in_block(lambda: self.backward(block, branch_adjoint))
            swept.append((stmts, branch_adjoint))
        (then_stmts, then_adjoint), (else_stmts, else_adjoint) = swept
        adjoint.clear()
        for var in sorted(set(then_adjoint) | set(else_adjoint)):
            a, b = then_adjoint.get(var), else_adjoint.get(var)
            if a is not None and b is not None and ir.atom_key(a) == ir.atom_key(b):
                adjoint[var] = a
                continue
            merged = self.namer.fresh(adjoint_name(var, self.namer), temporary=True)
            then_stmts.append(ir.assign(merged, a if a is not None else ir.const(0.0), stmt.lineno))
            else_stmts.append(ir.assign(merged, b if b is not None else ir.const(0.0), stmt.lineno))
            adjoint[var] = ir.name(merged)
        if then_stmts or else_stmts:
            self.builder.stmts.append(ir.branch(ir.name(stmt.test.id) if isinstance(stmt.test, ast.Name)
                                                else stmt.test, then_stmts, else_stmts, stmt.lineno))
