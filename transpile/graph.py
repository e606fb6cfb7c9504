"""The computation graph of a function and its gradient, as Graphviz DOT.

Nodes are the operations of the normalized function (boxes) and of its
backward sweep (shaded, `d`-names); edges carry values from the operation
that computes them to those that read them.
"""

import ast

from . import ir
from .normalize import normalize
from .optimize import optimize
from .parse import parse
from .reverse import reverse


def graph_dot(func, wrt=0):
    """DOT text of `func`'s normalized body and the reverse sweep for `wrt` (positions or names)."""
    from .api import _resolve_wrt

    positions, _ = _resolve_wrt(func, wrt)
    parsed = parse(func)
    body, namer = normalize(parsed)
    body = optimize(body, namer, floats=[parsed.params[p] for p in positions])
    for stmt in ir.walk(body):
        stmt.primal = True
    stmts, gradients = reverse(parsed, body, namer, tuple(parsed.params[p] for p in positions), [ir.const(1.0)])
    lines = [f'digraph "{parsed.name}" {{', "  rankdir=TB;", '  node [shape=box, fontname="monospace"];']
    defined = {}
    for param in parsed.params:
        lines.append(f'  "{param}" [shape=ellipse];')
        defined[param] = param
    for index, stmt in enumerate(ir.walk(stmts)):
        if not isinstance(stmt, (ast.Assign, ast.Expr)) or ir.is_comment(stmt):
            continue
        node = f"n{index}"
        label = ast.unparse(stmt).replace("\\", "\\\\").replace('"', '\\"')
        style = "" if getattr(stmt, "primal", False) else ', style=filled, fillcolor="#dde8f7"'
        lines.append(f'  {node} [label="{label}"{style}];')
        for name in dict.fromkeys(ir.names_used(stmt.value)):
            if name in defined:
                lines.append(f"  {defined[name]} -> {node};" if name not in parsed.params
                             else f'  "{name}" -> {node};')
        if isinstance(stmt, ast.Assign):
            defined[ir.target(stmt)] = node
    for param, gradient in zip((parsed.params[p] for p in positions), gradients):
        if isinstance(gradient, ast.Name) and gradient.id in defined:
            lines.append(f'  "d{param} (result)" [shape=ellipse, style=filled, fillcolor="#dde8f7"];')
            lines.append(f'  {defined[gradient.id]} -> "d{param} (result)";')
    lines.append("}")
    return "\n".join(lines) + "\n"
