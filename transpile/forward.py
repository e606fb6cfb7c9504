"""Stage 3, forward mode: carry tangents beside the values.

After each primal statement `out = f(a, b)` comes its tangent
`dout = partial_a * da + partial_b * db`, with the partials from the same
`rules.RULES` entries reverse mode uses.  Several directions can travel
together (one per column of a Jacobian); each gets its own tangent names.
Inside an `if` the tangents are computed in the branch taken and merged at
its end like the values.  A value that depends on no seeded input has none.
"""

import ast

from . import ir
from .naming import derivative_name
from .normalize import Builder, source_line
from .partials import partials_of, split_sign


def forward(parsed, body, namer, directions):
    """The tangent sweep: returns (statements, tangents).

    `directions` maps a label (None when there is only one direction) to a
    seed: {parameter name: tangent atom}.  `statements` interleave the primal
    with its tangents; `tangents[label]` holds the tangent atom of each
    returned value (flattened) in that direction.
    """
    *primal, ret = body
    sweep = _Sweep(parsed, namer)
    tangent = {label: dict(seed) for label, seed in directions.items()}
    sweep.along(primal, tangent)
    outputs = ir.returned_atoms(ret)
    tangents = {label: [known.get(o.id, ir.const(0.0)) if isinstance(o, ast.Name) else ir.const(0.0)
                        for o in outputs] for label, known in tangent.items()}
    return sweep.builder.stmts, tangents


class _Sweep:
    def __init__(self, parsed, namer):
        self.parsed, self.namer = parsed, namer
        self.builder = Builder(namer)

    def along(self, stmts, tangent):
        """Emit `stmts`, each followed by its tangents; `tangent[label]` maps name -> tangent atom."""
        builder = self.builder
        commented_line = None
        for stmt in stmts:
            if isinstance(stmt, ast.If):
                self._branch(stmt, tangent)
                commented_line = None
                continue
            if isinstance(stmt, (ast.For, ast.While)):
                self._loop(stmt, tangent)
                commented_line = None
                continue
            builder.stmts.append(stmt)
            if not isinstance(stmt, ast.Assign):
                continue
            result = ir.target(stmt)
            builder.lineno = stmt.lineno
            for label, known in tangent.items():
                partials = partials_of(self.parsed, stmt, known.__contains__)
                if not partials:
                    if result in known:  # a loop variable rebound to a value without tangent
                        known[result] = ir.const(0.0)
                    continue
                if stmt.lineno != commented_line:
                    builder.stmts.append(ir.comment(f"tangent of: {source_line(self.parsed, stmt)}"))
                    commented_line = stmt.lineno
                total = None
                for var, partial in partials.items():
                    negative, magnitude = split_sign(partial)
                    term = ast.BinOp(left=magnitude, op=ast.Mult(), right=known[var])
                    if total is None:
                        total = ast.UnaryOp(op=ast.USub(), operand=term) if negative else term
                    else:
                        total = ast.BinOp(left=total, op=ast.Sub() if negative else ast.Add(), right=term)
                known[result] = builder.emit(self.namer.fresh(derivative_name(result, self.namer, label),
                                                              temporary=True), builder.rhs(total))

    def _branch(self, stmt, tangent):
        """The `if` with tangents inside each branch; tangents that differ are merged at the end."""
        swept = []
        for block in (stmt.body, stmt.orelse):
            branch_tangent = {label: dict(known) for label, known in tangent.items()}
            stmts, _ = self.builder.in_block(lambda: self.along(block, branch_tangent))
            swept.append((stmts, branch_tangent))
        (then_stmts, then_tangent), (else_stmts, else_tangent) = swept
        for label in tangent:
            a_known, b_known = then_tangent[label], else_tangent[label]
            tangent[label] = {}
            for var in sorted(set(a_known) | set(b_known)):
                a, b = a_known.get(var), b_known.get(var)
                if a is not None and b is not None and ir.atom_key(a) == ir.atom_key(b):
                    tangent[label][var] = a
                    continue
                merged = self.namer.fresh(derivative_name(var, self.namer, label), temporary=True)
                then_stmts.append(ir.assign(merged, a if a is not None else ir.const(0.0), stmt.lineno))
                else_stmts.append(ir.assign(merged, b if b is not None else ir.const(0.0), stmt.lineno))
                tangent[label][var] = ir.name(merged)
        self.builder.stmts.append(ir.branch(stmt.test, then_stmts, else_stmts, stmt.lineno))

    def _loop(self, stmt, tangent):
        """The loop with tangents in its body; a carried value's tangent is carried too."""
        ir.prune_carried(stmt)
        read = {n for s in ir.walk(stmt.body) for n in ir.names_used(s)}
        carried_tangent = {}  # label -> {carried name: tangent variable}
        inner = {}
        for label, known in tangent.items():
            if not (read & set(known)) and not any(n in known for n in stmt.carried):
                inner[label] = dict(known)
                continue  # no tangent enters this loop in this direction
            carried_tangent[label] = {}
            inner[label] = dict(known)
            for name in stmt.carried:
                variable = self.namer.fresh(derivative_name(name, self.namer, label), temporary=True)
                self.builder.emit(variable, known.get(name, ir.const(0.0)))
                carried_tangent[label][name] = variable
                inner[label][name] = ir.name(variable)

        def one_pass():
            self.along(stmt.body, inner)
            for label, variables in carried_tangent.items():
                updates = [(v, inner[label].get(n, ir.const(0.0))) for n, v in variables.items()]
                updates = [(v, value) for v, value in updates if ir.atom_key(value) != ("name", v)]
                if any(isinstance(value, ast.Name) and value.id in variables.values() for _, value in updates):
                    updates = [(v, self.builder.emit(self.namer.fresh("held", temporary=True), value))
                               for v, value in updates]  # a swap: read all before writing any
                for v, value in updates:
                    self.builder.emit(v, value)

        body, _ = self.builder.in_block(one_pass)
        stmt.body = body
        stmt.carried = list(stmt.carried) + [v for variables in carried_tangent.values() for v in variables.values()]
        self.builder.stmts.append(stmt)
        for label, variables in carried_tangent.items():
            for name, variable in variables.items():
                tangent[label][name] = ir.name(variable)
