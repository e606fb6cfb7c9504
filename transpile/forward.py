"""Stage 3, forward mode: carry tangents beside the values.

After each primal statement `out = f(a, b)` comes its tangent
`dout = partial_a * da + partial_b * db`, with the partials from the same
`rules.RULES` entries reverse mode uses.  Several directions can travel
together (one per column of a Jacobian); each gets its own tangent names.
Tangents are symbolic: a value that depends on no seeded input has none.
"""

import ast

from . import ir
from .normalize import Builder, source_line
from .partials import partials_of, split_sign


def tangent_name(var, direction, namer):
    """`dx` for the user's `x`, `d_sin_x` for a temporary; `dx_dy` when directions are named."""
    base = ("d_" if var in namer.temporaries else "d") + var
    return base if direction is None else f"{base}_d{direction}"


def forward(parsed, body, namer, directions):
    """The tangent sweep: returns (statements, tangents).

    `directions` maps a label (None when there is only one direction) to a
    seed: {parameter name: tangent atom}.  `statements` interleave the primal
    with its tangents; `tangents[label]` holds the tangent atom of each
    returned value (flattened) in that direction.
    """
    *primal, ret = body
    tangent = {label: dict(seed) for label, seed in directions.items()}
    builder = Builder(namer)
    commented_line = None
    for stmt in primal:
        builder.stmts.append(stmt)
        result = ir.target(stmt)
        builder.lineno = stmt.lineno
        for label, known in tangent.items():
            partials = partials_of(parsed, stmt, known.__contains__)
            if not partials:
                continue
            if stmt.lineno != commented_line:
                builder.stmts.append(ir.comment(f"tangent of: {source_line(parsed, stmt)}"))
                commented_line = stmt.lineno
            total = None
            for var, partial in partials.items():
                negative, magnitude = split_sign(partial)
                term = ast.BinOp(left=magnitude, op=ast.Mult(), right=known[var])
                if total is None:
                    total = ast.UnaryOp(op=ast.USub(), operand=term) if negative else term
                else:
                    total = ast.BinOp(left=total, op=ast.Sub() if negative else ast.Add(), right=term)
            known[result] = builder.emit(namer.fresh(tangent_name(result, label, namer), temporary=True),
                                         builder.rhs(total))
    outputs = ir.returned_atoms(ret)
    tangents = {label: [known.get(o.id, ir.const(0.0)) if isinstance(o, ast.Name) else ir.const(0.0)
                        for o in outputs] for label, known in tangent.items()}
    return builder.stmts, tangents
