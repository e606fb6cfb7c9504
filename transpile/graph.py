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


def graph_dot(func, wrt=0, args=None):
    """DOT text of `func`'s normalized body and the reverse sweep for `wrt` (positions or names).

    A function that uses NumPy needs example `args` (its sweep depends on their kinds: number or
    array of some rank); without them it raises TranspileError saying so."""
    from .api import _resolve_wrt, uses_numpy
    from .errors import TranspileError

    positions, _ = _resolve_wrt(func, wrt)
    parsed = parse(func)
    if args is None and uses_numpy(func):
        raise TranspileError(f"'{parsed.name}' uses NumPy, so its backward sweep depends on the kinds of its "
                             "arguments: give example arguments, graph_dot(f, wrt, args=(x, y)) (on the command "
                             "line: --at x=[1.0,2.0],y=0.5, lists become float arrays).")
    body, namer = normalize(parsed)
    arrays = None
    if args is not None:
        from .arrays import Arrays
        from .numpy_rules import result_kind
        from .pipeline import _scalar_output
        from .shapes import infer, kind_of

        kinds = dict(zip(parsed.params, map(kind_of, args)))
    body = optimize(body, namer, floats=[parsed.params[p] for p in positions], arrays=args is not None)
    if args is not None:
        arrays = Arrays(infer(body, kinds, result_kind))
        body, _ = _scalar_output(parsed, body, namer, arrays)
    for stmt in ir.walk(body):
        stmt.primal = True
    stmts, gradients = reverse(parsed, body, namer, tuple(parsed.params[p] for p in positions), [ir.const(1.0)],
                               arrays)
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
